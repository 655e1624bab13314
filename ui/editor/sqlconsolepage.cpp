#include "sqlconsolepage.h"

#include "core/apiclient.h"
#include "editor/resultmodel.h"
#include "editor/sqlconsoletab.h"
#include "editor/sqleditor.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

constexpr int HISTORY_LIMIT = 500; // entries listed

QString firstLine(const QString &sql)
{
    const QString simplified = sql.simplified();
    return simplified.size() > 120 ? simplified.left(120) + u'…' : simplified;
}

} // namespace

SqlConsolePage::SqlConsolePage(QWidget *parent)
    : Page(parent)
    , m_tenants(new QComboBox)
    , m_tabs(new QTabWidget)
    , m_historyList(new QListWidget)
{
    m_tenants->setMinimumContentsLength(16);
    m_tenants->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_tenants->setToolTip(tr("Tenant (namespace) to open a SQL tab for"));
    m_tabs->setTabsClosable(true);
    m_tabs->setDocumentMode(true);
    m_historyList->setToolTip(tr("Query history: double-click to put a query into the editor"));

    auto *historyBox = new QWidget;
    auto *historyLayout = new QVBoxLayout(historyBox);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    historyLayout->addWidget(new QLabel(tr("History")));
    historyLayout->addWidget(m_historyList);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_tabs);
    split->addWidget(historyBox);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    split->setSizes({800, 220}); // the stretch factors only share space beyond the size hints

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildToolbar());
    layout->addWidget(split, 1);

    connect(m_tabs, &QTabWidget::tabCloseRequested, this, &SqlConsolePage::closeTab);
    connect(m_tabs, &QTabWidget::currentChanged, this, &SqlConsolePage::updateButtons);
    connect(m_tenants, &QComboBox::textActivated, this, [this](const QString &ns) { openTenant(ns.trimmed()); });
    connect(m_historyList, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem *item) {
        if (SqlConsoleTab *tab = currentTab())
            tab->editor()->textCursor().insertText(item->data(Qt::UserRole).toString());
    });
    updateButtons();
}

SqlConsolePage::~SqlConsolePage() = default;

QWidget *SqlConsolePage::buildToolbar()
{
    auto *bar = new QWidget;
    auto *row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    auto *open = new QPushButton(tr("Open"));
    open->setToolTip(tr("Open a SQL tab for the selected tenant"));
    m_run = new QPushButton(tr("Run"));
    m_run->setToolTip(tr("Run the selection or the statement under the cursor (Ctrl+Enter)"));
    m_runScript = new QPushButton(tr("Run all"));
    m_runScript->setToolTip(tr("Run the whole script, statement by statement (Ctrl+Shift+Enter)"));
    m_explain = new QPushButton(tr("Explain"));
    m_explain->setToolTip(tr("Show the query plan of the statement under the cursor"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setToolTip(tr("Abort the requests in flight"));
    m_export = new QPushButton(tr("Export…"));
    m_export->setToolTip(tr("Save the result as CSV or JSON"));
    row->addWidget(new QLabel(tr("Tenant:")));
    row->addWidget(m_tenants);
    row->addWidget(open);
    row->addSpacing(12);
    for (QPushButton *b : { m_run, m_runScript, m_explain, m_cancel, m_export })
        row->addWidget(b);
    row->addStretch(1);
    connect(open, &QPushButton::clicked, this, [this] { openTenant(m_tenants->currentText().trimmed()); });
    connect(m_run, &QPushButton::clicked, this, &SqlConsolePage::runCurrent);
    connect(m_runScript, &QPushButton::clicked, this, &SqlConsolePage::runScript);
    connect(m_explain, &QPushButton::clicked, this, &SqlConsolePage::explainCurrent);
    connect(m_cancel, &QPushButton::clicked, this, &SqlConsolePage::cancel);
    connect(m_export, &QPushButton::clicked, this, &SqlConsolePage::exportResult);
    return bar;
}

void SqlConsolePage::setClient(ApiClient *client)
{
    m_client = client;
    ++m_listEpoch;
    for (int i = 0; i < m_tabs->count(); ++i)
        static_cast<SqlConsoleTab *>(m_tabs->widget(i))->setClient(client);
    refreshTenants();
    updateButtons();
}

void SqlConsolePage::refreshTenants()
{
    if (!m_client)
        return;
    const quint64 epoch = m_listEpoch;
    m_client->listTenants([self = QPointer(this), epoch](bool supported, QList<TenantInfo> tenants, QString error) {
        if (!self || epoch != self->m_listEpoch)
            return;
        const QString current = self->m_tenants->currentText();
        self->m_tenants->clear();
        // Without a list (plain sqld, or no admin URL) the user types the tenant's name.
        self->m_tenants->setEditable(!supported || !error.isEmpty());
        for (const TenantInfo &t : std::as_const(tenants))
            self->m_tenants->addItem(t.name);
        if (!current.isEmpty())
            self->m_tenants->setCurrentText(current);
        if (!error.isEmpty())
            self->m_tenants->setToolTip(tr("The tenant list failed: %1. Type a tenant's name.").arg(error));
    });
}

void SqlConsolePage::setCurrentTenant(const QString &ns)
{
    if (!ns.isEmpty())
        openTenant(ns);
}

SqlConsoleTab *SqlConsolePage::tabFor(const QString &ns) const
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *tab = static_cast<SqlConsoleTab *>(m_tabs->widget(i));
        if (tab->tenant() == ns)
            return tab;
    }
    return nullptr;
}

