// Embedded-replica sync (spec/replication.md sections 3-9 and 11) against a live in-process server: the
// gRPC-web transport, wal_log.ReplicationLog (Hello, BatchLogEntries, frame numbering across checkpoints and
// restarts, a replica rebuilt from the frames), errors and authentication, and proxy.Proxy (Execute, Describe,
// Disconnect, transactions held across requests per client_id).
//
// Requests are raw HTTP/1.1 over loopback, shaped like the libsql client's (content-type application/grpc-web,
// x-namespace-bin, x-authorization, x-session-token). Every wait spins the event loop, never a sleep.

#include "testserver.h"

#include "auth/tokens.h"
#include "repl/bincode.h"
#include "repl/crc64.h"
#include "repl/frame.h"
#include "repl/grpcweb.h"

#include "proxy.pb.h"
#include "wal_log.pb.h"

#include <sqlite3.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QTemporaryDir>
#include <QUuid>
#include <QtEndian>

using namespace Qt::StringLiterals;
using namespace qsqld::test;
using qsqld::hrana::Value;
using qsqld::repl::FrameHeader;

namespace {

constexpr int TIMEOUT = 20000;

QByteArray ser(const google::protobuf::MessageLite &m)
{
    const std::string s = m.SerializeAsString();
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

QByteArray b64ns(const QByteArray &ns)
{
    return ns.toBase64(QByteArray::Base64Encoding | QByteArray::OmitTrailingEquals);
}

QByteArray bincodeText(const QByteArray &text)
{
    return qsqld::repl::encodeBincodeValue(Value::fromText(text));
}

// One gRPC-web answer: the HTTP status, the grpc-status (from the headers of a trailers-only answer, else from
// the trailer frame), and the messages of the data frames.
struct GrpcReply
{
    int http = 0;
    int status = -1;
    QByteArray message;
    QByteArray contentType;
    QList<QByteArray> messages;
    bool hasTrailer = false;
    bool wellFormed = true; // the body is a sequence of complete frames

    QByteArray describe() const
    {
        return "HTTP " + QByteArray::number(http) + " grpc-status " + QByteArray::number(status) + " message '"
            + message + "' (" + QByteArray::number(messages.size()) + " messages)";
    }
};

GrpcReply parseReply(const RawResponse &r)
{
    GrpcReply g;
    g.http = r.status;
    g.contentType = r.header("content-type");
    const QByteArray hs = r.header("grpc-status");
    if (!hs.isEmpty()) {
        g.status = hs.toInt();
        g.message = QByteArray::fromPercentEncoding(r.header("grpc-message"));
    }
    const QByteArray &b = r.body;
    qsizetype at = 0;
    while (at < b.size()) {
        if (b.size() - at < 5) {
            g.wellFormed = false;
            break;
        }
        const quint8 flags = static_cast<quint8>(b.at(at));
        const qsizetype len = qFromBigEndian<quint32>(b.constData() + at + 1);
        if (b.size() - at - 5 < len) {
            g.wellFormed = false;
            break;
        }
        const QByteArray payload = b.mid(at + 5, len);
        at += 5 + len;
        if (flags & 0x80) {
            g.hasTrailer = true;
            for (const QByteArray &line : payload.split('\n')) {
                const qsizetype colon = line.indexOf(':');
                if (colon < 0)
                    continue;
                const QByteArray key = line.left(colon).trimmed().toLower();
                const QByteArray value = line.mid(colon + 1).trimmed();
                if (key == "grpc-status")
                    g.status = value.toInt();
                else if (key == "grpc-message")
                    g.message = QByteArray::fromPercentEncoding(value);
            }
        } else {
            g.messages.append(payload);
        }
    }
    return g;
}

// A replica's view of the server: the headers the libsql client sends, one connection per call.
struct Replica
{
    quint16 port = 0;
    QByteArray ns = "default";
    QByteArray token = "anything"; // x-authorization: Bearer <token>
    QByteArray session;            // x-session-token, once a Hello succeeded
    QByteArray prefix;             // the syncUrl's path, if any
    bool sendNamespace = true;
    bool chunked = false;

    GrpcReply rawCall(const QByteArray &method, const QByteArray &body, const QByteArray &extraHeaders = {}) const
    {
        QByteArray req = "POST " + prefix + "/" + method + " HTTP/1.1\r\nhost: 127.0.0.1\r\nte: trailers\r\n"
                         "content-type: application/grpc-web\r\nx-libsql-client-version: libsql-rpc-0.9.30\r\n"
                         "x-authorization: Bearer " + token + "\r\n";
        if (sendNamespace)
            req += "x-namespace-bin: " + b64ns(ns) + "\r\n";
        if (!session.isEmpty() && method.startsWith("wal_log."))
            req += "x-session-token: " + session + "\r\n";
        req += extraHeaders;
        if (chunked) {
            // Like hyper: the body in chunks (here split in two when it can be), then the last chunk.
            req += "transfer-encoding: chunked\r\n\r\n";
            const qsizetype half = body.size() / 2;
            for (const QByteArray &part : {body.left(half), body.mid(half)}) {
                if (!part.isEmpty())
                    req += QByteArray::number(part.size(), 16) + "\r\n" + part + "\r\n";
            }
            req += "0\r\n\r\n";
        } else {
            req += "content-length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
        }
        const RawResponse response = oneRequest(port, req, TIMEOUT);
        return response.status == 0 ? GrpcReply{} : parseReply(response);
    }
    GrpcReply call(const QByteArray &method, const google::protobuf::MessageLite &m) const
    {
        return rawCall(method, qsqld::repl::dataFrame(ser(m)));
    }

    template<typename T>
    static bool decode(const GrpcReply &r, T *out)
    {
        return r.status == 0 && r.messages.size() == 1
            && out->ParseFromArray(r.messages.front().constData(), static_cast<int>(r.messages.front().size()));
    }

    // Hello; stores the session token. An empty optional when it fails.
    std::optional<wal_log::HelloResponse> hello(GrpcReply *raw = nullptr)
    {
        wal_log::HelloRequest req;
        req.set_handshake_version(1);
        const GrpcReply r = call("wal_log.ReplicationLog/Hello", req);
        if (raw)
            *raw = r;
        wal_log::HelloResponse resp;
        if (!decode(r, &resp))
            return std::nullopt;
        session = QByteArray::fromStdString(resp.session_token());
        return resp;
    }
    GrpcReply batchRaw(quint64 offset) const
    {
        wal_log::LogOffset req;
        req.set_next_offset(offset);
        return call("wal_log.ReplicationLog/BatchLogEntries", req);
    }
    // The frames of one BatchLogEntries answer (each 4120 bytes), or nullopt on any error.
    std::optional<QList<QByteArray>> batch(quint64 offset, GrpcReply *raw = nullptr) const
    {
        const GrpcReply r = batchRaw(offset);
        if (raw)
            *raw = r;
        wal_log::Frames frames;
        if (!decode(r, &frames))
            return std::nullopt;
        QList<QByteArray> out;
        for (const wal_log::Frame &f : frames.frames())
            out.append(QByteArray::fromStdString(f.data()));
        return out;
    }
    // Every frame from `offset` to the tip, by repeated BatchLogEntries calls.
    std::optional<QList<QByteArray>> allFrames(quint64 offset = 0) const
    {
        QList<QByteArray> all;
        for (;;) {
            auto part = batch(offset);
            if (!part)
                return std::nullopt;
            if (part->isEmpty())
                return all;
            all += *part;
            offset = FrameHeader::read(part->back().constData()).frameNo + 1;
        }
    }

    GrpcReply executeRaw(const QByteArray &clientId, const proxy::Program &pgm) const
    {
        proxy::ProgramReq req;
        req.set_client_id(clientId.toStdString());
        *req.mutable_pgm() = pgm;
        return call("proxy.Proxy/Execute", req);
    }
    std::optional<proxy::ExecuteResults> execute(const QByteArray &clientId, const proxy::Program &pgm,
                                                 GrpcReply *raw = nullptr) const
    {
        const GrpcReply r = executeRaw(clientId, pgm);
        if (raw)
            *raw = r;
        proxy::ExecuteResults out;
        if (!decode(r, &out))
            return std::nullopt;
        return out;
    }
    std::optional<proxy::DescribeResult> describe(const QByteArray &clientId, const QByteArray &sql,
                                                  GrpcReply *raw = nullptr) const
    {
        proxy::DescribeRequest req;
        req.set_client_id(clientId.toStdString());
        req.set_stmt(sql.toStdString());
        const GrpcReply r = call("proxy.Proxy/Describe", req);
        if (raw)
            *raw = r;
        proxy::DescribeResult out;
        if (!decode(r, &out))
            return std::nullopt;
        return out;
    }
    GrpcReply disconnect(const QByteArray &clientId) const
    {
        proxy::DisconnectMessage req;
        req.set_client_id(clientId.toStdString());
        return call("proxy.Proxy/Disconnect", req);
    }
};

// ---- Program builders ----

proxy::Query query(const QByteArray &sql, const QList<QByteArray> &positional = {})
{
    proxy::Query q;
    q.set_stmt(sql.toStdString());
    proxy::Positional *p = q.mutable_positional(); // the client always sends one, empty when there are no args
    for (const QByteArray &v : positional)
        p->add_values()->set_data(v.toStdString());
    return q;
}

proxy::Program program(const QList<proxy::Query> &queries)
{
    proxy::Program pgm;
    for (const proxy::Query &q : queries)
        *pgm.add_steps()->mutable_query() = q;
    return pgm;
}

proxy::Program program(const QByteArray &sql, const QList<QByteArray> &positional = {})
{
    return program(QList<proxy::Query>{query(sql, positional)});
}

QByteArray newClientId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces).toLatin1();
}

