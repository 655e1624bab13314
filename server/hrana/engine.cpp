#include "engine.h"

#include "dump.h"
#include "dumploader.h"
#include "namespacedb.h"
#include "pipelinerun.h"

#include "ns/namespaceregistry.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QMessageAuthenticationCode>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QtEndian>

namespace qsqld::hrana {

using namespace std::chrono;

Q_LOGGING_CATEGORY(lcEngine, "qsqld.engine", QtInfoMsg)

namespace {
constexpr auto TOMBSTONE_TTL = seconds(300); // STREAM_EXPIRED is answered this long after expiry
constexpr int BATON_BYTES = 48;

bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}
} // namespace

Engine::Engine(EngineConfig config) : m_config(std::move(config))
{
    m_limits.maxResponseSize = m_config.maxResponseSize;
    m_limits.statementTimeout = m_config.statementTimeout;
    m_limits.budget = m_config.budget;
}

Engine::~Engine()
{
    shutdown();
}

NamespaceDb *Engine::namespaceDb(const QString &ns, bool create, QByteArray *error)
{
    if (NamespaceDb *db = m_namespaces.value(ns)) {
        db->lastUsed = steady_clock::now();
        return db;
    }
    closeIdleNamespaces(ns);
    auto db = std::make_unique<NamespaceDb>();
    db->name = ns;
    db->pageCacheKib = m_config.pageCacheKib;
    db->extensions = m_config.extensions;
    db->dir = m_config.dbRoot + u'/' + ns;
    db->file = db->dir + u"/data";
    if (const QString link = ns::symlinkIn(db->dir); !link.isEmpty()) {
        *error = "namespace `" + ns.toUtf8() + "`: " + link.toUtf8()
            + " is a symbolic link; qsqld serves only files inside --db-path";
        qCWarning(lcEngine, "ns=%s refused: %s is a symbolic link", qPrintable(ns), qPrintable(link));
        return nullptr;
    }
    if (!QFile::exists(db->file)) {
        if (!create) {
            *error = "Namespace `" + ns.toUtf8() + "` doesn't exist";
            return nullptr;
        }
        if (QByteArray e = initializeDatabase(db->dir); !e.isEmpty()) {
            *error = e;
            return nullptr;
        }
    } else if (!QFile::exists(db->dir + u"/.sentinel")) {
        QFile(db->dir + u"/.sentinel").open(QIODevice::WriteOnly);
    }
    // Before any session: the log checkpoints the WAL empty, and every session's commits are captured.
    if (m_config.replicationLog)
        db->log = repl::ReplicationLog::open(db->dir, db->file, &db->logError);
    else
        db->logError = "the server runs with --disable-replication-log";
    if (db->log) {
        repl::CompactionPolicy policy = m_config.compaction;
        policy.ns = ns;
        db->log->setPolicy(std::move(policy));
        if (m_config.onCommit)
            db->log->setCommitListener([cb = m_config.onCommit, ns](quint64 frame) { cb(ns, frame); });
    } else if (m_config.replicationLog) {
        qCWarning(lcEngine, "ns=%s served without replication: %s", qPrintable(ns), db->logError.constData());
    }
    db->stats.load(db->statsFile());
    NamespaceDb *raw = db.release();
    m_namespaces.insert(ns, raw);
    return raw;
}

std::unique_ptr<Session> Engine::takeSession(const QString &ns, QByteArray *error)
{
    NamespaceDb *db = namespaceDb(ns, true, error); // the caller's namespace exists (the registry checked)
    if (!db)
        return nullptr;
    if (!db->idle.empty()) {
        auto s = std::move(db->idle.back());
        db->idle.pop_back();
        return s;
    }
    return db->openSession(false, m_config.walAutocheckpoint, error);
}

void Engine::returnSession(const QString &ns, std::unique_ptr<Session> session)
{
    if (!session)
        return;
    if (!session->conn.isAutocommit())
        session->conn.exec("ROLLBACK");
    session->storedSql.clear();
    session->txnTimedOut = false;
    NamespaceDb *db = m_namespaces.value(ns);
    if (db && static_cast<int>(db->idle.size()) < m_config.maxIdleSessionsPerNamespace)
        db->idle.push_back(std::move(session));
    // else: the session closes here
    resumeWaiters(ns);
}

