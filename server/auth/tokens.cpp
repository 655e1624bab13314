#include "tokens.h"

#include "opensslptr.h"

#include <limits>
#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include "util/jsonwriter.h"

using namespace Qt::StringLiterals;

namespace qsqld::auth {

namespace {

using namespace ossl;

// Never let OpenSSL prompt on the terminal for a passphrase: an encrypted key simply fails to load.
int noPassphrase(char *, int, int, void *)
{
    return 0;
}

QByteArray drain(BIO *bio)
{
    QByteArray out(qsizetype(BIO_ctrl_pending(bio)), Qt::Uninitialized);
    const int n = BIO_read(bio, out.data(), int(out.size()));
    out.resize(n > 0 ? n : 0);
    return out;
}

// The three encodings of a key pair; empty on failure.
KeyPair encodeKeyPair(EVP_PKEY *key)
{
    BioPtr priv(BIO_new(BIO_s_mem()));
    BioPtr pub(BIO_new(BIO_s_mem()));
    QByteArray raw(ED25519_KEY_BYTES, Qt::Uninitialized);
    size_t rawLength = size_t(raw.size());
    if (!priv || !pub || PEM_write_bio_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1
        || PEM_write_bio_PUBKEY(pub.get(), key) != 1
        || EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char *>(raw.data()), &rawLength) != 1
        || rawLength != size_t(ED25519_KEY_BYTES)) {
        ERR_clear_error();
        return {};
    }
    return { drain(priv.get()), drain(pub.get()), rawKeyToText(raw) };
}

std::variant<PkeyPtr, QString> loadPrivateKey(QByteArrayView pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
    PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr) : nullptr);
    ERR_clear_error();
    if (!key)
        return u"The private key is not an unencrypted PKCS#8 PEM (\"BEGIN PRIVATE KEY\")."_s;
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
        const char *type = EVP_PKEY_get0_type_name(key.get());
        return u"The private key is a %1 key, but sqld tokens are signed with Ed25519."_s.arg(
            type ? QString::fromLatin1(type) : u"non-Ed25519"_s);
    }
    return key;
}

std::optional<QByteArray> signEd25519(EVP_PKEY *key, QByteArrayView message)
{
    MdCtxPtr ctx(EVP_MD_CTX_new());
    QByteArray signature(ED25519_SIGNATURE_BYTES, Qt::Uninitialized);
    size_t length = size_t(signature.size());
    const bool ok = ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1
        && EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &length, bytes(message),
               size_t(message.size()))
            == 1
        && length == size_t(ED25519_SIGNATURE_BYTES);
    ERR_clear_error();
    if (!ok)
        return std::nullopt;
    return signature;
}

QByteArray accessClaim(Permissions::Access access)
{
    switch (access) {
    case Permissions::Access::ReadWrite:
        return "rw"_ba;
    case Permissions::Access::ReadOnly:
        return "ro"_ba;
    case Permissions::Access::ReadAttach:
        return "roa"_ba;
    }
    return "rw"_ba;
}

// Re-indents JSON text without re-encoding it, so that `1.0`, key order and repeated keys stay visible.
QByteArray reindent(QByteArrayView json)
{
    QByteArray out;
    int depth = 0;
    const auto newline = [&out, &depth] { out += '\n' + QByteArray(2 * qMax(depth, 0), ' '); };
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '"') {
            const qsizetype start = i++;
            while (i < json.size() && json[i] != '"')
                i += json[i] == '\\' ? 2 : 1;
            out.append(json.sliced(start, qMin(i + 1, json.size()) - start));
        } else if (c == '{' || c == '[') {
            out += c;
            qsizetype j = i + 1;
            while (j < json.size() && QByteArrayView(" \t\r\n").contains(json[j]))
                ++j;
            if (j < json.size() && (json[j] == '}' || json[j] == ']')) {
                out += json[j];
                i = j;
            } else {
                ++depth;
                newline();
            }
        } else if (c == '}' || c == ']') {
            --depth;
            newline();
            out += c;
        } else if (c == ',') {
            out += c;
            newline();
        } else if (c == ':') {
            out += ": ";
        } else if (!QByteArrayView(" \t\r\n").contains(c)) {
            out += c;
        }
    }
    return out;
}

QList<QByteArrayView> splitDots(QByteArrayView s)
{
    QList<QByteArrayView> out;
    for (qsizetype start = 0;;) {
        const qsizetype dot = s.indexOf('.', start);
        if (dot < 0) {
            out.append(s.sliced(start));
            return out;
        }
        out.append(s.sliced(start, dot - start));
        start = dot + 1;
    }
}

// The decoded part for display: re-indented JSON, or the text as is when it is not JSON.
QByteArray displayPart(QByteArrayView encoded)
{
    const auto decoded = decodeBase64UrlStrict(encoded);
    if (!decoded)
        return {};
    if (QJsonDocument::fromJson(*decoded).isNull())
        return QString::fromUtf8(*decoded).toUtf8();
    return reindent(*decoded);
}

QString timeAt(qint64 seconds)
{
    const QString iso = QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(Qt::ISODate);
    return iso.isEmpty() ? u"Unix time %1"_s.arg(seconds) : iso; // ISO 8601 stops at year 9999
}

