// Hrana over HTTP against a live in-process server: /v2 and /v3 pipelines, /v3/cursor, /v1, the legacy POST /,
// namespaces, the admin API and CORS. Expectations come from the sqld wire reference
// (spec/sqld-http-api.md in the steering repo), not from what qsqld happens to answer.
//
// Golden files: tests/data/hrana/<case>.in holds one request and <case>.expected the answer (see README.md there).
// To rewrite every .expected file from the server's current output, run
//     QSQLD_REGENERATE=1 ./tst_hranahttp golden
// and then review the diff by hand against the spec before committing it.
//
// The server runs on this thread's event loop (SQLite on its worker threads), so every wait spins the event loop:
// QSignalSpy::wait or QTRY_*, never a sleep.

#include "testserver.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>

using namespace Qt::StringLiterals;
using namespace qsqld::test;

namespace {

using Headers = QList<QPair<QByteArray, QByteArray>>;

const QByteArray HELLO = "Hello, this is HTTP API v2 (Hrana over HTTP)";

struct HttpReply
{
    int status = 0;
    QByteArray body;
    Headers headers;

    QByteArray header(QByteArrayView name) const
    {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return {};
    }
    bool hasHeader(QByteArrayView name) const
    {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return true;
        }
        return false;
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QJsonArray jsonArray() const { return QJsonDocument::fromJson(body).array(); }
    QJsonObject result(int i) const { return json()[u"results"_s][i].toObject(); }
    QByteArray baton() const { return json()[u"baton"_s].toString().toUtf8(); }
};

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

QByteArray I(qint64 v)
{
    return R"({"type":"integer","value":")" + QByteArray::number(v) + "\"}";
}

QByteArray T(QByteArrayView s)
{
    return R"({"type":"text","value":)" + jstr(s) + "}";
}

QByteArray named(QByteArrayView name, const QByteArray &value)
{
    return R"({"name":)" + jstr(name) + R"(,"value":)" + value + "}";
}

QByteArray exec(QByteArrayView sql, const QByteArray &extra = {})
{
    return R"({"type":"execute","stmt":{"sql":)" + jstr(sql) + extra + "}}";
}

QByteArray seq(QByteArrayView sql)
{
    return R"({"type":"sequence","sql":)" + jstr(sql) + "}";
}

const QByteArray CLOSE = R"({"type":"close"})";
const QByteArray AUTOCOMMIT = R"({"type":"get_autocommit"})";

QByteArray pipeJson(const QByteArrayList &requests, const QByteArray &baton = {})
{
    return R"({"baton":)" + (baton.isNull() ? QByteArray("null") : jstr(baton)) + R"(,"requests":[)"
        + requests.join(',') + "]}";
}

QByteArray step(QByteArrayView sql, const QByteArray &cond = {})
{
    return (cond.isEmpty() ? QByteArray("{") : R"({"condition":)" + cond + ",") + R"("stmt":{"sql":)" + jstr(sql)
        + "}}";
}

QByteArray batch(const QByteArrayList &steps)
{
    return R"({"type":"batch","batch":{"steps":[)" + steps.join(',') + "]}}";
}

QByteArray okc(int s)
{
    return R"({"type":"ok","step":)" + QByteArray::number(s) + "}";
}
QByteArray errc(int s)
{
    return R"({"type":"error","step":)" + QByteArray::number(s) + "}";
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

// The rows of the first StmtResult in a body, as the exact JSON text the server wrote.
QByteArray rowsText(const QByteArray &body)
{
    const qsizetype start = body.indexOf("\"rows\":");
    const qsizetype end = body.indexOf(",\"affected_row_count\"", start);
    if (start < 0 || end < 0)
        return {};
    return body.mid(start + 7, end - start - 7);
}

// Golden normalisation: durations and batons vary from run to run.
QByteArray normalize(QByteArray body)
{
    static const QRegularExpression duration(uR"("query_duration_ms":-?[0-9][0-9.eE+-]*)"_s);
    static const QRegularExpression baton(uR"("baton":"[^"]*")"_s);
    QString text = QString::fromUtf8(body);
    text.replace(duration, u"\"query_duration_ms\":0"_s);
    text.replace(baton, u"\"baton\":\"<baton>\""_s);
    return text.toUtf8();
}

QByteArray goldenText(int status, const QByteArray &body)
{
    QByteArray out = QByteArray::number(status) + '\n' + normalize(body);
    if (!out.endsWith('\n'))
        out += '\n';
    return out;
}

// Two names whose namespaces land on different workers (the runtime pins a namespace by qHash(name, 0)).
QPair<QByteArray, QByteArray> namesOnDifferentWorkers(const QByteArray &prefix, int workers)
{
    const QByteArray a = prefix + "-a";
    for (int i = 0; i < 200; ++i) {
        const QByteArray b = prefix + "-b" + QByteArray::number(i);
        if (qHash(QString::fromLatin1(a), 0) % workers != qHash(QString::fromLatin1(b), 0) % workers)
            return { a, b };
    }
    return {};
}

} // namespace

class TestHranaHttp : public QObject
{
    Q_OBJECT

public:
    TestHranaHttp() = default;

private:
    TestServer m_srv;
    QNetworkAccessManager m_nam;
    int m_nsCounter = 0;

    QString dataRoot() const { return m_srv.dir.path() + u"/data"_s; }

    HttpReply send(const QByteArray &method,
        quint16 port,
        const QByteArray &path,
        const QByteArray &body = {},
        const Headers &headers = {})
    {
        QNetworkRequest req(QUrl::fromEncoded("http://127.0.0.1:" + QByteArray::number(port) + path));
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        if (!body.isEmpty())
            req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
        for (const auto &h : headers)
            req.setRawHeader(h.first, h.second);
        QNetworkReply *reply = m_nam.sendCustomRequest(req, method, body);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!reply->isFinished())
            finished.wait(60000);
        HttpReply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.headers = reply->rawHeaderPairs();
        reply->deleteLater();
        return r;
    }

    HttpReply user(
        const QByteArray &method, const QByteArray &path, const QByteArray &body = {}, const Headers &headers = {})
    {
        return send(method, m_srv.port(), path, body, headers);
    }

    HttpReply admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        return send(method, m_srv.adminPort(), path, body);
    }

    HttpReply pipeline(const QByteArray &ns, const QByteArray &body, int version = 2)
    {
        return user("POST", "/v" + QByteArray::number(version) + "/pipeline", body, { { "x-namespace", ns } });
    }

    // One raw request on a fresh socket, for what QNetworkAccessManager cannot send (empty or odd headers).
    RawResponse raw(quint16 port, const QByteArray &bytes)
    {
        QTcpSocket s;
        QSignalSpy connected(&s, &QTcpSocket::connected);
        s.connectToHost(QHostAddress::LocalHost, port);
        if (s.state() != QAbstractSocket::ConnectedState && !connected.wait(10000))
            return {};
        s.write(bytes);
        QByteArray buffer;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 30000) {
            buffer += s.readAll();
            if (auto r = takeResponse(buffer))
                return *r;
            QSignalSpy ready(&s, &QTcpSocket::readyRead);
            if (s.bytesAvailable() == 0 && s.state() == QAbstractSocket::ConnectedState)
                ready.wait(2000);
            if (s.state() != QAbstractSocket::ConnectedState && s.bytesAvailable() == 0)
                break;
        }
        return {};
    }

    bool createNs(const QByteArray &ns)
    {
        const HttpReply r = admin("POST", "/v1/namespaces/" + ns + "/create", "{}");
        if (r.status != 200)
            qWarning() << "create" << ns << r.status << r.body;
        return r.status == 200;
    }

    bool deleteNs(const QByteArray &ns) { return admin("DELETE", "/v1/namespaces/" + ns).status == 200; }

    // A new, empty namespace for one test (or one data row).
    QByteArray freshNs()
    {
        const QByteArray ns = "ns" + QByteArray::number(++m_nsCounter);
        return createNs(ns) ? ns : QByteArray();
    }

    // Runs `sql` (several statements) as a sequence on a new stream of `ns`.
    bool setup(const QByteArray &ns, const QByteArray &sql)
    {
        const HttpReply r = pipeline(ns, pipeJson({ seq(sql), CLOSE }));
        const bool ok = r.status == 200 && r.result(0)[u"type"_s] == u"ok"_s;
        if (!ok)
            qWarning() << "setup failed:" << r.status << r.body;
        return ok;
    }

    // The first value of the first row of a one-statement query, as its JSON object.
    QJsonObject firstValue(const QByteArray &ns, const QByteArray &sql)
    {
        const HttpReply r = pipeline(ns, pipeJson({ exec(sql), CLOSE }));
        return r.result(0)[u"response"_s][u"result"_s][u"rows"_s][0][0].toObject();
    }

    QByteArray scalar(const QByteArray &ns, const QByteArray &sql)
    {
        const QJsonObject v = firstValue(ns, sql);
        return v[u"value"_s].isString() ? v[u"value"_s].toString().toUtf8() : v[u"type"_s].toString().toUtf8();
    }

private slots:
    void initTestCase();
    void cleanupTestCase();

    // stream requests
    void executeArgs_data();
    void executeArgs();
    void batchConditions_data();
    void batchConditions();
    void sequence_data();
    void sequence();
    void describe_data();
    void describe();
    void storeSqlAndCloseSql();
    void storeSqlLimit();
    void getAutocommit();
    void streamProtocolErrors_data();
    void streamProtocolErrors();
    void protocolErrorKeepsEarlierRequests_data();
    void protocolErrorKeepsEarlierRequests();
    void requestsAfterCloseThatNeedNoDatabase();

    // batons and streams
    void emptyPipelineOpensStream();
    void batonMisuse_data();
    void batonMisuse();
    void closedStreamBatonIsInvalid();
    void streamExpiry();
    void interactiveTransaction_data();
    void interactiveTransaction();
    void beginVariants_data();
    void beginVariants();

    // values and results
    void values_data();
    void values();
    void invalidValues_data();
    void invalidValues();
    void colsAndDecltype();
    void affectedRowsAndRowid_data();
    void affectedRowsAndRowid();
    void statementErrors_data();
    void statementErrors();
    void vacuum();
    void protocolErrors_data();
    void protocolErrors();

    // other endpoints
    void cursor();
    void cursorStepErrors();
    void cursorErrorDuringRows();
    void cursorUnsupportedStatement();
    void cursorBadRequests_data();
    void cursorBadRequests();
    void v1_data();
    void v1();
    void legacy_data();
    void legacy();
    void legacyIsNotATransaction();
    void getEndpoints_data();
    void getEndpoints();

    // namespaces and admin
    void namespaceRouting_data();
    void namespaceRouting();
    void unknownNamespace();
    void invalidNamespaceNames_data();
    void invalidNamespaceNames();
    void emptyNamespaceHeader();
    void adminCreateDelete();
    void adminList();
    void adminPathTricks_data();
    void adminPathTricks();
    void deleteNamespaceDuringSlowQuery();
    void nothingOutsideDbPath();

    // CORS and routing
    void corsOnEveryResponse_data();
    void corsOnEveryResponse();
    void corsPreflight_data();
    void corsPreflight();
    void wrongMethod_data();
    void wrongMethod();
    void unknownPath_data();
    void unknownPath();

    // golden request/response pairs
    void golden_data();
    void golden();
};

void TestHranaHttp::initTestCase()
{
    QVERIFY(m_srv.dir.isValid());
    QVERIFY(m_srv.start());
    QVERIFY(m_srv.port() != 0);
    QVERIFY(m_srv.adminPort() != 0);
}

void TestHranaHttp::cleanupTestCase()
{
    if (!m_srv.runtime)
        return;
    QSignalSpy stopped(m_srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
    m_srv.runtime->stop();
    QVERIFY(stopped.count() > 0 || stopped.wait(30000));
}

// ---- execute with arguments ---------------------------------------------------------------------------------

void TestHranaHttp::executeArgs_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QByteArray>("stmtExtra"); // ,"args":[...] and/or ,"named_args":[...]
    QTest::addColumn<QByteArray>("rows"); // exact rows JSON, "*" for any; empty when an error is expected
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QByteArray>("message");

    const auto args = [](const QByteArrayList &v) -> QByteArray { return ",\"args\":[" + v.join(',') + "]"; };
    const auto nargs = [](const QByteArrayList &v) -> QByteArray { return ",\"named_args\":[" + v.join(',') + "]"; };
    const auto ok = [](const QByteArrayList &row) -> QByteArray { return "[[" + row.join(',') + "]]"; };
    const QByteArray argsInvalid = "ARGS_INVALID";
    const QByteArray prefix = "Arguments do not match SQL parameters: ";

    QTest::addRow("? takes positional values in order")
        << "SELECT ?, ?"_ba << args({ I(1), T("a") }) << ok({ I(1), T("a") }) << QByteArray() << QByteArray();
    QTest::addRow("?NNN takes positional value NNN")
        << "SELECT ?2, ?1, ?2"_ba << args({ I(1), I(2) }) << ok({ I(2), I(1), I(2) }) << QByteArray() << QByteArray();
    QTest::addRow("? after ?3 is parameter 4")
        << "SELECT ?3, ?"_ba << args({ I(1), I(2), I(3), I(4) }) << ok({ I(3), I(4) }) << QByteArray() << QByteArray();
    QTest::addRow("? after ?3 without a fourth value")
        << "SELECT ?3, ?"_ba << args({ I(1), I(2), I(3) }) << QByteArray() << argsInvalid
        << prefix + "value for parameter 4 not found";
    for (const char *p : { ":", "@", "$" }) {
        const QByteArray name = QByteArray(p) + "a";
        QTest::addRow("%s exact name", name.constData())
            << "SELECT " + name << nargs({ named(name, I(7)) }) << ok({ I(7) }) << QByteArray() << QByteArray();
        QTest::addRow("%s name without prefix", name.constData())
            << "SELECT " + name << nargs({ named("a", I(8)) }) << ok({ I(8) }) << QByteArray() << QByteArray();
    }
    // :a finds ":a" exactly; @a finds no "@a" and falls back to "a".
    QTest::addRow("exact name before bare name") << "SELECT :a, @a"_ba << nargs({ named("a", I(2)), named(":a", I(1)) })
                                                 << ok({ I(1), I(2) }) << QByteArray() << QByteArray();
    QTest::addRow("exact name before bare name, reversed")
        << "SELECT :a, @a"_ba << nargs({ named(":a", I(1)), named("a", I(2)) }) << ok({ I(1), I(2) }) << QByteArray()
        << QByteArray();
    // sqld counts named values too: two names for one parameter are one value too many.
    QTest::addRow("exact and bare name for one parameter")
        << "SELECT :a"_ba << nargs({ named(":a", I(1)), named("a", I(2)) }) << QByteArray() << argsInvalid
        << prefix + "too many parameters, expected 1 found 2";
    QTest::addRow("other prefix does not match") << "SELECT :a"_ba << nargs({ named("@a", I(1)) }) << QByteArray()
                                                 << argsInvalid << prefix + "value for parameter :a not found";
    QTest::addRow("repeated names") << "SELECT :a, @b, :a"_ba << nargs({ named("a", I(1)), named("@b", I(2)) })
                                    << ok({ I(1), I(2), I(1) }) << QByteArray() << QByteArray();
    QTest::addRow("positional values never fill named parameters")
        << "SELECT :a"_ba << args({ I(1) }) << QByteArray() << argsInvalid
        << prefix + "value for parameter :a not found";
    QTest::addRow("named values never fill ?") << "SELECT ?"_ba << nargs({ named("1", I(1)) }) << QByteArray()
                                               << argsInvalid << prefix + "value for parameter 1 not found";
    QTest::addRow("missing positional value") << "SELECT ?, ?"_ba << args({ I(1) }) << QByteArray() << argsInvalid
                                              << prefix + "value for parameter 2 not found";
    QTest::addRow("too many positional values") << "SELECT ?"_ba << args({ I(1), I(2) }) << QByteArray() << argsInvalid
                                                << prefix + "too many parameters, expected 1 found 2";
    QTest::addRow("too many named values")
        << "SELECT :a"_ba << nargs({ named("a", I(1)), named("b", I(2)) }) << QByteArray() << argsInvalid
        << prefix + "too many parameters, expected 1 found 2";
    QTest::addRow("value for a statement without parameters")
        << "SELECT 1"_ba << args({ I(1) }) << QByteArray() << argsInvalid
        << prefix + "too many parameters, expected 0 found 1";
    QTest::addRow("empty args and named_args")
        << "SELECT 1"_ba
        << ",\"args\":[],\"named_args\":[]"_ba << ok({ I(1) }) << QByteArray() << QByteArray();
    QTest::addRow("both positional and named") << "SELECT ?"_ba << args({ I(1) }) + nargs({ named("a", I(1)) })
                                               << QByteArray() << "ARGS_BOTH_POSITIONAL_AND_NAMED"_ba
                                               << "Specifying both positional and named arguments is not supported"_ba;
    QTest::addRow("EXPLAIN may leave parameters unbound")
        << "EXPLAIN SELECT ?"_ba << QByteArray() << "*"_ba << QByteArray() << QByteArray();
}