QByteArray Engine::makeBaton(const Stream &s) const
{
    QByteArray raw(16, Qt::Uninitialized);
    qToBigEndian<quint64>(s.id, raw.data());
    qToBigEndian<quint64>(s.seq, raw.data() + 8);
    raw += QMessageAuthenticationCode::hash(raw, m_config.batonKey, QCryptographicHash::Sha256);
    return raw.toBase64(QByteArray::Base64Encoding | QByteArray::OmitTrailingEquals);
}

Engine::BatonStatus Engine::lookupBaton(const QByteArray &baton, const QString &ns, Stream **out)
{
    auto decoded = QByteArray::fromBase64Encoding(baton, QByteArray::Base64Encoding
                                                  | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != BATON_BYTES)
        return BatonStatus::Invalid;
    const QByteArray &raw = decoded.decoded;
    const QByteArray mac = QMessageAuthenticationCode::hash(raw.left(16), m_config.batonKey,
                                                            QCryptographicHash::Sha256);
    if (!constantTimeEquals(mac, QByteArrayView(raw).sliced(16)))
        return BatonStatus::Invalid;
    const quint64 id = qFromBigEndian<quint64>(raw.constData());
    const quint64 seq = qFromBigEndian<quint64>(raw.constData() + 8);
    auto it = m_streams.find(id);
    if (it == m_streams.end())
        return m_expired.contains(id) ? BatonStatus::Expired : BatonStatus::Invalid;
    if (it->second.ns != ns)
        return BatonStatus::WrongNamespace;
    if (it->second.inUse || it->second.seq != seq)
        return BatonStatus::Reused;
    *out = &it->second;
    return BatonStatus::Ok;
}

Engine::Stream *Engine::newStream(const QString &ns, QByteArray *error)
{
    auto session = takeSession(ns, error);
    if (!session)
        return nullptr;
    Stream s;
    s.id = (static_cast<quint64>(m_config.workerIndex) << 56) | m_nextStreamId++;
    s.seq = QRandomGenerator::system()->generate64() >> 1;
    s.ns = ns;
    s.session = std::move(session);
    s.lastUsed = steady_clock::now();
    const quint64 id = s.id;
    auto [it, inserted] = m_streams.emplace(id, std::move(s));
    return &it->second;
}

void Engine::destroyStream(quint64 id, bool tombstone)
{
    auto it = m_streams.find(id);
    if (it == m_streams.end())
        return;
    const QString ns = it->second.ns;
    if (!it->second.proxyClient.isEmpty())
        m_proxyStreams.remove(it->second.proxyClient);
    std::unique_ptr<Session> session = std::move(it->second.session);
    m_streams.erase(it);
    if (tombstone)
        m_expired.insert(id, steady_clock::now());
    returnSession(ns, std::move(session));
}

bool Engine::namespaceWriteLocked(const QString &ns, const Session *except) const
{
    for (const auto &[sid, s] : m_streams) {
        if (s.ns == ns && s.session && s.session.get() != except && s.session->conn.holdsWriteLock())
            return true;
    }
    return false;
}

http::Response Engine::createNamespace(const QString &ns, const QByteArray &dumpSql, const QString &dumpFile)
{
    QByteArray error;
    const QString dir = m_config.dbRoot + u'/' + ns;
    if (QFile::exists(dir + u"/data"))
        return http::Response::error(400, "Namespace `" + ns.toUtf8() + "` already exists");
    if (!namespaceDb(ns, true, &error))
        return http::Response::error(500, "Internal Error: `" + error + "`");
    if (dumpSql.isEmpty() && dumpFile.isEmpty())
        return http::Response::empty(200);

    QByteArray text = dumpSql;
    QFile file(dumpFile);
    if (!dumpFile.isEmpty()) {
        // Mapped, not read: a large dump is paged in by the kernel as the loader walks it.
        if (!file.open(QIODevice::ReadOnly)) {
            dropNamespace(ns);
            return http::Response::error(400, "Cannot read the dump file " + dumpFile.toUtf8());
        }
        uchar *map = file.size() > 0 ? file.map(0, file.size()) : nullptr;
        text = map ? QByteArray::fromRawData(reinterpret_cast<const char *>(map), file.size()) : file.readAll();
    }
    auto session = takeSession(ns, &error);
    std::optional<DumpLoadError> failed;
    if (!session)
        failed = DumpLoadError{500, "Internal Error: `" + error + "`"};
    else
        failed = loadDump(*session, text);
    if (session)
        returnSession(ns, std::move(session));
    if (failed) {
        dropNamespace(ns);
        return http::Response::error(failed->status, failed->message);
    }
    return http::Response::empty(200);
}

