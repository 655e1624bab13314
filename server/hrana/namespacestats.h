#pragma once

// Usage counters of one namespace, as sqld reports them in GET /v1/namespaces/:ns/stats: rows read/written
// (billing rule: a statement that read and wrote nothing counts as one row read), query count and time, the top
// and slowest queries, and the current hour's per-query statistics. Persisted in dbs/<ns>/stats.json (sqld's file
// and field names, so counters carry over in both directions).
// Thread rule: owned by the namespace's worker; snapshots (Summary, JSON) are values that may travel.

#include <QByteArray>
#include <QHash>
#include <QString>

#include <optional>
#include <vector>

namespace qsqld::hrana {

class NamespaceStats
{
public:
    struct Summary
    {
        quint64 rowsRead = 0;
        quint64 rowsWritten = 0;
        quint64 queryCount = 0;
        qint64 lastActivityMs = 0; // ms since the epoch, 0 = never
        quint64 framesReplicated = 0;     // frames sent to embedded replicas
        quint64 writesDelegated = 0;      // proxy.Proxy/Execute calls (writes through replicas)
        quint64 replicationRequests = 0;  // every replica RPC
    };
    // The replication log as the stats JSON reports it.
    struct ReplicationStatus
    {
        std::optional<quint64> frameNo; // the last frame; nullopt without a log or frames
        QByteArray logId;
        qint64 logBytes = 0;
        int snapshots = 0;
    };

    void record(const QByteArray &sql, quint64 rowsRead, quint64 rowsWritten, double elapsedMs, qint64 nowMs);
    void resetTop() { m_top.clear(); }
    void resetSlowest() { m_slowest.clear(); }

    // One replica RPC that sent `frames` frames (BatchLogEntries) or ran a replica's write (`delegatedWrite`).
    void recordReplication(quint64 frames, bool delegatedWrite);

    Summary summary() const
    {
        return {m_rowsRead, m_rowsWritten, m_queryCount, m_lastActivityMs, m_framesReplicated, m_writesDelegated,
                m_replicationRequests};
    }
    bool dirty() const { return m_dirty; }

    // sqld's stats JSON; `storageBytes` is (page_count - freelist_count) * page_size, measured by the caller.
    QByteArray toJson(qint64 storageBytes, qint64 nowMs, const ReplicationStatus &replication) const;
    QByteArray toJson(qint64 storageBytes, qint64 nowMs) const { return toJson(storageBytes, nowMs, {}); }

    bool load(const QString &file);          // reads stats.json (sqld's or ours); false if absent or unreadable
    bool save(const QString &file, qint64 storageBytes); // atomic (temporary file + rename)

private:
    struct Query
    {
        QByteArray sql;
        quint64 rowsRead = 0;
        quint64 rowsWritten = 0;
        double elapsedMs = 0;
    };
    struct HourEntry
    {
        double elapsedMs = 0;
        quint64 count = 0;
        quint64 rowsRead = 0;
        quint64 rowsWritten = 0;
    };
    void rollHour(qint64 nowMs);

    QByteArray m_id;
    quint64 m_rowsRead = 0;
    quint64 m_rowsWritten = 0;
    quint64 m_queryCount = 0;
    double m_elapsedMs = 0;
    qint64 m_lastActivityMs = 0;
    quint64 m_framesReplicated = 0;
    quint64 m_writesDelegated = 0;
    quint64 m_replicationRequests = 0;
    std::vector<Query> m_top;     // at most 10, ascending by rows read + written
    std::vector<Query> m_slowest; // at most 10, ascending by elapsed time
    qint64 m_hourStartMs = 0;
    QHash<QByteArray, HourEntry> m_hour;
    std::vector<double> m_hourLatencies; // bounded sample for the percentiles
    quint64 m_hourCount = 0;
    bool m_dirty = false;
};

} // namespace qsqld::hrana
