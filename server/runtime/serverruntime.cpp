#include "serverruntime.h"

#include "db/sqliteworker.h"
#include "hrana/engine.h"
#include "http/listener.h"
#include "http/router.h"
#include "ns/namespacename.h"
#include "ns/metastore.h"
#include "ns/namespaceconfig.h"
#include "ns/namespaceregistry.h"
#include "sql/extensions.h"
#include "wsgateway.h"
#include "util/responsebudget.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QDateTime>
#include <QThread>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcRuntime, "qsqld.runtime", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAdmin, "qsqld.admin", QtInfoMsg) // one line per namespace change made through the admin API

namespace qsqld::runtime {

using namespace Qt::StringLiterals;

namespace {

QString ownerAndMode(const QString &path)
{
    const QFileInfo fi(path);
    if (!fi.exists())
        return u"does not exist"_s;
    // The mode as ls shows it: QFileInfo's "User" permissions are those of the current user, not the owner's.
    struct stat st = {};
    const QString mode = ::stat(QFile::encodeName(path).constData(), &st) == 0
        ? QString::number(st.st_mode & 07777, 8)
        : u"unknown"_s;
    return u"owner %1:%2 (uid %3), mode %4"_s.arg(fi.owner(), fi.group()).arg(fi.ownerId()).arg(mode);
}

} // namespace

ServerRuntime::ServerRuntime(ServerConfig config, QObject *parent) : QObject(parent), m_config(std::move(config))
{
}

ServerRuntime::~ServerRuntime()
{
    if (!m_stopped) {
        // Not stopped gracefully: still checkpoint and join the workers.
        delete m_userListener;
        delete m_adminListener;
        m_userListener = m_adminListener = nullptr;
        finishStop();
    }
}

bool ServerRuntime::prepareDataDir(QString *error)
{
    const QString root = QDir(m_config.dbPath).absolutePath();
    const QString dbs = root + u"/dbs";
    if (!QDir().mkpath(dbs)) {
        QString parent = root;
        while (!QFileInfo::exists(parent) && parent.contains(u'/'))
            parent = QFileInfo(parent).absolutePath();
        *error = u"qsqld: cannot create the data folder %1: the folder %2 is not writable for uid %3 (%4). "
                 "Fix: chown it to this user, or pass a writable --db-path."_s
                     .arg(dbs, parent)
                     .arg(::getuid())
                     .arg(ownerAndMode(parent));
        return false;
    }
    QFile probe(dbs + u"/.qsqld-write-test");
    if (!probe.open(QIODevice::WriteOnly)) {
        *error = u"qsqld: the data folder %1 is not writable for uid %2 (%3). "
                 "Fix: chown it to this user, or pass a writable --db-path."_s
                     .arg(dbs)
                     .arg(::getuid())
                     .arg(ownerAndMode(dbs));
        return false;
    }
    probe.close();
    probe.remove();
    QFile version(root + u"/.version");
    if (!version.exists() && version.open(QIODevice::WriteOnly))
        version.write("0.24.33");
    return true;
}

int ServerRuntime::workerFor(const QString &ns) const
{
    return static_cast<int>(qHash(ns, 0) % m_workers.size());
}

bool ServerRuntime::prepareAuth(QString *error)
{
    m_gid = qEnvironmentVariable("LIBSQL_GID");
    if (!m_config.httpAuth.isEmpty()) {
        m_auth = auth::Authenticator::basic(m_config.httpAuth.mid(6).toUtf8()); // after "basic:"; wins over JWT
        qCInfo(lcRuntime) << "user API authentication: HTTP basic (--http-auth)";
        return true;
    }
    QByteArray keyText;
    QString source;
    if (!m_config.authJwtKeyFile.isEmpty()) {
        QFile f(m_config.authJwtKeyFile);
        if (!f.open(QIODevice::ReadOnly)) {
            *error = u"qsqld: cannot read --auth-jwt-key-file %1: %2"_s.arg(m_config.authJwtKeyFile, f.errorString());
            return false;
        }
        keyText = f.read(1 << 20);
        source = u"--auth-jwt-key-file "_s + m_config.authJwtKeyFile;
    } else if (!m_config.authJwtKey.isEmpty()) {
        keyText = m_config.authJwtKey.toUtf8();
        source = u"SQLD_AUTH_JWT_KEY"_s;
    }
    if (!keyText.isEmpty()) {
        auto keys = auth::KeySet::parse(keyText);
        if (auto *e = std::get_if<QString>(&keys)) {
            *error = u"qsqld: %1: %2"_s.arg(source, *e);
            return false;
        }
        const auto count = std::get<auth::KeySet>(keys).size();
        m_auth = auth::Authenticator::jwt(std::get<auth::KeySet>(std::move(keys)), m_gid);
        qCInfo(lcRuntime).noquote() << "user API authentication: Ed25519 JWT," << count << "key(s) from" << source;
    }
    return true;
}

std::optional<auth::Authenticator> ServerRuntime::authenticatorFor(const QString &ns, QByteArray *error)
{
    const ns::NamespaceConfig config = m_registry->config(ns);
    if (!config.jwtKey)
        return m_auth;
    // Parsing a key is cheap next to the Ed25519 verification that follows; no cache to keep coherent.
    auto keys = auth::KeySet::parse(config.jwtKey->toUtf8());
    if (auto *e = std::get_if<QString>(&keys)) {
        *error = "Could not decode Ed25519 public key of namespace `" + ns.toUtf8() + "`: " + e->toUtf8();
        return std::nullopt;
    }
    return auth::Authenticator::jwt(std::get<auth::KeySet>(std::move(keys)), m_gid);
}

void ServerRuntime::refreshAttachable()
{
    auto set = std::make_shared<QSet<QString>>();
    const auto &configs = m_registry->configs();
    for (auto it = configs.cbegin(); it != configs.cend(); ++it) {
        if (it.value().allowAttach)
            set->insert(it.key());
    }
    m_attachable = std::move(set);
}

void ServerRuntime::noteActivity()
{
    m_anyRequest = true;
    m_lastActivity.start();
}

// --idle-shutdown-timeout-s / --initial-idle-shutdown-timeout-s: stop (and exit 0) after a quiet spell, so that
// an auto-stopping machine (Fly.io) stops; the next request starts it again.
void ServerRuntime::startIdleShutdown()
{
    if (!m_config.idleShutdownTimeoutS && !m_config.initialIdleShutdownTimeoutS)
        return;
    m_lastActivity.start();
    connect(&m_idleCheck, &QTimer::timeout, this, [this] {
        const std::optional<int> limit = m_anyRequest || !m_config.initialIdleShutdownTimeoutS
            ? m_config.idleShutdownTimeoutS
            : m_config.initialIdleShutdownTimeoutS;
        if (limit && m_lastActivity.elapsed() >= qint64(*limit) * 1000) {
            qCInfo(lcRuntime) << "no request for" << *limit << "s: shutting down (idle shutdown)";
            m_idleCheck.stop();
            stop();
        }
    });
    m_idleCheck.start(250);
}

bool ServerRuntime::start(QString *error)
{
    if (!prepareAuth(error)) // a bad key or extension must not leave a data folder behind
        return false;
    QStringList extensions;
    if (!m_config.extensionsPath.isEmpty()) {
        QString extError;
        extensions = sql::loadTrustedExtensions(m_config.extensionsPath, &extError);
        if (!extError.isEmpty()) {
            *error = u"qsqld: --extensions-path: "_s + extError;
            return false;
        }
        qCInfo(lcRuntime).noquote() << extensions.size() << "trusted extension(s) from" << m_config.extensionsPath
                                    << "loaded into every connection";
    }
    if (!prepareDataDir(error))
        return false;
    // SQLite's heap limits are process-wide.
    if (m_config.softHeapLimitMb)
        sqlite3_soft_heap_limit64(sqlite3_int64(*m_config.softHeapLimitMb) * 1024 * 1024);
    if (m_config.hardHeapLimitMb)
        sqlite3_hard_heap_limit64(sqlite3_int64(*m_config.hardHeapLimitMb) * 1024 * 1024);
    const QString dbs = QDir(m_config.dbPath).absolutePath() + u"/dbs";
    m_registry = std::make_unique<ns::NamespaceRegistry>(dbs);
    m_registry->scan();
    QString metaError;
    m_metastore = ns::MetaStore::open(QDir(m_config.dbPath).absolutePath(), &metaError);
    if (!m_metastore) {
        *error = u"qsqld: cannot open the namespace metastore in %1: %2"_s.arg(QDir(m_config.dbPath).absolutePath(),
                                                                               metaError);
        return false;
    }
    QStringList warnings;
    m_registry->setConfigs(m_metastore->loadAll(&warnings));
    refreshAttachable();
    for (const QString &w : std::as_const(warnings))
        qCWarning(lcRuntime).noquote() << "metastore:" << w;
    m_budget = std::make_unique<util::ResponseBudget>(m_config.maxTotalResponseSize);

    int nWorkers = m_config.workerThreads;
    if (nWorkers <= 0)
        nWorkers = std::clamp(QThread::idealThreadCount(), 1, 8);
    QByteArray batonKey(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(batonKey.data()), 8);
    for (int i = 0; i < nWorkers; ++i) {
        hrana::EngineConfig ec;
        ec.dbRoot = dbs;
        ec.workerIndex = i;
        ec.batonKey = batonKey;
        ec.baseUrl = m_config.httpSelfUrl.toUtf8();
        ec.maxResponseSize = m_config.maxResponseSize;
        ec.budget = m_budget.get();
        ec.statementTimeout = std::chrono::milliseconds(static_cast<qint64>(m_config.statementTimeoutS * 1000));
        ec.streamExpiry = std::chrono::milliseconds(static_cast<qint64>(m_config.streamExpiryS * 1000));
        ec.walAutocheckpoint = !m_config.checkpointIntervalS.has_value();
        ec.compaction.maxLogBytes = static_cast<qint64>(m_config.maxLogSizeMb) * 1024 * 1024;
        if (m_config.maxLogDurationS)
            ec.compaction.maxLogDuration = std::chrono::seconds(*m_config.maxLogDurationS);
        ec.compaction.snapshotExec = m_config.snapshotExec;
        ec.snapshotAtShutdown = m_config.snapshotAtShutdown;
        ec.replicationLog = !m_config.disableReplicationLog;
        ec.pageCacheKib = m_config.pageCacheKib;
        ec.extensions = extensions;
        ec.maxOpenNamespaces = std::max(1, (m_config.maxActiveNamespaces + nWorkers - 1) / nWorkers);
        ec.onCommit = [this, interest = m_pollInterest](const QString &ns, quint64 frame) {
            if (interest->load() > 0) // someone may be long-polling: tell the I/O thread
                QMetaObject::invokeMethod(this, [this, ns, frame] { noteCommit(ns, frame); }, Qt::QueuedConnection);
        };
        m_engines.push_back(std::make_unique<hrana::Engine>(ec));
        m_workers.push_back(std::make_unique<db::SqliteWorker>(i));
        m_workers.back()->start();
    }

    http::ConnectionLimits limits;
    limits.maxBody = m_config.maxRequestBodySize;
    limits.headerTimeoutMs = static_cast<int>(m_config.headerTimeoutS * 1000);
    limits.idleTimeoutMs = static_cast<int>(m_config.idleConnectionTimeoutS * 1000);
    limits.budget = m_budget.get();

    WsBackend backend;
    backend.resolveNamespace = [this](const http::Request &req) -> std::variant<QString, http::Response> {
        auto resolved = ns::resolveNamespace(req, {m_config.enableNamespaces, m_config.disableDefaultNamespace});
        if (auto *ns = std::get_if<QString>(&resolved); ns && (!m_registry->exists(*ns) || m_registry->busy(*ns)))
            return http::Response::error(404, "Namespace `" + ns->toUtf8() + "` doesn't exist");
        return resolved;
    };
    backend.authenticate = [this](const QString &ns, std::optional<QByteArray> jwt)
        -> std::variant<auth::Permissions, auth::AuthError> {
        QByteArray error;
        const auto authenticator = authenticatorFor(ns, &error);
        if (!authenticator)
            return auth::AuthError::failed();
        return authenticator->authenticateJwt(jwt ? std::optional<QByteArrayView>(*jwt) : std::nullopt,
                                              QDateTime::currentSecsSinceEpoch());
    };
    backend.config = [this](const QString &ns) { return m_registry->config(ns); };
    backend.attachable = [this] { return m_attachable; };
    backend.post = [this](const QString &ns, std::function<void(hrana::Engine &)> work) {
        if (m_stopped)
            return false;
        const int w = workerFor(ns);
        hrana::Engine *engine = m_engines[w].get();
        m_workers[w]->postAlways([engine, work = std::move(work)] { work(*engine); });
        return true;
    };
    backend.idleTimeoutMs = static_cast<int>(std::min(m_config.idleConnectionTimeoutS * 10 * 1000, 2e9));
    backend.maxFetchBytes = std::max<qint64>(1, m_config.maxResponseSize / 8);
    backend.activity = [this] { noteActivity(); };
    m_ws = new WsGateway(std::move(backend), this);

    m_userRouter = std::make_unique<http::Router>(true);
    installUserRoutes(*m_userRouter);
    installReplicationRoutes(*m_userRouter);
    m_userRouter->setActivityHook([this] { noteActivity(); });
    installSyncRoutes(*m_userRouter);
    m_userRouter->setUpgradeHandler([this](const http::Request &req, QTcpSocket *socket) {
        m_ws->takeUpgrade(req, socket);
    });
    m_userListener = new http::Listener(*m_userRouter, limits, m_config.maxConcurrentConnections, this);
    QString listenError;
    if (!m_userListener->start(m_config.httpListen.host, m_config.httpListen.port, &listenError)) {
        *error = u"qsqld: cannot listen on %1 (--http-listen-addr): %2"_s.arg(m_config.httpListen.text, listenError);
        return false;
    }
    if (m_config.hranaListen) {
        // Every path upgrades; a request that is not an upgrade finds no route (404).
        m_hranaRouter = std::make_unique<http::Router>(false);
        m_hranaRouter->setUpgradeHandler([this](const http::Request &req, QTcpSocket *socket) {
            m_ws->takeUpgrade(req, socket);
        });
        m_hranaListener = new http::Listener(*m_hranaRouter, limits, m_config.maxConcurrentConnections, this);
        if (!m_hranaListener->start(m_config.hranaListen->host, m_config.hranaListen->port, &listenError)) {
            *error = u"qsqld: cannot listen on %1 (--hrana-listen-addr): %2"_s.arg(m_config.hranaListen->text,
                                                                                   listenError);
            return false;
        }
    }
    if (m_config.adminListen) {
        m_adminRouter = std::make_unique<http::Router>(false);
        m_adminRouter->setJsonErrors(true);
        installAdminRoutes(*m_adminRouter);
        m_adminListener = new http::Listener(*m_adminRouter, limits, m_config.maxConcurrentConnections, this);
        if (!m_adminListener->start(m_config.adminListen->host, m_config.adminListen->port, &listenError)) {
            *error = u"qsqld: cannot listen on %1 (--admin-listen-addr): %2"_s.arg(m_config.adminListen->text,
                                                                                   listenError);
            return false;
        }
    }

    connect(&m_tick, &QTimer::timeout, this, [this] {
        for (size_t i = 0; i < m_workers.size(); ++i) {
            hrana::Engine *engine = m_engines[i].get();
            m_workers[i]->postAlways([this, engine] {
                engine->tick();
                auto activity = engine->takeActivity();
                if (activity.isEmpty())
                    return;
                QMetaObject::invokeMethod(this, [this, activity] {
                    for (const auto &[ns, s] : activity)
                        m_registry->setActivity(ns, {s.rowsRead, s.rowsWritten, s.queryCount, s.lastActivityMs,
                                                     s.framesReplicated, s.writesDelegated, s.replicationRequests});
                }, Qt::QueuedConnection);
            });
        }
    });
    m_tick.start(1000);
    if (m_config.checkpointIntervalS) {
        connect(&m_checkpoint, &QTimer::timeout, this, [this] {
            for (size_t i = 0; i < m_workers.size(); ++i) {
                hrana::Engine *engine = m_engines[i].get();
                m_workers[i]->postAlways([engine] { engine->checkpointAll(true); });
            }
        });
        m_checkpoint.start(*m_config.checkpointIntervalS * 1000);
    }
    startIdleShutdown();
    startHeartbeat();
    const QHostAddress &host = m_config.httpListen.host;
    const QString shownHost = host == QHostAddress(QHostAddress::Any) ? u"[::]"_s // dual-stack
        : host.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + host.toString() + u']'
                                                            : host.toString();
    qCInfo(lcRuntime).noquote() << "listening on" << u"http://%1:%2"_s.arg(shownHost).arg(httpPort())
                                << "data in" << QDir(m_config.dbPath).absolutePath() << "with" << nWorkers
                                << "worker threads";
    if (m_auth.strategy() == auth::Authenticator::Strategy::None)
        qCWarning(lcRuntime).noquote()
            << "AUTHENTICATION IS OFF: anyone who can reach port" << httpPort()
            << "can read and write every namespace (namespaces with their own jwt_key excepted). "
               "Set --auth-jwt-key-file (see `qsqld keygen`).";
    if (m_adminListener && m_config.adminAuthKey.isEmpty())
        qCWarning(lcRuntime).noquote() << "ADMIN API WITHOUT A KEY: anyone who can reach port" << adminPort()
                                       << "can create, change and delete namespaces. Set --admin-auth-key.";
    if (m_adminListener)
        qCInfo(lcRuntime).noquote() << "admin API on"
                                    << u"http://%1:%2"_s.arg(m_config.adminListen->host.toString()).arg(adminPort());
    return true;
}

quint16 ServerRuntime::httpPort() const
{
    return m_userListener ? m_userListener->serverPort() : 0;
}

quint16 ServerRuntime::hranaPort() const
{
    return m_hranaListener ? m_hranaListener->serverPort() : 0;
}

quint16 ServerRuntime::adminPort() const
{
    return m_adminListener ? m_adminListener->serverPort() : 0;
}

void ServerRuntime::dispatch(http::RouteContext &&ctx, const QString &ns,
                             std::function<void(hrana::Engine &, hrana::Job &&)> op)
{
    if (m_stopped) { // while stopping, requests already received still run
        ctx.reply(http::Response::error(503, "Namespace store has shutdown"));
        return;
    }
    if (!m_registry->exists(ns) || m_registry->busy(ns)) {
        ctx.reply(http::Response::error(404, "Namespace `" + ns.toUtf8() + "` doesn't exist"));
        return;
    }
    const int w = workerFor(ns);
    hrana::Engine *engine = m_engines[w].get();
    util::ResponseBudget *budget = m_budget.get();
    // Bodies built by the worker are charged to the response budget until the connection has written them.
    http::ReplyChannel charged = [budget, inner = ctx.reply](http::Response r) {
        r.charged = r.body.size();
        budget->charge(r.charged);
        inner(std::move(r));
    };
    // sqld's order (spec 2.3): namespace (400), existence (404, above), authentication (401), then the token must
    // at least read the namespace, else 404 as if it did not exist.
    QByteArray authError;
    const auto authenticator = authenticatorFor(ns, &authError);
    if (!authenticator) {
        ctx.reply(http::Response::error(500, "Internal Error: `" + authError + "`"));
        return;
    }
    QByteArray credential = ctx.request.header("authorization");
    if (credential.isEmpty())
        credential = ctx.request.header("x-authorization"); // the gRPC-style header of embedded replicas
    auto authenticated = authenticator->authenticate(credential, QDateTime::currentSecsSinceEpoch());
    if (auto *e = std::get_if<auth::AuthError>(&authenticated)) {
        ctx.reply(http::Response::json(401, auth::http401Body(*e)));
        return;
    }
    auto permissions = std::get<auth::Permissions>(std::move(authenticated));
    if (!permissions.allows(auth::Right::Read, ns)) {
        ctx.reply(http::Response::error(404, "Namespace `" + ns.toUtf8() + "` doesn't exist"));
        return;
    }
    hrana::Job job{ns, m_registry->config(ns), hrana::AccessContext{ns, std::move(permissions), m_attachable},
                   std::move(ctx.request.body), std::move(charged), std::move(ctx.cancel)};
    const auto queuedAt = std::chrono::steady_clock::now();
    const auto maxWait = std::chrono::milliseconds(static_cast<qint64>(m_config.connectionCreationTimeoutS * 1000));
    const bool queued = m_workers[w]->post([engine, op = std::move(op), job = std::move(job), queuedAt,
                                            maxWait]() mutable {
        // sqld's --connection-creation-timeout-sec: a request that waited too long for its worker is refused.
        if (std::chrono::steady_clock::now() - queuedAt > maxWait) {
            job.reply(http::Response::error(429, "Timed out while opening database connection"));
            return;
        }
        if (job.cancel && job.cancel->cancelled)
            return; // the client is gone
        op(*engine, std::move(job));
    }, m_config.maxConcurrentRequests);
    if (!queued)
        ctx.reply(http::Response::error(503, "Too many concurrent requests"));
}

void ServerRuntime::onWorker(const QString &ns, std::function<http::Response(hrana::Engine &)> work,
                             std::function<void(http::Response)> done)
{
    const int w = workerFor(ns);
    hrana::Engine *engine = m_engines[w].get();
    m_workers[w]->postAlways([this, engine, work = std::move(work), done = std::move(done)]() mutable {
        http::Response r = work(*engine);
        QMetaObject::invokeMethod(this, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); },
                                  Qt::QueuedConnection);
    });
}

