// qsqld-console's core against a live in-process server, through its models and widgets (offscreen): profiles and
// their secrets, the API client's answers and error sentences, the tenants page (list, create, typed-confirmation
// delete, fork, configuration, the hand-kept list for servers without one), the built-in server page (start,
// a working profile with and without tokens, stop) and the main window wiring. No sleeps: QTRY_ waits.

#include "testserver.h"

#include "builtin/builtinserverpage.h"
#include "connections/connectionspage.h"
#include "core/apiclient.h"
#include "core/profilestore.h"
#include "mainwindow.h"
#include "tenants/tenantmodel.h"
#include "tenants/tenantspage.h"

#include <QApplication>
#include <QFile>
#include <QPlainTextEdit>
#include <QSortFilterProxyModel>
#include <QStandardPaths>

using namespace Qt::StringLiterals;
using namespace qsqld::test;
using namespace qsqld::ui;

namespace {

constexpr int TIMEOUT = 20000;

std::unique_ptr<ProfileStore> memoryStore(const QString &iniPath)
{
    return std::make_unique<ProfileStore>(std::make_unique<QSettings>(iniPath, QSettings::IniFormat),
                                          std::make_unique<MemorySecretStore>());
}

} // namespace

class TestConsole : public QObject
{
    Q_OBJECT

    TestServer m_srv;
    QTemporaryDir m_dir;

