// Tenant size history: the SizeHistory engine on a temporary SQLite file, and SizesPage polling a live
// in-process qsqld (loopback, port 0) through ApiClient.

#include "charts/sizehistory.h"
#include "charts/sizespage.h"
#include "core/apiclient.h"
#include "testserver.h"

#include <QAbstractSeries>
#include <QChart>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using namespace qsqld;
using ui::SizeHistory;
using ui::TenantInfo;

namespace {

const QDateTime T0 = QDateTime(QDate(2024, 5, 1), QTime(12, 0), Qt::UTC);

TenantInfo tenant(const QString &name, qint64 bytes)
{
    TenantInfo t;
    t.name = name;
    t.sizeBytes = bytes;
    return t;
}

// Runs one ApiClient call and waits (running the event loop) for its answer.
template <typename Start> std::optional<ui::ApiResult> await(Start start)
{
    auto out = std::make_shared<std::optional<ui::ApiResult>>();
    start([out](ui::ApiResult r) { *out = std::move(r); });
    (void)QTest::qWaitFor([&out] { return out->has_value(); }, 10000); // nullopt on timeout
    return *out;
}

QJsonObject execute(const QString &sql)
{
    return {{u"type"_s, u"execute"_s}, {u"stmt"_s, QJsonObject{{u"sql"_s, sql}}}};
}

QStringList seriesNames(const QChart *chart)
{
    QStringList names;
    for (const QAbstractSeries *s : chart->series())
        names.append(s->name());
    return names;
}

} // namespace

class TstSizes : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void seriesAndGrowth();
    void retention();
    void survivesReopening();
    void quotas();
    void quotaFromConfig_data();
    void quotaFromConfig();
    void pageOnLiveServer();
    void pageWithoutTenantList();

private:
    std::optional<qint64> sizeOf(ui::ApiClient &client, const QString &ns);

    QTemporaryDir m_dir;
    test::TestServer m_server;
};

void TstSizes::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(m_server.start());
}

void TstSizes::seriesAndGrowth()
{
    SizeHistory h(m_dir.filePath(u"growth.sqlite"_s));
    QVERIFY2(h.isOpen(), qPrintable(h.errorString()));
    h.setDeployment(u"prod"_s);
    QVERIFY(h.record(T0, {tenant(u"a"_s, 100), tenant(u"b"_s, 1000), tenant(u"unknown"_s, -1)}));
    QVERIFY(h.record(T0.addSecs(3600), {tenant(u"a"_s, 200), tenant(u"b"_s, 1000)}));
    QVERIFY(h.record(T0.addSecs(7200), {tenant(u"a"_s, 300), tenant(u"b"_s, 5000), tenant(u"c"_s, 50)}));
    QVERIFY(h.record(T0.addSecs(10800), {tenant(u"a"_s, 400), tenant(u"c"_s, 40)}));

    QCOMPARE(h.tenants(), (QStringList{u"a"_s, u"b"_s, u"c"_s})); // no size: no sample
    const auto a = h.series(u"a"_s, T0.addSecs(3600), T0.addSecs(7200));
    QCOMPARE(a.size(), 2);
    QCOMPARE(a[0].time, T0.addSecs(3600));
    QCOMPARE(a[0].bytes, 200);
    QCOMPARE(a[1].bytes, 300);
    QCOMPARE(h.series(u"a"_s, T0, T0.addSecs(10800)).size(), 4);
    QCOMPARE(h.latest(u"a"_s)->bytes, 400);
    QVERIFY(!h.latest(u"nobody"_s));

    // Whole range: b +4000, a +300, c -10.
    auto top = h.topGrowth(10, T0, T0.addSecs(10800));
    QCOMPARE(top.size(), 3);
    QCOMPARE(top[0].tenant, u"b"_s);
    QCOMPARE(top[0].gained(), 4000);
    QCOMPARE(top[1].tenant, u"a"_s);
    QCOMPARE(top[1].gained(), 300);
    QCOMPARE(top[2].gained(), -10);
    QCOMPARE(h.topGrowth(1, T0, T0.addSecs(10800)).size(), 1);

    // A window starting between samples uses the last sample before it as the baseline.
    top = h.topGrowth(10, T0.addSecs(5400), T0.addSecs(10800));
    QCOMPARE(top.size(), 3);
    QCOMPARE(top[0].tenant, u"b"_s);
    QCOMPARE(top[0].fromBytes, 1000);
    QCOMPARE(top[1].tenant, u"a"_s);
    QCOMPARE(top[1].fromBytes, 200);
    QCOMPARE(top[1].toBytes, 400);

    // Another deployment sees nothing of this one, and a second connection to the same file works.
    SizeHistory other(m_dir.filePath(u"growth.sqlite"_s));
    other.setDeployment(u"staging"_s);
    QVERIFY(other.tenants().isEmpty());
    other.setDeployment(u"prod"_s);
    QCOMPARE(other.tenants().size(), 3);
}

