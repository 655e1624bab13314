// Authentication over HTTP against a live server: sqld's statuses and bodies for every refusal, read-only and
// namespace-scoped tokens, a namespace's own jwt_key, ATTACH rights, the admin key, and legacy basic auth.

#include "testserver.h"

#include "auth/tokens.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace qsqld::test;
using qsqld::auth::KeyPair;
using qsqld::auth::TokenRequest;

class TestAuthHttp : public QObject
{
    Q_OBJECT

    TestServer m_srv;
    KeyPair m_keys;  // the server's keys
    KeyPair m_other; // a key the server does not know

    static QByteArray token(const KeyPair &k, std::optional<QString> ns, qsqld::auth::Permissions::Access access,
                            std::optional<qint64> expiresIn = std::nullopt, std::optional<qint64> issuedAt = std::nullopt)
    {
        TokenRequest r;
        r.ns = std::move(ns);
        r.access = access;
        r.expiresInSeconds = expiresIn;
        r.issuedAt = issuedAt;
        return std::get<QByteArray>(qsqld::auth::mintToken(k.privateKeyPem, r));
    }
    static QByteArray rw(const KeyPair &k, const QString &ns)
    {
        return token(k, ns, qsqld::auth::Permissions::Access::ReadWrite);
    }
    RawResponse call(quint16 port, const QByteArray &raw)
    {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        if (!s.waitForConnected(5000))
            return {};
        s.write(raw);
        return readResponses(s, 1).value(0);
    }
    RawResponse sql(const QByteArray &ns, const QByteArray &statement, const QByteArray &authHeader)
    {
        return call(m_srv.port(), post("/v2/pipeline", executeBody(statement),
                                       "x-namespace: " + ns + "\r\n" + (authHeader.isEmpty() ? QByteArray()
                                                                                             : authHeader + "\r\n")));
    }
    RawResponse admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
                      const QByteArray &authorization = "Bearer adminkey")
    {
        return call(m_srv.adminPort(), method + " " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + authorization
                                           + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n"
                                           + body);
    }
    static QByteArray stepError(const RawResponse &r)
    {
        return QJsonDocument::fromJson(r.body)[QStringLiteral("results")][0][QStringLiteral("error")]
            [QStringLiteral("code")].toString().toUtf8();
    }

