#include "mainwindow.h"

#include "builtin/builtinserverpage.h"
#include "connections/connectionspage.h"
#include "core/apiclient.h"
#include "core/profilestore.h"
#include "pages.h"
#include "tenants/tenantspage.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

MainWindow::MainWindow(std::unique_ptr<ProfileStore> store, QWidget *parent)
    : QMainWindow(parent),
      m_store(store ? std::move(store) : std::make_unique<ProfileStore>(nullptr, makeSystemSecretStore())),
      m_nav(new QListWidget(this)), m_stack(new QStackedWidget(this)), m_connection(new QLabel(this))
{
    setWindowTitle(tr("qsqld console"));
    auto *split = new QSplitter(this);
    split->addWidget(m_nav);
    split->addWidget(m_stack);
    split->setStretchFactor(1, 1);
    split->setSizes({170, 1000});
    m_nav->setMaximumWidth(200);
    m_nav->setIconSize(QSize(20, 20));
    m_nav->setSpacing(2);
    setCentralWidget(split);
    statusBar()->addPermanentWidget(m_connection);
    connect(m_nav, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);

    auto *connections = new ConnectionsPage(m_store.get(), this);
    connect(connections, &ConnectionsPage::connectRequested, this, &MainWindow::connectTo);
    addPage(tr("Connections"), u"Ctrl+1"_s, connections);
    addPage(tr("Tenants"), u"Ctrl+2"_s, new TenantsPage(m_store.get(), this));
    addOptionalPages(*this, m_store.get(), [this](const QString &title, const QString &key, Page *page) {
        addPage(title, key, page);
    });
    auto *builtin = new BuiltinServerPage(this);
    connect(builtin, &BuiltinServerPage::profileReady, this, &MainWindow::connectTo);
    connect(builtin, &BuiltinServerPage::serverStopped, this, [this] {
        if (m_client && m_client->profile().name == tr("Built-in server"))
            disconnectFromServer();
    });
    addPage(tr("Built-in server"), u"Ctrl+9"_s, builtin);
    m_logDock = new QDockWidget(tr("Server log"), this);
    m_logDock->setObjectName(u"serverLog"_s);
    m_logDock->setWidget(builtin->logView());
    addDockWidget(Qt::BottomDockWidgetArea, m_logDock);
    m_logDock->hide(); // shown once the built-in server runs (and from the View menu)
    connect(builtin, &BuiltinServerPage::profileReady, m_logDock, &QDockWidget::show);

    auto *quit = new QShortcut(QKeySequence::Quit, this);
    connect(quit, &QShortcut::activated, this, &QWidget::close);
    QSettings settings;
    restoreGeometry(settings.value(u"window/geometry"_s).toByteArray());
    restoreState(settings.value(u"window/state"_s).toByteArray());
    m_nav->setCurrentRow(std::clamp(settings.value(u"window/page"_s, 0).toInt(), 0, int(m_pages.size()) - 1));
    if (m_pages.size() > 0 && size().width() < 400)
        resize(1100, 720);
    m_connection->setText(tr("Not connected"));
    connections->selectProfile(settings.value(u"window/lastProfile"_s).toString());
}

MainWindow::~MainWindow()
{
    // Pages drop their client before it goes.
    for (const auto &[title, page] : std::as_const(m_pages))
        page->setClient(nullptr);
}

void MainWindow::addPage(const QString &title, const QString &shortcut, Page *page)
{
    m_pages.append({title, page});
    m_nav->addItem(title);
    m_stack->addWidget(page);
    connect(page, &Page::tenantActivated, this, &MainWindow::setCurrentTenant);
    auto *sc = new QShortcut(QKeySequence(shortcut), this);
    const int row = int(m_pages.size()) - 1;
    connect(sc, &QShortcut::activated, this, [this, row] { m_nav->setCurrentRow(row); });
}

Page *MainWindow::page(const QString &title) const
{
    for (const auto &[t, p] : m_pages) {
        if (t == title)
            return p;
    }
    return nullptr;
}

void MainWindow::showPage(const QString &title)
{
    for (int i = 0; i < m_pages.size(); ++i) {
        if (m_pages[i].first == title)
            m_nav->setCurrentRow(i);
    }
}

void MainWindow::connectTo(const Profile &profile)
{
    for (const auto &[title, page] : std::as_const(m_pages))
        page->setClient(nullptr);
    m_client = std::make_unique<ApiClient>(profile);
    for (const auto &[title, page] : std::as_const(m_pages))
        page->setClient(m_client.get());
    m_connection->setText(tr("Connected: %1 (%2)").arg(profile.name, profile.userUrl.toString()));
    QSettings().setValue(u"window/lastProfile"_s, profile.name);
    setWindowTitle(tr("%1 — qsqld console").arg(profile.name));
    emit clientChanged(m_client.get());
}

void MainWindow::disconnectFromServer()
{
    for (const auto &[title, page] : std::as_const(m_pages))
        page->setClient(nullptr);
    m_client.reset();
    m_connection->setText(tr("Not connected"));
    setWindowTitle(tr("qsqld console"));
    emit clientChanged(nullptr);
}

void MainWindow::setCurrentTenant(const QString &ns)
{
    for (const auto &[title, page] : std::as_const(m_pages))
        page->setCurrentTenant(ns);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(u"window/geometry"_s, saveGeometry());
    settings.setValue(u"window/state"_s, saveState());
    settings.setValue(u"window/page"_s, m_nav->currentRow());
    QMainWindow::closeEvent(event);
}

} // namespace qsqld::ui
