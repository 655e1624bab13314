// Overload and slow clients, on loopback, bounded (each case stops by itself): a burst far beyond what the server
// admits is shed with 503/429 JSON errors while admitted requests complete, memory stays bounded, and the server
// serves normally right after; slowloris headers, a trickling body and a client that never reads its responses
// hold neither connections nor memory for long.

#include "testserver.h"

#include <QFile>

using namespace qsqld::test;
using namespace Qt::StringLiterals;

namespace {

// This process's resident memory (the server runs in it), in KiB.
qint64 rssKib()
{
    QFile f(u"/proc/self/status"_s);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

// Whether the server still has the connection of the client socket bound to `clientPort`.
bool serverHolds(const TestServer &srv, quint16 clientPort)
{
    const auto sockets = srv.runtime->findChildren<QTcpSocket *>();
    return std::any_of(sockets.begin(), sockets.end(), [clientPort](QTcpSocket *s) { return s->peerPort() == clientPort; });
}

// About 10 ms of SQLite work in a debug build.
const QByteArray WORK = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000) "
                        "SELECT count(*) FROM c";

// Under AddressSanitizer freed memory sits in quarantine: resident size says nothing about the server's own bounds.
#if defined(__SANITIZE_ADDRESS__)
constexpr qint64 RSS_GROWTH_LIMIT_KIB = 1024 * 1024;
#else
constexpr qint64 RSS_GROWTH_LIMIT_KIB = 64 * 1024;
#endif

} // namespace

class TestOverload : public QObject
{
    Q_OBJECT

private slots:
    // 40 connections × 5 pipelined requests against 4 request slots on one worker.
    void burstIsShedAndServerRecovers()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.workerThreads = 1;
        cfg.maxConcurrentRequests = 4;
        cfg.maxConcurrentConnections = 512;
        QVERIFY(srv.start(cfg));
        // Warm up (first-use allocations are not growth under load).
        QCOMPARE(oneRequest(srv.port(), post("/v2/pipeline", executeBody(WORK))).status, 200);
        const qint64 rssBefore = rssKib();