void TestHranaHttp::executeArgs()
{
    QFETCH(QByteArray, sql);
    QFETCH(QByteArray, stmtExtra);
    QFETCH(QByteArray, rows);
    QFETCH(QByteArray, code);
    QFETCH(QByteArray, message);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    // The second statement shows the stream survives a statement error.
    const HttpReply r = pipeline(ns, pipeJson({ exec(sql, stmtExtra), exec("SELECT 'after'"), CLOSE }));
    QCOMPARE(r.status, 200);
    const QJsonObject res = r.result(0);
    if (code.isEmpty()) {
        QCOMPARE(res[u"type"_s].toString(), u"ok"_s);
        if (rows != "*")
            QCOMPARE(rowsText(r.body), rows);
    } else {
        QCOMPARE(res[u"type"_s].toString(), u"error"_s);
        QCOMPARE(res[u"error"_s][u"code"_s].toString().toUtf8(), code);
        QCOMPARE(res[u"error"_s][u"message"_s].toString().toUtf8(), message);
    }
    QCOMPARE(r.result(1)[u"type"_s].toString(), u"ok"_s);
}

// ---- batch conditions ---------------------------------------------------------------------------------------

void TestHranaHttp::batchConditions_data()
{
    QTest::addColumn<int>("version");
    QTest::addColumn<QByteArrayList>("steps");
    QTest::addColumn<QByteArray>("outcome"); // per step: 1 ran and succeeded, x ran and failed, - skipped

    const QByteArray S = "SELECT 1";
    const QByteArray F = "SELECT * FROM nosuch";
    QTest::addRow("no conditions: errors are per step")
        << 2 << QByteArrayList { step(S), step(F), step(S) } << "1x1"_ba;
    QTest::addRow("ok after success") << 2 << QByteArrayList { step(S), step(S, okc(0)) } << "11"_ba;
    QTest::addRow("ok after failure") << 2 << QByteArrayList { step(F), step(S, okc(0)) } << "x-"_ba;
    QTest::addRow("error after failure") << 2 << QByteArrayList { step(F), step(S, errc(0)) } << "x1"_ba;
    QTest::addRow("error after success") << 2 << QByteArrayList { step(S), step(S, errc(0)) } << "1-"_ba;
    QTest::addRow("error on a skipped step is true (sqld)")
        << 2 << QByteArrayList { step(F), step(S, okc(0)), step(S, errc(1)) } << "x-1"_ba;
    QTest::addRow("ok on a skipped step is false")
        << 2 << QByteArrayList { step(F), step(S, okc(0)), step(S, okc(1)) } << "x--"_ba;
    QTest::addRow("not of error on a skipped step is false")
        << 2 << QByteArrayList { step(F), step(S, okc(0)), step(S, notc(errc(1))) } << "x--"_ba;
    QTest::addRow("not") << 2 << QByteArrayList { step(S), step(S, notc(okc(0))), step(S, notc(errc(0))) } << "1-1"_ba;
    QTest::addRow("and") << 2
                         << QByteArrayList { step(S), step(F), step(S, andc({ okc(0), errc(1) })),
                                step(S, andc({ okc(0), okc(1) })) }
                         << "1x1-"_ba;
    QTest::addRow("or") << 2
                        << QByteArrayList { step(S), step(F), step(S, orc({ okc(1), errc(0) })),
                               step(S, orc({ okc(1), okc(0) })) }
                        << "1x-1"_ba;
    QTest::addRow("empty and is true") << 2 << QByteArrayList { step(S, andc({})) } << "1"_ba;
    QTest::addRow("empty or is false") << 2 << QByteArrayList { step(S, orc({})) } << "-"_ba;
    QTest::addRow("nested") << 2
                            << QByteArrayList { step(S), step(F),
                                   step(S, notc(andc({ okc(0), orc({ okc(1), notc(errc(1)) }) }))) }
                            << "1x1"_ba;
    QTest::addRow("condition null means none")
        << 2 << QByteArrayList { R"({"condition":null,"stmt":{"sql":"SELECT 1"}})"_ba } << "1"_ba;
    QTest::addRow("is_autocommit is the state before the step")
        << 3
        << QByteArrayList { step(S, AUTOC), step("BEGIN"), step(S, AUTOC), step(S, notc(AUTOC)), step("COMMIT"),
               step(S, AUTOC) }
        << "11-111"_ba;
    QTest::addRow("client transaction pattern, failing statement")
        << 3
        << QByteArrayList { step("BEGIN IMMEDIATE"), step(F, andc({ okc(0), notc(AUTOC) })), step("COMMIT", okc(1)),
               step("ROLLBACK", notc(okc(2))) }
        << "1x-1"_ba;
}

void TestHranaHttp::batchConditions()
{
    QFETCH(int, version);
    QFETCH(QByteArrayList, steps);
    QFETCH(QByteArray, outcome);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = pipeline(ns, pipeJson({ batch(steps), CLOSE }), version);
    QCOMPARE(r.status, 200);
    const QJsonObject res = r.result(0);
    QCOMPARE(res[u"type"_s].toString(), u"ok"_s);
    QCOMPARE(res[u"response"_s][u"type"_s].toString(), u"batch"_s);
    const QJsonObject br = res[u"response"_s][u"result"_s].toObject();
    const QJsonArray results = br[u"step_results"_s].toArray();
    const QJsonArray errors = br[u"step_errors"_s].toArray();
    QCOMPARE(results.size(), outcome.size());
    QCOMPARE(errors.size(), outcome.size());
    QByteArray actual;
    for (qsizetype i = 0; i < outcome.size(); ++i) {
        const bool hasResult = results[i].isObject();
        const bool hasError = errors[i].isObject();
        QVERIFY2(!(hasResult && hasError), "a step has both a result and an error");
        actual += hasResult ? '1' : hasError ? 'x' : '-';
        if (hasResult) // inside a batch each step's replication_index is null
            QVERIFY(results[i][u"replication_index"_s].isNull());
    }
    QCOMPARE(actual, outcome);
    QVERIFY(br.contains(u"replication_index"_s));
}

// ---- sequence -----------------------------------------------------------------------------------------------

void TestHranaHttp::sequence_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QByteArray>("code"); // empty: ok
    QTest::addColumn<QByteArray>("message"); // exact, or a prefix ending in ": "
    QTest::addColumn<QByteArray>("rowsInS"); // count(*) of table s afterwards, "none" if it does not exist

    QTest::addRow("runs every statement") << "CREATE TABLE s(a); INSERT INTO s VALUES (1); INSERT INTO s VALUES (2);"_ba
                                          << QByteArray() << QByteArray() << "2"_ba;
    QTest::addRow("stops at the first failure")
        << "CREATE TABLE s(a); INSERT INTO s VALUES (1); INSERT INTO nosuch VALUES (1); INSERT INTO s VALUES (2)"_ba
        << "SQL_INPUT_ERROR"_ba
        << "SQL input error: no such table: nosuch (at offset 12)"_ba
        << "1"_ba;
    QTest::addRow("constraint failure stops it")
        << "CREATE TABLE s(a UNIQUE); INSERT INTO s VALUES (1); INSERT INTO s VALUES (1); INSERT INTO s VALUES (2)"_ba
        << "SQLITE_CONSTRAINT"_ba
        << "SQLite error: UNIQUE constraint failed: s.a"_ba
        << "1"_ba;
    QTest::addRow("an unsupported statement fails it before anything runs")
        << "CREATE TABLE s(a); CREATE TEMP TABLE tt(a);"_ba
        << "SQL_PARSE_ERROR"_ba
        << "SQL string could not be parsed: "_ba
        << "none"_ba;
    QTest::addRow("a syntax error fails it before anything runs") << "CREATE TABLE s(a); SELEC 1;"_ba
                                                                  << "SQL_PARSE_ERROR"_ba
                                                                  << "SQL string could not be parsed: "_ba
                                                                  << "none"_ba;
    QTest::addRow("empty text") << QByteArray() << QByteArray() << QByteArray() << "none"_ba;
    QTest::addRow("only comments") << "-- nothing here\n/* nor here */"_ba << QByteArray() << QByteArray() << "none"_ba;
}

void TestHranaHttp::sequence()
{
    QFETCH(QByteArray, sql);
    QFETCH(QByteArray, code);
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, rowsInS);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = pipeline(ns, pipeJson({ seq(sql), CLOSE }));
    QCOMPARE(r.status, 200);
    const QJsonObject res = r.result(0);
    if (code.isEmpty()) {
        QCOMPARE(res[u"type"_s].toString(), u"ok"_s);
        QCOMPARE(
            QJsonDocument(res[u"response"_s].toObject()).toJson(QJsonDocument::Compact), R"({"type":"sequence"})"_ba);
    } else {
        QCOMPARE(res[u"type"_s].toString(), u"error"_s);
        QCOMPARE(res[u"error"_s][u"code"_s].toString().toUtf8(), code);
        const QByteArray actual = res[u"error"_s][u"message"_s].toString().toUtf8();
        if (message.endsWith(": "))
            QVERIFY2(actual.startsWith(message), actual.constData());
        else
            QCOMPARE(actual, message);
    }
    const QByteArray exists = scalar(ns, "SELECT count(*) FROM sqlite_master WHERE name = 's'");
    if (rowsInS == "none") {
        QCOMPARE(exists, "0"_ba);
    } else {
        QCOMPARE(exists, "1"_ba);
        QCOMPARE(scalar(ns, "SELECT count(*) FROM s"), rowsInS);
    }
}

// ---- describe -----------------------------------------------------------------------------------------------

void TestHranaHttp::describe_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QByteArray>("expected"); // the DescribeResult JSON, or the error code

    QTest::addRow("params and cols")
        << "SELECT id, name FROM t WHERE id = :id OR name = ?2 OR name = @n OR name = $m OR id = ?"_ba
        << R"({"params":[{"name":":id"},{"name":"?2"},{"name":"@n"},{"name":"$m"},{"name":null}],)"
           R"J("cols":[{"name":"id","decltype":"INTEGER"},{"name":"name","decltype":"varchar(20)"}],)J"
           R"("is_explain":false,"is_readonly":true})"_ba;
    QTest::addRow("insert")
        << "INSERT INTO t VALUES (?, ?)"_ba
        << R"({"params":[{"name":null},{"name":null}],"cols":[],"is_explain":false,"is_readonly":false})"_ba;
    QTest::addRow("expression column")
        << "SELECT count(*) AS n FROM t"_ba
        << R"({"params":[],"cols":[{"name":"n","decltype":null}],"is_explain":false,"is_readonly":true})"_ba;
    QTest::addRow("VACUUM is described (no classifier)")
        << "VACUUM"_ba
        << R"({"params":[],"cols":[],"is_explain":false,"is_readonly":false})"_ba;
    QTest::addRow("syntax error") << "SELEC 1"_ba
                                  << "SQL_INPUT_ERROR"_ba;
    QTest::addRow("no such table") << "SELECT * FROM nosuch"_ba
                                   << "SQL_INPUT_ERROR"_ba;
}

void TestHranaHttp::describe()
{
    QFETCH(QByteArray, sql);
    QFETCH(QByteArray, expected);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE t(id INTEGER, name varchar(20))"));
    const HttpReply r = pipeline(ns, pipeJson({ R"({"type":"describe","sql":)" + jstr(sql) + "}", CLOSE }));
    QCOMPARE(r.status, 200);
    const QJsonObject res = r.result(0);
    if (expected.startsWith('{')) {
        QCOMPARE(res[u"type"_s].toString(), u"ok"_s);
        QCOMPARE(res[u"response"_s][u"type"_s].toString(), u"describe"_s);
        QCOMPARE(QJsonDocument(res[u"response"_s][u"result"_s].toObject()).toJson(QJsonDocument::Compact),
            QJsonDocument::fromJson(expected).toJson(QJsonDocument::Compact));
    } else {
        QCOMPARE(res[u"type"_s].toString(), u"error"_s);
        QCOMPARE(res[u"error"_s][u"code"_s].toString().toUtf8(), expected);
    }
}

// ---- store_sql / close_sql ----------------------------------------------------------------------------------

