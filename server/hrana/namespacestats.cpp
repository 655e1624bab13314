#include "namespacestats.h"

#include "util/jsonwriter.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QUuid>

#include <algorithm>
#include <cmath>

namespace qsqld::hrana {

namespace {

constexpr size_t MAX_RANKED = 10;        // top and slowest queries kept
constexpr int MAX_HOUR_QUERIES = 30;     // distinct SQL texts in the hourly view
constexpr size_t MAX_LATENCY_SAMPLES = 10'000;
constexpr qint64 HOUR_MS = 3'600'000;
constexpr qsizetype MAX_SQL_TEXT = 4096; // longer texts are kept truncated

// Keeps `list` as the `MAX_RANKED` largest by `key`, ascending.
template<typename T, typename Key>
void rank(std::vector<T> &list, T item, Key key)
{
    if (list.size() >= MAX_RANKED && key(item) <= key(list.front()))
        return;
    list.insert(std::upper_bound(list.begin(), list.end(), item,
                                 [&key](const T &a, const T &b) { return key(a) < key(b); }),
                std::move(item));
    if (list.size() > MAX_RANKED)
        list.erase(list.begin());
}

double percentile(std::vector<double> sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto idx = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size()))) - 1;
    return sorted[std::min(idx, sorted.size() - 1)];
}

} // namespace

void NamespaceStats::rollHour(qint64 nowMs)
{
    const qint64 hourStart = nowMs - nowMs % HOUR_MS;
    if (hourStart == m_hourStartMs)
        return;
    m_hourStartMs = hourStart;
    m_hour.clear();
    m_hourLatencies.clear();
    m_hourCount = 0;
}

void NamespaceStats::record(const QByteArray &sqlText, quint64 rowsRead, quint64 rowsWritten, double elapsedMs,
                            qint64 nowMs)
{
    if (rowsRead == 0 && rowsWritten == 0)
        rowsRead = 1; // sqld's billing rule
    const QByteArray sql = sqlText.left(MAX_SQL_TEXT);
    m_rowsRead += rowsRead;
    m_rowsWritten += rowsWritten;
    m_queryCount += 1;
    m_elapsedMs += elapsedMs;
    m_lastActivityMs = nowMs;
    m_dirty = true;
    const Query q{sql, rowsRead, rowsWritten, elapsedMs};
    rank(m_top, q, [](const Query &x) { return x.rowsRead + x.rowsWritten; });
    rank(m_slowest, q, [](const Query &x) { return x.elapsedMs; });

    rollHour(nowMs);
    m_hourCount += 1;
    if (m_hourLatencies.size() < MAX_LATENCY_SAMPLES)
        m_hourLatencies.push_back(elapsedMs);
    else
        m_hourLatencies[m_hourCount % MAX_LATENCY_SAMPLES] = elapsedMs;
    if (m_hour.size() < MAX_HOUR_QUERIES * 4 || m_hour.contains(sql)) {
        HourEntry &e = m_hour[sql];
        e.elapsedMs += elapsedMs;
        e.count += 1;
        e.rowsRead += rowsRead;
        e.rowsWritten += rowsWritten;
    }
}

void NamespaceStats::recordReplication(quint64 frames, bool delegatedWrite)
{
    m_framesReplicated += frames;
    m_writesDelegated += delegatedWrite ? 1 : 0;
    ++m_replicationRequests;
    m_dirty = true;
}

