#pragma once

// The console's window: a list of pages on the left (connections, tenants, SQL, tokens, sizes, built-in server),
// the page on the right, the active deployment in the title and status bar, the built-in server's log in a dock.
// Owns the ApiClient of the active deployment and hands it to every page. State (size, page, last profile) is
// restored on restart. Thread rule: GUI thread only.

#include "core/profile.h"
#include "core/profilestore.h"

#include <QMainWindow>

#include <memory>

class QDockWidget;
class QLabel;
class QListWidget;
class QStackedWidget;

namespace qsqld::ui {

class ApiClient;
class Page;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // `store` null: the application's settings and the OS keychain.
    explicit MainWindow(std::unique_ptr<ProfileStore> store = nullptr, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Pages by title ("Connections", "Tenants", "SQL", "Tokens", "Sizes", "Built-in server").
    Page *page(const QString &title) const;
    void showPage(const QString &title);
    ApiClient *client() const { return m_client.get(); }

    void connectTo(const Profile &profile);
    void disconnectFromServer();

signals:
    void clientChanged(ApiClient *client);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void addPage(const QString &title, const QString &shortcut, Page *page);
    void setCurrentTenant(const QString &ns);

    std::unique_ptr<ProfileStore> m_store;
    std::unique_ptr<ApiClient> m_client;
    QListWidget *m_nav;
    QStackedWidget *m_stack;
    QLabel *m_connection;
    QDockWidget *m_logDock = nullptr;
    QList<QPair<QString, Page *>> m_pages;
};

} // namespace qsqld::ui
