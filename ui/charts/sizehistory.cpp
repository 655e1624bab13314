#include "sizehistory.h"

#include <atomic>

#include <QDir>
#include <QFileInfo>
#include <QJsonValue>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QVariant>

#include "runtime/serverconfig.h"

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcSizes, "qsqld.ui.sizes")

namespace qsqld::ui {

namespace {

std::atomic<int> CONNECTION_COUNTER{0};

constexpr qint64 MS_PER_DAY = 24LL * 60 * 60 * 1000;

// Schema version 1. Times are UTC milliseconds since the epoch.
const QStringList SCHEMA = {
    u"CREATE TABLE IF NOT EXISTS samples (deployment TEXT NOT NULL, tenant TEXT NOT NULL, "
    "time INTEGER NOT NULL, bytes INTEGER NOT NULL)"_s,
    u"CREATE INDEX IF NOT EXISTS samples_by_tenant ON samples (deployment, tenant, time)"_s,
    u"CREATE INDEX IF NOT EXISTS samples_by_time ON samples (time)"_s,
    u"CREATE TABLE IF NOT EXISTS quotas (deployment TEXT NOT NULL, tenant TEXT NOT NULL, bytes INTEGER NOT NULL, "
    "PRIMARY KEY (deployment, tenant))"_s,
};

// Per tenant with a sample in [since, until]: the baseline (last sample at or before `since`, else the first
// inside the window) and the last sample inside the window. The parameters are bound once, in `p`.
const QString TOP_GROWTH_SQL = uR"(
WITH p(d, since, until) AS (SELECT ?, ?, ?),
t AS (SELECT DISTINCT s.tenant FROM samples s, p
      WHERE s.deployment = p.d AND s.time >= p.since AND s.time <= p.until),
g AS (SELECT t.tenant AS tenant,
        (SELECT bytes FROM samples s, p WHERE s.deployment = p.d AND s.tenant = t.tenant AND s.time <= p.until
         ORDER BY s.time DESC LIMIT 1) AS last,
        COALESCE(
          (SELECT bytes FROM samples s, p WHERE s.deployment = p.d AND s.tenant = t.tenant AND s.time <= p.since
           ORDER BY s.time DESC LIMIT 1),
          (SELECT bytes FROM samples s, p WHERE s.deployment = p.d AND s.tenant = t.tenant AND s.time >= p.since
           ORDER BY s.time ASC LIMIT 1)) AS first
      FROM t)
SELECT tenant, first, last FROM g ORDER BY last - first DESC, tenant LIMIT ?)"_s;

QSqlQuery prepared(const QString &connection, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connection, false));
    q.prepare(sql);
    return q;
}

} // namespace

SizeHistory::SizeHistory(const QString &path)
    : m_path(path)
    , m_connection(u"qsqld-size-history-%1"_s.arg(CONNECTION_COUNTER.fetch_add(1)))
    , m_deployment(u""_s)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connection);
    db.setDatabaseName(path);
    if (!db.open()) {
        fail(u"open "_s + path, db.lastError().text());
        return;
    }
    m_open = true;
    for (const QString &sql : SCHEMA) {
        if (!exec(sql)) {
            m_open = false;
            return;
        }
    }
}

SizeHistory::~SizeHistory()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        db.close();
    } // the handle must be gone before the connection is removed
    QSqlDatabase::removeDatabase(m_connection);
}

QString SizeHistory::defaultPath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(dir).filePath(u"size-history.sqlite"_s);
}

std::optional<qint64> SizeHistory::quotaFromConfig(const QJsonObject &config)
{
    const QJsonValue exact = config.value("max_db_size_bytes"_L1);
    if (exact.isDouble() && exact.toInteger() > 0)
        return exact.toInteger();
    const QJsonValue text = config.value("max_db_size"_L1);
    if (!text.isString())
        return std::nullopt;
    bool ok = false;
    const qint64 bytes = runtime::parseByteSize(text.toString(), &ok);
    if (!ok || bytes <= 0)
        return std::nullopt;
    return bytes;
}

void SizeHistory::setDeployment(const QString &name)
{
    m_deployment = name.isNull() ? u""_s : name;
}

bool SizeHistory::record(const QDateTime &at, const QList<TenantInfo> &tenants)
{
    if (!m_open)
        return false;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    if (!db.transaction())
        return fail(u"begin"_s, db.lastError().text());
    QSqlQuery q = prepared(m_connection, u"INSERT INTO samples (deployment, tenant, time, bytes) VALUES (?, ?, ?, ?)"_s);
    for (const TenantInfo &t : tenants) {
        if (t.sizeBytes < 0)
            continue;
        q.addBindValue(m_deployment);
        q.addBindValue(t.name);
        q.addBindValue(at.toMSecsSinceEpoch());
        q.addBindValue(t.sizeBytes);
        if (!q.exec()) {
            const QString error = q.lastError().text();
            db.rollback();
            return fail(u"record"_s, error);
        }
    }
    if (!db.commit())
        return fail(u"commit"_s, db.lastError().text());
    return true;
}