// ---- Frames ----

struct ChainCheck
{
    bool ok = true;
    QByteArray why;
};

// Frames must be 4120 bytes, numbered contiguously from `first`, with the checksum chain continuing from
// `previous`. Returns the last checksum in *last.
ChainCheck checkChain(const QList<QByteArray> &frames, quint64 first, quint64 previous, quint64 *last = nullptr)
{
    quint64 checksum = previous;
    for (qsizetype i = 0; i < frames.size(); ++i) {
        const QByteArray &f = frames[i];
        if (f.size() != qsqld::repl::FRAME_SIZE)
            return {false, "frame " + QByteArray::number(i) + " has " + QByteArray::number(f.size()) + " bytes"};
        const FrameHeader h = FrameHeader::read(f.constData());
        if (h.frameNo != first + static_cast<quint64>(i))
            return {false, "frame " + QByteArray::number(i) + " has frame_no " + QByteArray::number(h.frameNo)
                               + ", expected " + QByteArray::number(first + static_cast<quint64>(i))};
        checksum = qsqld::repl::frameChecksum(checksum, QByteArrayView(f).sliced(qsqld::repl::FRAME_HEADER_SIZE));
        if (h.checksum != checksum)
            return {false, "checksum of frame_no " + QByteArray::number(h.frameNo) + " is 0x"
                               + QByteArray::number(h.checksum, 16) + ", expected 0x"
                               + QByteArray::number(checksum, 16)};
        if (h.pageNo == 0)
            return {false, "frame_no " + QByteArray::number(h.frameNo) + " has page 0"};
    }
    if (last)
        *last = checksum;
    return {};
}

// The database a replica builds from `frames` (from frame 0): the newest image of each page up to the last
// commit frame, truncated to that commit's size. Empty if a page is missing.
QByteArray replay(const QList<QByteArray> &frames, QByteArray *why)
{
    QMap<quint32, QByteArray> pages, pending;
    quint32 size = 0;
    for (const QByteArray &f : frames) {
        const FrameHeader h = FrameHeader::read(f.constData());
        pending.insert(h.pageNo, f.mid(qsqld::repl::FRAME_HEADER_SIZE));
        if (h.isCommit()) {
            for (auto it = pending.cbegin(); it != pending.cend(); ++it)
                pages.insert(it.key(), it.value());
            pending.clear();
            size = h.sizeAfter;
        }
    }
    QByteArray db;
    for (quint32 p = 1; p <= size; ++p) {
        if (!pages.contains(p)) {
            *why = "page " + QByteArray::number(p) + " never appeared in the log";
            return {};
        }
        db += pages.value(p);
    }
    return db;
}

// A single text value from a query on a database file, with the SQLite C API.
QByteArray sqliteScalar(const QString &file, const char *sql)
{
    sqlite3 *db = nullptr;
    QByteArray out;
    if (sqlite3_open_v2(QFile::encodeName(file).constData(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
        sqlite3_stmt *st = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK)
            out = "prepare failed: " + QByteArray(sqlite3_errmsg(db));
        else if (sqlite3_step(st) == SQLITE_ROW)
            out = QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(st, 0)));
        else
            out = "step failed: " + QByteArray(sqlite3_errmsg(db));
        sqlite3_finalize(st);
    } else {
        out = "open failed";
    }
    sqlite3_close(db);
    return out;
}

// One text line that captures all of table t (id INTEGER PRIMARY KEY, v).
constexpr char DIGEST_T[] =
    "SELECT count(*) || '|' || coalesce(group_concat(id || '=' || quote(v), ','), '') FROM (SELECT id, v FROM t ORDER BY id)";

qsqld::auth::TokenRequest tokenRequest(const QString &ns, qsqld::auth::Permissions::Access access)
{
    qsqld::auth::TokenRequest r;
    r.ns = ns;
    r.access = access;
    return r;
}

} // namespace

class TestReplication : public QObject
{
    Q_OBJECT

    TestServer m_srv;  // no auth
    TestServer m_auth; // --auth-jwt-key-file
    qsqld::auth::KeyPair m_keys;
    int m_nsCounter = 0;
    QByteArray m_malformedNs;

    static RawResponse rawRequest(quint16 port, const QByteArray &bytes)
    {
        return oneRequest(port, bytes, TIMEOUT);
    }
    static RawResponse admin(const TestServer &srv, const QByteArray &path, const QByteArray &body = {})
    {
        return rawRequest(srv.adminPort(), "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                               + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    }
    static bool createNs(const TestServer &srv, const QByteArray &ns)
    {
        return admin(srv, "/v1/namespaces/" + ns + "/create", "{}").status == 200;
    }
    static bool checkpoint(const TestServer &srv, const QByteArray &ns)
    {
        return admin(srv, "/v1/namespaces/" + ns + "/checkpoint").status == 200;
    }
    // A Hrana statement on the primary; the first result's rows, or an error text in *error.
    static QJsonArray sql(const TestServer &srv, const QByteArray &ns, const QByteArray &statement,
                          QByteArray *error = nullptr, const QByteArray &authHeader = {})
    {
        const RawResponse r = rawRequest(srv.port(), post("/v2/pipeline", executeBody(statement),
                                                          "x-namespace: " + ns + "\r\n" + authHeader));
        const QJsonObject result = QJsonDocument::fromJson(r.body).object()[u"results"_s].toArray().at(0).toObject();
        if (r.status != 200 || result[u"type"_s].toString() != u"ok"_s) {
            if (error)
                *error = "HTTP " + QByteArray::number(r.status) + " " + r.body;
            return {};
        }
        if (error)
            error->clear();
        return result[u"response"_s][u"result"_s][u"rows"_s].toArray();
    }
    static bool exec(const TestServer &srv, const QByteArray &ns, const QByteArray &statement)
    {
        QByteArray error;
        sql(srv, ns, statement, &error);
        if (!error.isEmpty())
            qWarning() << statement << "failed:" << error;
        return error.isEmpty();
    }
    static QByteArray scalar(const TestServer &srv, const QByteArray &ns, const QByteArray &statement)
    {
        QByteArray error;
        const QJsonArray rows = sql(srv, ns, statement, &error);
        if (!error.isEmpty())
            return "error: " + error;
        const QJsonValue v = rows.at(0).toArray().at(0).toObject()[u"value"_s];
        return v.isString() ? v.toString().toUtf8() : QByteArray::number(v.toDouble());
    }
    QByteArray freshNs(TestServer &srv)
    {
        const QByteArray ns = "repl" + QByteArray::number(++m_nsCounter);
        return createNs(srv, ns) ? ns : QByteArray();
    }
    Replica replica(const QByteArray &ns) const
    {
        Replica r;
        r.port = m_srv.port();
        r.ns = ns;
        return r;
    }
    QByteArray token(const QString &ns, qsqld::auth::Permissions::Access access) const
    {
        return std::get<QByteArray>(qsqld::auth::mintToken(m_keys.privateKeyPem, tokenRequest(ns, access)));
    }
    static void stopServer(TestServer &srv)
    {
        if (!srv.runtime)
            return;
        QSignalSpy stopped(srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
        srv.runtime->stop();
        QVERIFY(stopped.count() > 0 || stopped.wait(30000));
    }

private slots:
    void initTestCase();
    void cleanupTestCase();

    // transport
    void infoIs404();
    void helloShape();
    void chunkedRequestBody();
    void pathPrefix();

    // BatchLogEntries
    void freshNamespaceLog();
    void numberingContinuesAfterWrites();
    void offsetBeyondTip();
    void largeTransactionInOneReply();
    void checkpointRestartAndReplay();
    void keepAliveAndConcurrentConnections();
    void maxActiveNamespacesCloseIdleOnes();

    // errors
    void sessionToken_data();
    void sessionToken();
    void unknownNamespace();
    void malformedBody_data();
    void malformedBody();
    void libsqlWalFlavor();
    void unimplementedMethods();
    void snapshotWithoutCompaction();
    void snapshotsAfterCompaction();
    void authentication_data();
    void authentication();
    void otherNamespaceToken();
    void readOnlyToken();

    // proxy.Proxy
    void executeInsert();
    void transactionAcrossRequests();
    void stepErrors_data();
    void stepErrors();
    void conditions();
    void namedParams();
    void describe();
    void describeError();
    void disconnectRollsBack();
};

void TestReplication::initTestCase()
{
    QVERIFY(m_srv.start());

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
    QVERIFY(createNs(m_auth, "other"));
}

void TestReplication::cleanupTestCase()
{
    stopServer(m_srv);
    stopServer(m_auth);
}

// ---- transport ----------------------------------------------------------------------------------------------

// A 404 on /info keeps the client on the gRPC (v1) protocol (section 2).
void TestReplication::infoIs404()
{
    for (const QByteArray &path : {"/info"_ba, "/some/prefix/info"_ba}) {
        const RawResponse r = rawRequest(m_srv.port(), "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QCOMPARE(r.status, 404);
    }
}

void TestReplication::helloShape()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    QVERIFY(exec(m_srv, ns, "INSERT INTO t(v) VALUES ('a'), ('b')"));

    Replica r = replica(ns);
    GrpcReply raw;
    const auto h = r.hello(&raw);
    QVERIFY2(h, raw.describe().constData());
    QCOMPARE(raw.http, 200);
    QVERIFY2(raw.contentType.startsWith("application/grpc"), raw.contentType.constData());
    QVERIFY(raw.hasTrailer);
    QVERIFY(raw.wellFormed);
    QVERIFY(!QUuid::fromString(QString::fromStdString(h->log_id())).isNull());
    QVERIFY(!QUuid::fromString(QString::fromStdString(h->session_token())).isNull());
    QVERIFY(!QUuid::fromString(QString::fromStdString(h->generation_id())).isNull());
    QCOMPARE(h->generation_start_index(), 0u);
    QVERIFY(h->has_config());
    QVERIFY(h->has_current_replication_index());

    const auto frames = r.allFrames(0);
    QVERIFY(frames && !frames->isEmpty());
    QCOMPARE(FrameHeader::read(frames->back().constData()).frameNo, h->current_replication_index());

    // The session token and the generation are per process, not per namespace or call; the log id per namespace.
    Replica other = replica(ns);
    const auto h2 = other.hello();
    QVERIFY(h2);
    QCOMPARE(h2->session_token(), h->session_token());
    QCOMPARE(h2->log_id(), h->log_id());
    const QByteArray ns2 = freshNs(m_srv);
    const auto h3 = replica(ns2).hello();
    QVERIFY(h3);
    QVERIFY(h3->log_id() != h->log_id());
}

// The real client always sends chunked bodies (section 3.1).
void TestReplication::chunkedRequestBody()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    Replica r = replica(ns);
    r.chunked = true;
    GrpcReply raw;
    const auto h = r.hello(&raw);
    QVERIFY2(h, raw.describe().constData());
    const auto frames = r.batch(0, &raw);
    QVERIFY2(frames, raw.describe().constData());
    QVERIFY(!frames->isEmpty());
    // next_offset 0 is the empty message: body 00 00 00 00 00, as observed.
    const GrpcReply empty = r.rawCall("wal_log.ReplicationLog/BatchLogEntries", QByteArray(5, '\0'));
    QCOMPARE(empty.status, 0);
    QCOMPARE(empty.messages.size(), 1);
    QCOMPARE(empty.messages.front().size(), ser([&] {
        wal_log::Frames f;
        f.ParseFromArray(raw.messages.front().constData(), static_cast<int>(raw.messages.front().size()));
        return f;
    }()).size());
    // A proxy call, chunked too.
    const auto res = r.execute(newClientId(), program("INSERT INTO t(v) VALUES ('chunked')"), &raw);
    QVERIFY2(res, raw.describe().constData());
    QCOMPARE(res->results_size(), 1);
    QVERIFY(res->results(0).has_row());
}

// A syncUrl with a path prefixes every gRPC path (section 3.1).
void TestReplication::pathPrefix()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    Replica r = replica(ns);
    r.prefix = "/some/prefix";
    GrpcReply raw;
    const auto h = r.hello(&raw);
    QVERIFY2(h, raw.describe().constData());
    const auto frames = r.batch(0, &raw);
    QVERIFY2(frames, raw.describe().constData());
    QVERIFY(!frames->isEmpty());
    const auto d = r.describe(newClientId(), "SELECT 1", &raw);
    QVERIFY2(d, raw.describe().constData());
}

// ---- BatchLogEntries -----------------------------------------------------------------------------------------

void TestReplication::freshNamespaceLog()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    Replica r = replica(ns);
    const auto h = r.hello();
    QVERIFY(h);
    QVERIFY(h->has_current_replication_index());
    GrpcReply raw;
    const auto frames = r.batch(0, &raw);
    QVERIFY2(frames, raw.describe().constData());
    QVERIFY(!frames->isEmpty());
    const ChainCheck chain = checkChain(*frames, 0, 0);
    QVERIFY2(chain.ok, chain.why.constData());

