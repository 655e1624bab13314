// Disk full and I/O errors, injected by a test-only SQLite VFS (faultvfs.h) under the in-process server: the
// request that meets the fault gets a clear error, reads and other tenants keep working, nothing acknowledged is
// lost, nothing refused is half-applied, and the tenant recovers when space returns (also across a restart).

#include "faultvfs.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace qsqld::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int TIMEOUT = 10000;

// The results of one pipeline of statements on `ns` (an HTTP failure is one result of type "http").
QJsonArray pipeline(quint16 port, const QByteArray &ns, const QList<QByteArray> &statements, QByteArray *baton = nullptr,
                    bool close = true)
{
    const RawResponse r = oneRequest(port, post("/v2/pipeline", pipelineBody(statements, baton ? *baton : QByteArray(), close),
                                                "x-namespace: " + ns + "\r\n"),
                                     TIMEOUT);
    if (r.status != 200)
        return QJsonArray{QJsonObject{{u"type"_s, u"http"_s}, {u"status"_s, r.status}, {u"body"_s, QString::fromUtf8(r.body)}}};
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    if (baton)
        *baton = o[u"baton"_s].toString().toUtf8();
    return o[u"results"_s].toArray();
}

QJsonObject one(quint16 port, const QByteArray &ns, const QByteArray &sql)
{
    return pipeline(port, ns, {sql}).at(0).toObject();
}

QString value(const QJsonObject &result)
{
    const QJsonValue v = result[u"response"_s][u"result"_s][u"rows"_s].toArray().at(0).toArray().at(0)[u"value"_s];
    return v.isString() ? v.toString() : QString::number(v.toDouble());
}

QString describe(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

} // namespace

class TestFaults : public QObject
{
    Q_OBJECT

    TestServer m_srv;

    RawResponse admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        return oneRequest(m_srv.adminPort(), method + ' ' + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                                 + QByteArray::number(body.size()) + "\r\n\r\n" + body,
                          TIMEOUT);
    }
    QString count(const QByteArray &ns) { return value(one(m_srv.port(), ns, "SELECT count(*) FROM t")); }
    bool ok(const QByteArray &ns, const QByteArray &sql)
    {
        const QJsonObject r = one(m_srv.port(), ns, sql);
        if (r[u"type"_s].toString() != u"ok"_s)
            qWarning().noquote() << sql << "→" << describe(r);
        return r[u"type"_s].toString() == u"ok"_s;
    }

private slots:
    void initTestCase()
    {
        FaultVfs::install();
        QVERIFY(m_srv.start());
        for (const QByteArray &ns : {"full"_ba, "other"_ba}) {
            QCOMPARE(admin("POST", "/v1/namespaces/" + ns + "/create", "{}").status, 200);
            QVERIFY(ok(ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"));
            QVERIFY(ok(ns, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10) "
                              "INSERT INTO t(v) SELECT 'row ' || x FROM c"));
        }
        QCOMPARE(count("full"), u"10"_s);
    }
    void cleanup() { FaultVfs::arm(FaultVfs::Fault::None); }

    void diskFullRefusesWritesKeepsReads()
    {
        const int hitsBefore = FaultVfs::hits();
        FaultVfs::arm(FaultVfs::Fault::DiskFull, "/dbs/full/");
        // A write fails with SQLite's disk-full error, as sqld reports it.
        const QJsonObject r = one(m_srv.port(), "full", "INSERT INTO t(v) VALUES ('refused')");
        QCOMPARE(r[u"type"_s].toString(), u"error"_s);
        QCOMPARE(r[u"error"_s][u"code"_s].toString(), u"SQLITE_FULL"_s);
        QVERIFY2(r[u"error"_s][u"message"_s].toString().contains(u"full"_s), qPrintable(describe(r)));
        QVERIFY(FaultVfs::hits() > hitsBefore);
        // A larger write and an interactive transaction fail too, and leave nothing behind.
        QCOMPARE(one(m_srv.port(), "full", "INSERT INTO t(v) SELECT v FROM t")[u"type"_s].toString(), u"error"_s);
        QByteArray baton;
        const QJsonArray begun = pipeline(m_srv.port(), "full", {"BEGIN", "INSERT INTO t(v) VALUES ('in tx')"}, &baton, false);
        QCOMPARE(begun.at(0)[u"type"_s].toString(), u"ok"_s);
        const QJsonArray committed = pipeline(m_srv.port(), "full", {"COMMIT"}, &baton, true);
        QVERIFY2(committed.at(0)[u"type"_s].toString() != u"ok"_s
                     || begun.at(1)[u"type"_s].toString() != u"ok"_s,
                 "a transaction committed while the disk was full");
        // Reads go on, and so does every other tenant.
        QCOMPARE(count("full"), u"10"_s);
        QVERIFY(ok("other", "INSERT INTO t(v) VALUES ('other tenant')"));
        QCOMPARE(count("other"), u"11"_s);

        // Space returns: the tenant writes again, with exactly what was acknowledged before.
        FaultVfs::arm(FaultVfs::Fault::None);
        QVERIFY(ok("full", "INSERT INTO t(v) VALUES ('after')"));
        QCOMPARE(count("full"), u"11"_s);
        QCOMPARE(value(one(m_srv.port(), "full", "SELECT count(*) FROM t WHERE v IN ('refused', 'in tx')")), u"0"_s);
        QCOMPARE(value(one(m_srv.port(), "full", "PRAGMA integrity_check")), u"ok"_s);
    }

    void syncErrorFailsCheckpointOnly()
    {
        FaultVfs::arm(FaultVfs::Fault::SyncError, "/dbs/full/");
        QVERIFY(ok("full", "INSERT INTO t(v) VALUES ('while fsync fails')")); // WAL commits do not fsync
        const RawResponse r = admin("POST", "/v1/namespaces/full/checkpoint");
        QCOMPARE(r.status, 500);
        QVERIFY2(r.body.contains("I/O") || r.body.contains("disk"), r.body.constData());
        QCOMPARE(count("full"), u"12"_s);
        FaultVfs::arm(FaultVfs::Fault::None);
        QCOMPARE(admin("POST", "/v1/namespaces/full/checkpoint").status, 200);
        QCOMPARE(count("full"), u"12"_s);
        QCOMPARE(value(one(m_srv.port(), "full", "PRAGMA integrity_check")), u"ok"_s);
    }

    // After faults, a restart finds every acknowledged row and a sound database.
    void restartAfterFaults()
    {
        FaultVfs::arm(FaultVfs::Fault::DiskFull, "/dbs/full/");
        QCOMPARE(one(m_srv.port(), "full", "INSERT INTO t(v) VALUES ('refused again')")[u"type"_s].toString(), u"error"_s);
        FaultVfs::arm(FaultVfs::Fault::None);
        QSignalSpy stopped(m_srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
        m_srv.runtime->stop();
        QVERIFY(stopped.count() || stopped.wait(30000));
        QVERIFY(m_srv.start());
        QCOMPARE(count("full"), u"12"_s);
        QCOMPARE(count("other"), u"11"_s);
        QCOMPARE(value(one(m_srv.port(), "full", "PRAGMA integrity_check")), u"ok"_s);
        QVERIFY(ok("full", "INSERT INTO t(v) VALUES ('after restart')"));
        QCOMPARE(count("full"), u"13"_s);
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
