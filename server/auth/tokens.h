#pragma once

// Token tooling shared by the `qsqld token ...` commands and the desktop console: Ed25519 key generation, minting
// sqld-compatible JWTs, and explaining why a token is or is not accepted. sqld has no such tooling (spec
// section 17). Pure functions and values; any thread. Nothing here touches the file system.

#include "authenticator.h"
#include "jwt.h"
#include "keyset.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringView>

#include <optional>
#include <variant>

namespace qsqld::auth {

struct KeyPair
{
    QByteArray privateKeyPem; // PKCS#8 "PRIVATE KEY" PEM, unencrypted: keep it secret
    QByteArray publicKeyPem; // SubjectPublicKeyInfo "PUBLIC KEY" PEM: for --auth-jwt-key-file or `jwt_key`
    QByteArray publicKeyRaw; // the same key as sqld's raw format: 43 base64url characters, no padding

    bool isValid() const { return !privateKeyPem.isEmpty(); }
};

// A fresh Ed25519 key pair. Invalid only if OpenSSL cannot generate keys at all.
KeyPair generateKeyPair();

// The key pair of an existing PKCS#8 Ed25519 private key PEM (to print its public key again).
std::variant<KeyPair, QString> keyPairFromPrivateKey(QByteArrayView privateKeyPem);

struct TokenRequest
{
    std::optional<QString> ns; // the `id` claim: only this namespace; absent: every namespace
    Permissions::Access access = Permissions::Access::ReadWrite; // the `a` claim: "rw", "ro" or "roa"
    std::optional<qint64> expiresInSeconds; // `exp` = issuedAt + this; absent: no `exp` (never expires)
    std::optional<qint64> issuedAt; // Unix seconds for `iat`; absent: the current time
};

// A compact JWT with header {"alg":"EdDSA","typ":"JWT"} and claims {"iat","exp"?,"id"?,"a"}, signed with the
// private key. The error is one sentence (bad PEM, not Ed25519, empty namespace, non-positive expiry).
std::variant<QByteArray, QString> mintToken(QByteArrayView privateKeyPem, const TokenRequest &request);

// A compact JWS of any header and payload JSON text (encoded as given, not re-serialized), signed with an
// Ed25519 private key: for custom claims such as `p`, and for tests.
std::variant<QByteArray, QString> signJws(
    QByteArrayView privateKeyPem, QByteArrayView headerJson, QByteArrayView payloadJson);

// One line of an inspection, in the order the server checks.
struct TokenCheck
{
    enum class Status { Pass, Warning, Fail, Info };
    // format, algorithm, signature, claims, expiry, audience, not before, issued at, namespace, rights
    QString name;
    Status status = Status::Info;
    QString detail;
};

struct TokenInspection
{
    QByteArray header; // the decoded header, re-indented with its literals and key order intact (empty if absent)
    QByteArray claims; // likewise for the payload
    QList<TokenCheck> checks;
    std::optional<AuthError> error; // what qsqld would answer, in sqld's order of checks, when a check failed
    bool accepted = false; // a key verified the token and qsqld would accept it
    qsizetype keyIndex = -1; // the key that verified the signature
    std::optional<Permissions> permissions; // when the claims are well-formed
    std::optional<bool> canReadNamespace; // when a namespace was given: false means requests get 404

    QString summary() const; // one line: "accepted ...", "rejected: The JWT has expired", ...
};

// Decodes and explains `token`. Without keys (nullptr) the signature is not checked and `accepted` stays false.
// `ns` (optional) is the namespace to evaluate the rights on; `gid` is LIBSQL_GID for `tags` (empty: unset).
TokenInspection inspectToken(
    QByteArrayView token, const KeySet *keys, qint64 now, QString ns = {}, QStringView gid = {});

// "30d", "12h", "90m", "3600s", "3600" (seconds), also "2w"; surrounding spaces allowed. Positive only.
std::optional<qint64> parseDuration(QStringView text);

// "29d 23h", "3h 2m", "42s": the two largest units of a non-negative number of seconds.
QString formatDuration(qint64 seconds);

} // namespace qsqld::auth