QByteArray NamespaceStats::toJson(qint64 storageBytes, qint64 nowMs, const ReplicationStatus &replication) const
{
    util::JsonWriter w(1024);
    auto writeQuery = [&w](const Query &q, bool withElapsed) {
        w.beginObject();
        if (withElapsed) {
            w.key("elapsed_ms");
            w.number(q.elapsedMs);
            w.key("query");
            w.string(q.sql);
        }
        w.key("rows_written");
        w.unsignedInteger(q.rowsWritten);
        w.key("rows_read");
        w.unsignedInteger(q.rowsRead);
        if (!withElapsed) {
            w.key("query");
            w.string(q.sql);
        }
        w.endObject();
    };
    w.beginObject();
    w.key("id");
    w.string(m_id);
    w.key("rows_read_count");
    w.unsignedInteger(m_rowsRead);
    w.key("rows_written_count");
    w.unsignedInteger(m_rowsWritten);
    w.key("storage_bytes_used");
    w.integer(storageBytes);
    w.key("write_requests_delegated");
    w.unsignedInteger(m_writesDelegated);
    w.key("replication_index");
    w.unsignedInteger(replication.frameNo.value_or(0));
    w.key("top_queries");
    w.beginArray();
    for (const Query &q : m_top)
        writeQuery(q, false);
    w.endArray();
    w.key("slowest_queries");
    w.beginArray();
    for (const Query &q : m_slowest)
        writeQuery(q, true);
    w.endArray();
    w.key("embedded_replica_frames_replicated");
    w.unsignedInteger(m_framesReplicated);
    w.key("query_count");
    w.unsignedInteger(m_queryCount);
    w.key("elapsed_ms");
    w.number(m_elapsedMs);
    w.key("replication"); // qsqld's own: the replication log behind replication_index
    w.beginObject();
    w.key("log_id");
    if (replication.logId.isEmpty())
        w.null();
    else
        w.string(replication.logId);
    w.key("current_frame_no");
    if (replication.frameNo)
        w.unsignedInteger(*replication.frameNo);
    else
        w.null();
    w.key("log_size_bytes");
    w.integer(replication.logBytes);
    w.key("snapshot_count");
    w.integer(replication.snapshots);
    w.key("replication_requests");
    w.unsignedInteger(m_replicationRequests);
    w.endObject();
    w.key("queries");
    const qint64 hourStart = nowMs - nowMs % HOUR_MS;
    if (m_hourStartMs != hourStart || m_hourCount == 0) {
        w.null();
    } else {
        std::vector<std::pair<QByteArray, HourEntry>> entries;
        entries.reserve(m_hour.size());
        for (auto it = m_hour.cbegin(); it != m_hour.cend(); ++it)
            entries.emplace_back(it.key(), it.value());
        std::sort(entries.begin(), entries.end(),
                  [](const auto &a, const auto &b) { return a.second.elapsedMs > b.second.elapsedMs; });
        if (entries.size() > static_cast<size_t>(MAX_HOUR_QUERIES))
            entries.resize(MAX_HOUR_QUERIES);
        std::vector<double> sorted = m_hourLatencies;
        std::sort(sorted.begin(), sorted.end());
        double sum = 0;
        for (double v : m_hourLatencies)
            sum += v;
        w.beginObject();
        w.key("id");
        w.string(m_id);
        w.key("created_at");
        w.integer(m_hourStartMs / 1000);
        w.key("count");
        w.unsignedInteger(m_hourCount);
        w.key("stats");
        w.beginArray();
        for (const auto &[sql, e] : entries) {
            w.beginObject();
            w.key("query");
            w.string(sql);
            w.key("elapsed_ms");
            w.number(e.elapsedMs);
            w.key("count");
            w.unsignedInteger(e.count);
            w.key("rows_written");
            w.unsignedInteger(e.rowsWritten);
            w.key("rows_read");
            w.unsignedInteger(e.rowsRead);
            w.endObject();
        }
        w.endArray();
        w.key("elapsed");
        w.beginObject();
        w.key("sum");
        w.number(sum);
        for (auto [name, p] : {std::pair{"p50", 0.5}, std::pair{"p75", 0.75}, std::pair{"p90", 0.9},
                               std::pair{"p95", 0.95}, std::pair{"p99", 0.99}, std::pair{"p999", 0.999}}) {
            w.key(name);
            w.number(percentile(sorted, p));
        }
        w.endObject();
        w.endObject();
    }
    w.endObject();
    return w.take();
}

