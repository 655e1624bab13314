// Turso Sync (spec/turso-sync.md sections 2, 4, 7 and Appendix B): the pull codec on its own (request decoding,
// RoaringBitmap selectors, header and page encoding), then POST /pull-updates against a live in-process server
// (bootstrap, incremental pulls, selectors, pinned revisions, refusals, long polls, shutdown), and the push safety
// rule of /v2/pipeline (a push batch with a failed step rolls back at its COMMIT).
//
// Requests are raw HTTP/1.1 over loopback, shaped like the SDK's (content-type application/protobuf). Pulled pages
// are written into files and opened with SQLite. Every wait spins the event loop, never a sleep.

#include "testserver.h"

#include "sync/pullupdates.h"

#include <csignal>
#include <functional>

#include <sqlite3.h>

#include <roaring/roaring.h>

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QUuid>
#include <QtEndian>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace qsqld::test;

namespace {

constexpr int TIMEOUT = 20000;
constexpr qsizetype PAGE = 4096;

// ---- protobuf helpers (the test's own, independent of the server's) ----

void putVarint(QByteArray &out, quint64 v)
{
    while (v >= 0x80) {
        out.append(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.append(static_cast<char>(v));
}

bool getVarint(const QByteArray &in, qsizetype &at, quint64 *out)
{
    quint64 v = 0;
    for (int shift = 0; shift < 64 && at < in.size(); shift += 7) {
        const auto byte = static_cast<quint8>(in[at++]);
        v |= static_cast<quint64>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

void putBytesField(QByteArray &out, int field, const QByteArray &bytes)
{
    putVarint(out, static_cast<quint64>(field) << 3 | 2);
    putVarint(out, static_cast<quint64>(bytes.size()));
    out.append(bytes);
}

void putVarintField(QByteArray &out, int field, quint64 v)
{
    putVarint(out, static_cast<quint64>(field) << 3);
    putVarint(out, v);
}

struct PullReq
{
    QByteArray serverRevision;
    QByteArray clientRevision;
    quint32 longPollMs = 0;
    QByteArray selector;
    quint32 encoding = 0;
    quint32 streamKind = 0;

    PullReq &at(const QByteArray &v) { serverRevision = v; return *this; }
    PullReq &since(const QByteArray &v) { clientRevision = v; return *this; }
    PullReq &poll(quint32 v) { longPollMs = v; return *this; }
    PullReq &select(const QByteArray &v) { selector = v; return *this; }
    PullReq &enc(quint32 v) { encoding = v; return *this; }
    PullReq &kind(quint32 v) { streamKind = v; return *this; }

    QByteArray encode() const
    {
        QByteArray out;
        if (encoding)
            putVarintField(out, 1, encoding);
        if (!serverRevision.isEmpty())
            putBytesField(out, 2, serverRevision);
        if (!clientRevision.isEmpty())
            putBytesField(out, 3, clientRevision);
        if (longPollMs)
            putVarintField(out, 4, longPollMs);
        if (!selector.isEmpty())
            putBytesField(out, 5, selector);
        if (streamKind)
            putVarintField(out, 8, streamKind);
        return out;
    }
};

// A decoded /pull-updates answer.
struct Pulled
{
    int status = 0;
    QByteArray contentType;
    QByteArray body;
    bool answered = false;
    bool wellFormed = false;
    QByteArray revision;
    quint64 dbSize = 0;
    bool rawEncoding = false;
    quint64 protocol = 0;
    QList<QPair<quint64, QByteArray>> pages; // page_id, encoded_page

    QList<quint64> ids() const
    {
        QList<quint64> out;
        for (const auto &p : pages)
            out.append(p.first);
        return out;
    }
    QByteArray describe() const
    {
        return "HTTP " + QByteArray::number(status) + " rev " + revision + " db_size " + QByteArray::number(dbSize)
            + " pages " + QByteArray::number(pages.size()) + " body " + (status == 200 ? QByteArray() : body.left(300));
    }
};

// varint(len) + message, repeatedly; false on any framing error.
bool splitMessages(const QByteArray &body, QList<QByteArray> *out)
{
    qsizetype at = 0;
    while (at < body.size()) {
        quint64 len = 0;
        if (!getVarint(body, at, &len) || len > static_cast<quint64>(body.size() - at))
            return false;
        out->append(body.sliced(at, static_cast<qsizetype>(len)));
        at += static_cast<qsizetype>(len);
    }
    return true;
}

// Calls `f(field, wireType, varint, bytes)` per field; false on malformed input.
template<typename F>
bool forEachField(const QByteArray &m, F f)
{
    qsizetype at = 0;
    while (at < m.size()) {
        quint64 key = 0, v = 0;
        if (!getVarint(m, at, &key))
            return false;
        QByteArray bytes;
        switch (key & 7) {
        case 0:
            if (!getVarint(m, at, &v))
                return false;
            break;
        case 2:
            if (!getVarint(m, at, &v) || v > static_cast<quint64>(m.size() - at))
                return false;
            bytes = m.sliced(at, static_cast<qsizetype>(v));
            at += static_cast<qsizetype>(v);
            break;
        default:
            return false;
        }
        f(key >> 3, key & 7, v, bytes);
    }
    return true;
}

Pulled parsePulled(const RawResponse &r)
{
    Pulled p;
    p.status = r.status;
    p.contentType = r.header("content-type");
    p.body = r.body;
    p.answered = r.status != 0;
    if (r.status != 200)
        return p;
    QList<QByteArray> messages;
    if (!splitMessages(r.body, &messages) || messages.isEmpty())
        return p;
    bool ok = forEachField(messages.front(), [&p](quint64 field, quint64, quint64 v, const QByteArray &bytes) {
        if (field == 1)
            p.revision = bytes;
        else if (field == 2)
            p.dbSize = v;
        else if (field == 3)
            p.rawEncoding = true;
        else if (field == 8)
            p.protocol = v;
    });
    for (qsizetype i = 1; ok && i < messages.size(); ++i) {
        quint64 id = 0;
        QByteArray page;
        ok = forEachField(messages[i], [&](quint64 field, quint64, quint64 v, const QByteArray &bytes) {
            if (field == 1)
                id = v;
            else if (field == 2)
                page = bytes;
        });
        p.pages.append({id, page});
    }
    p.wellFormed = ok;
    return p;
}

// ---- RoaringBitmap selectors built with CRoaring ----

QByteArray portable(roaring_bitmap_t *b, bool runOptimize = false)
{
    if (runOptimize)
        roaring_bitmap_run_optimize(b);
    QByteArray out(static_cast<qsizetype>(roaring_bitmap_portable_size_in_bytes(b)), Qt::Uninitialized);
    roaring_bitmap_portable_serialize(b, out.data());
    roaring_bitmap_free(b);
    return out;
}

QByteArray selectorOf(const QList<quint32> &ids, bool runOptimize = false)
{
    roaring_bitmap_t *b = roaring_bitmap_create();
    for (quint32 id : ids)
        roaring_bitmap_add(b, id);
    return portable(b, runOptimize);
}

quint32 cookieOf(const QByteArray &bitmap)
{
    return qFromLittleEndian<quint32>(bitmap.constData()) & 0xffff;
}

// ---- database images ----

// Writes `image` to a fresh file in `dir` and opens it with SQLite.
struct LocalDb
{
    sqlite3 *db = nullptr;
    QString path;
    LocalDb(const QTemporaryDir &dir, const QByteArray &image)
    {
        static int counter = 0;
        path = dir.path() + u"/copy"_s + QString::number(++counter) + u".db"_s;
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(image) != image.size())
            return;
        f.close();
        if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
            sqlite3_close(db);
            db = nullptr;
        }
    }
    ~LocalDb() { sqlite3_close(db); }
    LocalDb(const LocalDb &) = delete;
    LocalDb &operator=(const LocalDb &) = delete;

    // Rows as "a|b|c" (NULL as "NULL"), or one "error: ..." line.
    QStringList rows(const QByteArray &sql) const
    {
        QStringList out;
        if (!db)
            return {u"error: not open"_s};
        sqlite3_stmt *st = nullptr;
        if (sqlite3_prepare_v2(db, sql.constData(), -1, &st, nullptr) != SQLITE_OK)
            return {u"error: "_s + QString::fromUtf8(sqlite3_errmsg(db))};
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            QStringList cols;
            for (int i = 0; i < sqlite3_column_count(st); ++i) {
                const auto *text = sqlite3_column_text(st, i);
                cols.append(text ? QString::fromUtf8(reinterpret_cast<const char *>(text)) : u"NULL"_s);
            }
            out.append(cols.join(u'|'));
        }
        if (rc != SQLITE_DONE)
            out.append(u"error: "_s + QString::fromUtf8(sqlite3_errmsg(db)));
        sqlite3_finalize(st);
        return out;
    }
};

// Applies a pull to an image the way the client does: size it to db_size pages, write each page at its offset.
bool applyPull(QByteArray &image, const Pulled &p)
{
    image.resize(static_cast<qsizetype>(p.dbSize) * PAGE, '\0');
    for (const auto &[id, bytes] : p.pages) {
        if (bytes.size() != PAGE || id >= p.dbSize)
            return false;
        image.replace(static_cast<qsizetype>(id) * PAGE, PAGE, bytes);
    }
    return true;
}

// The JSON value of a Hrana cell as text (matches LocalDb::rows for integers and text).
QString cellText(const QJsonValue &cell)
{
    const QJsonObject o = cell.toObject();
    if (o[u"type"_s].toString() == u"null"_s)
        return u"NULL"_s;
    const QJsonValue v = o[u"value"_s];
    return v.isString() ? v.toString() : QString::number(v.toDouble());
}

QJsonObject notAutocommit()
{
    return QJsonObject{{u"type"_s, u"not"_s}, {u"cond"_s, QJsonObject{{u"type"_s, u"is_autocommit"_s}}}};
}

// A Hrana batch body: each step's SQL, with the `not is_autocommit` condition on every step but the first (the
// shape of the SDK's push).
QByteArray pushBody(const QList<QByteArray> &steps, bool conditions = true)
{
    QJsonArray jsonSteps;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        QJsonObject step{{u"stmt"_s, QJsonObject{{u"sql"_s, QString::fromUtf8(steps[i])}, {u"want_rows"_s, false}}}};
        if (conditions && i > 0)
            step[u"condition"_s] = notAutocommit();
        jsonSteps.append(step);
    }
    const QJsonObject batch{{u"steps"_s, jsonSteps}};
    const QJsonObject body{{u"baton"_s, QJsonValue::Null},
                           {u"requests"_s, QJsonArray{QJsonObject{{u"type"_s, u"batch"_s}, {u"batch"_s, batch}}}}};
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

const QByteArray SYNC_TABLE = "CREATE TABLE IF NOT EXISTS turso_sync_last_change_id (client_id TEXT PRIMARY KEY, "
                              "pull_gen INTEGER, change_id INTEGER)";

QByteArray ackUpsert(int changeId)
{
    return "INSERT INTO turso_sync_last_change_id(client_id, pull_gen, change_id) VALUES ('phoneA', 1, "
        + QByteArray::number(changeId)
        + ") ON CONFLICT(client_id) DO UPDATE SET pull_gen = excluded.pull_gen, change_id = excluded.change_id";
}

// Runs `check` in a child process, so memory corruption in it cannot take the suite down. The child's exit code
// (0 = passed) or the signal that killed it, as text.
QByteArray inChild(const std::function<bool()> &check)
{
    const pid_t pid = fork();
    if (pid == 0) {
        // Die plainly: no QTest crash handler (it would attach a debugger) and no core file.
        for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE})
            signal(sig, SIG_DFL);
        const rlimit noCore{0, 0};
        setrlimit(RLIMIT_CORE, &noCore);
        _exit(check() ? 0 : 1);
    }
    if (pid < 0)
        return "fork failed";
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return "waitpid failed";
    if (WIFSIGNALED(status))
        return "killed by signal " + QByteArray::number(WTERMSIG(status));
    return WEXITSTATUS(status) == 0 ? QByteArray("ok") : "exit " + QByteArray::number(WEXITSTATUS(status));
}

} // namespace

