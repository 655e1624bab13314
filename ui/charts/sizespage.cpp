#include "sizespage.h"

#include "sizehistory.h"

#include <algorithm>
#include <array>
#include <utility>

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTimeAxis>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QLocale>
#include <QSplitter>
#include <QStackedWidget>
#include <QTreeWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include "core/apiclient.h"

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace qsqld::ui {

namespace {

constexpr std::chrono::seconds DEFAULT_POLL_INTERVAL = 60s;
constexpr qint64 QUOTA_REFRESH_SECONDS = 10 * 60; // quotas change rarely: re-read each one this often
constexpr int MAX_QUOTA_READS_PER_POLL = 100;     // spreads a large deployment's configs over several polls
constexpr qint64 RETENTION_EVERY_SECONDS = 60 * 60;
constexpr int TOP_COUNT = 10;
constexpr qint64 DAY_SECONDS = 24 * 60 * 60;

enum StackIndex { ContentIndex, MessageIndex };

QString formatBytes(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

// The unit for the chart's y axis: the largest decimal unit not above `maxBytes`.
std::pair<double, QString> axisUnit(qint64 maxBytes)
{
    static const std::array<std::pair<double, const char16_t *>, 4> UNITS{
        {{1e9, u"GB"}, {1e6, u"MB"}, {1e3, u"kB"}, {1.0, u"bytes"}}};
    for (const auto &[scale, name] : UNITS) {
        if (double(maxBytes) >= scale)
            return {scale, QString::fromUtf16(name)};
    }
    return {1.0, u"bytes"_s};
}

} // namespace

SizesPage::SizesPage(QWidget *parent)
    : SizesPage(std::make_unique<SizeHistory>(), parent)
{
}

SizesPage::SizesPage(std::unique_ptr<SizeHistory> history, QWidget *parent)
    : Page(parent)
    , m_history(std::move(history))
{
    m_timer.setInterval(DEFAULT_POLL_INTERVAL);
    connect(&m_timer, &QTimer::timeout, this, &SizesPage::pollNow);

    m_status = new QLabel;
    m_status->setObjectName(u"sizesStatus"_s);
    m_message = new QLabel;
    m_message->setObjectName(u"sizesMessage"_s);
    m_message->setWordWrap(true);
    m_message->setAlignment(Qt::AlignCenter);
    m_stack = new QStackedWidget;
    m_stack->insertWidget(ContentIndex, buildContent());
    m_stack->insertWidget(MessageIndex, m_message);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_stack, 1);
    showMessage(tr("Not connected. Connect to a deployment to record its tenant sizes."));
    if (!m_history->isOpen())
        m_status->setText(tr("Sizes cannot be recorded: %1").arg(m_history->errorString()));
}

SizesPage::~SizesPage() = default;

QWidget *SizesPage::buildContent()
{
    m_chart = new QChart;
    m_chart->setTitle(tr("Database size"));
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_axisX = new QDateTimeAxis;
    m_axisX->setFormat(u"MMM d hh:mm"_s);
    m_axisY = new QValueAxis;
    m_axisY->setLabelFormat(u"%.1f"_s);
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisY, Qt::AlignLeft);
    m_chartView = new QChartView(m_chart); // takes ownership of the chart
    m_chartView->setRenderHint(QPainter::Antialiasing);

    m_range = new QComboBox;
    m_range->setObjectName(u"sizesRange"_s);
    m_range->addItem(tr("Last 24 hours"), DAY_SECONDS);
    m_range->addItem(tr("Last 7 days"), 7 * DAY_SECONDS);
    m_range->addItem(tr("Last 30 days"), 30 * DAY_SECONDS);
    m_range->addItem(tr("Everything recorded"), qint64(0));
    connect(m_range, &QComboBox::currentIndexChanged, this, &SizesPage::refreshChart);

    m_warning = new QLabel;
    m_warning->setObjectName(u"quotaWarning"_s);
    m_warning->setWordWrap(true);
    m_warning->setStyleSheet(u"QLabel { background: #fdecea; color: #b71c1c; padding: 6px; }"_s);
    m_warning->hide();

    auto *rangeRow = new QHBoxLayout;
    rangeRow->addWidget(new QLabel(tr("Show:")));
    rangeRow->addWidget(m_range);
    rangeRow->addStretch();
    auto *chartSide = new QWidget;
    auto *chartLayout = new QVBoxLayout(chartSide);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addWidget(m_warning);
    chartLayout->addLayout(rangeRow);
    chartLayout->addWidget(m_chartView, 1);

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(buildSidebar());
    splitter->addWidget(chartSide);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({320, 680});
    return splitter;
}

