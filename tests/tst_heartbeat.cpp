// --heartbeat-url (spec 13.2): a namespace used during a period POSTs its stats JSON to <url>/<namespace> with
// --heartbeat-auth as Authorization; a namespace nobody used sends nothing, and nothing repeats without new use.

#include "testserver.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>

using namespace Qt::StringLiterals;
using namespace qsqld::test;

namespace {

// Collects HTTP requests (head and body) sent to it, answering 200 to each.
class Collector : public QObject
{
    Q_OBJECT
public:
    Collector()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                auto buffer = std::make_shared<QByteArray>();
                connect(s, &QTcpSocket::readyRead, this, [this, s, buffer] {
                    *buffer += s->readAll();
                    const qsizetype end = buffer->indexOf("\r\n\r\n");
                    if (end < 0)
                        return;
                    RawResponse head; // reuse the header parser: a request line instead of a status line
                    head.head = buffer->left(end);
                    const qsizetype length = head.header("content-length").toLongLong();
                    if (buffer->size() < end + 4 + length)
                        return;
                    requests.append({head.head, buffer->mid(end + 4, length)});
                    s->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    s->disconnectFromHost();
                    emit received();
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    QList<QPair<QByteArray, QByteArray>> requests;

signals:
    void received();

private:
    QTcpServer m_server;
};

} // namespace

class TestHeartbeat : public QObject
{
    Q_OBJECT

private slots:
    void usedNamespacesBeat()
    {
        Collector collector;
        TestServer srv;
        auto cfg = TestServer::defaultConfig();
        cfg.heartbeatUrl = u"http://127.0.0.1:%1/hb/"_s.arg(collector.port());
        cfg.heartbeatAuth = u"Bearer beat-secret"_s;
        cfg.heartbeatPeriodS = 1;
        QVERIFY(srv.start(cfg));
        for (const char *ns : {"busy", "idle"}) {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, srv.adminPort());
            QVERIFY(s.waitForConnected(5000));
            s.write("POST /v1/namespaces/" + QByteArray(ns) + "/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
            QCOMPARE(readResponses(s, 1, 10000).value(0).status, 200);
        }
        QTcpSocket user;
        user.connectToHost(QHostAddress::LocalHost, srv.port());
        QVERIFY(user.waitForConnected(5000));
        user.write(post("/v2/pipeline", executeBody("SELECT 1"), "x-namespace: busy\r\n"));
        QCOMPARE(readResponses(user, 1, 10000).value(0).status, 200);

        QSignalSpy received(&collector, &Collector::received);
        QVERIFY(received.wait(10000));
        const auto &[head, body] = collector.requests.front();
        QVERIFY2(head.startsWith("POST /hb/busy HTTP/1.1"), head.constData());
        RawResponse parsed;
        parsed.head = head;
        QCOMPARE(parsed.header("authorization"), "Bearer beat-secret"_ba);
        const QJsonObject stats = QJsonDocument::fromJson(body).object();
        QVERIFY2(stats.value(u"query_count"_s).toInt() >= 1, body.constData());
        QVERIFY(stats.contains(u"rows_read_count"_s));
        // Nothing for the idle namespace, and no repeat for the busy one without new use (two more periods).
        QVERIFY(!received.wait(2500));
        QCOMPARE(collector.requests.size(), 1);

        QSignalSpy stopped(srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
        srv.runtime->stop();
        QVERIFY(stopped.count() > 0 || stopped.wait(30000));
    }
};

QTEST_GUILESS_MAIN(TestHeartbeat)
#include "tst_heartbeat.moc"
