#include "dump.h"

#include <cstdlib>

namespace qsqld::hrana {

namespace {

QByteArray columnText(sqlite3_stmt *stmt, int i)
{
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(stmt, i));
    return p ? QByteArray(p, sqlite3_column_bytes(stmt, i)) : QByteArray();
}

// CREATE TABLE x → CREATE TABLE IF NOT EXISTS x (sqld's dumps can be loaded into a database that has the table).
QByteArray ifNotExists(const QByteArray &create)
{
    static const QByteArray prefix = "CREATE TABLE ";
    if (create.startsWith(prefix) && !create.mid(prefix.size()).trimmed().toUpper().startsWith("IF NOT EXISTS"))
        return prefix + "IF NOT EXISTS " + create.mid(prefix.size());
    return create;
}

constexpr qsizetype CHUNK_BYTES = 256 * 1024;

struct DumpStream : std::enable_shared_from_this<DumpStream>
{
    std::unique_ptr<Dump> dump;
    http::StreamSink sink;
    WorkerPoster post;
    std::shared_ptr<db::CancelToken> cancel;

    DumpStream() = default;
    DumpStream(const DumpStream &) = delete;
    DumpStream &operator=(const DumpStream &) = delete;
    ~DumpStream()
    {
        // The last reference may be dropped on the I/O thread (the client went away): close the snapshot on the
        // worker, like every other connection of the namespace.
        if (dump && post)
            post([d = std::shared_ptr<Dump>(std::move(dump))]() mutable { d.reset(); });
    }

    void produce() // worker thread
    {
        if (cancel && cancel->cancelled)
            return; // the client is gone: dropping the last reference closes the snapshot
        QByteArray out;
        out.reserve(CHUNK_BYTES + 4096);
        const bool done = dump->next(out, CHUNK_BYTES);
        std::function<void()> more;
        if (!done) {
            more = [self = shared_from_this()] {
                self->post([self] { self->produce(); });
            };
        }
        sink.send(std::move(out), done, std::move(more));
    }
};

} // namespace

void streamDump(std::unique_ptr<Dump> dump, http::StreamSink sink, WorkerPoster postToWorker,
                std::shared_ptr<db::CancelToken> cancel)
{
    auto stream = std::make_shared<DumpStream>();
    stream->dump = std::move(dump);
    stream->sink = std::move(sink);
    stream->post = std::move(postToWorker);
    stream->cancel = std::move(cancel);
    stream->sink.begin(http::Response::empty(200)); // sqld sends the dump without a Content-Type
    stream->produce();
}

QByteArray quoteIdentifier(const QByteArray &name)
{
    QByteArray q = name;
    q.replace('"', "\"\"");
    return '"' + q + '"';
}

QByteArray sqlLiteral(sqlite3_stmt *stmt, int i)
{
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL: return "NULL";
    case SQLITE_INTEGER: return QByteArray::number(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT: {
        const double v = sqlite3_column_double(stmt, i);
        // Shortest text that reads back to the same double (SQLite's own quote() rule: 15 digits, else 20).
        char *text = sqlite3_mprintf("%!.15g", v);
        if (std::strtod(text, nullptr) != v) {
            sqlite3_free(text);
            text = sqlite3_mprintf("%!.20e", v);
        }
        QByteArray out(text);
        sqlite3_free(text);
        if (out == "Inf")
            return "1e999";
        if (out == "-Inf")
            return "-1e999";
        return out;
    }
    case SQLITE_TEXT: {
        QByteArray t = columnText(stmt, i);
        t.replace('\'', "''");
        return '\'' + t + '\'';
    }
    default: {
        const auto *p = static_cast<const char *>(sqlite3_column_blob(stmt, i));
        return "X'" + QByteArray(p, sqlite3_column_bytes(stmt, i)).toHex() + '\'';
    }
    }
}