QWidget *SizesPage::buildSidebar()
{
    m_tenantList = new QListWidget;
    m_tenantList->setObjectName(u"sizesTenants"_s);
    m_tenantList->setSelectionMode(QAbstractItemView::ExtendedSelection);
    connect(m_tenantList, &QListWidget::itemSelectionChanged, this, &SizesPage::refreshChart);
    connect(m_tenantList, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem *item) { emit tenantActivated(item->text()); });

    m_growthWindow = new QComboBox;
    m_growthWindow->setObjectName(u"growthWindow"_s);
    m_growthWindow->addItem(tr("last 24 hours"), DAY_SECONDS);
    m_growthWindow->addItem(tr("last 7 days"), 7 * DAY_SECONDS);
    connect(m_growthWindow, &QComboBox::currentIndexChanged, this, &SizesPage::refreshTopGrowth);
    m_topGrowth = new QTreeWidget;
    m_topGrowth->setObjectName(u"topGrowth"_s);
    m_topGrowth->setRootIsDecorated(false);
    m_topGrowth->setHeaderLabels({tr("Tenant"), tr("Gained"), tr("Size")});
    m_topGrowth->header()->setStretchLastSection(false);
    m_topGrowth->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_topGrowth->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_topGrowth->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    connect(m_topGrowth, &QTreeWidget::itemActivated, this,
            [this](QTreeWidgetItem *item) { setSelectedTenants({item->text(0)}); });

    auto *growthRow = new QHBoxLayout;
    growthRow->addWidget(new QLabel(tr("Top growth,")));
    growthRow->addWidget(m_growthWindow);
    growthRow->addStretch();
    auto *side = new QWidget;
    auto *layout = new QVBoxLayout(side);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Tenants (select one or more):")));
    layout->addWidget(m_tenantList, 2);
    layout->addLayout(growthRow);
    layout->addWidget(m_topGrowth, 1);
    return side;
}

void SizesPage::setClient(ApiClient *client)
{
    m_client = client;
    ++m_epoch;
    m_polling = false;
    m_pollAgain = false;
    m_timer.stop();
    m_quotaCheckedAt.clear();
    m_tenants.clear();
    m_tenantList->clear();
    if (!client) {
        m_status->clear();
        showMessage(tr("Not connected. Connect to a deployment to record its tenant sizes."));
        return;
    }
    m_history->setDeployment(client->profile().name);
    m_stack->setCurrentIndex(ContentIndex);
    refreshChart();
    refreshTopGrowth();
    refreshWarning();
    if (m_timer.interval() > 0)
        m_timer.start();
    pollNow();
}

void SizesPage::setCurrentTenant(const QString &ns)
{
    if (ns.isEmpty())
        return;
    if (m_tenants.contains(ns))
        setSelectedTenants({ns});
    else
        m_wantedTenant = ns;
}

void SizesPage::setPollInterval(std::chrono::seconds interval)
{
    m_timer.setInterval(std::max(interval, 0s));
    if (interval <= 0s)
        m_timer.stop();
    else if (m_client)
        m_timer.start();
}

std::chrono::seconds SizesPage::pollInterval() const
{
    return std::chrono::duration_cast<std::chrono::seconds>(m_timer.intervalAsDuration());
}

void SizesPage::setRetentionDays(int days)
{
    m_retentionDays = std::max(days, 1);
    m_lastRetention = QDateTime();
}

void SizesPage::pollNow()
{
    if (!m_client)
        return;
    if (m_polling) {
        m_pollAgain = true;
        return;
    }
    m_polling = true;
    QPointer<SizesPage> self(this);
    m_client->listTenants([self, epoch = m_epoch](bool supported, QList<TenantInfo> tenants, QString error) {
        if (self && self->m_epoch == epoch)
            self->onTenants(supported, tenants, error);
    });
}

