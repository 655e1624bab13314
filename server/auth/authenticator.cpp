#include "authenticator.h"

#include <QLoggingCategory>

#include "util/jsonwriter.h"

using namespace Qt::StringLiterals;

namespace qsqld::auth {

namespace {

Q_LOGGING_CATEGORY(lcAuth, "qsqld.auth", QtInfoMsg)

// http::HeaderValue::to_str accepts tab and 0x20..0x7e.
bool isVisibleAscii(QByteArrayView value)
{
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (!(u == '\t' || (u >= 0x20 && u < 0x7f)))
            return false;
    }
    return true;
}

AuthError jwtError(const JwtVerification &v)
{
    switch (v.status) {
    case JwtVerification::Status::Expired:
        return AuthError::jwtExpired();
    case JwtVerification::Status::AudiencePresent:
        return AuthError::failed();
    case JwtVerification::Status::Valid:
    case JwtVerification::Status::Invalid:
        break;
    }
    return AuthError::jwtInvalid();
}

} // namespace

AuthError AuthError::headerNotFound()
{
    return { "Expected authorization header but none given"_ba, "AUTH_HEADER_NOT_FOUND"_ba };
}

AuthError AuthError::headerMalformed()
{
    return { "Auth string does not conform to '<scheme> <token>' form"_ba, "AUTH_HEADER_MALFORMED"_ba };
}

AuthError AuthError::headerNonAscii()
{
    return { "Non-ASCII auth header"_ba, "AUTH_HEADER_MALFORMED"_ba };
}

AuthError AuthError::unsupportedScheme()
{
    return { "The authentication scheme in the `Authorization` HTTP header is not supported"_ba,
        "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME"_ba };
}

AuthError AuthError::basicRejected()
{
    return { "The `Basic` HTTP authentication credentials were rejected"_ba, "AUTH_BASIC_REJECTED"_ba };
}

AuthError AuthError::jwtInvalid()
{
    return { "The JWT is invalid"_ba, "AUTH_JWT_INVALID"_ba };
}

AuthError AuthError::jwtExpired()
{
    return { "The JWT has expired"_ba, "AUTH_JWT_EXPIRED"_ba };
}

AuthError AuthError::failed()
{
    return { "Authentication failed"_ba, "AUTH_FAILED"_ba };
}

QByteArray http401Body(const AuthError &error)
{
    util::JsonWriter json(96);
    json.beginObject();
    json.key("error");
    json.string(QByteArray("Unauthorized: `" + error.message + "`"));
    json.endObject();
    return json.take();
}

QByteArray helloErrorMessage(const AuthError &error)
{
    return QByteArray("Authentication failed: " + error.message);
}

Authenticator Authenticator::basic(QByteArray credential)
{
    Authenticator a;
    a.m_strategy = Strategy::Basic;
    while (credential.endsWith('='))
        credential.chop(1);
    a.m_basicCredential = std::move(credential);
    return a;
}

Authenticator Authenticator::jwt(KeySet keys, QString gid)
{
    Authenticator a;
    a.m_strategy = Strategy::Jwt;
    a.m_keys = std::move(keys);
    a.m_gid = std::move(gid);
    return a;
}

std::variant<Permissions, AuthError> Authenticator::authenticate(QByteArrayView authorization, qint64 nowSeconds) const
{
    if (m_strategy == Strategy::None)
        return Permissions::full();
    if (authorization.isEmpty())
        return AuthError::headerNotFound();
    if (!isVisibleAscii(authorization))
        return AuthError::headerNonAscii();
    const qsizetype space = authorization.indexOf(' ');
    if (space < 0)
        return AuthError::headerMalformed();
    return check(authorization.first(space), authorization.sliced(space + 1), nowSeconds);
}

std::variant<Permissions, AuthError> Authenticator::authenticateJwt(
    std::optional<QByteArrayView> jwt, qint64 nowSeconds) const
{
    if (m_strategy == Strategy::None)
        return Permissions::full();
    if (!jwt)
        return AuthError::headerNotFound();
    return check("Bearer", *jwt, nowSeconds);
}

std::variant<Permissions, AuthError> Authenticator::check(QByteArrayView scheme, QByteArrayView token, qint64 now) const
{
    if (m_strategy == Strategy::Basic) {
        // sqld's naive `contains`, kept for compatibility: the scheme is ignored and extra text is allowed.
        if (token.contains(m_basicCredential))
            return Permissions::full();
        return AuthError::basicRejected();
    }
    if (scheme.compare("bearer", Qt::CaseInsensitive) != 0)
        return AuthError::unsupportedScheme();
    JwtVerification v = verifyJwt(token, m_keys, now, m_gid);
    if (v.isValid())
        return std::move(v.permissions);
    qCDebug(lcAuth) << "JWT rejected:" << v.reason;
    return jwtError(v);
}

} // namespace qsqld::auth
