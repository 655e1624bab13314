#pragma once

// ServerRuntime owns a whole qsqld server: the SQLite worker threads with their Hrana engines, the
// namespace registry, and the user and admin listeners. `qsqld` runs one; the console can host one too.
// Thread rule: create, start and stop it on the thread that runs its event loop (the I/O thread).

#include "serverconfig.h"

#include "auth/authenticator.h"
#include "repl/replrpc.h"

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkAccessManager>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace qsqld::db {
class SqliteWorker;
}
namespace qsqld::hrana {
class Engine;
struct Job;
}
namespace qsqld::http {
struct Response;
using ReplyChannel = std::function<void(Response)>;
class Listener;
class Router;
struct RouteContext;
}
namespace qsqld::ns {
struct NamespaceConfig;
class MetaStore;
class NamespaceRegistry;
}
namespace qsqld::util {
class ResponseBudget;
}

namespace qsqld::runtime {

class ServerRuntime : public QObject
{
    Q_OBJECT
public:
    explicit ServerRuntime(ServerConfig config, QObject *parent = nullptr);
    ~ServerRuntime() override;

    // Prepares the data folder, starts workers and listeners. On failure returns false with one line in `error`.
    bool start(QString *error);
    // Graceful stop: stop accepting, let in-flight requests finish (up to the shutdown timeout),
    // roll back open streams, checkpoint every WAL, stop the workers; then emits stopped().
    void stop();

    quint16 httpPort() const;
    quint16 adminPort() const;
    quint16 hranaPort() const; // --hrana-listen-addr, 0 when off
    const ServerConfig &config() const { return m_config; }

signals:
    void stopped();

private:
    bool prepareDataDir(QString *error);
    bool prepareAuth(QString *error);
    // The authenticator of `ns`: its own jwt_key if its config has one, else the server's.
    // nullopt (with `error`) when the namespace's jwt_key does not parse.
    std::optional<auth::Authenticator> authenticatorFor(const QString &ns, QByteArray *error);
    void refreshAttachable(); // after any config change
    void installUserRoutes(http::Router &r);
    void installAdminRoutes(http::Router &r);
    void installReplicationRoutes(http::Router &r); // replroutes.cpp
    void noteActivity();
    void startIdleShutdown();
    void startHeartbeat(); // heartbeat.cpp
    void beat();
    // Turso Sync pulls and their long polls (syncroutes.cpp). `ns` is set when the path names the namespace.
    void installSyncRoutes(http::Router &r);
    void pullUpdates(http::RouteContext &&ctx, std::optional<QString> ns, bool mayWait);
    void parkPull(http::RouteContext &&ctx, const QString &ns, quint64 seenFrame, quint32 timeoutMs);
    void noteCommit(const QString &ns, quint64 frame);
    struct PollWaiter;
    void wakePoller(const std::shared_ptr<PollWaiter> &waiter);
    void wakeAllPollers();
    // gRPC-web calls of embedded replicas: namespace from x-namespace-bin, token from x-authorization, errors
    // as gRPC statuses; `checkSession` also requires this process's session token (ReplicationLog calls).
    void dispatchGrpc(http::RouteContext &&ctx, bool checkSession,
                      std::function<void(hrana::Engine &, hrana::Job &&)> op);
    // Resolves the namespace, checks it exists, and runs `op` on its worker's engine.
    void dispatch(http::RouteContext &&ctx, const QString &ns,
                  std::function<void(hrana::Engine &, hrana::Job &&)> op);
    void dispatchUser(http::RouteContext &&ctx, std::function<void(hrana::Engine &, hrana::Job &&)> op);
    int workerFor(const QString &ns) const;
    // Creates `ns` (with its config, optionally from a dump) on its worker, then records it; answers `reply`.
    void createNamespace(const QString &ns, const ns::NamespaceConfig &config, QByteArray dumpSql, QString dumpFile,
                         bool removeDumpFile, http::ReplyChannel reply);
    // Runs `work` on the worker that owns `ns`, then `done` with its result on this (the I/O) thread.
    void onWorker(const QString &ns, std::function<http::Response(hrana::Engine &)> work,
                  std::function<void(http::Response)> done);
    void finishStop();

    ServerConfig m_config;
    std::unique_ptr<ns::NamespaceRegistry> m_registry;
    std::unique_ptr<ns::MetaStore> m_metastore; // I/O thread only
    auth::Authenticator m_auth;                  // --http-auth / --auth-jwt-key-file / none
    QString m_gid;                               // LIBSQL_GID
    std::shared_ptr<const QSet<QString>> m_attachable;
    repl::ProcessIds m_replIds; // fresh UUIDs per process: replicas re-handshake after a restart
    // Long-polling pulls: waiters per namespace, the last commit frame seen, and how many requests may park
    // (workers report commits only while it is above 0).
    QHash<QString, std::vector<std::shared_ptr<PollWaiter>>> m_pollWaiters;
    QHash<QString, quint64> m_lastFrames;
    std::shared_ptr<std::atomic<int>> m_pollInterest = std::make_shared<std::atomic<int>>(0);
    class DumpFetcher *m_fetcher = nullptr;       // created on first http(s) dump_url
    class WsGateway *m_ws = nullptr;              // Hrana over WebSocket
    std::unique_ptr<util::ResponseBudget> m_budget;
    std::vector<std::unique_ptr<db::SqliteWorker>> m_workers;
    std::vector<std::unique_ptr<hrana::Engine>> m_engines;
    std::unique_ptr<http::Router> m_userRouter;
    std::unique_ptr<http::Router> m_adminRouter;
    std::unique_ptr<http::Router> m_hranaRouter; // --hrana-listen-addr: upgrades only
    http::Listener *m_hranaListener = nullptr;
    http::Listener *m_userListener = nullptr;
    http::Listener *m_adminListener = nullptr;
    QTimer m_tick;
    QTimer m_checkpoint;
    QTimer m_idleCheck;
    QTimer m_heartbeat;
    QNetworkAccessManager *m_heartbeatNet = nullptr;
    qint64 m_startedMs = 0;
    QHash<QString, qint64> m_beatActivity; // namespace -> last activity already reported
    QElapsedTimer m_lastActivity;
    bool m_anyRequest = false;
    QTimer m_shutdownDeadline;
    bool m_stopping = false;
    bool m_stopped = false;
};

} // namespace qsqld::runtime
