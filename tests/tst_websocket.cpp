// Hrana over WebSocket against a live in-process server: the upgrade and subprotocol negotiation, hello and
// authentication, every stream request of hrana1..hrana3, errors as data, the close codes of protocol errors,
// namespaces, and the --hrana-listen-addr listener. Expectations come from the sqld wire reference
// (spec/sqld-http-api.md sections 5, 6.1 and 9 in the steering repo), not from what qsqld happens to answer.
//
// The server runs on this thread's event loop (SQLite on its worker threads), so every wait spins the event loop:
// QSignalSpy::wait or a QEventLoop woken by the socket's signals, never a sleep.

#include "testserver.h"
#include "wswait.h"

#include "auth/tokens.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

#include <functional>

using namespace Qt::StringLiterals;
using namespace qsqld::test;

namespace {

constexpr int TIMEOUT = 20000;

// ---- JSON text builders (the tests send exact bytes, so they are written by hand) ----------------------------

QByteArray jstr(QByteArrayView utf8)
{
    QByteArray out = "\"";
    for (char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\u00" + QByteArray::number(c, 16).rightJustified(2, '0');
        } else {
            out += ch;
        }
    }
    return out + '"';
}

QByteArray num(qint64 v)
{
    return QByteArray::number(v);
}

QByteArray hello(const QByteArray &jwt = {})
{
    return R"({"type":"hello","jwt":)" + (jwt.isNull() ? QByteArray("null") : jstr(jwt)) + "}";
}

QByteArray message(qint64 requestId, const QByteArray &request)
{
    return R"({"type":"request","request_id":)" + num(requestId) + R"(,"request":)" + request + "}";
}

QByteArray openStream(int stream)
{
    return R"({"type":"open_stream","stream_id":)" + num(stream) + "}";
}

QByteArray closeStream(int stream)
{
    return R"({"type":"close_stream","stream_id":)" + num(stream) + "}";
}

// A Stmt object; `extra` is appended inside it (",\"args\":[...]").
QByteArray stmt(QByteArrayView sql, const QByteArray &extra = {})
{
    return R"({"sql":)" + jstr(sql) + extra + "}";
}

QByteArray execute(int stream, QByteArrayView sql, const QByteArray &extra = {})
{
    return R"({"type":"execute","stream_id":)" + num(stream) + R"(,"stmt":)" + stmt(sql, extra) + "}";
}

QByteArray executeId(int stream, int sqlId)
{
    return R"({"type":"execute","stream_id":)" + num(stream) + R"(,"stmt":{"sql_id":)" + num(sqlId) + "}}";
}

QByteArray sequence(int stream, QByteArrayView sql)
{
    return R"({"type":"sequence","stream_id":)" + num(stream) + R"(,"sql":)" + jstr(sql) + "}";
}

QByteArray describe(int stream, QByteArrayView sql)
{
    return R"({"type":"describe","stream_id":)" + num(stream) + R"(,"sql":)" + jstr(sql) + "}";
}

QByteArray storeSql(int sqlId, QByteArrayView sql)
{
    return R"({"type":"store_sql","sql_id":)" + num(sqlId) + R"(,"sql":)" + jstr(sql) + "}";
}

QByteArray closeSql(int sqlId)
{
    return R"({"type":"close_sql","sql_id":)" + num(sqlId) + "}";
}

QByteArray getAutocommit(int stream)
{
    return R"({"type":"get_autocommit","stream_id":)" + num(stream) + "}";
}

QByteArray step(QByteArrayView sql, const QByteArray &cond = {})
{
    return (cond.isEmpty() ? QByteArray("{") : R"({"condition":)" + cond + ",") + R"("stmt":)" + stmt(sql) + "}";
}

QByteArray batchBody(const QByteArrayList &steps)
{
    return R"({"steps":[)" + steps.join(',') + "]}";
}

QByteArray batch(int stream, const QByteArrayList &steps)
{
    return R"({"type":"batch","stream_id":)" + num(stream) + R"(,"batch":)" + batchBody(steps) + "}";
}

QByteArray openCursor(int stream, int cursor, const QByteArrayList &steps)
{
    return R"({"type":"open_cursor","stream_id":)" + num(stream) + R"(,"cursor_id":)" + num(cursor) + R"(,"batch":)"
        + batchBody(steps) + "}";
}

QByteArray fetchCursor(int cursor, int maxCount)
{
    return R"({"type":"fetch_cursor","cursor_id":)" + num(cursor) + R"(,"max_count":)" + num(maxCount) + "}";
}

QByteArray closeCursor(int cursor)
{
    return R"({"type":"close_cursor","cursor_id":)" + num(cursor) + "}";
}

QByteArray okc(int s)
{
    return R"({"type":"ok","step":)" + num(s) + "}";
}
QByteArray errc(int s)
{
    return R"({"type":"error","step":)" + num(s) + "}";
}
QByteArray notc(const QByteArray &c)
{
    return R"({"type":"not","cond":)" + c + "}";
}
QByteArray andc(const QByteArrayList &c)
{
    return R"({"type":"and","conds":[)" + c.join(',') + "]}";
}
QByteArray orc(const QByteArrayList &c)
{
    return R"({"type":"or","conds":[)" + c.join(',') + "]}";
}
const QByteArray AUTOC = R"({"type":"is_autocommit"})";

QByteArray I(qint64 v)
{
    return R"({"type":"integer","value":")" + num(v) + "\"}";
}

QByteArray named(QByteArrayView name, const QByteArray &value)
{
    return R"({"name":)" + jstr(name) + R"(,"value":)" + value + "}";
}

// ---- a WebSocket client --------------------------------------------------------------------------------------

struct Msg
{
    QByteArray text; // exactly as received
    QJsonObject obj;

    bool isNull() const { return text.isNull(); }
    QString type() const { return obj[u"type"_s].toString(); }
    QJsonObject response() const { return obj[u"response"_s].toObject(); }
    QJsonObject result() const { return obj[u"response"_s][u"result"_s].toObject(); }
    QJsonObject error() const { return obj[u"error"_s].toObject(); }
    // The first value of the first row of an execute result.
    QJsonValue scalar() const { return result()[u"rows"_s][0][0][u"value"_s]; }
};

class WsClient
{
public:
    QWebSocket ws;
    QList<Msg> inbox;
    bool connected = false;
    bool disconnected = false;
    bool failed = false; // QWebSocket::error: the handshake was refused or the socket broke
    qint64 nextId = 1;

    WsClient()
    {
        QObject::connect(&ws, &QWebSocket::textMessageReceived, &ws, [this](const QString &text) {
            Msg m;
            m.text = text.toUtf8();
            m.obj = QJsonDocument::fromJson(m.text).object();
            inbox.append(m);
        });
        QObject::connect(&ws, &QWebSocket::connected, &ws, [this] { connected = true; });
        QObject::connect(&ws, &QWebSocket::disconnected, &ws, [this] { disconnected = true; });
        QObject::connect(&ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), &ws,
            [this](QAbstractSocket::SocketError) { failed = true; });
    }

    // Runs the event loop until `done()` holds or `TIMEOUT` passes; wakes on every socket event (no polling).
    bool waitUntil(const std::function<bool()> &done) { return spinUntil(ws, done, TIMEOUT); }

    // Opens ws://127.0.0.1:port/path with `protocols` offered (none: no Sec-WebSocket-Protocol header) and the
    // namespace in x-namespace. True once the handshake succeeded.
    bool open(quint16 port, const QByteArray &ns, const QStringList &protocols, const QByteArray &path = "/")
    {
        QNetworkRequest req(QUrl::fromEncoded("ws://127.0.0.1:" + num(port) + path));
        if (!ns.isNull())
            req.setRawHeader("x-namespace", ns);
        QWebSocketHandshakeOptions options;
        options.setSubprotocols(protocols);
        ws.open(req, options);
        waitUntil([this] { return connected || disconnected || failed; });
        if (!connected)
            qWarning() << "WebSocket open failed:" << ws.errorString();
        return connected;
    }

    void send(const QByteArray &text) { ws.sendTextMessage(QString::fromUtf8(text)); }

    // Sends a request with the next request id; returns that id.
    qint64 post(const QByteArray &request)
    {
        const qint64 id = nextId++;
        send(message(id, request));
        return id;
    }

    // The next message that matches, removed from the inbox; null if none arrived in time or the socket closed.
    Msg take(const std::function<bool(const Msg &)> &match)
    {
        Msg found;
        waitUntil([&] {
            for (qsizetype i = 0; i < inbox.size(); ++i) {
                if (match(inbox[i])) {
                    found = inbox.takeAt(i);
                    return true;
                }
            }
            return disconnected;
        });
        return found;
    }
    Msg next()
    {
        return take([](const Msg &) { return true; });
    }
    Msg response(qint64 id)
    {
        return take([id](const Msg &m) {
            return m.obj[u"request_id"_s].toInteger(-1) == id
                && (m.type() == u"response_ok"_s || m.type() == u"response_error"_s);
        });
    }
    // Sends a request and waits for its answer.
    Msg call(const QByteArray &request) { return response(post(request)); }

    bool waitClosed()
    {
        return waitUntil([this] { return disconnected; });
    }
    int closeCode() const { return ws.closeCode(); }
    QByteArray closeReason() const { return ws.closeReason().toUtf8(); }
};

// hello, then open_stream 1; false (with a warning) if either fails.
bool helloAndOpen(WsClient &c, const QByteArray &jwt = {})
{
    c.send(hello(jwt));
    const Msg h = c.next();
    if (h.type() != u"hello_ok"_s) {
        qWarning() << "hello:" << h.text << c.closeCode() << c.closeReason();
        return false;
    }
    const Msg o = c.call(openStream(1));
    if (o.type() != u"response_ok"_s) {
        qWarning() << "open_stream:" << o.text << c.closeCode() << c.closeReason();
        return false;
    }
    return true;
}

// The raw upgrade request sqld's clients send, with `extra` header lines ("Name: value\r\n").
QByteArray upgradeRequest(const QByteArray &host, const QByteArray &path, const QByteArray &extra)
{
    return "GET " + path + " HTTP/1.1\r\nHost: " + host
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          "Sec-WebSocket-Version: 13\r\n"
        + extra + "\r\n";
}

// One raw request on a fresh socket; the first response head (and its Content-Length body).
RawResponse raw(quint16 port, const QByteArray &bytes)
{
    return oneRequest(port, bytes, TIMEOUT);
}