TokenCheck expiryCheck(std::optional<qint64> exp, qint64 now)
{
    using S = TokenCheck::Status;
    if (!exp)
        return { u"expiry"_s, S::Warning, u"no `exp` claim: the token never expires"_s };
    if (*exp < now - EXP_LEEWAY_SECONDS) {
        return { u"expiry"_s, S::Fail, u"expired %1 ago (at %2)"_s.arg(formatDuration(now - *exp), timeAt(*exp)) };
    }
    if (*exp < now) {
        return { u"expiry"_s, S::Warning,
            u"expired %1 ago (at %2), still accepted within the %3 s leeway"_s
                .arg(formatDuration(now - *exp), timeAt(*exp))
                .arg(EXP_LEEWAY_SECONDS) };
    }
    return { u"expiry"_s, S::Pass, u"expires in %1 (at %2)"_s.arg(formatDuration(*exp - now), timeAt(*exp)) };
}

// Notes on claims that are present but, like in sqld, not checked.
void addUncheckedTimes(TokenInspection &out, QByteArrayView payloadJson, qint64 now)
{
    const QJsonObject claims = QJsonDocument::fromJson(payloadJson.toByteArray()).object();
    const QJsonValue nbf = claims.value("nbf"_L1);
    if (nbf.isDouble() && nbf.toDouble() > double(now)) {
        out.checks.append({ u"not before"_s, TokenCheck::Status::Info,
            u"`nbf` is %1 in the future; it is not checked (sqld does not check it either)"_s.arg(
                formatDuration(qint64(nbf.toDouble()) - now)) });
    }
    const QJsonValue iat = claims.value("iat"_L1);
    if (iat.isDouble() && iat.toDouble() > double(now + EXP_LEEWAY_SECONDS)) {
        out.checks.append(
            { u"issued at"_s, TokenCheck::Status::Info, u"`iat` is in the future (clock skew?); it is not checked"_s });
    }
}

void addRights(TokenInspection &out, const Permissions &permissions, const QString &ns)
{
    using S = TokenCheck::Status;
    if (ns.isEmpty()) {
        out.checks.append({ u"rights"_s, S::Info, permissions.describe() });
        return;
    }
    out.canReadNamespace = permissions.allows(Right::Read, ns);
    if (*out.canReadNamespace) {
        out.checks.append({ u"namespace"_s, S::Pass, u"may access namespace `%1`"_s.arg(ns) });
    } else {
        out.checks.append({ u"namespace"_s, S::Fail,
            u"grants nothing on namespace `%1`: requests to it get 404 (\"doesn't exist\")"_s.arg(ns) });
    }
    QStringList rights;
    for (Right r : { Right::Read, Right::Write, Right::AttachRead, Right::Ddl })
        rights.append(QString::fromLatin1(rightName(r)) + (permissions.allows(r, ns) ? u" yes"_s : u" no"_s));
    out.checks.append(
        { u"rights"_s, S::Info, u"on `%1`: %2 (%3)"_s.arg(ns, rights.join(u", "_s), permissions.describe()) });
}

// Records the first failure in sqld's order of checks as the server's answer.
void fail(TokenInspection &out, QString name, QString detail, const AuthError &error)
{
    out.checks.append({ std::move(name), TokenCheck::Status::Fail, std::move(detail) });
    if (!out.error)
        out.error = error;
}

} // namespace

KeyPair generateKeyPair()
{
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) {
        ERR_clear_error();
        return {};
    }
    return encodeKeyPair(key.get());
}

std::variant<KeyPair, QString> keyPairFromPrivateKey(QByteArrayView privateKeyPem)
{
    auto key = loadPrivateKey(privateKeyPem);
    if (auto *error = std::get_if<QString>(&key))
        return *error;
    KeyPair pair = encodeKeyPair(std::get<PkeyPtr>(key).get());
    if (!pair.isValid())
        return u"Could not encode the key pair."_s;
    return pair;
}

std::variant<QByteArray, QString> mintToken(QByteArrayView privateKeyPem, const TokenRequest &request)
{
    if (request.ns && request.ns->isEmpty())
        return u"The namespace must not be empty (leave it out for a token valid on every namespace)."_s;
    if (request.expiresInSeconds && *request.expiresInSeconds <= 0)
        return u"The expiry must be a positive number of seconds."_s;
    const qint64 now = request.issuedAt.value_or(QDateTime::currentSecsSinceEpoch());
    util::JsonWriter claims;
    claims.beginObject();
    claims.key("iat");
    claims.integer(now);
    if (request.expiresInSeconds) {
        if (*request.expiresInSeconds > std::numeric_limits<qint64>::max() - now)
            return u"The expiry is too far in the future."_s;
        claims.key("exp");
        claims.integer(now + *request.expiresInSeconds);
    }
    if (request.ns) {
        claims.key("id");
        claims.string(request.ns->toUtf8());
    }
    claims.key("a");
    claims.string(accessClaim(request.access));
    claims.endObject();
    return signJws(privateKeyPem, R"({"alg":"EdDSA","typ":"JWT"})", claims.take());
}

