#include "namespacedb.h"

#include "sql/extensions.h"

#include <QDir>
#include <QFile>

namespace qsqld::hrana {

namespace {

constexpr int MAX_ROW_SIZE = 5'000'000; // sqld's default max_row_size → SQLITE_LIMIT_LENGTH

void databaseNameFunction(sqlite3_context *ctx, int, sqlite3_value **)
{
    const auto *name = static_cast<const QByteArray *>(sqlite3_user_data(ctx));
    sqlite3_result_text(ctx, name->constData(), static_cast<int>(name->size()), db::transientDestructor());
}

void deleteName(void *p)
{
    delete static_cast<QByteArray *>(p);
}

} // namespace

std::unique_ptr<Session> NamespaceDb::openSession(bool create, bool walAutocheckpoint, QByteArray *error) const
{
    db::DbError err;
    auto conn = db::Connection::open(file, create, &err);
    if (!conn) {
        *error = "cannot open database of namespace `" + name.toUtf8() + "`: " + err.message;
        return nullptr;
    }
    auto session = std::make_unique<Session>();
    session->conn = std::move(*conn);
    sqlite3 *raw = session->conn.get();
    // Opening may briefly meet a lock (another connection checkpointing as it closes): wait a little for the setup,
    // then run with no busy wait, since the worker arbitrates writers itself.
    sqlite3_busy_timeout(raw, 5000);
    // WAL mode is persistent (set when the namespace was created); switching needs a lock that a reader elsewhere
    // (a dump's snapshot, say) would refuse, so only switch a file that is not in WAL mode yet.
    sqlite3_stmt *mode = nullptr;
    bool isWal = false;
    if (sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &mode, nullptr) == SQLITE_OK
        && sqlite3_step(mode) == SQLITE_ROW)
        isWal = qstricmp(reinterpret_cast<const char *>(sqlite3_column_text(mode, 0)), "wal") == 0;
    sqlite3_finalize(mode);
    if (!isWal && !session->conn.exec("PRAGMA journal_mode=WAL;", &err)) {
        *error = "cannot enable WAL for namespace `" + name.toUtf8() + "`: " + err.message;
        return nullptr;
    }
    const char *setup = walAutocheckpoint ? "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=1000;"
                                          : "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;";
    if (!session->conn.exec(setup, &err)) {
        *error = "cannot configure database of namespace `" + name.toUtf8() + "`: " + err.message;
        return nullptr;
    }
    const QByteArray cache = "PRAGMA cache_size=-" + QByteArray::number(pageCacheKib) + ';';
    if (!session->conn.exec(cache.constData(), &err)) {
        *error = "cannot configure database of namespace `" + name.toUtf8() + "`: " + err.message;
        return nullptr;
    }
    sqlite3_busy_timeout(raw, 0);
    if (!sql::loadExtensions(raw, extensions, error))
        return nullptr;
    session->sandbox.install(raw);
    if (log)
        log->attach(raw, walAutocheckpoint); // after the pragmas: wal_autocheckpoint installs a hook of its own
    sqlite3_limit(raw, SQLITE_LIMIT_LENGTH, MAX_ROW_SIZE);
    sqlite3_create_function_v2(raw, "libsql_server_database_name", 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                               new QByteArray(name.toUtf8()), &databaseNameFunction, nullptr, nullptr, &deleteName);
    return session;
}

qint64 NamespaceDb::storageBytes(Session &s)
{
    qint64 pages = 0, freePages = 0, pageSize = 4096;
    auto pragma = [&s](const char *sql) -> qint64 {
        sqlite3_stmt *st = nullptr;
        qint64 v = 0;
        if (sqlite3_prepare_v2(s.conn.get(), sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
    };
    pages = pragma("PRAGMA page_count");
    freePages = pragma("PRAGMA freelist_count");
    pageSize = pragma("PRAGMA page_size");
    return (pages - freePages) * pageSize;
}

void configure(Session &s, const ns::NamespaceConfig &config)
{
    sqlite3 *raw = s.conn.get();
    constexpr quint64 SQLITE_MAX_PAGES = 4294967294ULL;
    const quint64 pages = std::min(config.pageLimit().value_or(SQLITE_MAX_PAGES), SQLITE_MAX_PAGES);
    if (s.appliedPages != pages) {
        s.conn.exec(QByteArray("PRAGMA max_page_count=" + QByteArray::number(pages)).constData());
        s.appliedPages = pages;
    }
    const int durability = static_cast<int>(config.durabilityMode);
    if (s.appliedDurability != durability && s.conn.isAutocommit()) {
        const QByteArray pragma = "PRAGMA synchronous=" + ns::synchronousPragmaValue(config.durabilityMode).toByteArray();
        s.conn.exec(pragma.constData());
        s.appliedDurability = durability;
    }
    if (s.appliedRowSize != config.maxRowSize) {
        sqlite3_limit(raw, SQLITE_LIMIT_LENGTH,
                      static_cast<int>(std::min<quint64>(config.maxRowSize, 1'000'000'000)));
        s.appliedRowSize = config.maxRowSize;
    }
}

QByteArray initializeDatabase(const QString &dir)
{
    if (!QDir().mkpath(dir))
        return "cannot create directory " + dir.toUtf8();
    const QString file = dir + u"/data";
    const bool existed = QFile::exists(file);
    db::DbError err;
    auto conn = db::Connection::open(file, true, &err);
    if (!conn)
        return "cannot create database " + file.toUtf8() + ": " + err.message;
    if (!existed && !conn->exec("PRAGMA page_size=4096;", &err))
        return "cannot set page size: " + err.message;
    if (!conn->exec("PRAGMA journal_mode=WAL;", &err))
        return "cannot enable WAL: " + err.message;
    // sqld trusts its own replication log unless .sentinel exists; qsqld keeps none, so always leave it.
    QFile sentinel(dir + u"/.sentinel");
    if (!sentinel.exists() && !sentinel.open(QIODevice::WriteOnly))
        return "cannot create " + sentinel.fileName().toUtf8();
    return {};
}

} // namespace qsqld::hrana