void SizesPage::onTenants(bool supported, const QList<TenantInfo> &tenants, const QString &error)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (!supported) {
        m_timer.stop(); // plain sqld will not grow a tenant list
        showMessage(tr("This server has no tenant list: plain sqld has no GET /v1/namespaces (or the profile has "
                       "no admin URL), so tenant sizes cannot be polled. Connect to qsqld's admin API to record "
                       "sizes over time."));
        return finishPoll(false);
    }
    if (!error.isEmpty()) {
        m_status->setText(tr("Polling failed at %1: %2").arg(QLocale().toString(now.toLocalTime().time()), error));
        return finishPoll(false);
    }
    m_stack->setCurrentIndex(ContentIndex);
    m_history->record(now, tenants);
    if (!m_lastRetention.isValid() || m_lastRetention.secsTo(now) >= RETENTION_EVERY_SECONDS) {
        m_history->dropOlderThan(m_retentionDays, now);
        m_lastRetention = now;
    }
    m_status->setText(tr("Last poll %1: %n tenant(s).", nullptr, int(tenants.size()))
                          .arg(QLocale().toString(now.toLocalTime().time())));
    showTenants(tenants);
    refreshQuotas(m_tenants);
}

// Reads the configs whose quota is unknown or older than QUOTA_REFRESH_SECONDS, oldest first, then finishes.
void SizesPage::refreshQuotas(const QStringList &tenants)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QStringList stale;
    for (const QString &ns : tenants) {
        const QDateTime checked = m_quotaCheckedAt.value(ns);
        if (!checked.isValid() || checked.secsTo(now) >= QUOTA_REFRESH_SECONDS)
            stale.append(ns);
    }
    std::stable_sort(stale.begin(), stale.end(), [this](const QString &a, const QString &b) {
        return m_quotaCheckedAt.value(a) < m_quotaCheckedAt.value(b); // invalid (never) sorts first
    });
    stale = stale.mid(0, MAX_QUOTA_READS_PER_POLL);
    if (stale.isEmpty())
        return finishPoll(true);
    auto pending = std::make_shared<qsizetype>(stale.size());
    QPointer<SizesPage> self(this);
    for (const QString &ns : stale) {
        m_client->tenantConfig(ns, [self, epoch = m_epoch, ns, pending](ApiResult r) {
            if (!self || self->m_epoch != epoch)
                return;
            if (r.ok) {
                self->m_history->setQuota(ns, SizeHistory::quotaFromConfig(r.body).value_or(-1));
                self->m_quotaCheckedAt.insert(ns, QDateTime::currentDateTimeUtc());
            }
            if (--*pending == 0)
                self->finishPoll(true);
        });
    }
}

void SizesPage::finishPoll(bool ok)
{
    m_polling = false;
    if (ok) {
        refreshChart();
        refreshTopGrowth();
        refreshWarning();
    }
    emit polled(ok);
    if (m_pollAgain) {
        m_pollAgain = false;
        pollNow();
    }
}

// Rebuilds the tenant list, keeping the selection; picks the wanted or else the largest tenant when none.
void SizesPage::showTenants(const QList<TenantInfo> &tenants)
{
    QStringList selected = selectedTenants();
    m_tenants.clear();
    const TenantInfo *largest = nullptr;
    for (const TenantInfo &t : tenants) {
        m_tenants.append(t.name);
        if (!largest || t.sizeBytes > largest->sizeBytes)
            largest = &t;
    }
    if (!m_wantedTenant.isEmpty() && m_tenants.contains(m_wantedTenant)) {
        selected = {std::exchange(m_wantedTenant, QString())};
    } else if (selected.isEmpty() && largest) {
        selected = {largest->name};
    }
    const QSignalBlocker blocker(m_tenantList);
    m_tenantList->clear();
    m_tenantList->addItems(m_tenants);
    for (int i = 0; i < m_tenantList->count(); ++i) {
        QListWidgetItem *item = m_tenantList->item(i);
        item->setSelected(selected.contains(item->text()));
    }
}

QStringList SizesPage::selectedTenants() const
{
    QStringList out;
    for (const QListWidgetItem *item : m_tenantList->selectedItems())
        out.append(item->text());
    out.sort();
    return out;
}

void SizesPage::setSelectedTenants(const QStringList &tenants)
{
    {
        const QSignalBlocker blocker(m_tenantList);
        for (int i = 0; i < m_tenantList->count(); ++i) {
            QListWidgetItem *item = m_tenantList->item(i);
            item->setSelected(tenants.contains(item->text()));
        }
    }
    refreshChart();
}