bool hasHeader(const RawResponse &r, const QByteArray &name)
{
    for (const QByteArray &line : r.head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == name)
            return true;
    }
    return false;
}

} // namespace

class TestWebSocket : public QObject
{
    Q_OBJECT

    TestServer m_srv; // no authentication, namespaces on, --hrana-listen-addr on 127.0.0.1:0
    TestServer m_auth; // --auth-jwt-key-file
    qsqld::auth::KeyPair m_keys;
    qsqld::auth::KeyPair m_otherKeys;
    int m_nsCounter = 0;

    bool createNs(TestServer &srv, const QByteArray &ns)
    {
        const RawResponse r = raw(srv.adminPort(),
            "POST /v1/namespaces/" + ns + "/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
        if (r.status != 200)
            qWarning() << "create" << ns << r.status << r.body;
        return r.status == 200;
    }
    // A new, empty namespace on the unauthenticated server.
    QByteArray freshNs()
    {
        const QByteArray ns = "ws" + num(++m_nsCounter);
        return createNs(m_srv, ns) ? ns : QByteArray();
    }
    // A client on a fresh namespace, after hello and open_stream 1, speaking `protocol`.
    bool ready(WsClient &c, const QString &protocol = u"hrana3"_s, QByteArray *nsOut = nullptr)
    {
        const QByteArray ns = freshNs();
        if (nsOut)
            *nsOut = ns;
        return !ns.isEmpty() && c.open(m_srv.port(), ns, { protocol }) && helloAndOpen(c);
    }
    QByteArray token(const qsqld::auth::KeyPair &k,
        std::optional<QString> ns,
        qsqld::auth::Permissions::Access access,
        std::optional<qint64> expiresIn = std::nullopt,
        std::optional<qint64> issuedAt = std::nullopt)
    {
        qsqld::auth::TokenRequest r;
        r.ns = std::move(ns);
        r.access = access;
        r.expiresInSeconds = expiresIn;
        r.issuedAt = issuedAt;
        return std::get<QByteArray>(qsqld::auth::mintToken(k.privateKeyPem, r));
    }
    QByteArray rwToken(const QString &ns = u"app"_s)
    {
        return token(m_keys, ns, qsqld::auth::Permissions::Access::ReadWrite);
    }

private slots:
    void initTestCase();
    void cleanupTestCase();

    // upgrade and negotiation
    void negotiation_data();
    void negotiation();
    void rawNegotiation_data();
    void rawNegotiation();
    void plainGetIs404_data();
    void plainGetIs404();
    void upgradeNamespaceErrors_data();
    void upgradeNamespaceErrors();
    void hranaListener_data();
    void hranaListener();

    // hello
    void helloOk_data();
    void helloOk();
    void repeatedHello_data();
    void repeatedHello();
    void requestsBeforeHelloOk();

    // stream requests
    void executeValues_data();
    void executeValues();
    void namedArgs_data();
    void namedArgs();
    void executeResult();
    void batchConditions_data();
    void batchConditions();
    void sequenceAndDescribe();
    void storedSql();
    void storeSqlLimit();
    void autocommitState();
    void cursor();
    void closeStreamRollsBack();
    void streamsHaveOwnTransactions();
    void pipelinedRequestsAnsweredInOrder();

    // errors
    void errorsAsData_data();
    void errorsAsData();
    void batchStepErrors();
    void protocolErrors_data();
    void protocolErrors();

    // authentication and namespaces
    void helloAuth_data();
    void helloAuth();
    void readOnlyTokenCannotWrite();
    void otherNamespaceToken();
    void helloReplacesIdentity();
    void namespacesAreSeparate();
};

void TestWebSocket::initTestCase()
{
    auto cfg = TestServer::defaultConfig();
    cfg.hranaListen = qsqld::runtime::ListenAddress { QHostAddress(QHostAddress::LocalHost), 0, u"127.0.0.1:0"_s };
    QVERIFY(m_srv.start(cfg));
    QVERIFY(m_srv.port() != 0);
    QVERIFY(m_srv.runtime->hranaPort() != 0);

    m_keys = qsqld::auth::generateKeyPair();
    m_otherKeys = qsqld::auth::generateKeyPair();
    QVERIFY(m_keys.isValid() && m_otherKeys.isValid());
    QFile pub(m_auth.dir.path() + u"/jwt_public.pem"_s);
    QVERIFY(pub.open(QIODevice::WriteOnly));
    pub.write(m_keys.publicKeyPem);
    pub.close();
    auto authCfg = TestServer::defaultConfig();
    authCfg.authJwtKeyFile = pub.fileName();
    QVERIFY(m_auth.start(authCfg));
    for (const char *ns : { "app", "other" })
        QVERIFY(createNs(m_auth, ns));
}

void TestWebSocket::cleanupTestCase()
{
    for (TestServer *srv : { &m_srv, &m_auth }) {
        if (!srv->runtime)
            continue;
        QSignalSpy stopped(srv->runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
        srv->runtime->stop();
        QVERIFY(stopped.count() > 0 || stopped.wait(30000));
    }
}

// ---- upgrade and negotiation ---------------------------------------------------------------------------------

void TestWebSocket::negotiation_data()
{
    QTest::addColumn<QStringList>("offered");
    QTest::addColumn<QString>("chosen"); // the subprotocol the server echoes ("" = none: hrana1)
    QTest::addColumn<int>("version"); // the Hrana version then in effect
    QTest::addColumn<bool>("hranaListener"); // on --hrana-listen-addr instead of the user port

    QTest::addRow("hrana3") << QStringList { u"hrana3"_s } << u"hrana3"_s << 3 << false;
    QTest::addRow("hrana2") << QStringList { u"hrana2"_s } << u"hrana2"_s << 2 << false;
    QTest::addRow("hrana1") << QStringList { u"hrana1"_s } << u"hrana1"_s << 1 << false;
    QTest::addRow("no header is hrana1") << QStringList {} << QString() << 1 << false;
    QTest::addRow("@libsql/client offers hrana2, hrana1")
        << QStringList { u"hrana2"_s, u"hrana1"_s } << u"hrana2"_s << 2 << false;
    QTest::addRow("server preference wins over client order")
        << QStringList { u"hrana1"_s, u"hrana2"_s, u"hrana3"_s } << u"hrana3"_s << 3 << false;
    QTest::addRow("unknown ones are skipped") << QStringList { u"hrana9"_s, u"hrana2"_s } << u"hrana2"_s << 2 << false;
    QTest::addRow("hrana listener: hrana3") << QStringList { u"hrana3"_s } << u"hrana3"_s << 3 << true;
    QTest::addRow("hrana listener: no header is hrana1") << QStringList {} << QString() << 1 << true;
    QTest::addRow("hrana listener: server preference wins")
        << QStringList { u"hrana2"_s, u"hrana3"_s } << u"hrana3"_s << 3 << true;
}

void TestWebSocket::negotiation()
{
    QFETCH(QStringList, offered);
    QFETCH(QString, chosen);
    QFETCH(int, version);
    QFETCH(bool, hranaListener);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    WsClient c;
    QVERIFY(c.open(hranaListener ? m_srv.runtime->hranaPort() : m_srv.port(), ns, offered));
    QCOMPARE(c.ws.subprotocol(), chosen);
    QVERIFY(helloAndOpen(c));
    QCOMPARE(c.call(execute(1, "SELECT 1")).scalar().toString(), u"1"_s);

    // The version really is in effect: store_sql needs hrana2, get_autocommit hrana3 (spec section 7).
    const Msg stored = c.call(storeSql(1, "SELECT 2"));
    if (version < 2) {
        QVERIFY(stored.isNull());
        QVERIFY(c.waitClosed());
        QCOMPARE(c.closeCode(), 1008);
        QCOMPARE(c.closeReason(), "The `store_sql` request is only supported in protocol version hrana2 and higher"_ba);
        return;
    }
    QCOMPARE(stored.text, R"({"type":"response_ok","request_id":3,"response":{"type":"store_sql"}})"_ba);
    const Msg ac = c.call(getAutocommit(1));
    if (version < 3) {
        QVERIFY(ac.isNull());
        QVERIFY(c.waitClosed());
        QCOMPARE(c.closeCode(), 1008);
        QCOMPARE(
            c.closeReason(), "The `get_autocommit` request is only supported in protocol version hrana3 and higher"_ba);
        return;
    }
    QCOMPARE(ac.text,
        R"({"type":"response_ok","request_id":4,"response":{"type":"get_autocommit","is_autocommit":true}})"_ba);
}

void TestWebSocket::rawNegotiation_data()
{
    QTest::addColumn<QByteArray>("header"); // the Sec-WebSocket-Protocol line, or empty for none
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("echoed"); // Sec-WebSocket-Protocol of the 101 (empty: must be absent)
    QTest::addColumn<bool>("hranaListener"); // on --hrana-listen-addr instead of the user port

    QTest::addRow("hrana3") << "Sec-WebSocket-Protocol: hrana3\r\n"_ba << 101 << "hrana3"_ba << false;
    QTest::addRow("hrana2") << "Sec-WebSocket-Protocol: hrana2\r\n"_ba << 101 << "hrana2"_ba << false;
    QTest::addRow("hrana1") << "Sec-WebSocket-Protocol: hrana1\r\n"_ba << 101 << "hrana1"_ba << false;
    QTest::addRow("none") << QByteArray() << 101 << QByteArray() << false;
    QTest::addRow("list, server preference")
        << "Sec-WebSocket-Protocol: hrana1, hrana2, hrana3\r\n"_ba << 101 << "hrana3"_ba << false;
    QTest::addRow("no spaces") << "Sec-WebSocket-Protocol: hrana2,hrana1\r\n"_ba << 101 << "hrana2"_ba << false;
    QTest::addRow("entries are trimmed") << "Sec-WebSocket-Protocol:   hrana2  ,  foo  \r\n"_ba << 101 << "hrana2"_ba
                                         << false;
    // Matched without case (spec 9.1); the client's own spelling is echoed, since RFC 6455 requires the server
    // to answer with one of the values the client offered.
    QTest::addRow("compared without case") << "Sec-WebSocket-Protocol: HRANA2\r\n"_ba << 101 << "HRANA2"_ba << false;
    QTest::addRow("unsupported only") << "Sec-WebSocket-Protocol: foo\r\n"_ba << 400 << QByteArray() << false;
    QTest::addRow("several unsupported") << "Sec-WebSocket-Protocol: hrana4, graphql-ws\r\n"_ba << 400 << QByteArray()
                                         << false;
    QTest::addRow("hrana listener: list, server preference")
        << "Sec-WebSocket-Protocol: hrana1, hrana2, hrana3\r\n"_ba << 101 << "hrana3"_ba << true;
    QTest::addRow("hrana listener: compared without case")
        << "Sec-WebSocket-Protocol: HRANA2\r\n"_ba << 101 << "HRANA2"_ba << true;
    QTest::addRow("hrana listener: unsupported only")
        << "Sec-WebSocket-Protocol: foo\r\n"_ba << 400 << QByteArray() << true;
}

void TestWebSocket::rawNegotiation()
{
    QFETCH(QByteArray, header);
    QFETCH(int, status);
    QFETCH(QByteArray, echoed);
    QFETCH(bool, hranaListener);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const RawResponse r = raw(hranaListener ? m_srv.runtime->hranaPort() : m_srv.port(),
        upgradeRequest("127.0.0.1", "/", header + "x-namespace: " + ns + "\r\n"));
    QCOMPARE(r.status, status);
    if (status == 101) {
        QCOMPARE(r.header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="_ba);
        QCOMPARE(r.header("upgrade").toLower(), "websocket"_ba);
        QCOMPARE(r.header("sec-websocket-protocol"), echoed);
        QCOMPARE(hasHeader(r, "sec-websocket-protocol"), !echoed.isEmpty());
        return;
    }
    QVERIFY(r.header("content-type").startsWith("text/plain"));
    // sqld lists what it speaks, in its order of preference: "hrana3-protobuf hrana3 hrana2 hrana1". A server
    // without protobuf over WebSocket lists the three JSON ones.
    const QByteArrayList allowed {
        "Only these WebSocket subprotocols are supported: hrana3-protobuf hrana3 hrana2 hrana1",
        "Only these WebSocket subprotocols are supported: hrana3 hrana2 hrana1"
    };
    QVERIFY2(allowed.contains(r.body), r.body.constData());
}

void TestWebSocket::plainGetIs404_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addRow("GET /") << "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"_ba;
    QTest::addRow("GET / with a namespace") << "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nx-namespace: default\r\n\r\n"_ba;
    QTest::addRow("GET / with Connection: Upgrade but no websocket")
        << "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"_ba;
}

void TestWebSocket::plainGetIs404()
{
    QFETCH(QByteArray, request);
    const RawResponse r = raw(m_srv.port(), request);
    QCOMPARE(r.status, 404);
    QCOMPARE(r.body, QByteArray());
}

void TestWebSocket::upgradeNamespaceErrors_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<QByteArray>("headers");
    QTest::addRow("unknown namespace") << "127.0.0.1"_ba
                                       << "x-namespace: nosuch\r\n"_ba;
    // Without x-namespace, the first DNS label of Host names the namespace (qsqld ignores IP-address hosts).
    QTest::addRow("unknown namespace from Host") << "nosuch.example.com"_ba << QByteArray();
    QTest::addRow("invalid namespace name") << "127.0.0.1"_ba
                                            << "x-namespace: a/b\r\n"_ba;
    QTest::addRow("unknown namespace with a valid subprotocol")
        << "127.0.0.1"_ba
        << "x-namespace: nosuch\r\nSec-WebSocket-Protocol: hrana3\r\n"_ba;
}

void TestWebSocket::upgradeNamespaceErrors()
{
    QFETCH(QByteArray, host);
    QFETCH(QByteArray, headers);
    const RawResponse r = raw(m_srv.port(), upgradeRequest(host, "/", headers));
    QCOMPARE(r.status, 503);
    QCOMPARE(r.body, "sqld was not able to process the HTTP upgrade"_ba);

    // The same through QWebSocket: the connection fails.
    WsClient c;
    QNetworkRequest req(QUrl::fromEncoded("ws://127.0.0.1:" + num(m_srv.port()) + "/"));
    req.setRawHeader("x-namespace", "nosuch");
    c.ws.open(req);
    QVERIFY(c.waitUntil([&c] { return c.connected || c.disconnected || c.failed; }));
    QVERIFY(c.failed || c.disconnected);
    QVERIFY(!c.connected);
}

void TestWebSocket::hranaListener_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addRow("/") << "/"_ba;
    QTest::addRow("/anything") << "/anything"_ba;
    QTest::addRow("/v2/pipeline") << "/v2/pipeline"_ba;
    QTest::addRow("deep path with a query") << "/a/b/c?x=1&y=2"_ba;
}