    // The first transaction is the full image: pages 1..n, size_after = n on its last frame only.
    qsizetype n = 0;
    while (n < frames->size() && !FrameHeader::read((*frames)[n].constData()).isCommit())
        ++n;
    QVERIFY(n < frames->size());
    ++n;
    for (qsizetype i = 0; i < n; ++i) {
        const FrameHeader fh = FrameHeader::read((*frames)[i].constData());
        QCOMPARE(fh.pageNo, static_cast<quint32>(i + 1));
        QCOMPARE(fh.sizeAfter, i == n - 1 ? static_cast<quint32>(n) : 0u);
    }
    // Page 1 is a WAL-mode database header with 4096-byte pages.
    const QByteArray page1 = frames->front().mid(qsqld::repl::FRAME_HEADER_SIZE);
    QVERIFY(page1.startsWith("SQLite format 3\0"_ba));
    QCOMPARE(qFromBigEndian<quint16>(page1.constData() + 16), 4096);
    QCOMPARE(page1.at(18), '\2');
    QCOMPARE(page1.at(19), '\2');
    // The reply ends on a commit frame, and the tip is what Hello advertised.
    QVERIFY(FrameHeader::read(frames->back().constData()).isCommit());
    QCOMPARE(FrameHeader::read(frames->back().constData()).frameNo, h->current_replication_index());
}

void TestReplication::numberingContinuesAfterWrites()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    Replica r = replica(ns);
    QVERIFY(r.hello());
    const auto first = r.allFrames(0);
    QVERIFY(first && !first->isEmpty());
    quint64 checksum = 0;
    ChainCheck chain = checkChain(*first, 0, 0, &checksum);
    QVERIFY2(chain.ok, chain.why.constData());
    const quint64 tip = FrameHeader::read(first->back().constData()).frameNo;

    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    QVERIFY(exec(m_srv, ns, "INSERT INTO t(v) VALUES ('x')"));
    const auto h = r.hello();
    QVERIFY(h);
    QVERIFY(h->current_replication_index() > tip);
    const auto next = r.allFrames(tip + 1);
    QVERIFY(next && !next->isEmpty());
    chain = checkChain(*next, tip + 1, checksum);
    QVERIFY2(chain.ok, chain.why.constData());
    QCOMPARE(FrameHeader::read(next->back().constData()).frameNo, h->current_replication_index());
    // Two transactions, two commit frames, each the end of its transaction.
    int commits = 0;
    for (const QByteArray &f : *next)
        commits += FrameHeader::read(f.constData()).isCommit() ? 1 : 0;
    QCOMPARE(commits, 2);
    QVERIFY(FrameHeader::read(next->back().constData()).isCommit());
    // Reading from the middle gives the same frames.
    const auto tail = r.batch(tip + 2);
    QVERIFY(tail);
    QCOMPARE(*tail, next->mid(1));
}

void TestReplication::offsetBeyondTip()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    Replica r = replica(ns);
    const auto h = r.hello();
    QVERIFY(h);
    const quint64 tip = h->current_replication_index();
    for (quint64 offset : std::initializer_list<quint64>{tip + 1, tip + 1000, std::numeric_limits<quint64>::max()}) {
        GrpcReply raw;
        const auto frames = r.batch(offset, &raw);
        QVERIFY2(frames, raw.describe().constData());
        QVERIFY(frames->isEmpty());
        QCOMPARE(raw.status, 0);
        QVERIFY(raw.hasTrailer);
    }
}

// A transaction of more than 1024 frames comes back whole in one reply (section 4.3).
void TestReplication::largeTransactionInOneReply()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB)"));
    Replica r = replica(ns);
    const auto before = r.hello();
    QVERIFY(before);
    const quint64 tip = before->current_replication_index();
    QVERIFY(exec(m_srv, ns, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000) "
                            "INSERT INTO big SELECT x, randomblob(3000) FROM c"));
    const auto after = r.hello();
    QVERIFY(after);
    GrpcReply raw;
    const auto frames = r.batch(tip + 1, &raw);
    QVERIFY2(frames, raw.describe().constData());
    QVERIFY2(frames->size() > 1024, QByteArray::number(frames->size()).constData());
    QVERIFY(frames->size() >= 3000); // one page per row at least
    const auto atTip = r.batch(tip);
    QVERIFY(atTip && !atTip->isEmpty());
    const ChainCheck chain = checkChain(*frames, tip + 1, FrameHeader::read(atTip->front().constData()).checksum);
    QVERIFY2(chain.ok, chain.why.constData());
    // One transaction: a single commit frame, the last, and the reply reaches the tip.
    for (qsizetype i = 0; i + 1 < frames->size(); ++i)
        QVERIFY2(!FrameHeader::read((*frames)[i].constData()).isCommit(), QByteArray::number(i).constData());
    QVERIFY(FrameHeader::read(frames->back().constData()).isCommit());
    QCOMPARE(FrameHeader::read(frames->back().constData()).frameNo, after->current_replication_index());
    // No page appears twice in one transaction (in-place rewrites of spilled pages are final at commit).
    QSet<quint32> pages;
    for (const QByteArray &f : *frames)
        pages.insert(FrameHeader::read(f.constData()).pageNo);
    QCOMPARE(pages.size(), frames->size());
    // And the whole history still replays to the primary's content.
    const auto all = r.allFrames(0);
    QVERIFY(all);
    QByteArray why;
    const QByteArray image = replay(*all, &why);
    QVERIFY2(!image.isEmpty(), why.constData());
    QTemporaryDir dir;
    const QString file = dir.path() + u"/replica.db"_s;
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(image);
    out.close();
    QCOMPARE(sqliteScalar(file, "PRAGMA integrity_check"), "ok"_ba);
    const char *digest = "SELECT count(*) || '|' || sum(length(b)) || '|' || group_concat(substr(hex(b), 1, 8), '') "
                         "FROM (SELECT b FROM big ORDER BY id)";
    QCOMPARE(sqliteScalar(file, digest), scalar(m_srv, ns, digest));

    // Capture goes on after the hook's own checkpoint of the big WAL (a new WAL generation), and a VACUUM
    // (through the WAL) shrinks the replica with the commit's size_after.
    QVERIFY(exec(m_srv, ns, "UPDATE big SET b = x'00' WHERE id <= 10"));
    QVERIFY(exec(m_srv, ns, "DELETE FROM big WHERE id > 100"));
    QVERIFY(exec(m_srv, ns, "VACUUM"));
    const auto final = r.allFrames(0);
    QVERIFY(final);
    const ChainCheck whole = checkChain(*final, 0, 0);
    QVERIFY2(whole.ok, whole.why.constData());
    const QByteArray shrunk = replay(*final, &why);
    QVERIFY2(!shrunk.isEmpty(), why.constData());
    QVERIFY(shrunk.size() < image.size() / 10);
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(shrunk);
    out.close();
    QCOMPARE(sqliteScalar(file, "PRAGMA integrity_check"), "ok"_ba);
    QCOMPARE(sqliteScalar(file, digest), scalar(m_srv, ns, digest));
    QVERIFY(checkpoint(m_srv, ns));
    QFile primaryFile(m_srv.dir.path() + u"/data/dbs/"_s + QString::fromLatin1(ns) + u"/data"_s);
    QVERIFY(primaryFile.open(QIODevice::ReadOnly));
    QVERIFY(primaryFile.readAll() == shrunk);
}