void TestHranaHttp::storeSqlAndCloseSql()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r1 = pipeline(ns,
        pipeJson({ R"({"type":"store_sql","sql_id":1,"sql":"SELECT ?"})",
            R"({"type":"store_sql","sql_id":2,"sql":"CREATE TABLE q(a); INSERT INTO q VALUES (5);"})",
            R"({"type":"execute","stmt":{"sql_id":1,"args":[{"type":"integer","value":"41"}]}})",
            R"({"type":"batch","batch":{"steps":[{"stmt":{"sql_id":1,"args":[{"type":"text","value":"b"}]}}]}})",
            R"({"type":"sequence","sql_id":2})", R"({"type":"describe","sql_id":1})",
            R"({"type":"close_sql","sql_id":99})" }));
    QCOMPARE(r1.status, 200);
    const QStringList types { u"store_sql"_s, u"store_sql"_s, u"execute"_s, u"batch"_s, u"sequence"_s, u"describe"_s,
        u"close_sql"_s };
    for (int i = 0; i < types.size(); ++i) {
        QCOMPARE(r1.result(i)[u"type"_s].toString(), u"ok"_s);
        QCOMPARE(r1.result(i)[u"response"_s][u"type"_s].toString(), types[i]);
    }
    QVERIFY(r1.body.contains(R"({"type":"ok","response":{"type":"store_sql"}})"));
    QVERIFY(r1.body.contains(R"({"type":"ok","response":{"type":"close_sql"}})"));
    QCOMPARE(r1.result(2)[u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s].toString(), u"41"_s);
    QCOMPARE(
        r1.result(3)[u"response"_s][u"result"_s][u"step_results"_s][0][u"rows"_s][0][0][u"value"_s].toString(), u"b"_s);
    QCOMPARE(r1.result(5)[u"response"_s][u"result"_s][u"params"_s].toArray().size(), 1);
    QCOMPARE(scalar(ns, "SELECT a FROM q"), "5"_ba);

    // Stored texts live as long as the stream: the next HTTP request may use them.
    const HttpReply r2 = pipeline(ns,
        pipeJson({ R"({"type":"execute","stmt":{"sql_id":1,"args":[{"type":"null"}]}})",
                     R"({"type":"close_sql","sql_id":1})" },
            r1.baton()));
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.result(0)[u"type"_s].toString(), u"ok"_s);
    QCOMPARE(r2.result(1)[u"type"_s].toString(), u"ok"_s);

    // After close_sql the id is unknown: a protocol error that fails the whole request.
    const HttpReply r3 = pipeline(ns, pipeJson({ R"({"type":"execute","stmt":{"sql_id":1}})" }, r2.baton()));
    QCOMPARE(r3.status, 400);
    QCOMPARE(r3.header("content-type"), "text/plain"_ba);
    QCOMPARE(r3.body, "SQL text 1 not found"_ba);

    // Stored SQL is per stream: a new stream does not know id 2.
    const HttpReply r4 = pipeline(ns, pipeJson({ R"({"type":"sequence","sql_id":2})" }));
    QCOMPARE(r4.status, 400);
    QCOMPARE(r4.body, "SQL text 2 not found"_ba);
}

void TestHranaHttp::storeSqlLimit()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QByteArrayList reqs;
    for (int i = 1; i <= 51; ++i)
        reqs << R"({"type":"store_sql","sql_id":)" + QByteArray::number(i) + R"(,"sql":"SELECT 1"})";
    reqs << CLOSE;
    const HttpReply r = pipeline(ns, pipeJson(reqs));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.result(49)[u"type"_s].toString(), u"ok"_s);
    const QJsonObject last = r.result(50);
    QCOMPARE(last[u"type"_s].toString(), u"error"_s);
    QCOMPARE(last[u"error"_s][u"code"_s].toString(), u"SQL_STORE_TOO_MANY"_s);
    QCOMPARE(
        last[u"error"_s][u"message"_s].toString(), u"The server already stores 50 SQL texts, it cannot store more"_s);
}

void TestHranaHttp::getAutocommit()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r1 = pipeline(ns, pipeJson({ AUTOCOMMIT, exec("BEGIN"), AUTOCOMMIT }), 3);
    QCOMPARE(r1.status, 200);
    QVERIFY(r1.body.contains(R"({"type":"ok","response":{"type":"get_autocommit","is_autocommit":true}})"));
    QVERIFY(r1.body.contains(R"({"type":"ok","response":{"type":"get_autocommit","is_autocommit":false}})"));
    // The transaction stays open across HTTP requests of the stream.
    const HttpReply r2 = pipeline(ns, pipeJson({ AUTOCOMMIT, exec("COMMIT"), AUTOCOMMIT, CLOSE }, r1.baton()), 3);
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.result(0)[u"response"_s][u"is_autocommit"_s].toBool(true), false);
    QCOMPARE(r2.result(2)[u"response"_s][u"is_autocommit"_s].toBool(false), true);
    QVERIFY(r2.json()[u"baton"_s].isNull());
}

void TestHranaHttp::streamProtocolErrors_data()
{
    QTest::addColumn<int>("version");
    QTest::addColumn<QByteArrayList>("requests");
    QTest::addColumn<QByteArray>("message");

    const QByteArray store1 = R"({"type":"store_sql","sql_id":1,"sql":"SELECT 1"})";
    QTest::addRow("unknown sql_id in execute")
        << 2 << QByteArrayList { R"({"type":"execute","stmt":{"sql_id":7}})" } << "SQL text 7 not found"_ba;
    QTest::addRow("unknown sql_id in batch")
        << 2 << QByteArrayList { R"({"type":"batch","batch":{"steps":[{"stmt":{"sql_id":7}}]}})" }
        << "SQL text 7 not found"_ba;
    QTest::addRow("unknown sql_id in sequence")
        << 2 << QByteArrayList { R"({"type":"sequence","sql_id":7})" } << "SQL text 7 not found"_ba;
    QTest::addRow("unknown sql_id in describe")
        << 3 << QByteArrayList { R"({"type":"describe","sql_id":7})" } << "SQL text 7 not found"_ba;
    QTest::addRow("closed sql_id") << 2
                                   << QByteArrayList { store1, R"({"type":"close_sql","sql_id":1})",
                                          R"({"type":"execute","stmt":{"sql_id":1}})" }
                                   << "SQL text 1 not found"_ba;
    QTest::addRow("duplicate sql_id") << 2 << QByteArrayList { store1, store1 } << "SQL text 1 already exists"_ba;
    QTest::addRow("sql and sql_id") << 2
                                    << QByteArrayList { store1,
                                           R"({"type":"execute","stmt":{"sql":"SELECT 1","sql_id":1}})" }
                                    << "Either `sql` or `sql_id` are required, but not both"_ba;
    QTest::addRow("neither sql nor sql_id")
        << 2 << QByteArrayList { R"({"type":"execute","stmt":{}})" } << "Either `sql` or `sql_id` are required"_ba;
    QTest::addRow("neither in describe") << 2 << QByteArrayList { R"({"type":"describe"})" }
                                         << "Either `sql` or `sql_id` are required"_ba;
    QTest::addRow("execute after close") << 2 << QByteArrayList { CLOSE, exec("SELECT 1") }
                                         << "Stream for this baton was closed"_ba;
    QTest::addRow("batch after close") << 2 << QByteArrayList { exec("SELECT 1"), CLOSE, batch({ step("SELECT 1") }) }
                                       << "Stream for this baton was closed"_ba;
    QTest::addRow("sequence after close")
        << 2 << QByteArrayList { CLOSE, seq("SELECT 1") } << "Stream for this baton was closed"_ba;
    QTest::addRow("describe after close") << 2 << QByteArrayList { CLOSE, R"({"type":"describe","sql":"SELECT 1"})" }
                                          << "Stream for this baton was closed"_ba;
    QTest::addRow("get_autocommit after close")
        << 3 << QByteArrayList { CLOSE, AUTOCOMMIT } << "Stream for this baton was closed"_ba;
    QTest::addRow("get_autocommit on v2")
        << 2 << QByteArrayList { AUTOCOMMIT }
        << "The `get_autocommit` request is only supported in protocol version hrana3 and higher"_ba;
    QTest::addRow("condition refers to the current step") << 2 << QByteArrayList { batch({ step("SELECT 1", okc(0)) }) }
                                                          << "Invalid reference to step in a batch condition"_ba;
    QTest::addRow("condition refers to a later step")
        << 3 << QByteArrayList { batch({ step("SELECT 1"), step("SELECT 1", errc(5)) }) }
        << "Invalid reference to step in a batch condition"_ba;
    QTest::addRow("nested condition refers to the current step")
        << 2 << QByteArrayList { batch({ step("SELECT 1"), step("SELECT 1", notc(andc({ okc(0), okc(1) }))) }) }
        << "Invalid reference to step in a batch condition"_ba;
}

void TestHranaHttp::streamProtocolErrors()
{
    QFETCH(int, version);
    QFETCH(QByteArrayList, requests);
    QFETCH(QByteArray, message);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = pipeline(ns, pipeJson(requests), version);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), "text/plain"_ba);
    QCOMPARE(r.body, message);
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
}

// A protocol error raised while the pipeline runs fails the request, but what already ran stays applied (8.2).
void TestHranaHttp::protocolErrorKeepsEarlierRequests_data()
{
    QTest::addColumn<int>("version");
    QTest::addColumn<QByteArray>("bad");

    QTest::addRow("unknown sql_id") << 2 << R"({"type":"execute","stmt":{"sql_id":9}})"_ba;
    QTest::addRow("duplicate sql_id")
        << 2
        << R"({"type":"store_sql","sql_id":1,"sql":"SELECT 1"},{"type":"store_sql","sql_id":1,"sql":"SELECT 1"})"_ba;
    QTest::addRow("bad step reference") << 2 << batch({ step("SELECT 1", okc(3)) });
    QTest::addRow("get_autocommit on v2") << 2 << AUTOCOMMIT;
    // (is_autocommit conditions are accepted on /v2/pipeline: @tursodatabase/sync pushes with them.)
}

void TestHranaHttp::protocolErrorKeepsEarlierRequests()
{
    QFETCH(int, version);
    QFETCH(QByteArray, bad);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE k(a)"));
    const HttpReply r = pipeline(ns, pipeJson({ exec("INSERT INTO k VALUES (1)"), bad }), version);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), "text/plain"_ba);
    QCOMPARE(scalar(ns, "SELECT count(*) FROM k"), "1"_ba);
}

// sqld's store_sql, close_sql and close do not touch the database, so they still work after close.
void TestHranaHttp::requestsAfterCloseThatNeedNoDatabase()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = pipeline(ns,
        pipeJson({ exec("SELECT 1"), CLOSE, R"({"type":"store_sql","sql_id":1,"sql":"SELECT 1"})",
            R"({"type":"close_sql","sql_id":1})", CLOSE }));
    QCOMPARE(r.status, 200);
    QVERIFY(r.json()[u"baton"_s].isNull());
    const QJsonArray results = r.json()[u"results"_s].toArray();
    QCOMPARE(results.size(), 5);
    for (const QJsonValue &v : results)
        QCOMPARE(v[u"type"_s].toString(), u"ok"_s);
}

// ---- batons -------------------------------------------------------------------------------------------------

void TestHranaHttp::emptyPipelineOpensStream()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = pipeline(ns, R"({"baton":null,"requests":[]})");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), "application/json"_ba);
    const QByteArray b = r.baton();
    QVERIFY(!b.isEmpty());
    QVERIFY(r.json()[u"base_url"_s].isNull());
    QCOMPARE(r.json()[u"results"_s].toArray().size(), 0);
    // A missing baton means null too.
    const HttpReply r2 = pipeline(ns, R"({"requests":[]})");
    QCOMPARE(r2.status, 200);
    QVERIFY(!r2.baton().isEmpty());
    QVERIFY(r2.baton() != b);
    // The baton changes on every response.
    const HttpReply r3 = pipeline(ns, pipeJson({ exec("SELECT 1") }, b));
    QCOMPARE(r3.status, 200);
    QVERIFY(!r3.baton().isEmpty());
    QVERIFY(r3.baton() != b);
}

void TestHranaHttp::batonMisuse_data()
{
    QTest::addColumn<QByteArray>("kind");
    QTest::addColumn<QByteArray>("message"); // empty: any 400 text

    QTest::addRow("reused") << "reused"_ba
                            << "Received a baton that has already been used"_ba;
    QTest::addRow("forged MAC") << "forged"_ba
                                << "Received an invalid baton"_ba;
    QTest::addRow("truncated") << "truncated"_ba
                               << "Received an invalid baton"_ba;
    QTest::addRow("garbage") << "garbage"_ba
                             << "Received an invalid baton"_ba;
    QTest::addRow("empty string") << "empty"_ba
                                  << "Received an invalid baton"_ba;
    QTest::addRow("48 zero bytes") << "zeros"_ba
                                   << "Received an invalid baton"_ba;
    QTest::addRow("from another namespace") << "other-namespace"_ba << QByteArray();
}

void TestHranaHttp::batonMisuse()
{
    QFETCH(QByteArray, kind);
    QFETCH(QByteArray, message);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE b(a); INSERT INTO b VALUES (1)"));
    const HttpReply r1 = pipeline(ns, pipeJson({ exec("SELECT count(*) FROM b") }));
    QCOMPARE(r1.status, 200);
    const QByteArray b1 = r1.baton();
    const HttpReply r2 = pipeline(ns, pipeJson({ exec("SELECT count(*) FROM b") }, b1));
    QCOMPARE(r2.status, 200);
    const QByteArray b2 = r2.baton();
    QVERIFY(b2 != b1);

    QByteArray bad;
    QByteArray targetNs = ns;
    if (kind == "reused") {
        bad = b1;
    } else if (kind == "forged") {
        bad = b2;
        bad[bad.size() - 1] = bad.back() == 'A' ? 'B' : 'A';
    } else if (kind == "truncated") {
        bad = b2.left(40);
    } else if (kind == "garbage") {
        bad = "this is not a baton";
    } else if (kind == "empty") {
        bad = "";
    } else if (kind == "zeros") {
        bad = QByteArray(48, '\0').toBase64(QByteArray::OmitTrailingEquals);
    } else {
        bad = b2;
        targetNs = freshNs();
        QVERIFY(!targetNs.isEmpty());
    }
    const HttpReply r = pipeline(targetNs, pipeJson({ exec("SELECT 1") }, bad));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), "text/plain"_ba);
    if (!message.isEmpty())
        QCOMPARE(r.body, message);

    // An error before the stream is acquired leaves it alive: the current baton still works.
    const HttpReply r3 = pipeline(ns, pipeJson({ exec("SELECT count(*) FROM b"), CLOSE }, b2));
    QCOMPARE(r3.status, 200);
    QCOMPARE(r3.result(0)[u"type"_s].toString(), u"ok"_s);
}

void TestHranaHttp::closedStreamBatonIsInvalid()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r1 = pipeline(ns, pipeJson({ exec("SELECT 1") }));
    const QByteArray b1 = r1.baton();
    const HttpReply r2 = pipeline(ns, pipeJson({ CLOSE }, b1));
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.body, R"({"baton":null,"base_url":null,"results":[{"type":"ok","response":{"type":"close"}}]})"_ba);
    const HttpReply r3 = pipeline(ns, pipeJson({ exec("SELECT 1") }, b1));
    QCOMPARE(r3.status, 400);
    QCOMPARE(r3.body, "Received an invalid baton"_ba);
}

