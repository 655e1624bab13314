#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include <QDateTime>
#include <QTest>

#include "auth/authenticator.h"
#include "auth/jwt.h"
#include "auth/keyset.h"
#include "auth/tokens.h"

using namespace Qt::StringLiterals;
using namespace qsqld::auth;

Q_DECLARE_METATYPE(qsqld::auth::KeySet)
Q_DECLARE_METATYPE(qsqld::auth::Authenticator)
Q_DECLARE_METATYPE(qsqld::auth::AuthError)
Q_DECLARE_METATYPE(qsqld::auth::TokenRequest)
Q_DECLARE_METATYPE(std::optional<QString>)
Q_DECLARE_METATYPE(std::optional<qint64>)

namespace {

constexpr qint64 NOW = 1'700'000'000;
constexpr char EDDSA_HEADER[] = R"({"alg":"EdDSA","typ":"JWT"})";

// RFC 8032 section 7.1, TEST 1 (empty message).
constexpr char RFC_SECRET_HEX[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr char RFC_PUBLIC_HEX[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char RFC_SIGNATURE_HEX[]
    = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
      "701cf9b46bd25bf5f0595bbe24655141438e7a100b";
constexpr char RFC_PUBLIC_RAW[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
// Made independently with `openssl pkeyutl -sign -rawin` over the RFC key: header EDDSA_HEADER, claims
// {"iat":1700000000,"exp":1700003600,"id":"db1","a":"ro"}.
constexpr char RFC_TOKEN[] = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9."
                             "eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiaWQiOiJkYjEiLCJhIjoicm8ifQ."
                             "RgKfZgk_nefhIieRmm-8H_abahMTakQhiEJxDxArWyZDny4ijY4awNqeuiUOY1RfkwgEjg8YHjiM4OxvqLwoAQ";

constexpr char P256_PUBLIC_PEM[] = "-----BEGIN PUBLIC KEY-----\n"
                                   "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiwtGQHrgHaTTc+H/VJMxz2ObtXnQ\n"
                                   "L1JYH9iSBD9XD/4oyY602fNnPck0Ta6UgCmvvdpfOEdCa56MpcKIE00lRQ==\n"
                                   "-----END PUBLIC KEY-----\n";

QByteArray pem(const char *tag, const QByteArray &der)
{
    return "-----BEGIN "_ba + tag + "-----\n" + der.toBase64() + "\n-----END " + tag + "-----\n";
}

// PKCS#8 and SPKI wrappers of raw Ed25519 keys (RFC 8410): fixed DER prefixes.
QByteArray rfcPrivatePem()
{
    return pem(
        "PRIVATE KEY", QByteArray::fromHex("302e020100300506032b657004220420") + QByteArray::fromHex(RFC_SECRET_HEX));
}

QByteArray rfcPublicPem()
{
    return pem("PUBLIC KEY", QByteArray::fromHex("302a300506032b6570032100") + QByteArray::fromHex(RFC_PUBLIC_HEX));
}

QByteArray b64url(QByteArrayView bytes)
{
    return encodeBase64Url(bytes);
}

QString statusName(JwtVerification::Status s)
{
    switch (s) {
    case JwtVerification::Status::Valid:
        return u"Valid"_s;
    case JwtVerification::Status::Invalid:
        return u"Invalid"_s;
    case JwtVerification::Status::Expired:
        return u"Expired"_s;
    case JwtVerification::Status::AudiencePresent:
        return u"AudiencePresent"_s;
    }
    return {};
}

// "RWAD" with '-' for each right not granted on `ns`.
QString rightsOn(const Permissions &p, const QString &ns)
{
    QString out;
    out += p.allows(Right::Read, ns) ? u'R' : u'-';
    out += p.allows(Right::Write, ns) ? u'W' : u'-';
    out += p.allows(Right::AttachRead, ns) ? u'A' : u'-';
    out += p.allows(Right::Ddl, ns) ? u'D' : u'-';
    return out;
}

QString checkLine(const TokenCheck &c)
{
    static const char *const names[] = { "pass", "warning", "fail", "info" };
    return c.name + u' ' + QLatin1StringView(names[int(c.status)]) + u": "_s + c.detail;
}

} // namespace

class TestAuth : public QObject
{
    Q_OBJECT

private:
    QByteArray sign(const KeyPair &key, QByteArrayView payload, QByteArrayView header = EDDSA_HEADER) const
    {
        auto token = signJws(key.privateKeyPem, header, payload);
        if (auto *error = std::get_if<QString>(&token))
            qFatal("signJws failed: %s", qPrintable(*error));
        return std::get<QByteArray>(token);
    }
    QByteArray signA(QByteArrayView payload, QByteArrayView header = EDDSA_HEADER) const
    {
        return sign(m_a, payload, header);
    }
    static KeySet keysOf(QByteArrayView text)
    {
        auto parsed = KeySet::parse(text);
        if (auto *error = std::get_if<QString>(&parsed))
            qFatal("KeySet::parse failed: %s", qPrintable(*error));
        return std::get<KeySet>(parsed);
    }

    KeyPair m_a, m_b, m_c;
    KeySet m_keysA, m_keysB, m_keysBA;

private slots:
    void initTestCase()
    {
        m_a = generateKeyPair();
        m_b = generateKeyPair();
        m_c = generateKeyPair();
        QVERIFY(m_a.isValid() && m_b.isValid() && m_c.isValid());
        QVERIFY(m_a.publicKeyRaw != m_b.publicKeyRaw);
        m_keysA = keysOf(m_a.publicKeyPem);
        m_keysB = keysOf(m_b.publicKeyPem);
        m_keysBA = keysOf(QByteArray(m_b.publicKeyPem + m_a.publicKeyPem));
    }

    void generatedKeyPairShape()
    {
        QVERIFY(m_a.privateKeyPem.startsWith("-----BEGIN PRIVATE KEY-----\n"));
        QVERIFY(m_a.publicKeyPem.startsWith("-----BEGIN PUBLIC KEY-----\n"));
        QCOMPARE(m_a.publicKeyRaw.size(), 43);
        QCOMPARE(keysOf(m_a.publicKeyRaw), m_keysA);
        auto again = keyPairFromPrivateKey(m_a.privateKeyPem);
        QVERIFY(std::holds_alternative<KeyPair>(again));
        QCOMPARE(std::get<KeyPair>(again).publicKeyPem, m_a.publicKeyPem);
        QCOMPARE(std::get<KeyPair>(again).publicKeyRaw, m_a.publicKeyRaw);
    }

    void keyParsing_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QList<QByteArray>>("rawKeys"); // expected raw keys; empty: an error
        QTest::addColumn<QString>("error"); // a substring of the error

        const QByteArray rfc = QByteArray::fromHex(RFC_PUBLIC_HEX);
        const auto raw = [](const KeyPair &k) { return *decodeBase64UrlStrict(k.publicKeyRaw); };
        const QByteArray standard = rfc.toBase64();

        QTest::addRow("pem single") << m_a.publicKeyPem << QList { raw(m_a) } << QString();
        QTest::addRow("pem several") << QByteArray(m_a.publicKeyPem + m_b.publicKeyPem + m_c.publicKeyPem)
                                     << QList { raw(m_a), raw(m_b), raw(m_c) } << QString();
        QTest::addRow("pem text between blocks")
            << QByteArray(m_b.publicKeyPem + "\n# rotated 2026-01-01\n\n" + m_a.publicKeyPem)
            << QList { raw(m_b), raw(m_a) } << QString();
        QTest::addRow("pem leading whitespace")
            << QByteArray("\n  \n" + m_a.publicKeyPem) << QList { raw(m_a) } << QString();
        QTest::addRow("pem rfc8032") << rfcPublicPem() << QList { rfc } << QString();
        QTest::addRow("pem crlf") << QByteArray(rfcPublicPem()).replace("\n", "\r\n") << QList { rfc } << QString();
        QTest::addRow("raw b64url no padding") << QByteArray(RFC_PUBLIC_RAW) << QList { rfc } << QString();
        QTest::addRow("raw b64url padded") << QByteArray(RFC_PUBLIC_RAW + "="_ba) << QList { rfc } << QString();
        QTest::addRow("raw trailing newline") << QByteArray(RFC_PUBLIC_RAW + "\n"_ba) << QList { rfc } << QString();
        QTest::addRow("raw surrounded by whitespace")
            << QByteArray(" \t"_ba + RFC_PUBLIC_RAW + "\r\n\n") << QList { rfc } << QString();
        QTest::addRow("raw standard alphabet") << standard << QList { rfc } << QString();
        QTest::addRow("raw standard alphabet no padding")
            << QByteArray(standard).replace("=", "") << QList { rfc } << QString();
        QTest::addRow("raw generated") << m_c.publicKeyRaw << QList { raw(m_c) } << QString();

        const QList<QByteArray> none;
        const QString privateError = u"Received a private key, but a public key is expected"_s;
        QTest::addRow("private key pem") << m_a.privateKeyPem << none << privateError;
        QTest::addRow("public then private")
            << QByteArray(m_a.publicKeyPem + m_b.privateKeyPem) << none << privateError;
        QTest::addRow("certificate") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"_ba << none
                                     << u"`CERTIFICATE`"_s;
        QTest::addRow("pem without end") << "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n"_ba << none
                                         << u"malformed"_s;
        QTest::addRow("pem bad base64") << "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n"_ba << none
                                        << u"malformed"_s;
        QTest::addRow("pem truncated der") << pem("PUBLIC KEY", QByteArray::fromHex("302a300506032b6570")) << none
                                           << u"not a valid SubjectPublicKeyInfo"_s;
        QTest::addRow("pem p256 key") << QByteArray(P256_PUBLIC_PEM) << none << u"only Ed25519"_s;
        QTest::addRow("second block bad") << QByteArray(m_a.publicKeyPem + P256_PUBLIC_PEM) << none << u"PEM block 2"_s;
        QTest::addRow("garbage") << "not a key!"_ba << none << u"neither PEM nor base64"_s;
        QTest::addRow("two raw keys") << QByteArray(RFC_PUBLIC_RAW + "\n"_ba + m_a.publicKeyRaw) << none
                                      << u"neither PEM nor base64"_s;
        QTest::addRow("raw 31 bytes") << b64url(rfc.first(31)) << none << u"decodes to 31 bytes"_s;
        QTest::addRow("raw 33 bytes") << b64url(QByteArray(rfc + 'x')) << none << u"decodes to 33 bytes"_s;
        QTest::addRow("raw 64 bytes") << b64url(QByteArray(rfc + rfc)) << none << u"must be exactly 32 bytes"_s;
        QTest::addRow("raw impossible length")
            << QByteArray(RFC_PUBLIC_RAW).append('A').append('A') << none << u"neither PEM nor base64"_s;
        QTest::addRow("empty") << QByteArray() << none << u"empty"_s;
        QTest::addRow("whitespace only") << " \n\t"_ba << none << u"empty"_s;
    }

    void keyParsing()
    {
        QFETCH(QByteArray, text);
        QFETCH(QList<QByteArray>, rawKeys);
        QFETCH(QString, error);
        const auto parsed = KeySet::parse(text);
        if (rawKeys.isEmpty()) {
            QVERIFY2(std::holds_alternative<QString>(parsed), "expected an error");
            const QString message = std::get<QString>(parsed);
            QVERIFY2(message.contains(error), qPrintable(message));
            QVERIFY2(!message.contains(u'\n'), "one sentence on one line");
        } else {
            if (auto *e = std::get_if<QString>(&parsed))
                QFAIL(qPrintable(*e));
            QCOMPARE(std::get<KeySet>(parsed).rawKeys(), rawKeys);
        }
    }

    void rfc8032Vector()
    {
        const QByteArray pub = QByteArray::fromHex(RFC_PUBLIC_HEX);
        const QByteArray sig = QByteArray::fromHex(RFC_SIGNATURE_HEX);
        QVERIFY(verifyEd25519(pub, "", sig));
        QByteArray bad = sig;
        bad[10] = char(bad[10] ^ 1);
        QVERIFY(!verifyEd25519(pub, "", bad));
        QVERIFY(!verifyEd25519(pub, "x", sig));
        QVERIFY(!verifyEd25519(pub.first(31), "", sig));
        QCOMPARE(rawKeyToText(pub), QByteArray(RFC_PUBLIC_RAW));

        const KeySet raw = keysOf(RFC_PUBLIC_RAW);
        QCOMPARE(raw.verify("", sig), 0);
        QCOMPARE(keysOf(rfcPublicPem()), raw);

        auto pair = keyPairFromPrivateKey(rfcPrivatePem());
        QVERIFY(std::holds_alternative<KeyPair>(pair));
        QCOMPARE(std::get<KeyPair>(pair).publicKeyRaw, QByteArray(RFC_PUBLIC_RAW));

        // Ed25519 is deterministic: minting with the RFC key reproduces the token OpenSSL's CLI made.
        TokenRequest request;
        request.ns = u"db1"_s;
        request.access = Permissions::Access::ReadOnly;
        request.expiresInSeconds = 3600;
        request.issuedAt = NOW;
        const auto minted = mintToken(rfcPrivatePem(), request);
        QVERIFY(std::holds_alternative<QByteArray>(minted));
        QCOMPARE(std::get<QByteArray>(minted), QByteArray(RFC_TOKEN));

        const JwtVerification v = verifyJwt(RFC_TOKEN, raw, NOW, {});
        QCOMPARE(statusName(v.status), u"Valid"_s);
        QCOMPARE(v.exp, std::optional<qint64>(NOW + 3600));
        QCOMPARE(rightsOn(v.permissions, u"db1"_s), u"R---"_s);
        QCOMPARE(rightsOn(v.permissions, u"db2"_s), u"----"_s);
    }

    void verification_data()
    {
        QTest::addColumn<QByteArray>("token");
        QTest::addColumn<KeySet>("keys");
        QTest::addColumn<QString>("status");
        QTest::addColumn<int>("keyIndex");
        QTest::addColumn<QString>("rights"); // on namespace "db1" when valid
        QTest::addColumn<QString>("reason"); // substring of the reason when not valid

        const auto ok = [&](const char *name, const QByteArray &payload, const QString &rights) {
            QTest::addRow("%s", name) << signA(payload) << m_keysA << u"Valid"_s << 0 << rights << QString();
        };
        const auto bad = [&](const char *name, const QByteArray &token, const QString &status, const QString &reason) {
            QTest::addRow("%s", name) << token << m_keysA << status << -1 << QString() << reason;
        };
        const auto badClaim = [&](const char *name, const QByteArray &token, const QString &reason) {
            QTest::addRow("%s", name) << token << m_keysA << u"Invalid"_s << 0 << QString() << reason;
        };
        const auto exp = [](qint64 t) -> QByteArray { return "{\"exp\":" + QByteArray::number(t) + "}"; };

        ok("legacy no claims", "{}", u"RW--"_s);
        ok("legacy rw", R"({"a":"rw"})", u"RW--"_s);
        ok("legacy ro", R"({"id":"db1","a":"ro"})", u"R---"_s);
        ok("legacy roa", R"({"a":"roa"})", u"R-A-"_s);
        ok("legacy other namespace", R"({"id":"db2"})", u"----"_s);
        ok("legacy nulls", R"({"id":null,"a":null,"p":null,"exp":null,"aud":null})", u"RW--"_s);
        ok("p form", R"({"p":{"rw":{"ns":["db1"]},"roa":{"ns":["db9"]}}})", u"RW--"_s);
        ok("p ignores id and a", R"({"id":"db1","a":"rw","p":{"ro":{"ns":["db1"]}}})", u"R---"_s);
        ok("p empty grants nothing", R"({"p":{}})", u"----"_s);
        ok("p unknown keys ignored", R"({"p":{"xx":1,"ro":{"ns":["db1"],"yy":2}},"zz":[1]})", u"R---"_s);
        ok("exp in the future", exp(NOW + 3600), u"RW--"_s);
        ok("exp within leeway", exp(NOW - 60), u"RW--"_s);
        ok("nbf in the future is not checked", R"({"nbf":1900000000})", u"RW--"_s);
        ok("iat iss sub are not checked", R"({"iat":"x","iss":5,"sub":[]})", u"RW--"_s);
        QTest::addRow("typ at") << signA("{}", R"({"typ":"at+jwt","alg":"EdDSA","kid":"k1"})") << m_keysA << u"Valid"_s
                                << 0 << u"RW--"_s << QString();
        QTest::addRow("wrong key then right key")
            << signA("{}") << m_keysBA << u"Valid"_s << 1 << u"RW--"_s << QString();

        QTest::addRow("expired past leeway")
            << signA(exp(NOW - 61)) << m_keysA << u"Expired"_s << 0 << QString() << u"61 s ago"_s;
        QTest::addRow("expired with second key")
            << signA(exp(NOW - 3600)) << m_keysBA << u"Expired"_s << 1 << QString() << u"expired"_s;
        QTest::addRow("negative exp") << signA(exp(-5)) << m_keysA << u"Expired"_s << 0 << QString() << u"expired"_s;
        QTest::addRow("aud string") << signA(R"({"aud":"x"})") << m_keysA << u"AudiencePresent"_s << 0 << QString()
                                    << u"aud"_s;
        QTest::addRow("aud list") << signA(R"({"aud":["x","y"]})") << m_keysA << u"AudiencePresent"_s << 0 << QString()
                                  << u"aud"_s;
        QTest::addRow("aud and expired") << signA(R"({"aud":"x","exp":1})") << m_keysA << u"Expired"_s << 0 << QString()
                                         << u"expired"_s;

        badClaim("float exp", signA(R"({"exp":1700003600.0})"), u"`exp`"_s);
        badClaim("exponent exp", signA(R"({"exp":2e9})"), u"`exp`"_s);
        badClaim("string exp", signA(R"({"exp":"1700003600"})"), u"`exp`"_s);
        badClaim("huge exp", signA(R"({"exp":92233720368547758070})"), u"`exp`"_s);
        badClaim("malformed claim beats expiry", signA(R"({"exp":1,"a":"admin"})"), u"`a`"_s);
        badClaim("malformed claim beats aud", signA(R"({"aud":"x","id":""})"), u"`id`"_s);
        badClaim("id empty", signA(R"({"id":""})"), u"`id`"_s);
        badClaim("id number", signA(R"({"id":5})"), u"`id`"_s);
        badClaim("a admin", signA(R"({"a":"admin"})"), u"`a`"_s);
        badClaim("a uppercase", signA(R"({"a":"RW"})"), u"`a`"_s);
        badClaim("a malformed beside p", signA(R"({"a":"admin","p":{}})"), u"`a`"_s);
        badClaim("p array", signA(R"({"p":[]})"), u"`p`"_s);
        badClaim("p string", signA(R"({"p":"rw"})"), u"`p`"_s);
        badClaim("p scope not object", signA(R"({"p":{"rw":["db1"]}})"), u"`p.rw`"_s);
        badClaim("p ns not list", signA(R"({"p":{"ro":{"ns":"db1"}}})"), u"`p.ro.ns`"_s);
        badClaim("p ns empty name", signA(R"({"p":{"ro":{"ns":[""]}}})"), u"`p.ro.ns`"_s);
        badClaim("p tags numbers", signA(R"({"p":{"ddl":{"tags":[1]}}})"), u"`p.ddl.tags`"_s);
        badClaim("repeated claim", signA(R"({"id":"db1","id":"db2"})"), u"twice"_s);
        badClaim("repeated escaped claim", signA(R"({"exp":1,"\u0065xp":2})"), u"twice"_s);
        badClaim("payload array", signA("[]"), u"not a JSON object"_s);
        badClaim("payload not json", signA("{"), u"not valid JSON"_s);
        badClaim("payload not utf8", signA("{\"id\":\"\xff\"}"), u"UTF-8"_s);

        bad("alg none", b64url(R"({"alg":"none"})") + "." + b64url("{}") + ".", u"Invalid"_s, u"\"none\""_s);
        bad("alg none signed", signA("{}", R"({"alg":"none"})"), u"Invalid"_s, u"\"none\""_s);
        bad("alg HS256", signA("{}", R"({"alg":"HS256","typ":"JWT"})"), u"Invalid"_s, u"\"HS256\""_s);
        bad("alg ES256", signA("{}", R"({"alg":"ES256"})"), u"Invalid"_s, u"\"ES256\""_s);
        bad("alg lowercase", signA("{}", R"({"alg":"eddsa"})"), u"Invalid"_s, u"\"eddsa\""_s);
        bad("alg missing", signA("{}", R"({"typ":"JWT"})"), u"Invalid"_s, u"`alg`"_s);
        bad("typ number", signA("{}", R"({"alg":"EdDSA","typ":1})"), u"Invalid"_s, u"`typ`"_s);
        bad("header repeated alg", signA("{}", R"({"alg":"EdDSA","alg":"EdDSA"})"), u"Invalid"_s, u"twice"_s);
        bad("header not json", signA("{}", "EdDSA"), u"Invalid"_s, u"header"_s);

        const QByteArray good = signA(R"({"id":"db1"})");
        const qsizetype lastDot = good.lastIndexOf('.');
        QTest::addRow("wrong key") << good << m_keysB << u"Invalid"_s << -1 << QString() << u"any of the 1 key"_s;
        QTest::addRow("no keys") << good << KeySet() << u"Invalid"_s << -1 << QString() << u"no key"_s;
        bad("truncated token", good.chopped(1), u"Invalid"_s, u"signature"_s);
        bad("truncated signature", good.chopped(4), u"Invalid"_s, u"signature"_s);
        bad("no signature", good.first(lastDot + 1), u"Invalid"_s, u"signature"_s);
        bad("two parts", good.first(lastDot), u"Invalid"_s, u"has 2"_s);
        bad("four parts", good + ".abc", u"Invalid"_s, u"has 4"_s);
        bad("empty", QByteArray(), u"Invalid"_s, u"has 0"_s);
        bad("garbage", "hello"_ba, u"Invalid"_s, u"three parts"_s);
        QByteArray tamperedPayload = good;
        tamperedPayload.replace(b64url(R"({"id":"db1"})"), b64url(R"({"id":"db2"})"));
        bad("tampered payload", tamperedPayload, u"Invalid"_s, u"does not verify"_s);
        QByteArray tamperedSignature = good;
        tamperedSignature[lastDot + 5] = tamperedSignature[lastDot + 5] == 'A' ? 'B' : 'A';
        bad("tampered signature", tamperedSignature, u"Invalid"_s, u"does not verify"_s);
        // 64 bytes leave 4 unused bits in the last character: changing them keeps the bytes but is not canonical.
        QByteArray nonCanonical = good;
        nonCanonical.back() = char(nonCanonical.back() + 1);
        bad("non-canonical signature encoding", nonCanonical, u"Invalid"_s, u"signature part"_s);
        bad("padded part", QByteArray(good).insert(lastDot, "="), u"Invalid"_s, u"payload part"_s);
        bad("standard alphabet", "eyJ+/.e30.AAAA"_ba, u"Invalid"_s, u"header part"_s);
        bad("whitespace around", " " + good, u"Invalid"_s, u"header part"_s);
    }

    void verification()
    {
        QFETCH(QByteArray, token);
        QFETCH(KeySet, keys);
        QFETCH(QString, status);
        QFETCH(int, keyIndex);
        QFETCH(QString, rights);
        QFETCH(QString, reason);
        const JwtVerification v = verifyJwt(token, keys, NOW, {});
        QCOMPARE(statusName(v.status), status);
        QCOMPARE(v.keyIndex, qsizetype(keyIndex));
        if (v.isValid()) {
            QCOMPARE(rightsOn(v.permissions, u"db1"_s), rights);
            QVERIFY(v.reason.isEmpty());
        } else {
            QVERIFY2(v.reason.contains(reason), qPrintable(v.reason));
        }
    }

    void permissionsTable_data()
    {
        QTest::addColumn<QByteArray>("claims");
        QTest::addColumn<QString>("gid");
        QTest::addColumn<QString>("ns");
        QTest::addColumn<QString>("rights");

        const QString g;
        QTest::addRow("no claims") << "{}"_ba << g << u"anything"_s << u"RW--"_s;
        QTest::addRow("a rw") << R"({"a":"rw"})"_ba << g << u"db1"_s << u"RW--"_s;
        QTest::addRow("a ro") << R"({"a":"ro"})"_ba << g << u"db1"_s << u"R---"_s;
        QTest::addRow("a roa") << R"({"a":"roa"})"_ba << g << u"db1"_s << u"R-A-"_s;
        QTest::addRow("id match") << R"({"id":"db1"})"_ba << g << u"db1"_s << u"RW--"_s;
        QTest::addRow("id other") << R"({"id":"db1"})"_ba << g << u"db2"_s << u"----"_s;
        QTest::addRow("id is case-sensitive") << R"({"id":"db1"})"_ba << g << u"DB1"_s << u"----"_s;
        QTest::addRow("id and ro") << R"({"id":"db1","a":"ro"})"_ba << g << u"db1"_s << u"R---"_s;
        QTest::addRow("id and roa other") << R"({"id":"db1","a":"roa"})"_ba << g << u"db2"_s << u"----"_s;
        QTest::addRow("p ro") << R"({"p":{"ro":{"ns":["db1"]}}})"_ba << g << u"db1"_s << u"R---"_s;
        QTest::addRow("p ro other") << R"({"p":{"ro":{"ns":["db1"]}}})"_ba << g << u"db2"_s << u"----"_s;
        QTest::addRow("p rw") << R"({"p":{"rw":{"ns":["db1"]}}})"_ba << g << u"db1"_s << u"RW--"_s;
        QTest::addRow("p roa") << R"({"p":{"roa":{"ns":["db1"]}}})"_ba << g << u"db1"_s << u"R-A-"_s;
        QTest::addRow("p rwa") << R"({"p":{"rwa":{"ns":["db1"]}}})"_ba << g << u"db1"_s << u"RWA-"_s;
        QTest::addRow("p ddl") << R"({"p":{"ddl":{"ns":["db1"]}}})"_ba << g << u"db1"_s << u"RW-D"_s;
        QTest::addRow("p ro plus roa") << R"({"p":{"ro":{"ns":["db1"]},"roa":{"ns":["db1"]}}})"_ba << g << u"db1"_s
                                       << u"R-A-"_s;
        QTest::addRow("p several namespaces")
            << R"({"p":{"rw":{"ns":["a","db1","b"]}}})"_ba << g << u"db1"_s << u"RW--"_s;
        QTest::addRow("p empty") << R"({"p":{}})"_ba << g << u"db1"_s << u"----"_s;
        QTest::addRow("p scope without lists") << R"({"p":{"rw":{}}})"_ba << g << u"db1"_s << u"----"_s;
        QTest::addRow("p beats legacy") << R"({"id":"db1","a":"rw","p":{}})"_ba << g << u"db1"_s << u"----"_s;
        QTest::addRow("p null is legacy") << R"({"a":"ro","p":null})"_ba << g << u"db1"_s << u"R---"_s;
        QTest::addRow("tag matches gid") << R"({"p":{"ro":{"tags":["g1"]}}})"_ba << u"g1"_s << u"any"_s << u"R---"_s;
        QTest::addRow("tag other gid") << R"({"p":{"ro":{"tags":["g1"]}}})"_ba << u"g2"_s << u"any"_s << u"----"_s;
        QTest::addRow("tag without gid") << R"({"p":{"ro":{"tags":["g1"]}}})"_ba << g << u"any"_s << u"----"_s;
        QTest::addRow("empty tag without gid") << R"({"p":{"ro":{"tags":[""]}}})"_ba << g << u"any"_s << u"----"_s;
        QTest::addRow("tag and ns") << R"({"p":{"rw":{"ns":["db1"],"tags":["g1"]},"ro":{"tags":["g1"]}}})"_ba << u"g1"_s
                                    << u"db7"_s << u"RW--"_s;
        QTest::addRow("tag ddl") << R"({"p":{"ddl":{"tags":["g1"]}}})"_ba << u"g1"_s << u"db7"_s << u"RW-D"_s;
    }

    void permissionsTable()
    {
        QFETCH(QByteArray, claims);
        QFETCH(QString, gid);
        QFETCH(QString, ns);
        QFETCH(QString, rights);
        const JwtVerification v = verifyJwt(signA(claims), m_keysA, NOW, gid);
        QVERIFY2(v.isValid(), qPrintable(v.reason));
        QCOMPARE(rightsOn(v.permissions, ns), rights);
    }

    void permissionsFullAndNone()
    {
        QCOMPARE(rightsOn(Permissions::full(), u"x"_s), u"RWAD"_s);
        QVERIFY(Permissions::full().isFull());
        QCOMPARE(rightsOn(Permissions(), u"x"_s), u"----"_s);
        QCOMPARE(rightName(Right::Write), "Write"_ba);
        QCOMPARE(rightName(Right::AttachRead), "AttachRead"_ba);
        QCOMPARE(Permissions::legacy(u"db1"_s, Permissions::Access::ReadOnly).describe(),
            u"legacy claims: read only on namespace `db1`"_s);
        Permissions::Grants grants;
        grants.ro = Permissions::Scope { { u"a"_s, u"b"_s }, false };
        grants.ddl = Permissions::Scope { {}, true };
        QCOMPARE(Permissions::granted(grants).describe(),
            u"`p` claim: ro: `a`, `b`; ddl: every namespace (a tag matches LIBSQL_GID)"_s);
        QCOMPARE(Permissions::granted({}).describe(), u"`p` claim granting nothing"_s);
    }

    void authenticator_data()
    {
        QTest::addColumn<Authenticator>("auth");
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QByteArray>("code"); // empty: success
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QString>("rights"); // on "db1" when successful

        const Authenticator none;
        const Authenticator jwt = Authenticator::jwt(m_keysA);
        const Authenticator basic = Authenticator::basic("d29qdGVrOnRoZWJlYXI="_ba);
        const QByteArray token = signA(R"({"a":"ro"})");
        const QByteArray expired = signA(R"({"exp":1})");
        const QByteArray aud = signA(R"({"aud":"turso"})");

        const QByteArray notFound = "AUTH_HEADER_NOT_FOUND", malformed = "AUTH_HEADER_MALFORMED";
        const QByteArray notFoundMsg = "Expected authorization header but none given";
        const QByteArray malformedMsg = "Auth string does not conform to '<scheme> <token>' form";

        QTest::addRow("none without header") << none << QByteArray() << QByteArray() << QByteArray() << u"RWAD"_s;
        QTest::addRow("none ignores header") << none << "\xff garbage"_ba << QByteArray() << QByteArray() << u"RWAD"_s;
        QTest::addRow("none ignores bad jwt") << none << "Bearer x"_ba << QByteArray() << QByteArray() << u"RWAD"_s;

        QTest::addRow("jwt ok") << jwt << QByteArray("Bearer " + token) << QByteArray() << QByteArray() << u"R---"_s;
        QTest::addRow("jwt lowercase scheme")
            << jwt << QByteArray("bearer " + token) << QByteArray() << QByteArray() << u"R---"_s;
        QTest::addRow("jwt uppercase scheme")
            << jwt << QByteArray("BEARER " + token) << QByteArray() << QByteArray() << u"R---"_s;
        QTest::addRow("jwt missing") << jwt << QByteArray() << notFound << notFoundMsg << QString();
        QTest::addRow("jwt no space") << jwt << "Bearer"_ba << malformed << malformedMsg << QString();
        QTest::addRow("jwt token only") << jwt << token << malformed << malformedMsg << QString();
        QTest::addRow("jwt non-ascii") << jwt << "Bearer caf\xc3\xa9"_ba << malformed << "Non-ASCII auth header"_ba
                                       << QString();
        QTest::addRow("jwt control byte")
            << jwt << "Bearer \x01"_ba << malformed << "Non-ASCII auth header"_ba << QString();
        QTest::addRow("jwt basic scheme")
            << jwt << QByteArray("Basic " + token) << "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME"_ba
            << "The authentication scheme in the `Authorization` HTTP header is not "
               "supported"_ba
            << QString();
        QTest::addRow("jwt empty token") << jwt << "Bearer "_ba
                                         << "AUTH_JWT_INVALID"_ba
                                         << "The JWT is invalid"_ba << QString();
        QTest::addRow("jwt two spaces") << jwt << QByteArray("Bearer  " + token) << "AUTH_JWT_INVALID"_ba
                                        << "The JWT is invalid"_ba << QString();
        QTest::addRow("jwt garbage") << jwt << "Bearer abc"_ba
                                     << "AUTH_JWT_INVALID"_ba
                                     << "The JWT is invalid"_ba << QString();
        QTest::addRow("jwt wrong key") << Authenticator::jwt(m_keysB) << QByteArray("Bearer " + token)
                                       << "AUTH_JWT_INVALID"_ba
                                       << "The JWT is invalid"_ba << QString();
        QTest::addRow("jwt expired") << jwt << QByteArray("Bearer " + expired) << "AUTH_JWT_EXPIRED"_ba
                                     << "The JWT has expired"_ba << QString();
        QTest::addRow("jwt aud") << jwt << QByteArray("Bearer " + aud) << "AUTH_FAILED"_ba
                                 << "Authentication failed"_ba << QString();
        QTest::addRow("jwt gid") << Authenticator::jwt(m_keysA, u"g1"_s)
                                 << QByteArray("Bearer " + signA(R"({"p":{"rwa":{"tags":["g1"]}}})")) << QByteArray()
                                 << QByteArray() << u"RWA-"_s;

        const QByteArray rejected = "AUTH_BASIC_REJECTED",
                         rejectedMsg = "The `Basic` HTTP authentication credentials were rejected";
        QTest::addRow("basic ok") << basic << "Basic d29qdGVrOnRoZWJlYXI="_ba << QByteArray() << QByteArray()
                                  << u"RWAD"_s;
        QTest::addRow("basic without padding")
            << basic << "Basic d29qdGVrOnRoZWJlYXI"_ba << QByteArray() << QByteArray() << u"RWAD"_s;
        QTest::addRow("basic any scheme, contains")
            << basic << "Bearer xxd29qdGVrOnRoZWJlYXIyy"_ba << QByteArray() << QByteArray() << u"RWAD"_s;
        QTest::addRow("basic wrong") << basic << "Basic abc"_ba << rejected << rejectedMsg << QString();
        QTest::addRow("basic ignores jwt")
            << basic << QByteArray("Bearer " + token) << rejected << rejectedMsg << QString();
        QTest::addRow("basic no space") << basic << "Basic"_ba << malformed << malformedMsg << QString();
        QTest::addRow("basic missing") << basic << QByteArray() << notFound << notFoundMsg << QString();
        // sqld's `contains` lets every token through an empty credential (`--http-auth basic:`).
        QTest::addRow("basic empty credential")
            << Authenticator::basic("="_ba) << "Basic x"_ba << QByteArray() << QByteArray() << u"RWAD"_s;
    }

    void authenticator()
    {
        QFETCH(Authenticator, auth);
        QFETCH(QByteArray, header);
        QFETCH(QByteArray, code);
        QFETCH(QByteArray, message);
        QFETCH(QString, rights);
        const auto result = auth.authenticate(header, NOW);
        if (code.isEmpty()) {
            if (auto *e = std::get_if<AuthError>(&result))
                QFAIL(e->code.constData());
            QCOMPARE(rightsOn(std::get<Permissions>(result), u"db1"_s), rights);
        } else {
            QVERIFY2(std::holds_alternative<AuthError>(result), "expected an error");
            QCOMPARE(std::get<AuthError>(result).code, code);
            QCOMPARE(std::get<AuthError>(result).message, message);
        }
    }

    void websocketHello()
    {
        const Authenticator jwt = Authenticator::jwt(m_keysA);
        const QByteArray token = signA("{}");
        QCOMPARE(std::get<AuthError>(jwt.authenticateJwt(std::nullopt, NOW)), AuthError::headerNotFound());
        QVERIFY(std::holds_alternative<Permissions>(jwt.authenticateJwt(token, NOW)));
        QCOMPARE(std::get<AuthError>(jwt.authenticateJwt(""_ba, NOW)), AuthError::jwtInvalid());
        QCOMPARE(std::get<AuthError>(jwt.authenticateJwt(signA(R"({"exp":5})"), NOW)), AuthError::jwtExpired());
        // sqld prefixes "Bearer ", so a non-ASCII jwt is just an invalid token.
        QCOMPARE(std::get<AuthError>(jwt.authenticateJwt("caf\xc3\xa9"_ba, NOW)), AuthError::jwtInvalid());
        QVERIFY(std::get<Permissions>(Authenticator().authenticateJwt(std::nullopt, NOW)).isFull());
        const Authenticator basic = Authenticator::basic("c2VjcmV0"_ba);
        QVERIFY(std::get<Permissions>(basic.authenticateJwt("c2VjcmV0"_ba, NOW)).isFull());
        QCOMPARE(std::get<AuthError>(basic.authenticateJwt(token, NOW)), AuthError::basicRejected());
        QCOMPARE(std::get<AuthError>(basic.authenticateJwt(std::nullopt, NOW)), AuthError::headerNotFound());
    }

    void errorBodies_data()
    {
        QTest::addColumn<AuthError>("error");
        QTest::addColumn<QByteArray>("body");
        QTest::addRow("not found") << AuthError::headerNotFound()
                                   << R"({"error":"Unauthorized: `Expected authorization header but none given`"})"_ba;
        QTest::addRow("malformed")
            << AuthError::headerMalformed()
            << R"({"error":"Unauthorized: `Auth string does not conform to '<scheme> <token>' form`"})"_ba;
        QTest::addRow("non-ascii") << AuthError::headerNonAscii()
                                   << R"({"error":"Unauthorized: `Non-ASCII auth header`"})"_ba;
        QTest::addRow("scheme") << AuthError::unsupportedScheme()
                                << "{\"error\":\"Unauthorized: `The authentication scheme in the `Authorization` HTTP "
                                   "header is not supported`\"}"_ba;
        QTest::addRow("basic")
            << AuthError::basicRejected()
            << R"({"error":"Unauthorized: `The `Basic` HTTP authentication credentials were rejected`"})"_ba;
        QTest::addRow("invalid") << AuthError::jwtInvalid() << R"({"error":"Unauthorized: `The JWT is invalid`"})"_ba;
        QTest::addRow("expired") << AuthError::jwtExpired() << R"({"error":"Unauthorized: `The JWT has expired`"})"_ba;
        QTest::addRow("failed") << AuthError::failed() << R"({"error":"Unauthorized: `Authentication failed`"})"_ba;
    }

    void errorBodies()
    {
        QFETCH(AuthError, error);
        QFETCH(QByteArray, body);
        QCOMPARE(http401Body(error), body);
        QCOMPARE(helloErrorMessage(error), "Authentication failed: " + error.message);
    }

    void errorCodes()
    {
        QCOMPARE(AuthError::headerNotFound().code, "AUTH_HEADER_NOT_FOUND"_ba);
        QCOMPARE(AuthError::headerMalformed().code, "AUTH_HEADER_MALFORMED"_ba);
        QCOMPARE(AuthError::headerNonAscii().code, "AUTH_HEADER_MALFORMED"_ba);
        QCOMPARE(AuthError::unsupportedScheme().code, "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME"_ba);
        QCOMPARE(AuthError::basicRejected().code, "AUTH_BASIC_REJECTED"_ba);
        QCOMPARE(AuthError::jwtInvalid().code, "AUTH_JWT_INVALID"_ba);
        QCOMPARE(AuthError::jwtExpired().code, "AUTH_JWT_EXPIRED"_ba);
        QCOMPARE(AuthError::failed().code, "AUTH_FAILED"_ba);
        QCOMPARE(helloErrorMessage(AuthError::jwtExpired()), "Authentication failed: The JWT has expired"_ba);
    }

    void mintRoundTrip_data()
    {
        QTest::addColumn<std::optional<QString>>("ns");
        QTest::addColumn<int>("access");
        QTest::addColumn<std::optional<qint64>>("expires");
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QString>("rights"); // on db1

        using A = Permissions::Access;
        const std::optional<QString> all;
        const std::optional<qint64> never;
        QTest::addRow("full access forever")
            << all << int(A::ReadWrite) << never << R"({"iat":1700000000,"a":"rw"})"_ba << u"RW--"_s;
        QTest::addRow("read only one hour")
            << std::optional<QString>(u"db1"_s) << int(A::ReadOnly) << std::optional<qint64>(3600)
            << R"({"iat":1700000000,"exp":1700003600,"id":"db1","a":"ro"})"_ba << u"R---"_s;
        QTest::addRow("attach other namespace")
            << std::optional<QString>(u"db2"_s) << int(A::ReadAttach) << std::optional<qint64>(30 * 86400)
            << R"({"iat":1700000000,"exp":1702592000,"id":"db2","a":"roa"})"_ba << u"----"_s;
        QTest::addRow("unicode namespace")
            << std::optional<QString>(u"b\u00e4r \"x\""_s) << int(A::ReadWrite) << never
            << "{\"iat\":1700000000,\"id\":\"b\xc3\xa4r \\\"x\\\"\",\"a\":\"rw\"}"_ba << u"----"_s;
    }

    void mintRoundTrip()
    {
        QFETCH(std::optional<QString>, ns);
        QFETCH(int, access);
        QFETCH(std::optional<qint64>, expires);
        QFETCH(QByteArray, payload);
        QFETCH(QString, rights);
        const TokenRequest request { ns, Permissions::Access(access), expires, NOW };
        const auto minted = mintToken(m_a.privateKeyPem, request);
        if (auto *e = std::get_if<QString>(&minted))
            QFAIL(qPrintable(*e));
        const QByteArray token = std::get<QByteArray>(minted);
        const auto parts = std::get<JwtParts>(splitJwt(token));
        QCOMPARE(parts.headerJson, QByteArray(EDDSA_HEADER));
        QCOMPARE(parts.payloadJson, payload);
        const JwtVerification v = verifyJwt(token, m_keysA, NOW, {});
        QVERIFY2(v.isValid(), qPrintable(v.reason));
        QCOMPARE(rightsOn(v.permissions, u"db1"_s), rights);
        if (ns)
            QCOMPARE(rightsOn(v.permissions, *ns).at(0), u'R');
        QCOMPARE(v.exp, expires ? std::optional<qint64>(NOW + *expires) : std::nullopt);
        QCOMPARE(statusName(verifyJwt(token, m_keysB, NOW, {}).status), u"Invalid"_s);
        if (expires)
            QCOMPARE(statusName(verifyJwt(token, m_keysA, NOW + *expires + 61, {}).status), u"Expired"_s);
    }

    void mintErrors_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<TokenRequest>("request");
        QTest::addColumn<QString>("error");
        TokenRequest plain;
        TokenRequest emptyNs;
        emptyNs.ns = QString();
        TokenRequest zero;
        zero.expiresInSeconds = 0;
        TokenRequest tooFar;
        tooFar.expiresInSeconds = std::numeric_limits<qint64>::max();
        tooFar.issuedAt = NOW;
        QTest::addRow("public key") << m_a.publicKeyPem << plain << u"PKCS#8"_s;
        QTest::addRow("garbage") << "nope"_ba << plain << u"PKCS#8"_s;
        QTest::addRow("empty namespace") << m_a.privateKeyPem << emptyNs << u"namespace must not be empty"_s;
        QTest::addRow("zero expiry") << m_a.privateKeyPem << zero << u"positive"_s;
        QTest::addRow("expiry overflow") << m_a.privateKeyPem << tooFar << u"too far"_s;
    }

    void mintErrors()
    {
        QFETCH(QByteArray, key);
        QFETCH(TokenRequest, request);
        QFETCH(QString, error);
        const auto minted = mintToken(key, request);
        QVERIFY(std::holds_alternative<QString>(minted));
        QVERIFY2(std::get<QString>(minted).contains(error), qPrintable(std::get<QString>(minted)));
    }

    void mintDefaultsToNow()
    {
        const qint64 before = QDateTime::currentSecsSinceEpoch();
        TokenRequest request;
        request.expiresInSeconds = 60;
        const QByteArray token = std::get<QByteArray>(mintToken(m_a.privateKeyPem, request));
        const JwtVerification v = verifyJwt(token, m_keysA, before, {});
        QVERIFY(v.isValid());
        QVERIFY(*v.exp >= before + 60 && *v.exp <= QDateTime::currentSecsSinceEpoch() + 60);
    }

    void inspect_data()
    {
        QTest::addColumn<QByteArray>("token");
        QTest::addColumn<bool>("withKeys");
        QTest::addColumn<QString>("ns");
        QTest::addColumn<bool>("accepted");
        QTest::addColumn<QByteArray>("code"); // the server's answer; empty: none
        QTest::addColumn<QString>("line"); // one expected check line (substring)

        const QByteArray valid = signA(R"({"id":"db1","a":"ro","exp":1700086400})");
        QTest::addRow("valid") << valid << true << QString() << true << QByteArray()
                               << u"signature pass: verified by key 2 of 2"_s;
        QTest::addRow("valid expiry") << valid << true << QString() << true << QByteArray()
                                      << u"expiry pass: expires in 1d (at 2023-11-15T22:13:20Z)"_s;
        QTest::addRow("valid rights") << valid << true << QString() << true << QByteArray()
                                      << u"rights info: legacy claims: read only on namespace `db1`"_s;
        QTest::addRow("valid on namespace") << valid << true << u"db1"_s << true << QByteArray()
                                            << u"rights info: on `db1`: Read yes, Write no, AttachRead no, Ddl no"_s;
        QTest::addRow("other namespace") << valid << true << u"db2"_s << true << QByteArray()
                                         << u"namespace fail: grants nothing on namespace `db2`"_s;
        QTest::addRow("without keys") << valid << false << QString() << false << QByteArray()
                                      << u"signature info: not checked"_s;
        QTest::addRow("format") << "abc.def"_ba << true << QString() << false << "AUTH_JWT_INVALID"_ba
                                << u"format fail: a JWT has three parts"_s;
        QTest::addRow("algorithm") << signA("{}", R"({"alg":"HS256"})") << true << QString() << false
                                   << "AUTH_JWT_INVALID"_ba << u"algorithm fail: the header's `alg` is \"HS256\""_s;
        QTest::addRow("wrong key") << sign(m_c, "{}") << true << QString() << false << "AUTH_JWT_INVALID"_ba
                                   << u"signature fail: does not verify with any of the 2 key(s)"_s;
        QTest::addRow("malformed claim") << signA(R"({"exp":1.5})") << true << QString() << false
                                         << "AUTH_JWT_INVALID"_ba << u"claims fail: the `exp` claim"_s;
        QTest::addRow("expired") << signA(R"({"exp":1699996400})") << true << QString() << false
                                 << "AUTH_JWT_EXPIRED"_ba << u"expiry fail: expired 1h ago (at 2023-11-14T21:13:20Z)"_s;
        QTest::addRow("leeway") << signA(R"({"exp":1699999970})") << true << QString() << true << QByteArray()
                                << u"expiry warning: expired 30s ago"_s;
        QTest::addRow("no exp") << signA("{}") << true << QString() << true << QByteArray()
                                << u"expiry warning: no `exp` claim: the token never expires"_s;
        QTest::addRow("aud") << signA(R"({"aud":"x"})") << true << QString() << false << "AUTH_FAILED"_ba
                             << u"audience fail"_s;
        QTest::addRow("expired and aud") << signA(R"({"aud":"x","exp":5})") << true << QString() << false
                                         << "AUTH_JWT_EXPIRED"_ba << u"audience fail"_s;
        QTest::addRow("nbf") << signA(R"({"nbf":1700003600})") << true << QString() << true << QByteArray()
                             << u"not before info: `nbf` is 1h in the future"_s;
        QTest::addRow("p tokens") << signA(R"({"p":{"rw":{"ns":["db1"]}}})") << true << QString() << true
                                  << QByteArray() << u"rights info: `p` claim: rw: `db1`"_s;
        QTest::addRow("trailing newline")
            << QByteArray(valid + "\n") << true << QString() << true << QByteArray() << u"format pass"_s;
    }

    void inspect()
    {
        QFETCH(QByteArray, token);
        QFETCH(bool, withKeys);
        QFETCH(QString, ns);
        QFETCH(bool, accepted);
        QFETCH(QByteArray, code);
        QFETCH(QString, line);
        const TokenInspection in = inspectToken(token, withKeys ? &m_keysBA : nullptr, NOW, ns);
        QStringList lines;
        for (const TokenCheck &c : in.checks)
            lines.append(checkLine(c));
        const QString all = lines.join(u'\n');
        QVERIFY2(all.contains(line), qPrintable(all));
        QCOMPARE(in.accepted, accepted);
        QCOMPARE(in.error ? in.error->code : QByteArray(), code);
        QVERIFY(!in.summary().isEmpty());
        if (!code.isEmpty())
            QVERIFY2(in.summary().contains(QString::fromLatin1(code)), qPrintable(in.summary()));
    }

    void inspectPrettyPrints()
    {
        const QByteArray token = signA(R"({"exp":1700003600.0,"p":{"ro":{"ns":["a","b"]},"rw":{}},"id":"x"})");
        const TokenInspection in = inspectToken(token, &m_keysA, NOW);
        QCOMPARE(in.header, "{\n  \"alg\": \"EdDSA\",\n  \"typ\": \"JWT\"\n}"_ba);
        QCOMPARE(in.claims,
            "{\n  \"exp\": 1700003600.0,\n  \"p\": {\n    \"ro\": {\n      \"ns\": [\n        \"a\",\n"
            "        \"b\"\n      ]\n    },\n    \"rw\": {}\n  },\n  \"id\": \"x\"\n}"_ba);
        QCOMPARE(in.error, std::optional<AuthError>(AuthError::jwtInvalid()));

        const TokenInspection garbage = inspectToken("bm90IGpzb24.e30.x", nullptr, NOW);
        QCOMPARE(garbage.header, "not json"_ba);
        QCOMPARE(garbage.claims, "{}"_ba);
    }

    void parseDuration_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("seconds"); // -1: rejected
        QTest::addRow("days") << u"30d"_s << qint64(2592000);
        QTest::addRow("hours") << u"12h"_s << qint64(43200);
        QTest::addRow("minutes") << u"90m"_s << qint64(5400);
        QTest::addRow("seconds suffix") << u"3600s"_s << qint64(3600);
        QTest::addRow("bare seconds") << u"3600"_s << qint64(3600);
        QTest::addRow("weeks") << u"2w"_s << qint64(1209600);
        QTest::addRow("spaces") << u" 1d "_s << qint64(86400);
        QTest::addRow("empty") << QString() << qint64(-1);
        QTest::addRow("zero") << u"0"_s << qint64(-1);
        QTest::addRow("zero days") << u"0d"_s << qint64(-1);
        QTest::addRow("negative") << u"-5m"_s << qint64(-1);
        QTest::addRow("plus") << u"+5m"_s << qint64(-1);
        QTest::addRow("unit only") << u"h"_s << qint64(-1);
        QTest::addRow("fraction") << u"1.5h"_s << qint64(-1);
        QTest::addRow("unknown unit") << u"5y"_s << qint64(-1);
        QTest::addRow("uppercase unit") << u"5D"_s << qint64(-1);
        QTest::addRow("two units") << u"1h30m"_s << qint64(-1);
        QTest::addRow("inner space") << u"5 d"_s << qint64(-1);
        QTest::addRow("overflow") << u"999999999999999d"_s << qint64(-1);
        QTest::addRow("too many digits") << u"9223372036854775807"_s << qint64(-1);
    }