void TstSizes::retention()
{
    SizeHistory h(m_dir.filePath(u"retention.sqlite"_s));
    const QDateTime now = T0.addDays(100);
    QVERIFY(h.record(T0, {tenant(u"a"_s, 1), tenant(u"b"_s, 2)}));
    QVERIFY(h.record(now.addDays(-31), {tenant(u"a"_s, 3)}));
    QVERIFY(h.record(now.addDays(-29), {tenant(u"a"_s, 4)}));
    QVERIFY(h.record(now, {tenant(u"a"_s, 5)}));
    QCOMPARE(h.dropOlderThan(30, now), 3);
    const auto left = h.series(u"a"_s, T0, now);
    QCOMPARE(left.size(), 2);
    QCOMPARE(left[0].bytes, 4);
    QCOMPARE(h.tenants(), QStringList{u"a"_s});
    QCOMPARE(h.dropOlderThan(30, now), 0);
}

void TstSizes::survivesReopening()
{
    const QString path = m_dir.filePath(u"sub/dir/reopen.sqlite"_s); // folders are created
    {
        SizeHistory h(path);
        QVERIFY2(h.isOpen(), qPrintable(h.errorString()));
        QVERIFY(h.record(T0, {tenant(u"a"_s, 10)}));
        QVERIFY(h.record(T0.addSecs(60), {tenant(u"a"_s, 20)}));
        QVERIFY(h.setQuota(u"a"_s, 1000));
    }
    SizeHistory h(path);
    const auto series = h.series(u"a"_s, T0, T0.addSecs(60));
    QCOMPARE(series.size(), 2);
    QCOMPARE(series[1].bytes, 20);
    QCOMPARE(h.quota(u"a"_s), 1000);
}

void TstSizes::quotas()
{
    SizeHistory h(m_dir.filePath(u"quotas.sqlite"_s));
    QVERIFY(h.record(T0, {tenant(u"full"_s, 950), tenant(u"edge"_s, 900), tenant(u"free"_s, 10)}));
    QVERIFY(h.setQuota(u"full"_s, 1000));
    QVERIFY(h.setQuota(u"edge"_s, 1000)); // exactly 90%: not above
    QVERIFY(h.setQuota(u"free"_s, 1000));
    const auto near = h.nearQuota();
    QCOMPARE(near.size(), 1);
    QCOMPARE(near[0].tenant, u"full"_s);
    QCOMPARE(near[0].bytes, 950);
    QCOMPARE(near[0].quotaBytes, 1000);
    QVERIFY(qFuzzyCompare(near[0].fraction(), 0.95));
    QVERIFY(!h.quotaInfo(u"edge"_s).nearQuota());

    QVERIFY(h.setQuota(u"full"_s, -1)); // removed
    QCOMPARE(h.quota(u"full"_s), -1);
    QVERIFY(!h.quotaInfo(u"full"_s).hasQuota());
    QVERIFY(h.nearQuota().isEmpty());
}

void TstSizes::quotaFromConfig_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<qint64>("expected"); // -1: none
    QTest::addRow("qsqld bytes") << R"({"max_db_size":"1.0 MB","max_db_size_bytes":999424})"_ba << qint64(999424);
    QTest::addRow("sqld text") << R"({"max_db_size":"10.0 MB"})"_ba << qint64(10'000'000);
    QTest::addRow("binary unit") << R"({"max_db_size":"2 MiB"})"_ba << qint64(2 << 20);
    QTest::addRow("unlimited") << R"({"max_db_size":null,"max_db_size_bytes":null})"_ba << qint64(-1);
    QTest::addRow("absent") << R"({"block_reads":false})"_ba << qint64(-1);
    QTest::addRow("garbage") << R"({"max_db_size":"lots"})"_ba << qint64(-1);
}

void TstSizes::quotaFromConfig()
{
    QFETCH(QByteArray, json);
    QFETCH(qint64, expected);
    QCOMPARE(SizeHistory::quotaFromConfig(QJsonDocument::fromJson(json).object()).value_or(-1), expected);
}

std::optional<qint64> TstSizes::sizeOf(ui::ApiClient &client, const QString &ns)
{
    auto out = std::make_shared<std::optional<qint64>>();
    client.listTenants([out, ns](bool, QList<TenantInfo> tenants, QString) {
        *out = -1;
        for (const TenantInfo &t : tenants) {
            if (t.name == ns)
                *out = t.sizeBytes;
        }
    });
    (void)QTest::qWaitFor([&out] { return out->has_value(); }, 10000); // nullopt on timeout
    return *out;
}