// An idle stream expires (spec 8.2: 10 s by default; shortened here), rolls back, and its baton then answers
// 400 STREAM_EXPIRED as JSON.
void TestHranaHttp::streamExpiry()
{
    TestServer srv;
    auto cfg = TestServer::defaultConfig();
    cfg.streamExpiryS = 0.2;
    QVERIFY(srv.start(cfg));
    const auto post = [&](const QByteArray &body) { return send("POST", srv.port(), "/v2/pipeline", body); };
    QCOMPARE(post(pipeJson({ seq("CREATE TABLE e(a)"), CLOSE })).status, 200);
    const HttpReply r1 = post(pipeJson({ exec("BEGIN"), exec("INSERT INTO e VALUES (1)") }));
    QCOMPARE(r1.status, 200);
    QVERIFY(!r1.baton().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(send("GET", srv.adminPort(), "/v1/diagnostics").body, "[]"_ba, 15000);
    const HttpReply r2 = post(pipeJson({ exec("COMMIT") }, r1.baton()));
    QCOMPARE(r2.status, 400);
    QCOMPARE(r2.header("content-type"), "application/json"_ba);
    QCOMPARE(r2.body, R"({"message":"The stream has expired due to inactivity","code":"STREAM_EXPIRED"})"_ba);
    const HttpReply r3 = post(pipeJson({ exec("SELECT count(*) FROM e"), CLOSE }));
    QCOMPARE(r3.result(0)[u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s].toString(), u"0"_s);
    QSignalSpy stopped(srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
    srv.runtime->stop();
    QVERIFY(stopped.count() > 0 || stopped.wait(30000));
}

void TestHranaHttp::interactiveTransaction_data()
{
    QTest::addColumn<QByteArray>("end");
    QTest::addColumn<QByteArray>("countAfter");
    QTest::addRow("commit") << "COMMIT"_ba
                            << "1"_ba;
    QTest::addRow("rollback") << "ROLLBACK"_ba
                              << "0"_ba;
    QTest::addRow("END") << "END"_ba
                         << "1"_ba;
    QTest::addRow("close rolls back") << QByteArray() << "0"_ba;
}

void TestHranaHttp::interactiveTransaction()
{
    QFETCH(QByteArray, end);
    QFETCH(QByteArray, countAfter);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE tx(a)"));

    const HttpReply r1 = pipeline(ns, pipeJson({ exec("BEGIN") }), 3);
    QCOMPARE(r1.status, 200);
    QCOMPARE(r1.result(0)[u"type"_s].toString(), u"ok"_s);
    const HttpReply r2 = pipeline(ns, pipeJson({ exec("INSERT INTO tx VALUES (1)"), AUTOCOMMIT }, r1.baton()), 3);
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.result(0)[u"response"_s][u"result"_s][u"affected_row_count"_s].toInt(), 1);
    QCOMPARE(r2.result(1)[u"response"_s][u"is_autocommit"_s].toBool(true), false);

    // Another stream does not see the uncommitted row.
    QCOMPARE(scalar(ns, "SELECT count(*) FROM tx"), "0"_ba);
    // The transaction's own stream does.
    const HttpReply r3 = pipeline(ns, pipeJson({ exec("SELECT count(*) FROM tx") }, r2.baton()), 3);
    QCOMPARE(r3.status, 200);
    QCOMPARE(r3.result(0)[u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s].toString(), u"1"_s);

    const QByteArrayList last = end.isEmpty() ? QByteArrayList { CLOSE } : QByteArrayList { exec(end), CLOSE };
    const HttpReply r4 = pipeline(ns, pipeJson(last, r3.baton()), 3);
    QCOMPARE(r4.status, 200);
    QVERIFY(r4.json()[u"baton"_s].isNull());
    QCOMPARE(r4.result(0)[u"type"_s].toString(), u"ok"_s);
    QCOMPARE(scalar(ns, "SELECT count(*) FROM tx"), countAfter);
}

void TestHranaHttp::beginVariants_data()
{
    QTest::addColumn<QByteArray>("begin");
    for (const char *b : { "BEGIN", "BEGIN TRANSACTION", "BEGIN DEFERRED", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE",
             "BEGIN READONLY", "BEGIN TRANSACTION READONLY", "begin transaction readonly" })
        QTest::addRow("%s", b) << QByteArray(b);
}

void TestHranaHttp::beginVariants()
{
    QFETCH(QByteArray, begin);
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE rd(a); INSERT INTO rd VALUES (1)"));
    const HttpReply r1 = pipeline(ns, pipeJson({ exec(begin), exec("SELECT count(*) FROM rd"), AUTOCOMMIT }), 3);
    QCOMPARE(r1.status, 200);
    QCOMPARE(r1.result(0)[u"type"_s].toString(), u"ok"_s);
    QCOMPARE(r1.result(1)[u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s].toString(), u"1"_s);
    QCOMPARE(r1.result(2)[u"response"_s][u"is_autocommit"_s].toBool(true), false);
    const HttpReply r2 = pipeline(ns, pipeJson({ exec("COMMIT"), AUTOCOMMIT, CLOSE }, r1.baton()), 3);
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.result(0)[u"type"_s].toString(), u"ok"_s);
    QCOMPARE(r2.result(1)[u"response"_s][u"is_autocommit"_s].toBool(false), true);
}

// ---- values -------------------------------------------------------------------------------------------------

void TestHranaHttp::values_data()
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
    QTest::addRow("integer max") << i("9223372036854775807") << i("9223372036854775807") << "integer"_ba;
    QTest::addRow("integer min") << i("-9223372036854775808") << i("-9223372036854775808") << "integer"_ba;
    QTest::addRow("integer zero") << i("0") << i("0") << "integer"_ba;
    QTest::addRow("integer negative") << i("-42") << i("-42") << "integer"_ba;
    QTest::addRow("integer above 2^53") << i("9007199254740993") << i("9007199254740993") << "integer"_ba;
    QTest::addRow("float 1.0 keeps .0") << f("1.0") << f("1.0") << "real"_ba;
    QTest::addRow("float given as integral number") << f("1") << f("1.0") << "real"_ba;
    QTest::addRow("float 1.5") << f("1.5") << f("1.5") << "real"_ba;
    QTest::addRow("float 0.1") << f("0.1") << f("0.1") << "real"_ba;
    QTest::addRow("float -2.5") << f("-2.5") << f("-2.5") << "real"_ba;
    QTest::addRow("float 0.0") << f("0.0") << f("0.0") << "real"_ba;
    QTest::addRow("float 123456.789") << f("123456.789") << f("123456.789") << "real"_ba;
    QTest::addRow("float 1e15") << f("1e15") << f("1000000000000000.0") << "real"_ba;
    QTest::addRow("float 9999999999999998") << f("9999999999999998.0") << f("9999999999999998.0") << "real"_ba;
    QTest::addRow("float 1e16") << f("1e16") << f("1e16") << "real"_ba;
    QTest::addRow("float 1.2345e16") << f("12345000000000000") << f("1.2345e16") << "real"_ba;
    QTest::addRow("float 1e300") << f("1e300") << f("1e300") << "real"_ba;
    QTest::addRow("float -1e16") << f("-1e16") << f("-1e16") << "real"_ba;
    QTest::addRow("float 1e-5") << f("0.00001") << f("0.00001") << "real"_ba;
    QTest::addRow("float 9.5e-6") << f("0.0000095") << f("9.5e-6") << "real"_ba;
    QTest::addRow("float 1.5e-7") << f("1.5e-7") << f("1.5e-7") << "real"_ba;
    QTest::addRow("float 1.5E-7 input") << f("1.5E-7") << f("1.5e-7") << "real"_ba;
    QTest::addRow("float max") << f("1.7976931348623157e308") << f("1.7976931348623157e308") << "real"_ba;
    QTest::addRow("float min subnormal") << f("5e-324") << f("5e-324") << "real"_ba;
    QTest::addRow("text empty") << t(R"("")") << t(R"("")") << "text"_ba;
    QTest::addRow("text unicode") << t("\"h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80\"")
                                  << t("\"h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80\"") << "text"_ba;
    QTest::addRow("text escaped unicode is written raw")
        << t(R"("\u00e9\ud83d\ude00")") << t("\"\xc3\xa9\xf0\x9f\x98\x80\"") << "text"_ba;
    QTest::addRow("text control characters") << t(R"("a\u0001b\nc\td\re\bf\fg\u001fh\u0000i")")
                                             << t(R"("a\u0001b\nc\td\re\bf\fg\u001fh\u0000i")") << "text"_ba;
    QTest::addRow("text DEL is not escaped") << t(R"("\u007f")") << t("\"\x7f\"") << "text"_ba;
    QTest::addRow("text quotes and backslashes")
        << t(R"("say \"hi\" \\ it's \/ ok")") << t(R"("say \"hi\" \\ it's / ok")") << "text"_ba;
    QTest::addRow("text that looks like JSON")
        << t(R"("{\"type\":\"integer\"}")") << t(R"("{\"type\":\"integer\"}")") << "text"_ba;
    QTest::addRow("blob without padding") << b("AAEC/w") << b("AAEC/w") << "blob"_ba;
    QTest::addRow("blob with padding") << b("AAEC/w==") << b("AAEC/w") << "blob"_ba;
    QTest::addRow("blob one byte padded") << b("AA==") << b("AA") << "blob"_ba;
    QTest::addRow("blob one byte unpadded") << b("AA") << b("AA") << "blob"_ba;
    QTest::addRow("blob two bytes padded") << b("AAE=") << b("AAE") << "blob"_ba;
    QTest::addRow("blob three bytes") << b("AAEC") << b("AAEC") << "blob"_ba;
    QTest::addRow("blob standard alphabet") << b("+/+/") << b("+/+/") << "blob"_ba;
    QTest::addRow("blob empty") << b("") << b("") << "blob"_ba;
}

void TestHranaHttp::values()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, output);
    QFETCH(QByteArray, sqlType);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = pipeline(ns,
        pipeJson({ exec("SELECT ?", ",\"args\":[" + input + "]"),
            exec("SELECT typeof(:v)", ",\"named_args\":[" + named(":v", input) + "]"), CLOSE }));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.result(0)[u"type"_s].toString(), u"ok"_s);
    const QByteArray want = R"("cols":[{"name":"?","decltype":null}],"rows":[[)" + output + "]]";
    QVERIFY2(r.body.contains(want), r.body.constData());
    QCOMPARE(r.result(1)[u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s].toString().toUtf8(), sqlType);
}

void TestHranaHttp::invalidValues_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addRow("integer as JSON number") << R"({"type":"integer","value":42})"_ba;
    QTest::addRow("integer not a number") << R"({"type":"integer","value":"4x2"})"_ba;
    QTest::addRow("integer overflow") << R"({"type":"integer","value":"9223372036854775808"})"_ba;
    QTest::addRow("integer with a fraction") << R"({"type":"integer","value":"1.5"})"_ba;
    QTest::addRow("integer with spaces") << R"({"type":"integer","value":" 1"})"_ba;
    QTest::addRow("integer empty") << R"({"type":"integer","value":""})"_ba;
    QTest::addRow("integer missing value") << R"({"type":"integer"})"_ba;
    QTest::addRow("float as string") << R"({"type":"float","value":"1.5"})"_ba;
    QTest::addRow("text as number") << R"({"type":"text","value":1})"_ba;
    QTest::addRow("blob bad base64") << R"({"type":"blob","base64":"!!!!"})"_ba;
    QTest::addRow("unknown type") << R"({"type":"bigint","value":"1"})"_ba;
    QTest::addRow("missing type") << R"({"value":"1"})"_ba;
    QTest::addRow("not an object") << R"("1")"_ba;
}

void TestHranaHttp::invalidValues()
{
    QFETCH(QByteArray, value);
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    for (const QByteArray &body : { pipeJson({ exec("SELECT ?", ",\"args\":[" + value + "]") }),
             pipeJson({ exec("SELECT :a", ",\"named_args\":[" + named("a", value) + "]") }) }) {
        const HttpReply r = pipeline(ns, body);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.header("content-type"), "text/plain"_ba);
        QVERIFY2(r.body.startsWith("Cannot deserialize client message from JSON"), r.body.constData());
    }
}

void TestHranaHttp::colsAndDecltype()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns,
        "CREATE TABLE ct(id INTEGER PRIMARY KEY, name varchar(20), price DECIMAL(10, 2), data BLOB, "
        "anything); INSERT INTO ct VALUES (1, 'x', 2.5, x'00', NULL)"));
    const HttpReply r = pipeline(ns,
        pipeJson({ exec("SELECT id, name, price, data, anything, id + 1 AS plus, id AS alias, count(*) FROM ct"),
            exec("INSERT INTO ct(name) VALUES ('y')"), CLOSE }));
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.contains(
                 R"J("cols":[{"name":"id","decltype":"INTEGER"},{"name":"name","decltype":"varchar(20)"},)J"
                 R"J({"name":"price","decltype":"DECIMAL(10, 2)"},{"name":"data","decltype":"BLOB"},)J"
                 R"({"name":"anything","decltype":null},{"name":"plus","decltype":null},)"
                 R"J({"name":"alias","decltype":"INTEGER"},{"name":"count(*)","decltype":null}],)J"
                 R"("rows":[[{"type":"integer","value":"1"},{"type":"text","value":"x"},{"type":"float","value":2.5},)"
                 R"({"type":"blob","base64":"AA"},{"type":"null"},{"type":"integer","value":"2"},)"
                 R"({"type":"integer","value":"1"},{"type":"integer","value":"1"}]])"),
        r.body.constData());
    // A statement without result columns has "cols":[] and "rows":[]; every StmtResult key is present, in order.
    const QJsonObject ins = r.result(1)[u"response"_s][u"result"_s].toObject();
    QCOMPARE(ins.keys(),
        (QStringList { u"affected_row_count"_s, u"cols"_s, u"last_insert_rowid"_s, u"query_duration_ms"_s,
            u"replication_index"_s, u"rows"_s, u"rows_read"_s, u"rows_written"_s }));
    QVERIFY(r.body.contains(R"({"cols":[],"rows":[],"affected_row_count":1,"last_insert_rowid":"2",)"
                            R"("replication_index":null,"rows_read":)"));
    QVERIFY(ins[u"query_duration_ms"_s].isDouble());
    QVERIFY(ins[u"rows_read"_s].isDouble());
    QCOMPARE(ins[u"rows_written"_s].toInt(), 1);
}

void TestHranaHttp::affectedRowsAndRowid_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<int>("affected");
    QTest::addColumn<QByteArray>("rowid"); // JSON: null or "\"N\""

    // The setup (same stream) leaves rows 1..3 and a last_insert_rowid of 3 on the connection.
    QTest::addRow("INSERT") << "INSERT INTO r(a) VALUES (40)"_ba << 1 << "\"4\""_ba;
    QTest::addRow("INSERT two rows") << "INSERT INTO r(a) VALUES (40), (50)"_ba << 2 << "\"5\""_ba;
    QTest::addRow("INSERT OR IGNORE inserting nothing")
        << "INSERT OR IGNORE INTO r(a) VALUES (10)"_ba << 0 << "\"3\""_ba;
    QTest::addRow("INSERT ... RETURNING") << "INSERT INTO r(a) VALUES (60) RETURNING id"_ba << 1 << "\"4\""_ba;
    QTest::addRow("WITH ... INSERT") << "WITH x(v) AS (SELECT 70) INSERT INTO r(a) SELECT v FROM x"_ba << 1
                                     << "\"4\""_ba;
    QTest::addRow("REPLACE") << "REPLACE INTO r(id, a) VALUES (9, 90)"_ba << 1 << "\"9\""_ba;
    QTest::addRow("UPDATE") << "UPDATE r SET a = a + 1"_ba << 3 << "null"_ba;
    QTest::addRow("UPDATE nothing") << "UPDATE r SET a = 0 WHERE id > 100"_ba << 0 << "null"_ba;
    QTest::addRow("DELETE") << "DELETE FROM r WHERE id < 3"_ba << 2 << "null"_ba;
    QTest::addRow("SELECT after INSERT") << "SELECT * FROM r"_ba << 0 << "null"_ba;
    QTest::addRow("CREATE TABLE") << "CREATE TABLE other(a)"_ba << 0 << "null"_ba;
    QTest::addRow("CREATE INDEX") << "CREATE INDEX ra ON r(a)"_ba << 0 << "null"_ba;
    QTest::addRow("DROP TABLE") << "DROP TABLE r"_ba << 0 << "null"_ba;
    QTest::addRow("PRAGMA") << "PRAGMA user_version"_ba << 0 << "null"_ba;
    QTest::addRow("BEGIN") << "BEGIN"_ba << 0 << "null"_ba;
}

