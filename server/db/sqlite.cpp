#include "sqlite.h"

#include <utility>

namespace qsqld::db {

namespace {
constexpr int PROGRESS_OPS = 1000; // VM steps between deadline checks
}

sqlite3_destructor_type transientDestructor()
{
    return SQLITE_TRANSIENT; // NOLINT: the one place the old-style cast macro is used
}

Statement &Statement::operator=(Statement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_stmt = std::exchange(other.m_stmt, nullptr);
    }
    return *this;
}

Statement::~Statement()
{
    sqlite3_finalize(m_stmt);
}

Connection::Connection(Connection &&other) noexcept
{
    *this = std::move(other);
}

Connection &Connection::operator=(Connection &&other) noexcept
{
    if (this != &other) {
        if (m_db)
            sqlite3_close_v2(m_db);
        m_db = std::exchange(other.m_db, nullptr);
        m_deadline = other.m_deadline;
        m_token = std::move(other.m_token);
        if (m_db)
            sqlite3_progress_handler(m_db, PROGRESS_OPS, &Connection::progressHandler, this);
    }
    return *this;
}

Connection::~Connection()
{
    if (m_db)
        sqlite3_close_v2(m_db);
}

std::optional<Connection> Connection::open(const QString &path, bool create, DbError *error)
{
    sqlite3 *raw = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_URI;
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &raw, flags, nullptr);
    if (rc != SQLITE_OK) {
        if (error) {
            error->code = rc;
            error->message = raw ? QByteArray(sqlite3_errmsg(raw)) : QByteArray(sqlite3_errstr(rc));
        }
        sqlite3_close_v2(raw);
        return std::nullopt;
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 0);
    Connection conn;
    conn.m_db = raw;
    sqlite3_progress_handler(raw, PROGRESS_OPS, &Connection::progressHandler, &conn);
    return std::optional<Connection>(std::move(conn));
}

bool Connection::exec(const char *sql, DbError *error)
{
    char *msg = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &msg);
    if (rc != SQLITE_OK && error) {
        error->code = sqlite3_extended_errcode(m_db);
        error->message = msg ? QByteArray(msg) : QByteArray(sqlite3_errstr(rc));
    }
    sqlite3_free(msg);
    return rc == SQLITE_OK;
}

DbError Connection::lastError() const
{
    DbError e;
    e.code = sqlite3_extended_errcode(m_db);
    e.message = QByteArray(sqlite3_errmsg(m_db));
    e.offset = sqlite3_error_offset(m_db);
    return e;
}

bool Connection::holdsWriteLock() const
{
    return sqlite3_txn_state(m_db, "main") == SQLITE_TXN_WRITE;
}

void Connection::setDeadline(std::chrono::steady_clock::time_point deadline, std::shared_ptr<CancelToken> token)
{
    m_deadline = deadline;
    m_token = std::move(token);
    m_deadlinePassed = false;
}

void Connection::clearDeadline()
{
    m_deadline = std::chrono::steady_clock::time_point::max();
    m_token.reset();
}

int Connection::progressHandler(void *self)
{
    auto *conn = static_cast<Connection *>(self);
    if (conn->m_token && conn->m_token->cancelled.load(std::memory_order_relaxed))
        return 1;
    if (std::chrono::steady_clock::now() > conn->m_deadline) {
        conn->m_deadlinePassed = true;
        return 1;
    }
    return 0;
}

QByteArray primaryCodeName(int code)
{
    switch (code & 0xff) {
    case SQLITE_ERROR: return "SQLITE_UNKNOWN";
    case SQLITE_INTERNAL: return "SQLITE_INTERNAL";
    case SQLITE_PERM: return "SQLITE_PERM";
    case SQLITE_ABORT: return "SQLITE_ABORT";
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND: return "SQLITE_NOTFOUND";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
    case SQLITE_EMPTY: return "SQLITE_EMPTY";
    case SQLITE_SCHEMA: return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_MISUSE: return "SQLITE_MISUSE";
    case SQLITE_NOLFS: return "SQLITE_NOLFS";
    case SQLITE_AUTH: return "SQLITE_AUTH";
    case SQLITE_FORMAT: return "SQLITE_FORMAT";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    default: return "SQLITE_UNKNOWN";
    }
}

} // namespace qsqld::db

namespace qsqld::db {

sqlite3_stmt *StatementCache::acquire(sqlite3 *db, const QByteArray &sql, DbError *error)
{
    for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it) {
        if (it->sql == sql) {
            sqlite3_stmt *stmt = it->stmt;
            m_entries.erase(std::next(it).base());
            return stmt;
        }
    }
    sqlite3_stmt *stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.constData(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        if (error) {
            error->code = sqlite3_extended_errcode(db);
            error->message = QByteArray(sqlite3_errmsg(db));
            error->offset = sqlite3_error_offset(db);
        }
        return nullptr;
    }
    return stmt;
}

void StatementCache::release(const QByteArray &sql, sqlite3_stmt *stmt)
{
    if (!stmt)
        return;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (m_capacity <= 0 || sql.size() > 4096) {
        sqlite3_finalize(stmt);
        return;
    }
    if (static_cast<int>(m_entries.size()) >= m_capacity) {
        sqlite3_finalize(m_entries.front().stmt);
        m_entries.erase(m_entries.begin());
    }
    m_entries.push_back({sql, stmt});
}

void StatementCache::clear()
{
    for (auto &e : m_entries)
        sqlite3_finalize(e.stmt);
    m_entries.clear();
}

} // namespace qsqld::db