QStringList SizeHistory::tenants() const
{
    QStringList out;
    QSqlQuery q = prepared(m_connection, u"SELECT DISTINCT tenant FROM samples WHERE deployment = ? ORDER BY tenant"_s);
    q.addBindValue(m_deployment);
    if (!q.exec()) {
        fail(u"tenants"_s, q.lastError().text());
        return out;
    }
    while (q.next())
        out.append(q.value(0).toString());
    return out;
}

QList<SizeSample> SizeHistory::series(const QString &tenant, const QDateTime &from, const QDateTime &to) const
{
    QList<SizeSample> out;
    QSqlQuery q = prepared(m_connection,
                           u"SELECT time, bytes FROM samples WHERE deployment = ? AND tenant = ? AND time >= ? "
                           "AND time <= ? ORDER BY time"_s);
    q.addBindValue(m_deployment);
    q.addBindValue(tenant);
    q.addBindValue(from.toMSecsSinceEpoch());
    q.addBindValue(to.toMSecsSinceEpoch());
    if (!q.exec()) {
        fail(u"series"_s, q.lastError().text());
        return out;
    }
    while (q.next())
        out.append({QDateTime::fromMSecsSinceEpoch(q.value(0).toLongLong(), Qt::UTC), q.value(1).toLongLong()});
    return out;
}

std::optional<SizeSample> SizeHistory::latest(const QString &tenant) const
{
    QSqlQuery q = prepared(m_connection,
                           u"SELECT time, bytes FROM samples WHERE deployment = ? AND tenant = ? "
                           "ORDER BY time DESC LIMIT 1"_s);
    q.addBindValue(m_deployment);
    q.addBindValue(tenant);
    if (!q.exec()) {
        fail(u"latest"_s, q.lastError().text());
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return SizeSample{QDateTime::fromMSecsSinceEpoch(q.value(0).toLongLong(), Qt::UTC), q.value(1).toLongLong()};
}

QList<TenantGrowth> SizeHistory::topGrowth(int n, const QDateTime &since, const QDateTime &until) const
{
    QList<TenantGrowth> out;
    if (n <= 0)
        return out;
    QSqlQuery q = prepared(m_connection, TOP_GROWTH_SQL);
    q.addBindValue(m_deployment);
    q.addBindValue(since.toMSecsSinceEpoch());
    q.addBindValue(until.toMSecsSinceEpoch());
    q.addBindValue(n);
    if (!q.exec()) {
        fail(u"top growth"_s, q.lastError().text());
        return out;
    }
    while (q.next())
        out.append({q.value(0).toString(), q.value(1).toLongLong(), q.value(2).toLongLong()});
    return out;
}

int SizeHistory::dropOlderThan(int days, const QDateTime &now)
{
    QSqlQuery q = prepared(m_connection, u"DELETE FROM samples WHERE time < ?"_s);
    q.addBindValue(now.toMSecsSinceEpoch() - qint64(days) * MS_PER_DAY);
    if (!q.exec()) {
        fail(u"retention"_s, q.lastError().text());
        return 0;
    }
    return q.numRowsAffected();
}

bool SizeHistory::setQuota(const QString &tenant, qint64 quotaBytes)
{
    QSqlQuery q = prepared(m_connection,
                           quotaBytes > 0
                               ? u"INSERT OR REPLACE INTO quotas (deployment, tenant, bytes) VALUES (?, ?, ?)"_s
                               : u"DELETE FROM quotas WHERE deployment = ? AND tenant = ?"_s);
    q.addBindValue(m_deployment);
    q.addBindValue(tenant);
    if (quotaBytes > 0)
        q.addBindValue(quotaBytes);
    return q.exec() || fail(u"set quota"_s, q.lastError().text());
}

qint64 SizeHistory::quota(const QString &tenant) const
{
    QSqlQuery q = prepared(m_connection, u"SELECT bytes FROM quotas WHERE deployment = ? AND tenant = ?"_s);
    q.addBindValue(m_deployment);
    q.addBindValue(tenant);
    if (!q.exec()) {
        fail(u"quota"_s, q.lastError().text());
        return -1;
    }
    return q.next() ? q.value(0).toLongLong() : -1;
}

QuotaInfo SizeHistory::quotaInfo(const QString &tenant) const
{
    QuotaInfo info;
    info.tenant = tenant;
    info.quotaBytes = quota(tenant);
    if (const auto last = latest(tenant))
        info.bytes = last->bytes;
    return info;
}

QList<QuotaInfo> SizeHistory::nearQuota() const
{
    QList<QuotaInfo> out;
    QSqlQuery q = prepared(m_connection, u"SELECT tenant FROM quotas WHERE deployment = ? ORDER BY tenant"_s);
    q.addBindValue(m_deployment);
    if (!q.exec()) {
        fail(u"near quota"_s, q.lastError().text());
        return out;
    }
    while (q.next()) {
        const QuotaInfo info = quotaInfo(q.value(0).toString());
        if (info.nearQuota())
            out.append(info);
    }
    return out;
}

bool SizeHistory::exec(const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    return q.exec(sql) || fail(u"schema"_s, q.lastError().text());
}

bool SizeHistory::fail(const QString &what, const QString &detail) const
{
    m_error = u"size history (%1): %2: %3"_s.arg(m_path, what, detail);
    qCWarning(lcSizes).noquote() << m_error;
    return false;
}

} // namespace qsqld::ui