void TestHranaHttp::affectedRowsAndRowid()
{
    QFETCH(QByteArray, sql);
    QFETCH(int, affected);
    QFETCH(QByteArray, rowid);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = pipeline(ns,
        pipeJson({ seq("CREATE TABLE r(id INTEGER PRIMARY KEY, a UNIQUE);"
                       "INSERT INTO r(a) VALUES (10), (20), (30);"),
            exec(sql), CLOSE }));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.result(0)[u"type"_s].toString(), u"ok"_s);
    QCOMPARE(r.result(1)[u"type"_s].toString(), u"ok"_s);
    const QByteArray expected = R"(,"affected_row_count":)" + QByteArray::number(affected) + R"(,"last_insert_rowid":)"
        + rowid + R"(,"replication_index":null,)";
    QVERIFY2(r.body.contains(expected), r.body.constData());
}

// ---- statement errors ---------------------------------------------------------------------------------------

void TestHranaHttp::statementErrors_data()
{
    QTest::addColumn<QByteArray>("stmt"); // the execute request
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QByteArray>("message"); // exact, or a prefix ending in ": "

    QTest::addRow("syntax error") << exec("SELEC 1") << "SQL_PARSE_ERROR"_ba
                                  << "SQL string could not be parsed: "_ba;
    QTest::addRow("syntax error inside a statement") << exec("SELECT FROM WHERE") << "SQL_PARSE_ERROR"_ba
                                                     << "SQL string could not be parsed: "_ba;
    QTest::addRow("unsupported PRAGMA") << exec("PRAGMA wal_checkpoint") << "SQL_PARSE_ERROR"_ba
                                        << "SQL string could not be parsed: "_ba;
    QTest::addRow("unsupported journal_mode change") << exec("PRAGMA journal_mode=DELETE") << "SQL_PARSE_ERROR"_ba
                                                     << "SQL string could not be parsed: "_ba;
    QTest::addRow("unsupported TEMP table") << exec("CREATE TEMP TABLE tt(a)") << "SQL_PARSE_ERROR"_ba
                                            << "SQL string could not be parsed: "_ba;
    QTest::addRow("no such table") << exec("SELECT * FROM nosuch") << "SQL_INPUT_ERROR"_ba
                                   << "SQL input error: no such table: nosuch (at offset 14)"_ba;
    QTest::addRow("no such column") << exec("SELECT nosuchcol FROM e") << "SQL_INPUT_ERROR"_ba
                                    << "SQL input error: no such column: nosuchcol (at offset 7)"_ba;
    QTest::addRow("UNIQUE constraint") << exec("INSERT INTO e(a) VALUES (1)") << "SQLITE_CONSTRAINT"_ba
                                       << "SQLite error: UNIQUE constraint failed: e.a"_ba;
    QTest::addRow("NOT NULL constraint") << exec("INSERT INTO e(a, b) VALUES (2, NULL)") << "SQLITE_CONSTRAINT"_ba
                                         << "SQLite error: NOT NULL constraint failed: e.b"_ba;
    QTest::addRow("generic SQLITE_ERROR is SQLITE_UNKNOWN")
        << exec("SELECT abs(-9223372036854775807 - 1)") << "SQLITE_UNKNOWN"_ba
        << "SQLite error: integer overflow"_ba;
    QTest::addRow("empty") << exec("") << "SQL_NO_STATEMENT"_ba
                           << "SQL string does not contain any statement"_ba;
    QTest::addRow("only a comment") << exec("  -- nothing") << "SQL_NO_STATEMENT"_ba
                                    << "SQL string does not contain any statement"_ba;
    QTest::addRow("two statements") << exec("SELECT 1; SELECT 2") << "SQL_MANY_STATEMENTS"_ba
                                    << "SQL string contains more than one statement"_ba;
    QTest::addRow("missing argument") << exec("SELECT ?") << "ARGS_INVALID"_ba
                                      << "Arguments do not match SQL parameters: value for parameter 1 not found"_ba;
    QTest::addRow("both kinds of arguments")
        << exec("SELECT ?", ",\"args\":[" + I(1) + "],\"named_args\":[" + named("a", I(1)) + "]")
        << "ARGS_BOTH_POSITIONAL_AND_NAMED"_ba
        << "Specifying both positional and named arguments is not supported"_ba;
    QTest::addRow("batch step with a syntax error fails the whole batch")
        << batch({ step("SELECT 1"), step("SELEC 1") }) << "SQL_PARSE_ERROR"_ba
        << "SQL string could not be parsed: "_ba;
    QTest::addRow("batch step with two statements fails the whole batch")
        << batch({ step("SELECT 1"), step("SELECT 1; SELECT 2") }) << "SQL_MANY_STATEMENTS"_ba
        << "SQL string contains more than one statement"_ba;
    QTest::addRow("batch step with both kinds of arguments fails the whole batch")
        << batch({ step("SELECT 1"),
               R"({"stmt":{"sql":"SELECT ?","args":[{"type":"null"}],"named_args":[{"name":"a","value":{"type":"null"}}]}})" })
        << "ARGS_BOTH_POSITIONAL_AND_NAMED"_ba
        << "Specifying both positional and named arguments is not supported"_ba;
}

void TestHranaHttp::statementErrors()
{
    QFETCH(QByteArray, stmt);
    QFETCH(QByteArray, code);
    QFETCH(QByteArray, message);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE e(a UNIQUE, b NOT NULL DEFAULT 0); INSERT INTO e(a) VALUES (1)"));
    const HttpReply r = pipeline(ns, pipeJson({ stmt, exec("SELECT count(*) FROM e"), CLOSE }));
    QCOMPARE(r.status, 200);
    const QJsonObject res = r.result(0);
    QCOMPARE(res[u"type"_s].toString(), u"error"_s);
    QCOMPARE(res[u"error"_s].toObject().keys(), (QStringList { u"code"_s, u"message"_s }));
    QCOMPARE(res[u"error"_s][u"code"_s].toString().toUtf8(), code);
    const QByteArray actual = res[u"error"_s][u"message"_s].toString().toUtf8();
    if (message.endsWith(": "))
        QVERIFY2(actual.startsWith(message) && actual.size() > message.size(), actual.constData());
    else
        QCOMPARE(actual, message);
    // Nothing ran (a whole-batch failure runs no step) and the stream still works.
    QCOMPARE(r.result(1)[u"type"_s].toString(), u"ok"_s);
    QCOMPARE(r.result(1)[u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s].toString(), u"1"_s);
}

// sqld refuses VACUUM (SQL_PARSE_ERROR); accepting it is a safe deviation (spec 18), but only if it then works.
void TestHranaHttp::vacuum()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE v(a); INSERT INTO v VALUES (1); DELETE FROM v"));
    const HttpReply r = pipeline(ns, pipeJson({ exec("VACUUM"), CLOSE }));
    QCOMPARE(r.status, 200);
    const QJsonObject res = r.result(0);
    if (res[u"type"_s] == u"error"_s)
        QCOMPARE(res[u"error"_s][u"code"_s].toString(), u"SQL_PARSE_ERROR"_s);
    else
        QCOMPARE(res[u"type"_s].toString(), u"ok"_s);
}

void TestHranaHttp::protocolErrors_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");

    for (const char *path : { "/v2/pipeline", "/v3/pipeline" }) {
        const QByteArray p(path);
        QTest::addRow("%s malformed JSON", path) << p << R"({"baton":null,"requests":[)"_ba;
        QTest::addRow("%s empty body", path) << p << QByteArray();
        QTest::addRow("%s not an object", path) << p << "[]"_ba;
        QTest::addRow("%s requests missing", path) << p << R"({"baton":null})"_ba;
        QTest::addRow("%s requests not an array", path) << p << R"({"baton":null,"requests":{}})"_ba;
        QTest::addRow("%s baton not a string", path) << p << R"({"baton":5,"requests":[]})"_ba;
        QTest::addRow("%s unknown request type", path) << p << pipeJson({ R"({"type":"frobnicate"})" });
        QTest::addRow("%s request without type", path) << p << pipeJson({ R"({"stmt":{"sql":"SELECT 1"}})" });
        QTest::addRow("%s execute without stmt", path) << p << pipeJson({ R"({"type":"execute"})" });
        QTest::addRow("%s integer as JSON number", path)
            << p << pipeJson({ exec("SELECT ?", R"(,"args":[{"type":"integer","value":1}])") });
        QTest::addRow("%s args null", path) << p << pipeJson({ exec("SELECT 1", R"(,"args":null)") });
        QTest::addRow("%s unknown condition type", path)
            << p << pipeJson({ batch({ step("SELECT 1"), step("SELECT 1", R"({"type":"maybe","step":0})") }) });
        QTest::addRow("%s condition without step", path)
            << p << pipeJson({ batch({ step("SELECT 1"), step("SELECT 1", R"({"type":"ok"})") }) });
        QTest::addRow("%s store_sql without sql", path) << p << pipeJson({ R"({"type":"store_sql","sql_id":1})" });
    }
    QTest::addRow("cursor malformed JSON") << "/v3/cursor"_ba
                                           << R"({"baton":null,"batch":)"_ba;
    QTest::addRow("cursor without batch") << "/v3/cursor"_ba
                                          << R"({"baton":null})"_ba;
    QTest::addRow("v1 execute malformed JSON") << "/v1/execute"_ba
                                               << "{"_ba;
    QTest::addRow("v1 batch malformed JSON") << "/v1/batch"_ba
                                             << "{"_ba;
}

void TestHranaHttp::protocolErrors()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = user("POST", path, body, { { "x-namespace", ns }, { "content-type", "application/json" } });
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), "text/plain"_ba);
    QVERIFY2(r.body.startsWith("Cannot deserialize client message from JSON"), r.body.constData());
}

// ---- /v3/cursor ---------------------------------------------------------------------------------------------

void TestHranaHttp::cursor()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE c(n INTEGER, s TEXT)"));
    const QByteArray body = R"({"baton":null,"batch":{"steps":[)"
                            R"J({"stmt":{"sql":"INSERT INTO c VALUES (1, 'a'), (2, 'b')"}},)J"
                            R"({"stmt":{"sql":"SELECT n, s FROM c ORDER BY n"}}]}})";
    const HttpReply r = user("POST", "/v3/cursor", body, { { "x-namespace", ns } });
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), "text/plain"_ba);
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
    QVERIFY(r.body.endsWith('\n'));
    const QByteArrayList lines = r.body.chopped(1).split('\n');
    QCOMPARE(lines.size(), 7);
    const QJsonObject head = QJsonDocument::fromJson(lines[0]).object();
    QCOMPARE(head.keys(), (QStringList { u"base_url"_s, u"baton"_s }));
    QVERIFY(head[u"base_url"_s].isNull());
    const QByteArray baton = head[u"baton"_s].toString().toUtf8();
    QVERIFY(!baton.isEmpty());
    QVERIFY(lines[0].startsWith(R"({"baton":")"));
    QVERIFY(lines[0].endsWith(R"(","base_url":null})"));
    QCOMPARE(lines[1], R"({"type":"step_begin","step":0,"cols":[]})"_ba);
    QCOMPARE(lines[2], R"({"type":"step_end","affected_row_count":2,"last_insert_rowid":"2"})"_ba);
    QCOMPARE(lines[3],
        R"({"type":"step_begin","step":1,"cols":[{"name":"n","decltype":"INTEGER"},)"
        R"({"name":"s","decltype":"TEXT"}]})"_ba);
    QCOMPARE(lines[4], R"({"type":"row","row":[{"type":"integer","value":"1"},{"type":"text","value":"a"}]})"_ba);
    QCOMPARE(lines[5], R"({"type":"row","row":[{"type":"integer","value":"2"},{"type":"text","value":"b"}]})"_ba);
    QCOMPARE(lines[6], R"({"type":"step_end","affected_row_count":0,"last_insert_rowid":null})"_ba);
    // No trailing replication_index entry (hrana-client-ts rejects it).
    QVERIFY(!r.body.contains("replication_index"));

    // The cursor's baton continues the stream, on the pipeline and on another cursor.
    const HttpReply p = pipeline(ns, pipeJson({ exec("SELECT count(*) FROM c") }, baton), 3);
    QCOMPARE(p.status, 200);
    QCOMPARE(p.result(0)[u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s].toString(), u"2"_s);
    const HttpReply c2 = user("POST", "/v3/cursor",
        R"({"baton":")" + p.baton() + R"(","batch":{"steps":[{"stmt":{"sql":"SELECT 1"}}]}})",
        { { "x-namespace", ns } });
    QCOMPARE(c2.status, 200);
    QVERIFY(c2.body.contains(R"({"type":"row","row":[{"type":"integer","value":"1"}]})"));
}

void TestHranaHttp::cursorStepErrors()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE c(n INTEGER)"));
    const QByteArray body = R"({"baton":null,"batch":{"steps":[)"
                            R"J({"stmt":{"sql":"INSERT INTO c VALUES (7)"}},)J"
                            R"({"stmt":{"sql":"SELECT * FROM nosuch"}},)"
                            R"({"condition":{"type":"ok","step":1},"stmt":{"sql":"SELECT 'skipped'"}},)"
                            R"({"condition":{"type":"error","step":1},"stmt":{"sql":"SELECT 'recovered'"}}]}})";
    const HttpReply r = user("POST", "/v3/cursor", body, { { "x-namespace", ns } });
    QCOMPARE(r.status, 200);
    const QByteArrayList lines = r.body.chopped(1).split('\n');
    QCOMPARE(lines.size(), 7);
    QCOMPARE(lines[1], R"({"type":"step_begin","step":0,"cols":[]})"_ba);
    QCOMPARE(lines[2], R"({"type":"step_end","affected_row_count":1,"last_insert_rowid":"1"})"_ba);
    // A failing prepare gives step_error without step_begin; the skipped step gives nothing.
    QCOMPARE(lines[3],
        R"({"type":"step_error","step":1,"error":{"message":"SQL input error: no such table: nosuch )"
        R"J((at offset 14)","code":"SQL_INPUT_ERROR"}})J"_ba);
    QCOMPARE(lines[4], R"({"type":"step_begin","step":3,"cols":[{"name":"'recovered'","decltype":null}]})"_ba);
    QCOMPARE(lines[5], R"({"type":"row","row":[{"type":"text","value":"recovered"}]})"_ba);
    QCOMPARE(lines[6], R"({"type":"step_end","affected_row_count":0,"last_insert_rowid":null})"_ba);
}