    Profile profile() const
    {
        Profile p;
        p.name = u"local"_s;
        p.userUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_srv.port()));
        p.adminUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_srv.adminPort()));
        return p;
    }
    QString ini(const QString &name) const { return m_dir.filePath(name + u".ini"_s); }

    // Runs `start(callback)` and waits for the callback's ApiResult.
    template<typename Start>
    static ApiResult wait(Start start)
    {
        std::optional<ApiResult> result;
        start([&result](ApiResult r) { result = std::move(r); });
        if (!QTest::qWaitFor([&result] { return result.has_value(); }, TIMEOUT)) // spins the event loop
            qWarning("no answer within %d ms", TIMEOUT);
        return result.value_or(ApiResult{});
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        qRegisterMetaType<Profile>();
        QCoreApplication::setOrganizationName(u"qsqld-tests"_s);
        QCoreApplication::setApplicationName(u"tst_console"_s);
        QVERIFY(m_srv.start());
    }

    void profileStoreKeepsSecretsOutOfSettings()
    {
        auto store = memoryStore(ini(u"profiles"_s));
        Profile p = profile();
        p.adminKey = "admin-secret";
        p.fixedToken = "token-secret";
        p.routing = Profile::Routing::Subdomain;
        bool saved = false;
        store->save(p, [&saved](QString error) { saved = error.isEmpty(); });
        QTRY_VERIFY(saved);
        QCOMPARE(store->names(), QStringList{u"local"_s});
        const Profile plain = store->profile(u"local"_s);
        QCOMPARE(plain.userUrl, p.userUrl);
        QCOMPARE(plain.routing, Profile::Routing::Subdomain);
        QVERIFY(plain.adminKey.isEmpty());
        std::optional<Profile> loaded;
        store->loadSecrets(plain, [&loaded](Profile full, QString) { loaded = full; });
        QTRY_VERIFY(loaded.has_value());
        QCOMPARE(loaded->adminKey, "admin-secret"_ba);
        QCOMPARE(loaded->fixedToken, "token-secret"_ba);
        QFile file(ini(u"profiles"_s));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY(!text.contains("admin-secret") && !text.contains("token-secret"));
        store->remove(u"local"_s);
        QVERIFY(store->names().isEmpty());
    }

    void subdomainRouting()
    {
        Profile p = profile();
        p.routing = Profile::Routing::Subdomain;
        p.userUrl = QUrl(u"https://db.example.com/base/"_s);
        QCOMPARE(p.tenantUrl(u"acme"_s, u"/v2/pipeline"_s), QUrl(u"https://acme.db.example.com/base/v2/pipeline"_s));
    }

    void apiClientErrorsInWords()
    {
        ApiClient ok(profile());
        bool done = false;
        QString message;
        ok.testConnection({}, [&](bool success, QString text) {
            done = success;
            message = text;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done, TIMEOUT);
        QVERIFY2(message.startsWith(u"Connected"_s), qPrintable(message));

        Profile unreachable = profile();
        unreachable.userUrl = QUrl(u"http://127.0.0.1:1"_s);
        ApiClient bad(unreachable);
        bool finished = false;
        bad.testConnection({}, [&](bool success, QString text) {
            finished = true;
            QVERIFY(!success);
            message = text;
        });
        QTRY_VERIFY_WITH_TIMEOUT(finished, TIMEOUT);
        QVERIFY2(message.startsWith(u"Cannot reach the user API"_s), qPrintable(message));
        QCOMPARE(describeFailure(401, {}, {}, true), u"The admin key was refused (401)"_s);
        QCOMPARE(describeFailure(401, u"x"_s, {}, false), u"The token was refused (401) (x)"_s);
    }

    void pipelineRoundTrip()
    {
        ApiClient client(profile());
        QVERIFY(wait([&](auto cb) { client.createTenant(u"pipe"_s, cb); }).ok);
        const QJsonArray requests{QJsonObject{{u"type"_s, u"execute"_s},
                                              {u"stmt"_s, QJsonObject{{u"sql"_s, u"SELECT 40 + 2"_s}}}}};
        const ApiResult r = wait([&](auto cb) { client.pipeline(u"pipe"_s, requests, {}, cb); });
        QVERIFY2(r.ok, qPrintable(r.error));
        const QJsonValue value = r.body[u"results"_s][0][u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s];
        QCOMPARE(value.toString(), u"42"_s);
        QVERIFY(!r.body.value(u"baton"_s).toString().isEmpty());
    }

    void tenantsPage()
    {
        auto store = memoryStore(ini(u"tenants"_s));
        TenantsPage page(store.get());
        ApiClient client(profile());
        page.setClient(&client);
        QSignalSpy refreshed(&page, &TenantsPage::refreshed);
        QVERIFY(refreshed.wait(TIMEOUT));
        QVERIFY(page.listSupported());

        QSignalSpy finished(&page, &TenantsPage::operationFinished);
        page.createTenant(u"alpha"_s);
        QTRY_VERIFY_WITH_TIMEOUT(page.statusText().startsWith(u"Created alpha"_s), TIMEOUT);
        QTRY_VERIFY_WITH_TIMEOUT(page.model()->tenants().size() >= 1, TIMEOUT);
        auto names = [&page] {
            QStringList out;
            for (const TenantInfo &t : page.model()->tenants())
                out.append(t.name);
            return out;
        };
        QTRY_VERIFY_WITH_TIMEOUT(names().contains(u"alpha"_s), TIMEOUT);

        page.forkTenant(u"alpha"_s, u"alpha-copy"_s);
        QTRY_VERIFY_WITH_TIMEOUT(names().contains(u"alpha-copy"_s), TIMEOUT);

        page.deleteTenant(u"alpha-copy"_s, u"alpha"_s); // wrong confirmation: nothing happens
        QVERIFY(page.statusText().startsWith(u"Not deleted"_s));
        page.deleteTenant(u"alpha-copy"_s, u"alpha-copy"_s);
        QTRY_VERIFY_WITH_TIMEOUT(!names().contains(u"alpha-copy"_s), TIMEOUT);

        // Other settings survive a change made on this page.
        QJsonObject before = wait([&](auto cb) { client.tenantConfig(u"alpha"_s, cb); }).body;
        before.insert(u"allow_attach"_s, true);
        before.remove(u"max_db_size_bytes"_s);
        QVERIFY(wait([&](auto cb) { client.setTenantConfig(u"alpha"_s, before, cb); }).ok);
        page.configureTenant(u"alpha"_s, false, true, u"maintenance"_s, u"2mb"_s);
        QTRY_VERIFY_WITH_TIMEOUT(page.statusText().startsWith(u"Saved the configuration"_s), TIMEOUT);
        const ApiResult config = wait([&](auto cb) { client.tenantConfig(u"alpha"_s, cb); });
        QVERIFY(config.body.value(u"block_writes"_s).toBool());
        QCOMPARE(config.body.value(u"block_reason"_s).toString(), u"maintenance"_s);
        QVERIFY(config.body.value(u"max_db_size"_s).isString());
        QVERIFY(config.body.value(u"allow_attach"_s).toBool());

        // Filtering is case-insensitive on the name column.
        page.proxy()->setFilterFixedString(u"ALP"_s);
        QCOMPARE(page.proxy()->rowCount(), 1);
        page.setClient(nullptr);
    }

    void tenantsPageWithoutList()
    {
        // A server without GET /v1/namespaces (plain sqld): the admin URL points at the user port here.
        auto store = memoryStore(ini(u"manual"_s));
        Profile p = profile();
        p.adminUrl = p.userUrl;
        TenantsPage page(store.get());
        ApiClient client(p);
        page.setClient(&client);
        QSignalSpy refreshed(&page, &TenantsPage::refreshed);
        QVERIFY(refreshed.wait(TIMEOUT));
        QVERIFY(!page.listSupported());
        QVERIFY(page.statusText().contains(u"no tenant list"_s));
        page.createTenant(u"kept-by-hand"_s);
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, TIMEOUT);
        QCOMPARE(store->manualTenants(u"local"_s), QStringList{u"kept-by-hand"_s});
        page.deleteTenant(u"kept-by-hand"_s, u"kept-by-hand"_s);
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 0, TIMEOUT);
        page.setClient(nullptr);
    }

    void builtinServer_data()
    {
        QTest::addColumn<bool>("tokens");
        QTest::addRow("open") << false;
        QTest::addRow("tokens and admin key") << true;
    }
    void builtinServer()
    {
        QFETCH(bool, tokens);
        QTemporaryDir data;
        BuiltinServerPage page;
        page.setDataFolder(data.path());
        page.setPorts(0, 0);
        page.setRequireTokens(tokens);
        QSignalSpy ready(&page, &BuiltinServerPage::profileReady);
        page.start();
        QVERIFY(ready.wait(TIMEOUT));
        QVERIFY(page.isRunning());
        const Profile p = ready.front().front().value<Profile>();
        QCOMPARE(p.signingKeyPem.isEmpty(), !tokens);
        ApiClient client(p);
        QVERIFY(wait([&](auto cb) { client.createTenant(u"local"_s, cb); }).ok);
        const QJsonArray requests{QJsonObject{{u"type"_s, u"execute"_s},
                                              {u"stmt"_s, QJsonObject{{u"sql"_s, u"SELECT 1"_s}}}}};
        const ApiResult r = wait([&](auto cb) { client.pipeline(u"local"_s, requests, {}, cb); });
        QVERIFY2(r.ok, qPrintable(r.error));
        if (tokens) {
            Profile noKey = p;
            noKey.adminKey.clear();
            noKey.signingKeyPem.clear();
            ApiClient anonymous(noKey);
            const ApiResult refused = wait([&](auto cb) { anonymous.pipeline(u"local"_s, requests, {}, cb); });
            QCOMPARE(refused.status, 401);
            QVERIFY(!wait([&](auto cb) { anonymous.createTenant(u"nope"_s, cb); }).ok);
        }
        QVERIFY(page.logView()->toPlainText().contains(u"Started: user API"_s));
        QSignalSpy stopped(&page, &BuiltinServerPage::serverStopped);
        page.stop();
        QVERIFY(stopped.wait(TIMEOUT));
        QVERIFY(!page.isRunning());
    }

    void mainWindowWiring()
    {
        MainWindow window(memoryStore(ini(u"window"_s)));
        for (const QString &title : {u"Connections"_s, u"Tenants"_s, u"Built-in server"_s})
            QVERIFY2(window.page(title), qPrintable(title));
        auto *tenants = qobject_cast<TenantsPage *>(window.page(u"Tenants"_s));
        QSignalSpy refreshed(tenants, &TenantsPage::refreshed);
        window.connectTo(profile());
        QVERIFY(window.client());
        QVERIFY(refreshed.wait(TIMEOUT));
        QVERIFY(tenants->model()->rowCount() >= 1);
        window.disconnectFromServer();
        QVERIFY(!window.client());

        // The connections page hands its form to the window.
        auto *connections = qobject_cast<ConnectionsPage *>(window.page(u"Connections"_s));
        connections->showProfile(profile());
        QSignalSpy tested(connections, &ConnectionsPage::testFinished);
        connections->testConnection();
        QVERIFY(tested.wait(TIMEOUT));
        QVERIFY(tested.front().front().toBool());
        connections->connectCurrent();
        QTRY_VERIFY(window.client());
        QCOMPARE(window.client()->profile().name, u"local"_s);
    }

    void cleanupTestCase()
    {
        QSignalSpy stopped(m_srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
        m_srv.runtime->stop();
        QVERIFY(stopped.count() > 0 || stopped.wait(30000));
    }
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
