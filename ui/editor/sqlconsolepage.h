#pragma once

// SqlConsolePage: the console's SQL page. A tenant selector (the deployment's tenant list, or free text when the
// server has none, as plain sqld), one SqlConsoleTab per opened tenant, buttons to run, explain, cancel and export,
// and the query history (HistoryStore, a local SQLite file) in a side list: double-click puts a query back.
// Nothing here blocks: every server call goes through ApiClient and every history access through HistoryStore.
// Thread rule: GUI thread only.

#include "core/page.h"
#include "editor/historystore.h"

#include <QPointer>

class QComboBox;
class QListWidget;
class QPushButton;
class QTabWidget;

namespace qsqld::ui {

class SqlConsoleTab;
struct RunOutcome;

class SqlConsolePage : public Page
{
    Q_OBJECT
public:
    explicit SqlConsolePage(QWidget *parent = nullptr);
    ~SqlConsolePage() override;

    void setClient(ApiClient *client) override;
    // Opens (or shows) the tab of `ns`; empty: nothing.
    void setCurrentTenant(const QString &ns) override;

    // Where the history file lives (default: HistoryStore::defaultDirectory()); reopens and reloads it.
    void setHistoryDirectory(const QString &directory);
    HistoryStore *history();
    QList<HistoryEntry> historyEntries() const { return m_entries; } // newest first, as listed

    SqlConsoleTab *openTenant(const QString &ns);
    SqlConsoleTab *tabFor(const QString &ns) const;
    SqlConsoleTab *currentTab() const;
    QComboBox *tenantSelector() const { return m_tenants; }

public slots:
    void runCurrent();
    void runScript();
    void explainCurrent();
    void cancel();
    void refreshTenants();
    void exportResult(); // asks for a file name; .json writes JSON, anything else CSV

protected:
    void showEvent(QShowEvent *event) override;

private:
    QWidget *buildToolbar();
    void onRunFinished(const QString &tenant, const QString &sql, const RunOutcome &outcome, const QString &message);
    void onHistoryLoaded(const QList<HistoryEntry> &entries);
    void onHistoryAdded(const HistoryEntry &entry);
    void addHistoryItem(const HistoryEntry &entry, bool atTop);
    void closeTab(int index);
    void updateButtons();

    QPointer<ApiClient> m_client;
    quint64 m_listEpoch = 0; // tenant lists of an older client are dropped
    QComboBox *m_tenants;
    QTabWidget *m_tabs;
    QListWidget *m_historyList;
    QPushButton *m_run = nullptr;
    QPushButton *m_runScript = nullptr;
    QPushButton *m_explain = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_export = nullptr;
    HistoryStore *m_history = nullptr;
    QList<HistoryEntry> m_entries;
};

} // namespace qsqld::ui
