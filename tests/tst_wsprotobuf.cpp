// Hrana 3 over WebSocket with the hrana3-protobuf subprotocol, against a live in-process server: negotiation,
// hello and authentication, every request type, errors as data, and the close codes of protocol errors. The
// client builds ClientMsg and reads ServerMsg with the generated classes of our .proto files, which follow the
// wire reference (spec/sqld-http-api.md sections 9 and 10); the JSON subprotocols are covered by tst_websocket.
//
// Every wait spins the event loop (the server runs on this thread), never a sleep.

#include "testserver.h"
#include "wswait.h"

#include "auth/tokens.h"

#include "hrana_ws.pb.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkRequest>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

#include <functional>

using namespace Qt::StringLiterals;
using namespace qsqld::test;

namespace pb = ::hrana;
namespace pbws = ::hrana::ws;

Q_DECLARE_METATYPE(std::optional<QByteArray>)

namespace {

constexpr int TIMEOUT = 20000;

QByteArray ser(const google::protobuf::MessageLite &m)
{
    const std::string s = m.SerializeAsString();
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

// ---- ClientMsg builders ----

pbws::ClientMsg hello(const std::optional<QByteArray> &jwt = std::nullopt)
{
    pbws::ClientMsg m;
    pbws::HelloMsg *h = m.mutable_hello();
    if (jwt)
        h->set_jwt(jwt->toStdString());
    return m;
}

pb::Stmt stmt(const char *sql)
{
    pb::Stmt s;
    s.set_sql(sql);
    return s;
}

pb::Value integer(qint64 v)
{
    pb::Value x;
    x.set_integer(v);
    return x;
}

pb::BatchStep step(const char *sql)
{
    pb::BatchStep s;
    *s.mutable_stmt() = stmt(sql);
    return s;
}

pb::BatchStep step(const char *sql, const pb::BatchCond &cond)
{
    pb::BatchStep s = step(sql);
    *s.mutable_condition() = cond;
    return s;
}

pb::BatchCond okCond(quint32 s)
{
    pb::BatchCond c;
    c.set_step_ok(s);
    return c;
}

pb::BatchCond errCond(quint32 s)
{
    pb::BatchCond c;
    c.set_step_error(s);
    return c;
}

// ---- a protobuf WebSocket client ----

class ProtoClient
{
public:
    QWebSocket ws;
    QList<pbws::ServerMsg> inbox;
    bool connected = false;
    bool disconnected = false;
    bool failed = false;
    qint32 nextId = 1;

    ProtoClient()
    {
        QObject::connect(&ws, &QWebSocket::binaryMessageReceived, &ws, [this](const QByteArray &data) {
            pbws::ServerMsg m;
            if (!m.ParseFromArray(data.constData(), static_cast<int>(data.size())))
                qWarning() << "unparseable ServerMsg" << data.toHex();
            inbox.append(m);
        });
        QObject::connect(&ws, &QWebSocket::textMessageReceived, &ws, [](const QString &text) {
            qWarning() << "unexpected text frame" << text;
        });
        QObject::connect(&ws, &QWebSocket::connected, &ws, [this] { connected = true; });
        QObject::connect(&ws, &QWebSocket::disconnected, &ws, [this] { disconnected = true; });
        QObject::connect(&ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), &ws,
            [this](QAbstractSocket::SocketError) { failed = true; });
    }

    // Runs the event loop until `done()` holds or TIMEOUT passes; wakes on every socket event.
    bool waitUntil(const std::function<bool()> &done) { return spinUntil(ws, done, TIMEOUT); }

    bool open(quint16 port, const QByteArray &ns, const QStringList &protocols)
    {
        QNetworkRequest req(QUrl::fromEncoded("ws://127.0.0.1:" + QByteArray::number(port) + "/"));
        if (!ns.isNull())
            req.setRawHeader("x-namespace", ns);
        QWebSocketHandshakeOptions options;
        options.setSubprotocols(protocols);
        ws.open(req, options);
        waitUntil([this] { return connected || disconnected || failed; });
        return connected;
    }

    void send(const google::protobuf::MessageLite &m) { ws.sendBinaryMessage(ser(m)); }

    // Sends a request with the next (or the given) request id and returns that id.
    qint32 post(const std::function<void(pbws::RequestMsg &)> &fill, std::optional<qint32> id = std::nullopt)
    {
        pbws::ClientMsg m;
        pbws::RequestMsg *r = m.mutable_request();
        r->set_request_id(id ? *id : nextId++);
        fill(*r);
        send(m);
        return r->request_id();
    }

    // The next message; a default ServerMsg (MSG_NOT_SET) if none arrived before the socket closed.
    pbws::ServerMsg next()
    {
        waitUntil([this] { return !inbox.isEmpty() || disconnected; });
        return inbox.isEmpty() ? pbws::ServerMsg() : inbox.takeFirst();
    }
    pbws::ServerMsg response(qint32 id)
    {
        pbws::ServerMsg found;
        waitUntil([&] {
            for (qsizetype i = 0; i < inbox.size(); ++i) {
                const pbws::ServerMsg &m = inbox[i];
                if ((m.has_response_ok() && m.response_ok().request_id() == id)
                    || (m.has_response_error() && m.response_error().request_id() == id)) {
                    found = inbox.takeAt(i);
                    return true;
                }
            }
            return disconnected;
        });
        return found;
    }
    pbws::ServerMsg call(const std::function<void(pbws::RequestMsg &)> &fill) { return response(post(fill)); }
    pb::StmtResult execute(qint32 stream, const pb::Stmt &s)
    {
        const pbws::ServerMsg m = call([&](pbws::RequestMsg &r) {
            r.mutable_execute()->set_stream_id(stream);
            *r.mutable_execute()->mutable_stmt() = s;
        });
        if (!m.has_response_ok())
            qWarning() << "execute failed:" << m.ShortDebugString().c_str() << ws.closeReason();
        return m.response_ok().execute().result();
    }

    bool waitClosed()
    {
        return waitUntil([this] { return disconnected; });
    }
};

bool helloAndOpen(ProtoClient &c)
{
    c.send(hello());
    if (!c.next().has_hello_ok())
        return false;
    const pbws::ServerMsg o = c.call([](pbws::RequestMsg &r) { r.mutable_open_stream()->set_stream_id(1); });
    return o.has_response_ok() && o.response_ok().has_open_stream();
}

} // namespace