void TestWebSocket::hranaListener()
{
    QFETCH(QByteArray, path);
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    WsClient c;
    QVERIFY(c.open(m_srv.runtime->hranaPort(), ns, { u"hrana3"_s }, path));
    QCOMPARE(c.ws.subprotocol(), u"hrana3"_s);
    QVERIFY(helloAndOpen(c));
    QVERIFY(c.call(execute(1, "CREATE TABLE t(x)")).type() == u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM t")).scalar().toString(), u"0"_s);

    // The namespace is the same one the user port serves.
    WsClient u;
    QVERIFY(u.open(m_srv.port(), ns, { u"hrana3"_s }));
    QVERIFY(helloAndOpen(u));
    QCOMPARE(u.call(execute(1, "SELECT count(*) FROM t")).scalar().toString(), u"0"_s);
}

// ---- hello ---------------------------------------------------------------------------------------------------

void TestWebSocket::helloOk_data()
{
    QTest::addColumn<QString>("protocol");
    QTest::addColumn<QByteArray>("hello");
    for (const QString &p : { u"hrana1"_s, u"hrana2"_s, u"hrana3"_s }) {
        QTest::addRow("%s jwt null", qPrintable(p)) << p << R"({"type":"hello","jwt":null})"_ba;
        QTest::addRow("%s jwt missing", qPrintable(p)) << p << R"({"type":"hello"})"_ba;
        // Without auth configured any token is ignored.
        QTest::addRow("%s jwt ignored", qPrintable(p)) << p << R"({"type":"hello","jwt":"whatever"})"_ba;
    }
}

void TestWebSocket::helloOk()
{
    QFETCH(QString, protocol);
    QFETCH(QByteArray, hello);
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    WsClient c;
    QVERIFY(c.open(m_srv.port(), ns, { protocol }));
    c.send(hello);
    QCOMPARE(c.next().text, R"({"type":"hello_ok"})"_ba);
    QCOMPARE(
        c.call(openStream(1)).text, R"({"type":"response_ok","request_id":1,"response":{"type":"open_stream"}})"_ba);
    QCOMPARE(c.ws.state(), QAbstractSocket::ConnectedState);
}

void TestWebSocket::repeatedHello_data()
{
    QTest::addColumn<QString>("protocol");
    QTest::addColumn<bool>("allowed");
    QTest::addRow("hrana1") << u"hrana1"_s << false;
    QTest::addRow("hrana2") << u"hrana2"_s << true;
    QTest::addRow("hrana3") << u"hrana3"_s << true;
}

void TestWebSocket::repeatedHello()
{
    QFETCH(QString, protocol);
    QFETCH(bool, allowed);
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    WsClient c;
    QVERIFY(c.open(m_srv.port(), ns, { protocol }));
    QVERIFY(helloAndOpen(c));
    c.send(hello());
    if (!allowed) {
        QVERIFY(c.waitClosed());
        QCOMPARE(c.closeCode(), 1008);
        QVERIFY(!c.closeReason().isEmpty());
        QVERIFY(c.inbox.isEmpty());
        return;
    }
    QCOMPARE(c.next().text, R"({"type":"hello_ok"})"_ba);
    // The open stream survives the new identity.
    QCOMPARE(c.call(execute(1, "SELECT 42")).scalar().toString(), u"42"_s);
    c.send(hello());
    QCOMPARE(c.next().text, R"({"type":"hello_ok"})"_ba);
    QCOMPARE(c.ws.state(), QAbstractSocket::ConnectedState);
}

// The client may send requests right after hello, without waiting for hello_ok (spec 9.2).
void TestWebSocket::requestsBeforeHelloOk()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    WsClient c;
    QVERIFY(c.open(m_srv.port(), ns, { u"hrana3"_s }));
    c.send(hello());
    const qint64 open = c.post(openStream(1));
    const qint64 exec = c.post(execute(1, "SELECT 'early'"));
    QCOMPARE(c.take([](const Msg &m) { return m.type() == u"hello_ok"_s; }).text, R"({"type":"hello_ok"})"_ba);
    QCOMPARE(c.response(open).type(), u"response_ok"_s);
    QCOMPARE(c.response(exec).scalar().toString(), u"early"_s);
}

// ---- stream requests -----------------------------------------------------------------------------------------

void TestWebSocket::executeValues_data()
{
    QTest::addColumn<QByteArray>("input"); // a Hrana Value as sent
    QTest::addColumn<QByteArray>("output"); // the Value text the server must write
    QTest::addColumn<QByteArray>("sqlType"); // typeof() of the bound value

    const auto f = [](const char *v) -> QByteArray { return R"({"type":"float","value":)" + QByteArray(v) + "}"; };
    const auto b = [](const char *v) -> QByteArray { return R"({"type":"blob","base64":")" + QByteArray(v) + "\"}"; };
    const auto i = [](const char *v) -> QByteArray { return R"({"type":"integer","value":")" + QByteArray(v) + "\"}"; };
    const auto t = [](const char *json) -> QByteArray { return R"({"type":"text","value":)" + QByteArray(json) + "}"; };

    QTest::addRow("null") << R"({"type":"null"})"_ba
                          << R"({"type":"null"})"_ba
                          << "null"_ba;
    QTest::addRow("integer") << i("42") << i("42") << "integer"_ba;
    QTest::addRow("integer max") << i("9223372036854775807") << i("9223372036854775807") << "integer"_ba;
    QTest::addRow("integer min") << i("-9223372036854775808") << i("-9223372036854775808") << "integer"_ba;
    QTest::addRow("integer above 2^53") << i("9007199254740993") << i("9007199254740993") << "integer"_ba;
    QTest::addRow("float 1.0 keeps .0") << f("1.0") << f("1.0") << "real"_ba;
    QTest::addRow("float given as integral number") << f("1") << f("1.0") << "real"_ba;
    QTest::addRow("float -2.5") << f("-2.5") << f("-2.5") << "real"_ba;
    QTest::addRow("float 0.1") << f("0.1") << f("0.1") << "real"_ba;
    QTest::addRow("float 1e16") << f("1e16") << f("1e16") << "real"_ba;
    QTest::addRow("float 1.5e-7") << f("1.5e-7") << f("1.5e-7") << "real"_ba;
    QTest::addRow("text empty") << t(R"("")") << t(R"("")") << "text"_ba;
    QTest::addRow("text unicode") << t("\"h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80\"")
                                  << t("\"h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80\"") << "text"_ba;
    QTest::addRow("text control characters")
        << t(R"("a\u0001b\nc\td\u0000e")") << t(R"("a\u0001b\nc\td\u0000e")") << "text"_ba;
    QTest::addRow("text quotes and backslashes")
        << t(R"("say \"hi\" \\ \/")") << t(R"("say \"hi\" \\ /")") << "text"_ba;
    QTest::addRow("blob without padding") << b("AAEC/w") << b("AAEC/w") << "blob"_ba;
    QTest::addRow("blob with padding") << b("AAEC/w==") << b("AAEC/w") << "blob"_ba;
    QTest::addRow("blob empty") << b("") << b("") << "blob"_ba;
}