private slots:
    void initTestCase()
    {
        m_keys = qsqld::auth::generateKeyPair();
        m_other = qsqld::auth::generateKeyPair();
        QVERIFY(m_keys.isValid() && m_other.isValid());
        QFile pub(m_srv.dir.path() + QStringLiteral("/jwt_public.pem"));
        QVERIFY(pub.open(QIODevice::WriteOnly));
        pub.write(m_keys.publicKeyPem);
        pub.close();
        auto cfg = TestServer::defaultConfig();
        cfg.authJwtKeyFile = pub.fileName();
        cfg.adminAuthKey = QStringLiteral("adminkey");
        QVERIFY(m_srv.start(cfg));
        for (const char *ns : {"app", "other"})
            QCOMPARE(admin("POST", "/v1/namespaces/" + QByteArray(ns) + "/create", "{}").status, 200);
        QCOMPARE(admin("POST", "/v1/namespaces/lib/create", "{\"allow_attach\":true}").status, 200);
        QCOMPARE(admin("POST", "/v1/namespaces/closed/create", "{}").status, 200);
        for (const char *ns : {"lib", "closed"}) {
            QCOMPARE(sql(ns, "CREATE TABLE t(x)", "Authorization: Bearer " + rw(m_keys, QString::fromLatin1(ns))).status, 200);
            QCOMPARE(sql(ns, "INSERT INTO t VALUES (7)", "Authorization: Bearer " + rw(m_keys, QString::fromLatin1(ns))).status, 200);
        }
    }

    void refusals_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        const QByteArray appToken = rw(m_keys, QStringLiteral("app"));
        QTest::addRow("no header") << QByteArray() << 401
                                   << QByteArray("{\"error\":\"Unauthorized: `Expected authorization header but none given`\"}");
        QTest::addRow("no token") << QByteArray("Authorization: Bearer") << 401
                                  << QByteArray("{\"error\":\"Unauthorized: `Auth string does not conform to '<scheme> <token>' form`\"}");
        QTest::addRow("other scheme")
            << QByteArray("Authorization: Basic " + appToken) << 401
            << QByteArray("{\"error\":\"Unauthorized: `The authentication scheme in the `Authorization` HTTP header is not supported`\"}");
        QTest::addRow("garbage") << QByteArray("Authorization: Bearer abc.def.ghi") << 401
                                 << QByteArray("{\"error\":\"Unauthorized: `The JWT is invalid`\"}");
        QTest::addRow("other key") << QByteArray("Authorization: Bearer " + rw(m_other, QStringLiteral("app"))) << 401
                                   << QByteArray("{\"error\":\"Unauthorized: `The JWT is invalid`\"}");
        QByteArray tampered = appToken;
        tampered[tampered.indexOf('.') + 5] = tampered[tampered.indexOf('.') + 5] == 'A' ? 'B' : 'A';
        QTest::addRow("tampered") << QByteArray("Authorization: Bearer " + tampered) << 401
                                  << QByteArray("{\"error\":\"Unauthorized: `The JWT is invalid`\"}");
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        QTest::addRow("expired") << QByteArray("Authorization: Bearer "
                                               + token(m_keys, QStringLiteral("app"),
                                                       qsqld::auth::Permissions::Access::ReadWrite, 100, now - 300))
                                 << 401 << QByteArray("{\"error\":\"Unauthorized: `The JWT has expired`\"}");
        QTest::addRow("other namespace") << QByteArray("Authorization: Bearer " + rw(m_keys, QStringLiteral("other")))
                                         << 404 << QByteArray("{\"error\":\"Namespace `app` doesn't exist\"}");
    }
    void refusals()
    {
        QFETCH(QByteArray, header);
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        const RawResponse r = sql("app", "SELECT 1", header);
        QCOMPARE(r.status, status);
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        QCOMPARE(r.body, body);
    }

    void expiredWithinLeewayIsAccepted()
    {
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QByteArray t = token(m_keys, QStringLiteral("app"), qsqld::auth::Permissions::Access::ReadWrite, 100,
                                   now - 130); // expired 30 s ago: inside sqld's 60 s leeway
        QCOMPARE(sql("app", "SELECT 1", "Authorization: Bearer " + t).status, 200);
    }

    void readOnlyTokenReadsButCannotWrite()
    {
        const QByteArray ro = token(m_keys, QStringLiteral("app"), qsqld::auth::Permissions::Access::ReadOnly);
        QCOMPARE(sql("app", "CREATE TABLE IF NOT EXISTS r(x)", "Authorization: Bearer " + rw(m_keys, QStringLiteral("app"))).status,
                 200);
        QCOMPARE(sql("app", "SELECT count(*) FROM r", "Authorization: Bearer " + ro).status, 200);
        const RawResponse w = sql("app", "INSERT INTO r VALUES (1)", "Authorization: Bearer " + ro);
        QCOMPARE(w.status, 403);
        QCOMPARE(w.body, QByteArray("{\"error\":\"Authorization forbidden: Current session doesn't not have Write "
                                    "permission to namespace app\"}"));
        // A read-only transaction is fine; a batch with one write is refused before anything runs.
        QCOMPARE(sql("app", "BEGIN TRANSACTION READONLY", "Authorization: Bearer " + ro).status, 200);
        const RawResponse batch = call(
            m_srv.port(),
            post("/v2/pipeline",
                 "{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT 1\"}},"
                 "{\"stmt\":{\"sql\":\"DELETE FROM r\"}}]}}]}",
                 "x-namespace: app\r\nAuthorization: Bearer " + ro + "\r\n"));
        QCOMPARE(batch.status, 403);
    }

    void xAuthorizationHeaderWorks()
    {
        QCOMPARE(sql("app", "SELECT 1", "x-authorization: Bearer " + rw(m_keys, QStringLiteral("app"))).status, 200);
    }

    void tokenWithoutNamespaceReachesAll()
    {
        const QByteArray all = token(m_keys, std::nullopt, qsqld::auth::Permissions::Access::ReadWrite);
        QCOMPARE(sql("app", "SELECT 1", "Authorization: Bearer " + all).status, 200);
        QCOMPARE(sql("other", "SELECT 1", "Authorization: Bearer " + all).status, 200);
        QCOMPARE(sql("missing", "SELECT 1", "Authorization: Bearer " + all).status, 404); // 404 before 401
    }

    void namespaceJwtKeyReplacesServerKeys()
    {
        const QByteArray body = "{\"jwt_key\":" + QJsonDocument(QJsonObject{{QStringLiteral("k"),
                                                                              QString::fromLatin1(m_other.publicKeyRaw)}})
                                                      .toJson(QJsonDocument::Compact)
                                                      .mid(5)
                                                      .chopped(1)
            + "}";
        QCOMPARE(admin("POST", "/v1/namespaces/own/create", body).status, 200);
        QCOMPARE(sql("own", "SELECT 1", "Authorization: Bearer " + rw(m_other, QStringLiteral("own"))).status, 200);
        QCOMPARE(sql("own", "SELECT 1", "Authorization: Bearer " + rw(m_keys, QStringLiteral("own"))).status, 401);
        QCOMPARE(sql("app", "SELECT 1", "Authorization: Bearer " + rw(m_other, QStringLiteral("app"))).status, 401);
        // An invalid key is refused when it is set.
        const RawResponse bad = admin("POST", "/v1/namespaces/badkey/create", "{\"jwt_key\":\"not a key\"}");
        QCOMPARE(bad.status, 500);
        QVERIFY(bad.body.contains("Could not decode Ed25519 public key"));
    }

    void attachNeedsRightAndPermission()
    {
        // Read-write on app plus read-attach on lib and closed (the `p` claim).
        const QByteArray payload = "{\"p\":{\"rw\":{\"ns\":[\"app\"]},\"roa\":{\"ns\":[\"lib\",\"closed\"]}}}";
        const QByteArray t = std::get<QByteArray>(
            qsqld::auth::signJws(m_keys.privateKeyPem, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", payload));
        const QByteArray auth = "x-namespace: app\r\nAuthorization: Bearer " + t + "\r\n";
        const RawResponse ok = call(
            m_srv.port(),
            post("/v2/pipeline",
                 "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"ATTACH lib AS l\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT x FROM l.t\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO l.t VALUES (8)\"}},{\"type\":\"close\"}]}",
                 auth));
        QCOMPARE(ok.status, 200);
        const QJsonArray results = QJsonDocument::fromJson(ok.body)[QStringLiteral("results")].toArray();
        QCOMPARE(results[0][QStringLiteral("type")].toString(), QStringLiteral("ok"));
        QCOMPARE(results[1][QStringLiteral("response")][QStringLiteral("result")][QStringLiteral("rows")][0][0]
                     [QStringLiteral("value")].toString(),
                 QStringLiteral("7"));
        QCOMPARE(results[2][QStringLiteral("error")][QStringLiteral("code")].toString(), QStringLiteral("SQLITE_READONLY"));
        // `closed` does not allow attach; `app` with a plain rw token has no AttachRead on lib.
        const RawResponse refused = call(m_srv.port(), post("/v2/pipeline", executeBody("ATTACH closed AS c"), auth));
        QCOMPARE(refused.status, 403);
        QCOMPARE(refused.body, QByteArray("{\"error\":\"Authorization forbidden: Namespace `closed` doesn't allow attach\"}"));
        QCOMPARE(sql("app", "ATTACH lib AS l", "Authorization: Bearer " + rw(m_keys, QStringLiteral("app"))).status, 403);
    }

    void adminKey_data()
    {
        QTest::addColumn<QByteArray>("authorization");
        QTest::addColumn<int>("status");
        QTest::addRow("bearer") << QByteArray("Bearer adminkey") << 200;
        QTest::addRow("basic, sqld's form") << QByteArray("Basic adminkey") << 200;
        QTest::addRow("scheme case") << QByteArray("bEaReR adminkey") << 200;
        QTest::addRow("wrong key") << QByteArray("Bearer nope") << 401;
        QTest::addRow("none") << QByteArray("") << 401;
        QTest::addRow("base64 of user:key") << QByteArray("Basic YWRtaW46YWRtaW5rZXk=") << 401;
    }
    void adminKey()
    {
        QFETCH(QByteArray, authorization);
        QFETCH(int, status);
        const RawResponse r = admin("GET", "/v1/namespaces", {}, authorization);
        QCOMPARE(r.status, status);
        if (status == 401) {
            QCOMPARE(r.header("content-type"), QByteArray("application/json"));
            QVERIFY2(r.body.startsWith("{\"error\":\"Unauthorized: the admin API needs"), r.body.constData());
        }
    }

    void basicAuthServer()
    {
        TestServer basic;
        auto cfg = TestServer::defaultConfig();
        cfg.httpAuth = QStringLiteral("basic:dXNlcjpwYXNz");
        QVERIFY(basic.start(cfg));
        auto run = [&](const QByteArray &header) {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, basic.port());
            s.waitForConnected(5000);
            s.write(post("/v2/pipeline", executeBody("SELECT 1"), header));
            return readResponses(s, 1).value(0);
        };
        QCOMPARE(run("Authorization: Basic dXNlcjpwYXNz\r\n").status, 200);
        const RawResponse wrong = run("Authorization: Basic d3Jvbmc6d3Jvbmc=\r\n");
        QCOMPARE(wrong.status, 401);
        QCOMPARE(wrong.body,
                 QByteArray("{\"error\":\"Unauthorized: `The `Basic` HTTP authentication credentials were rejected`\"}"));
    }
};

QTEST_GUILESS_MAIN(TestAuthHttp)
#include "tst_authhttp.moc"