class TestWsProtobuf : public QObject
{
    Q_OBJECT

    TestServer m_srv;
    TestServer m_auth;
    qsqld::auth::KeyPair m_keys;
    int m_nsCounter = 0;

    bool createNs(TestServer &srv, const QByteArray &ns)
    {
        const RawResponse r = rawRequest(srv.adminPort(),
            "POST /v1/namespaces/" + ns + "/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
        return r.status == 200;
    }
    static RawResponse rawRequest(quint16 port, const QByteArray &bytes)
    {
        return oneRequest(port, bytes, TIMEOUT);
    }
    QByteArray freshNs()
    {
        const QByteArray ns = "pb" + QByteArray::number(++m_nsCounter);
        return createNs(m_srv, ns) ? ns : QByteArray();
    }
    bool ready(ProtoClient &c)
    {
        const QByteArray ns = freshNs();
        return !ns.isEmpty() && c.open(m_srv.port(), ns, {u"hrana3-protobuf"_s}) && helloAndOpen(c);
    }

private slots:
    void initTestCase();
    void cleanupTestCase();

    void negotiation_data();
    void negotiation();
    void valuesRoundTrip();
    void namedArgsAndResultFields();
    void batchConditions();
    void sequenceDescribeAndStoredSql();
    void cursor();
    void autocommitAndCloseStream();
    void errorsAsData();
    void protocolErrors_data();
    void protocolErrors();
    void helloAuth_data();
    void helloAuth();
};

void TestWsProtobuf::initTestCase()
{
    auto cfg = TestServer::defaultConfig();
    cfg.hranaListen = qsqld::runtime::ListenAddress{QHostAddress(QHostAddress::LocalHost), 0, u"127.0.0.1:0"_s};
    QVERIFY(m_srv.start(cfg));

    m_keys = qsqld::auth::generateKeyPair();
    QVERIFY(m_keys.isValid());
    QFile pub(m_auth.dir.path() + u"/jwt_public.pem"_s);
    QVERIFY(pub.open(QIODevice::WriteOnly));
    pub.write(m_keys.publicKeyPem);
    pub.close();
    auto authCfg = TestServer::defaultConfig();
    authCfg.authJwtKeyFile = pub.fileName();
    QVERIFY(m_auth.start(authCfg));
    QVERIFY(createNs(m_auth, "app"));
}

void TestWsProtobuf::cleanupTestCase()
{
    for (TestServer *srv : {&m_srv, &m_auth}) {
        if (!srv->runtime)
            continue;
        QSignalSpy stopped(srv->runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
        srv->runtime->stop();
        QVERIFY(stopped.count() > 0 || stopped.wait(30000));
    }
}

void TestWsProtobuf::negotiation_data()
{
    QTest::addColumn<QStringList>("offered");
    QTest::addColumn<QString>("chosen");
    QTest::addColumn<bool>("hranaListener");

    // @libsql/hrana-client 0.10 offers all four, best first.
    const QStringList all{u"hrana3-protobuf"_s, u"hrana3"_s, u"hrana2"_s, u"hrana1"_s};
    QTest::addRow("hrana-client's offer") << all << u"hrana3-protobuf"_s << false;
    QTest::addRow("server preference wins")
        << QStringList{u"hrana3"_s, u"hrana3-protobuf"_s} << u"hrana3-protobuf"_s << false;
    QTest::addRow("case is ignored, spelling echoed") << QStringList{u"HRANA3-Protobuf"_s} << u"HRANA3-Protobuf"_s
                                                      << false;
    QTest::addRow("hrana listener") << all << u"hrana3-protobuf"_s << true;
}

void TestWsProtobuf::negotiation()
{
    QFETCH(QStringList, offered);
    QFETCH(QString, chosen);
    QFETCH(bool, hranaListener);

    const QByteArray ns = freshNs();
    ProtoClient c;
    QVERIFY(c.open(hranaListener ? m_srv.runtime->hranaPort() : m_srv.port(), ns, offered));
    QCOMPARE(c.ws.subprotocol(), chosen);
    QVERIFY(helloAndOpen(c));
    const pb::StmtResult r = c.execute(1, stmt("SELECT 1 AS one"));
    QCOMPARE(r.rows_size(), 1);
    QCOMPARE(r.rows(0).values(0).integer(), 1);
    QCOMPARE(r.cols(0).name(), "one");
}

void TestWsProtobuf::valuesRoundTrip()
{
    ProtoClient c;
    QVERIFY(ready(c));
    QVERIFY(c.execute(1, stmt("CREATE TABLE v(n, i, f, t, b)")).IsInitialized());

    pb::Stmt insert = stmt("INSERT INTO v VALUES (?, ?, ?, ?, ?)");
    insert.add_args()->mutable_null();
    insert.add_args()->set_integer(std::numeric_limits<qint64>::min());
    insert.add_args()->set_float_(-2.5);
    insert.add_args()->set_text("héllo \xF0\x9F\x98\x80");
    insert.add_args()->set_blob(std::string("\x00\x01\xff", 3));
    const pb::StmtResult ins = c.execute(1, insert);
    QCOMPARE(ins.affected_row_count(), 1u);
    QVERIFY(ins.has_last_insert_rowid());
    QCOMPARE(ins.last_insert_rowid(), 1);

    const pb::StmtResult sel = c.execute(1, stmt("SELECT n, i, f, t, b FROM v"));
    QCOMPARE(sel.rows_size(), 1);
    const pb::Row &row = sel.rows(0);
    QCOMPARE(row.values_size(), 5);
    QVERIFY(row.values(0).has_null());
    QCOMPARE(row.values(1).integer(), std::numeric_limits<qint64>::min());
    QCOMPARE(row.values(2).float_(), -2.5);
    QCOMPARE(row.values(3).text(), "héllo \xF0\x9F\x98\x80");
    QCOMPARE(row.values(4).blob(), std::string("\x00\x01\xff", 3));
    QCOMPARE(sel.rows_read(), 1u);
}

void TestWsProtobuf::namedArgsAndResultFields()
{
    ProtoClient c;
    QVERIFY(ready(c));
    QVERIFY(c.execute(1, stmt("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)")).IsInitialized());
    pb::Stmt insert = stmt("INSERT INTO t(a, b) VALUES (:a, $b)");
    pb::NamedArg *a = insert.add_named_args();
    a->set_name(":a");
    *a->mutable_value() = integer(7);
    pb::NamedArg *b = insert.add_named_args();
    b->set_name("b"); // without its prefix, as the clients allow
    b->mutable_value()->set_text("seven");
    QCOMPARE(c.execute(1, insert).rows_written(), 1u);

    pb::Stmt select = stmt("SELECT a, b FROM t");
    select.set_want_rows(false);
    const pb::StmtResult noRows = c.execute(1, select);
    QCOMPARE(noRows.rows_size(), 0);
    QCOMPARE(noRows.cols_size(), 2);
    QCOMPARE(noRows.cols(0).decltype_(), "INTEGER");
    QCOMPARE(noRows.cols(1).decltype_(), "TEXT");

    const pb::StmtResult withRows = c.execute(1, stmt("SELECT a, b FROM t"));
    QCOMPARE(withRows.rows(0).values(0).integer(), 7);
    QCOMPARE(withRows.rows(0).values(1).text(), "seven");
    QVERIFY(!withRows.has_last_insert_rowid() || withRows.last_insert_rowid() == 7);
}

void TestWsProtobuf::batchConditions()
{
    ProtoClient c;
    QVERIFY(ready(c));
    pb::BatchCond notOk;
    *notOk.mutable_not_() = okCond(1);
    pb::BatchCond both;
    *both.mutable_and_()->add_conds() = okCond(0);
    *both.mutable_and_()->add_conds() = errCond(1);
    pb::BatchCond either;
    *either.mutable_or_()->add_conds() = okCond(1);
    *either.mutable_or_()->add_conds() = okCond(0);
    pb::BatchCond autocommit;
    autocommit.mutable_is_autocommit();

    const pbws::ServerMsg m = c.call([&](pbws::RequestMsg &r) {
        pbws::BatchReq *b = r.mutable_batch();
        b->set_stream_id(1);
        pb::Batch *batch = b->mutable_batch();
        *batch->add_steps() = step("SELECT 10");                 // 0: ok
        *batch->add_steps() = step("SELECT * FROM nosuch");      // 1: error
        *batch->add_steps() = step("SELECT 12", okCond(1));      // 2: skipped
        *batch->add_steps() = step("SELECT 13", notOk);          // 3: runs
        *batch->add_steps() = step("SELECT 14", both);           // 4: runs
        *batch->add_steps() = step("SELECT 15", either);         // 5: runs
        *batch->add_steps() = step("SELECT 16", autocommit);     // 6: runs (no transaction open)
    });
    QVERIFY2(m.has_response_ok(), m.ShortDebugString().c_str());
    const pb::BatchResult &res = m.response_ok().batch().result();
    QCOMPARE(res.step_results().size(), 5u);
    QCOMPARE(res.step_results().at(0).rows(0).values(0).integer(), 10);
    QVERIFY(!res.step_results().contains(1));
    QVERIFY(!res.step_results().contains(2));
    for (quint32 s : {3u, 4u, 5u, 6u})
        QCOMPARE(res.step_results().at(s).rows(0).values(0).integer(), 10 + static_cast<qint64>(s));
    QCOMPARE(res.step_errors().size(), 1u);
    QCOMPARE(res.step_errors().at(1).code(), "SQL_INPUT_ERROR");
}

void TestWsProtobuf::sequenceDescribeAndStoredSql()
{
    ProtoClient c;
    QVERIFY(ready(c));
    pbws::ServerMsg m = c.call([](pbws::RequestMsg &r) {
        r.mutable_sequence()->set_stream_id(1);
        r.mutable_sequence()->set_sql("CREATE TABLE s(x TEXT); INSERT INTO s VALUES ('a'); INSERT INTO s VALUES ('b');");
    });
    QVERIFY2(m.has_response_ok() && m.response_ok().has_sequence(), m.ShortDebugString().c_str());

    m = c.call([](pbws::RequestMsg &r) {
        r.mutable_describe()->set_stream_id(1);
        r.mutable_describe()->set_sql("SELECT x, ? FROM s WHERE x = :name");
    });
    QVERIFY2(m.has_response_ok() && m.response_ok().has_describe(), m.ShortDebugString().c_str());
    const pb::DescribeResult &d = m.response_ok().describe().result();
    QCOMPARE(d.params_size(), 2);
    QVERIFY(!d.params(0).has_name());
    QCOMPARE(d.params(1).name(), ":name");
    QCOMPARE(d.cols_size(), 2);
    QCOMPARE(d.cols(0).name(), "x");
    QCOMPARE(d.cols(0).decltype_(), "TEXT");
    QVERIFY(d.is_readonly());
    QVERIFY(!d.is_explain());

    m = c.call([](pbws::RequestMsg &r) {
        r.mutable_store_sql()->set_sql_id(5);
        r.mutable_store_sql()->set_sql("SELECT count(*) FROM s");
    });
    QVERIFY(m.has_response_ok() && m.response_ok().has_store_sql());
    pb::Stmt byId;
    byId.set_sql_id(5);
    QCOMPARE(c.execute(1, byId).rows(0).values(0).integer(), 2);

    m = c.call([](pbws::RequestMsg &r) { r.mutable_close_sql()->set_sql_id(5); });
    QVERIFY(m.has_response_ok() && m.response_ok().has_close_sql());
    c.post([&](pbws::RequestMsg &r) {
        r.mutable_execute()->set_stream_id(1);
        *r.mutable_execute()->mutable_stmt() = byId;
    });
    QVERIFY(c.waitClosed());
    QCOMPARE(c.ws.closeCode(), 1008);
    QCOMPARE(c.ws.closeReason(), u"SQL text 5 not found"_s);
}

void TestWsProtobuf::cursor()
{
    ProtoClient c;
    QVERIFY(ready(c));
    pbws::ServerMsg m = c.call([](pbws::RequestMsg &r) {
        pbws::OpenCursorReq *o = r.mutable_open_cursor();
        o->set_stream_id(1);
        o->set_cursor_id(3);
        *o->mutable_batch()->add_steps() = step("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                                "WHERE i < 5) SELECT i FROM n");
        *o->mutable_batch()->add_steps() = step("SELECT * FROM nosuch");
    });
    QVERIFY2(m.has_response_ok() && m.response_ok().has_open_cursor(), m.ShortDebugString().c_str());

    // step_begin, 5 rows, step_end, step_error: 8 entries, fetched two at a time.
    std::vector<pb::CursorEntry> entries;
    bool done = false;
    int fetches = 0;
    while (!done && fetches < 10) {
        m = c.call([](pbws::RequestMsg &r) {
            r.mutable_fetch_cursor()->set_cursor_id(3);
            r.mutable_fetch_cursor()->set_max_count(2);
        });
        QVERIFY2(m.has_response_ok() && m.response_ok().has_fetch_cursor(), m.ShortDebugString().c_str());
        const pbws::FetchCursorResp &f = m.response_ok().fetch_cursor();
        QVERIFY(f.entries_size() <= 2);
        entries.insert(entries.end(), f.entries().begin(), f.entries().end());
        done = f.done();
        ++fetches;
    }
    QVERIFY(done);
    QCOMPARE(entries.size(), 8u);
    QCOMPARE(fetches, 4);
    QVERIFY(entries[0].has_step_begin());
    QCOMPARE(entries[0].step_begin().step(), 0u);
    QCOMPARE(entries[0].step_begin().cols(0).name(), "i");
    for (int i = 1; i <= 5; ++i)
        QCOMPARE(entries[static_cast<size_t>(i)].row().values(0).integer(), i);
    QVERIFY(entries[6].has_step_end());
    QVERIFY(entries[7].has_step_error());
    QCOMPARE(entries[7].step_error().step(), 1u);
    QCOMPARE(entries[7].step_error().error().code(), "SQL_INPUT_ERROR");

    m = c.call([](pbws::RequestMsg &r) { r.mutable_close_cursor()->set_cursor_id(3); });
    QVERIFY(m.has_response_ok() && m.response_ok().has_close_cursor());
    // The stream takes a new cursor once the old one is closed.
    m = c.call([](pbws::RequestMsg &r) {
        r.mutable_open_cursor()->set_stream_id(1);
        r.mutable_open_cursor()->set_cursor_id(4);
        *r.mutable_open_cursor()->mutable_batch()->add_steps() = step("SELECT 1");
    });
    QVERIFY(m.has_response_ok());
}

void TestWsProtobuf::autocommitAndCloseStream()
{
    ProtoClient c;
    QVERIFY(ready(c));
    auto autocommit = [&c] {
        const pbws::ServerMsg m =
            c.call([](pbws::RequestMsg &r) { r.mutable_get_autocommit()->set_stream_id(1); });
        if (!m.response_ok().has_get_autocommit())
            qWarning() << m.ShortDebugString().c_str();
        return m.response_ok().get_autocommit().is_autocommit();
    };
    QVERIFY(autocommit());
    c.execute(1, stmt("BEGIN"));
    QVERIFY(!autocommit());
    c.execute(1, stmt("CREATE TABLE r(x)"));

    const pbws::ServerMsg closed = c.call([](pbws::RequestMsg &r) { r.mutable_close_stream()->set_stream_id(1); });
    QVERIFY(closed.has_response_ok() && closed.response_ok().has_close_stream());
    // Closing the stream rolled its transaction back.
    const pbws::ServerMsg reopened = c.call([](pbws::RequestMsg &r) { r.mutable_open_stream()->set_stream_id(2); });
    QVERIFY(reopened.has_response_ok());
    const pbws::ServerMsg m = c.call([](pbws::RequestMsg &r) {
        r.mutable_execute()->set_stream_id(2);
        *r.mutable_execute()->mutable_stmt() = stmt("SELECT * FROM r");
    });
    QVERIFY(m.has_response_error());
    QCOMPARE(m.response_error().error().code(), "SQL_INPUT_ERROR");
}

void TestWsProtobuf::errorsAsData()
{
    ProtoClient c;
    QVERIFY(ready(c));
    c.execute(1, stmt("CREATE TABLE e(a UNIQUE)"));
    c.execute(1, stmt("INSERT INTO e VALUES (1)"));
    // A negative request id is echoed as it came (int32, sign-extended varint).
    const qint32 id = c.post([](pbws::RequestMsg &r) {
        r.mutable_execute()->set_stream_id(1);
        *r.mutable_execute()->mutable_stmt() = stmt("INSERT INTO e VALUES (1)");
    }, -42);
    const pbws::ServerMsg m = c.response(id);
    QVERIFY2(m.has_response_error(), m.ShortDebugString().c_str());
    QCOMPARE(m.response_error().request_id(), -42);
    QCOMPARE(m.response_error().error().code(), "SQLITE_CONSTRAINT");
    QCOMPARE(m.response_error().error().message(), "SQLite error: UNIQUE constraint failed: e.a");

    // The connection goes on after an error.
    QCOMPARE(c.execute(1, stmt("SELECT count(*) FROM e")).rows(0).values(0).integer(), 1);
}

void TestWsProtobuf::protocolErrors_data()
{
    QTest::addColumn<QByteArray>("frame"); // a binary frame sent after hello (text if it starts with "TEXT:")
    QTest::addColumn<int>("closeCode");
    QTest::addColumn<QString>("reason"); // exact, or a prefix ending in ": "

    auto request = [](const std::function<void(pbws::RequestMsg &)> &fill) {
        pbws::ClientMsg m;
        m.mutable_request()->set_request_id(9);
        fill(*m.mutable_request());
        return ser(m);
    };
    QTest::addRow("text frame") << "TEXT:{\"type\":\"hello\"}"_ba << 1003
                                << u"Received a text WebSocket message, which is not supported in this encoding"_s;
    QTest::addRow("garbage") << "\xff\xff\xff"_ba << 1007 << u"Could not decode client message from Protobuf: "_s;
    QTest::addRow("truncated") << request([](pbws::RequestMsg &r) {
        r.mutable_execute()->mutable_stmt()->set_sql("SELECT 1");
    }).chopped(3) << 1007 << u"Could not decode client message from Protobuf: "_s;
    QTest::addRow("empty ClientMsg") << QByteArray() << 1008 << u"ClientMsg type not recognized"_s;
    QTest::addRow("request without a type") << request([](pbws::RequestMsg &) {}) << 1008
                                            << u"Request type not recognized"_s;
    QTest::addRow("value without a type") << request([](pbws::RequestMsg &r) {
        r.mutable_execute()->set_stream_id(1);
        r.mutable_execute()->mutable_stmt()->set_sql("SELECT ?");
        r.mutable_execute()->mutable_stmt()->add_args();
    }) << 1007 << u"Value type not recognized"_s;
    QTest::addRow("unknown stream") << request([](pbws::RequestMsg &r) {
        r.mutable_execute()->set_stream_id(77);
        r.mutable_execute()->mutable_stmt()->set_sql("SELECT 1");
    }) << 1008 << u"Stream 77 not found"_s;
    QTest::addRow("duplicate stream") << request([](pbws::RequestMsg &r) { r.mutable_open_stream()->set_stream_id(1); })
                                      << 1008 << u"Stream 1 already exists"_s;
    QTest::addRow("unknown cursor") << request([](pbws::RequestMsg &r) {
        r.mutable_fetch_cursor()->set_cursor_id(5);
    }) << 1008 << u"Cursor 5 not found"_s;
}

void TestWsProtobuf::protocolErrors()
{
    QFETCH(QByteArray, frame);
    QFETCH(int, closeCode);
    QFETCH(QString, reason);

    ProtoClient c;
    QVERIFY(ready(c));
    if (frame.startsWith("TEXT:"))
        c.ws.sendTextMessage(QString::fromUtf8(frame.sliced(5)));
    else
        c.ws.sendBinaryMessage(frame);
    QVERIFY(c.waitClosed());
    QCOMPARE(static_cast<int>(c.ws.closeCode()), closeCode);
    if (reason.endsWith(u": "_s))
        QVERIFY2(c.ws.closeReason().startsWith(reason), qPrintable(c.ws.closeReason()));
    else
        QCOMPARE(c.ws.closeReason(), reason);
}

void TestWsProtobuf::helloAuth_data()
{
    QTest::addColumn<std::optional<QByteArray>>("jwt");
    QTest::addColumn<QByteArray>("code"); // empty: hello_ok

    qsqld::auth::TokenRequest req;
    req.ns = u"app"_s;
    req.access = qsqld::auth::Permissions::Access::ReadWrite;
    const QByteArray valid = std::get<QByteArray>(qsqld::auth::mintToken(m_keys.privateKeyPem, req));
    QTest::addRow("no jwt") << std::optional<QByteArray>() << "AUTH_HEADER_NOT_FOUND"_ba;
    QTest::addRow("garbage") << std::optional<QByteArray>("abc.def.ghi") << "AUTH_JWT_INVALID"_ba;
    QTest::addRow("valid") << std::optional<QByteArray>(valid) << QByteArray();
}

void TestWsProtobuf::helloAuth()
{
    QFETCH(std::optional<QByteArray>, jwt);
    QFETCH(QByteArray, code);

    ProtoClient c;
    QVERIFY(c.open(m_auth.port(), "app", {u"hrana3-protobuf"_s}));
    c.send(hello(jwt));
    const pbws::ServerMsg m = c.next();
    if (code.isEmpty()) {
        QVERIFY2(m.has_hello_ok(), m.ShortDebugString().c_str());
        const pbws::ServerMsg o = c.call([](pbws::RequestMsg &r) { r.mutable_open_stream()->set_stream_id(1); });
        QVERIFY(o.has_response_ok());
        QCOMPARE(c.execute(1, stmt("SELECT 5")).rows(0).values(0).integer(), 5);
        return;
    }
    QVERIFY2(m.has_hello_error(), m.ShortDebugString().c_str());
    QCOMPARE(QByteArray::fromStdString(m.hello_error().error().code()), code);
    QVERIFY(QByteArray::fromStdString(m.hello_error().error().message()).startsWith("Authentication failed: "));
    QVERIFY(c.waitClosed());
    QCOMPARE(static_cast<int>(c.ws.closeCode()), 1000);
}

QTEST_GUILESS_MAIN(TestWsProtobuf)
#include "tst_wsprotobuf.moc"