// The client keeps its connections alive and runs a "prefetch" BatchLogEntries on a second connection while
// Hello is in flight (section 7): several calls per connection, chunked, and two connections at once.
// --max-active-namespaces: the least recently used idle namespaces close (SQLite removes the WAL of a cleanly
// closed database), their data and replication history survive reopening, and an open transaction keeps its
// namespace open however many others are touched.
void TestReplication::maxActiveNamespacesCloseIdleOnes()
{
    TestServer srv;
    auto cfg = TestServer::defaultConfig();
    cfg.workerThreads = 1;
    cfg.maxActiveNamespaces = 2;
    cfg.pageCacheKib = 512;
    QVERIFY(srv.start(cfg));
    const auto wal = [&srv](const QByteArray &ns) {
        return QFileInfo::exists(srv.dir.path() + u"/data/dbs/"_s + QString::fromUtf8(ns) + u"/data-wal"_s);
    };
    QList<QByteArray> names;
    for (int i = 0; i < 5; ++i) {
        const QByteArray ns = "lru" + QByteArray::number(i);
        names << ns;
        QVERIFY(createNs(srv, ns));
        QVERIFY(exec(srv, ns, "CREATE TABLE t(v)"));
        QVERIFY(exec(srv, ns, "INSERT INTO t VALUES ('" + ns + "')"));
    }
    QCOMPARE(scalar(srv, names[4], "PRAGMA cache_size"), "-512"_ba); // --page-cache-kib
    // Only the two most recently used are open.
    QVERIFY(!wal(names[0]) && !wal(names[1]) && !wal(names[2]));
    QVERIFY(wal(names[3]) && wal(names[4]));

    Replica r;
    r.port = srv.port();
    r.ns = names[0];
    const auto before = r.hello(); // reopens lru0 (closing lru3)
    QVERIFY(before);
    QVERIFY(!wal(names[3]));
    const quint64 tip = before->current_replication_index();
    QVERIFY(tip > 0);

    // A transaction on lru1 holds its namespace open while every other one is touched.
    RawResponse begin = rawRequest(srv.port(), post("/v2/pipeline", executeBody("BEGIN", {}, false), "x-namespace: lru1\r\n"));
    QCOMPARE(begin.status, 200);
    const QByteArray baton = QJsonDocument::fromJson(begin.body).object()[u"baton"_s].toString().toUtf8();
    QVERIFY(!baton.isEmpty());
    const RawResponse insert = rawRequest(srv.port(), post("/v2/pipeline", executeBody("INSERT INTO t VALUES ('in tx')",
                                                                                      baton, false),
                                                           "x-namespace: lru1\r\n"));
    QCOMPARE(insert.status, 200);
    const QByteArray baton2 = QJsonDocument::fromJson(insert.body).object()[u"baton"_s].toString().toUtf8();
    QVERIFY(!baton2.isEmpty());
    for (const QByteArray &ns : {names[2], names[3], names[4], names[0]})
        QCOMPARE(scalar(srv, ns, "SELECT v FROM t"), ns);
    QVERIFY(wal(names[1]));
    const RawResponse commit = rawRequest(srv.port(), post("/v2/pipeline", executeBody("COMMIT", baton2, true),
                                                           "x-namespace: lru1\r\n"));
    QCOMPARE(commit.status, 200);
    QVERIFY2(commit.body.contains("\"type\":\"ok\""), commit.body.constData());
    QCOMPARE(scalar(srv, "lru1", "SELECT count(*) FROM t"), "2"_ba);

    // Every namespace kept its rows; lru0's history goes on from where it was, under the same log id.
    for (const QByteArray &ns : names)
        QCOMPARE(scalar(srv, ns, "SELECT v FROM t LIMIT 1"), ns);
    QVERIFY(!wal(names[0]));
    const auto after = r.hello();
    QVERIFY(after);
    QCOMPARE(after->log_id(), before->log_id());
    QCOMPARE(after->current_replication_index(), tip);
    QVERIFY(exec(srv, names[0], "INSERT INTO t VALUES ('later')"));
    const auto more = r.batch(tip + 1);
    QVERIFY(more && !more->isEmpty());
    QCOMPARE(FrameHeader::read(more->front().constData()).frameNo, tip + 1);
    QCOMPARE(scalar(srv, names[0], "SELECT count(*) FROM t"), "2"_ba);
}

void TestReplication::keepAliveAndConcurrentConnections()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    Replica r = replica(ns);
    QVERIFY(r.hello());
    auto request = [&](const QByteArray &method, const google::protobuf::MessageLite &m, bool withSession) -> QByteArray {
        const QByteArray body = qsqld::repl::dataFrame(ser(m));
        return "POST /" + method + " HTTP/1.1\r\nhost: 127.0.0.1\r\nte: trailers\r\n"
               "content-type: application/grpc-web\r\nx-authorization: Bearer \r\nx-namespace-bin: " + b64ns(ns)
            + "\r\n" + (withSession ? "x-session-token: " + r.session + "\r\n" : QByteArray())
            + "transfer-encoding: chunked\r\n\r\n" + QByteArray::number(body.size(), 16) + "\r\n" + body
            + "\r\n0\r\n\r\n";
    };
    QTcpSocket a, b;
    for (QTcpSocket *s : {&a, &b}) {
        QSignalSpy connected(s, &QTcpSocket::connected);
        s->connectToHost(QHostAddress::LocalHost, m_srv.port());
        QVERIFY(s->state() == QAbstractSocket::ConnectedState || connected.wait(TIMEOUT));
    }
    wal_log::HelloRequest hello;
    hello.set_handshake_version(1);
    wal_log::LogOffset offset;
    for (int round = 0; round < 3; ++round) {
        a.write(request("wal_log.ReplicationLog/Hello", hello, true));
        b.write(request("wal_log.ReplicationLog/BatchLogEntries", offset, true));
        const auto ra = readResponses(a, 1, TIMEOUT);
        const auto rb = readResponses(b, 1, TIMEOUT);
        QCOMPARE(ra.size(), 1);
        QCOMPARE(rb.size(), 1);
        wal_log::HelloResponse h;
        QVERIFY2(Replica::decode(parseReply(ra.front()), &h), parseReply(ra.front()).describe().constData());
        wal_log::Frames f;
        QVERIFY2(Replica::decode(parseReply(rb.front()), &f), parseReply(rb.front()).describe().constData());
        QVERIFY(f.frames_size() > 0);
        QVERIFY(f.frames(f.frames_size() - 1).data().size() == 4120);
        // A write between rounds, on the first connection.
        proxy::ProgramReq req;
        req.set_client_id("keepalive");
        *req.mutable_pgm() = program("INSERT INTO t(v) VALUES (?)", {bincodeText("r" + QByteArray::number(round))});
        a.write(request("proxy.Proxy/Execute", req, false));
        const auto re = readResponses(a, 1, TIMEOUT);
        QCOMPARE(re.size(), 1);
        proxy::ExecuteResults res;
        QVERIFY2(Replica::decode(parseReply(re.front()), &res), parseReply(re.front()).describe().constData());
        QVERIFY(res.results(0).has_row());
        offset.set_next_offset(res.current_frame_no());
    }
    QCOMPARE(a.state(), QAbstractSocket::ConnectedState);
    QCOMPARE(b.state(), QAbstractSocket::ConnectedState);
    QCOMPARE(scalar(m_srv, ns, "SELECT count(*) FROM t"), "3"_ba);
}