void ServerRuntime::createNamespace(const QString &ns, const ns::NamespaceConfig &config, QByteArray dumpSql,
                                    QString dumpFile, bool removeDumpFile, http::ReplyChannel reply)
{
    m_registry->setBusy(ns, true);
    const QString how = !dumpSql.isEmpty() ? u" from an uploaded dump of %1 bytes"_s.arg(dumpSql.size())
        : !dumpFile.isEmpty()               ? u" from a dump"_s
                                            : QString();
    onWorker(ns, [ns, dumpSql = std::move(dumpSql), dumpFile, removeDumpFile](hrana::Engine &e) {
        http::Response r = e.createNamespace(ns, dumpSql, dumpFile);
        if (removeDumpFile)
            QFile::remove(dumpFile);
        return r;
    }, [this, ns, config, how, reply = std::move(reply)](http::Response resp) {
        m_registry->setBusy(ns, false);
        if (resp.status == 200) {
            QString error;
            if (!m_metastore->put(ns, config, &error)) {
                onWorker(ns, [ns](hrana::Engine &e) {
                    e.dropNamespace(ns);
                    return http::Response::empty(200);
                }, [](http::Response) {});
                return reply(http::Response::error(500, "Internal Error: `" + error.toUtf8() + "`"));
            }
            m_registry->add(ns);
            m_registry->setConfig(ns, config);
            refreshAttachable();
            qCInfo(lcAdmin).noquote() << QStringLiteral("ns=") + ns << u"created"_s + how;
        }
        reply(std::move(resp));
    });
}