void TestWebSocket::executeValues()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, output);
    QFETCH(QByteArray, sqlType);

    WsClient c;
    QVERIFY(ready(c));
    const QByteArray tail = QByteArray(",") + R"({"type":"text","value":")" + sqlType + "\"}]]";
    // Positional.
    const Msg p = c.call(execute(1, "SELECT ?, typeof(?1)", ",\"args\":[" + input + "]"));
    QCOMPARE(p.type(), u"response_ok"_s);
    QVERIFY2(
        p.text.contains(QByteArray(R"J("cols":[{"name":"?","decltype":null},{"name":"typeof(?1)","decltype":null}],)J"
                                   R"("rows":[[)"
            + output + tail)),
        p.text.constData());
    // Named.
    const Msg n = c.call(execute(1, "SELECT :v, typeof(:v)", ",\"named_args\":[" + named(":v", input) + "]"));
    QCOMPARE(n.type(), u"response_ok"_s);
    QVERIFY2(n.text.contains(QByteArray(R"("rows":[[)" + output + tail)), n.text.constData());
    // Stored in a table and read back.
    QCOMPARE(c.call(execute(1, "CREATE TABLE v(x)")).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "INSERT INTO v VALUES (?)", ",\"args\":[" + input + "]")).type(), u"response_ok"_s);
    const Msg back = c.call(execute(1, "SELECT x, typeof(x) FROM v"));
    QVERIFY2(back.text.contains(QByteArray(R"("rows":[[)" + output + tail)), back.text.constData());
}

void TestWebSocket::namedArgs_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QByteArray>("extra"); // args / named_args
    QTest::addColumn<QByteArray>("rows"); // the exact rows text

    QTest::addRow("positional ?") << "SELECT ?, ?"_ba << (",\"args\":[" + I(1) + "," + I(2) + "]")
                                  << R"([[{"type":"integer","value":"1"},{"type":"integer","value":"2"}]])"_ba;
    QTest::addRow("positional ?NNN") << "SELECT ?2, ?1"_ba << (",\"args\":[" + I(1) + "," + I(2) + "]")
                                     << R"([[{"type":"integer","value":"2"},{"type":"integer","value":"1"}]])"_ba;
    QTest::addRow(":a given with its prefix") << "SELECT :a"_ba << (",\"named_args\":[" + named(":a", I(7)) + "]")
                                              << R"([[{"type":"integer","value":"7"}]])"_ba;
    QTest::addRow(":a given without prefix") << "SELECT :a"_ba << (",\"named_args\":[" + named("a", I(7)) + "]")
                                             << R"([[{"type":"integer","value":"7"}]])"_ba;
    QTest::addRow("@a") << "SELECT @a"_ba << (",\"named_args\":[" + named("@a", I(8)) + "]")
                        << R"([[{"type":"integer","value":"8"}]])"_ba;
    QTest::addRow("$a without prefix") << "SELECT $a"_ba << (",\"named_args\":[" + named("a", I(9)) + "]")
                                       << R"([[{"type":"integer","value":"9"}]])"_ba;
    QTest::addRow("two names, any order")
        << "SELECT :x, :y"_ba << (",\"named_args\":[" + named(":y", I(2)) + "," + named(":x", I(1)) + "]")
        << R"([[{"type":"integer","value":"1"},{"type":"integer","value":"2"}]])"_ba;
}

void TestWebSocket::namedArgs()
{
    QFETCH(QByteArray, sql);
    QFETCH(QByteArray, extra);
    QFETCH(QByteArray, rows);
    WsClient c;
    QVERIFY(ready(c));
    const Msg r = c.call(execute(1, sql, extra));
    QCOMPARE(r.type(), u"response_ok"_s);
    QVERIFY2(r.text.contains(QByteArray(R"("rows":)" + rows + ",")), r.text.constData());
}

void TestWebSocket::executeResult()
{
    WsClient c;
    QVERIFY(ready(c));
    const Msg create = c.call(execute(1, "CREATE TABLE r(id INTEGER PRIMARY KEY, name varchar(20), data BLOB)"));
    QCOMPARE(create.type(), u"response_ok"_s);
    QCOMPARE(create.response()[u"type"_s].toString(), u"execute"_s);

    const Msg ins = c.call(execute(1, "INSERT INTO r(name, data) VALUES ('a', x'00'), ('b', NULL)"));
    QVERIFY2(ins.text.startsWith(R"({"type":"response_ok","request_id":3,"response":{"type":"execute","result":)"
                                 R"({"cols":[],"rows":[],"affected_row_count":2,"last_insert_rowid":"2",)"),
        ins.text.constData());
    // Every StmtResult key is present.
    QCOMPARE(ins.result().keys(),
        (QStringList { u"affected_row_count"_s, u"cols"_s, u"last_insert_rowid"_s, u"query_duration_ms"_s,
            u"replication_index"_s, u"rows"_s, u"rows_read"_s, u"rows_written"_s }));
    QVERIFY(ins.result()[u"query_duration_ms"_s].isDouble());
    QCOMPARE(ins.result()[u"rows_written"_s].toInt(), 2);

    const Msg sel = c.call(execute(1, "SELECT id, name, data, count(*) OVER () AS n FROM r ORDER BY id"));
    QVERIFY2(
        sel.text.contains(
            R"J({"cols":[{"name":"id","decltype":"INTEGER"},{"name":"name","decltype":"varchar(20)"},)J"
            R"({"name":"data","decltype":"BLOB"},{"name":"n","decltype":null}],)"
            R"("rows":[[{"type":"integer","value":"1"},{"type":"text","value":"a"},{"type":"blob","base64":"AA"},)"
            R"({"type":"integer","value":"2"}],[{"type":"integer","value":"2"},{"type":"text","value":"b"},)"
            R"({"type":"null"},{"type":"integer","value":"2"}]],"affected_row_count":0,"last_insert_rowid":null,)"),
        sel.text.constData());

    const Msg upd = c.call(execute(1, "UPDATE r SET name = 'c'"));
    QCOMPARE(upd.result()[u"affected_row_count"_s].toInt(), 2);
    QVERIFY(upd.result()[u"last_insert_rowid"_s].isNull());
}

void TestWebSocket::batchConditions_data()
{
    QTest::addColumn<QByteArrayList>("steps");
    QTest::addColumn<QByteArray>("ran"); // per step: 'o' ok, 'e' error, '-' skipped

    QTest::addRow("no conditions") << QByteArrayList { step("SELECT 1"), step("SELECT 2") } << "oo"_ba;
    QTest::addRow("ok chain") << QByteArrayList { step("SELECT 1"), step("SELECT 2", okc(0)), step("SELECT 3", okc(1)) }
                              << "ooo"_ba;
    QTest::addRow("error stops the chain") << QByteArrayList { step("SELECT * FROM nosuch"), step("SELECT 2", okc(0)),
        step("SELECT 3", okc(1)) } << "e--"_ba;
    QTest::addRow("error condition") << QByteArrayList { step("SELECT * FROM nosuch"), step("SELECT 2", errc(0)) }
                                     << "eo"_ba;
    QTest::addRow("error condition on a skipped step is true") << QByteArrayList { step("SELECT * FROM nosuch"),
        step("SELECT 2", okc(0)), step("SELECT 3", errc(1)) } << "e-o"_ba;
    QTest::addRow("not") << QByteArrayList { step("SELECT 1"), step("SELECT 2", notc(okc(0))) } << "o-"_ba;
    QTest::addRow("and") << QByteArrayList { step("SELECT 1"), step("SELECT x"),
        step("SELECT 3", andc({ okc(0), okc(1) })), step("SELECT 4", andc({ okc(0), errc(1) })) }
                         << "oe-o"_ba;
    QTest::addRow("or") << QByteArrayList { step("SELECT x"), step("SELECT 2", orc({ okc(0) })),
        step("SELECT 3", orc({ okc(0), errc(0) })) }
                        << "e-o"_ba;
    QTest::addRow("empty and is true, empty or is false")
        << QByteArrayList { step("SELECT 1", andc({})), step("SELECT 2", orc({})) } << "o-"_ba;
    QTest::addRow("is_autocommit before each step") << QByteArrayList { step("SELECT 1", AUTOC), step("BEGIN"),
        step("SELECT 3", AUTOC), step("SELECT 4", notc(AUTOC)), step("COMMIT"), step("SELECT 6", AUTOC) }
                                                    << "oo-ooo"_ba;
    QTest::addRow("@libsql/client transaction") << QByteArrayList { step("BEGIN DEFERRED"),
        step("CREATE TABLE b(x)", okc(0)), step("INSERT INTO b VALUES (1)", andc({ okc(1), notc(AUTOC) })),
        step("COMMIT", okc(2)), step("ROLLBACK", notc(okc(3))) }
                                                << "oooo-"_ba;
}

void TestWebSocket::batchConditions()
{
    QFETCH(QByteArrayList, steps);
    QFETCH(QByteArray, ran);

    WsClient c;
    QVERIFY(ready(c));
    const Msg r = c.call(batch(1, steps));
    QCOMPARE(r.type(), u"response_ok"_s);
    QCOMPARE(r.response()[u"type"_s].toString(), u"batch"_s);
    const QJsonObject result = r.result();
    const QJsonArray results = result[u"step_results"_s].toArray();
    const QJsonArray errors = result[u"step_errors"_s].toArray();
    QCOMPARE(results.size(), ran.size());
    QCOMPARE(errors.size(), ran.size());
    for (qsizetype i = 0; i < ran.size(); ++i) {
        const QByteArray where = "step " + num(i) + ": " + r.text;
        switch (ran[i]) {
        case 'o':
            QVERIFY2(results[i].isObject() && errors[i].isNull(), where.constData());
            break;
        case 'e':
            QVERIFY2(results[i].isNull() && errors[i].isObject(), where.constData());
            QVERIFY2(!errors[i][u"code"_s].toString().isEmpty(), where.constData());
            break;
        default:
            QVERIFY2(results[i].isNull() && errors[i].isNull(), where.constData());
        }
    }
    // The stream is back in autocommit mode and still works.
    QCOMPARE(c.call(getAutocommit(1)).response()[u"is_autocommit"_s].toBool(), true);
}