class TestSyncPull : public QObject
{
    Q_OBJECT

    TestServer m_srv;
    QTemporaryDir m_tmp;
    int m_nsCounter = 0;

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
    QByteArray freshNs(TestServer &srv)
    {
        const QByteArray ns = "sync" + QByteArray::number(++m_nsCounter);
        return createNs(srv, ns) ? ns : QByteArray();
    }
    QByteArray freshNs() { return freshNs(m_srv); }

    static QByteArray pullRequest(const QByteArray &ns, const QByteArray &body, const QByteArray &path = "/pull-updates")
    {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/protobuf\r\n"
               "accept-encoding: application/protobuf\r\nuser-agent: node\r\n"
            + (ns.isEmpty() ? QByteArray() : "x-namespace: " + ns + "\r\n")
            + "content-length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    }
    static Pulled pull(const TestServer &srv, const QByteArray &ns, const PullReq &req = {})
    {
        return parsePulled(rawRequest(srv.port(), pullRequest(ns, req.encode())));
    }
    Pulled pull(const QByteArray &ns, const PullReq &req = {}) const { return pull(m_srv, ns, req); }

    // One /v2/pipeline request; its first result.
    static QJsonObject pipeline(const TestServer &srv, const QByteArray &ns, const QByteArray &body, int *status = nullptr)
    {
        const RawResponse r = rawRequest(srv.port(), post("/v2/pipeline", body, "x-namespace: " + ns + "\r\n"));
        if (status)
            *status = r.status;
        return QJsonDocument::fromJson(r.body).object()[u"results"_s].toArray().at(0).toObject();
    }
    // A statement's rows as "a|b" lines, or one "error: ..." line.
    static QStringList rows(const TestServer &srv, const QByteArray &ns, const QByteArray &sql)
    {
        const QJsonObject result = pipeline(srv, ns, executeBody(sql));
        if (result[u"type"_s].toString() != u"ok"_s)
            return {u"error: "_s + result[u"error"_s][u"message"_s].toString()};
        QStringList out;
        for (const QJsonValue &row : result[u"response"_s][u"result"_s][u"rows"_s].toArray()) {
            QStringList cols;
            for (const QJsonValue &cell : row.toArray())
                cols.append(cellText(cell));
            out.append(cols.join(u'|'));
        }
        return out;
    }
    QStringList rows(const QByteArray &ns, const QByteArray &sql) const { return rows(m_srv, ns, sql); }
    static bool exec(const TestServer &srv, const QByteArray &ns, const QByteArray &sql)
    {
        const QStringList r = rows(srv, ns, sql);
        if (!r.isEmpty() && r.front().startsWith(u"error: "_s)) {
            qWarning() << sql << "failed:" << r.front();
            return false;
        }
        return true;
    }
    bool exec(const QByteArray &ns, const QByteArray &sql) const { return exec(m_srv, ns, sql); }
    // A push-style batch; its batch result ({step_results, step_errors}) or an empty object.
    QJsonObject batch(const QByteArray &ns, const QList<QByteArray> &steps, bool conditions = true) const
    {
        int status = 0;
        const QJsonObject r = pipeline(m_srv, ns, pushBody(steps, conditions), &status);
        if (status != 200 || r[u"type"_s].toString() != u"ok"_s)
            qWarning() << "batch failed:" << status << r;
        return r[u"response"_s][u"result"_s].toObject();
    }

    // A namespace with a table `items` of 300 rows (several pages).
    QByteArray populatedNs()
    {
        const QByteArray ns = freshNs();
        if (ns.isEmpty()
            || !exec(ns, "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER)")
            || !exec(ns, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300) "
                         "INSERT INTO items SELECT x, printf('item-%04d-%s', x, hex(zeroblob(40))), x FROM c"))
            return {};
        return ns;
    }
    static void stopServer(TestServer &srv)
    {
        if (!srv.runtime)
            return;
        QSignalSpy stopped(srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
        srv.runtime->stop();
        QVERIFY(stopped.count() > 0 || stopped.wait(30000));
    }
    // Checks an image against the server: opens, passes integrity_check, same rows in `items`.
    void verifyImage(const QByteArray &ns, const QByteArray &image)
    {
        LocalDb local(m_tmp, image);
        QVERIFY2(local.db, "the pulled pages do not open as a database");
        QCOMPARE(local.rows("PRAGMA integrity_check"), QStringList{u"ok"_s});
        const QByteArray sql = "SELECT id, name, qty FROM items ORDER BY id";
        const QStringList server = rows(ns, sql);
        QVERIFY(!server.isEmpty());
        QCOMPARE(local.rows(sql), server);
    }

private slots:
    void initTestCase();
    void cleanupTestCase();

    // codec, no server
    void decodeRequest_data();
    void decodeRequest();
    void decodeRequestRefused_data();
    void decodeRequestRefused();
    void chunkedBootstrapBody();
    void decodeSelector_data();
    void decodeSelector();
    void decodeSelectorRefused_data();
    void decodeSelectorRefused();
    void selectorCardinalityLie();
    void selectorCardinalityOverstated();
    void encodeHeader();
    void encodePage();

    // pulls against a live server
    void bootstrap();
    void incremental();
    void upToDate();
    void foreignRevision_data();
    void foreignRevision();
    void shrinkAfterVacuum();
    void selector();
    void selectorBeyondDbSize();
    void pinnedRevision();
    void pinnedRevisionRefused_data();
    void pinnedRevisionRefused();
    void refusals_data();
    void refusals();
    void namespaceForms();
    void corsPreflight();

    // long polls
    void longPollWakesOnWrite();
    void longPollTimeout();
    void longPollBehindAnswersAtOnce();
    void longPollIgnoresOtherNamespaces();
    void longPollClientDisconnects();
    void stopDuringLongPoll();

    // push safety
    void pushWithFailedStepRollsBack();
    void pushWithoutFailureCommits();
    void pushToleratesDuplicateColumn();
    void ordinaryBatchKeepsHranaSemantics();
};

void TestSyncPull::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    QVERIFY(m_srv.start());
}

