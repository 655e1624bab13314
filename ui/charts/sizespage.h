#pragma once

// Tenant sizes over time. While a client is set, the page polls ApiClient::listTenants every pollInterval()
// (60 s by default; never blocking: every call is asynchronous), records the sizes in a SizeHistory, and reads
// each tenant's quota (max_db_size) from its config now and then. It shows a line chart of the selected tenants
// with a dashed quota line per tenant that has one, the top growers over the last 24 h or 7 d, and a warning
// when a tenant is above 90% of its quota. Against plain sqld (no tenant list) it shows why there is nothing.
// Thread rule: GUI thread only.

#include "core/page.h"

#include <QDateTime>
#include <QHash>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <memory>

class QChart;
class QChartView;
class QComboBox;
class QDateTimeAxis;
class QLabel;
class QListWidget;
class QStackedWidget;
class QTreeWidget;
class QValueAxis;

namespace qsqld::ui {

class SizeHistory;
struct SizeSample;
struct TenantInfo;

class SizesPage : public Page
{
    Q_OBJECT
public:
    // Keeps its samples in SizeHistory::defaultPath().
    explicit SizesPage(QWidget *parent = nullptr);
    // Keeps them in `history` (tests, or another file).
    explicit SizesPage(std::unique_ptr<SizeHistory> history, QWidget *parent = nullptr);
    ~SizesPage() override;

    // Starts polling `client` (at once, then every pollInterval()); nullptr stops. Samples are kept per
    // deployment: the profile name.
    void setClient(ApiClient *client) override;
    // Shows this tenant in the chart (now, or after the next poll if it is not known yet).
    void setCurrentTenant(const QString &ns) override;

    // Zero or less: no automatic polling (pollNow() still works).
    void setPollInterval(std::chrono::seconds interval);
    std::chrono::seconds pollInterval() const;
    // Samples older than this are dropped (checked at most once an hour while polling). Default 90.
    void setRetentionDays(int days);

    // Polls now; if a poll is running, one more follows it. The answer arrives later: see polled().
    void pollNow();

    SizeHistory &history() const { return *m_history; }
    QChart *chart() const { return m_chart; }
    QStringList selectedTenants() const;
    void setSelectedTenants(const QStringList &tenants);
    // The near-quota warning shown; empty when none.
    QString quotaWarning() const;

signals:
    // One poll ended: `ok` false when the server has no tenant list or the call failed (the page says why).
    void polled(bool ok);

private:
    QWidget *buildContent();
    QWidget *buildSidebar();
    void onTenants(bool supported, const QList<TenantInfo> &tenants, const QString &error);
    void refreshQuotas(const QStringList &tenants);
    void finishPoll(bool ok);
    void showTenants(const QList<TenantInfo> &tenants);
    void refreshChart();
    void addTenantLines(const QString &ns, const QList<SizeSample> &samples, const QDateTime &start,
                        const QDateTime &end, double scale);
    void refreshTopGrowth();
    void refreshWarning();
    void showMessage(const QString &text);

    std::unique_ptr<SizeHistory> m_history;
    QPointer<ApiClient> m_client;
    quint64 m_epoch = 0; // answers for an older client are dropped
    bool m_polling = false;
    bool m_pollAgain = false;
    QTimer m_timer;
    int m_retentionDays = 90;
    QDateTime m_lastRetention;
    QHash<QString, QDateTime> m_quotaCheckedAt;
    QStringList m_tenants; // the server's tenants at the last poll
    QString m_wantedTenant; // from setCurrentTenant, before it is known

    QStackedWidget *m_stack = nullptr;
    QLabel *m_message = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_warning = nullptr;
    QListWidget *m_tenantList = nullptr;
    QComboBox *m_range = nullptr;
    QComboBox *m_growthWindow = nullptr;
    QTreeWidget *m_topGrowth = nullptr;
    QChart *m_chart = nullptr;
    QChartView *m_chartView = nullptr;
    QDateTimeAxis *m_axisX = nullptr;
    QValueAxis *m_axisY = nullptr;
};

} // namespace qsqld::ui