void ServerRuntime::dispatchUser(http::RouteContext &&ctx, std::function<void(hrana::Engine &, hrana::Job &&)> op)
{
    auto resolved = ns::resolveNamespace(ctx.request, {m_config.enableNamespaces, m_config.disableDefaultNamespace});
    if (auto *resp = std::get_if<http::Response>(&resolved)) {
        ctx.reply(std::move(*resp));
        return;
    }
    const QString ns = std::get<QString>(resolved);
    dispatch(std::move(ctx), ns, std::move(op));
}

void ServerRuntime::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    qCInfo(lcRuntime) << "shutting down: no new connections; finishing requests in flight";
    m_tick.stop();
    m_checkpoint.stop();
    m_heartbeat.stop();
    if (m_ws)
        m_ws->closeAll(); // WebSocket clients reconnect; their streams roll back
    wakeAllPollers();    // long polls answer "nothing new" now
    int open = 0;
    if (m_hranaListener)
        m_hranaListener->stopAccepting();
    for (http::Listener *l : {m_userListener, m_adminListener}) {
        if (!l)
            continue;
        l->stopAccepting();
        connect(l, &http::Listener::allConnectionsClosed, this, [this] {
            const bool userDone = !m_userListener || m_userListener->connectionCount() == 0;
            const bool adminDone = !m_adminListener || m_adminListener->connectionCount() == 0;
            if (userDone && adminDone)
                finishStop();
        });
        open += l->connectionCount();
        l->closeAllWhenIdle();
    }
    if (open == 0) {
        QMetaObject::invokeMethod(this, &ServerRuntime::finishStop, Qt::QueuedConnection);
        return;
    }
    m_shutdownDeadline.setSingleShot(true);
    connect(&m_shutdownDeadline, &QTimer::timeout, this, [this] {
        qCWarning(lcRuntime) << "shutdown timeout reached; closing the remaining connections";
        finishStop();
    });
    m_shutdownDeadline.start(m_config.shutdownTimeoutS * 1000);
}

void ServerRuntime::finishStop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    m_shutdownDeadline.stop();
    // Connections still open after the grace period are cut, so that nothing asks a stopped worker for work.
    for (http::Listener *l : {m_userListener, m_adminListener}) {
        if (l) {
            l->stopAccepting();
            l->abortAll();
        }
    }
    // Streams roll back, WALs are checkpointed, connections close: on each engine's own thread.
    for (size_t i = 0; i < m_workers.size(); ++i) {
        hrana::Engine *engine = m_engines[i].get();
        for (auto &c : m_workers)
            Q_UNUSED(c);
        m_workers[i]->postAlways([engine] { engine->shutdown(); });
        m_workers[i]->stop();
    }
    const bool wasRunning = !m_workers.empty(); // a start that failed early has nothing to report
    m_workers.clear();
    m_engines.clear();
    if (wasRunning)
        qCInfo(lcRuntime) << "stopped; every WAL checkpointed";
    emit stopped();
}

} // namespace qsqld::runtime