void TestSyncPull::cleanupTestCase()
{
    stopServer(m_srv);
}

// ---- codec ------------------------------------------------------------------------------------------------

void TestSyncPull::decodeRequest_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("serverRevision");
    QTest::addColumn<QByteArray>("clientRevision");
    QTest::addColumn<quint32>("longPollMs");
    QTest::addColumn<QByteArray>("selector");
    QTest::addColumn<quint32>("encoding");
    QTest::addColumn<quint32>("streamKind");

    // Appendix B
    QTest::addRow("bootstrap, empty body") << QByteArray() << QByteArray() << QByteArray() << 0u << QByteArray() << 0u << 0u;
    QTest::addRow("incremental r2") << QByteArray::fromHex("1a027232") << QByteArray() << "r2"_ba << 0u << QByteArray()
                                    << 0u << 0u;
    QTest::addRow("long poll r9 1500") << QByteArray::fromHex("1a02723920dc0b") << QByteArray() << "r9"_ba << 1500u
                                       << QByteArray() << 0u << 0u;
    // Every known field, with explicit zero-valued enums too (the prototype sent them, prost accepts them).
    QTest::addRow("all fields") << QByteArray::fromHex("0801120273311a027332200a2a03abcdef4001") << "s1"_ba << "s2"_ba
                                << 10u << QByteArray::fromHex("abcdef") << 1u << 1u;
    QTest::addRow("explicit zeros") << QByteArray::fromHex("080020004000") << QByteArray() << QByteArray() << 0u
                                    << QByteArray() << 0u << 0u;
    // Unknown fields of every wire type the decoder meets in proto3, around the known ones; the known-but-ignored
    // client_pages (6) and server_query_selector (7) too.
    const QByteArray unknown = QByteArray::fromHex("489601")   // 9: varint 150
        + QByteArray::fromHex("510102030405060708")             // 10: fixed64
        + QByteArray::fromHex("1a027239")                       // 3: client_revision "r9"
        + QByteArray::fromHex("5d01020304")                     // 11: fixed32
        + QByteArray::fromHex("6203616263")                     // 12: bytes "abc"
        + QByteArray::fromHex("3203010203")                     // 6: client_pages (ignored)
        + QByteArray::fromHex("3a0853454c4543542031")           // 7: server_query_selector "SELECT 1" (ignored)
        + QByteArray::fromHex("20e807")                         // 4: long_poll_timeout_ms 1000
        + QByteArray::fromHex("f8ffffff0f01");                  // 536870911: varint 1
    QTest::addRow("unknown fields skipped") << unknown << QByteArray() << "r9"_ba << 1000u << QByteArray() << 0u << 0u;
    QTest::addRow("last value wins") << QByteArray::fromHex("1a0272311a027232") << QByteArray() << "r2"_ba << 0u
                                     << QByteArray() << 0u << 0u;
}

void TestSyncPull::decodeRequest()
{
    QFETCH(QByteArray, body);
    QByteArray error;
    const auto r = qsqld::sync::decodePullRequest(body, &error);
    QVERIFY2(r, error.constData());
    QTEST(r->serverRevision, "serverRevision");
    QTEST(r->clientRevision, "clientRevision");
    QTEST(r->longPollMs, "longPollMs");
    QTEST(r->pagesSelector, "selector");
    QTEST(r->encoding, "encoding");
    QTEST(r->streamKind, "streamKind");
}

void TestSyncPull::decodeRequestRefused_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addRow("truncated key") << QByteArray::fromHex("80");
    QTest::addRow("truncated varint value") << QByteArray::fromHex("20");
    QTest::addRow("varint value cut mid-way") << QByteArray::fromHex("20dc");
    QTest::addRow("varint longer than 10 bytes") << QByteArray::fromHex("20ffffffffffffffffffff01");
    QTest::addRow("bytes longer than the body") << QByteArray::fromHex("1a057232");
    QTest::addRow("bytes without length") << QByteArray::fromHex("1a");
    QTest::addRow("huge bytes length") << QByteArray::fromHex("1affffffffffffffff7f7232");
    QTest::addRow("truncated fixed32") << QByteArray::fromHex("5d0102");
    QTest::addRow("truncated fixed64") << QByteArray::fromHex("51010203040506");
    QTest::addRow("wire type 6") << QByteArray::fromHex("0e00");
    QTest::addRow("wire type 7") << QByteArray::fromHex("0f00");
    QTest::addRow("text") << "hello, this is not protobuf"_ba;
    QTest::addRow("valid then garbage") << QByteArray::fromHex("1a027239ff");
}

void TestSyncPull::decodeRequestRefused()
{
    QFETCH(QByteArray, body);
    QByteArray error;
    const auto r = qsqld::sync::decodePullRequest(body, &error);
    QVERIFY(!r);
    QVERIFY(!error.isEmpty());
}

// The bodies of a chunked bootstrap (Appendix A #10): the selector is a run container.
void TestSyncPull::chunkedBootstrapBody()
{
    QByteArray error;
    const auto second = qsqld::sync::decodePullRequest(
        QByteArray::fromHex("120272392a0f3b3000000100000300010004000300"), &error);
    QVERIFY2(second, error.constData());
    QCOMPARE(second->serverRevision, "r9"_ba);
    QVERIFY(second->clientRevision.isEmpty());
    QCOMPARE(second->pagesSelector.size(), 15);
    auto ids = qsqld::sync::decodeSelector(second->pagesSelector, &error);
    QVERIFY2(ids, error.constData());
    QCOMPARE(*ids, (std::vector<quint32>{4, 5, 6, 7}));

    const auto first = qsqld::sync::decodePullRequest(QByteArray::fromHex("2a0f3b3000000100000300010000000300"), &error);
    QVERIFY2(first, error.constData());
    QVERIFY(first->serverRevision.isEmpty());
    ids = qsqld::sync::decodeSelector(first->pagesSelector, &error);
    QVERIFY2(ids, error.constData());
    QCOMPARE(*ids, (std::vector<quint32>{0, 1, 2, 3}));

    // The last chunk: an array container {32}, cookie 12346 with offsets.
    const auto last = qsqld::sync::decodePullRequest(
        QByteArray::fromHex("120272392a123a3000000100000000000000100000002000"), &error);
    QVERIFY2(last, error.constData());
    ids = qsqld::sync::decodeSelector(last->pagesSelector, &error);
    QVERIFY2(ids, error.constData());
    QCOMPARE(*ids, (std::vector<quint32>{32}));
}

void TestSyncPull::decodeSelector_data()
{
    QTest::addColumn<QByteArray>("bitmap");
    QTest::addColumn<quint32>("cookie");
    QTest::addColumn<QList<quint32>>("expected");

    const QList<quint32> small{0, 2, 5, 4095};
    QTest::addRow("array container") << selectorOf(small) << 12346u << small;
    QTest::addRow("single page 0") << selectorOf({0}) << 12346u << QList<quint32>{0};

    // Several containers (keys 0, 1 and 3): values are (key << 16) | low.
    const QList<quint32> keys{7, 65536, 65537, 3u << 16 | 9};
    QTest::addRow("several containers") << selectorOf(keys) << 12346u << keys;

    // More than 4096 values in one container: a bitmap container.
    QList<quint32> even;
    for (quint32 i = 0; i < 20000; i += 2)
        even.append(i);
    QTest::addRow("bitmap container") << selectorOf(even) << 12346u << even;

    // Ranges after run_optimize: run containers (cookie 12347), with and without the offsets (count >= 4).
    QList<quint32> range;
    for (quint32 i = 100; i < 1100; ++i)
        range.append(i);
    QTest::addRow("run container") << selectorOf(range, true) << 12347u << range;

    QList<quint32> mixed = range;  // key 0: run
    mixed += keys.mid(1, 2);       // key 1: array {0, 1}... a run after optimisation? two values: stays array
    for (quint32 i = 0; i < 20000; i += 2)
        mixed.append(2u << 16 | i); // key 2: bitmap
    mixed.append(3u << 16 | 9);     // key 3: array
    for (quint32 i = 0; i < 5000; ++i)
        mixed.append(4u << 16 | i); // key 4: run
    std::sort(mixed.begin(), mixed.end());
    QTest::addRow("mixed containers, offsets") << selectorOf(mixed, true) << 12347u << mixed;
}

void TestSyncPull::decodeSelector()
{
    QFETCH(QByteArray, bitmap);
    QFETCH(QList<quint32>, expected);
    QTEST(cookieOf(bitmap), "cookie"); // the case really exercises that serialisation variant
    QByteArray error;
    const auto ids = qsqld::sync::decodeSelector(bitmap, &error);
    QVERIFY2(ids, error.constData());
    QCOMPARE(QList<quint32>(ids->begin(), ids->end()), expected);
}