    void parseDuration()
    {
        QFETCH(QString, text);
        QFETCH(qint64, seconds);
        const auto parsed = qsqld::auth::parseDuration(text);
        QCOMPARE(parsed.value_or(-1), seconds);
    }

    void formatDuration_data()
    {
        QTest::addColumn<qint64>("seconds");
        QTest::addColumn<QString>("text");
        QTest::addRow("zero") << qint64(0) << u"0s"_s;
        QTest::addRow("seconds") << qint64(42) << u"42s"_s;
        QTest::addRow("minutes") << qint64(90) << u"1m 30s"_s;
        QTest::addRow("hours") << qint64(3 * 3600 + 120) << u"3h 2m"_s;
        QTest::addRow("days") << qint64(29 * 86400 + 23 * 3600 + 59) << u"29d 23h"_s;
        QTest::addRow("round days") << qint64(3 * 86400 + 5) << u"3d"_s;
        QTest::addRow("negative") << qint64(-5) << u"0s"_s;
    }

    void formatDuration()
    {
        QFETCH(qint64, seconds);
        QFETCH(QString, text);
        QCOMPARE(qsqld::auth::formatDuration(seconds), text);
    }

    void concurrentVerification()
    {
        // Values and per-call OpenSSL objects: verifying with one shared KeySet from several threads is safe.
        const QByteArray token = signA(R"({"id":"db1"})");
        const KeySet keys = m_keysBA;
        std::atomic<int> valid = 0;
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < 50; ++i)
                    valid += verifyJwt(token, keys, NOW, {}).isValid() ? 1 : 0;
            });
        }
        for (auto &thread : threads)
            thread.join();
        QCOMPARE(valid.load(), 200);
    }
};

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"
