#pragma once

// The tenants page: every namespace of the deployment with size and usage, filtered and sorted, refreshed in the
// background; create, delete (typed confirmation), fork, and per-tenant configuration (blocks, size limit).
// Against a server without GET /v1/namespaces (plain sqld) the list is kept by hand and stored locally.
// Thread rule: GUI thread only.

#include "core/page.h"

#include <QTimer>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace qsqld::ui {

class ProfileStore;
class TenantModel;

class TenantsPage : public Page
{
    Q_OBJECT
public:
    explicit TenantsPage(ProfileStore *store, QWidget *parent = nullptr);

    void setClient(ApiClient *client) override;
    TenantModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    bool listSupported() const { return m_supported; }
    QString statusText() const;
    void setRefreshInterval(int ms) { m_refresh.setInterval(ms); }

    // The actions behind the buttons (the dialogs only collect their arguments).
    void refresh();
    void createTenant(const QString &ns);
    // Deletes only when `typedName` repeats the tenant's name exactly.
    void deleteTenant(const QString &ns, const QString &typedName);
    void forkTenant(const QString &from, const QString &to);
    // `maxDbSize` as the admin API takes it ("10mb", "1 GiB"); empty: no limit.
    void configureTenant(const QString &ns, bool blockReads, bool blockWrites, const QString &blockReason,
                         const QString &maxDbSize);
    void addManualTenant(const QString &ns);
    void removeManualTenant(const QString &ns);

signals:
    void refreshed();
    void operationFinished(bool ok, const QString &message);

private:
    // Reloads the list; `announce`: say so in the status line (after an operation its own result stays there).
    void reload(bool announce);
    QString selectedTenant() const;
    void report(bool ok, const QString &message);
    void askCreate();
    void askDelete();
    void askFork();
    void askConfigure();

    ProfileStore *m_store;
    ApiClient *m_client = nullptr;
    TenantModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLineEdit *m_filter;
    QLabel *m_status;
    QTimer m_refresh;
    bool m_supported = true;
};

} // namespace qsqld::ui