void TestWebSocket::sequenceAndDescribe()
{
    WsClient c;
    QVERIFY(ready(c));
    QCOMPARE(c.call(sequence(1,
                        "CREATE TABLE s(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO s(a) VALUES ('x');"
                        "INSERT INTO s(a) VALUES ('y')"))
                 .text,
        R"({"type":"response_ok","request_id":2,"response":{"type":"sequence"}})"_ba);
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM s")).scalar().toString(), u"2"_s);

    // A failing statement stops the sequence with an error; the earlier ones stay.
    const Msg bad
        = c.call(sequence(1, "INSERT INTO s(a) VALUES ('z'); SELECT * FROM nosuch; INSERT INTO s(a) VALUES ('w')"));
    QCOMPARE(bad.type(), u"response_error"_s);
    QCOMPARE(bad.error()[u"code"_s].toString(), u"SQL_INPUT_ERROR"_s);
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM s")).scalar().toString(), u"3"_s);

    const Msg d = c.call(describe(1, "SELECT id, a FROM s WHERE id = :id AND a = ?"));
    QCOMPARE(d.text,
        R"({"type":"response_ok","request_id":6,"response":{"type":"describe","result":)"
        R"({"params":[{"name":":id"},{"name":null}],"cols":[{"name":"id","decltype":"INTEGER"},)"
        R"({"name":"a","decltype":"TEXT"}],"is_explain":false,"is_readonly":true}}})"_ba);
    const Msg w = c.call(describe(1, "INSERT INTO s(a) VALUES (?3)"));
    QCOMPARE(w.result()[u"is_readonly"_s].toBool(), false);
    QCOMPARE(w.result()[u"params"_s].toArray().size(), 3);
    QCOMPARE(w.result()[u"params"_s][2][u"name"_s].toString(), u"?3"_s);
    const Msg e = c.call(describe(1, "EXPLAIN SELECT 1"));
    QCOMPARE(e.result()[u"is_explain"_s].toBool(), true);
    const Msg f = c.call(describe(1, "SELECT * FROM nosuch"));
    QCOMPARE(f.type(), u"response_error"_s);
    QCOMPARE(f.error()[u"code"_s].toString(), u"SQL_INPUT_ERROR"_s);
    // describe runs nothing.
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM s")).scalar().toString(), u"3"_s);
}

void TestWebSocket::storedSql()
{
    WsClient c;
    QVERIFY(ready(c, u"hrana2"_s));
    QCOMPARE(c.call(execute(1, "CREATE TABLE k(x)")).type(), u"response_ok"_s);
    QCOMPARE(c.call(storeSql(1, "INSERT INTO k VALUES (?)")).text,
        R"({"type":"response_ok","request_id":3,"response":{"type":"store_sql"}})"_ba);
    QCOMPARE(c.call(storeSql(2, "SELECT count(*), sum(x) FROM k")).type(), u"response_ok"_s);

    // execute by sql_id, with arguments.
    QCOMPARE(c.call(R"({"type":"execute","stream_id":1,"stmt":{"sql_id":1,"args":[)" + I(5) + "]}}")
                 .result()[u"affected_row_count"_s]
                 .toInt(),
        1);
    // The stored texts belong to the connection: a second stream uses them too.
    QCOMPARE(c.call(openStream(2)).type(), u"response_ok"_s);
    QCOMPARE(c.call(R"({"type":"execute","stream_id":2,"stmt":{"sql_id":1,"args":[)" + I(6) + "]}}").type(),
        u"response_ok"_s);
    // In a batch step, a sequence and a describe.
    const Msg b = c.call(R"({"type":"batch","stream_id":1,"batch":{"steps":[{"stmt":{"sql_id":2}}]}})");
    QCOMPARE(b.result()[u"step_results"_s][0][u"rows"_s][0][1][u"value"_s].toString(), u"11"_s);
    QCOMPARE(c.call(storeSql(3, "INSERT INTO k VALUES (1); INSERT INTO k VALUES (2)")).type(), u"response_ok"_s);
    QCOMPARE(c.call(R"({"type":"sequence","stream_id":1,"sql_id":3})").type(), u"response_ok"_s);
    QCOMPARE(c.call(executeId(1, 2)).scalar().toString(), u"4"_s);
    const Msg d = c.call(R"({"type":"describe","stream_id":1,"sql_id":1})");
    QCOMPARE(d.result()[u"params"_s].toArray().size(), 1);

    // close_sql: the id is free again (storing it anew is no error), and the old text is gone.
    const qint64 closeId = c.nextId;
    QCOMPARE(c.call(closeSql(2)).text,
        R"({"type":"response_ok","request_id":)" + num(closeId) + R"(,"response":{"type":"close_sql"}})");
    QCOMPARE(c.call(closeSql(99)).type(), u"response_ok"_s); // closing an unknown id is fine
    QCOMPARE(c.call(storeSql(2, "SELECT 'new'")).type(), u"response_ok"_s);
    QCOMPARE(c.call(executeId(1, 2)).scalar().toString(), u"new"_s);
    QCOMPARE(c.call(closeSql(2)).type(), u"response_ok"_s);
    QVERIFY(c.call(executeId(1, 2)).isNull());
    QVERIFY(c.waitClosed());
    QCOMPARE(c.closeCode(), 1008);
    QCOMPARE(c.closeReason(), "SQL text 2 not found"_ba);
}

void TestWebSocket::storeSqlLimit()
{
    WsClient c;
    QVERIFY(ready(c, u"hrana3"_s));
    // 150 stored texts per connection; pipelined, answered in order.
    QList<qint64> ids;
    for (int i = 1; i <= 150; ++i)
        ids.append(c.post(storeSql(i, QByteArray("SELECT " + num(i)))));
    for (qint64 id : std::as_const(ids))
        QCOMPARE(c.response(id).type(), u"response_ok"_s);
    const qint64 overId = c.nextId;
    const Msg over = c.call(storeSql(151, "SELECT 151"));
    QCOMPARE(over.text,
        R"({"type":"response_error","request_id":)" + num(overId)
            + R"(,"error":{"message":"The server already stores 150 SQL texts, it cannot store more",)"
              R"("code":"SQL_STORE_TOO_MANY"}})");
    // Errors as data: the connection stays usable, and closing one text makes room.
    QCOMPARE(c.call(executeId(1, 150)).scalar().toString(), u"150"_s);
    QCOMPARE(c.call(closeSql(7)).type(), u"response_ok"_s);
    QCOMPARE(c.call(storeSql(151, "SELECT 151")).type(), u"response_ok"_s);
    QCOMPARE(c.call(executeId(1, 151)).scalar().toString(), u"151"_s);
    QCOMPARE(c.call(storeSql(152, "SELECT 152")).error()[u"code"_s].toString(), u"SQL_STORE_TOO_MANY"_s);
}

void TestWebSocket::autocommitState()
{
    WsClient c;
    QVERIFY(ready(c));
    const auto autocommit = [&c] {
        const Msg m = c.call(getAutocommit(1));
        return m.type() == u"response_ok"_s && m.response()[u"type"_s] == u"get_autocommit"_s
            ? m.response()[u"is_autocommit"_s].toVariant()
            : QVariant(QString::fromUtf8(m.text));
    };
    QCOMPARE(autocommit(), QVariant(true));
    QCOMPARE(c.call(execute(1, "BEGIN")).type(), u"response_ok"_s);
    QCOMPARE(autocommit(), QVariant(false));
    QCOMPARE(c.call(execute(1, "CREATE TABLE a(x)")).type(), u"response_ok"_s);
    QCOMPARE(autocommit(), QVariant(false));
    QCOMPARE(c.call(execute(1, "COMMIT")).type(), u"response_ok"_s);
    QCOMPARE(autocommit(), QVariant(true));
    QCOMPARE(c.call(execute(1, "BEGIN IMMEDIATE")).type(), u"response_ok"_s);
    QCOMPARE(autocommit(), QVariant(false));
    QCOMPARE(c.call(execute(1, "ROLLBACK")).type(), u"response_ok"_s);
    QCOMPARE(autocommit(), QVariant(true));
}