void TestHranaHttp::cursorErrorDuringRows()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    // The second row fails: sqld streams step_begin, the first row, then step_error (spec section 5).
    const QByteArray body = R"({"baton":null,"batch":{"steps":[{"stmt":{"sql":)"
        + jstr("SELECT CASE WHEN x = 2 THEN abs(-9223372036854775807 - 1) ELSE x END AS v "
               "FROM (SELECT 1 AS x UNION ALL SELECT 2)")
        + "}}]}}";
    const HttpReply r = user("POST", "/v3/cursor", body, { { "x-namespace", ns } });
    QCOMPARE(r.status, 200);
    const QByteArrayList lines = r.body.chopped(1).split('\n');
    QCOMPARE(lines.mid(1),
        (QByteArrayList { R"({"type":"step_begin","step":0,"cols":[{"name":"v","decltype":null}]})",
            R"({"type":"row","row":[{"type":"integer","value":"1"}]})",
            R"({"type":"step_error","step":0,"error":{"message":"SQLite error: integer overflow",)"
            R"("code":"SQLITE_UNKNOWN"}})" }));
}

void TestHranaHttp::cursorUnsupportedStatement()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE c(n)"));
    // sqld answers 500 here; the spec asks qsqld for the header line plus a step_error, and nothing runs.
    const QByteArray body = R"J({"baton":null,"batch":{"steps":[{"stmt":{"sql":"INSERT INTO c VALUES (1)"}},)J"
                            R"J({"stmt":{"sql":"CREATE TEMP TABLE tt(a)"}}]}})J";
    const HttpReply r = user("POST", "/v3/cursor", body, { { "x-namespace", ns } });
    QCOMPARE(r.status, 200);
    const QByteArrayList lines = r.body.chopped(1).split('\n');
    QCOMPARE(lines.size(), 2);
    const QJsonObject e = QJsonDocument::fromJson(lines[1]).object();
    QCOMPARE(e[u"type"_s].toString(), u"step_error"_s);
    QCOMPARE(e[u"step"_s].toInt(), 1);
    QCOMPARE(e[u"error"_s][u"code"_s].toString(), u"SQL_PARSE_ERROR"_s);
    QCOMPARE(scalar(ns, "SELECT count(*) FROM c"), "0"_ba);
}

void TestHranaHttp::cursorBadRequests_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("message");

    QTest::addRow("invalid baton") << R"({"baton":"garbage","batch":{"steps":[]}})"_ba << 400
                                   << "Received an invalid baton"_ba;
    QTest::addRow("bad step reference")
        << R"({"baton":null,"batch":{"steps":[{"condition":{"type":"ok","step":0},"stmt":{"sql":"SELECT 1"}}]}})"_ba
        << 400 << "Invalid reference to step in a batch condition"_ba;
    QTest::addRow("unknown sql_id") << R"({"baton":null,"batch":{"steps":[{"stmt":{"sql_id":3}}]}})"_ba << 400
                                    << "SQL text 3 not found"_ba;
}

void TestHranaHttp::cursorBadRequests()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QByteArray, message);
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = user("POST", "/v3/cursor", body, { { "x-namespace", ns } });
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("content-type"), "text/plain"_ba);
    QCOMPARE(r.body, message);
}

// ---- /v1 ----------------------------------------------------------------------------------------------------

void TestHranaHttp::v1_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("expected"); // error code for JSON errors, else a prefix of the body

    const QByteArray ex = "/v1/execute";
    const QByteArray ba = "/v1/batch";
    QTest::addRow("execute ok")
        << ex << R"({"stmt":{"sql":"SELECT 1"}})"_ba << 200
        << R"({"result":{"cols":[{"name":"1","decltype":null}],"rows":[[{"type":"integer","value":"1"}]],"affected_row_count":0,"last_insert_rowid":null,"replication_index":null,)"_ba;
    QTest::addRow("execute insert")
        << ex << R"J({"stmt":{"sql":"INSERT INTO u VALUES (2)"}})J"_ba << 200
        << R"({"result":{"cols":[],"rows":[],"affected_row_count":1,"last_insert_rowid":"2",)"_ba;
    QTest::addRow("execute args")
        << ex << R"({"stmt":{"sql":"SELECT ?","args":[{"type":"text","value":"v"}]}})"_ba << 200
        << R"({"result":{"cols":[{"name":"?","decltype":null}],"rows":[[{"type":"text","value":"v"}]],)"_ba;
    QTest::addRow("parse error is 400") << ex << R"({"stmt":{"sql":"SELEC 1"}})"_ba << 400 << "SQL_PARSE_ERROR"_ba;
    QTest::addRow("no statement is 400") << ex << R"({"stmt":{"sql":""}})"_ba << 400 << "SQL_NO_STATEMENT"_ba;
    QTest::addRow("many statements is 400")
        << ex << R"({"stmt":{"sql":"SELECT 1; SELECT 2"}})"_ba << 400 << "SQL_MANY_STATEMENTS"_ba;
    QTest::addRow("args invalid is 400") << ex << R"({"stmt":{"sql":"SELECT ?"}})"_ba << 400 << "ARGS_INVALID"_ba;
    QTest::addRow("input error is 400") << ex << R"({"stmt":{"sql":"SELECT * FROM nosuch"}})"_ba << 400
                                        << "SQL_INPUT_ERROR"_ba;
    QTest::addRow("both kinds of arguments is 501")
        << ex
        << R"({"stmt":{"sql":"SELECT ?","args":[{"type":"null"}],"named_args":[{"name":"a","value":{"type":"null"}}]}})"_ba
        << 501 << "ARGS_BOTH_POSITIONAL_AND_NAMED"_ba;
    QTest::addRow("constraint is 500") << ex << R"J({"stmt":{"sql":"INSERT INTO u VALUES (1)"}})J"_ba << 500
                                       << "SQLITE_CONSTRAINT"_ba;
    QTest::addRow("integer overflow is 500")
        << ex << R"J({"stmt":{"sql":"SELECT abs(-9223372036854775807 - 1)"}})J"_ba << 500 << "SQLITE_UNKNOWN"_ba;
    QTest::addRow("sql_id is a protocol error") << ex << R"({"stmt":{"sql_id":1}})"_ba << 400 << QByteArray();
    QTest::addRow("batch ok")
        << ba
        << R"({"batch":{"steps":[{"stmt":{"sql":"SELECT 1"}},{"stmt":{"sql":"SELECT * FROM nosuch"}},{"condition":{"type":"error","step":1},"stmt":{"sql":"SELECT 2"}}]}})"_ba
        << 200 << R"({"result":{"step_results":[{"cols":[{"name":"1","decltype":null}],)"_ba;
    QTest::addRow("batch parse error is 400")
        << ba << R"({"batch":{"steps":[{"stmt":{"sql":"SELECT 1"}},{"stmt":{"sql":"SELEC 1"}}]}})"_ba << 400
        << "SQL_PARSE_ERROR"_ba;
    QTest::addRow("batch is_autocommit is a protocol error")
        << ba << R"({"batch":{"steps":[{"condition":{"type":"is_autocommit"},"stmt":{"sql":"SELECT 1"}}]}})"_ba << 400
        << QByteArray();
    QTest::addRow("batch bad step reference")
        << ba << R"({"batch":{"steps":[{"condition":{"type":"ok","step":0},"stmt":{"sql":"SELECT 1"}}]}})"_ba << 400
        << QByteArray();
}

void TestHranaHttp::v1()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QByteArray, expected);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    QVERIFY(setup(ns, "CREATE TABLE u(a INTEGER PRIMARY KEY); INSERT INTO u VALUES (1)"));
    const HttpReply r = user("POST", path, body, { { "x-namespace", ns } });
    QCOMPARE(r.status, status);
    if (status == 200) {
        QCOMPARE(r.header("content-type"), "application/json"_ba);
        QVERIFY2(r.body.startsWith(expected), r.body.constData());
    } else if (expected.isEmpty()) {
        QCOMPARE(r.header("content-type"), "text/plain"_ba);
    } else {
        QCOMPARE(r.header("content-type"), "application/json"_ba);
        QCOMPARE(r.json().keys(), (QStringList { u"code"_s, u"message"_s }));
        QCOMPARE(r.json()[u"code"_s].toString().toUtf8(), expected);
    }
    if (path == "/v1/batch" && status == 200) {
        const QJsonObject br = r.json()[u"result"_s].toObject();
        QCOMPARE(br[u"step_errors"_s][1][u"code"_s].toString(), u"SQL_INPUT_ERROR"_s);
        QVERIFY(br[u"step_results"_s][2].isObject());
    }
}

// ---- legacy POST / ------------------------------------------------------------------------------------------

void TestHranaHttp::legacy_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("expected"); // exact after zeroing rows_read/rows_written/duration; "…" ends a prefix

    QTest::addRow("spec example")
        << R"J({"statements":["CREATE TABLE t(a)",{"q":"INSERT INTO t VALUES (?), (?)","params":[1, {"base64":"AAE"}]},"SELECT a FROM t","SELECT * FROM x","SELECT 1"],"replication_index":null})J"_ba
        << 200
        << R"([{"results":{"columns":[],"rows":[],"rows_read":0,"rows_written":0,"query_duration_ms":0}},)"
           R"({"results":{"columns":[],"rows":[],"rows_read":0,"rows_written":0,"query_duration_ms":0}},)"
           R"({"results":{"columns":["a"],"rows":[[1],[{"base64":"AAE"}]],"rows_read":0,"rows_written":0,"query_duration_ms":0}},)"
           R"({"error":"no such table: x in SELECT * FROM x at offset 14"},null])"_ba;
    QTest::addRow("plain JSON values")
        << R"({"statements":[{"q":"SELECT ?, ?, ?, ?, ?, ?, ?, ?","params":[42, 1.5, 2.0, "t", true, false, null, {"base64":"AP8"}]}]})"_ba
        << 200
        << R"([{"results":{"columns":["?","?","?","?","?","?","?","?"],"rows":[[42,1.5,2.0,"t",1,0,null,{"base64":"AP8"}]],"rows_read":0,"rows_written":0,"query_duration_ms":0}}])"_ba;
    QTest::addRow("big integers are JSON numbers")
        << R"({"statements":["SELECT 9223372036854775807, -9223372036854775807 - 1"]})"_ba << 200
        << R"([{"results":{"columns":["9223372036854775807","-9223372036854775807 - 1"],"rows":[[9223372036854775807,-9223372036854775808]],"rows_read":0,"rows_written":0,"query_duration_ms":0}}])"_ba;
    QTest::addRow("named params")
        << R"({"statements":[{"q":"SELECT :a, $b","params":{":a":1,"b":"two"}}]})"_ba << 200
        << R"([{"results":{"columns":[":a","$b"],"rows":[[1,"two"]],"rows_read":0,"rows_written":0,"query_duration_ms":0}}])"_ba;
    QTest::addRow("failure skips the rest")
        << R"({"statements":["SELECT 1","SELECT * FROM nosuch","SELECT 2"]})"_ba << 200
        << R"([{"results":{"columns":["1"],"rows":[[1]],"rows_read":0,"rows_written":0,"query_duration_ms":0}},)"
           R"({"error":"no such table: nosuch in SELECT * FROM nosuch at offset 14"},null])"_ba;
    QTest::addRow("constraint message is the raw SQLite text")
        << R"J({"statements":["CREATE TABLE lu(a UNIQUE)","INSERT INTO lu VALUES (1)","INSERT INTO lu VALUES (1)"]})J"_ba
        << 200
        << R"([{"results":{"columns":[],"rows":[],"rows_read":0,"rows_written":0,"query_duration_ms":0}},)"
           R"({"results":{"columns":[],"rows":[],"rows_read":0,"rows_written":0,"query_duration_ms":0}},)"
           R"({"error":"UNIQUE constraint failed: lu.a"}])"_ba;
    QTest::addRow("closed transaction") << R"({"statements":["BEGIN","SELECT 1","COMMIT"]})"_ba << 200
                                        << "[{\"results\":…"_ba;
    QTest::addRow("empty list") << R"({"statements":[]})"_ba << 200 << "[]"_ba;
    QTest::addRow("unclosed BEGIN") << R"({"statements":["BEGIN","SELECT 1"]})"_ba << 400
                                    << R"({"error":"interactive transaction not allowed in HTTP queries"})"_ba;
    QTest::addRow("unclosed BEGIN IMMEDIATE")
        << R"({"statements":["BEGIN IMMEDIATE"]})"_ba << 400
        << R"({"error":"interactive transaction not allowed in HTTP queries"})"_ba;
    QTest::addRow("two statements in one string")
        << R"({"statements":["SELECT 1; SELECT 2"]})"_ba << 400
        << R"({"error":"Failed to parse query: `found more than one command…)"_ba;
    QTest::addRow("syntax error is 500") << R"({"statements":["SELEC 1"]})"_ba << 500
                                         << R"({"error":"Internal Error: `…)"_ba;
    QTest::addRow("RELEASE")
        << R"({"statements":["SAVEPOINT a","RELEASE a"]})"_ba << 400
        << R"({"error":"savepoints are not supported in HTTP API, use hrana protocol instead"})"_ba;
    QTest::addRow("ROLLBACK TO")
        << R"({"statements":["BEGIN","SAVEPOINT a","ROLLBACK TO a","COMMIT"]})"_ba << 400
        << R"({"error":"savepoints are not supported in HTTP API, use hrana protocol instead"})"_ba;
    QTest::addRow("unknown key in a statement object")
        << R"({"statements":[{"q":"SELECT 1","x":1}]})"_ba << 422 << QByteArray("…");
    QTest::addRow("malformed JSON") << R"({"statements":[)"_ba << 400 << QByteArray("…");
    const QByteArray head = R"({"statements":["SELECT ')";
    const QByteArray tail = R"('"]})";
    const qsizetype limit = 2 * 1024 * 1024;
    QTest::addRow("exactly 2 MiB is accepted")
        << head + QByteArray(limit - head.size() - tail.size(), 'x') + tail << 200 << "[{\"results\":…"_ba;
    QTest::addRow("over 2 MiB is 413") << head + QByteArray(limit + 1 - head.size() - tail.size(), 'x') + tail << 413
                                       << "Failed to buffer the request body: length limit exceeded"_ba;
}

