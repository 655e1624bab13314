// Fuzz target: JWTs and key text (server/auth/jwt.h, keyset.h, tokens.h). The first byte picks what the rest is:
//   0  a token, verified against the fixed test key (and inspected, which must agree with the verification)
//   1  "<header JSON>\n<payload JSON>", signed here with the test key, so the claims behind a valid signature are
//      reached; the verdict must follow from checkJwtHeader and parseJwtClaims in sqld's order
//   2  key-file text (PEM or raw base64); every key parsed must parse again from its raw text form
// For any other first byte the rest goes through all three.

#include <cstdint>

#include "fuzzsupport.h"
#include "auth/jwt.h"
#include "auth/keyset.h"
#include "auth/tokens.h"

using namespace Qt::StringLiterals;
using namespace qsqld;
using namespace qsqld::auth;

namespace {

constexpr qint64 NOW = 1'700'000'000;
constexpr QStringView GID = u"fuzz-gid";

// PKCS#8 DER of an Ed25519 private key: this prefix, then the 32-byte seed (RFC 8410).
constexpr char PKCS8_ED25519_PREFIX[] = "\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20";

struct TestKey
{
    QByteArray privateKeyPem;
    KeySet keys;
};

// A fixed key, so that the committed corpus keeps its valid signatures.
const TestKey &testKey()
{
    static const TestKey key = [] {
        QByteArray der(PKCS8_ED25519_PREFIX, sizeof PKCS8_ED25519_PREFIX - 1);
        for (char i = 0; i < 32; ++i)
            der.append(static_cast<char>(0x40 + i));
        TestKey k;
        k.privateKeyPem = "-----BEGIN PRIVATE KEY-----\n" + der.toBase64() + "\n-----END PRIVATE KEY-----\n";
        const auto pair = keyPairFromPrivateKey(k.privateKeyPem);
        QSQLD_FUZZ_CHECK(std::holds_alternative<KeyPair>(pair));
        k.keys = std::get<KeySet>(KeySet::parse(std::get<KeyPair>(pair).publicKeyRaw));
        return k;
    }();
    return key;
}

// What the rights model promises whatever the claims: DDL implies write, write and attach imply read.
void checkRights(const Permissions &p, QStringView ns)
{
    QSQLD_FUZZ_CHECK(!p.allows(Right::Ddl, ns) || p.allows(Right::Write, ns));
    QSQLD_FUZZ_CHECK(!p.allows(Right::Write, ns) || p.allows(Right::Read, ns));
    QSQLD_FUZZ_CHECK(!p.allows(Right::AttachRead, ns) || p.allows(Right::Read, ns));
    QSQLD_FUZZ_CHECK(!p.describe().isEmpty());
}

JwtVerification checkToken(QByteArrayView token)
{
    const JwtVerification v = verifyJwt(token, testKey().keys, NOW, GID);
    QSQLD_FUZZ_CHECK(v.isValid() == v.reason.isEmpty());
    const TokenInspection inspection = inspectToken(token, &testKey().keys, NOW, {}, GID);
    QSQLD_FUZZ_CHECK(inspection.accepted == v.isValid());

    const auto split = splitJwt(token);
    if (const auto *parts = std::get_if<JwtParts>(&split)) {
        const QByteArray again = encodeBase64Url(parts->headerJson) + '.' + encodeBase64Url(parts->payloadJson) + '.'
            + encodeBase64Url(parts->signature);
        QSQLD_FUZZ_CHECK(QByteArrayView(again) == token);
        if (v.isValid()) {
            QSQLD_FUZZ_CHECK(v.keyIndex == 0);
            const auto claims = parseJwtClaims(parts->payloadJson, GID);
            QSQLD_FUZZ_CHECK(std::get<JwtClaims>(claims).permissions == v.permissions);
            checkRights(v.permissions, u"db1");
            checkRights(v.permissions, u"default");
        }
    } else {
        QSQLD_FUZZ_CHECK(!v.isValid());
    }
    return v;
}

void checkSigned(const QByteArray &input)
{
    const qsizetype newline = input.indexOf('\n');
    const QByteArray header = newline < 0 ? "{\"alg\":\"EdDSA\"}"_ba : input.first(newline);
    const QByteArray payload = newline < 0 ? input : input.sliced(newline + 1);
    const auto token = signJws(testKey().privateKeyPem, header, payload);
    QSQLD_FUZZ_CHECK(std::holds_alternative<QByteArray>(token));
    const JwtVerification v = checkToken(std::get<QByteArray>(token));

    using Status = JwtVerification::Status;
    if (!checkJwtHeader(header).isEmpty()) {
        QSQLD_FUZZ_CHECK(v.status == Status::Invalid && v.keyIndex < 0);
        return;
    }
    QSQLD_FUZZ_CHECK(v.keyIndex == 0);
    const auto claims = parseJwtClaims(payload, GID);
    if (const auto *c = std::get_if<JwtClaims>(&claims)) {
        const bool expired = c->exp && *c->exp < NOW - EXP_LEEWAY_SECONDS;
        QSQLD_FUZZ_CHECK(v.status
                         == (expired ? Status::Expired : c->hasAudience ? Status::AudiencePresent : Status::Valid));
        checkRights(c->permissions, u"db1");
    } else {
        QSQLD_FUZZ_CHECK(v.status == Status::Invalid);
    }
}

void checkKeyText(const QByteArray &text)
{
    const auto parsed = KeySet::parse(text);
    if (const auto *keys = std::get_if<KeySet>(&parsed)) {
        QSQLD_FUZZ_CHECK(!keys->isEmpty());
        for (const QByteArray &raw : keys->rawKeys()) {
            const auto again = KeySet::parse(rawKeyToText(raw));
            QSQLD_FUZZ_CHECK(std::get<KeySet>(again) == KeySet::fromRawKeys({ raw }));
        }
    } else {
        QSQLD_FUZZ_CHECK(!std::get<QString>(parsed).isEmpty());
    }
    if (const auto decoded = decodeBase64UrlStrict(text))
        QSQLD_FUZZ_CHECK(encodeBase64Url(*decoded) == text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray input = fuzz::bytes(data + 1, size - 1);
    const bool all = data[0] > 2;
    if (data[0] == 0 || all)
        checkToken(input);
    if (data[0] == 1 || all)
        checkSigned(input);
    if (data[0] == 2 || all)
        checkKeyText(input);
    return 0;
}