void TestWebSocket::cursor()
{
    WsClient c;
    QVERIFY(ready(c));
    QCOMPARE(c.call(execute(1, "CREATE TABLE c(n INTEGER, s TEXT)")).type(), u"response_ok"_s);
    const QByteArrayList steps {
        step("INSERT INTO c VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')"),
        step("SELECT n, s FROM c ORDER BY n"),
        step("SELECT * FROM nosuch"),
        step("SELECT 'skipped'", okc(2)),
        step("SELECT 'recovered'", errc(2)),
    };
    QCOMPARE(c.call(openCursor(1, 1, steps)).text,
        R"({"type":"response_ok","request_id":3,"response":{"type":"open_cursor"}})"_ba);

    const QByteArrayList expected {
        R"({"type":"step_begin","step":0,"cols":[]})",
        R"({"type":"step_end","affected_row_count":5,"last_insert_rowid":"5"})",
        R"({"type":"step_begin","step":1,"cols":[{"name":"n","decltype":"INTEGER"},{"name":"s","decltype":"TEXT"}]})",
        R"({"type":"row","row":[{"type":"integer","value":"1"},{"type":"text","value":"a"}]})",
        R"({"type":"row","row":[{"type":"integer","value":"2"},{"type":"text","value":"b"}]})",
        R"({"type":"row","row":[{"type":"integer","value":"3"},{"type":"text","value":"c"}]})",
        R"({"type":"row","row":[{"type":"integer","value":"4"},{"type":"text","value":"d"}]})",
        R"({"type":"row","row":[{"type":"integer","value":"5"},{"type":"text","value":"e"}]})",
        R"({"type":"step_end","affected_row_count":0,"last_insert_rowid":null})",
        R"J({"type":"step_error","step":2,"error":{"message":"SQL input error: no such table: nosuch (at offset 14)",)J"
        R"("code":"SQL_INPUT_ERROR"}})",
        R"({"type":"step_begin","step":4,"cols":[{"name":"'recovered'","decltype":null}]})",
        R"({"type":"row","row":[{"type":"text","value":"recovered"}]})",
        R"({"type":"step_end","affected_row_count":0,"last_insert_rowid":null})",
    };

    // Fetch two at a time until done.
    QJsonArray got;
    QByteArray allText;
    bool done = false;
    for (int round = 0; round < 20 && !done; ++round) {
        const Msg f = c.call(fetchCursor(1, 2));
        QCOMPARE(f.type(), u"response_ok"_s);
        QCOMPARE(f.response()[u"type"_s].toString(), u"fetch_cursor"_s);
        QCOMPARE(f.response().keys(), (QStringList { u"done"_s, u"entries"_s, u"type"_s }));
        const QJsonArray entries = f.response()[u"entries"_s].toArray();
        QVERIFY2(entries.size() <= 2, f.text.constData());
        QVERIFY2(!entries.isEmpty() || f.response()[u"done"_s].toBool(), f.text.constData());
        for (const QJsonValue &e : entries)
            got.append(e);
        allText += f.text;
        done = f.response()[u"done"_s].toBool();
    }
    QVERIFY(done);
    // No replication_index entry (hrana-client-ts rejects it, spec 5).
    QCOMPARE(got.size(), expected.size());
    for (qsizetype i = 0; i < expected.size(); ++i) {
        QCOMPARE(got[i].toObject(), QJsonDocument::fromJson(expected[i]).object());
        QVERIFY2(allText.contains(expected[i]), expected[i].constData()); // key order too
    }
    // After done, a fetch returns nothing and done again.
    QCOMPARE(c.call(fetchCursor(1, 2)).response()[u"entries"_s].toArray().size(), 0);

    const qint64 closeId = c.nextId;
    QCOMPARE(c.call(closeCursor(1)).text,
        R"({"type":"response_ok","request_id":)" + num(closeId) + R"(,"response":{"type":"close_cursor"}})");
    // The stream is free for a new cursor, and its changes are there.
    QCOMPARE(c.call(openCursor(1, 2, { step("SELECT count(*) FROM c") })).type(), u"response_ok"_s);
    const Msg one = c.call(fetchCursor(2, 100));
    QVERIFY2(one.text.contains(R"({"type":"row","row":[{"type":"integer","value":"5"}]})"), one.text.constData());
    QCOMPARE(c.call(closeCursor(2)).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM c")).scalar().toString(), u"5"_s);
}

void TestWebSocket::closeStreamRollsBack()
{
    WsClient c;
    QVERIFY(ready(c));
    QCOMPARE(c.call(execute(1, "CREATE TABLE t(x)")).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "BEGIN")).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "INSERT INTO t VALUES (1)")).type(), u"response_ok"_s);
    QCOMPARE(
        c.call(closeStream(1)).text, R"({"type":"response_ok","request_id":5,"response":{"type":"close_stream"}})"_ba);
    // Closing rolled the transaction back and released the write lock.
    QCOMPARE(c.call(openStream(2)).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(2, "SELECT count(*) FROM t")).scalar().toString(), u"0"_s);
    QCOMPARE(c.call(execute(2, "INSERT INTO t VALUES (2)")).type(), u"response_ok"_s);
    // The id may be reused after close.
    QCOMPARE(c.call(openStream(1)).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM t")).scalar().toString(), u"1"_s);
    // A closed stream is unknown.
    QCOMPARE(c.call(closeStream(2)).type(), u"response_ok"_s);
    QVERIFY(c.call(execute(2, "SELECT 1")).isNull());
    QVERIFY(c.waitClosed());
    QCOMPARE(c.closeCode(), 1008);
    QCOMPARE(c.closeReason(), "Stream 2 not found"_ba);
}

void TestWebSocket::streamsHaveOwnTransactions()
{
    WsClient c;
    QVERIFY(ready(c));
    QCOMPARE(c.call(execute(1, "CREATE TABLE t(x)")).type(), u"response_ok"_s);
    QCOMPARE(c.call(openStream(2)).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "BEGIN")).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "INSERT INTO t VALUES (1)")).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM t")).scalar().toString(), u"1"_s);
    QCOMPARE(c.call(execute(2, "SELECT count(*) FROM t")).scalar().toString(), u"0"_s);
    QCOMPARE(c.call(getAutocommit(1)).response()[u"is_autocommit"_s].toBool(), false);
    QCOMPARE(c.call(getAutocommit(2)).response()[u"is_autocommit"_s].toBool(), true);
    QCOMPARE(c.call(execute(1, "COMMIT")).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(2, "SELECT count(*) FROM t")).scalar().toString(), u"1"_s);

    // Many streams on one connection, each in its own (read) transaction at its own snapshot.
    constexpr int N = 12;
    for (int s = 10; s < 10 + N; ++s) {
        QCOMPARE(c.call(openStream(s)).type(), u"response_ok"_s);
        QCOMPARE(c.call(execute(s, "BEGIN")).type(), u"response_ok"_s);
        QCOMPARE(c.call(execute(s, "SELECT count(*) FROM t")).scalar().toString(), QString::number(s - 9));
        QCOMPARE(c.call(execute(1, "INSERT INTO t VALUES (1)")).type(), u"response_ok"_s);
    }
    for (int s = 10; s < 10 + N; ++s) {
        QCOMPARE(c.call(getAutocommit(s)).response()[u"is_autocommit"_s].toBool(), false);
        QCOMPARE(c.call(execute(s, "SELECT count(*) FROM t")).scalar().toString(), QString::number(s - 9));
        QCOMPARE(c.call(execute(s, "COMMIT")).type(), u"response_ok"_s);
        QCOMPARE(c.call(execute(s, "SELECT count(*) FROM t")).scalar().toString(), QString::number(N + 1));
    }
}

void TestWebSocket::pipelinedRequestsAnsweredInOrder()
{
    WsClient c;
    QVERIFY(ready(c));
    QCOMPARE(c.call(execute(1, "CREATE TABLE p(x)")).type(), u"response_ok"_s);
    QCOMPARE(c.call(openStream(2)).type(), u"response_ok"_s);

    // Sent without waiting: inserts and counts on stream 1, reads on stream 2.
    constexpr int N = 30;
    QList<qint64> stream1, stream2;
    for (int i = 1; i <= N; ++i) {
        stream1.append(c.post(execute(1, QByteArray("INSERT INTO p VALUES (" + num(i) + ")"))));
        stream1.append(c.post(execute(1, "SELECT count(*), max(x) FROM p")));
        stream2.append(c.post(execute(2, QByteArray("SELECT " + num(i)))));
    }
    QVERIFY(c.waitUntil([&c] { return c.inbox.size() >= 3 * N || c.disconnected; }));
    QCOMPARE(c.inbox.size(), 3 * N);
    QList<qint64> order1, order2;
    for (const Msg &m : std::as_const(c.inbox)) {
        QCOMPARE(m.type(), u"response_ok"_s);
        const qint64 id = m.obj[u"request_id"_s].toInteger();
        (stream1.contains(id) ? order1 : order2).append(id);
    }
    // Each stream's answers come in the order of its requests.
    QCOMPARE(order1, stream1);
    QCOMPARE(order2, stream2);
    for (int i = 1; i <= N; ++i) {
        const Msg count = c.response(stream1[2 * i - 1]);
        QCOMPARE(count.result()[u"rows"_s][0][0][u"value"_s].toString(), QString::number(i));
        QCOMPARE(count.result()[u"rows"_s][0][1][u"value"_s].toString(), QString::number(i));
        QCOMPARE(c.response(stream2[i - 1]).scalar().toString(), QString::number(i));
    }
}

// ---- errors --------------------------------------------------------------------------------------------------

void TestWebSocket::errorsAsData_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QByteArray>("message"); // exact, or a prefix ending in ": "

    QTest::addRow("UNIQUE constraint") << execute(1, "INSERT INTO e(a) VALUES (1)") << "SQLITE_CONSTRAINT"_ba
                                       << "SQLite error: UNIQUE constraint failed: e.a"_ba;
    QTest::addRow("NOT NULL constraint") << execute(1, "INSERT INTO e(a, b) VALUES (2, NULL)") << "SQLITE_CONSTRAINT"_ba
                                         << "SQLite error: NOT NULL constraint failed: e.b"_ba;
    QTest::addRow("no such table") << execute(1, "SELECT * FROM nosuch") << "SQL_INPUT_ERROR"_ba
                                   << "SQL input error: no such table: nosuch (at offset 14)"_ba;
    QTest::addRow("no such column") << execute(1, "SELECT nosuchcol FROM e") << "SQL_INPUT_ERROR"_ba
                                    << "SQL input error: no such column: nosuchcol (at offset 7)"_ba;
    QTest::addRow("syntax error") << execute(1, "SELEC 1") << "SQL_PARSE_ERROR"_ba
                                  << "SQL string could not be parsed: "_ba;
    QTest::addRow("unsupported statement") << execute(1, "PRAGMA journal_mode=DELETE") << "SQL_PARSE_ERROR"_ba
                                           << "SQL string could not be parsed: "_ba;
    QTest::addRow("empty") << execute(1, "") << "SQL_NO_STATEMENT"_ba
                           << "SQL string does not contain any statement"_ba;
    QTest::addRow("two statements") << execute(1, "SELECT 1; SELECT 2") << "SQL_MANY_STATEMENTS"_ba
                                    << "SQL string contains more than one statement"_ba;
    QTest::addRow("missing argument") << execute(1, "SELECT ?") << "ARGS_INVALID"_ba
                                      << "Arguments do not match SQL parameters: value for parameter 1 not found"_ba;
    QTest::addRow("both kinds of arguments")
        << execute(1, "SELECT ?", ",\"args\":[" + I(1) + "],\"named_args\":[" + named("a", I(1)) + "]")
        << "ARGS_BOTH_POSITIONAL_AND_NAMED"_ba
        << "Specifying both positional and named arguments is not supported"_ba;
    QTest::addRow("generic SQLITE_ERROR is SQLITE_UNKNOWN")
        << execute(1, "SELECT abs(-9223372036854775807 - 1)") << "SQLITE_UNKNOWN"_ba
        << "SQLite error: integer overflow"_ba;
    QTest::addRow("batch with an unparsable step")
        << batch(1, { step("SELECT 1"), step("SELEC 1") }) << "SQL_PARSE_ERROR"_ba
        << "SQL string could not be parsed: "_ba;
    QTest::addRow("sequence") << sequence(1, "SELECT 1; SELECT * FROM nosuch") << "SQL_INPUT_ERROR"_ba
                              << "SQL input error: no such table: nosuch (at offset 14)"_ba;
    // describe prepares without sqld's parser: a syntax error is SQLite's own (spec 5, DescribeResult).
    QTest::addRow("describe") << describe(1, "SELEC 1") << "SQL_INPUT_ERROR"_ba
                              << R"(SQL input error: near "SELEC": syntax error (at offset 0))"_ba;
}