http::Response Engine::forkNamespace(const QString &from, const QString &to)
{
    QByteArray error;
    const QString dir = m_config.dbRoot + u'/' + to;
    if (QFile::exists(dir + u"/data"))
        return http::Response::error(400, "Namespace `" + to.toUtf8() + "` already exists");
    auto source = takeSession(from, &error);
    if (!source)
        return http::Response::error(500, "Internal Error: `" + error + "`");
    QByteArray failure = initializeDatabase(dir);
    if (failure.isEmpty()) {
        db::DbError err;
        auto target = db::Connection::open(dir + u"/data", false, &err);
        if (!target) {
            failure = err.message;
        } else {
            sqlite3_backup *backup = sqlite3_backup_init(target->get(), "main", source->conn.get(), "main");
            if (!backup) {
                failure = target->lastError().message;
            } else {
                // One step copies the whole database from one read snapshot of the source.
                const int rc = sqlite3_backup_step(backup, -1);
                sqlite3_backup_finish(backup);
                if (rc != SQLITE_DONE)
                    failure = QByteArray("backup failed: ") + sqlite3_errstr(rc);
                else if (!target->exec("PRAGMA journal_mode=WAL;", &err))
                    failure = err.message;
            }
        }
    }
    returnSession(from, std::move(source));
    if (!failure.isEmpty()) {
        QDir(dir).removeRecursively();
        return http::Response::error(500, "Internal Error: `" + failure + "`");
    }
    return http::Response::empty(200);
}

QByteArray Engine::dropNamespace(const QString &ns)
{
    // Streams of this namespace die with it; their batons become invalid.
    QList<quint64> ids;
    for (const auto &[sid, s] : m_streams) {
        if (s.ns == ns)
            ids.append(s.id);
    }
    for (quint64 id : ids) {
        m_proxyStreams.remove(m_streams[id].proxyClient);
        m_streams.erase(id);
    }
    // Runs waiting for this namespace's write lock are answered now.
    for (auto it = m_waiting.begin(); it != m_waiting.end();) {
        if ((*it)->ns == ns) {
            auto run = std::move(*it);
            it = m_waiting.erase(it);
            failPipeline(*run, http::Response::error(404, "Namespace `" + ns.toUtf8() + "` doesn't exist"));
        } else {
            ++it;
        }
    }
    delete m_namespaces.take(ns); // closes idle sessions
    QDir dir(m_config.dbRoot + u'/' + ns);
    if (dir.exists() && !dir.removeRecursively())
        return "cannot remove " + dir.path().toUtf8();
    return {};
}

void Engine::closeIdleNamespaces(const QString &keep)
{
    while (m_namespaces.size() >= m_config.maxOpenNamespaces) {
        NamespaceDb *oldest = nullptr;
        for (NamespaceDb *db : std::as_const(m_namespaces)) {
            if (db->name == keep || (oldest && oldest->lastUsed <= db->lastUsed))
                continue;
            const bool held = std::any_of(m_streams.begin(), m_streams.end(),
                                          [db](const auto &s) { return s.second.ns == db->name; })
                || std::any_of(m_waiting.begin(), m_waiting.end(), [db](const auto &run) { return run->ns == db->name; });
            if (!held)
                oldest = db;
        }
        if (!oldest)
            return; // everything open is in use: stay above the limit rather than break a transaction
        if (oldest->stats.dirty())
            saveStats(*oldest);
        // Closes its idle connections, then its replication log cleanly (reopened as it is on next use).
        qCDebug(lcEngine, "ns=%s closed: least recently used of %d open", qPrintable(oldest->name),
                static_cast<int>(m_namespaces.size()));
        delete m_namespaces.take(oldest->name);
    }
}