// Frame numbers continue across an admin (TRUNCATE) checkpoint and a clean restart, with the same log id, and
// the replayed frames give the primary's database byte for byte.
void TestReplication::checkpointRestartAndReplay()
{
    TestServer srv;
    auto cfg = TestServer::defaultConfig();
    QVERIFY(srv.start(cfg));
    const QByteArray ns = "restart";
    QVERIFY(createNs(srv, ns));
    QVERIFY(exec(srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    QVERIFY(exec(srv, ns, "INSERT INTO t(v) VALUES ('one'), (x'0102'), (3.5), (NULL), (42)"));

    Replica r;
    r.port = srv.port();
    r.ns = ns;
    const auto h1 = r.hello();
    QVERIFY(h1);
    auto frames = r.allFrames(0);
    QVERIFY(frames);
    quint64 checksum = 0;
    ChainCheck chain = checkChain(*frames, 0, 0, &checksum);
    QVERIFY2(chain.ok, chain.why.constData());
    quint64 tip = FrameHeader::read(frames->back().constData()).frameNo;
    QCOMPARE(tip, h1->current_replication_index());

    // An admin checkpoint (TRUNCATE) resets SQLite's WAL; the log keeps counting.
    const QString walFile = srv.dir.path() + u"/data/dbs/restart/data-wal"_s;
    QVERIFY(checkpoint(srv, ns));
    QCOMPARE(QFileInfo(walFile).size(), 0);
    QCOMPARE(r.hello()->current_replication_index(), tip); // a checkpoint adds no frames
    QVERIFY(exec(srv, ns, "INSERT INTO t(v) VALUES ('after checkpoint')"));
    QVERIFY(exec(srv, ns, "UPDATE t SET v = 'updated' WHERE id = 1"));
    auto more = r.allFrames(tip + 1);
    QVERIFY(more && !more->isEmpty());
    chain = checkChain(*more, tip + 1, checksum, &checksum);
    QVERIFY2(chain.ok, chain.why.constData());
    *frames += *more;
    tip = FrameHeader::read(frames->back().constData()).frameNo;
    QCOMPARE(r.hello()->current_replication_index(), tip);

    // A clean restart on the same data: same log id, a new session token, numbering goes on.
    const QByteArray oldSession = r.session;
    stopServer(srv);
    QVERIFY(srv.start(cfg));
    r.port = srv.port();
    GrpcReply raw = r.batchRaw(tip + 1);
    QCOMPARE(raw.status, 9);
    QCOMPARE(raw.message, "NO_HELLO"_ba); // the old session token is stale
    const auto h2 = r.hello();
    QVERIFY(h2);
    QVERIFY(r.session != oldSession);
    QCOMPARE(h2->log_id(), h1->log_id());
    QCOMPARE(h2->current_replication_index(), tip);
    const auto none = r.batch(tip + 1);
    QVERIFY(none);
    QVERIFY2(none->isEmpty(), "the restart captured the old WAL a second time");
    QVERIFY(exec(srv, ns, "INSERT INTO t(v) VALUES ('after restart')"));
    QVERIFY(exec(srv, ns, "DELETE FROM t WHERE id = 2"));
    more = r.allFrames(tip + 1);
    QVERIFY(more && !more->isEmpty());
    chain = checkChain(*more, tip + 1, checksum, &checksum);
    QVERIFY2(chain.ok, chain.why.constData());
    *frames += *more;
    tip = FrameHeader::read(frames->back().constData()).frameNo;
    QCOMPARE(r.hello()->current_replication_index(), tip);

    // The whole history read again from 0 is the same as what was read piecewise.
    const auto again = r.allFrames(0);
    QVERIFY(again);
    QCOMPARE(again->size(), frames->size());
    QVERIFY(*again == *frames);

    // A replica built from the frames equals the primary.
    QByteArray why;
    const QByteArray image = replay(*frames, &why);
    QVERIFY2(!image.isEmpty(), why.constData());
    QTemporaryDir dir;
    const QString file = dir.path() + u"/replica.db"_s;
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(image);
    out.close();
    QCOMPARE(sqliteScalar(file, "PRAGMA integrity_check"), "ok"_ba);
    const QByteArray primary = scalar(srv, ns, DIGEST_T);
    QVERIFY2(primary.startsWith("6|"), primary.constData());
    QCOMPARE(sqliteScalar(file, DIGEST_T), primary);
    // After a TRUNCATE checkpoint the primary's file holds exactly the replayed pages.
    QVERIFY(checkpoint(srv, ns));
    QFile primaryFile(srv.dir.path() + u"/data/dbs/restart/data"_s);
    QVERIFY(primaryFile.open(QIODevice::ReadOnly));
    const QByteArray primaryBytes = primaryFile.readAll();
    QCOMPARE(primaryBytes.size(), image.size());
    QVERIFY(primaryBytes == image);
    QCOMPARE(r.hello()->current_replication_index(), tip);

    // The database changed while the server was down: the history no longer matches it, so the log is rebuilt
    // under a new log id from a full image (replicas notice the new id and download again).
    stopServer(srv);
    const QString dbFile = srv.dir.path() + u"/data/dbs/restart/data"_s;
    {
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open_v2(QFile::encodeName(dbFile).constData(), &db, SQLITE_OPEN_READWRITE, nullptr),
                 SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "INSERT INTO t(v) VALUES ('offline')", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    QVERIFY(srv.start(cfg));
    r.port = srv.port();
    const auto h3 = r.hello();
    QVERIFY(h3);
    QVERIFY2(h3->log_id() != h1->log_id(), "a changed database kept its old log id");
    const auto rebuilt = r.allFrames(0);
    QVERIFY(rebuilt && !rebuilt->isEmpty());
    chain = checkChain(*rebuilt, 0, 0);
    QVERIFY2(chain.ok, chain.why.constData());
    QCOMPARE(FrameHeader::read(rebuilt->back().constData()).frameNo, h3->current_replication_index());
    const QByteArray rebuiltImage = replay(*rebuilt, &why);
    QVERIFY2(!rebuiltImage.isEmpty(), why.constData());
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(rebuiltImage);
    out.close();
    QCOMPARE(sqliteScalar(file, "PRAGMA integrity_check"), "ok"_ba);
    const QByteArray withOffline = scalar(srv, ns, DIGEST_T);
    QVERIFY2(withOffline.startsWith("7|") && withOffline.endsWith("'offline'"), withOffline.constData());
    QCOMPARE(sqliteScalar(file, DIGEST_T), withOffline);

    stopServer(srv);
}

// ---- errors --------------------------------------------------------------------------------------------------

void TestReplication::sessionToken_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("session");
    for (const char *m : {"BatchLogEntries", "Snapshot"}) {
        const QByteArray method = "wal_log.ReplicationLog/"_ba + m;
        QTest::addRow("%s without token", m) << method << QByteArray();
        QTest::addRow("%s wrong token", m) << method << newClientId();
        QTest::addRow("%s garbage token", m) << method << "not-a-uuid"_ba;
    }
}

void TestReplication::sessionToken()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, session);
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    Replica r = replica(ns);
    QVERIFY(r.hello()); // a valid token exists, but this call does not carry it
    r.session = session;
    wal_log::LogOffset req;
    const GrpcReply g = r.call(method, req);
    QCOMPARE(g.http, 200);
    QCOMPARE(g.status, 9);
    QCOMPARE(g.message, "NO_HELLO"_ba);
    QVERIFY(g.messages.isEmpty());
}

void TestReplication::unknownNamespace()
{
    Replica r = replica("nosuchns");
    const GrpcReply hello = r.call("wal_log.ReplicationLog/Hello", wal_log::HelloRequest());
    QCOMPARE(hello.http, 200);
    QCOMPARE(hello.status, 9);
    QCOMPARE(hello.message, "NAMESPACE_DOESNT_EXIST"_ba);
    QCOMPARE(r.executeRaw(newClientId(), program("SELECT 1")).message, "NAMESPACE_DOESNT_EXIST"_ba);
    // With a valid session token from another namespace, BatchLogEntries gives the same answer.
    Replica good = replica(freshNs(m_srv));
    QVERIFY(good.hello());
    r.session = good.session;
    const GrpcReply batch = r.batchRaw(0);
    QCOMPARE(batch.status, 9);
    QCOMPARE(batch.message, "NAMESPACE_DOESNT_EXIST"_ba);
}

void TestReplication::malformedBody_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("body");
    const QList<QPair<const char *, QByteArray>> bodies{
        {"empty", {}},
        {"short header", "\x00\x00\x00"_ba},
        {"truncated frame", "\x00\x00\x00\x00\x0a\x08\x01"_ba},
        {"compressed flag", "\x01\x00\x00\x00\x02\x08\x01"_ba},
        {"trailer instead of message", qsqld::repl::trailerFrame({})},
        {"garbage protobuf", qsqld::repl::dataFrame("\xff\xff\xff\xff"_ba)},
        {"truncated protobuf field", qsqld::repl::dataFrame("\x0a\x05\x61\x62"_ba)},
        {"bytes after the frame", qsqld::repl::dataFrame({}) + "xyz"_ba},
    };
    for (const char *m : {"wal_log.ReplicationLog/Hello", "wal_log.ReplicationLog/BatchLogEntries",
                          "proxy.Proxy/Execute", "proxy.Proxy/Describe"}) {
        for (const auto &[name, body] : bodies)
            QTest::addRow("%s: %s", m, name) << QByteArray(m) << body;
    }
}

void TestReplication::malformedBody()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, body);
    if (m_malformedNs.isEmpty())
        m_malformedNs = freshNs(m_srv);
    Replica r = replica(m_malformedNs);
    QVERIFY(r.hello());
    const GrpcReply g = r.rawCall(method, body);
    QCOMPARE(g.http, 200);
    QVERIFY2(g.status == 3, g.describe().constData());
    QVERIFY(!g.message.isEmpty());
}