void TestWebSocket::errorsAsData()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, code);
    QFETCH(QByteArray, message);

    WsClient c;
    QVERIFY(ready(c));
    QCOMPARE(c.call(sequence(1, "CREATE TABLE e(a UNIQUE, b NOT NULL DEFAULT 0); INSERT INTO e(a) VALUES (1)")).type(),
        u"response_ok"_s);
    const Msg r = c.call(request);
    QCOMPARE(r.type(), u"response_error"_s);
    QCOMPARE(r.obj.keys(), (QStringList { u"error"_s, u"request_id"_s, u"type"_s }));
    QVERIFY2(r.text.startsWith(R"({"type":"response_error","request_id":3,"error":{"message":)"), r.text.constData());
    QCOMPARE(r.error().keys(), (QStringList { u"code"_s, u"message"_s }));
    QCOMPARE(r.error()[u"code"_s].toString().toUtf8(), code);
    const QByteArray actual = r.error()[u"message"_s].toString().toUtf8();
    if (message.endsWith(": "))
        QVERIFY2(actual.startsWith(message) && actual.size() > message.size(), actual.constData());
    else
        QCOMPARE(actual, message);
    // The error was data: the stream and the connection carry on.
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM e")).scalar().toString(), u"1"_s);
    QCOMPARE(c.ws.state(), QAbstractSocket::ConnectedState);
}

void TestWebSocket::batchStepErrors()
{
    WsClient c;
    QVERIFY(ready(c));
    QCOMPARE(c.call(execute(1, "CREATE TABLE u(a UNIQUE)")).type(), u"response_ok"_s);
    const Msg r = c.call(batch(1,
        { step("INSERT INTO u VALUES (1)"), step("INSERT INTO u VALUES (1)"),
            step("SELECT count(*) FROM u", errc(1)) }));
    QCOMPARE(r.type(), u"response_ok"_s);
    QVERIFY2(r.text.contains(R"("step_errors":[null,{"message":"SQLite error: UNIQUE constraint failed: u.a",)"
                             R"("code":"SQLITE_CONSTRAINT"},null])"),
        r.text.constData());
    QCOMPARE(r.result()[u"step_results"_s][1].type(), QJsonValue::Null);
    QCOMPARE(r.result()[u"step_results"_s][2][u"rows"_s][0][0][u"value"_s].toString(), u"1"_s);
}

void TestWebSocket::protocolErrors_data()
{
    QTest::addColumn<QString>("protocol");
    QTest::addColumn<QByteArrayList>("setup"); // messages, each answered with hello_ok or response_ok first
    QTest::addColumn<QByteArray>("bad"); // the message that ends the connection
    QTest::addColumn<QList<int>>("codes"); // acceptable close codes
    QTest::addColumn<QByteArray>("reason"); // exact, a prefix ending in ": ", or empty for any non-empty

    const QByteArray h = hello();
    const QByteArray o1 = message(1, openStream(1));
    const QList<int> c1007 { 1007 }, c1003 { 1003 }, c1008 { 1008 };
    // Found inside request handling: sqld drops the TCP connection; qsqld closes with 1008 or 1011 (spec 9.5).
    const QList<int> inside { 1008, 1011 };

    QTest::addRow("request before hello") << u"hrana3"_s << QByteArrayList {} << message(1, openStream(1)) << c1008
                                          << "Received a request before hello message"_ba;
    QTest::addRow("second hello on hrana1") << u"hrana1"_s << QByteArrayList { h } << h << c1008 << QByteArray();
    QTest::addRow("malformed JSON") << u"hrana3"_s << QByteArrayList { h } << "{\"type\":\"request\","_ba << c1007
                                    << "Cannot deserialize client message from JSON: "_ba;
    QTest::addRow("malformed JSON before hello") << u"hrana3"_s << QByteArrayList {} << "not json"_ba << c1007
                                                 << "Cannot deserialize client message from JSON: "_ba;
    QTest::addRow("JSON array") << u"hrana3"_s << QByteArrayList { h } << "[1,2]"_ba << c1007
                                << "Cannot deserialize client message from JSON: "_ba;
    QTest::addRow("integer value as a JSON number")
        << u"hrana3"_s << QByteArrayList { h, o1 }
        << message(2, execute(1, "SELECT ?", R"(,"args":[{"type":"integer","value":42}])")) << c1007
        << "Cannot deserialize client message from JSON: "_ba;
    QTest::addRow("unknown value type") << u"hrana3"_s << QByteArrayList { h, o1 }
                                        << message(2, execute(1, "SELECT ?", R"(,"args":[{"type":"bigint"}])")) << c1007
                                        << "Cannot deserialize client message from JSON: "_ba;
    QTest::addRow("unknown message type") << u"hrana3"_s << QByteArrayList { h } << R"({"type":"goodbye"})"_ba << c1008
                                          << "ClientMsg type not recognized"_ba;
    QTest::addRow("unknown request type")
        << u"hrana3"_s << QByteArrayList { h, o1 } << message(2, R"({"type":"frobnicate","stream_id":1})") << c1008
        << "Request type not recognized"_ba;
    QTest::addRow("unknown stream id") << u"hrana3"_s << QByteArrayList { h, o1 } << message(2, execute(7, "SELECT 1"))
                                       << c1008 << "Stream 7 not found"_ba;
    QTest::addRow("unknown stream id, no stream open")
        << u"hrana2"_s << QByteArrayList { h } << message(1, batch(3, { step("SELECT 1") })) << c1008
        << "Stream 3 not found"_ba;
    QTest::addRow("close of an unknown stream")
        << u"hrana3"_s << QByteArrayList { h } << message(1, closeStream(4)) << c1008 << "Stream 4 not found"_ba;
    QTest::addRow("duplicate stream id") << u"hrana3"_s << QByteArrayList { h, o1 } << message(2, openStream(1))
                                         << c1008 << "Stream 1 already exists"_ba;
    QTest::addRow("unknown sql_id in execute") << u"hrana3"_s << QByteArrayList { h, o1 }
                                               << message(2, executeId(1, 99)) << c1008 << "SQL text 99 not found"_ba;
    QTest::addRow("unknown sql_id in a batch step")
        << u"hrana2"_s << QByteArrayList { h, o1 }
        << message(2, R"({"type":"batch","stream_id":1,"batch":{"steps":[{"stmt":{"sql_id":5}}]}})") << c1008
        << "SQL text 5 not found"_ba;
    QTest::addRow("unknown sql_id in sequence")
        << u"hrana2"_s << QByteArrayList { h, o1 } << message(2, R"({"type":"sequence","stream_id":1,"sql_id":6})")
        << c1008 << "SQL text 6 not found"_ba;
    QTest::addRow("closed sql_id") << u"hrana3"_s
                                   << QByteArrayList { h, o1, message(2, storeSql(3, "SELECT 1")),
                                          message(3, closeSql(3)) }
                                   << message(4, executeId(1, 3)) << c1008 << "SQL text 3 not found"_ba;
    QTest::addRow("duplicate sql_id") << u"hrana3"_s << QByteArrayList { h, message(1, storeSql(3, "SELECT 1")) }
                                      << message(2, storeSql(3, "SELECT 2")) << c1008 << "SQL text 3 already exists"_ba;
    QTest::addRow("get_autocommit on hrana2")
        << u"hrana2"_s << QByteArrayList { h, o1 } << message(2, getAutocommit(1)) << c1008
        << "The `get_autocommit` request is only supported in protocol version "
           "hrana3 and higher"_ba;
    QTest::addRow("open_cursor on hrana2")
        << u"hrana2"_s << QByteArrayList { h, o1 } << message(2, openCursor(1, 1, { step("SELECT 1") })) << c1008
        << "The `open_cursor` request is only supported in protocol version hrana3 "
           "and higher"_ba;
    QTest::addRow("store_sql on hrana1") << u"hrana1"_s << QByteArrayList { h } << message(1, storeSql(1, "SELECT 1"))
                                         << c1008
                                         << "The `store_sql` request is only supported in protocol version hrana2 and "
                                            "higher"_ba;
    QTest::addRow("sequence on hrana1") << u"hrana1"_s << QByteArrayList { h, o1 }
                                        << message(2, sequence(1, "SELECT 1")) << c1008
                                        << "The `sequence` request is only supported in protocol version hrana2 and "
                                           "higher"_ba;
    QTest::addRow("describe on hrana1") << u"hrana1"_s << QByteArrayList { h, o1 }
                                        << message(2, describe(1, "SELECT 1")) << c1008
                                        << "The `describe` request is only supported in protocol version hrana2 and "
                                           "higher"_ba;
    QTest::addRow("unknown cursor") << u"hrana3"_s << QByteArrayList { h } << message(1, fetchCursor(5, 10)) << c1008
                                    << "Cursor 5 not found"_ba;
    QTest::addRow("second cursor on a stream")
        << u"hrana3"_s << QByteArrayList { h, o1, message(2, openCursor(1, 1, { step("SELECT 1") })) }
        << message(3, openCursor(1, 2, { step("SELECT 2") })) << c1008 << "Stream 1 already has an open cursor"_ba;
    QTest::addRow("duplicate cursor id") << u"hrana3"_s
                                         << QByteArrayList { h, o1, message(2, openStream(2)),
                                                message(3, openCursor(1, 1, { step("SELECT 1") })) }
                                         << message(4, openCursor(2, 1, { step("SELECT 2") })) << c1008
                                         << "Cursor 1 already exists"_ba;
    QTest::addRow("binary frame") << u"hrana3"_s << QByteArrayList { h } << QByteArray() /* binary */ << c1003
                                  << "Received a binary WebSocket message, which is not supported in this encoding"_ba;

    // Protocol errors sqld raises while handling the request (spec 9.5).
    QTest::addRow("condition refers to a later step")
        << u"hrana3"_s << QByteArrayList { h, o1 } << message(2, batch(1, { step("SELECT 1", okc(0)) })) << inside
        << "Invalid reference to step in a batch condition"_ba;
    QTest::addRow("both sql and sql_id")
        << u"hrana3"_s << QByteArrayList { h, o1, message(2, storeSql(1, "SELECT 1")) }
        << message(3, R"({"type":"execute","stream_id":1,"stmt":{"sql":"SELECT 1","sql_id":1}})") << inside
        << "Either `sql` or `sql_id` are required, but not both"_ba;
    QTest::addRow("neither sql nor sql_id")
        << u"hrana3"_s << QByteArrayList { h, o1 } << message(2, R"({"type":"execute","stream_id":1,"stmt":{}})")
        << inside << "Either `sql` or `sql_id` are required"_ba;
    QTest::addRow("is_autocommit condition on hrana2")
        << u"hrana2"_s << QByteArrayList { h, o1 } << message(2, batch(1, { step("SELECT 1", AUTOC) })) << inside
        << "BatchCond of type `is_autocommit` is only supported in protocol version hrana3 and higher"_ba;
}

