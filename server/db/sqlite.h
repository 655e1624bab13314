#pragma once

// Thin RAII wrappers over the SQLite C API. Owned by one SqliteWorker thread each:
// a Connection and its Statements must only be touched by the thread that opened them
// (sqlite3_interrupt through Connection::interrupt() is the one call that is safe from anywhere).

#include <sqlite3.h>

#include <QByteArray>
#include <QString>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

namespace qsqld::db {

// SQLITE_TRANSIENT is an old-style cast in sqlite3.h; wrap it once here so -Wold-style-cast stays on elsewhere.
sqlite3_destructor_type transientDestructor();

// The SQLite error of a failed call, with both the extended and the primary code.
struct DbError
{
    int code = SQLITE_OK;  // extended result code
    QByteArray message;
    int offset = -1;       // sqlite3_error_offset() after a failed prepare, -1 when unknown
    QByteArray sql;        // the statement text, when known (to locate names in messages)
    int primary() const { return code & 0xff; }
};

// Cancellation shared between the I/O thread (which sets `cancelled` when the client goes away)
// and the worker's progress handler. `deadline` is a steady-clock time after which work is interrupted.
struct CancelToken
{
    std::atomic<bool> cancelled{false};
};

class Statement
{
public:
    Statement() = default;
    explicit Statement(sqlite3_stmt *stmt) : m_stmt(stmt) { }
    Statement(Statement &&other) noexcept : m_stmt(std::exchange(other.m_stmt, nullptr)) { }
    Statement &operator=(Statement &&other) noexcept;
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    ~Statement();

    sqlite3_stmt *get() const { return m_stmt; }
    explicit operator bool() const { return m_stmt != nullptr; }
    sqlite3_stmt *release() { return std::exchange(m_stmt, nullptr); }

private:
    sqlite3_stmt *m_stmt = nullptr;
};

class Connection
{
public:
    Connection() = default;
    Connection(Connection &&other) noexcept;
    Connection &operator=(Connection &&other) noexcept;
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;
    ~Connection();

    // Opens `path` read-write (and creates it when `create`). Sets busy_timeout 0: writers are arbitrated by the worker.
    static std::optional<Connection> open(const QString &path, bool create, DbError *error);

    sqlite3 *get() const { return m_db; }
    explicit operator bool() const { return m_db != nullptr; }

    // Runs SQL that returns no rows (pragmas, BEGIN/COMMIT). Returns false and fills `error` on failure.
    bool exec(const char *sql, DbError *error = nullptr);
    DbError lastError() const;
    bool isAutocommit() const { return sqlite3_get_autocommit(m_db) != 0; }
    bool holdsWriteLock() const;

    // Work done after `deadline` or once `token->cancelled` is set fails with SQLITE_INTERRUPT.
    void setDeadline(std::chrono::steady_clock::time_point deadline, std::shared_ptr<CancelToken> token);
    void clearDeadline();
    bool deadlinePassed() const { return m_deadlinePassed; }

private:
    static int progressHandler(void *self);

    sqlite3 *m_db = nullptr;
    std::chrono::steady_clock::time_point m_deadline = std::chrono::steady_clock::time_point::max();
    std::shared_ptr<CancelToken> m_token;
    bool m_deadlinePassed = false;
};

// "SQLITE_CONSTRAINT" etc.: sqld's name of a primary result code (generic SQLITE_ERROR is "SQLITE_UNKNOWN").
QByteArray primaryCodeName(int code);

} // namespace qsqld::db

namespace qsqld::db {

// A small per-connection cache of prepared statements keyed by SQL text (LRU, bounded).
// Statements are handed out exclusively and returned reset; worker thread only.
class StatementCache
{
public:
    explicit StatementCache(int capacity = 32) : m_capacity(capacity) { }
    StatementCache(const StatementCache &) = delete;
    StatementCache &operator=(const StatementCache &) = delete;
    ~StatementCache() { clear(); }

    // A prepared statement for `sql` (which must be exactly one statement), or null with `error` filled.
    sqlite3_stmt *acquire(sqlite3 *db, const QByteArray &sql, DbError *error);
    void release(const QByteArray &sql, sqlite3_stmt *stmt); // resets, unbinds, and keeps it
    void clear();

private:
    struct Entry
    {
        QByteArray sql;
        sqlite3_stmt *stmt;
    };
    int m_capacity;
    std::vector<Entry> m_entries; // most recently used last
};

} // namespace qsqld::db