void Engine::saveStats(NamespaceDb &db)
{
    QByteArray error;
    std::unique_ptr<Session> s;
    if (!db.idle.empty()) {
        s = std::move(db.idle.back());
        db.idle.pop_back();
    } else {
        s = db.openSession(false, m_config.walAutocheckpoint, &error);
    }
    const qint64 bytes = s ? NamespaceDb::storageBytes(*s) : 0;
    db.stats.save(db.statsFile(), bytes);
    if (s)
        db.idle.push_back(std::move(s));
}

void Engine::noteReplication(const QString &ns, quint64 frames, bool delegatedWrite)
{
    if (NamespaceDb *db = m_namespaces.value(ns)) {
        db->stats.recordReplication(frames, delegatedWrite);
        db->activitySent = false;
    }
}

QByteArray Engine::statsJson(const QString &ns, QByteArray *error)
{
    NamespaceDb *db = namespaceDb(ns, ns == u"default", error);
    if (!db)
        return {};
    auto s = takeSession(ns, error);
    if (!s)
        return {};
    const qint64 bytes = NamespaceDb::storageBytes(*s);
    returnSession(ns, std::move(s));
    NamespaceStats::ReplicationStatus replication;
    if (db->log) {
        replication.frameNo = db->log->lastFrameNo();
        replication.logId = db->log->logId().toByteArray(QUuid::WithoutBraces);
        replication.logBytes = db->log->sizeBytes();
        replication.snapshots = static_cast<int>(db->log->snapshots().all().size());
    }
    return db->stats.toJson(bytes, QDateTime::currentMSecsSinceEpoch(), replication);
}

void Engine::dump(Job job, bool preserveRowIds, http::StreamSink sink, std::function<void(std::function<void()>)> post)
{
    QByteArray error;
    auto session = takeSession(job.ns, &error);
    std::unique_ptr<Dump> d = session ? Dump::start(std::move(session), preserveRowIds, &error) : nullptr;
    if (!d) {
        job.reply(http::Response::error(error.contains("doesn't exist") ? 404 : 500, error));
        return;
    }
    streamDump(std::move(d), std::move(sink), std::move(post), std::move(job.cancel));
}

bool Engine::resetStats(const QString &ns, const QByteArray &kind)
{
    QByteArray error;
    NamespaceDb *db = namespaceDb(ns, ns == u"default", &error);
    if (!db)
        return false;
    if (kind == "top")
        db->stats.resetTop();
    else
        db->stats.resetSlowest();
    saveStats(*db);
    return true;
}