void TestWebSocket::protocolErrors()
{
    QFETCH(QString, protocol);
    QFETCH(QByteArrayList, setup);
    QFETCH(QByteArray, bad);
    QFETCH(QList<int>, codes);
    QFETCH(QByteArray, reason);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    WsClient c;
    QVERIFY(c.open(m_srv.port(), ns, { protocol }));
    for (const QByteArray &m : setup) {
        c.send(m);
        const Msg r = c.next();
        QVERIFY2(r.type() == u"hello_ok"_s || r.type() == u"response_ok"_s,
            QByteArray(m + " -> " + r.text + " close " + num(c.closeCode()) + " " + c.closeReason()).constData());
    }
    if (bad.isNull())
        c.ws.sendBinaryMessage("\x01\x02");
    else
        c.send(bad);
    QVERIFY(c.waitClosed());
    QVERIFY2(c.inbox.isEmpty(), c.inbox.value(0).text.constData());
    QVERIFY2(codes.contains(c.closeCode()), QByteArray(num(c.closeCode()) + " " + c.closeReason()).constData());
    const QByteArray actual = c.closeReason();
    if (reason.isEmpty())
        QVERIFY(!actual.isEmpty());
    else if (reason.endsWith(": "))
        QVERIFY2(actual.startsWith(reason) && actual.size() > reason.size(), actual.constData());
    else
        QCOMPARE(actual, reason);
}

// ---- authentication and namespaces ---------------------------------------------------------------------------

void TestWebSocket::helloAuth_data()
{
    QTest::addColumn<QByteArray>("hello");
    QTest::addColumn<QByteArray>("code"); // empty: hello_ok
    QTest::addColumn<QByteArray>("message");

    using Access = qsqld::auth::Permissions::Access;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QTest::addRow("no jwt") << R"({"type":"hello"})"_ba
                            << "AUTH_HEADER_NOT_FOUND"_ba
                            << "Authentication failed: Expected authorization header but none given"_ba;
    QTest::addRow("jwt null") << hello() << "AUTH_HEADER_NOT_FOUND"_ba
                              << "Authentication failed: Expected authorization header but none given"_ba;
    QTest::addRow("garbage") << hello("abc.def.ghi") << "AUTH_JWT_INVALID"_ba
                             << "Authentication failed: The JWT is invalid"_ba;
    QTest::addRow("other key") << hello(token(m_otherKeys, u"app"_s, Access::ReadWrite)) << "AUTH_JWT_INVALID"_ba
                               << "Authentication failed: The JWT is invalid"_ba;
    QTest::addRow("expired") << hello(token(m_keys, u"app"_s, Access::ReadWrite, 100, now - 300))
                             << "AUTH_JWT_EXPIRED"_ba
                             << "Authentication failed: The JWT has expired"_ba;
    QTest::addRow("valid") << hello(rwToken()) << QByteArray() << QByteArray();
    QTest::addRow("valid, every namespace")
        << hello(token(m_keys, std::nullopt, Access::ReadWrite)) << QByteArray() << QByteArray();
    QTest::addRow("valid, read-only") << hello(token(m_keys, u"app"_s, Access::ReadOnly)) << QByteArray()
                                      << QByteArray();
}

void TestWebSocket::helloAuth()
{
    QFETCH(QByteArray, hello);
    QFETCH(QByteArray, code);
    QFETCH(QByteArray, message);

    WsClient c;
    QVERIFY(c.open(m_auth.port(), "app", { u"hrana3"_s }));
    c.send(hello);
    const Msg r = c.next();
    if (code.isEmpty()) {
        QCOMPARE(r.text, R"({"type":"hello_ok"})"_ba);
        QCOMPARE(c.call(openStream(1)).type(), u"response_ok"_s);
        QCOMPARE(c.call(execute(1, "SELECT 1")).scalar().toString(), u"1"_s);
        return;
    }
    QCOMPARE(
        r.text, R"({"type":"hello_error","error":{"message":)" + jstr(message) + R"(,"code":)" + jstr(code) + "}}");
    QVERIFY(c.waitClosed());
    QCOMPARE(c.closeCode(), 1000);
    QCOMPARE(c.closeReason(), "Thank you for using sqld"_ba);
}

void TestWebSocket::readOnlyTokenCannotWrite()
{
    WsClient c;
    QVERIFY(c.open(m_auth.port(), "app", { u"hrana3"_s }));
    QVERIFY(helloAndOpen(c, rwToken()));
    QCOMPARE(c.call(execute(1, "CREATE TABLE IF NOT EXISTS ro(x)")).type(), u"response_ok"_s);

    WsClient r;
    QVERIFY(r.open(m_auth.port(), "app", { u"hrana3"_s }));
    QVERIFY(helloAndOpen(r, token(m_keys, u"app"_s, qsqld::auth::Permissions::Access::ReadOnly)));
    QCOMPARE(r.call(execute(1, "SELECT count(*) FROM ro")).type(), u"response_ok"_s);
    QCOMPARE(r.call(execute(1, "BEGIN")).type(), u"response_ok"_s); // needs Read only
    QCOMPARE(r.call(execute(1, "ROLLBACK")).type(), u"response_ok"_s);
    // A 403 in sqld drops the connection; qsqld closes it with 1008 and the reason.
    QVERIFY(r.call(execute(1, "INSERT INTO ro VALUES (1)")).isNull());
    QVERIFY(r.waitClosed());
    QCOMPARE(r.closeCode(), 1008);
    QVERIFY2(r.closeReason().contains("Authorization forbidden"), r.closeReason().constData());
    // Nothing was written.
    QCOMPARE(c.call(execute(1, "SELECT count(*) FROM ro")).scalar().toString(), u"0"_s);
}

void TestWebSocket::otherNamespaceToken()
{
    WsClient c;
    QVERIFY(c.open(m_auth.port(), "app", { u"hrana3"_s }));
    // hello only checks the token; the namespace is checked when a stream opens.
    c.send(hello(rwToken(u"other"_s)));
    QCOMPARE(c.next().text, R"({"type":"hello_ok"})"_ba);
    QVERIFY(c.call(openStream(1)).isNull());
    QVERIFY(c.waitClosed());
    QVERIFY2(c.closeCode() == 1008 || c.closeCode() == 1011,
        QByteArray(num(c.closeCode()) + " " + c.closeReason()).constData());
    QCOMPARE(c.closeReason(), "Namespace `app` doesn't exist"_ba);
}

// A repeated hello (hrana2+) replaces the identity: first read-only, then read-write.
void TestWebSocket::helloReplacesIdentity()
{
    WsClient c;
    QVERIFY(c.open(m_auth.port(), "app", { u"hrana2"_s }));
    QVERIFY(helloAndOpen(c, token(m_keys, u"app"_s, qsqld::auth::Permissions::Access::ReadOnly)));
    c.send(hello(rwToken()));
    QCOMPARE(c.next().text, R"({"type":"hello_ok"})"_ba);
    QCOMPARE(c.call(execute(1, "CREATE TABLE IF NOT EXISTS ident(x)")).type(), u"response_ok"_s);
    QCOMPARE(c.call(execute(1, "INSERT INTO ident VALUES (1)")).type(), u"response_ok"_s);
    // A failing repeated hello ends the session.
    c.send(hello("abc.def.ghi"));
    const Msg e = c.next();
    QCOMPARE(e.type(), u"hello_error"_s);
    QCOMPARE(e.error()[u"code"_s].toString(), u"AUTH_JWT_INVALID"_s);
    QVERIFY(c.waitClosed());
    QCOMPARE(c.closeCode(), 1000);
}

void TestWebSocket::namespacesAreSeparate()
{
    const QByteArray a = freshNs(), b = freshNs();
    QVERIFY(!a.isEmpty() && !b.isEmpty());
    WsClient ca, cb;
    QVERIFY(ca.open(m_srv.port(), a, { u"hrana3"_s }));
    QVERIFY(cb.open(m_srv.port(), b, { u"hrana3"_s }));
    QVERIFY(helloAndOpen(ca));
    QVERIFY(helloAndOpen(cb));
    QCOMPARE(ca.call(execute(1, "CREATE TABLE only_a(x)")).type(), u"response_ok"_s);
    QCOMPARE(ca.call(execute(1, "INSERT INTO only_a VALUES (1)")).type(), u"response_ok"_s);
    const Msg missing = cb.call(execute(1, "SELECT * FROM only_a"));
    QCOMPARE(missing.type(), u"response_error"_s);
    QCOMPARE(missing.error()[u"message"_s].toString(), u"SQL input error: no such table: only_a (at offset 14)"_s);
    QCOMPARE(cb.call(execute(1, "CREATE TABLE only_a(y)")).type(), u"response_ok"_s);
    QCOMPARE(cb.call(execute(1, "SELECT count(*) FROM only_a")).scalar().toString(), u"0"_s);
    QCOMPARE(ca.call(execute(1, "SELECT count(*) FROM only_a")).scalar().toString(), u"1"_s);
    // The user API over HTTP sees the same tenant.
    const RawResponse r = raw(
        m_srv.port(), post("/v2/pipeline", executeBody("SELECT count(*) FROM only_a"), "x-namespace: " + a + "\r\n"));
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.contains(R"("rows":[[{"type":"integer","value":"1"}]])"), r.body.constData());
}

QTEST_GUILESS_MAIN(TestWebSocket)
#include "tst_websocket.moc"