void TestHranaHttp::legacy()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QByteArray, expected);

    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = user("POST", "/", body, { { "x-namespace", ns } });
    QCOMPARE(r.status, status);
    if (status == 200 || (status != 413 && expected.startsWith('{')))
        QCOMPARE(r.header("content-type"), "application/json"_ba);
    static const QRegularExpression counters(uR"J("(rows_read|rows_written|query_duration_ms)":[0-9.eE+-]+)J"_s);
    const QByteArray actual = QString::fromUtf8(r.body).replace(counters, u"\"\\1\":0"_s).toUtf8();
    const QByteArray ellipsis = "…";
    if (expected.endsWith(ellipsis))
        QVERIFY2(actual.startsWith(expected.chopped(ellipsis.size())), actual.left(300).constData());
    else {
        // Qt's JSON parser keeps no difference between 2.0 and 2, so the legacy API binds 2.0 as an INTEGER
        // (README, Compatibility: "legacy POST /"). Hrana requests are unaffected (types are explicit there).
        if (QByteArray(QTest::currentDataTag()) == "plain JSON values")
            QEXPECT_FAIL("plain JSON values", "Qt JSON cannot tell 2.0 from 2 (documented difference)", Continue);
        QCOMPARE(actual, expected);
    }
}

// Contrary to sqld's docs the list is not a transaction: statements before a failure stay committed.
void TestHranaHttp::legacyIsNotATransaction()
{
    const QByteArray ns = freshNs();
    QVERIFY(!ns.isEmpty());
    const HttpReply r = user("POST", "/",
        R"J({"statements":["CREATE TABLE p(a)","INSERT INTO p VALUES (1)","SELECT * FROM nosuch","INSERT INTO p VALUES (2)"]})J",
        { { "x-namespace", ns } });
    QCOMPARE(r.status, 200);
    QCOMPARE(r.jsonArray().size(), 4);
    QVERIFY(r.jsonArray()[3].isNull());
    QCOMPARE(scalar(ns, "SELECT count(*) FROM p"), "1"_ba);
}

void TestHranaHttp::getEndpoints_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");

    QTest::addRow("/v2") << "/v2"_ba << 200 << HELLO << "text/plain"_ba;
    QTest::addRow("/v3") << "/v3"_ba << 200 << HELLO << "text/plain"_ba;
    QTest::addRow("/v3-protobuf (served)") << "/v3-protobuf"_ba << 200 << HELLO << "text/plain"_ba;
    QTest::addRow("/v1") << "/v1"_ba << 200 << "This is sqld HTTP API v1"_ba
                         << "text/plain"_ba;
    QTest::addRow("/health") << "/health"_ba << 200 << QByteArray() << QByteArray();
    QTest::addRow("plain GET / is 404") << "/"_ba << 404 << QByteArray() << QByteArray();
}

void TestHranaHttp::getEndpoints()
{
    QFETCH(QByteArray, path);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    const HttpReply r = user("GET", path);
    QCOMPARE(r.status, status);
    QCOMPARE(r.body, body);
    if (!contentType.isEmpty())
        QCOMPARE(r.header("content-type"), contentType);
}

// ---- namespaces ---------------------------------------------------------------------------------------------

void TestHranaHttp::namespaceRouting_data()
{
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("expected");

    const QByteArray port = QByteArray::number(m_srv.port());
    const QByteArray tenantB64 = QByteArray("tenant").toBase64(QByteArray::OmitTrailingEquals);
    QTest::addRow("x-namespace") << Headers { { "x-namespace", "tenant" } } << "tenant"_ba;
    QTest::addRow("x-namespace default") << Headers { { "x-namespace", "default" } } << "default"_ba;
    QTest::addRow("x-namespace-bin") << Headers { { "x-namespace-bin", tenantB64 } } << "tenant"_ba;
    QTest::addRow("x-namespace-bin wins over x-namespace")
        << Headers { { "x-namespace-bin", tenantB64 }, { "x-namespace", "127" } } << "tenant"_ba;
    QTest::addRow("x-namespace wins over Host")
        << Headers { { "x-namespace", "127" }, { "Host", "tenant.localhost:" + port } } << "127"_ba;
    QTest::addRow("Host subdomain with port") << Headers { { "Host", "tenant.localhost:" + port } } << "tenant"_ba;
    QTest::addRow("Host subdomain without port") << Headers { { "Host", "tenant.example.com" } } << "tenant"_ba;
    QTest::addRow("Host 127.0.0.1 is default, not 127") << Headers { { "Host", "127.0.0.1:" + port } } << "default"_ba;
    QTest::addRow("Host localhost is default") << Headers { { "Host", "localhost:" + port } } << "default"_ba;
    QTest::addRow("no namespace headers") << Headers {} << "default"_ba;
}

void TestHranaHttp::namespaceRouting()
{
    QFETCH(Headers, headers);
    QFETCH(QByteArray, expected);

    static bool prepared = false;
    if (!prepared) {
        for (const QByteArray &ns : { "tenant"_ba, "127"_ba, "default"_ba }) {
            if (ns != "default")
                QVERIFY(createNs(ns));
            QVERIFY(setup(ns, "CREATE TABLE marker(v); INSERT INTO marker VALUES ('" + ns + "')"));
        }
        prepared = true;
    }
    const HttpReply r = user("POST", "/v2/pipeline",
        pipeJson({ exec("SELECT v, libsql_server_database_name() FROM marker"), CLOSE }), headers);
    QCOMPARE(r.status, 200);
    const QJsonArray row = r.result(0)[u"response"_s][u"result"_s][u"rows"_s][0].toArray();
    QCOMPARE(row[0][u"value"_s].toString().toUtf8(), expected);
    QCOMPARE(row[1][u"value"_s].toString().toUtf8(), expected);
}

void TestHranaHttp::unknownNamespace()
{
    const QByteArray expected = "{\"error\":\"Namespace `nosuch` doesn't exist\"}";
    const QList<QPair<QByteArray, QByteArray>> requests {
        { "/v2/pipeline", pipeJson({ exec("SELECT 1") }) },
        { "/v3/pipeline", pipeJson({ exec("SELECT 1") }) },
        { "/v3/cursor", R"({"baton":null,"batch":{"steps":[]}})" },
        { "/v1/execute", R"({"stmt":{"sql":"SELECT 1"}})" },
        { "/v1/batch", R"({"batch":{"steps":[]}})" },
        { "/", R"({"statements":["SELECT 1"]})" },
    };
    for (const auto &[path, body] : requests) {
        for (const Headers &h : { Headers { { "x-namespace", "nosuch" } },
                 Headers { { "Host", "nosuch.localhost:" + QByteArray::number(m_srv.port()) } } }) {
            const HttpReply r = user("POST", path, body, h);
            QCOMPARE(r.status, 404);
            QCOMPARE(r.header("content-type"), "application/json"_ba);
            QCOMPARE(r.body, expected);
            QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
        }
    }
    QVERIFY(!QFileInfo::exists(dataRoot() + u"/dbs/nosuch"_s));
}

void TestHranaHttp::invalidNamespaceNames_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");

    for (const QByteArray &name :
        { "../x"_ba, "a/b"_ba, "a.b"_ba, ".."_ba, "."_ba, "a\\b"_ba, "/etc"_ba, QByteArray(200, 'n') }) {
        QTest::addRow("x-namespace %s", name.left(20).constData()) << "x-namespace"_ba << name;
        QTest::addRow("x-namespace-bin %s", name.left(20).constData())
            << "x-namespace-bin"_ba << name.toBase64(QByteArray::OmitTrailingEquals);
    }
    QTest::addRow("x-namespace-bin not base64") << "x-namespace-bin"_ba
                                                << "!!!"_ba;
    QTest::addRow("x-namespace-bin with NUL") << "x-namespace-bin"_ba
                                              << "a\0b"_ba.toBase64(QByteArray::OmitTrailingEquals);
}

void TestHranaHttp::invalidNamespaceNames()
{
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    const HttpReply r
        = user("POST", "/v2/pipeline", pipeJson({ exec("CREATE TABLE x(a)"), CLOSE }), { { header, value } });
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), "application/json"_ba);
    QVERIFY2(r.body.startsWith("{\"error\":\"Invalid "), r.body.constData());
    QVERIFY(!QFileInfo::exists(m_srv.dir.path() + u"/x"_s));
    QVERIFY(!QFileInfo::exists(dataRoot() + u"/x"_s));
}

void TestHranaHttp::emptyNamespaceHeader()
{
    const QByteArray body = pipeJson({ exec("SELECT 1"), CLOSE });
    for (const QByteArray &header : { "x-namespace"_ba, "x-namespace-bin"_ba }) {
        const RawResponse r = raw(m_srv.port(),
            "POST /v2/pipeline HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header
                + ":\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        QCOMPARE(r.status, 400);
        QVERIFY2(r.body.startsWith("{\"error\":\"Invalid namespace"), r.body.constData());
    }
}

// ---- admin --------------------------------------------------------------------------------------------------

void TestHranaHttp::adminCreateDelete()
{
    const HttpReply welcome = admin("GET", "/");
    QCOMPARE(welcome.status, 200);
    QCOMPARE(welcome.body, "Welcome to the sqld admin API"_ba);

    const HttpReply c1 = admin("POST", "/v1/namespaces/adm1/create", "{}");
    QCOMPARE(c1.status, 200);
    QCOMPARE(c1.body, QByteArray());
    QVERIFY(!c1.hasHeader("access-control-allow-origin")); // no CORS on the admin API
    QVERIFY(QFileInfo::exists(dataRoot() + u"/dbs/adm1/data"_s));
    QVERIFY(setup("adm1", "CREATE TABLE a(x); INSERT INTO a VALUES (1)"));

    const HttpReply c2 = admin("POST", "/v1/namespaces/adm1/create", "{}");
    QCOMPARE(c2.status, 400);
    QCOMPARE(c2.header("content-type"), "application/json"_ba);
    QCOMPARE(c2.body, "{\"error\":\"Namespace `adm1` already exists\"}"_ba);

    const HttpReply cd = admin("POST", "/v1/namespaces/default/create", "{}");
    QCOMPARE(cd.status, 200); // creating default never fails

    const HttpReply d1 = admin("DELETE", "/v1/namespaces/adm1");
    QCOMPARE(d1.status, 200);
    QCOMPARE(d1.body, QByteArray());
    QVERIFY(!QFileInfo::exists(dataRoot() + u"/dbs/adm1"_s));
    const HttpReply gone = pipeline("adm1", pipeJson({ exec("SELECT 1") }));
    QCOMPARE(gone.status, 404);
    QCOMPARE(gone.body, "{\"error\":\"Namespace `adm1` doesn't exist\"}"_ba);

    const HttpReply d2 = admin("DELETE", "/v1/namespaces/adm1");
    QCOMPARE(d2.status, 404);
    QCOMPARE(d2.header("content-type"), "application/json"_ba);
    QCOMPARE(d2.body, "{\"error\":\"Namespace `adm1` doesn't exist\"}"_ba);

    // Created again, it starts empty.
    QVERIFY(createNs("adm1"));
    QCOMPARE(scalar("adm1", "SELECT count(*) FROM sqlite_master"), "0"_ba);
    QVERIFY(deleteNs("adm1"));
}

void TestHranaHttp::adminList()
{
    QVERIFY(createNs("list1"));
    const auto sizeOf = [this](const QByteArray &ns) -> qint64 {
        const HttpReply r = admin("GET", "/v1/namespaces");
        if (r.status != 200 || r.header("content-type") != "application/json")
            return -2;
        const QJsonObject o = r.json();
        if (o.keys() != QStringList { u"namespaces"_s, u"next"_s })
            return -3;
        const QStringList fields { u"last_activity"_s, u"name"_s, u"query_count"_s, u"rows_read"_s,
            u"rows_written"_s, u"size_bytes"_s };
        for (const QJsonValue &v : o[u"namespaces"_s].toArray()) {
            if (v.toObject().keys() != fields || !v[u"size_bytes"_s].isDouble())
                return -4;
            if (v[u"name"_s].toString().toUtf8() == ns)
                return v[u"size_bytes"_s].toInteger();
        }
        return -1;
    };
    const qint64 before = sizeOf("list1");
    QVERIFY2(before >= 0, QByteArray::number(before).constData());
    QVERIFY(setup("list1",
        "CREATE TABLE big(b); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "WHERE x < 300) INSERT INTO big SELECT randomblob(1000) FROM c"));
    const qint64 after = sizeOf("list1");
    QVERIFY2(after >= before + 300 * 1000,
        QByteArray(QByteArray::number(before) + " -> " + QByteArray::number(after)).constData());
    // Usage counters reach the list within a couple of seconds (workers report once a second).
    const auto entry = [this]() {
        for (const QJsonValue &v : admin("GET", "/v1/namespaces").json()[u"namespaces"_s].toArray()) {
            if (v[u"name"_s].toString() == u"list1"_s)
                return v.toObject();
        }
        return QJsonObject();
    };
    QTRY_VERIFY_WITH_TIMEOUT(entry()[u"rows_written"_s].toInteger() >= 300, 5000);
    QVERIFY(entry()[u"last_activity"_s].toString().endsWith(u'Z'));
    QVERIFY(deleteNs("list1"));
    QCOMPARE(sizeOf("list1"), -1);
}

void TestHranaHttp::adminPathTricks_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("status");

    const QByteArray longName(200, 'n');
    QTest::addRow("create ..%%2Fx") << "POST"_ba
                                    << "/v1/namespaces/..%2Fx/create"_ba << 400;
    QTest::addRow("create ..%%2F..%%2Fx") << "POST"_ba
                                          << "/v1/namespaces/..%2F..%2Fx/create"_ba << 400;
    QTest::addRow("create %%2E%%2E") << "POST"_ba
                                     << "/v1/namespaces/%2E%2E/create"_ba << 400;
    QTest::addRow("create ..") << "POST"_ba
                               << "/v1/namespaces/../create"_ba << 400;
    QTest::addRow("create .") << "POST"_ba
                              << "/v1/namespaces/./create"_ba << 400;
    QTest::addRow("create a.b") << "POST"_ba
                                << "/v1/namespaces/a.b/create"_ba << 400;
    QTest::addRow("create a%%2Fb") << "POST"_ba
                                   << "/v1/namespaces/a%2Fb/create"_ba << 400;
    QTest::addRow("create %%2Ftmp%%2Fx") << "POST"_ba
                                         << "/v1/namespaces/%2Ftmp%2Fx/create"_ba << 400;
    QTest::addRow("create a%%5Cb") << "POST"_ba
                                   << "/v1/namespaces/a%5Cb/create"_ba << 400;
    QTest::addRow("create a%%00b") << "POST"_ba
                                   << "/v1/namespaces/a%00b/create"_ba << 400;
    QTest::addRow("create 200 characters") << "POST"_ba
                                           << "/v1/namespaces/" + longName + "/create" << 400;
    QTest::addRow("create ../x (two segments)") << "POST"_ba
                                                << "/v1/namespaces/../x/create"_ba << 404;
    QTest::addRow("delete ..%%2Fdbs") << "DELETE"_ba
                                      << "/v1/namespaces/..%2Fdbs"_ba << 400;
    QTest::addRow("delete ..") << "DELETE"_ba
                               << "/v1/namespaces/.."_ba << 400;
    QTest::addRow("delete %%2E") << "DELETE"_ba
                                 << "/v1/namespaces/%2E"_ba << 400;
}

void TestHranaHttp::adminPathTricks()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(int, status);
    // A raw request, so that nothing normalises the path on the way.
    const RawResponse r = raw(m_srv.adminPort(),
        method + ' ' + path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
              "application/json\r\nContent-Length: 2\r\n\r\n{}");
    QCOMPARE(r.status, status);
    QVERIFY(QFileInfo::exists(dataRoot() + u"/dbs"_s)); // the data folder survives a hostile DELETE
    QVERIFY(!QFileInfo::exists(dataRoot() + u"/x"_s));
    QVERIFY(!QFileInfo::exists(m_srv.dir.path() + u"/x"_s));
}