void TestSyncPull::decodeSelectorRefused_data()
{
    QTest::addColumn<QByteArray>("bitmap");
    const QByteArray valid = selectorOf({1, 2, 3, 70000});
    const QByteArray run = QByteArray::fromHex("3b3000000100000300010004000300");
    QTest::addRow("garbage") << "not a bitmap at all"_ba;
    QTest::addRow("wrong cookie") << QByteArray::fromHex("39300000010000000000000010000000");
    QTest::addRow("truncated cookie") << QByteArray::fromHex("3a30");
    QTest::addRow("truncated array") << valid.left(valid.size() - 1);
    QTest::addRow("trailing byte") << valid + '\0';
    QTest::addRow("trailing bytes after a run container") << run + "\x01\x02"_ba;
    QTest::addRow("truncated run container") << run.left(run.size() - 2);
    QTest::addRow("container count without containers") << QByteArray::fromHex("3a30000005000000");
}

void TestSyncPull::decodeSelectorRefused()
{
    QFETCH(QByteArray, bitmap);
    QByteArray error;
    const auto ids = qsqld::sync::decodeSelector(bitmap, &error);
    QVERIFY2(!ids, ids ? QByteArray::number(ids->size()).constData() : "");
    QVERIFY(!error.isEmpty());
}

// A bitmap container whose declared cardinality (4097) is smaller than the bits it holds (all 65536): the
// selector comes from the network, so it must be refused or decoded to the bits it really holds, never written
// past the end of the id array. Run in a child process: a heap overflow there cannot corrupt this suite.
void TestSyncPull::selectorCardinalityLie()
{
    QByteArray bitmap;
    bitmap += QByteArray::fromHex("3a300000" "01000000" "0000" "0010" "10000000"); // 1 container, card-1 4096
    bitmap += QByteArray(8192, '\xff');
    const QByteArray outcome = inChild([bitmap] {
        QByteArray error;
        const auto ids = qsqld::sync::decodeSelector(bitmap, &error);
        if (!ids)
            return true; // refused
        if (ids->size() != 65536)
            return false;
        for (quint32 i = 0; i < 65536; ++i) {
            if ((*ids)[i] != i)
                return false;
        }
        return true;
    });
    QVERIFY2(outcome == "ok", QByteArray("decodeSelector on a bitmap container with a false cardinality: " + outcome).constData());
}

// The other way round: a bitmap container that declares 4097 values but holds none. Decoding must not invent
// ids (4097 copies of page 0 would turn an 8 KiB request into a 16 MiB answer).
void TestSyncPull::selectorCardinalityOverstated()
{
    QByteArray bitmap;
    bitmap += QByteArray::fromHex("3a300000" "01000000" "0000" "0010" "10000000");
    bitmap += QByteArray(8192, '\0');
    QByteArray error;
    const auto ids = qsqld::sync::decodeSelector(bitmap, &error);
    QVERIFY2(!ids || ids->empty(), QByteArray("decoded " + QByteArray::number(ids ? ids->size() : 0) + " ids, the first "
                                              + QByteArray::number(ids && !ids->empty() ? ids->front() : 0)).constData());
}

void TestSyncPull::encodeHeader()
{
    // Appendix B: revision "r2", db_size 4, an empty raw_encoding, protocol 1.
    QCOMPARE(qsqld::sync::encodeHeader("r2", 4).toHex(' '), "0a 0a 02 72 32 10 04 1a 00 40 01"_ba);
    // db_size as a multi-byte varint; raw_encoding present either way.
    const QByteArray big = qsqld::sync::encodeHeader("r2", 300);
    QCOMPARE(big.toHex(' '), "0b 0a 02 72 32 10 ac 02 1a 00 40 01"_ba);
    // A long revision: its length is a varint too, and so is the header's.
    const QByteArray rev(200, 'x');
    const QByteArray longRev = qsqld::sync::encodeHeader(rev, 1);
    QByteArray expected = QByteArray::fromHex("0ac801") + rev + QByteArray::fromHex("10011a004001");
    QByteArray framed;
    putVarint(framed, static_cast<quint64>(expected.size()));
    QCOMPARE(longRev.toHex(), QByteArray(framed + expected).toHex());
}

void TestSyncPull::encodePage()
{
    QByteArray page(PAGE, '\0');
    page.replace(0, 16, "SQLite format 3\0"_ba);
    page[4095] = '\x7e';

    // Page 0: page_id omitted (proto3 default): message 12 80 20 + page, 4099 bytes (83 20). Appendix B's example,
    // 85 20 | 08 00 | 12 80 20, is the prototype's explicit page_id 0 (4101 bytes); both decode the same.
    const QByteArray p0 = qsqld::sync::encodePage(0, page.constData());
    QCOMPARE(p0.size(), 2 + 4099);
    QCOMPARE(p0.left(5).toHex(' '), "83 20 12 80 20"_ba);
    QCOMPARE(p0.mid(5), page);

    // Page 5: page_id present, message length 4101 (85 20).
    const QByteArray p5 = qsqld::sync::encodePage(5, page.constData());
    QCOMPARE(p5.size(), 2 + 4101);
    QCOMPARE(p5.left(7).toHex(' '), "85 20 08 05 12 80 20"_ba);
    QCOMPARE(p5.mid(7), page);

    // Page 300: a two-byte page id, message length 4102 (86 20).
    const QByteArray p300 = qsqld::sync::encodePage(300, page.constData());
    QCOMPARE(p300.size(), 2 + 4102);
    QCOMPARE(p300.left(8).toHex(' '), "86 20 08 ac 02 12 80 20"_ba);
    QCOMPARE(p300.mid(8), page);

    // Appendix B's explicit page_id 0 parses like the omitted one in the test's decoder.
    const QByteArray appendix = QByteArray::fromHex("8520080012" "8020") + page;
    QList<QByteArray> split;
    QVERIFY(splitMessages(appendix, &split));
    QCOMPARE(split.size(), 1);
    QCOMPARE(split.front().size(), 4101);

    // Round trip through the test's decoder.
    RawResponse r;
    r.status = 200;
    r.body = qsqld::sync::encodeHeader("r2", 301) + p0 + p5 + p300;
    const Pulled parsed = parsePulled(r);
    QVERIFY(parsed.wellFormed);
    QCOMPARE(parsed.revision, "r2"_ba);
    QCOMPARE(parsed.dbSize, 301u);
    QCOMPARE(parsed.ids(), (QList<quint64>{0, 5, 300}));
}

// ---- pulls --------------------------------------------------------------------------------------------------

void TestSyncPull::bootstrap()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled p = pull(ns);
    QVERIFY2(p.status == 200, p.describe().constData());
    QCOMPARE(p.contentType, "application/protobuf"_ba);
    QVERIFY(p.wellFormed);
    QVERIFY(p.rawEncoding);
    QCOMPARE(p.protocol, 1u);

    // "<32 hex>.<number>"
    static const QRegularExpression revisionShape(u"^[0-9a-f]{32}\\.[0-9]+$"_s);
    QVERIFY2(revisionShape.match(QString::fromLatin1(p.revision)).hasMatch(), p.revision.constData());

    const QStringList pageCount = rows(ns, "PRAGMA page_count");
    QCOMPARE(pageCount.size(), 1);
    QCOMPARE(p.dbSize, pageCount.front().toULongLong());
    QVERIFY(p.dbSize > 5);
    QCOMPARE(static_cast<quint64>(p.pages.size()), p.dbSize);
    QList<quint64> expectedIds;
    for (quint64 i = 0; i < p.dbSize; ++i)
        expectedIds.append(i);
    QList<quint64> ids = p.ids();
    std::sort(ids.begin(), ids.end()); // order does not matter (section 4.3)
    QCOMPARE(ids, expectedIds);
    for (const auto &page : p.pages)
        QCOMPARE(page.second.size(), PAGE);

    QByteArray image;
    QVERIFY(applyPull(image, p));
    // Page 1 is a database header: page size 4096, WAL (bytes 18/19 = 2/2).
    QVERIFY(image.startsWith("SQLite format 3\0"_ba));
    QCOMPARE(qFromBigEndian<quint16>(image.constData() + 16), 4096);
    QCOMPARE(image[18], '\x02');
    QCOMPARE(image[19], '\x02');
    verifyImage(ns, image);

    // Pulling again without a revision gives the same snapshot.
    const Pulled again = pull(ns);
    QCOMPARE(again.revision, p.revision);
    QByteArray image2;
    QVERIFY(applyPull(image2, again));
    QCOMPARE(image2, image);
}