QByteArray Engine::checkpoint(const QString &ns)
{
    NamespaceDb *db = m_namespaces.value(ns);
    if (!db)
        return {}; // not loaded: nothing to do (sqld answers 200 too)
    QByteArray error;
    auto s = takeSession(ns, &error);
    if (!s)
        return error;
    db::DbError err;
    // sqld vacuums when the file has at least 65,536 pages and more than half of them are free.
    sqlite3_stmt *st = nullptr;
    qint64 pages = 0, freePages = 0;
    if (sqlite3_prepare_v2(s->conn.get(), "SELECT * FROM pragma_page_count, pragma_freelist_count", -1, &st,
                           nullptr) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW) {
        pages = sqlite3_column_int64(st, 0);
        freePages = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    QByteArray result;
    if (pages >= 65536 && freePages * 2 > pages && !namespaceWriteLocked(ns, nullptr) && !s->conn.exec("VACUUM", &err))
        result = "VACUUM failed: " + err.message;
    if (result.isEmpty() && !s->conn.exec(namespaceWriteLocked(ns, nullptr) ? "PRAGMA wal_checkpoint(PASSIVE)"
                                                                            : "PRAGMA wal_checkpoint(TRUNCATE)",
                                          &err))
        result = "checkpoint failed: " + err.message;
    returnSession(ns, std::move(s));
    return result;
}

QList<QPair<QString, NamespaceStats::Summary>> Engine::takeActivity()
{
    QList<QPair<QString, NamespaceStats::Summary>> out;
    for (NamespaceDb *db : std::as_const(m_namespaces)) {
        if (db->activitySent)
            continue;
        db->activitySent = true;
        out.append({db->name, db->stats.summary()});
    }
    return out;
}

void Engine::tick()
{
    const auto now = steady_clock::now();
    if (++m_ticks % 5 == 0) { // stats.json every 5 s, as sqld
        for (NamespaceDb *db : std::as_const(m_namespaces)) {
            if (db->stats.dirty())
                saveStats(*db);
        }
    }
    QList<quint64> expired;
    constexpr auto PROXY_IDLE = seconds(30); // sqld's idle limit for replica connections
    for (const auto &[sid, s] : m_streams) {
        if (!s.inUse && !s.pinned && now - s.lastUsed > m_config.streamExpiry)
            expired.append(s.id);
        else if (!s.inUse && !s.proxyClient.isEmpty() && now - s.lastUsed > PROXY_IDLE)
            expired.append(s.id);
    }
    for (quint64 id : expired)
        destroyStream(id, true);
    for (auto it = m_expired.begin(); it != m_expired.end();) {
        if (now - it.value() > TOMBSTONE_TTL)
            it = m_expired.erase(it);
        else
            ++it;
    }
    // Writers that waited past the transaction timeout: roll the lock holder back by force (sqld's rule).
    QSet<QString> retry;
    for (const auto &run : m_waiting) {
        retry.insert(run->ns);
        const NamespaceDb *db = m_namespaces.value(run->ns);
        const auto timeout = db ? std::chrono::milliseconds(db->config.effectiveTxnTimeoutS() * 1000)
                                : m_config.txnTimeout;
        if (now - run->parkedSince < timeout)
            continue;
        for (auto &[sid, s] : m_streams) {
            if (s.ns == run->ns && !s.inUse && s.session && s.session->conn.holdsWriteLock()) {
                s.session->conn.exec("ROLLBACK");
                s.session->txnTimedOut = true;
            }
        }
    }
    for (const QString &ns : retry)
        resumeWaiters(ns);
}

void Engine::checkpointAll(bool truncate)
{
    for (NamespaceDb *db : std::as_const(m_namespaces)) {
        QByteArray error;
        std::unique_ptr<Session> s;
        if (!db->idle.empty()) {
            s = std::move(db->idle.back());
            db->idle.pop_back();
        } else {
            s = db->openSession(false, m_config.walAutocheckpoint, &error);
        }
        if (!s)
            continue;
        const bool busy = namespaceWriteLocked(db->name, nullptr);
        s->conn.exec(truncate && !busy ? "PRAGMA wal_checkpoint(TRUNCATE);" : "PRAGMA wal_checkpoint(PASSIVE);");
        db->idle.push_back(std::move(s));
    }
}

void Engine::shutdown()
{
    for (auto &run : m_waiting)
        failPipeline(*run, http::Response::error(503, "Namespace store has shutdown"));
    m_waiting.clear();
    for (auto &[sid, s] : m_streams)
        s.session.reset();
    m_streams.clear();
    m_proxyStreams.clear();
    checkpointAll(true);
    for (NamespaceDb *db : std::as_const(m_namespaces)) {
        if (db->stats.dirty())
            saveStats(*db);
        QByteArray error;
        if (m_config.snapshotAtShutdown && db->log && !db->log->compact(&error))
            qCWarning(lcEngine, "ns=%s cannot snapshot at shutdown: %s", qPrintable(db->name), error.constData());
    }
    qDeleteAll(m_namespaces);
    m_namespaces.clear();
}

QList<QByteArray> Engine::streamStates() const
{
    QList<QByteArray> states;
    for (const auto &[sid, s] : m_streams)
        states.append(s.inUse ? QByteArray("acquired") : QByteArray());
    return states;
}

} // namespace qsqld::hrana