void TestHranaHttp::deleteNamespaceDuringSlowQuery()
{
    const auto [slowNs, otherNs] = namesOnDifferentWorkers("slow", TestServer::defaultConfig().workerThreads);
    QVERIFY(!slowNs.isEmpty());
    QVERIFY(createNs(slowNs));
    QVERIFY(createNs(otherNs));
    QVERIFY(setup(otherNs, "CREATE TABLE o(a); INSERT INTO o VALUES (1)"));

    // A bounded query that runs for a few seconds on the slow namespace's worker.
    const QByteArray slowSql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) "
                               "SELECT count(*) FROM c";
    QNetworkRequest req(QUrl(u"http://127.0.0.1:%1/v2/pipeline"_s.arg(m_srv.port())));
    req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    req.setRawHeader("x-namespace", slowNs);
    QNetworkReply *slow = m_nam.post(req, pipeJson({ exec(slowSql), CLOSE }));
    QSignalSpy slowDone(slow, &QNetworkReply::finished);
    QSignalSpy uploaded(slow, &QNetworkReply::uploadProgress);
    QVERIFY(uploaded.wait(10000));

    // The other worker keeps answering while the slow query runs.
    QCOMPARE(scalar(otherNs, "SELECT count(*) FROM o"), "1"_ba);
    QVERIFY2(slowDone.isEmpty(), "the slow query finished too early to test anything");

    // Delete the namespace under the running query.
    const HttpReply del = admin("DELETE", "/v1/namespaces/" + slowNs);
    QCOMPARE(del.status, 200);
    QVERIFY(slowDone.count() > 0 || slowDone.wait(60000));
    const int slowStatus = slow->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    QVERIFY2(slowStatus == 200 || slowStatus == 404, QByteArray::number(slowStatus).constData());
    slow->deleteLater();

    // The namespace is gone for new requests and on disk; everything else keeps working.
    QCOMPARE(pipeline(slowNs, pipeJson({ exec("SELECT 1") })).status, 404);
    QVERIFY(!QFileInfo::exists(dataRoot() + u"/dbs/"_s + QString::fromLatin1(slowNs)));
    QCOMPARE(scalar(otherNs, "SELECT count(*) FROM o"), "1"_ba);
    QCOMPARE(scalar("default", "SELECT 40 + 2"), "42"_ba);
    QVERIFY(createNs(slowNs));
    QCOMPARE(scalar(slowNs, "SELECT count(*) FROM sqlite_master"), "0"_ba);
    QVERIFY(deleteNs(slowNs));
    QVERIFY(deleteNs(otherNs));
}

// After all the hostile names above: every file the server made is inside its db path, in a valid namespace folder.
void TestHranaHttp::nothingOutsideDbPath()
{
    static const QRegularExpression valid(u"^[A-Za-z0-9_-]{1,128}$"_s);
    const QDir top(m_srv.dir.path());
    QCOMPARE(top.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList { u"data"_s });
    const QDir dbs(dataRoot() + u"/dbs"_s);
    for (const QString &entry : dbs.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)) {
        QVERIFY2(valid.match(entry).hasMatch(), qPrintable(entry));
        QVERIFY2(QFileInfo(dbs.filePath(entry)).isDir(), qPrintable(entry));
    }
    QDirIterator it(m_srv.dir.path(), QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
        QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QFileInfo fi(it.next());
        QVERIFY2(!fi.isSymLink(), qPrintable(fi.filePath()));
        QVERIFY2(
            fi.canonicalFilePath().startsWith(QFileInfo(dataRoot()).canonicalFilePath()), qPrintable(fi.filePath()));
        QVERIFY2(fi.fileName() != u"x"_s && fi.fileName() != u"a.b"_s, qPrintable(fi.filePath()));
    }
}

// ---- CORS and routing ---------------------------------------------------------------------------------------

void TestHranaHttp::corsOnEveryResponse_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");

    const Headers dflt { { "x-namespace", "default" } };
    QTest::addRow("pipeline ok") << "POST"_ba
                                 << "/v2/pipeline"_ba << pipeJson({ exec("SELECT 1"), CLOSE }) << dflt << 200;
    QTest::addRow("pipeline v3 ok") << "POST"_ba
                                    << "/v3/pipeline"_ba << pipeJson({ exec("SELECT 1"), CLOSE }) << dflt << 200;
    QTest::addRow("pipeline malformed") << "POST"_ba
                                        << "/v3/pipeline"_ba
                                        << "{"_ba << dflt << 400;
    QTest::addRow("pipeline bad baton") << "POST"_ba
                                        << "/v2/pipeline"_ba << pipeJson({}, "nope") << dflt << 400;
    QTest::addRow("unknown namespace") << "POST"_ba
                                       << "/v2/pipeline"_ba << pipeJson({}) << Headers { { "x-namespace", "nosuch" } }
                                       << 404;
    QTest::addRow("invalid namespace") << "POST"_ba
                                       << "/v2/pipeline"_ba << pipeJson({}) << Headers { { "x-namespace", "a.b" } }
                                       << 400;
    QTest::addRow("cursor") << "POST"_ba
                            << "/v3/cursor"_ba
                            << R"({"baton":null,"batch":{"steps":[]}})"_ba << dflt << 200;
    QTest::addRow("v1 execute error") << "POST"_ba
                                      << "/v1/execute"_ba
                                      << R"({"stmt":{"sql":"SELEC"}})"_ba << dflt << 400;
    QTest::addRow("legacy") << "POST"_ba
                            << "/"_ba
                            << R"({"statements":["SELECT 1"]})"_ba << dflt << 200;
    QTest::addRow("legacy unclosed BEGIN") << "POST"_ba
                                           << "/"_ba
                                           << R"({"statements":["BEGIN"]})"_ba << dflt << 400;
    QTest::addRow("legacy over 2 MiB") << "POST"_ba
                                       << "/"_ba << QByteArray(2 * 1024 * 1024 + 1, ' ') << dflt << 413;
    QTest::addRow("GET /v2") << "GET"_ba
                             << "/v2"_ba << QByteArray() << Headers {} << 200;
    QTest::addRow("GET /v3") << "GET"_ba
                             << "/v3"_ba << QByteArray() << Headers {} << 200;
    QTest::addRow("GET /v1") << "GET"_ba
                             << "/v1"_ba << QByteArray() << Headers {} << 200;
    QTest::addRow("GET /health") << "GET"_ba
                                 << "/health"_ba << QByteArray() << Headers {} << 200;
    QTest::addRow("wrong method") << "GET"_ba
                                  << "/v2/pipeline"_ba << QByteArray() << Headers {} << 405;
}

void TestHranaHttp::corsOnEveryResponse()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(Headers, headers);
    QFETCH(int, status);
    const HttpReply r = user(method, path, body, headers + Headers { { "Origin", "https://console.example" } });
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
    QCOMPARE(r.header("vary"), "origin, access-control-request-method, access-control-request-headers"_ba);
    QVERIFY(!r.hasHeader("access-control-allow-credentials"));
}

void TestHranaHttp::corsPreflight_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("requestHeaders"); // Access-Control-Request-Headers; empty: not sent
    QTest::addColumn<QByteArray>("allowHeaders");

    QTest::addRow("pipeline") << "/v2/pipeline"_ba
                              << "authorization, content-type"_ba
                              << "authorization, content-type"_ba;
    QTest::addRow("v3 pipeline") << "/v3/pipeline"_ba
                                 << "authorization,x-namespace"_ba
                                 << "authorization,x-namespace"_ba;
    QTest::addRow("cursor") << "/v3/cursor"_ba
                            << "Content-Type"_ba
                            << "Content-Type"_ba;
    QTest::addRow("legacy") << "/"_ba
                            << "authorization"_ba
                            << "authorization"_ba;
    QTest::addRow("v1 execute") << "/v1/execute"_ba
                                << "x-libsql-client-version"_ba
                                << "x-libsql-client-version"_ba;
    QTest::addRow("GET route, no requested headers") << "/v2"_ba << QByteArray() << "*"_ba;
}

void TestHranaHttp::corsPreflight()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, requestHeaders);
    QFETCH(QByteArray, allowHeaders);
    Headers h { { "Origin", "https://console.example" }, { "Access-Control-Request-Method", "POST" } };
    if (!requestHeaders.isEmpty())
        h.append({ "Access-Control-Request-Headers", requestHeaders });
    const HttpReply r = user("OPTIONS", path, {}, h);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray());
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
    QCOMPARE(r.header("access-control-allow-methods"), "*"_ba);
    QCOMPARE(r.header("access-control-allow-headers"), allowHeaders);
    QVERIFY(!r.hasHeader("access-control-allow-credentials"));
}

void TestHranaHttp::wrongMethod_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("allow");

    QTest::addRow("GET /v2/pipeline") << "GET"_ba
                                      << "/v2/pipeline"_ba
                                      << "POST"_ba;
    QTest::addRow("PUT /v3/pipeline") << "PUT"_ba
                                      << "/v3/pipeline"_ba
                                      << "POST"_ba;
    QTest::addRow("GET /v3/cursor") << "GET"_ba
                                    << "/v3/cursor"_ba
                                    << "POST"_ba;
    QTest::addRow("GET /v1/execute") << "GET"_ba
                                     << "/v1/execute"_ba
                                     << "POST"_ba;
    QTest::addRow("DELETE /v1/batch") << "DELETE"_ba
                                      << "/v1/batch"_ba
                                      << "POST"_ba;
    QTest::addRow("POST /v2") << "POST"_ba
                              << "/v2"_ba
                              << "GET"_ba;
    QTest::addRow("DELETE /v3") << "DELETE"_ba
                                << "/v3"_ba
                                << "GET"_ba;
    QTest::addRow("POST /health") << "POST"_ba
                                  << "/health"_ba
                                  << "GET"_ba;
    QTest::addRow("PUT /") << "PUT"_ba
                           << "/"_ba
                           << "POST"_ba;
}

void TestHranaHttp::wrongMethod()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, allow);
    const HttpReply r = user(method, path, method == "GET" ? QByteArray() : "{}"_ba);
    QCOMPARE(r.status, 405);
    QVERIFY(r.hasHeader("allow"));
    QVERIFY2(r.header("allow").split(',').contains(allow) || r.header("allow").contains(allow),
        r.header("allow").constData());
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
}

void TestHranaHttp::unknownPath_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addRow("GET /nope") << "GET"_ba
                               << "/nope"_ba;
    QTest::addRow("POST /v4/pipeline") << "POST"_ba
                                       << "/v4/pipeline"_ba;
    QTest::addRow("POST /v2/pipeline/extra") << "POST"_ba
                                             << "/v2/pipeline/extra"_ba;
    QTest::addRow("POST /v2/cursor") << "POST"_ba
                                     << "/v2/cursor"_ba;
    QTest::addRow("GET /v3-protobuf/x") << "GET"_ba
                                        << "/v3-protobuf/x"_ba;
    QTest::addRow("OPTIONS /nope") << "OPTIONS"_ba
                                   << "/nope"_ba;
}

void TestHranaHttp::unknownPath()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    const HttpReply r = user(method, path, method == "POST" ? "{}"_ba : QByteArray());
    QCOMPARE(r.status, 404);
    QCOMPARE(r.body, QByteArray());
}

// ---- golden files -------------------------------------------------------------------------------------------

void TestHranaHttp::golden_data()
{
    QTest::addColumn<QString>("name");
    const QDir dir(QStringLiteral(QSQLD_TEST_DATA) + u"/hrana"_s);
    const QStringList files = dir.entryList({ u"*.in"_s }, QDir::Files, QDir::Name);
    QVERIFY2(files.size() >= 25, "expected at least 25 golden cases in tests/data/hrana");
    for (const QString &f : files) {
        const QString name = f.chopped(3);
        QTest::addRow("%s", qPrintable(name)) << name;
    }
}

void TestHranaHttp::golden()
{
    QFETCH(QString, name);
    const QString base = QStringLiteral(QSQLD_TEST_DATA) + u"/hrana/"_s + name;

    QFile in(base + u".in"_s);
    QVERIFY(in.open(QIODevice::ReadOnly));
    QByteArray text = in.readAll();
    const qsizetype blank = text.indexOf("\n\n");
    const QByteArray head = blank < 0 ? text.trimmed() : text.left(blank);
    QByteArray body = blank < 0 ? QByteArray() : text.mid(blank + 2);
    if (body.endsWith('\n'))
        body.chop(1);
    const QByteArrayList headLines = head.split('\n');
    const QByteArrayList requestLine = headLines[0].split(' ');
    QCOMPARE(requestLine.size(), 2);
    Headers headers;
    bool hasNamespace = false;
    for (const QByteArray &line : headLines.mid(1)) {
        const qsizetype colon = line.indexOf(':');
        QVERIFY2(colon > 0, line.constData());
        const QByteArray key = line.left(colon).trimmed();
        const QByteArray lower = key.toLower();
        hasNamespace = hasNamespace || lower == "x-namespace" || lower == "x-namespace-bin" || lower == "host";
        headers.append({ key, line.mid(colon + 1).trimmed() });
    }

    // A fresh namespace per case, plus the optional <case>.setup SQL (run as one sequence).
    QByteArray ns = "golden-" + name.toLatin1();
    for (char &c : ns) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            c = '-';
    }
    ns.truncate(100);
    QVERIFY(createNs(ns));
    QFile setupFile(base + u".setup"_s);
    if (setupFile.exists()) {
        QVERIFY(setupFile.open(QIODevice::ReadOnly));
        QVERIFY(setup(ns, setupFile.readAll()));
    }
    if (!hasNamespace)
        headers.prepend({ "x-namespace", ns });

    const HttpReply r = user(requestLine[0], requestLine[1], body, headers);
    QVERIFY(deleteNs(ns));
    const QByteArray actual = goldenText(r.status, r.body);

    QFile expectedFile(base + u".expected"_s);
    if (qEnvironmentVariableIntValue("QSQLD_REGENERATE") == 1) {
        QVERIFY(expectedFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
        expectedFile.write(actual);
        qInfo("regenerated %s.expected", qPrintable(name));
        return;
    }
    QVERIFY2(expectedFile.open(QIODevice::ReadOnly), "missing .expected file; run with QSQLD_REGENERATE=1");
    const QByteArray expected = expectedFile.readAll();
    if (actual != expected) {
        qWarning().noquote() << u"\nexpected:\n"_s + QString::fromUtf8(expected)
                             << u"\nactual:\n"_s + QString::fromUtf8(actual);
        QFAIL("golden mismatch");
    }
}

QTEST_GUILESS_MAIN(TestHranaHttp)
#include "tst_hranahttp.moc"