std::variant<QByteArray, QString> signJws(
    QByteArrayView privateKeyPem, QByteArrayView headerJson, QByteArrayView payloadJson)
{
    auto key = loadPrivateKey(privateKeyPem);
    if (auto *error = std::get_if<QString>(&key))
        return *error;
    const QByteArray signingInput = encodeBase64Url(headerJson) + '.' + encodeBase64Url(payloadJson);
    const auto signature = signEd25519(std::get<PkeyPtr>(key).get(), signingInput);
    if (!signature)
        return u"OpenSSL could not sign the token."_s;
    return QByteArray(signingInput + '.' + encodeBase64Url(*signature));
}

TokenInspection inspectToken(QByteArrayView token, const KeySet *keys, qint64 now, QString ns, QStringView gid)
{
    using S = TokenCheck::Status;
    TokenInspection out;
    const QByteArrayView trimmed = token.trimmed();
    const QList<QByteArrayView> texts = splitDots(trimmed);
    out.header = displayPart(texts.value(0));
    if (texts.size() > 1)
        out.claims = displayPart(texts.value(1));

    auto split = splitJwt(trimmed);
    if (auto *error = std::get_if<QString>(&split)) {
        fail(out, u"format"_s, *error, AuthError::jwtInvalid());
        return out;
    }
    const JwtParts &parts = std::get<JwtParts>(split);
    out.checks.append({ u"format"_s, S::Pass, u"three base64url parts"_s });

    if (const QString problem = checkJwtHeader(parts.headerJson); !problem.isEmpty())
        fail(out, u"algorithm"_s, problem, AuthError::jwtInvalid());
    else
        out.checks.append({ u"algorithm"_s, S::Pass, u"EdDSA (Ed25519)"_s });

    if (!keys) {
        out.checks.append({ u"signature"_s, S::Info, u"not checked: no public key was given"_s });
    } else if ((out.keyIndex = keys->verify(parts.signingInput, parts.signature)) >= 0) {
        out.checks.append(
            { u"signature"_s, S::Pass, u"verified by key %1 of %2"_s.arg(out.keyIndex + 1).arg(keys->size()) });
    } else {
        fail(out, u"signature"_s,
            u"does not verify with any of the %1 key(s): signed with another key, or altered"_s.arg(keys->size()),
            AuthError::jwtInvalid());
    }

    auto claims = parseJwtClaims(parts.payloadJson, gid);
    if (auto *error = std::get_if<QString>(&claims)) {
        fail(out, u"claims"_s, *error, AuthError::jwtInvalid());
        return out;
    }
    const JwtClaims &c = std::get<JwtClaims>(claims);
    out.permissions = c.permissions;
    out.checks.append({ u"claims"_s, S::Pass, u"well-formed"_s });

    const TokenCheck expiry = expiryCheck(c.exp, now);
    if (expiry.status == S::Fail)
        fail(out, expiry.name, expiry.detail, AuthError::jwtExpired());
    else
        out.checks.append(expiry);
    if (c.hasAudience)
        fail(out, u"audience"_s, u"has an `aud` claim, which sqld and qsqld reject"_s, AuthError::failed());
    addUncheckedTimes(out, parts.payloadJson, now);
    addRights(out, c.permissions, ns);

    out.accepted = keys && out.keyIndex >= 0 && !out.error;
    return out;
}

QString TokenInspection::summary() const
{
    if (error)
        return u"rejected: "_s + QString::fromLatin1(error->message) + u" ("_s + QString::fromLatin1(error->code)
            + u')';
    if (!accepted)
        return u"not verified: no public key was given; the other checks pass"_s;
    if (canReadNamespace == false)
        return u"accepted, but it grants nothing on the namespace: requests get 404"_s;
    return u"accepted"_s;
}

std::optional<qint64> parseDuration(QStringView text)
{
    const QStringView t = text.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    qint64 unit = 1;
    QStringView digits = t;
    switch (t.back().unicode()) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = 7 * 86400;
        break;
    default:
        unit = 0;
        break;
    }
    if (unit != 0)
        digits.chop(1);
    else
        unit = 1;
    if (digits.isEmpty() || digits.size() > 15)
        return std::nullopt;
    qint64 value = 0;
    for (QChar c : digits) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
        value = value * 10 + (c.unicode() - u'0');
    }
    if (value <= 0 || value > std::numeric_limits<qint64>::max() / unit)
        return std::nullopt;
    return value * unit;
}

QString formatDuration(qint64 seconds)
{
    seconds = qMax<qint64>(seconds, 0);
    const std::pair<qint64, char16_t> units[] = { { 86400, u'd' }, { 3600, u'h' }, { 60, u'm' }, { 1, u's' } };
    QStringList out;
    for (const auto &[size, name] : units) {
        if (seconds >= size || (size == 1 && out.isEmpty())) {
            out.append(QString::number(seconds / size) + QChar(name));
            seconds %= size;
        } else if (!out.isEmpty()) {
            break; // "3d 0h" reads worse than "3d"
        }
        if (out.size() == 2)
            break;
    }
    return out.join(u' ');
}

} // namespace qsqld::auth