QString SizesPage::quotaWarning() const
{
    return m_warning->isHidden() ? QString() : m_warning->text();
}

void SizesPage::refreshChart()
{
    m_chart->removeAllSeries();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const qint64 range = m_range->currentData().toLongLong();
    const QDateTime from = range > 0 ? now.addSecs(-range) : QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    QDateTime first = now;
    qint64 maxBytes = 0;
    QHash<QString, QList<SizeSample>> samples;
    for (const QString &ns : selectedTenants()) {
        samples.insert(ns, m_history->series(ns, from, now));
        for (const SizeSample &s : samples[ns]) {
            first = std::min(first, s.time);
            maxBytes = std::max(maxBytes, s.bytes);
        }
        maxBytes = std::max(maxBytes, m_history->quota(ns));
    }
    const QDateTime start = range > 0 ? from : first.addSecs(-60);
    const auto [scale, unit] = axisUnit(maxBytes);
    for (const QString &ns : selectedTenants())
        addTenantLines(ns, samples.value(ns), start, now, scale);
    m_axisX->setRange(start.toLocalTime(), now.toLocalTime());
    m_axisY->setRange(0.0, std::max(1.0, double(maxBytes) * 1.1 / scale));
    m_axisY->setTitleText(unit);
}

// The size line of `ns` and, when it has a quota, a dashed line of its colour at the quota.
void SizesPage::addTenantLines(const QString &ns, const QList<SizeSample> &samples, const QDateTime &start,
                               const QDateTime &end, double scale)
{
    auto *line = new QLineSeries;
    line->setName(ns);
    line->setPointsVisible(true); // a single sample is still visible
    for (const SizeSample &s : samples)
        line->append(double(s.time.toMSecsSinceEpoch()), double(s.bytes) / scale);
    m_chart->addSeries(line);
    line->attachAxis(m_axisX);
    line->attachAxis(m_axisY);
    const qint64 quota = m_history->quota(ns);
    if (quota <= 0)
        return;
    auto *quotaLine = new QLineSeries;
    quotaLine->setName(tr("%1 quota").arg(ns));
    quotaLine->append(double(start.toMSecsSinceEpoch()), double(quota) / scale);
    quotaLine->append(double(end.toMSecsSinceEpoch()), double(quota) / scale);
    m_chart->addSeries(quotaLine); // the chart's theme colours it; then the pen overrides that
    quotaLine->setPen(QPen(line->color(), 1.5, Qt::DashLine));
    quotaLine->attachAxis(m_axisX);
    quotaLine->attachAxis(m_axisY);
}

void SizesPage::refreshTopGrowth()
{
    m_topGrowth->clear();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime since = now.addSecs(-m_growthWindow->currentData().toLongLong());
    for (const TenantGrowth &g : m_history->topGrowth(TOP_COUNT, since, now)) {
        const qint64 gained = g.gained();
        const QString sign = gained > 0 ? u"+"_s : gained < 0 ? u"\u2212"_s : QString();
        auto *item = new QTreeWidgetItem(m_topGrowth, {g.tenant, sign + formatBytes(std::abs(gained)),
                                                        formatBytes(g.toBytes)});
        item->setTextAlignment(1, Qt::AlignRight);
        item->setTextAlignment(2, Qt::AlignRight);
    }
}

void SizesPage::refreshWarning()
{
    QStringList lines;
    for (const QuotaInfo &q : m_history->nearQuota()) {
        if (!m_tenants.contains(q.tenant))
            continue; // deleted since
        lines.append(tr("%1 uses %2 of its %3 quota (%4%).")
                         .arg(q.tenant, formatBytes(q.bytes), formatBytes(q.quotaBytes))
                         .arg(qRound(q.fraction() * 100)));
    }
    m_warning->setText(tr("Near quota (above 90%): writes fail once a tenant is full.") + u'\n'
                       + lines.join(u'\n'));
    m_warning->setVisible(!lines.isEmpty());
}

void SizesPage::showMessage(const QString &text)
{
    m_message->setText(text);
    m_stack->setCurrentIndex(MessageIndex);
}

} // namespace qsqld::ui