void TestReplication::libsqlWalFlavor()
{
    Replica r = replica(freshNs(m_srv));
    QVERIFY(r.hello());
    wal_log::LogOffset req;
    req.set_wal_flavor(wal_log::LogOffset::LIBSQL);
    const GrpcReply g = r.call("wal_log.ReplicationLog/BatchLogEntries", req);
    QCOMPARE(g.status, 3);
    QCOMPARE(g.message, "libsql wal not supported"_ba);
    // The explicit default flavour is fine.
    req.set_wal_flavor(wal_log::LogOffset::SQLITE);
    QCOMPARE(r.call("wal_log.ReplicationLog/BatchLogEntries", req).status, 0);
}

void TestReplication::unimplementedMethods()
{
    Replica r = replica(freshNs(m_srv));
    QVERIFY(r.hello());
    for (const char *m : {"wal_log.ReplicationLog/LogEntries", "proxy.Proxy/StreamExec"}) {
        const GrpcReply g = r.call(m, wal_log::LogOffset());
        QCOMPARE(g.http, 200);
        QVERIFY2(g.status == 12, QByteArray(QByteArray(m) + ": " + g.describe()).constData());
    }
}

// Logs are not compacted yet, so no snapshot exists for any offset.
void TestReplication::snapshotWithoutCompaction()
{
    Replica r = replica(freshNs(m_srv));
    QVERIFY(r.hello());
    const GrpcReply g = r.call("wal_log.ReplicationLog/Snapshot", wal_log::LogOffset());
    QCOMPARE(g.status, 14);
    QCOMPARE(g.message, "snapshot not found"_ba);
}