void TestSyncPull::incremental()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY2(boot.status == 200 && boot.wellFormed, boot.describe().constData());
    QByteArray image;
    QVERIFY(applyPull(image, boot));

    QVERIFY(exec(ns, "UPDATE items SET qty = qty + 1000 WHERE id = 150"));
    const Pulled inc = pull(ns, PullReq().since(boot.revision));
    QVERIFY2(inc.status == 200 && inc.wellFormed, inc.describe().constData());
    QVERIFY(inc.revision != boot.revision);
    QCOMPARE(inc.dbSize, boot.dbSize);
    QVERIFY2(!inc.pages.isEmpty() && inc.pages.size() <= 3, inc.describe().constData());
    QVERIFY(static_cast<quint64>(inc.pages.size()) < inc.dbSize);
    for (const auto &[id, bytes] : inc.pages) {
        QVERIFY(id < boot.dbSize);
        QVERIFY2(bytes != image.mid(static_cast<qsizetype>(id) * PAGE, PAGE),
                 QByteArray("page " + QByteArray::number(id) + " came back unchanged").constData());
    }
    QVERIFY(applyPull(image, inc));
    verifyImage(ns, image);
    QCOMPARE(LocalDb(m_tmp, image).rows("SELECT qty FROM items WHERE id = 150"), QStringList{u"1150"_s});

    // Byte for byte what a fresh bootstrap gives.
    const Pulled fresh = pull(ns);
    QCOMPARE(fresh.revision, inc.revision);
    QByteArray freshImage;
    QVERIFY(applyPull(freshImage, fresh));
    QCOMPARE(image, freshImage);

    // Two writes later, from the bootstrap revision: the union of both changes.
    QVERIFY(exec(ns, "UPDATE items SET qty = -1 WHERE id = 1"));
    QVERIFY(exec(ns, "INSERT INTO items VALUES (301, 'new', 301)"));
    const Pulled two = pull(ns, PullReq().since(inc.revision));
    QVERIFY2(two.status == 200 && !two.pages.isEmpty(), two.describe().constData());
    QVERIFY(applyPull(image, two));
    verifyImage(ns, image);
}

void TestSyncPull::upToDate()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    const Pulled none = pull(ns, PullReq().since(boot.revision));
    QVERIFY2(none.status == 200 && none.wellFormed, none.describe().constData());
    QCOMPARE(none.revision, boot.revision);
    QCOMPARE(none.dbSize, boot.dbSize);
    QVERIFY(none.pages.isEmpty());
    QVERIFY(none.rawEncoding);
    // A read does not move the revision.
    QCOMPARE(rows(ns, "SELECT count(*) FROM items"), QStringList{u"300"_s});
    QCOMPARE(pull(ns, PullReq().since(boot.revision)).pages.size(), 0);
}

void TestSyncPull::foreignRevision_data()
{
    QTest::addColumn<QByteArray>("kind");
    QTest::addRow("reference-server style") << "abc.5"_ba;
    QTest::addRow("another log id") << "otherid"_ba;
    QTest::addRow("garbage") << "\x01garbage\xff"_ba;
    QTest::addRow("no frame number") << "nofame"_ba;
    QTest::addRow("non-numeric frame") << "badframe"_ba;
    QTest::addRow("future frame") << "future"_ba;
    QTest::addRow("negative frame") << "negative"_ba;
}

// A revision the server cannot place gets every page, which the client applies safely (section 4.3.2).
void TestSyncPull::foreignRevision()
{
    QFETCH(QByteArray, kind);
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    const QByteArray logId = boot.revision.left(boot.revision.indexOf('.'));
    const quint64 frame = boot.revision.mid(boot.revision.indexOf('.') + 1).toULongLong();
    QByteArray rev = kind;
    if (kind == "otherid")
        rev = QUuid::createUuid().toByteArray(QUuid::Id128) + '.' + QByteArray::number(frame);
    else if (kind == "nofame")
        rev = logId + '.';
    else if (kind == "badframe")
        rev = logId + ".12x";
    else if (kind == "future")
        rev = logId + '.' + QByteArray::number(frame + 1000);
    else if (kind == "negative")
        rev = logId + ".-1";
    QVERIFY(rev != boot.revision);

    const Pulled p = pull(ns, PullReq().since(rev));
    QVERIFY2(p.status == 200 && p.wellFormed, p.describe().constData());
    QCOMPARE(p.revision, boot.revision);
    QCOMPARE(static_cast<quint64>(p.pages.size()), p.dbSize);
    QByteArray image;
    QVERIFY(applyPull(image, p));
    verifyImage(ns, image);
}

// DROP TABLE + VACUUM shrinks the file: db_size drops and the pages that remain come back.
void TestSyncPull::shrinkAfterVacuum()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(ns, "CREATE TABLE small(k INTEGER PRIMARY KEY, v TEXT)"));
    QVERIFY(exec(ns, "INSERT INTO small VALUES (1, 'kept')"));
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    QByteArray image;
    QVERIFY(applyPull(image, boot));

    QVERIFY(exec(ns, "DROP TABLE items"));
    QVERIFY(exec(ns, "VACUUM"));
    const Pulled inc = pull(ns, PullReq().since(boot.revision));
    QVERIFY2(inc.status == 200 && inc.wellFormed, inc.describe().constData());
    QVERIFY2(inc.dbSize < boot.dbSize, inc.describe().constData());
    QCOMPARE(inc.dbSize, rows(ns, "PRAGMA page_count").value(0).toULongLong());
    for (const auto &page : inc.pages)
        QVERIFY(page.first < inc.dbSize);
    QVERIFY(applyPull(image, inc));
    LocalDb local(m_tmp, image);
    QVERIFY(local.db);
    QCOMPARE(local.rows("PRAGMA integrity_check"), QStringList{u"ok"_s});
    QCOMPARE(local.rows("SELECT k, v FROM small"), QStringList{u"1|kept"_s});
    QCOMPARE(local.rows("SELECT count(*) FROM sqlite_master WHERE name = 'items'"), QStringList{u"0"_s});
    QByteArray freshImage;
    QVERIFY(applyPull(freshImage, pull(ns)));
    QCOMPARE(image, freshImage);
}

void TestSyncPull::selector()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    QByteArray image;
    QVERIFY(applyPull(image, boot));

    for (bool runs : {false, true}) {
        const Pulled p = pull(ns, PullReq().select(selectorOf({0, 2}, runs)));
        QVERIFY2(p.status == 200 && p.wellFormed, p.describe().constData());
        QCOMPARE(p.revision, boot.revision);
        QCOMPARE(p.dbSize, boot.dbSize);
        QCOMPARE(p.ids(), (QList<quint64>{0, 2}));
        for (const auto &[id, bytes] : p.pages)
            QCOMPARE(bytes, image.mid(static_cast<qsizetype>(id) * PAGE, PAGE));
    }
    // A run-container range, as the chunked bootstrap sends it: pages [1, 5).
    const QByteArray range = selectorOf({1, 2, 3, 4}, true);
    QCOMPARE(cookieOf(range), 12347u);
    const Pulled r = pull(ns, PullReq().select(range));
    QCOMPARE(r.ids(), (QList<quint64>{1, 2, 3, 4}));

    // A selector with a client revision: only selected pages that changed.
    QVERIFY(exec(ns, "UPDATE items SET qty = 0 WHERE id = 300"));
    const Pulled changed = pull(ns, PullReq().since(boot.revision));
    QVERIFY(!changed.pages.isEmpty());
    const quint32 changedId = static_cast<quint32>(changed.pages.front().first);
    const Pulled both = pull(ns, PullReq().since(boot.revision).select(selectorOf({changedId, 0, 1, 2})));
    QVERIFY2(both.status == 200, both.describe().constData());
    for (quint64 id : both.ids())
        QVERIFY(changed.ids().contains(id));
    QVERIFY(both.ids().contains(changedId));
}

void TestSyncPull::selectorBeyondDbSize()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    const auto size = static_cast<quint32>(boot.dbSize);
    const Pulled p = pull(ns, PullReq().select(selectorOf({0, 2, size, size + 5, 70000, 0xfffffff0u})));
    QVERIFY2(p.status == 200 && p.wellFormed, p.describe().constData());
    QCOMPARE(p.ids(), (QList<quint64>{0, 2}));
    QCOMPARE(p.dbSize, boot.dbSize);
    // Only ids beyond the end: a header and no pages.
    const Pulled none = pull(ns, PullReq().select(selectorOf({size + 1}, true)));
    QVERIFY2(none.status == 200 && none.wellFormed, none.describe().constData());
    QVERIFY(none.pages.isEmpty());
}