std::unique_ptr<Dump> Dump::start(std::unique_ptr<Session> session, bool preserveRowIds, QByteArray *error)
{
    std::unique_ptr<Dump> d(new Dump);
    d->m_session = std::move(session);
    d->m_preserveRowIds = preserveRowIds;
    db::DbError err;
    if (!d->m_session->conn.exec("BEGIN", &err)) {
        *error = err.message;
        return nullptr;
    }
    sqlite3_stmt *st = nullptr;
    // Reading the schema starts the read transaction: everything after sees this snapshot.
    if (sqlite3_prepare_v2(d->m_session->conn.get(),
                           "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL "
                           "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name != 'libsql_wasm_func_table' "
                           "ORDER BY type = 'table' DESC, rowid",
                           -1, &st, nullptr)
        != SQLITE_OK) {
        *error = d->m_session->conn.lastError().message;
        return nullptr;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const QByteArray type = columnText(st, 0);
        const QByteArray sql = columnText(st, 2);
        if (type == "table" && !sql.toUpper().startsWith("CREATE VIRTUAL"))
            d->m_tables.push_back({columnText(st, 1), sql, !sql.toUpper().contains("WITHOUT ROWID")});
        else
            d->m_trailer.append(sql); // indexes, triggers, views, virtual tables
    }
    sqlite3_finalize(st);
    // AUTOINCREMENT counters, as the sqlite3 shell dumps them.
    if (sqlite3_prepare_v2(d->m_session->conn.get(),
                           "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'", -1, &st, nullptr) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
        d->m_tables.push_back({"sqlite_sequence", {}, true});
    sqlite3_finalize(st);
    return d;
}

Dump::~Dump()
{
    sqlite3_finalize(m_rows);
    if (m_session)
        m_session->conn.exec("ROLLBACK");
}

bool Dump::openTable()
{
    const Table &t = m_tables[m_table];
    const QByteArray select = (m_preserveRowIds && t.hasRowid && t.name != "sqlite_sequence")
        ? QByteArray("SELECT rowid, * FROM " + quoteIdentifier(t.name))
        : QByteArray("SELECT * FROM " + quoteIdentifier(t.name));
    return sqlite3_prepare_v2(m_session->conn.get(), select.constData(), static_cast<int>(select.size()), &m_rows,
                              nullptr)
        == SQLITE_OK;
}

bool Dump::next(QByteArray &out, qsizetype budget)
{
    const qsizetype limit = out.size() + budget;
    if (m_phase == Phase::Header) {
        out += "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n";
        m_phase = Phase::Tables;
    }
    while (m_phase == Phase::Tables && out.size() < limit) {
        if (m_table >= m_tables.size()) {
            m_phase = Phase::Trailer;
            break;
        }
        const Table &t = m_tables[m_table];
        if (!m_rows) {
            if (t.name == "sqlite_sequence")
                out += "DELETE FROM sqlite_sequence;\n";
            else
                out += ifNotExists(t.createSql) + ";\n";
            if (!openTable()) {
                out += "-- qsqld: cannot read table " + quoteIdentifier(t.name) + ": "
                    + m_session->conn.lastError().message + "\n";
                ++m_table;
                continue;
            }
        }
        const bool withRowid = m_preserveRowIds && t.hasRowid && t.name != "sqlite_sequence";
        const int ncols = sqlite3_column_count(m_rows);
        QByteArray columns;
        if (withRowid) {
            columns = "(rowid";
            for (int i = 1; i < ncols; ++i)
                columns += ',' + quoteIdentifier(sqlite3_column_name(m_rows, i));
            columns += ')';
        }
        int rc = SQLITE_ROW;
        while (out.size() < limit && (rc = sqlite3_step(m_rows)) == SQLITE_ROW) {
            out += "INSERT INTO " + quoteIdentifier(t.name) + columns + " VALUES(";
            for (int i = 0; i < ncols; ++i) {
                if (i)
                    out += ',';
                out += sqlLiteral(m_rows, i);
            }
            out += ");\n";
        }
        if (rc == SQLITE_ROW)
            break; // budget reached; continue this table next time
        if (rc != SQLITE_DONE)
            out += "-- qsqld: reading " + quoteIdentifier(t.name) + " failed: "
                + m_session->conn.lastError().message + "\n";
        sqlite3_finalize(std::exchange(m_rows, nullptr));
        ++m_table;
    }
    if (m_phase == Phase::Trailer && out.size() < limit) {
        for (const QByteArray &sql : std::as_const(m_trailer))
            out += sql + ";\n";
        out += "COMMIT;\n";
        m_phase = Phase::Done;
    }
    return m_phase == Phase::Done;
}

} // namespace qsqld::hrana