// A 1 MiB --max-log-size: the history moves into snapshots. A replica below the log gets NEED_SNAPSHOT and
// catches up snapshot by snapshot; each stream starts with frame `end`, goes down, holds each page once and
// carries the database size on its last frame; the result equals the primary.
void TestReplication::snapshotsAfterCompaction()
{
    TestServer srv;
    auto cfg = TestServer::defaultConfig();
    cfg.maxLogSizeMb = 1;
    QVERIFY(srv.start(cfg));
    const QByteArray ns = "compact";
    QVERIFY(createNs(srv, ns));
    QVERIFY(exec(srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    for (int i = 0; i < 30; ++i)
        QVERIFY(exec(srv, ns, "INSERT INTO t(v) VALUES (randomblob(60000))"));
    QVERIFY(exec(srv, ns, "UPDATE t SET v = 'small' WHERE id % 3 = 0"));

    Replica r;
    r.port = srv.port();
    r.ns = ns;
    const auto h = r.hello();
    QVERIFY(h);
    GrpcReply raw;
    QVERIFY(!r.batch(0, &raw));
    QCOMPARE(raw.status, 9);
    QCOMPARE(raw.message, "NEED_SNAPSHOT"_ba);

    auto snapshot = [&r](quint64 offset, QList<QByteArray> *frames) {
        wal_log::LogOffset req;
        req.set_next_offset(offset);
        const GrpcReply g = r.call("wal_log.ReplicationLog/Snapshot", req);
        if (g.status != 0 || !g.hasTrailer || !g.wellFormed)
            return QByteArray("Snapshot(" + QByteArray::number(offset) + "): " + g.describe());
        QSet<quint32> pages;
        for (qsizetype i = 0; i < g.messages.size(); ++i) {
            wal_log::Frame f;
            if (!f.ParseFromArray(g.messages[i].constData(), static_cast<int>(g.messages[i].size())))
                return QByteArray("unparseable Frame");
            const QByteArray data = QByteArray::fromStdString(f.data());
            const FrameHeader fh = FrameHeader::read(data.constData());
            const bool last = i + 1 == g.messages.size();
            if (fh.frameNo < offset || (!frames->isEmpty() && i > 0
                                        && fh.frameNo >= FrameHeader::read(frames->back().constData()).frameNo))
                return QByteArray("frame numbers must descend from the end, down to the offset");
            if (fh.isCommit() != last)
                return QByteArray("only the last streamed frame carries the database size");
            if (pages.contains(fh.pageNo))
                return QByteArray("page " + QByteArray::number(fh.pageNo) + " streamed twice");
            pages.insert(fh.pageNo);
            frames->append(data);
        }
        return frames->isEmpty() ? QByteArray("an empty snapshot") : QByteArray();
    };

    // A replica from scratch: snapshots, then the log.
    QList<QByteArray> all;
    quint64 next = 0;
    int snapshots = 0;
    for (;;) {
        auto part = r.batch(next, &raw);
        if (part) {
            if (part->isEmpty())
                break;
            all += *part;
            next = FrameHeader::read(part->back().constData()).frameNo + 1;
            continue;
        }
        QCOMPARE(raw.message, "NEED_SNAPSHOT"_ba);
        QList<QByteArray> frames;
        const QByteArray problem = snapshot(next, &frames);
        QVERIFY2(problem.isEmpty(), problem.constData());
        next = FrameHeader::read(frames.front().constData()).frameNo + 1; // the first frame is the snapshot's end
        all += frames;
        QVERIFY(++snapshots < 100);
    }
    QVERIFY(snapshots >= 1);
    QCOMPARE(next - 1, h->current_replication_index());
    QByteArray why;
    const QByteArray db = replay(all, &why);
    QVERIFY2(!db.isEmpty(), why.constData());
    QTemporaryDir dir;
    QFile out(dir.filePath(u"replica.db"_s));
    QVERIFY(out.open(QIODevice::WriteOnly) && out.write(db) == db.size());
    out.close();
    QCOMPARE(sqliteScalar(out.fileName(), "PRAGMA integrity_check"), "ok"_ba);
    QCOMPARE(sqliteScalar(out.fileName(), "SELECT count(*) || ':' || sum(length(v)) FROM t"),
             scalar(srv, ns, "SELECT count(*) || ':' || sum(length(v)) FROM t"));

    // A replica in the middle of the first snapshot gets only what changed from its offset on.
    QList<QByteArray> middle;
    const QByteArray problem = snapshot(5, &middle);
    QVERIFY2(problem.isEmpty(), problem.constData());
    for (const QByteArray &f : std::as_const(middle))
        QVERIFY(FrameHeader::read(f.constData()).frameNo >= 5);
    stopServer(srv);
}

void TestReplication::authentication_data()
{
    QTest::addColumn<QByteArray>("badToken");
    QTest::addRow("empty token") << QByteArray();
    QTest::addRow("not a jwt") << "abc"_ba;
    QTest::addRow("bad signature") << "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJhIjoicnciLCJpZCI6ImFwcCJ9.AAAA"_ba;
    QTest::addRow("another key") << [] {
        const auto keys = qsqld::auth::generateKeyPair();
        return std::get<QByteArray>(qsqld::auth::mintToken(
            keys.privateKeyPem, tokenRequest(u"app"_s, qsqld::auth::Permissions::Access::ReadWrite)));
    }();
}

void TestReplication::authentication()
{
    QFETCH(QByteArray, badToken);
    Replica r;
    r.port = m_auth.port();
    r.ns = "app";
    r.token = badToken;
    for (const char *m : {"wal_log.ReplicationLog/Hello", "proxy.Proxy/Execute", "proxy.Proxy/Describe"}) {
        const GrpcReply g = r.call(m, wal_log::HelloRequest());
        QCOMPARE(g.http, 200);
        QVERIFY2(g.status == 16, QByteArray(QByteArray(m) + ": " + g.describe()).constData());
        QVERIFY2(g.message.startsWith("AuthError: "), g.message.constData());
    }
    // With a valid session token, BatchLogEntries still needs a valid x-authorization.
    Replica ok;
    ok.port = m_auth.port();
    ok.ns = "app";
    ok.token = token(u"app"_s, qsqld::auth::Permissions::Access::ReadWrite);
    QVERIFY(ok.hello());
    r.session = ok.session;
    const GrpcReply g = r.batchRaw(0);
    QCOMPARE(g.status, 16);
    QVERIFY2(g.message.startsWith("AuthError: "), g.message.constData());
}

void TestReplication::otherNamespaceToken()
{
    Replica r;
    r.port = m_auth.port();
    r.ns = "app";
    r.token = token(u"other"_s, qsqld::auth::Permissions::Access::ReadWrite);
    const GrpcReply g = r.call("wal_log.ReplicationLog/Hello", wal_log::HelloRequest());
    QCOMPARE(g.status, 9);
    QCOMPARE(g.message, "NAMESPACE_DOESNT_EXIST"_ba);
    QCOMPARE(r.executeRaw(newClientId(), program("SELECT 1")).message, "NAMESPACE_DOESNT_EXIST"_ba);
    // The same token works on its own namespace.
    r.ns = "other";
    QVERIFY(r.hello());
}

void TestReplication::readOnlyToken()
{
    Replica rw;
    rw.port = m_auth.port();
    rw.ns = "app";
    rw.token = token(u"app"_s, qsqld::auth::Permissions::Access::ReadWrite);
    GrpcReply raw;
    auto res = rw.execute(newClientId(), program("CREATE TABLE IF NOT EXISTS ro(id INTEGER PRIMARY KEY, v)"), &raw);
    QVERIFY2(res, raw.describe().constData());
    QVERIFY(res->results(0).has_row());

    Replica ro = rw;
    ro.token = token(u"app"_s, qsqld::auth::Permissions::Access::ReadOnly);
    const auto h = ro.hello(&raw);
    QVERIFY2(h, raw.describe().constData());
    const auto frames = ro.allFrames(0);
    QVERIFY(frames && !frames->isEmpty());
    QCOMPARE(FrameHeader::read(frames->back().constData()).frameNo, h->current_replication_index());
    // Reads through the proxy are allowed.
    res = ro.execute(newClientId(), program("SELECT count(*) FROM ro"), &raw);
    QVERIFY2(res, raw.describe().constData());
    QVERIFY(res->results(0).has_row());
    // A write is refused, as a gRPC status (observed: PERMISSION_DENIED), and nothing is written.
    res = ro.execute(newClientId(), program("INSERT INTO ro(v) VALUES (1)"), &raw);
    qInfo() << "read-only INSERT:" << raw.describe();
    if (res) {
        QCOMPARE(res->results_size(), 1);
        QVERIFY2(res->results(0).has_error(), "a read-only token wrote");
    } else {
        QCOMPARE(raw.status, 7);
        QVERIFY(!raw.message.isEmpty());
    }
    QCOMPARE(ro.hello()->current_replication_index(), h->current_replication_index());
    res = rw.execute(newClientId(), program("SELECT count(*) FROM ro"));
    QVERIFY(res);
    QCOMPARE(res->results(0).row().rows(0).values(0).data(),
             qsqld::repl::encodeBincodeValue(Value::fromInteger(0)).toStdString());
}

// ---- proxy.Proxy ---------------------------------------------------------------------------------------------

void TestReplication::executeInsert()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    QVERIFY(exec(m_srv, ns, "INSERT INTO t(v) VALUES ('first')"));
    Replica r = replica(ns);
    const auto before = r.hello();
    QVERIFY(before);
    GrpcReply raw;
    const auto res = r.execute(newClientId(), program("INSERT INTO t(v) VALUES (?)", {bincodeText("from-replica")}),
                               &raw);
    QVERIFY2(res, raw.describe().constData());
    QCOMPARE(res->results_size(), 1);
    QVERIFY(res->results(0).has_row());
    const proxy::ResultRows &rows = res->results(0).row();
    QCOMPARE(rows.affected_row_count(), 1u);
    QVERIFY(rows.has_last_insert_rowid());
    QCOMPARE(rows.last_insert_rowid(), 2);
    QCOMPARE(rows.rows_size(), 0);
    QCOMPARE(res->state(), proxy::INIT);
    QVERIFY(res->has_current_frame_no());
    const auto after = r.hello();
    QVERIFY(after);
    QVERIFY(after->current_replication_index() > before->current_replication_index());
    QCOMPARE(res->current_frame_no(), after->current_replication_index());
    QCOMPARE(scalar(m_srv, ns, "SELECT v FROM t WHERE id = 2"), "from-replica"_ba);

    // RETURNING rows come back with their columns, values in bincode.
    const auto ret = r.execute(newClientId(), program("INSERT INTO t(v) VALUES (?) RETURNING id, v",
                                                      {qsqld::repl::encodeBincodeValue(Value::fromFloat(7.25))}));
    QVERIFY(ret);
    const proxy::ResultRows &rr = ret->results(0).row();
    QCOMPARE(rr.column_descriptions_size(), 2);
    QCOMPARE(rr.column_descriptions(0).name(), "id");
    QCOMPARE(rr.rows_size(), 1);
    QCOMPARE(rr.rows(0).values(0).data(), qsqld::repl::encodeBincodeValue(Value::fromInteger(3)).toStdString());
    QCOMPARE(rr.rows(0).values(1).data(), qsqld::repl::encodeBincodeValue(Value::fromFloat(7.25)).toStdString());
    QCOMPARE(rr.affected_row_count(), 1u);

    // A SELECT changes nothing: no rows affected, no rowid.
    const auto sel = r.execute(newClientId(), program("SELECT v FROM t ORDER BY id"));
    QVERIFY(sel);
    QCOMPARE(sel->results(0).row().rows_size(), 3);
    QCOMPARE(sel->results(0).row().affected_row_count(), 0u);
    QVERIFY(!sel->results(0).row().has_last_insert_rowid());
    QCOMPARE(sel->current_frame_no(), r.hello()->current_replication_index());
}

void TestReplication::transactionAcrossRequests()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    Replica r = replica(ns);
    const quint64 tip = r.hello()->current_replication_index();
    const QByteArray client = newClientId();
    GrpcReply raw;

    auto res = r.execute(client, program("BEGIN IMMEDIATE"), &raw);
    QVERIFY2(res, raw.describe().constData());
    QCOMPARE(res->state(), proxy::TXN);
    res = r.execute(client, program("INSERT INTO t(v) VALUES (?)", {bincodeText("in txn")}), &raw);
    QVERIFY2(res, raw.describe().constData());
    QCOMPARE(res->state(), proxy::TXN);
    QCOMPARE(res->results(0).row().affected_row_count(), 1u);
    QCOMPARE(res->current_frame_no(), tip); // nothing committed yet
    // Nothing is in the log before the commit.
    QCOMPARE(r.hello()->current_replication_index(), tip);
    auto frames = r.batch(tip + 1);
    QVERIFY(frames);
    QVERIFY(frames->isEmpty());
    // The same client sees its own write; Hrana (another connection) does not.
    res = r.execute(client, program("SELECT count(*) FROM t"));
    QVERIFY(res);
    QCOMPARE(res->results(0).row().rows(0).values(0).data(),
             qsqld::repl::encodeBincodeValue(Value::fromInteger(1)).toStdString());
    QCOMPARE(scalar(m_srv, ns, "SELECT count(*) FROM t"), "0"_ba);

    // Another client's write waits for the lock (the INSERT is parked, not failed) ...
    proxy::ProgramReq req;
    req.set_client_id(newClientId().toStdString());
    *req.mutable_pgm() = program("INSERT INTO t(v) VALUES (?)", {bincodeText("other client")});
    QTcpSocket s;
    QVERIFY(connectTo(s, m_srv.port(), TIMEOUT));
    const QByteArray body = qsqld::repl::dataFrame(ser(req));
    s.write("POST /proxy.Proxy/Execute HTTP/1.1\r\nhost: x\r\ncontent-type: application/grpc-web\r\nte: trailers\r\n"
            "x-authorization: Bearer x\r\nx-namespace-bin: " + b64ns(ns) + "\r\ncontent-length: "
            + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QVERIFY2(staysSilent(s, 500), "the other client's INSERT did not wait for the open transaction");

    // ... until COMMIT, which ends the transaction and publishes the frames.
    res = r.execute(client, program("COMMIT"), &raw);
    QVERIFY2(res, raw.describe().constData());
    QCOMPARE(res->state(), proxy::INIT);
    QVERIFY(res->current_frame_no() > tip);
    frames = r.batch(tip + 1);
    QVERIFY(frames && !frames->isEmpty());
    QVERIFY(FrameHeader::read(frames->back().constData()).isCommit());

    const auto otherReply = readResponses(s, 1, TIMEOUT);
    QCOMPARE(otherReply.size(), 1);
    const GrpcReply g = parseReply(otherReply.front());
    proxy::ExecuteResults otherRes;
    QVERIFY2(Replica::decode(g, &otherRes), g.describe().constData());
    qInfo() << "the other client's INSERT, answered after COMMIT:"
            << (otherRes.results(0).has_error() ? QByteArray::fromStdString(otherRes.results(0).error().message())
                                                : "ok"_ba);
    QVERIFY(otherRes.results(0).has_row());
    QCOMPARE(scalar(m_srv, ns, "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)"),
             "in txn,other client"_ba);
    QCOMPARE(otherRes.current_frame_no(), r.hello()->current_replication_index());
}

void TestReplication::stepErrors_data()
{
    QTest::addColumn<QByteArray>("statement");
    QTest::addColumn<int>("extendedCode");
    QTest::addColumn<QByteArray>("message");
    QTest::addRow("primary key") << "INSERT INTO t(id, u) VALUES (1, 'other')"_ba << 1555
                                 << "UNIQUE constraint failed: t.id"_ba;
    QTest::addRow("unique") << "INSERT INTO t(id, u) VALUES (2, 'taken')"_ba << 2067
                            << "UNIQUE constraint failed: t.u"_ba;
    QTest::addRow("not null") << "INSERT INTO t(id, u, n) VALUES (3, 'x', NULL)"_ba << 1299
                              << "NOT NULL constraint failed: t.n"_ba;
}

void TestReplication::stepErrors()
{
    QFETCH(QByteArray, statement);
    QFETCH(int, extendedCode);
    QFETCH(QByteArray, message);
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, u TEXT UNIQUE, n DEFAULT 0 NOT NULL)"));
    QVERIFY(exec(m_srv, ns, "INSERT INTO t(id, u) VALUES (1, 'taken')"));
    Replica r = replica(ns);
    GrpcReply raw;
    const auto res = r.execute(newClientId(), program(statement), &raw);
    QVERIFY2(res, raw.describe().constData());
    QCOMPARE(res->results_size(), 1);
    QVERIFY(res->results(0).has_error());
    const proxy::Error &e = res->results(0).error();
    QCOMPARE(e.code(), proxy::Error::INTERNAL);
    QCOMPARE(e.extended_code(), extendedCode);
    QCOMPARE(QByteArray::fromStdString(e.message()), message);
    QCOMPARE(res->state(), proxy::INIT);
}