void TestSyncPull::pinnedRevision()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    QByteArray image;
    QVERIFY(applyPull(image, boot));

    // Pinned to the latest revision: served, and the header names the pinned revision.
    const Pulled latest = pull(ns, PullReq().at(boot.revision).select(selectorOf({0, 1, 2, 3}, true)));
    QVERIFY2(latest.status == 200 && latest.wellFormed, latest.describe().constData());
    QCOMPARE(latest.revision, boot.revision);
    QCOMPARE(latest.dbSize, boot.dbSize);
    QCOMPARE(latest.ids(), (QList<quint64>{0, 1, 2, 3}));
    for (const auto &[id, bytes] : latest.pages)
        QCOMPARE(bytes, image.mid(static_cast<qsizetype>(id) * PAGE, PAGE));

    // A write changes some pages; the chunked bootstrap goes on at the old revision.
    QVERIFY(exec(ns, "UPDATE items SET qty = 0 WHERE id = 150"));
    const Pulled changed = pull(ns, PullReq().since(boot.revision));
    QVERIFY(!changed.pages.isEmpty());
    QList<quint32> unchangedIds;
    for (quint32 i = 0; i < boot.dbSize; ++i) {
        if (!changed.ids().contains(i))
            unchangedIds.append(i);
    }
    QVERIFY(!unchangedIds.isEmpty());

    // Pages that did not change since the pinned revision: served as of it.
    const Pulled still = pull(ns, PullReq().at(boot.revision).select(selectorOf(unchangedIds)));
    QVERIFY2(still.status == 200 && still.wellFormed, still.describe().constData());
    QCOMPARE(still.revision, boot.revision);
    QCOMPARE(still.dbSize, boot.dbSize);
    QCOMPARE(static_cast<qsizetype>(still.pages.size()), unchangedIds.size());
    for (const auto &[id, bytes] : still.pages)
        QCOMPARE(bytes, image.mid(static_cast<qsizetype>(id) * PAGE, PAGE));

    // A selected page changed after the pinned revision: 409 with a JSON error, so the client starts again.
    const auto changedId = static_cast<quint32>(changed.pages.front().first);
    const Pulled conflict = pull(ns, PullReq().at(boot.revision).select(selectorOf({0, changedId})));
    QCOMPARE(conflict.status, 409);
    QVERIFY2(conflict.contentType.startsWith("application/json"), conflict.contentType.constData());
    const QJsonObject error = QJsonDocument::fromJson(conflict.body).object();
    QVERIFY2(!error[u"error"_s].toString().isEmpty(), conflict.body.constData());

    // Without a selector (every page), likewise.
    QCOMPARE(pull(ns, PullReq().at(boot.revision)).status, 409);
    // The new revision, pinned, serves everything.
    const Pulled newest = pull(ns, PullReq().at(changed.revision));
    QCOMPARE(newest.status, 200);
    QCOMPARE(static_cast<quint64>(newest.pages.size()), newest.dbSize);
}

void TestSyncPull::pinnedRevisionRefused_data()
{
    QTest::addColumn<QByteArray>("kind");
    QTest::addRow("garbage") << "garbage"_ba;
    QTest::addRow("reference-server style") << "r9"_ba;
    QTest::addRow("foreign log id") << "otherid"_ba;
    QTest::addRow("future frame") << "future"_ba;
    QTest::addRow("non-numeric frame") << "badframe"_ba;
}

void TestSyncPull::pinnedRevisionRefused()
{
    QFETCH(QByteArray, kind);
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    const QByteArray logId = boot.revision.left(boot.revision.indexOf('.'));
    const quint64 frame = boot.revision.mid(boot.revision.indexOf('.') + 1).toULongLong();
    QByteArray rev = kind;
    if (kind == "otherid")
        rev = QUuid::createUuid().toByteArray(QUuid::Id128) + '.' + QByteArray::number(frame);
    else if (kind == "future")
        rev = logId + '.' + QByteArray::number(frame + 1000);
    else if (kind == "badframe")
        rev = logId + ".x";
    const Pulled p = pull(ns, PullReq().at(rev).select(selectorOf({0, 1})));
    QCOMPARE(p.status, 409);
    QVERIFY(p.contentType.startsWith("application/json"));
    QVERIFY2(!QJsonDocument::fromJson(p.body).object()[u"error"_s].toString().isEmpty(), p.body.constData());
}

void TestSyncPull::refusals_data()
{
    QTest::addColumn<QByteArray>("request"); // the body, or a marker the test fills in
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("ns");
    QTest::addColumn<int>("status");

    QTest::addRow("zstd encoding") << PullReq().enc(1).encode() << "/pull-updates"_ba << "NS"_ba << 400;
    QTest::addRow("MVCC stream") << PullReq().kind(1).encode() << "/pull-updates"_ba << "NS"_ba << 400;
    QTest::addRow("malformed body") << QByteArray::fromHex("1a0572") << "/pull-updates"_ba << "NS"_ba << 400;
    QTest::addRow("text body") << "{\"json\":true}"_ba << "/pull-updates"_ba << "NS"_ba << 400;
    QTest::addRow("malformed selector") << PullReq().select("junk"_ba).encode() << "/pull-updates"_ba << "NS"_ba
                                        << 400;
    QTest::addRow("no such namespace") << QByteArray() << "/pull-updates"_ba << "nosuchns"_ba << 404;
    QTest::addRow("no such namespace, /dev") << QByteArray() << "/dev/nosuchns/pull-updates"_ba << QByteArray() << 404;
    QTest::addRow("invalid namespace name") << QByteArray() << "/dev/bad%20name/pull-updates"_ba << QByteArray()
                                            << 400;
}

void TestSyncPull::refusals()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, ns);
    QFETCH(int, status);
    static QByteArray existing;
    if (existing.isEmpty())
        existing = populatedNs();
    QVERIFY(!existing.isEmpty());
    if (ns == "NS")
        ns = existing;
    const RawResponse r = rawRequest(m_srv.port(), pullRequest(ns, request, path));
    QCOMPARE(r.status, status);
    // The SDK shows the body to the app: a readable JSON error.
    QVERIFY2(r.header("content-type").startsWith("application/json"), r.header("content-type").constData());
    QVERIFY2(!QJsonDocument::fromJson(r.body).object()[u"error"_s].toString().isEmpty(), r.body.constData());
    // The server still answers.
    QCOMPARE(pull(existing).status, 200);
}

void TestSyncPull::namespaceForms()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled viaHeader = pull(ns);
    QVERIFY2(viaHeader.status == 200, viaHeader.describe().constData());

    // /dev/<ns>/pull-updates, no namespace header.
    const Pulled viaPath = parsePulled(rawRequest(m_srv.port(), pullRequest({}, {}, "/dev/" + ns + "/pull-updates")));
    QVERIFY2(viaPath.status == 200 && viaPath.wellFormed, viaPath.describe().constData());
    QCOMPARE(viaPath.revision, viaHeader.revision);
    QCOMPARE(viaPath.pages.size(), viaHeader.pages.size());

    // The sqld way: a Host subdomain.
    const Pulled viaHost = parsePulled(rawRequest(
        m_srv.port(), "POST /pull-updates HTTP/1.1\r\nHost: " + ns + ".localhost\r\ncontent-length: 0\r\n\r\n"));
    QVERIFY2(viaHost.status == 200 && viaHost.wellFormed, viaHost.describe().constData());
    QCOMPARE(viaHost.revision, viaHeader.revision);

    // Another namespace's pull is another database.
    const QByteArray other = populatedNs();
    QVERIFY(!other.isEmpty());
    const Pulled otherPull = pull(other);
    QVERIFY(otherPull.status == 200);
    QVERIFY(otherPull.revision.left(32) != viaHeader.revision.left(32));
}

void TestSyncPull::corsPreflight()
{
    for (const QByteArray &path : {"/pull-updates"_ba, "/dev/x/pull-updates"_ba}) {
        const RawResponse r = rawRequest(
            m_srv.port(), "OPTIONS " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://app.example\r\n"
                          "Access-Control-Request-Method: POST\r\n"
                          "Access-Control-Request-Headers: authorization, content-type, x-turso-encryption-key\r\n\r\n");
        QVERIFY2(r.status == 200 || r.status == 204, r.head.constData());
        QVERIFY2(!r.header("access-control-allow-origin").isEmpty(), r.head.constData());
        const QByteArray headers = r.header("access-control-allow-headers").toLower();
        QVERIFY2(headers == "*" || (headers.contains("authorization") && headers.contains("content-type")),
                 r.head.constData());
        const QByteArray methods = r.header("access-control-allow-methods");
        QVERIFY2(methods == "*" || methods.contains("POST"), r.head.constData());
    }
    // The answer itself carries Allow-Origin too.
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const RawResponse r = rawRequest(m_srv.port(), pullRequest(ns, {}).replace("user-agent: node\r\n",
                                                                                "origin: http://app.example\r\n"));
    QCOMPARE(r.status, 200);
    QVERIFY2(!r.header("access-control-allow-origin").isEmpty(), r.head.constData());
}

// ---- long polls ---------------------------------------------------------------------------------------------

