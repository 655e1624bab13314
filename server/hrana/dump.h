#pragma once

// A SQL text dump of one namespace in the style of `sqlite3 .dump`, produced in chunks from one read
// transaction, so the whole dump is one consistent snapshot and never sits in memory whole.
// Thread rule: created and advanced on the namespace's worker; it may be destroyed on another thread when no
// chunk is being produced (its SQLite connection is private to it).

#include "executor.h"

#include "http/response.h"

#include <QByteArray>
#include <QStringList>

#include <memory>

namespace qsqld::hrana {

class Dump
{
public:
    // Opens the snapshot. Returns nullptr with `error` set on failure.
    static std::unique_ptr<Dump> start(std::unique_ptr<Session> session, bool preserveRowIds, QByteArray *error);
    ~Dump();
    Dump(const Dump &) = delete;
    Dump &operator=(const Dump &) = delete;

    // Appends about `budget` bytes of dump text to `out`; returns true when the dump is complete.
    // A SQLite failure midway ends the text with a comment naming it (the HTTP status is already sent).
    bool next(QByteArray &out, qsizetype budget);

private:
    Dump() = default;
    bool openTable();

    struct Table
    {
        QByteArray name;
        QByteArray createSql;
        bool hasRowid = true;
    };
    std::unique_ptr<Session> m_session;
    bool m_preserveRowIds = false;
    std::vector<Table> m_tables;
    QList<QByteArray> m_trailer; // indexes, triggers, views: after the data
    size_t m_table = 0;
    sqlite3_stmt *m_rows = nullptr;
    enum class Phase { Header, Tables, Trailer, Done } m_phase = Phase::Header;
};

// Sends `dump` through `sink` chunk by chunk: each next chunk is produced (through `postToWorker`, on the
// namespace's worker) only after the connection has drained the previous one. A client that goes away drops the
// dump and its read transaction.
using WorkerPoster = std::function<void(std::function<void()>)>;
void streamDump(std::unique_ptr<Dump> dump, http::StreamSink sink, WorkerPoster postToWorker,
                std::shared_ptr<db::CancelToken> cancel);

QByteArray quoteIdentifier(const QByteArray &name);
QByteArray sqlLiteral(sqlite3_stmt *stmt, int column); // NULL, integer, round-trip real, 'text', X'blob'

} // namespace qsqld::hrana