void TestReplication::conditions()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    Replica r = replica(ns);

    proxy::Program pgm;
    *pgm.add_steps()->mutable_query() = query("SELECT 1");           // 0: runs
    proxy::Step *skipped = pgm.add_steps();                          // 1: not(ok 0) → skipped
    *skipped->mutable_query() = query("INSERT INTO t(v) VALUES ('skipped')");
    skipped->mutable_cond()->mutable_not_()->mutable_cond()->mutable_ok()->set_step(0);
    proxy::Step *ran = pgm.add_steps();                              // 2: ok 0 → runs
    *ran->mutable_query() = query("INSERT INTO t(v) VALUES ('ran')");
    ran->mutable_cond()->mutable_ok()->set_step(0);
    proxy::Step *afterSkip = pgm.add_steps();                        // 3: err 1 (a skipped step is "not ok")
    *afterSkip->mutable_query() = query("SELECT 'err1'");
    afterSkip->mutable_cond()->mutable_err()->set_step(1);
    proxy::Step *autocommit = pgm.add_steps();                       // 4: is_autocommit and ok 2
    *autocommit->mutable_query() = query("SELECT 'auto'");
    proxy::AndCond *both = autocommit->mutable_cond()->mutable_and_();
    both->add_conds()->mutable_is_autocommit();
    both->add_conds()->mutable_ok()->set_step(2);
    proxy::Step *orStep = pgm.add_steps();                           // 5: ok 1 or ok 1 → skipped
    *orStep->mutable_query() = query("SELECT 'never'");
    proxy::OrCond *either = orStep->mutable_cond()->mutable_or_();
    either->add_conds()->mutable_ok()->set_step(1);
    either->add_conds()->mutable_ok()->set_step(1);

    GrpcReply raw;
    const auto res = r.execute(newClientId(), pgm, &raw);
    QVERIFY2(res, raw.describe().constData());
    QCOMPARE(res->results_size(), 6);
    for (int i = 0; i < 6; ++i)
        QVERIFY2(res->results(i).has_row(), QByteArray::number(i).constData());
    QCOMPARE(res->results(0).row().rows_size(), 1);
    // Skipped steps: an empty row (no columns, no rows, nothing affected).
    for (int i : {1, 5}) {
        const proxy::ResultRows &empty = res->results(i).row();
        QCOMPARE(empty.column_descriptions_size(), 0);
        QCOMPARE(empty.rows_size(), 0);
        QCOMPARE(empty.affected_row_count(), 0u);
        QVERIFY(!empty.has_last_insert_rowid());
    }
    QCOMPARE(res->results(2).row().affected_row_count(), 1u);
    QCOMPARE(res->results(3).row().rows_size(), 1);
    QCOMPARE(res->results(4).row().rows_size(), 1);
    QCOMPARE(res->results(4).row().rows(0).values(0).data(), bincodeText("auto").toStdString());
    QCOMPARE(scalar(m_srv, ns, "SELECT group_concat(v) FROM t"), "ran"_ba);

    // A condition on a later step is a malformed program.
    proxy::Program bad;
    proxy::Step *forward = bad.add_steps();
    *forward->mutable_query() = query("SELECT 1");
    forward->mutable_cond()->mutable_ok()->set_step(3);
    const auto badRes = r.execute(newClientId(), bad, &raw);
    qInfo() << "forward reference in a condition:" << raw.describe()
            << (badRes && badRes->results(0).has_error() ? QByteArray::fromStdString(badRes->results(0).error().message())
                                                       : QByteArray());
    QVERIFY(!badRes || badRes->results(0).has_error());

    // A query with neither positional nor named parameters: INVALID_ARGUMENT (sqld's rule).
    proxy::Program noParams;
    noParams.add_steps()->mutable_query()->set_stmt("SELECT 1");
    QCOMPARE(r.executeRaw(newClientId(), noParams).status, 3);
}

void TestReplication::namedParams()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v, w)"));
    Replica r = replica(ns);
    proxy::Query q;
    q.set_stmt("INSERT INTO t(v, w) VALUES (:a, $b)");
    proxy::Named *named = q.mutable_named();
    named->add_names(":a");
    named->add_values()->set_data(bincodeText("named-a").toStdString());
    named->add_names("$b");
    named->add_values()->set_data(qsqld::repl::encodeBincodeValue(Value::fromBlob("\x01\x02\x03"_ba)).toStdString());
    GrpcReply raw;
    const auto res = r.execute(newClientId(), program(QList<proxy::Query>{q}), &raw);
    QVERIFY2(res, raw.describe().constData());
    QVERIFY2(res->results(0).has_row(), res->results(0).error().message().c_str());
    QCOMPARE(res->results(0).row().affected_row_count(), 1u);
    QCOMPARE(scalar(m_srv, ns, "SELECT v || ':' || hex(w) FROM t"), "named-a:010203"_ba);

    // Parallel arrays of different lengths are a malformed program.
    named->add_names(":c");
    QCOMPARE(r.executeRaw(newClientId(), program(QList<proxy::Query>{q})).status, 3);
}

void TestReplication::describe()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, w)"));
    Replica r = replica(ns);
    GrpcReply raw;
    auto d = r.describe(newClientId(), "SELECT id, v, w, 1 AS k FROM t;", &raw);
    QVERIFY2(d, raw.describe().constData());
    QVERIFY(d->has_description());
    const proxy::Description &desc = d->description();
    QCOMPARE(desc.column_descriptions_size(), 4);
    QCOMPARE(desc.column_descriptions(0).name(), "id");
    QCOMPARE(desc.column_descriptions(0).decltype_(), "INTEGER");
    QCOMPARE(desc.column_descriptions(1).name(), "v");
    QCOMPARE(desc.column_descriptions(1).decltype_(), "TEXT");
    QVERIFY(!desc.column_descriptions(2).has_decltype_()); // declared without a type
    QVERIFY(!desc.column_descriptions(3).has_decltype_()); // an expression
    QCOMPARE(desc.param_count(), 0u);

    // qsqld's workaround (spec 9.1, replrpc.cpp): param_names is 1-based, "" first and "" for anonymous ones.
    d = r.describe(newClientId(), "SELECT ?, :x", &raw);
    QVERIFY2(d, raw.describe().constData());
    QCOMPARE(d->description().param_count(), 2u);
    QStringList names;
    for (const std::string &n : d->description().param_names())
        names.append(QString::fromStdString(n));
    QCOMPARE(names, (QStringList{QString(), QString(), u":x"_s}));

    // A write describes without rows and without running.
    d = r.describe(newClientId(), "INSERT INTO t(v) VALUES (?);", &raw);
    QVERIFY2(d, raw.describe().constData());
    QCOMPARE(d->description().column_descriptions_size(), 0);
    QCOMPARE(d->description().param_count(), 1u);
    QCOMPARE(scalar(m_srv, ns, "SELECT count(*) FROM t"), "0"_ba);
}

void TestReplication::describeError()
{
    Replica r = replica(freshNs(m_srv));
    for (const QByteArray &bad : {"SELECT * FROM nosuch"_ba, "SELEC 1"_ba}) {
        GrpcReply raw;
        const auto d = r.describe(newClientId(), bad, &raw);
        QVERIFY2(!d, "Describe of invalid SQL succeeded");
        QCOMPARE(raw.http, 200);
        QVERIFY2(raw.status == 7, raw.describe().constData());
        QVERIFY(!raw.message.isEmpty());
    }
}

void TestReplication::disconnectRollsBack()
{
    const QByteArray ns = freshNs(m_srv);
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(m_srv, ns, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
    Replica r = replica(ns);
    const quint64 tip = r.hello()->current_replication_index();
    const QByteArray client = newClientId();
    auto res = r.execute(client, program("BEGIN IMMEDIATE"));
    QVERIFY(res);
    QCOMPARE(res->state(), proxy::TXN);
    res = r.execute(client, program("INSERT INTO t(v) VALUES ('uncommitted')"));
    QVERIFY(res);
    QCOMPARE(res->state(), proxy::TXN);

    const GrpcReply ack = r.disconnect(client);
    QCOMPARE(ack.status, 0);
    QCOMPARE(ack.messages.size(), 1);
    QVERIFY(ack.messages.front().isEmpty()); // Ack {}
    // Disconnecting an unknown client is fine too.
    QCOMPARE(r.disconnect(newClientId()).status, 0);

    // Another client writes at once (the lock is free) and the rolled-back row is absent.
    GrpcReply raw;
    res = r.execute(newClientId(), program("INSERT INTO t(v) VALUES ('later')"), &raw);
    QVERIFY2(res, raw.describe().constData());
    QVERIFY(res->results(0).has_row());
    QCOMPARE(res->state(), proxy::INIT);
    QCOMPARE(scalar(m_srv, ns, "SELECT group_concat(v) FROM t"), "later"_ba);
    const auto frames = r.allFrames(tip + 1);
    QVERIFY(frames);
    int commits = 0;
    for (const QByteArray &f : *frames)
        commits += FrameHeader::read(f.constData()).isCommit() ? 1 : 0;
    QCOMPARE(commits, 1);
    // The same client id starts a fresh connection afterwards, in autocommit mode.
    res = r.execute(client, program("SELECT count(*) FROM t"));
    QVERIFY(res);
    QCOMPARE(res->state(), proxy::INIT);
    QCOMPARE(res->results(0).row().rows(0).values(0).data(),
             qsqld::repl::encodeBincodeValue(Value::fromInteger(1)).toStdString());
}

QTEST_GUILESS_MAIN(TestReplication)
#include "tst_replication.moc"