SqlConsoleTab *SqlConsolePage::currentTab() const
{
    return static_cast<SqlConsoleTab *>(m_tabs->currentWidget());
}

SqlConsoleTab *SqlConsolePage::openTenant(const QString &ns)
{
    if (ns.isEmpty())
        return nullptr;
    SqlConsoleTab *tab = tabFor(ns);
    if (!tab) {
        tab = new SqlConsoleTab(ns);
        m_tabs->addTab(tab, ns);
        connect(tab, &SqlConsoleTab::runFinished, this, &SqlConsolePage::onRunFinished);
        connect(tab, &SqlConsoleTab::busyChanged, this, &SqlConsolePage::updateButtons);
        tab->setClient(m_client);
    }
    m_tabs->setCurrentWidget(tab);
    if (m_tenants->currentText() != ns)
        m_tenants->setCurrentText(ns);
    tab->editor()->setFocus();
    history(); // opens the history on first use
    return tab;
}

void SqlConsolePage::closeTab(int index)
{
    auto *tab = static_cast<SqlConsoleTab *>(m_tabs->widget(index));
    if (tab->inTransaction()
        && QMessageBox::question(this, tr("Close tab"),
               tr("A transaction is open on %1. Closing the tab rolls it back. Close anyway?").arg(tab->tenant()))
            != QMessageBox::Yes)
        return;
    m_tabs->removeTab(index);
    tab->deleteLater(); // its session drops the stream; the server rolls back when the stream expires
}

void SqlConsolePage::runCurrent()
{
    if (SqlConsoleTab *tab = currentTab())
        tab->runCurrent();
}

void SqlConsolePage::runScript()
{
    if (SqlConsoleTab *tab = currentTab())
        tab->runScript();
}

void SqlConsolePage::explainCurrent()
{
    if (SqlConsoleTab *tab = currentTab())
        tab->explainCurrent();
}

void SqlConsolePage::cancel()
{
    if (SqlConsoleTab *tab = currentTab())
        tab->cancel();
}

void SqlConsolePage::exportResult()
{
    SqlConsoleTab *tab = currentTab();
    if (!tab || tab->resultModel()->columnCount() == 0)
        return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export result"), {}, tr("CSV (*.csv);;JSON (*.json)"));
    if (path.isEmpty())
        return;
    QFile file(path);
    const bool json = path.endsWith(u".json"_s, Qt::CaseInsensitive);
    const bool ok = file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && (json ? tab->resultModel()->exportJson(&file) : tab->resultModel()->exportCsv(&file));
    if (!ok)
        QMessageBox::warning(this, tr("Export result"), tr("Cannot write %1: %2").arg(path, file.errorString()));
}

void SqlConsolePage::updateButtons()
{
    SqlConsoleTab *tab = currentTab();
    const bool ready = tab && m_client && !tab->session()->isBusy();
    m_run->setEnabled(ready);
    m_runScript->setEnabled(ready);
    m_explain->setEnabled(ready);
    m_cancel->setEnabled(tab && tab->session()->isBusy());
    m_export->setEnabled(tab != nullptr);
}

// ---- history ---------------------------------------------------------------------------------------------------

void SqlConsolePage::showEvent(QShowEvent *event)
{
    Page::showEvent(event);
    history();
}

HistoryStore *SqlConsolePage::history()
{
    if (!m_history)
        setHistoryDirectory(HistoryStore::defaultDirectory());
    return m_history;
}

void SqlConsolePage::setHistoryDirectory(const QString &directory)
{
    delete m_history;
    m_entries.clear();
    m_historyList->clear();
    m_history = new HistoryStore(directory, this);
    connect(m_history, &HistoryStore::loaded, this, &SqlConsolePage::onHistoryLoaded);
    connect(m_history, &HistoryStore::added, this, &SqlConsolePage::onHistoryAdded);
    connect(
        m_history, &HistoryStore::failed, this, [this](const QString &message) { m_historyList->setToolTip(message); });
    m_history->load(HISTORY_LIMIT);
}

void SqlConsolePage::onRunFinished(
    const QString &tenant, const QString &sql, const RunOutcome &outcome, const QString &message)
{
    HistoryEntry e;
    e.at = QDateTime::currentDateTimeUtc();
    e.tenant = tenant;
    e.sql = sql;
    e.ok = outcome.ok;
    e.elapsedMs = outcome.elapsedMs;
    e.message = message;
    history()->add(e);
}

void SqlConsolePage::onHistoryLoaded(const QList<HistoryEntry> &entries)
{
    m_entries = entries;
    m_historyList->clear();
    for (const HistoryEntry &e : entries)
        addHistoryItem(e, false);
}

void SqlConsolePage::onHistoryAdded(const HistoryEntry &entry)
{
    m_entries.prepend(entry);
    addHistoryItem(entry, true);
}

void SqlConsolePage::addHistoryItem(const HistoryEntry &e, bool atTop)
{
    auto *item = new QListWidgetItem(u"[%1] %2"_s.arg(e.tenant, firstLine(e.sql)));
    item->setData(Qt::UserRole, e.sql);
    item->setToolTip(u"%1 · %2\n%3"_s.arg(
        QLocale().toString(e.at.toLocalTime(), QLocale::ShortFormat), e.message, e.sql.left(2000)));
    if (!e.ok)
        item->setForeground(QColor(0xd0, 0x30, 0x30));
    if (atTop)
        m_historyList->insertItem(0, item);
    else
        m_historyList->addItem(item);
}

} // namespace qsqld::ui
