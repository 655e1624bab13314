// The admin API beyond create/delete (stats, stats reset, checkpoint, metrics, the paged namespace list) and the
// user API's GET /dump, against a live in-process server.

#include "testserver.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

using namespace qsqld::test;

class TestAdmin : public QObject
{
    Q_OBJECT

    TestServer m_srv;

    RawResponse request(quint16 port, const QByteArray &raw, int timeoutMs = 20000)
    {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        if (!s.waitForConnected(5000))
            return {};
        s.write(raw);
        return readResponses(s, 1, timeoutMs).value(0);
    }
    RawResponse admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        return request(m_srv.adminPort(), method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                              + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    }
    RawResponse sql(const QByteArray &ns, const QByteArray &statement)
    {
        return request(m_srv.port(), post("/v2/pipeline", executeBody(statement), "x-namespace: " + ns + "\r\n"));
    }
    static QJsonObject json(const RawResponse &r) { return QJsonDocument::fromJson(r.body).object(); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_srv.start());
        for (const char *ns : {"alpha", "beta", "gamma", "delta"})
            QCOMPARE(admin("POST", "/v1/namespaces/" + QByteArray(ns) + "/create", "{}").status, 200);
    }

    void statsFollowSqldRules()
    {
        QCOMPARE(sql("alpha", "CREATE TABLE t(x)").status, 200);
        QCOMPARE(sql("alpha", "INSERT INTO t VALUES (1),(2),(3)").status, 200);
        QCOMPARE(sql("alpha", "SELECT * FROM t").status, 200);
        const RawResponse r = admin("GET", "/v1/namespaces/alpha/stats");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        const QJsonObject o = json(r);
        const QStringList keys{QStringLiteral("id"), QStringLiteral("rows_read_count"), QStringLiteral("rows_written_count"), QStringLiteral("storage_bytes_used"),
                               QStringLiteral("write_requests_delegated"), QStringLiteral("replication_index"), QStringLiteral("top_queries"),
                               QStringLiteral("slowest_queries"), QStringLiteral("embedded_replica_frames_replicated"), QStringLiteral("query_count"),
                               QStringLiteral("elapsed_ms"), QStringLiteral("queries")};
        for (const QString &k : keys)
            QVERIFY2(o.contains(k), qPrintable(k));
        QCOMPARE(o[QStringLiteral("query_count")].toInteger(), 3);
        QCOMPARE(o[QStringLiteral("rows_written_count")].toInteger(), 3);
        // CREATE TABLE read and wrote nothing: it counts as one row read (sqld's billing rule).
        QVERIFY(o[QStringLiteral("rows_read_count")].toInteger() >= 1 + 3);
        QVERIFY(o[QStringLiteral("storage_bytes_used")].toInteger() >= 4096);
        QCOMPARE(o[QStringLiteral("top_queries")].toArray().size(), 3);
        QCOMPARE(o[QStringLiteral("slowest_queries")].toArray().size(), 3);
        QCOMPARE(o[QStringLiteral("queries")][QStringLiteral("count")].toInteger(), 3);

        QCOMPARE(admin("DELETE", "/v1/namespaces/alpha/stats/top").status, 200);
        QCOMPARE(json(admin("GET", "/v1/namespaces/alpha/stats"))[QStringLiteral("top_queries")].toArray().size(), 0);
        QCOMPARE(json(admin("GET", "/v1/namespaces/alpha/stats"))[QStringLiteral("slowest_queries")].toArray().size(), 3);
        const RawResponse bad = admin("DELETE", "/v1/namespaces/alpha/stats/other");
        QCOMPARE(bad.status, 500);
        QCOMPARE(bad.body, QByteArray("{\"error\":\"Internal Error: `Invalid stats type`\"}"));
        QCOMPARE(admin("GET", "/v1/namespaces/nosuch/stats").status, 404);
    }

    void checkpointTruncatesWal()
    {
        QCOMPARE(sql("beta", "CREATE TABLE t(x)").status, 200);
        QCOMPARE(sql("beta", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 500) "
                             "INSERT INTO t SELECT randomblob(500) FROM c")
                     .status,
                 200);
        const QString wal = m_srv.dir.path() + QStringLiteral("/data/dbs/beta/data-wal");
        QVERIFY(QFileInfo(wal).size() > 0);
        QCOMPARE(admin("POST", "/v1/namespaces/beta/checkpoint").status, 200);
        QCOMPARE(QFileInfo(wal).size(), 0);
        QCOMPARE(admin("POST", "/v1/namespaces/nosuch/checkpoint").status, 404);
    }

    void listIsPagedAndCarriesUsage()
    {
        QCOMPARE(sql("gamma", "CREATE TABLE t(x)").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(
            [this] {
                for (const QJsonValue &v : json(admin("GET", "/v1/namespaces"))[QStringLiteral("namespaces")].toArray()) {
                    if (v[QStringLiteral("name")].toString() == QStringLiteral("gamma"))
                        return v[QStringLiteral("query_count")].toInteger() == 1 && !v[QStringLiteral("last_activity")].isNull();
                }
                return false;
            }(),
            5000);
        QStringList seen;
        QString after;
        for (int page = 0; page < 10; ++page) {
            const RawResponse r = admin("GET", "/v1/namespaces?limit=2" + (after.isEmpty() ? QByteArray()
                                                                                          : "&after=" + after.toUtf8()));
            QCOMPARE(r.status, 200);
            const QJsonObject o = json(r);
            const QJsonArray list = o[QStringLiteral("namespaces")].toArray();
            QVERIFY(list.size() <= 2);
            for (const QJsonValue &v : list)
                seen.append(v[QStringLiteral("name")].toString());
            if (o[QStringLiteral("next")].isNull())
                break;
            after = o[QStringLiteral("next")].toString();
        }
        QStringList sorted = seen;
        sorted.sort();
        QCOMPARE(seen, sorted);
        for (const char *ns : {"alpha", "beta", "delta", "gamma"})
            QVERIFY2(seen.contains(QString::fromLatin1(ns)), ns);
        QCOMPARE(seen.removeDuplicates(), 0);
        QCOMPARE(admin("GET", "/v1/namespaces?limit=0").status, 400);
        QCOMPARE(admin("GET", "/v1/namespaces?limit=abc").status, 400);
    }

    void metricsArePrometheusText()
    {
        QCOMPARE(sql("delta", "CREATE TABLE t(x)").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(admin("GET", "/metrics").body.contains("libsql_server_query_count{namespace=\"delta\"} 1"),
                                 5000);
        const RawResponse r = admin("GET", "/metrics");
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/plain"));
        for (const QByteArray &line : r.body.split('\n')) {
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            // name{labels} value  or  name value
            static const QRegularExpression re(u"^[a-z_]+(\\{[a-z_]+=\"[^\"]*\"\\})? -?[0-9]+$"_qs);
            QVERIFY2(re.match(QString::fromUtf8(line)).hasMatch(), line.constData());
        }
        QVERIFY(r.body.contains("# TYPE libsql_server_rows_read counter"));
        QVERIFY(r.body.contains("libsql_server_storage{namespace=\"delta\"}"));
    }

    void dumpLoadsIntoSqlite3()
    {
        QCOMPARE(sql("alpha", "CREATE TABLE d(id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, b REAL, c BLOB)").status,
                 200);
        QCOMPARE(request(m_srv.port(),
                         post("/v2/pipeline",
                              "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO d(a,b,c) VALUES "
                              "(?,?,?)\",\"args\":[{\"type\":\"text\",\"value\":\"it's \\\"q\\\"\\n\"},{\"type\":"
                              "\"float\",\"value\":0.1},{\"type\":\"blob\",\"base64\":\"AAEC\"}]}}]}",
                              "x-namespace: alpha\r\n"))
                     .status,
                 200);
        QCOMPARE(sql("alpha", "CREATE INDEX da ON d(a)").status, 200);
        QCOMPARE(sql("alpha", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) "
                              "INSERT INTO d(a, b) SELECT 'row' || x, x / 7.0 FROM c")
                     .status,
                 200);
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_srv.port());
        QVERIFY(s.waitForConnected(5000));
        s.write("GET /dump HTTP/1.1\r\nHost: x\r\nx-namespace: alpha\r\n\r\n");
        QByteArray raw;
        QSignalSpy ready(&s, &QTcpSocket::readyRead);
        QElapsedTimer t;
        t.start();
        while (!raw.endsWith("\r\n0\r\n\r\n") && t.elapsed() < 30000) {
            raw += s.readAll();
            if (!raw.endsWith("\r\n0\r\n\r\n"))
                ready.wait(1000);
        }
        const qsizetype headEnd = raw.indexOf("\r\n\r\n");
        QVERIFY(raw.left(headEnd).contains("transfer-encoding: chunked"));
        QVERIFY(raw.startsWith("HTTP/1.1 200"));
        QByteArray body;
        qsizetype pos = headEnd + 4;
        for (;;) {
            const qsizetype eol = raw.indexOf("\r\n", pos);
            const qsizetype size = raw.mid(pos, eol - pos).toLongLong(nullptr, 16);
            if (size == 0)
                break;
            body += raw.mid(eol + 2, size);
            pos = eol + 2 + size + 2;
        }
        QVERIFY(body.startsWith("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"));
        QVERIFY(body.endsWith("COMMIT;\n"));

        const QString target = m_srv.dir.path() + QStringLiteral("/restored.db");
        QProcess sqlite3;
        sqlite3.start(QStringLiteral("sqlite3"), {target});
        QVERIFY2(sqlite3.waitForStarted(), "the sqlite3 shell is needed (apt-get install sqlite3)");
        sqlite3.write(body);
        sqlite3.write("\nSELECT count(*), sum(b), (SELECT a FROM d WHERE id = 1), hex((SELECT c FROM d WHERE id = 1)) "
                      "FROM d;\nPRAGMA integrity_check;\nSELECT seq FROM sqlite_sequence WHERE name = 'd';\n");
        sqlite3.closeWriteChannel();
        QVERIFY(sqlite3.waitForFinished(30000));
        const QByteArray out = sqlite3.readAllStandardOutput();
        QVERIFY2(sqlite3.readAllStandardError().isEmpty(), out.constData());
        const QByteArray expect = sql("alpha", "SELECT count(*) || '|' || sum(b) FROM d").body;
        const QByteArray countSum = QJsonDocument::fromJson(expect)[QStringLiteral("results")][0][QStringLiteral("response")][QStringLiteral("result")]
                                        [QStringLiteral("rows")][0][0][QStringLiteral("value")].toString().toUtf8();
        QVERIFY2(out.startsWith(QByteArray(countSum + "|it's \"q\"\n|000102\nok\n20001\n")), out.constData());
    }

    void configGetPostAndEnforcement()
    {
        QCOMPARE(admin("POST", "/v1/namespaces/cfg/create", "{\"max_db_size\":\"100KB\"}").status, 200);
        const QJsonObject c = json(admin("GET", "/v1/namespaces/cfg/config"));
        QCOMPARE(c[QStringLiteral("block_writes")].toBool(), false);
        QCOMPARE(c[QStringLiteral("max_db_size_bytes")].toInteger(), 24 * 4096); // 100 kB → 24 whole pages
        QVERIFY(c.contains(QStringLiteral("max_db_size")));
        // max_db_size is enforced with SQLite's own error, as in sqld.
        QCOMPARE(sql("cfg", "CREATE TABLE t(x)").status, 200);
        const QJsonObject full = json(sql("cfg", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                                                 "WHERE x < 100) INSERT INTO t SELECT randomblob(2000) FROM c"));
        QCOMPARE(full[QStringLiteral("results")][0][QStringLiteral("error")][QStringLiteral("code")].toString(),
                 QStringLiteral("SQLITE_FULL"));
        // POST replaces: block writes with a reason; reads still work.
        QCOMPARE(admin("POST", "/v1/namespaces/cfg/config",
                       "{\"block_reads\":false,\"block_writes\":true,\"block_reason\":\"maintenance\"}")
                     .status,
                 200);
        const QJsonObject blocked = json(sql("cfg", "INSERT INTO t VALUES (1)"))[QStringLiteral("results")][0]
                                        [QStringLiteral("error")].toObject();
        QCOMPARE(blocked[QStringLiteral("code")].toString(), QStringLiteral("BLOCKED"));
        QCOMPARE(blocked[QStringLiteral("message")].toString(), QStringLiteral("Operation was blocked: maintenance"));
        QVERIFY(sql("cfg", "SELECT count(*) FROM t").body.contains("\"type\":\"ok\""));
        // Missing required fields: sqld's 422 plain-text answer.
        QCOMPARE(admin("POST", "/v1/namespaces/cfg/config", "{}").status, 422);
        QCOMPARE(admin("GET", "/v1/namespaces/nosuch/config").status, 404);
        // The config survives a restart (metastore).
        const QByteArray before = admin("GET", "/v1/namespaces/cfg/config").body;
        m_srv.runtime.reset();
        auto cfg = TestServer::defaultConfig();
        cfg.dbPath = m_srv.dir.path() + QStringLiteral("/data");
        m_srv.runtime = std::make_unique<qsqld::runtime::ServerRuntime>(cfg);
        QString error;
        QVERIFY2(m_srv.runtime->start(&error), qPrintable(error));
        QCOMPARE(admin("GET", "/v1/namespaces/cfg/config").body, before);
    }

    void forkCopiesDataAndConfig()
    {
        QCOMPARE(admin("POST", "/v1/namespaces/src/create", "{\"allow_attach\":true}").status, 200);
        QCOMPARE(sql("src", "CREATE TABLE t(x)").status, 200);
        QCOMPARE(sql("src", "INSERT INTO t VALUES (1),(2)").status, 200);
        QCOMPARE(admin("POST", "/v1/namespaces/src/fork/dst").status, 200);
        QVERIFY(sql("dst", "SELECT sum(x) FROM t").body.contains("\"value\":\"3\""));
        QCOMPARE(json(admin("GET", "/v1/namespaces/dst/config"))[QStringLiteral("allow_attach")].toBool(), true);
        // The fork is independent.
        QCOMPARE(sql("dst", "INSERT INTO t VALUES (10)").status, 200);
        QVERIFY(sql("src", "SELECT sum(x) FROM t").body.contains("\"value\":\"3\""));
        QCOMPARE(admin("POST", "/v1/namespaces/src/fork/dst").status, 400);   // target exists
        QCOMPARE(admin("POST", "/v1/namespaces/nosuch/fork/x").status, 404);  // source missing
        QCOMPARE(admin("POST", "/v1/namespaces/src/fork/..%2Fx").status, 400); // bad target name
    }

    void createFromDump()
    {
        const QByteArray dump = "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE u(a);\n"
                                "INSERT INTO u VALUES(42);\nCOMMIT;\n";
        // Uploaded in the body (qsqld extension).
        const RawResponse up = request(m_srv.adminPort(),
                                       "POST /v1/namespaces/fromsql/create HTTP/1.1\r\nHost: x\r\n"
                                       "Content-Type: application/sql\r\nContent-Length: "
                                           + QByteArray::number(dump.size()) + "\r\n\r\n" + dump);
        QCOMPARE(up.status, 200);
        QVERIFY(sql("fromsql", "SELECT a FROM u").body.contains("\"value\":\"42\""));
        // From a file:// dump_url, as sqld.
        const QString file = m_srv.dir.path() + QStringLiteral("/d.sql");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(dump);
        f.close();
        QCOMPARE(admin("POST", "/v1/namespaces/fromfile/create", "{\"dump_url\":\"file://" + file.toUtf8() + "\"}")
                     .status,
                 200);
        QVERIFY(sql("fromfile", "SELECT a FROM u").body.contains("\"value\":\"42\""));
        // sqld's refusals, and nothing is left behind after a failed load.
        const RawResponse missing = admin("POST", "/v1/namespaces/bad1/create", "{\"dump_url\":\"file:///nonexistent.sql\"}");
        QCOMPARE(missing.status, 400);
        QVERIFY(missing.body.contains("doesn't exist"));
        QCOMPARE(admin("POST", "/v1/namespaces/bad2/create", "{\"dump_url\":\"ftp://x/d.sql\"}").status, 400);
        const QByteArray noTxn = "CREATE TABLE a(x);\nCREATE TABLE b(x);\nCREATE TABLE c(x);\n";
        const RawResponse r = request(m_srv.adminPort(),
                                      "POST /v1/namespaces/bad3/create HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Type: application/sql\r\nContent-Length: "
                                          + QByteArray::number(noTxn.size()) + "\r\n\r\n" + noTxn);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.body, QByteArray("{\"error\":\"A dump should execute within a transaction.\"}"));
        QVERIFY(!QFileInfo::exists(m_srv.dir.path() + QStringLiteral("/data/dbs/bad3")));
        QCOMPARE(sql("bad3", "SELECT 1").status, 404);
        const QByteArray attach = "ATTACH other AS o;";
        QVERIFY(request(m_srv.adminPort(), "POST /v1/namespaces/bad4/create HTTP/1.1\r\nHost: x\r\n"
                                           "Content-Type: text/plain\r\nContent-Length: "
                                               + QByteArray::number(attach.size()) + "\r\n\r\n" + attach)
                    .body.contains("attach statements are not allowed in dumps"));
    }

    void tenThousandTenantsArePaged()
    {
        // 10,000 tenants on disk (an empty file is an empty SQLite database), listed page by page.
        TestServer big;
        const QString dbs = big.dir.path() + QStringLiteral("/data/dbs");
        for (int i = 0; i < 10000; ++i) {
            const QString dir = dbs + QStringLiteral("/tenant-%1").arg(i, 5, 10, QLatin1Char('0'));
            QVERIFY(QDir().mkpath(dir));
            QFile f(dir + QStringLiteral("/data"));
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        QVERIFY(big.start());
        QStringList names;
        QByteArray after;
        for (int page = 0; page < 20; ++page) {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, big.adminPort());
            QVERIFY(s.waitForConnected(5000));
            s.write("GET /v1/namespaces?limit=1000" + (after.isEmpty() ? QByteArray() : "&after=" + after)
                    + " HTTP/1.1\r\nHost: x\r\n\r\n");
            const RawResponse r = readResponses(s, 1).value(0);
            QCOMPARE(r.status, 200);
            const QJsonObject o = json(r);
            for (const QJsonValue &v : o[QStringLiteral("namespaces")].toArray())
                names.append(v[QStringLiteral("name")].toString());
            if (o[QStringLiteral("next")].isNull())
                break;
            after = o[QStringLiteral("next")].toString().toUtf8();
        }
        QCOMPARE(names.size(), 10000);
        QCOMPARE(names.first(), QStringLiteral("tenant-00000"));
        QCOMPARE(names.last(), QStringLiteral("tenant-09999"));
        QCOMPARE(names.removeDuplicates(), 0);
        // One of them works like any tenant.
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, big.port());
        QVERIFY(s.waitForConnected(5000));
        s.write(post("/v2/pipeline", executeBody("CREATE TABLE t(x)"), "x-namespace: tenant-04242\r\n"));
        QVERIFY(readResponses(s, 1).value(0).body.contains("\"type\":\"ok\""));
    }

    void dumpReaderThatLeavesReleasesTheSnapshot()
    {
        QCOMPARE(sql("beta", "CREATE TABLE big(x)").status, 200);
        QCOMPARE(sql("beta", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000) "
                             "INSERT INTO big SELECT randomblob(200) FROM c")
                     .status,
                 200);
        {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, m_srv.port());
            QVERIFY(s.waitForConnected(5000));
            s.write("GET /dump HTTP/1.1\r\nHost: x\r\nx-namespace: beta\r\n\r\n");
            QSignalSpy ready(&s, &QTcpSocket::readyRead);
            QVERIFY(ready.wait(10000)); // the dump has started; read a little, then leave
            s.abort();
        }
        // The dump's read transaction is gone: writes work and a TRUNCATE checkpoint empties the WAL.
        const RawResponse w = sql("beta", "INSERT INTO big VALUES (1)");
        QVERIFY2(w.status == 200, w.body.constData());
        const QString wal = m_srv.dir.path() + QStringLiteral("/data/dbs/beta/data-wal");
        QTRY_VERIFY_WITH_TIMEOUT((admin("POST", "/v1/namespaces/beta/checkpoint").status == 200
                                  && QFileInfo(wal).size() == 0),
                                 10000);
    }
};

QTEST_GUILESS_MAIN(TestAdmin)
#include "tst_admin.moc"
