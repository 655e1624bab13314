#pragma once

// The SQLite side of one namespace on its worker: where the file is and the idle sessions kept for reuse.
// Worker thread only.

#include "executor.h"
#include "namespacestats.h"

#include "repl/replicationlog.h"

#include <QString>

#include <chrono>
#include <memory>
#include <vector>

namespace qsqld::hrana {

struct NamespaceDb
{
    QString name;
    QString dir;   // <dbs>/<name>
    QString file;  // <dbs>/<name>/data
    // Declared before every holder of a connection: it outlives them (their commits call into it) and records
    // a clean shutdown only once they are closed.
    std::unique_ptr<repl::ReplicationLog> log;
    QByteArray logError; // why there is no log (a page size other than 4096, an unreadable file)
    std::vector<std::unique_ptr<Session>> idle;
    NamespaceStats stats;
    ns::NamespaceConfig config; // the latest configuration seen with a request
    bool activitySent = true; // the registry has seen the latest summary
    int pageCacheKib = 2000; // each connection's page cache limit (PRAGMA cache_size=-N)
    QStringList extensions;  // loaded into each connection as it opens (--extensions-path)
    std::chrono::steady_clock::time_point lastUsed = std::chrono::steady_clock::now();

    QString statsFile() const { return dir + QStringLiteral("/stats.json"); }
    // (page_count - freelist_count) * page_size, measured on `s`, as sqld's storage_bytes_used.
    static qint64 storageBytes(Session &s);

    // Opens a new configured session (WAL, synchronous=NORMAL, sqld's limits and functions).
    std::unique_ptr<Session> openSession(bool create, bool walAutocheckpoint, QByteArray *error) const;
};

// Creates <dir>/data as a 4096-byte-page WAL database (and the .sentinel sqld expects). Empty on success.
QByteArray initializeDatabase(const QString &dir);

// Applies a namespace configuration to a connection when it differs from what the connection has:
// max_page_count (max_db_size), synchronous (durability_mode, only outside a transaction) and the row size limit.
void configure(Session &session, const ns::NamespaceConfig &config);

} // namespace qsqld::hrana
