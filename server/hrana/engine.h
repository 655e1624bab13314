#pragma once

// The per-worker Hrana engine: owns the SQLite sessions of the namespaces pinned to its worker, the
// Hrana-over-HTTP streams (batons), and the runs waiting for a namespace's write lock.
// Thread rule: created, used and destroyed on its SqliteWorker thread only; callers post closures to it.

#include "executor.h"
#include "namespacestats.h"
#include "protocol.h"
#include "resultencoder.h"

#include "repl/replicationlog.h"

#include "http/response.h"
#include "ns/namespaceconfig.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <chrono>
#include <deque>
#include <unordered_map>
#include <memory>

namespace qsqld::hrana {

struct EngineConfig
{
    QString dbRoot;                      // <db-path>/dbs
    int workerIndex = 0;
    QByteArray batonKey;                 // HMAC key shared by all workers of the process
    QByteArray baseUrl;                  // --http-self-url, or empty for null
    qint64 maxResponseSize = 10'000'000;
    util::ResponseBudget *budget = nullptr;
    std::chrono::milliseconds statementTimeout{30'000};
    std::chrono::milliseconds streamExpiry{10'000};
    std::chrono::milliseconds txnTimeout{5'000};
    int maxIdleSessionsPerNamespace = 4;
    bool walAutocheckpoint = true;
    repl::CompactionPolicy compaction; // its `ns` is filled in per namespace
    bool snapshotAtShutdown = false;
    bool replicationLog = true; // capture frames for embedded replicas (--disable-replication-log turns it off)
    int maxOpenNamespaces = 100; // this worker's share of --max-active-namespaces
    int pageCacheKib = 2000;     // --page-cache-kib, per SQLite connection
    QStringList extensions;      // --extensions-path: checked libraries loaded into every tenant connection
    // Called on the worker after each captured commit (Turso Sync long polls wake on it); may be empty.
    std::function<void(const QString &ns, quint64 lastFrame)> onCommit;
};

// What a job carries in: the namespace, the body and where to answer.
struct Job
{
    QString ns;
    ns::NamespaceConfig config; // the namespace's configuration when the request arrived
    AccessContext access;       // the authenticated rights (full when auth is off)
    QByteArray body;
    http::ReplyChannel reply;
    std::shared_ptr<db::CancelToken> cancel;
};

struct PipelineRun;
struct NamespaceDb;

class Engine
{
public:
    explicit Engine(EngineConfig config);
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    void pipeline(Job job, Version version, Encoding encoding = Encoding::Json);

    // WebSocket streams. openPinnedStream returns the stream id (0 with `error` set on failure).
    quint64 openPinnedStream(const QString &ns, const ns::NamespaceConfig &config, QByteArray *error);
    void closePinnedStream(quint64 id);
    // Runs `requests` (no `close`) or, with `cursor` set, that batch as a cursor, on pinned stream `id`.
    // `done(ok, results, protocolError)`: one encoded StreamResult per request (for a cursor: the entry lines),
    // or a protocol/generic error text that ends the WebSocket connection.
    using WsDone = std::function<void(std::vector<QByteArray> results, QByteArray fatalError)>;
    void runOnStream(Job job, quint64 id, Version version, Encoding encoding, std::vector<StreamRequest> requests,
                     std::optional<Batch> cursor, WsDone done, std::unique_ptr<ResultEncoder> encoder = nullptr);
    // The same with an encoder of the caller's (the replica write path encodes proxy.Proxy messages).
    void runOnStream(Job job, quint64 id, Version version, std::unique_ptr<ResultEncoder> encoder,
                     std::vector<StreamRequest> requests, WsDone done);
    bool streamAutocommit(quint64 id) const;

    // Embedded-replica writes (proxy.Proxy): one pinned stream per replica client id, opened on first use and
    // closed (rolling back) after 30 s without requests, as sqld does. 0 with `error` set on failure.
    quint64 proxyStream(const QString &ns, const QByteArray &clientId, const ns::NamespaceConfig &config,
                        QByteArray *error);
    void closeProxyStream(const QString &ns, const QByteArray &clientId); // proxy.Proxy/Disconnect
    // Counts a replica RPC in the namespace's stats (frames sent, or a write run for a replica).
    void noteReplication(const QString &ns, quint64 frames, bool delegatedWrite);
    // The replication log of a namespace (loading the namespace); nullptr with `error` set when it has none.
    repl::ReplicationLog *replicationLog(const QString &ns, QByteArray *error);

    void cursor(Job job, Encoding encoding = Encoding::Json);
    void v1Execute(Job job);
    void v1Batch(Job job);
    void legacyQuery(Job job);

    // Admin operations. createNamespace loads `dumpSql` (if not empty) or the dump file `dumpFile` (if not
    // empty) into the new database; on any failure nothing of the namespace is left behind.
    http::Response createNamespace(const QString &ns, const QByteArray &dumpSql, const QString &dumpFile);
    QByteArray dropNamespace(const QString &ns); // empty on success, else the error text
    // Copies `from` (a consistent snapshot, with the online backup API) into the new namespace `to`.
    http::Response forkNamespace(const QString &from, const QString &to);

    // Usage statistics (sqld's stats JSON) of a namespace; empty with `error` set if it does not exist.
    QByteArray statsJson(const QString &ns, QByteArray *error);
    // GET /dump: a consistent SQL dump streamed through `sink`; `post` runs work on this engine's worker.
    void dump(Job job, bool preserveRowIds, http::StreamSink sink, std::function<void(std::function<void()>)> post);
    bool resetStats(const QString &ns, const QByteArray &kind); // "top" or "slowest"
    // sqld's admin checkpoint: VACUUM when mostly free pages, then wal_checkpoint(TRUNCATE). Empty on success.
    QByteArray checkpoint(const QString &ns);
    // Summaries of namespaces used since the last call (for the registry's list and metrics).
    QList<QPair<QString, NamespaceStats::Summary>> takeActivity();

    void tick();                   // stream expiry, write-lock timeouts, busy retries; call about once a second
    void checkpointAll(bool truncate);
    void shutdown();               // rolls back open streams, checkpoints (TRUNCATE), closes every connection
    int streamCount() const { return static_cast<int>(m_streams.size()); }
    int openNamespaceCount() const { return static_cast<int>(m_namespaces.size()); }
    QList<QByteArray> streamStates() const;

private:
    struct Stream
    {
        quint64 id = 0;
        quint64 seq = 0;
        QString ns;
        std::unique_ptr<Session> session;
        std::chrono::steady_clock::time_point lastUsed;
        bool inUse = false;
        bool pinned = false; // a WebSocket stream: no baton, no expiry; closed by its connection
        QByteArray proxyClient; // a replica client's stream: expires when idle (key in m_proxyStreams)
    };

    // Pipeline plumbing (engine.cpp).
    NamespaceDb *namespaceDb(const QString &ns, bool create, QByteArray *error);
    std::unique_ptr<Session> takeSession(const QString &ns, QByteArray *error);
    void returnSession(const QString &ns, std::unique_ptr<Session> session);
    QByteArray makeBaton(const Stream &s) const;
    enum class BatonStatus { Ok, Invalid, Reused, Expired, WrongNamespace };
    BatonStatus lookupBaton(const QByteArray &baton, const QString &ns, Stream **out);
    Stream *newStream(const QString &ns, QByteArray *error);
    void destroyStream(quint64 id, bool tombstone);
    bool namespaceWriteLocked(const QString &ns, const Session *except) const;
    void saveStats(NamespaceDb &db);
    // Closes least recently used namespaces nothing holds (no stream, no waiting run) beyond maxOpenNamespaces.
    void closeIdleNamespaces(const QString &keep);

    // Running (pipelinerun.cpp).
    ExecLimits limitsFor(const PipelineRun &run) const;
    void runPipeline(std::unique_ptr<PipelineRun> run);
    void finishPipeline(PipelineRun &run);
    void failPipeline(PipelineRun &run, http::Response response);
    void park(std::unique_ptr<PipelineRun> run);
    void resumeWaiters(const QString &ns);

    EngineConfig m_config;
    ExecLimits m_limits;
    QHash<QString, NamespaceDb *> m_namespaces;
    std::unordered_map<quint64, Stream> m_streams;
    QHash<quint64, std::chrono::steady_clock::time_point> m_expired; // tombstones for STREAM_EXPIRED
    quint64 m_nextStreamId = 1;
    QHash<QByteArray, quint64> m_proxyStreams; // "<namespace>\0<client id>" → stream
    int m_ticks = 0;
    std::deque<std::unique_ptr<PipelineRun>> m_waiting;
    mutable AnalysisCache m_analysis; // a cache: filled from const paths too
};

} // namespace qsqld::hrana
