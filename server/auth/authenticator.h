#pragma once

// The user-API authentication strategy chosen at startup (spec section 3.1): none, legacy HTTP Basic, or JWT
// against a KeySet. A namespace with its own `jwt_key` gets its own Authenticator::jwt(...), which replaces the
// global one for that namespace. A value: cheap to copy, immutable, any thread.

#include "jwt.h"
#include "keyset.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>
#include <variant>

namespace qsqld::auth {

// An authentication failure with sqld's exact message and code (spec section 3.5).
struct AuthError
{
    QByteArray message;
    QByteArray code;

    static AuthError headerNotFound(); // "Expected authorization header but none given"
    static AuthError headerMalformed(); // no space between scheme and token
    static AuthError headerNonAscii(); // bytes outside visible ASCII
    static AuthError unsupportedScheme(); // JWT strategy, scheme other than Bearer
    static AuthError basicRejected();
    static AuthError jwtInvalid();
    static AuthError jwtExpired();
    static AuthError failed(); // "Authentication failed" (a JWT with `aud`)

    bool operator==(const AuthError &) const = default;
};

// sqld's HTTP 401 body: {"error":"Unauthorized: `<message>`"} (the backticks are part of it).
QByteArray http401Body(const AuthError &error);

// The `message` of a WebSocket hello_error: "Authentication failed: <message>" (the code goes beside it).
QByteArray helloErrorMessage(const AuthError &error);

class Authenticator
{
public:
    enum class Strategy { None, Basic, Jwt };

    Authenticator() = default; // Strategy::None: everything is allowed, the header is ignored

    // `--http-auth basic:<credential>`: passes when the token after the header's first space contains
    // `credential` without its trailing '='. The scheme is not checked. This strategy wins over JWT.
    static Authenticator basic(QByteArray credential);

    // `Authorization: Bearer <jwt>` verified against `keys`; `gid` is LIBSQL_GID (empty: unset), which the
    // `tags` of a `p` claim are matched against.
    static Authenticator jwt(KeySet keys, QString gid = {});

    Strategy strategy() const { return m_strategy; }
    const KeySet &keys() const { return m_keys; }

    // The `Authorization` header's value (empty: no header). The caller may fall back to `x-authorization`
    // when there is no `Authorization`, as sqld does. `nowSeconds` is Unix time.
    std::variant<Permissions, AuthError> authenticate(QByteArrayView authorization, qint64 nowSeconds) const;

    // The `jwt` of a WebSocket `hello` (nullopt: missing or null). sqld checks it as the header
    // "Bearer <jwt>", so Basic then needs the credential inside the jwt string.
    std::variant<Permissions, AuthError> authenticateJwt(std::optional<QByteArrayView> jwt, qint64 nowSeconds) const;

private:
    std::variant<Permissions, AuthError> check(QByteArrayView scheme, QByteArrayView token, qint64 now) const;

    Strategy m_strategy = Strategy::None;
    QByteArray m_basicCredential; // trailing '=' already removed
    KeySet m_keys;
    QString m_gid;
};

} // namespace qsqld::auth