void TestSyncPull::longPollWakesOnWrite()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    QByteArray image;
    QVERIFY(applyPull(image, boot));

    QTcpSocket poller;
    QVERIFY(connectTo(poller, m_srv.port(), TIMEOUT));
    QElapsedTimer t;
    t.start();
    poller.write(pullRequest(ns, PullReq().since(boot.revision).poll(10000).encode()));
    QVERIFY2(staysSilent(poller, 300), poller.peek(200).constData());

    // A write from another connection wakes it with the changed pages.
    QVERIFY(exec(ns, "UPDATE items SET name = 'woken' WHERE id = 42"));
    const auto responses = readResponses(poller, 1, TIMEOUT);
    QCOMPARE(responses.size(), 1);
    QVERIFY2(t.elapsed() < 9000, QByteArray::number(t.elapsed()).constData()); // not the timeout
    const Pulled p = parsePulled(responses.front());
    QVERIFY2(p.status == 200 && p.wellFormed, p.describe().constData());
    QVERIFY(p.revision != boot.revision);
    QVERIFY2(!p.pages.isEmpty() && p.pages.size() <= 3, p.describe().constData());
    QVERIFY(applyPull(image, p));
    verifyImage(ns, image);
    QCOMPARE(LocalDb(m_tmp, image).rows("SELECT name FROM items WHERE id = 42"), QStringList{u"woken"_s});

    // The connection stays usable (keep-alive): a second long poll on it waits again and wakes on the next write.
    poller.write(pullRequest(ns, PullReq().since(p.revision).poll(10000).encode()));
    QVERIFY(staysSilent(poller, 200));
    QVERIFY(exec(ns, "UPDATE items SET name = 'again' WHERE id = 43"));
    const auto second = readResponses(poller, 1, TIMEOUT);
    QCOMPARE(second.size(), 1);
    const Pulled p2 = parsePulled(second.front());
    QVERIFY2(p2.status == 200 && !p2.pages.isEmpty(), p2.describe().constData());
    QVERIFY(applyPull(image, p2));
    verifyImage(ns, image);
}

void TestSyncPull::longPollTimeout()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);

    QTcpSocket poller;
    QVERIFY(connectTo(poller, m_srv.port(), TIMEOUT));
    QElapsedTimer t;
    t.start();
    poller.write(pullRequest(ns, PullReq().since(boot.revision).poll(300).encode()));
    const auto responses = readResponses(poller, 1, TIMEOUT);
    const qint64 elapsed = t.elapsed();
    QCOMPARE(responses.size(), 1);
    QVERIFY2(elapsed >= 250, QByteArray::number(elapsed).constData());
    const Pulled p = parsePulled(responses.front());
    QVERIFY2(p.status == 200 && p.wellFormed, p.describe().constData());
    QCOMPARE(p.revision, boot.revision);
    QCOMPARE(p.dbSize, boot.dbSize);
    QVERIFY(p.pages.isEmpty());
}

// A long poll from a client that is behind answers at once; so does one without a client revision (bootstrap).
void TestSyncPull::longPollBehindAnswersAtOnce()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);
    QVERIFY(exec(ns, "UPDATE items SET qty = -7 WHERE id = 7"));
    for (const QByteArray &rev : {boot.revision, QByteArray()}) {
        QElapsedTimer t;
        t.start();
        const Pulled p = pull(ns, PullReq().since(rev).poll(10000));
        QVERIFY2(p.status == 200 && !p.pages.isEmpty(), p.describe().constData());
        QVERIFY2(t.elapsed() < 5000, QByteArray::number(t.elapsed()).constData());
    }
}

void TestSyncPull::longPollIgnoresOtherNamespaces()
{
    const QByteArray ns = populatedNs();
    const QByteArray other = populatedNs();
    QVERIFY(!ns.isEmpty() && !other.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);

    QTcpSocket poller;
    QVERIFY(connectTo(poller, m_srv.port(), TIMEOUT));
    poller.write(pullRequest(ns, PullReq().since(boot.revision).poll(10000).encode()));
    QVERIFY(staysSilent(poller, 200));
    QVERIFY(exec(other, "UPDATE items SET qty = 1 WHERE id = 2"));
    QVERIFY2(staysSilent(poller, 300), poller.peek(200).constData());
    // A failed write (nothing committed) does not wake it either.
    QVERIFY(!rows(ns, "INSERT INTO items VALUES (1, 'dup', 1)").value(0).isEmpty());
    QVERIFY2(staysSilent(poller, 300), poller.peek(200).constData());
    QVERIFY(exec(ns, "UPDATE items SET qty = 1 WHERE id = 2"));
    const auto responses = readResponses(poller, 1, TIMEOUT);
    QCOMPARE(responses.size(), 1);
    const Pulled p = parsePulled(responses.front());
    QVERIFY2(p.status == 200 && !p.pages.isEmpty(), p.describe().constData());
}

void TestSyncPull::longPollClientDisconnects()
{
    const QByteArray ns = populatedNs();
    QVERIFY(!ns.isEmpty());
    const Pulled boot = pull(ns);
    QVERIFY(boot.status == 200);

    {
        // Two clients go away while parked: one before any write, one whose poll a write then wakes.
        QTcpSocket a, b;
        QVERIFY(connectTo(a, m_srv.port(), TIMEOUT));
        QVERIFY(connectTo(b, m_srv.port(), TIMEOUT));
        const QByteArray req = pullRequest(ns, PullReq().since(boot.revision).poll(1500).encode());
        a.write(req);
        b.write(req);
        QVERIFY(staysSilent(a, 200));
        QVERIFY(a.bytesAvailable() == 0 && b.bytesAvailable() == 0);
        a.abort();
        b.disconnectFromHost();
        QTRY_VERIFY(b.state() == QAbstractSocket::UnconnectedState);
    }
    // A write wakes the gone pollers' slots (the server must drop those answers).
    QVERIFY(exec(ns, "UPDATE items SET qty = -5 WHERE id = 5"));
    const Pulled after = pull(ns, PullReq().since(boot.revision));
    QVERIFY2(after.status == 200 && !after.pages.isEmpty(), after.describe().constData());

    // A new long poll still parks and wakes; and one that outlives a gone poller's 1500 ms timeout.
    QTcpSocket c;
    QVERIFY(connectTo(c, m_srv.port(), TIMEOUT));
    QElapsedTimer t;
    t.start();
    c.write(pullRequest(ns, PullReq().since(after.revision).poll(10000).encode()));
    QVERIFY(staysSilent(c, 300));
    // Another disconnecting poller, whose 300 ms timer fires while `c` waits.
    {
        QTcpSocket d;
        QVERIFY(connectTo(d, m_srv.port(), TIMEOUT));
        d.write(pullRequest(ns, PullReq().since(after.revision).poll(300).encode()));
        QVERIFY(staysSilent(d, 100));
        d.abort();
    }
    QVERIFY(staysSilent(c, 500));
    QVERIFY(exec(ns, "UPDATE items SET qty = -6 WHERE id = 6"));
    const auto responses = readResponses(c, 1, TIMEOUT);
    QCOMPARE(responses.size(), 1);
    const Pulled p = parsePulled(responses.front());
    QVERIFY2(p.status == 200 && !p.pages.isEmpty(), p.describe().constData());
    QVERIFY(t.elapsed() < 9000);
    // Ordinary requests still work.
    QCOMPARE(pull(ns).status, 200);
    QCOMPARE(rows(ns, "SELECT qty FROM items WHERE id = 6"), QStringList{u"-6"_s});
}

