#pragma once

// Tenant database sizes over time, kept in a small local SQLite file so the console can draw growth and warn
// before a tenant hits its quota. An engine without widgets: the sizes page feeds it the samples it polls.
// Samples are (deployment, tenant, time, bytes); the deployment (the profile name) keeps two servers with the
// same tenant names apart. Quotas (max_db_size) are stored beside them, as last read from the tenant config.
// Thread rule: a SizeHistory owns one QSqlDatabase connection (unique name) and must be used only from the
// thread that created it; in the console that is the GUI thread. Calls are small local queries.

#include "core/apiclient.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace qsqld::ui {

// Above this share of its quota a tenant is "near quota".
constexpr double NEAR_QUOTA_FRACTION = 0.9;

struct SizeSample
{
    QDateTime time;
    qint64 bytes = 0;
};

struct TenantGrowth
{
    QString tenant;
    qint64 fromBytes = 0; // the last sample at or before the window start, else the first inside it
    qint64 toBytes = 0;   // the last sample inside the window
    qint64 gained() const { return toBytes - fromBytes; }
};

struct QuotaInfo
{
    QString tenant;
    qint64 bytes = -1;      // latest recorded size; -1: no sample yet
    qint64 quotaBytes = -1; // max_db_size in bytes; -1: no quota
    bool hasQuota() const { return quotaBytes > 0; }
    double fraction() const { return hasQuota() && bytes >= 0 ? double(bytes) / double(quotaBytes) : 0.0; }
    bool nearQuota() const { return fraction() > NEAR_QUOTA_FRACTION; }
};

class SizeHistory
{
public:
    // Opens (and creates) the file at `path`; see isOpen()/errorString() for failures.
    explicit SizeHistory(const QString &path = defaultPath());
    ~SizeHistory();
    SizeHistory(const SizeHistory &) = delete;
    SizeHistory &operator=(const SizeHistory &) = delete;

    // <AppDataLocation>/size-history.sqlite (the folder is created).
    static QString defaultPath();
    // The quota of a tenant config answer: qsqld's `max_db_size_bytes`, else sqld's text `max_db_size`
    // ("10.0 MB"); nullopt when unlimited or absent.
    static std::optional<qint64> quotaFromConfig(const QJsonObject &config);

    bool isOpen() const { return m_open; }
    QString path() const { return m_path; }
    QString errorString() const { return m_error; }

    // Scopes every later call to one deployment (the profile name); empty by default.
    void setDeployment(const QString &name);
    QString deployment() const { return m_deployment; }

    // One sample per tenant of known size (sizeBytes >= 0), in one transaction. False on a database error.
    bool record(const QDateTime &at, const QList<TenantInfo> &tenants);
    // Tenants with samples, by name.
    QStringList tenants() const;
    // A tenant's samples with from <= time <= to, oldest first.
    QList<SizeSample> series(const QString &tenant, const QDateTime &from, const QDateTime &to) const;
    // The latest sample of a tenant, if any.
    std::optional<SizeSample> latest(const QString &tenant) const;
    // The `n` tenants that gained the most bytes between `since` and `until`, most first (ties by name).
    QList<TenantGrowth> topGrowth(int n, const QDateTime &since, const QDateTime &until) const;
    // Deletes samples older than `days` before `now` (every deployment). Returns how many went.
    int dropOlderThan(int days, const QDateTime &now = QDateTime::currentDateTimeUtc());

    // Quotas: -1 (or any value <= 0) removes the tenant's quota.
    bool setQuota(const QString &tenant, qint64 quotaBytes);
    qint64 quota(const QString &tenant) const;
    QuotaInfo quotaInfo(const QString &tenant) const;
    // Every tenant whose latest sample is above NEAR_QUOTA_FRACTION of its quota, by name.
    QList<QuotaInfo> nearQuota() const;

private:
    bool exec(const QString &sql);
    bool fail(const QString &what, const QString &detail) const;

    QString m_path;
    QString m_connection;
    QString m_deployment; // empty, never null: a null QString would bind as SQL NULL
    mutable QString m_error;
    bool m_open = false;
};

} // namespace qsqld::ui