bool NamespaceStats::load(const QString &file)
{
    if (m_id.isEmpty())
        m_id = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QJsonObject o = QJsonDocument::fromJson(f.read(1 << 20)).object();
    if (o.isEmpty())
        return false;
    if (const QString id = o.value(QLatin1StringView("id")).toString(); !id.isEmpty())
        m_id = id.toUtf8();
    m_rowsRead = static_cast<quint64>(o.value(QLatin1StringView("rows_read")).toInteger());
    m_rowsWritten = static_cast<quint64>(o.value(QLatin1StringView("rows_written")).toInteger());
    m_queryCount = static_cast<quint64>(o.value(QLatin1StringView("query_count")).toInteger());
    m_elapsedMs = o.value(QLatin1StringView("elapsed_ms")).toDouble();
    m_lastActivityMs = o.value(QLatin1StringView("last_activity_ms")).toInteger();
    m_framesReplicated = static_cast<quint64>(o.value(QLatin1StringView("embedded_replica_frames_replicated")).toInteger());
    m_writesDelegated = static_cast<quint64>(o.value(QLatin1StringView("write_requests_delegated")).toInteger());
    m_replicationRequests = static_cast<quint64>(o.value(QLatin1StringView("replication_requests")).toInteger());
    auto loadList = [&o](QLatin1StringView key, std::vector<Query> &out) {
        out.clear();
        for (const QJsonValue &v : o.value(key).toArray()) {
            const QJsonObject q = v.toObject();
            out.push_back({q.value(QLatin1StringView("query")).toString().toUtf8(),
                           static_cast<quint64>(q.value(QLatin1StringView("rows_read")).toInteger()),
                           static_cast<quint64>(q.value(QLatin1StringView("rows_written")).toInteger()),
                           q.value(QLatin1StringView("elapsed_ms")).toDouble()});
            if (out.size() >= MAX_RANKED)
                break;
        }
    };
    loadList(QLatin1StringView("top_queries"), m_top);
    loadList(QLatin1StringView("slowest_queries"), m_slowest);
    return true;
}

bool NamespaceStats::save(const QString &file, qint64 storageBytes)
{
    if (m_id.isEmpty())
        m_id = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    util::JsonWriter w(512);
    auto writeList = [&w](const std::vector<Query> &list) {
        w.beginArray();
        for (const Query &q : list) {
            w.beginObject();
            w.key("query");
            w.string(q.sql);
            w.key("rows_read");
            w.unsignedInteger(q.rowsRead);
            w.key("rows_written");
            w.unsignedInteger(q.rowsWritten);
            w.key("elapsed_ms");
            w.number(q.elapsedMs);
            w.endObject();
        }
        w.endArray();
    };
    w.beginObject();
    w.key("id");
    w.string(m_id);
    w.key("rows_written");
    w.unsignedInteger(m_rowsWritten);
    w.key("rows_read");
    w.unsignedInteger(m_rowsRead);
    w.key("storage_bytes_used");
    w.integer(storageBytes);
    w.key("write_requests_delegated");
    w.unsignedInteger(m_writesDelegated);
    w.key("current_frame_no");
    w.integer(0);
    w.key("top_queries");
    writeList(m_top);
    w.key("slowest_queries");
    writeList(m_slowest);
    w.key("embedded_replica_frames_replicated");
    w.unsignedInteger(m_framesReplicated);
    w.key("query_count");
    w.unsignedInteger(m_queryCount);
    w.key("elapsed_ms");
    w.number(m_elapsedMs);
    w.key("last_activity_ms"); // qsqld's own fields
    w.integer(m_lastActivityMs);
    w.key("replication_requests");
    w.unsignedInteger(m_replicationRequests);
    w.endObject();
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) || out.write(w.buffer()) != w.size() || !out.commit())
        return false;
    m_dirty = false;
    return true;
}

} // namespace qsqld::hrana