        constexpr int CONNS = 40, PER_CONN = 5;
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        std::vector<QByteArray> buffers(CONNS);
        QHash<int, int> statuses;
        int answered = 0, badBodies = 0;
        qint64 rssPeak = rssBefore;
        for (int i = 0; i < CONNS; ++i) {
            sockets.push_back(std::make_unique<QTcpSocket>());
            QVERIFY(connectTo(*sockets.back(), srv.port()));
            QByteArray burst;
            for (int k = 0; k < PER_CONN; ++k)
                burst += post("/v2/pipeline", executeBody(WORK));
            sockets.back()->write(burst);
            QObject::connect(sockets.back().get(), &QTcpSocket::readyRead, this, [&, i] {
                buffers[i] += sockets[i]->readAll();
                while (auto r = takeResponse(buffers[i])) {
                    ++statuses[r->status];
                    ++answered;
                    if (r->status == 200 ? !r->body.contains("\"value\":\"100000\"")
                                         : !r->body.startsWith("{\"error\":"))
                        ++badBodies;
                }
                rssPeak = std::max(rssPeak, rssKib());
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(answered, CONNS * PER_CONN, 120000);
        qInfo() << "statuses:" << statuses << "RSS KiB before" << rssBefore << "peak" << rssPeak;
        QCOMPARE(badBodies, 0);
        QCOMPARE(statuses.value(200) + statuses.value(503) + statuses.value(429), CONNS * PER_CONN);
        QVERIFY(statuses.value(200) >= cfg.maxConcurrentRequests); // admitted work completes
        QVERIFY(statuses.value(503) + statuses.value(429) >= CONNS * PER_CONN / 2); // and the rest is shed
        QVERIFY2(rssPeak - rssBefore < RSS_GROWTH_LIMIT_KIB, "memory grew by more than 64 MiB under the burst");
        for (auto &s : sockets)
            QCOMPARE(s->state(), QAbstractSocket::ConnectedState); // shedding closes nobody

        // Right after, the server answers normally.
        for (int k = 0; k < 20; ++k) {
            const RawResponse r = oneRequest(srv.port(), post("/v2/pipeline", executeBody(WORK)));
            QCOMPARE(r.status, 200);
            QVERIFY(r.body.contains("\"value\":\"100000\""));
        }
    }

    // Slowloris: connections that never finish their headers fill the cap only until the header timeout.
    void slowlorisHeadersAreCutAndCapacityReturns()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.maxConcurrentConnections = 16;
        cfg.headerTimeoutS = 0.5;
        QVERIFY(srv.start(cfg));
        std::vector<std::unique_ptr<QTcpSocket>> slow;
        for (int i = 0; i < 16; ++i) {
            slow.push_back(std::make_unique<QTcpSocket>());
            QVERIFY(connectTo(*slow.back(), srv.port()));
            slow.back()->write("POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        }
        QTRY_VERIFY(srv.runtime->findChildren<QTcpSocket *>().size() >= 16);
        QTcpSocket extra;
        QVERIFY(connectTo(extra, srv.port()));
        QCOMPARE(readResponses(extra, 1).value(0).status, 503); // the cap holds
        for (auto &s : slow) {
            const auto r = readResponses(*s, 1, 10000);
            QCOMPARE(r.value(0).status, 408);
            QTRY_COMPARE_WITH_TIMEOUT(s->state(), QAbstractSocket::UnconnectedState, 5000);
        }
        QCOMPARE(oneRequest(srv.port(), post("/v2/pipeline", executeBody("SELECT 1"))).status, 200);
    }

    // A body that stops arriving is cut: 408 and the connection closed. A body in two quick parts is fine.
    void tricklingBodyIsCut()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.headerTimeoutS = 0.3;
        QVERIFY(srv.start(cfg));
        const QByteArray body = executeBody("SELECT 1");
        const QByteArray head = "POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n";

        QTcpSocket whole;
        QVERIFY(connectTo(whole, srv.port()));
        whole.write(head + body.left(10));
        QVERIFY(whole.waitForBytesWritten(5000));
        whole.write(body.mid(10));
        QCOMPARE(readResponses(whole, 1).value(0).status, 200);

        QTcpSocket trickle;
        QVERIFY(connectTo(trickle, srv.port()));
        trickle.write(head + body.left(10)); // and nothing more
        const auto r = readResponses(trickle, 1, 10000);
        QCOMPARE(r.value(0).status, 408);
        QCOMPARE(r.value(0).body, "Timed out waiting for the request body"_ba);
        QTRY_COMPARE_WITH_TIMEOUT(trickle.state(), QAbstractSocket::UnconnectedState, 5000);
    }

    // A client that sends requests but never reads the answers: what the server holds for it is bounded by
    // --max-total-response-size, other clients keep being served, and the idle timeout frees everything.
    void nonReadingClientIsBounded()
    {
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.maxTotalResponseSize = 4'000'000;
        cfg.idleConnectionTimeoutS = 1;
        QVERIFY(srv.start(cfg));
        const QByteArray big = executeBody("SELECT randomblob(400000)"); // about 530 KB of JSON per answer
        QCOMPARE(oneRequest(srv.port(), post("/v2/pipeline", big)).status, 200);
        const qint64 rssBefore = rssKib();

        QTcpSocket reader, deaf;
        QVERIFY(connectTo(deaf, srv.port()));
        deaf.setReadBufferSize(1); // Qt stops taking bytes from the kernel: the server's sends back up
        QByteArray burst;
        for (int k = 0; k < 30; ++k) // 16 MB of answers asked for
            burst += post("/v2/pipeline", big);
        deaf.write(burst);
        QVERIFY(deaf.waitForBytesWritten(5000));

        // Another client is served all along; once the budget is spent, large answers fail cleanly.
        QVERIFY(connectTo(reader, srv.port()));
        bool sawBudgetError = false;
        for (int k = 0; k < 40 && !sawBudgetError; ++k) {
            reader.write(post("/v2/pipeline", big));
            const RawResponse r = readResponses(reader, 1, 20000).value(0);
            QCOMPARE(r.status, 200);
            sawBudgetError = r.body.contains("RESPONSE_TOO_LARGE");
        }
        QVERIFY2(sawBudgetError, "the unread answers were not charged to --max-total-response-size");
        reader.write(post("/v2/pipeline", executeBody("SELECT 1")));
        QCOMPARE(readResponses(reader, 1).value(0).status, 200);
        QVERIFY2(rssKib() - rssBefore < RSS_GROWTH_LIMIT_KIB, "memory grew by more than 64 MiB for a client that does not read");

        // The deaf client is closed by the idle timeout (seen on the server's side: with reading off, the client's
        // socket does not notice); its share of the budget comes back.
        const auto deafOpen = [&srv, port = deaf.localPort()] { return serverHolds(srv, port); };
        QVERIFY(deafOpen());
        QTRY_VERIFY_WITH_TIMEOUT(!deafOpen(), 20000);

        // The same for a connection the server is closing (Connection: close) whose last answer is not taken.
        QTcpSocket closing;
        QVERIFY(connectTo(closing, srv.port()));
        closing.setReadBufferSize(1);
        for (int k = 0; k < 10; ++k)
            closing.write(post("/v2/pipeline", big, k == 9 ? "Connection: close\r\n" : ""));
        QVERIFY(closing.waitForBytesWritten(5000));
        const auto closingOpen = [&srv, port = closing.localPort()] { return serverHolds(srv, port); };
        QTRY_VERIFY_WITH_TIMEOUT(!closingOpen(), 20000);
        const RawResponse after = oneRequest(srv.port(), post("/v2/pipeline", big), 20000);
        QCOMPARE(after.status, 200);
        QVERIFY(!after.body.contains("RESPONSE_TOO_LARGE"));
    }
};

QTEST_GUILESS_MAIN(TestOverload)
#include "tst_overload.moc"