// stop() during a long poll: the poll answers (or its connection closes) at once and the runtime stops, instead of
// holding the shutdown until the poll's timeout.
void TestSyncPull::stopDuringLongPoll()
{
    TestServer srv;
    QVERIFY(srv.start());
    const QByteArray ns = "stopping";
    QVERIFY(createNs(srv, ns));
    QVERIFY(exec(srv, ns, "CREATE TABLE t(x)"));
    QVERIFY(exec(srv, ns, "INSERT INTO t VALUES (1)"));
    const Pulled boot = pull(srv, ns);
    QVERIFY2(boot.status == 200, boot.describe().constData());

    QTcpSocket poller;
    QVERIFY(connectTo(poller, srv.port(), TIMEOUT));
    poller.write(pullRequest(ns, PullReq().since(boot.revision).poll(20000).encode()));
    QVERIFY(staysSilent(poller, 300));

    QSignalSpy stopped(srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
    QElapsedTimer t;
    t.start();
    srv.runtime->stop();
    const auto responses = readResponses(poller, 1, 10000);
    if (!responses.isEmpty()) {
        const Pulled p = parsePulled(responses.front());
        QVERIFY2(p.status == 200 || p.status == 503, p.describe().constData());
        if (p.status == 200) {
            QVERIFY(p.pages.isEmpty());
            QCOMPARE(p.revision, boot.revision);
        }
    } else {
        QVERIFY2(poller.state() == QAbstractSocket::UnconnectedState, "neither answered nor closed");
    }
    QVERIFY(stopped.count() > 0 || stopped.wait(10000));
    QVERIFY2(t.elapsed() < 10000, QByteArray::number(t.elapsed()).constData());
}

// ---- push safety ----------------------------------------------------------------------------------------------

void TestSyncPull::pushWithFailedStepRollsBack()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(ns, "CREATE TABLE uniq(id INTEGER PRIMARY KEY, code TEXT UNIQUE)"));
    QVERIFY(exec(ns, "INSERT INTO uniq VALUES (1, 'taken')"));
    const Pulled before = pull(ns);
    QVERIFY(before.status == 200);

    const QJsonObject r = batch(ns, {"BEGIN IMMEDIATE", SYNC_TABLE, "INSERT INTO uniq VALUES (2, 'taken')",
                                     "INSERT INTO uniq VALUES (3, 'free')", ackUpsert(3), "COMMIT"});
    const QJsonArray errors = r[u"step_errors"_s].toArray();
    const QJsonArray results = r[u"step_results"_s].toArray();
    QCOMPARE(errors.size(), 6);
    QVERIFY2(errors[2].toObject()[u"message"_s].toString().contains(u"UNIQUE constraint failed"_s),
             QJsonDocument(r).toJson().constData());
    for (int i : {0, 1, 3, 4})
        QVERIFY2(errors[i].isNull(), QByteArray::number(i).constData());
    const QString commitError = errors[5].toObject()[u"message"_s].toString();
    QVERIFY2(commitError.startsWith(u"The push was rolled back"_s), qPrintable(commitError));
    QVERIFY(results[5].isNull());

    // Nothing of it is applied: no good row, not even the acknowledgement table it created.
    QCOMPARE(rows(ns, "SELECT id, code FROM uniq ORDER BY id"), QStringList{u"1|taken"_s});
    QCOMPARE(rows(ns, "SELECT count(*) FROM sqlite_master WHERE name = 'turso_sync_last_change_id'"),
             QStringList{u"0"_s});
    // No transaction is left open, and nothing was committed (a pull sees no change).
    QVERIFY(exec(ns, "INSERT INTO uniq VALUES (4, 'after')"));
    QVERIFY(exec(ns, "DELETE FROM uniq WHERE id = 4"));

    // Once the acknowledgement row exists, a failed push leaves it as it was.
    QVERIFY(exec(ns, SYNC_TABLE));
    QVERIFY(exec(ns, "INSERT INTO turso_sync_last_change_id VALUES ('phoneA', 1, 2)"));
    const Pulled mid = pull(ns);
    QVERIFY(mid.status == 200);
    const QJsonObject again = batch(ns, {"BEGIN IMMEDIATE", SYNC_TABLE, "INSERT INTO uniq VALUES (3, 'free')",
                                         "INSERT INTO uniq VALUES (2, 'taken')", ackUpsert(9), "COMMIT"});
    QVERIFY(again[u"step_errors"_s].toArray()[3].toObject()[u"message"_s].toString().contains(u"UNIQUE"_s));
    QVERIFY(again[u"step_errors"_s].toArray()[5].toObject()[u"message"_s].toString().startsWith(
        u"The push was rolled back"_s));
    QCOMPARE(rows(ns, "SELECT client_id, pull_gen, change_id FROM turso_sync_last_change_id"),
             QStringList{u"phoneA|1|2"_s});
    QCOMPARE(rows(ns, "SELECT id FROM uniq ORDER BY id"), QStringList{u"1"_s});
    const Pulled unchanged = pull(ns, PullReq().since(mid.revision));
    QVERIFY2(unchanged.status == 200 && unchanged.pages.isEmpty(), unchanged.describe().constData());
}

void TestSyncPull::pushWithoutFailureCommits()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(ns, "CREATE TABLE uniq(id INTEGER PRIMARY KEY, code TEXT UNIQUE)"));
    QVERIFY(exec(ns, "INSERT INTO uniq VALUES (1, 'taken')"));
    const QJsonObject r = batch(ns, {"BEGIN IMMEDIATE", SYNC_TABLE, "INSERT INTO uniq VALUES (3, 'free')",
                                     ackUpsert(3), "COMMIT"});
    const QJsonArray errors = r[u"step_errors"_s].toArray();
    QCOMPARE(errors.size(), 5);
    for (const QJsonValue &e : errors)
        QVERIFY2(e.isNull(), QJsonDocument(r).toJson().constData());
    QVERIFY(r[u"step_results"_s].toArray()[4].isObject());
    QCOMPARE(rows(ns, "SELECT id, code FROM uniq ORDER BY id"), (QStringList{u"1|taken"_s, u"3|free"_s}));
    QCOMPARE(rows(ns, "SELECT client_id, pull_gen, change_id FROM turso_sync_last_change_id"),
             QStringList{u"phoneA|1|3"_s});

    // An empty push (BEGIN | CREATE | COMMIT) commits too, and the next real push upserts.
    const QJsonObject empty = batch(ns, {"BEGIN IMMEDIATE", SYNC_TABLE, "COMMIT"});
    for (const QJsonValue &e : empty[u"step_errors"_s].toArray())
        QVERIFY(e.isNull());
    batch(ns, {"BEGIN IMMEDIATE", SYNC_TABLE, "UPDATE uniq SET code = 'x' WHERE id = 3", ackUpsert(4), "COMMIT"});
    QCOMPARE(rows(ns, "SELECT code FROM uniq WHERE id = 3"), QStringList{u"x"_s});
    QCOMPARE(rows(ns, "SELECT change_id FROM turso_sync_last_change_id"), QStringList{u"4"_s});
}

void TestSyncPull::pushToleratesDuplicateColumn()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(ns, "CREATE TABLE uniq(id INTEGER PRIMARY KEY, code TEXT UNIQUE)"));
    QVERIFY(exec(ns, "ALTER TABLE uniq ADD COLUMN note TEXT"));
    const QJsonObject r = batch(ns, {"BEGIN IMMEDIATE", SYNC_TABLE, "ALTER TABLE uniq ADD COLUMN note TEXT",
                                     "INSERT INTO uniq VALUES (5, 'five', 'n')", ackUpsert(6), "COMMIT"});
    const QJsonArray errors = r[u"step_errors"_s].toArray();
    QCOMPARE(errors.size(), 6);
    QVERIFY2(errors[2].toObject()[u"message"_s].toString().contains(u"duplicate column name"_s),
             QJsonDocument(r).toJson().constData());
    QVERIFY2(errors[5].isNull(), QJsonDocument(r).toJson().constData());
    QVERIFY(r[u"step_results"_s].toArray()[5].isObject());
    QCOMPARE(rows(ns, "SELECT id, code, note FROM uniq"), QStringList{u"5|five|n"_s});
    QCOMPARE(rows(ns, "SELECT change_id FROM turso_sync_last_change_id"), QStringList{u"6"_s});

    // A tolerated duplicate column and then a real failure: rolled back.
    const QJsonObject r2 = batch(ns, {"BEGIN IMMEDIATE", SYNC_TABLE, "ALTER TABLE uniq ADD COLUMN note TEXT",
                                      "INSERT INTO uniq VALUES (6, 'five', 'n')", ackUpsert(7), "COMMIT"});
    QVERIFY(r2[u"step_errors"_s].toArray()[5].toObject()[u"message"_s].toString().startsWith(
        u"The push was rolled back"_s));
    QCOMPARE(rows(ns, "SELECT change_id FROM turso_sync_last_change_id"), QStringList{u"6"_s});
}

// Without the acknowledgement upsert the batch is not a push: Hrana's rule holds and COMMIT runs after a failure.
void TestSyncPull::ordinaryBatchKeepsHranaSemantics()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(exec(ns, "CREATE TABLE uniq(id INTEGER PRIMARY KEY, code TEXT UNIQUE)"));
    QVERIFY(exec(ns, "INSERT INTO uniq VALUES (1, 'taken')"));
    const QJsonObject r = batch(ns, {"BEGIN IMMEDIATE", "INSERT INTO uniq VALUES (2, 'taken')",
                                     "INSERT INTO uniq VALUES (3, 'free')", "COMMIT"});
    const QJsonArray errors = r[u"step_errors"_s].toArray();
    QCOMPARE(errors.size(), 4);
    QVERIFY(errors[1].toObject()[u"message"_s].toString().contains(u"UNIQUE constraint failed"_s));
    QVERIFY2(errors[3].isNull(), QJsonDocument(r).toJson().constData());
    QVERIFY(r[u"step_results"_s].toArray()[3].isObject());
    QCOMPARE(rows(ns, "SELECT id, code FROM uniq ORDER BY id"), (QStringList{u"1|taken"_s, u"3|free"_s}));

    // Reading turso_sync_last_change_id (the first request of every push) is not a push either.
    QVERIFY(exec(ns, SYNC_TABLE));
    const QJsonObject read = batch(ns, {"BEGIN", "SELECT change_id FROM turso_sync_last_change_id",
                                        "INSERT INTO uniq VALUES (4, 'taken')", "INSERT INTO uniq VALUES (5, 'ok')",
                                        "COMMIT"});
    QVERIFY(read[u"step_errors"_s].toArray()[4].isNull());
    QCOMPARE(rows(ns, "SELECT id FROM uniq ORDER BY id"), (QStringList{u"1"_s, u"3"_s, u"5"_s}));
}

QTEST_GUILESS_MAIN(TestSyncPull)
#include "tst_syncpull.moc"
