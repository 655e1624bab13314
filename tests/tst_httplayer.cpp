// Regression tests for the HTTP layer: the gaps Qt 6.4.2's QHttpServer leaves (STYLE.md §4) that qsqld's own
// connection layer must close. Raw sockets against a live in-process server on loopback.

#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace qsqld::test;

class TestHttpLayer : public QObject
{
    Q_OBJECT

private:
    static void connectTo(QTcpSocket &s, quint16 port)
    {
        s.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(s.waitForConnected(5000));
        QTRY_VERIFY(true); // let the server accept
    }
    static void createNamespace(TestServer &srv, const QByteArray &ns)
    {
        QTcpSocket s;
        connectTo(s, srv.adminPort());
        s.write(post("/v1/namespaces/" + ns + "/create", "{}"));
        const auto r = readResponses(s, 1);
        QCOMPARE(r.size(), 1);
        QCOMPARE(r[0].status, 200);
    }
    // Two namespace names that land on different workers (namespaces are pinned by hash).
    static QPair<QByteArray, QByteArray> namesOnDifferentWorkers()
    {
        QByteArray a = "tenant-a";
        for (int i = 0; i < 100; ++i) {
            const QByteArray b = "tenant-b" + QByteArray::number(i);
            if (qHash(QString::fromLatin1(a), 0) % 2 != qHash(QString::fromLatin1(b), 0) % 2)
                return {a, b};
        }
        return {};
    }
    static QJsonObject json(const QByteArray &body) { return QJsonDocument::fromJson(body).object(); }
    static QByteArray firstValue(const QByteArray &body)
    {
        return json(body)[u"results"][0][u"response"][u"result"][u"rows"][0][0][u"value"].toString().toUtf8();
    }

private slots:
    void pipelinedRequestsAnsweredInOrder()
    {
        TestServer srv;
        QVERIFY(srv.start());
        const auto [slowNs, fastNs] = namesOnDifferentWorkers();
        createNamespace(srv, slowNs);
        createNamespace(srv, fastNs);
        // The first request is slow on one worker, the second and third are fast on the other: the answers must
        // still come back in request order.
        const QByteArray slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000000) "
                                "SELECT 'slow' || count(*) FROM c";
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write(post("/v2/pipeline", executeBody(slow), "x-namespace: " + slowNs + "\r\n")
                + post("/v2/pipeline", executeBody("SELECT 'fast1'"), "x-namespace: " + fastNs + "\r\n")
                + post("/v2/pipeline", executeBody("SELECT 'fast2'"), "x-namespace: " + fastNs + "\r\n"));
        const auto r = readResponses(s, 3, 30000);
        QCOMPARE(r.size(), 3);
        QCOMPARE(firstValue(r[0].body), QByteArray("slow2000000"));
        QCOMPARE(firstValue(r[1].body), QByteArray("fast1"));
        QCOMPARE(firstValue(r[2].body), QByteArray("fast2"));
    }

    void clientDisconnectMidQueryInterruptsAndServerSurvives()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.workerThreads = 1;
        QVERIFY(srv.start(cfg));
        {
            QTcpSocket s;
            connectTo(s, srv.port());
            s.write(post("/v2/pipeline", executeBody(SLOW_SQL)));
            QVERIFY(s.waitForBytesWritten(5000));
            s.abort(); // gone before the answer
        }
        // The only worker must be freed by the cancellation (the query never ends by itself; the statement
        // timeout is 30 s), so a new request is answered well before that.
        QTcpSocket s2;
        connectTo(s2, srv.port());
        QElapsedTimer t;
        t.start();
        s2.write(post("/v2/pipeline", executeBody("SELECT 42")));
        const auto r = readResponses(s2, 1, 20000);
        QCOMPARE(r.size(), 1);
        QCOMPARE(r[0].status, 200);
        QCOMPARE(firstValue(r[0].body), QByteArray("42"));
        QVERIFY2(t.elapsed() < 20000, "the disconnected client's query was not interrupted");
    }

    void oversizeBodyGets413AndClose()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.maxRequestBodySize = 1024 * 1024;
        QVERIFY(srv.start(cfg));
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n{");
        const auto r = readResponses(s, 1);
        QCOMPARE(r.size(), 1);
        QCOMPARE(r[0].status, 413);
        QCOMPARE(r[0].header("connection"), QByteArray("close"));
        QTRY_COMPARE(s.state(), QAbstractSocket::UnconnectedState);
    }

    void chunkedOversizeBodyGets413()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.maxRequestBodySize = 1000;
        QVERIFY(srv.start(cfg));
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n"
                + QByteArray(0x400, 'x') + "\r\n");
        const auto r = readResponses(s, 1);
        QCOMPARE(r.size(), 1);
        QCOMPARE(r[0].status, 413);
    }

    void slowHeadersAreCut()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.headerTimeoutS = 0.3;
        QVERIFY(srv.start(cfg));
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("POST /v2/pipeline HTTP/1.1\r\nHost: x\r\n"); // never finishes the headers
        const auto r = readResponses(s, 1, 10000);
        QCOMPARE(r.size(), 1);
        QCOMPARE(r[0].status, 408);
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), QAbstractSocket::UnconnectedState, 5000);
    }

    void idleKeepAliveConnectionIsClosed()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.idleConnectionTimeoutS = 0.3;
        QVERIFY(srv.start(cfg));
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        QCOMPARE(readResponses(s, 1).value(0).status, 200);
        QSignalSpy closed(&s, &QTcpSocket::disconnected);
        QVERIFY(closed.wait(5000));
    }

    void connectionCloseHonoured()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); // must not be answered
        const auto r = readResponses(s, 2, 3000);
        QCOMPARE(r.size(), 1);
        QCOMPARE(r[0].header("connection"), QByteArray("close"));
        QTRY_COMPARE(s.state(), QAbstractSocket::UnconnectedState);
    }

    void http10ClosesByDefault()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("GET /v2 HTTP/1.0\r\n\r\n");
        const auto r = readResponses(s, 1);
        QCOMPARE(r.value(0).status, 200);
        QCOMPARE(r.value(0).body, QByteArray("Hello, this is HTTP API v2 (Hrana over HTTP)"));
        QTRY_COMPARE(s.state(), QAbstractSocket::UnconnectedState);
    }

    void expectContinueAnswered()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket s;
        connectTo(s, srv.port());
        const QByteArray body = executeBody("SELECT 7");
        s.write("POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                + QByteArray::number(body.size()) + "\r\n\r\n");
        const auto interim = readResponses(s, 1);
        QCOMPARE(interim.value(0).status, 100);
        s.write(body);
        const auto r = readResponses(s, 1);
        QCOMPARE(r.value(0).status, 200);
        QCOMPARE(firstValue(r.value(0).body), QByteArray("7"));
    }

    void headHasNoBody()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("HEAD /v2 HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray buffer;
        QTRY_VERIFY((buffer += s.readAll()).count("HTTP/1.1 200") == 2);
        const auto head = takeResponse(buffer, true);
        QVERIFY(head);
        QCOMPARE(head->header("content-length"), QByteArray("44"));
        QVERIFY(buffer.startsWith("HTTP/1.1 200")); // the HEAD answer carried no body
    }

    void chunkedRequestBodyAccepted()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket s;
        connectTo(s, srv.port());
        const QByteArray body = executeBody("SELECT 'chunked'");
        const QByteArray a = body.left(10), b = body.mid(10);
        s.write("POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + QByteArray::number(a.size(), 16) + "\r\n" + a + "\r\n" + QByteArray::number(b.size(), 16)
                + ";ext=1\r\n" + b + "\r\n0\r\nX-Trailer: y\r\n\r\n");
        const auto r = readResponses(s, 1);
        QCOMPARE(r.value(0).status, 200);
        QCOMPARE(firstValue(r.value(0).body), QByteArray("chunked"));
    }

    void malformedRequestsGet400()
    {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write(raw);
        const auto r = readResponses(s, 1);
        QCOMPARE(r.value(0).status, status);
        QTRY_COMPARE(s.state(), QAbstractSocket::UnconnectedState);
    }
    void malformedRequestsGet400_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status");
        QTest::addRow("garbage line") << QByteArray("HELLO\r\n\r\n") << 400;
        QTest::addRow("bad version") << QByteArray("GET / HTTP/2.0\r\n\r\n") << 505;
        QTest::addRow("bad header") << QByteArray("GET / HTTP/1.1\r\nno colon here\r\n\r\n") << 400;
        QTest::addRow("bad length") << QByteArray("POST /v2/pipeline HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400;
        QTest::addRow("both framings")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n") << 400;
        QTest::addRow("unknown coding")
            << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") << 501;
        QTest::addRow("bad chunk size")
            << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") << 400;
        QTest::addRow("huge header") << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(70000, 'a')) << 431;
        QTest::addRow("bad percent") << QByteArray("GET /v2%zz HTTP/1.1\r\n\r\n") << 400;
    }

    void methodNotAllowedAndNotFound()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("GET /v2/pipeline HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /v3-protobuf HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = readResponses(s, 3);
        QCOMPARE(r.size(), 3);
        QCOMPARE(r[0].status, 405);
        QCOMPARE(r[0].header("allow"), QByteArray("POST"));
        QCOMPARE(r[1].status, 404);
        QCOMPARE(r[1].body, QByteArray());
        QCOMPARE(r[2].status, 200); // protobuf is served: clients that probe it switch to it
    }

    void connectionCapRefusesExtraClients()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.maxConcurrentConnections = 2;
        QVERIFY(srv.start(cfg));
        QTcpSocket a, b, c;
        connectTo(a, srv.port());
        connectTo(b, srv.port());
        QTRY_COMPARE(srv.runtime->findChildren<QTcpSocket *>().size() >= 2, true);
        connectTo(c, srv.port());
        const auto r = readResponses(c, 1);
        QCOMPARE(r.value(0).status, 503);
        QCOMPARE(r.value(0).body, QByteArray("{\"error\":\"Too many open connections\"}"));
        // The admitted ones still work.
        a.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        QCOMPARE(readResponses(a, 1).value(0).status, 200);
    }

    void fullQueueGets503()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.workerThreads = 1;
        cfg.maxConcurrentRequests = 1;
        cfg.statementTimeoutS = 2;
        QVERIFY(srv.start(cfg));
        QTcpSocket a, b;
        connectTo(a, srv.port());
        connectTo(b, srv.port());
        a.write(post("/v2/pipeline", executeBody(SLOW_SQL)));
        QVERIFY(a.waitForBytesWritten(5000));
        // Keep sending until the slow job holds the only slot, then expect a 503 JSON error.
        RawResponse got;
        for (int i = 0; i < 50 && got.status != 503; ++i) {
            b.write(post("/v2/pipeline", executeBody("SELECT 1")));
            got = readResponses(b, 1).value(0);
        }
        QCOMPARE(got.status, 503);
        QCOMPARE(got.header("content-type"), QByteArray("application/json"));
        QCOMPARE(got.body, QByteArray("{\"error\":\"Too many concurrent requests\"}"));
        // The slow statement is stopped by the statement timeout and reported as an interrupt.
        const auto slow = readResponses(a, 1, 20000);
        QCOMPARE(slow.value(0).status, 200);
        const QJsonObject res = json(slow.value(0).body)[u"results"][0].toObject();
        QCOMPARE(res[u"type"].toString(), QStringLiteral("error"));
        QCOMPARE(res[u"error"][u"code"].toString(), QStringLiteral("SQLITE_INTERRUPT"));
        QVERIFY(res[u"error"][u"message"].toString().contains(u"statement timeout"));
    }

    void requestThatWaitedTooLongGets429()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.workerThreads = 1;
        cfg.connectionCreationTimeoutS = 0.2;
        cfg.statementTimeoutS = 1;
        QVERIFY(srv.start(cfg));
        QTcpSocket a, b;
        connectTo(a, srv.port());
        connectTo(b, srv.port());
        a.write(post("/v2/pipeline", executeBody(SLOW_SQL)));
        QVERIFY(a.waitForBytesWritten(5000));
        QTRY_VERIFY(true);
        b.write(post("/v2/pipeline", executeBody("SELECT 1")));
        const auto r = readResponses(b, 1, 20000);
        QCOMPARE(r.value(0).status, 429);
        QCOMPARE(r.value(0).body, QByteArray("{\"error\":\"Timed out while opening database connection\"}"));
        QCOMPARE(readResponses(a, 1, 20000).value(0).status, 200);
    }

    void totalResponseBudgetLimitsResults()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.maxTotalResponseSize = 4000;
        QVERIFY(srv.start(cfg));
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write(post("/v2/pipeline", executeBody("SELECT 'small'")));
        QCOMPARE(firstValue(readResponses(s, 1).value(0).body), QByteArray("small"));
        s.write(post("/v2/pipeline", executeBody("SELECT hex(randomblob(3000))")));
        const QJsonObject res = json(readResponses(s, 1).value(0).body)[u"results"][0].toObject();
        QCOMPARE(res[u"error"][u"code"].toString(), QStringLiteral("RESPONSE_TOO_LARGE"));
        QCOMPARE(res[u"error"][u"message"].toString(), QStringLiteral("Response is too large"));
    }

    void writersQueueBehindAnOpenTransaction()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket a, b;
        connectTo(a, srv.port());
        connectTo(b, srv.port());
        a.write(post("/v2/pipeline", "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TABLE t(x)\"}},"
                                     "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                                     "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t VALUES (1)\"}}]}"));
        const auto first = readResponses(a, 1);
        QCOMPARE(first.value(0).status, 200);
        const QByteArray baton = json(first[0].body)[u"baton"].toString().toUtf8();
        QVERIFY(!baton.isEmpty());
        // A second writer waits (no SQLITE_BUSY) ...
        b.write(post("/v2/pipeline", executeBody("INSERT INTO t VALUES (2)")));
        QVERIFY(staysSilent(b, 300));
        // ... until the first commits; then it runs and sees the committed row.
        a.write(post("/v2/pipeline", executeBody("COMMIT", baton)));
        QCOMPARE(readResponses(a, 1).value(0).status, 200);
        const auto second = readResponses(b, 1);
        QCOMPARE(second.value(0).status, 200);
        QCOMPARE(json(second[0].body)[u"results"][0][u"type"].toString(), QStringLiteral("ok"));
        b.write(post("/v2/pipeline", executeBody("SELECT group_concat(x) FROM t")));
        QCOMPARE(firstValue(readResponses(b, 1).value(0).body), QByteArray("1,2"));
    }

    void lockHolderIsRolledBackAfterTxnTimeout()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket a, b;
        connectTo(a, srv.port());
        connectTo(b, srv.port());
        a.write(post("/v2/pipeline", "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TABLE t(x)\"}},"
                                     "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                                     "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t VALUES (1)\"}}]}"));
        const QByteArray baton = json(readResponses(a, 1).value(0).body)[u"baton"].toString().toUtf8();
        b.write(post("/v2/pipeline", executeBody("INSERT INTO t VALUES (2)")));
        // sqld's rule: a holder that keeps the write lock for 5 s while someone waits is rolled back.
        const auto second = readResponses(b, 1, 15000);
        QCOMPARE(second.value(0).status, 200);
        QCOMPARE(json(second[0].body)[u"results"][0][u"type"].toString(), QStringLiteral("ok"));
        a.write(post("/v2/pipeline", executeBody("COMMIT", baton)));
        const auto commit = readResponses(a, 1);
        QCOMPARE(json(commit.value(0).body)[u"results"][0][u"error"][u"code"].toString(),
                 QStringLiteral("TRANSACTION_TIMEOUT"));
        b.write(post("/v2/pipeline", executeBody("SELECT group_concat(x) FROM t")));
        QCOMPARE(firstValue(readResponses(b, 1).value(0).body), QByteArray("2"));
    }

    void corsOnEveryUserResponse()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QTcpSocket s;
        connectTo(s, srv.port());
        s.write("OPTIONS /v2/pipeline HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n"
                "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type"
                "\r\n\r\n");
        const auto r = readResponses(s, 1);
        QCOMPARE(r.value(0).status, 200);
        QCOMPARE(r[0].header("access-control-allow-origin"), QByteArray("*"));
        QCOMPARE(r[0].header("access-control-allow-headers"), QByteArray("authorization, content-type"));
        QCOMPARE(r[0].header("access-control-allow-methods"), QByteArray("*"));
        s.write(post("/v2/pipeline", "{broken"));
        const auto e = readResponses(s, 1);
        QCOMPARE(e.value(0).status, 400);
        QCOMPARE(e[0].header("access-control-allow-origin"), QByteArray("*"));
        QCOMPARE(e[0].header("content-type"), QByteArray("text/plain"));
    }
};

QTEST_GUILESS_MAIN(TestHttpLayer)
#include "tst_httplayer.moc"
