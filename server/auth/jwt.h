#pragma once

// JWT verification exactly as sqld does it (spec sections 3.3 and 3.4; sqld uses jsonwebtoken 9 with
// Validation::new(EdDSA) minus the required `exp`), and the rights a token's claims grant.
// Pure functions and values; any thread.

#include "keyset.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <optional>
#include <variant>

namespace qsqld::auth {

// `exp` may be this many seconds in the past (jsonwebtoken's default leeway).
constexpr qint64 EXP_LEEWAY_SECONDS = 60;

// What a statement or request needs on a namespace. Ddl is only asked for a namespace linked to a shared
// schema (ordinary DDL needs Write); ATTACH asks AttachRead on the attached namespace.
enum class Right { Read, Write, AttachRead, Ddl };

// sqld's name of a right as it appears in 403 messages ("... doesn't not have Write permission ...").
QByteArray rightName(Right right);

// The rights of an authenticated request. A value; a default-constructed Permissions grants nothing.
class Permissions
{
public:
    // The legacy `a` claim.
    enum class Access { ReadWrite, ReadOnly, ReadAttach }; // "rw", "ro", "roa"

    // One entry of the `p` claim: the namespaces listed in `ns`, or every namespace when one of its `tags`
    // equals the server's group id (LIBSQL_GID).
    struct Scope
    {
        QStringList namespaces;
        bool everyNamespace = false;

        bool contains(QStringView ns) const { return everyNamespace || namespaces.contains(ns); }
        bool operator==(const Scope &) const = default;
    };

    // The `p` claim. An absent key grants nothing.
    struct Grants
    {
        std::optional<Scope> ro, rw, roa, rwa, ddl;
        bool operator==(const Grants &) const = default;
    };

    Permissions() = default;
    static Permissions full(); // auth disabled, or HTTP Basic passed
    static Permissions legacy(std::optional<QString> ns, Access access); // `id` (absent: all) and `a`
    static Permissions granted(Grants grants); // the `p` claim

    bool allows(Right right, QStringView ns) const;
    bool isFull() const { return m_kind == Kind::Full; }

    // One line for logs and token inspection, e.g. "legacy claims: read-only on namespace `db1`".
    QString describe() const;

    bool operator==(const Permissions &) const = default;

private:
    enum class Kind { Grants, Legacy, Full };
    Kind m_kind = Kind::Grants;
    Grants m_grants;
    std::optional<QString> m_legacyNamespace;
    Access m_access = Access::ReadWrite;
};

// The three parts of a compact JWS, base64url-decoded (strictly: no padding, canonical) but not verified.
struct JwtParts
{
    QByteArray signingInput; // "<header>.<payload>" as sent: what the signature covers
    QByteArray headerJson;
    QByteArray payloadJson;
    QByteArray signature;
};

// Splits and decodes a token; the error says which part is wrong.
std::variant<JwtParts, QString> splitJwt(QByteArrayView token);

// Empty if the header is a JSON object with `"alg":"EdDSA"` and well-typed registered fields, else why not.
QString checkJwtHeader(QByteArrayView headerJson);

// What the payload's claims mean to qsqld. The error names the malformed claim.
struct JwtClaims
{
    Permissions permissions;
    std::optional<qint64> exp;
    bool hasAudience = false; // any non-null `aud` makes the token fail (AUTH_FAILED)
};
std::variant<JwtClaims, QString> parseJwtClaims(QByteArrayView payloadJson, QStringView gid);

// The outcome of verifying a token against a key set.
struct JwtVerification
{
    enum class Status {
        Valid,
        Invalid, // AUTH_JWT_INVALID: format, algorithm, signature or a malformed claim
        Expired, // AUTH_JWT_EXPIRED
        AudiencePresent, // AUTH_FAILED ("Authentication failed"; jsonwebtoken's InvalidAudience)
    };
    Status status = Status::Invalid;
    QString reason; // an English sentence fragment for logs and `token inspect`; never sent to clients
    qsizetype keyIndex = -1; // the key whose signature matched, once one did
    Permissions permissions; // when Valid
    std::optional<qint64> exp;

    bool isValid() const { return status == Status::Valid; }
};

// sqld's order: format and header, then the first key whose signature verifies (sqld tries each key and moves
// on only while the answer is "invalid"), then the claims' shape, then `exp` (with EXP_LEEWAY_SECONDS), then
// `aud`. `nbf`, `iat`, `iss` and `sub` are not checked. `gid` is LIBSQL_GID; empty means unset (no tag matches).
JwtVerification verifyJwt(QByteArrayView token, const KeySet &keys, qint64 nowSeconds, QStringView gid);

// Strict base64url as jsonwebtoken decodes JWT parts: URL-safe alphabet, no '=', canonical trailing bits.
std::optional<QByteArray> decodeBase64UrlStrict(QByteArrayView text);
QByteArray encodeBase64Url(QByteArrayView bytes); // no padding

} // namespace qsqld::auth