void TstSizes::pageOnLiveServer()
{
    ui::Profile profile;
    profile.name = u"live"_s;
    profile.userUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.port()));
    profile.adminUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.adminPort()));
    ui::ApiClient client(profile);
    for (const QString &ns : {u"big"_s, u"small"_s}) {
        const auto created = await([&](auto done) { client.createTenant(ns, done); });
        QVERIFY2(created && created->ok, qPrintable(created ? created->error : u"timeout"_s));
    }
    // POST .../config takes the whole config (as sqld): change max_db_size in the current one.
    auto config = await([&](auto done) { client.tenantConfig(u"big"_s, done); });
    QVERIFY(config && config->ok);
    QJsonObject changed = config->body;
    changed.insert(u"max_db_size"_s, u"1mb"_s);
    changed.remove(u"max_db_size_bytes"_s);
    changed.remove(u"max_row_size"_s);
    const auto set = await([&](auto done) { client.setTenantConfig(u"big"_s, changed, done); });
    QVERIFY2(set && set->ok, qPrintable(set ? set->error : u"timeout"_s));
    config = await([&](auto done) { client.tenantConfig(u"big"_s, done); });
    QVERIFY(config && config->ok);
    const qint64 quota = SizeHistory::quotaFromConfig(config->body).value_or(-1);
    QVERIFY(quota > 0);

    ui::SizesPage page(std::make_unique<SizeHistory>(m_dir.filePath(u"page.sqlite"_s)));
    QCOMPARE(page.pollInterval(), 60s);
    page.setCurrentTenant(u"big"_s);
    QSignalSpy polled(&page, &ui::SizesPage::polled);
    page.setClient(&client); // polls at once
    QTRY_VERIFY(polled.size() >= 1);
    QCOMPARE(polled.last().first().toBool(), true);
    QCOMPARE(page.selectedTenants(), QStringList{u"big"_s});
    QTRY_VERIFY(seriesNames(page.chart()).contains(u"big"_s));
    QVERIFY(seriesNames(page.chart()).contains(u"big quota"_s));
    QCOMPARE(page.history().quota(u"big"_s), quota);
    QVERIFY(page.quotaWarning().isEmpty());

    // Fill `big` above 90% of its quota, batch by batch (each batch below what is left).
    auto create = await([&](auto done) {
        client.pipeline(u"big"_s, {execute(u"CREATE TABLE t(x BLOB)"_s), QJsonObject{{u"type"_s, u"close"_s}}},
                        {}, done);
    });
    QVERIFY(create && create->ok);
    const QString batch = u"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20) "
                          "INSERT INTO t SELECT randomblob(4000) FROM c"_s;
    for (int i = 0; i < 20 && sizeOf(client, u"big"_s).value_or(0) <= quota * 0.93; ++i) {
        const auto r = await([&](auto done) {
            client.pipeline(u"big"_s, {execute(batch), QJsonObject{{u"type"_s, u"close"_s}}}, {}, done);
        });
        QVERIFY(r && r->ok);
        const auto first = r->body.value("results"_L1).toArray().first().toObject();
        QVERIFY2(first.value("type"_L1) == u"ok"_s, QJsonDocument(first).toJson().constData());
    }
    QVERIFY(sizeOf(client, u"big"_s).value_or(0) > quota * 0.93);

    page.pollNow();
    QTRY_VERIFY(page.quotaWarning().contains(u"big"_s));
    QVERIFY(!page.quotaWarning().contains(u"small"_s));
    QVERIFY(!page.findChild<QLabel *>(u"quotaWarning"_s)->isHidden());
    auto *top = page.findChild<QTreeWidget *>(u"topGrowth"_s);
    QTRY_VERIFY(top->topLevelItemCount() >= 1);
    QCOMPARE(top->topLevelItem(0)->text(0), u"big"_s);

    // Two tenants: two size lines, one quota line. Then the timer polls by itself.
    page.setSelectedTenants({u"big"_s, u"small"_s});
    QCOMPARE(seriesNames(page.chart()).size(), 3);
    QVERIFY(seriesNames(page.chart()).contains(u"small"_s));
    const auto before = polled.size();
    page.setPollInterval(1s);
    QTRY_VERIFY_WITH_TIMEOUT(polled.size() > before, 5000);
    page.setClient(nullptr);
}

void TstSizes::pageWithoutTenantList()
{
    // The user API has no GET /v1/namespaces: it answers like plain sqld's admin API would (404).
    ui::Profile profile;
    profile.name = u"sqld"_s;
    profile.userUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.port()));
    profile.adminUrl = profile.userUrl;
    ui::ApiClient client(profile);
    ui::SizesPage page(std::make_unique<SizeHistory>(m_dir.filePath(u"sqld.sqlite"_s)));
    QSignalSpy polled(&page, &ui::SizesPage::polled);
    page.setClient(&client);
    QTRY_VERIFY(polled.size() >= 1);
    QCOMPARE(polled.first().first().toBool(), false);
    auto *message = page.findChild<QLabel *>(u"sizesMessage"_s);
    QVERIFY(message->text().contains(u"sqld"_s));
    auto *stack = page.findChild<QStackedWidget *>();
    QCOMPARE(stack->currentWidget(), message);
}

QTEST_MAIN(TstSizes)
#include "tst_sizes.moc"
