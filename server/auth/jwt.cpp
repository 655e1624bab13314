#include "jwt.h"

#include <cstddef>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QUtf8StringView>
#include <QVariant>

using namespace Qt::StringLiterals;

namespace qsqld::auth {

namespace {

// Fields that sqld's serde structs declare: serde rejects an object that repeats one of them.
constexpr QLatin1StringView CLAIM_FIELDS[]
    = { "id"_L1, "a"_L1, "p"_L1, "exp"_L1, "nbf"_L1, "sub"_L1, "iss"_L1, "aud"_L1 };
constexpr QLatin1StringView HEADER_STRING_FIELDS[]
    = { "typ"_L1, "cty"_L1, "jku"_L1, "kid"_L1, "x5u"_L1, "x5t"_L1, "x5t#S256"_L1 };

struct Member
{
    QString key;
    QByteArrayView raw; // the value's JSON text
};

// Walks the members of a JSON object text that QJsonDocument already accepted, keeping each value's raw text.
// QJsonDocument alone cannot tell `1.0` from `1`, nor see a repeated key; serde can, and rejects both.
class MemberScanner
{
public:
    explicit MemberScanner(QByteArrayView json)
        : m_s(json)
    {
    }

    QList<Member> members()
    {
        QList<Member> out;
        skipSpace();
        if (!at('{'))
            return out;
        ++m_i;
        for (skipSpace(); at('"'); skipSpace()) {
            const qsizetype keyStart = m_i;
            skipString();
            const QString key = decodeKey(m_s.sliced(keyStart, m_i - keyStart));
            skipSpace();
            ++m_i; // ':'
            skipSpace();
            const qsizetype valueStart = m_i;
            skipValue();
            out.append({ key, m_s.sliced(valueStart, m_i - valueStart) });
            skipSpace();
            if (at(','))
                ++m_i;
        }
        return out;
    }

private:
    bool at(char c) const { return m_i < m_s.size() && m_s[m_i] == c; }

    void skipSpace()
    {
        while (m_i < m_s.size() && (m_s[m_i] == ' ' || m_s[m_i] == '\t' || m_s[m_i] == '\n' || m_s[m_i] == '\r'))
            ++m_i;
    }

    void skipString()
    {
        ++m_i; // opening quote
        while (m_i < m_s.size()) {
            const char c = m_s[m_i++];
            if (c == '\\')
                ++m_i;
            else if (c == '"')
                break;
        }
        m_i = qMin(m_i, m_s.size()); // only reachable on text that is not JSON
    }

    void skipValue()
    {
        if (at('"'))
            return skipString();
        if (!at('{') && !at('[')) {
            while (m_i < m_s.size() && !QByteArrayView(",}] \t\r\n").contains(m_s[m_i]))
                ++m_i;
            return;
        }
        int depth = 0;
        while (m_i < m_s.size()) {
            const char c = m_s[m_i];
            if (c == '"') {
                skipString();
                continue;
            }
            ++m_i;
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return;
        }
    }

    static QString decodeKey(QByteArrayView literal)
    {
        if (literal.size() < 2)
            return {};
        if (!literal.contains('\\'))
            return QString::fromUtf8(literal.sliced(1, literal.size() - 2));
        const QByteArray wrapped = "[" + literal.toByteArray() + "]";
        return QJsonDocument::fromJson(wrapped).array().at(0).toString();
    }

    QByteArrayView m_s;
    qsizetype m_i = 0;
};

// The JSON object in `json`, or an error fragment; also rejects repeated `fields`.
template <std::size_t N>
std::variant<QJsonObject, QString> parseObject(
    QByteArrayView json, const QLatin1StringView (&fields)[N], QString *rawExp, const QString &what)
{
    if (!QUtf8StringView(json.data(), json.size()).isValidUtf8())
        return u"the %1 is not valid UTF-8"_s.arg(what);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json.toByteArray(), &error);
    if (doc.isNull())
        return u"the %1 is not valid JSON (%2)"_s.arg(what, error.errorString());
    if (!doc.isObject())
        return u"the %1 is not a JSON object"_s.arg(what);
    QStringList seen;
    for (const Member &m : MemberScanner(json).members()) {
        for (QLatin1StringView field : fields) {
            if (m.key != field)
                continue;
            if (seen.contains(m.key))
                return u"the %1 has the field `%2` twice"_s.arg(what, m.key);
            seen.append(m.key);
        }
        if (rawExp && m.key == "exp"_L1)
            *rawExp = QString::fromUtf8(m.raw);
    }
    return doc.object();
}

bool present(const QJsonValue &v)
{
    return !v.isUndefined() && !v.isNull();
}

// `ns` or `tags` of a scope: absent/null, or a list of strings (non-empty ones for namespace names).
std::optional<QStringList> stringList(const QJsonValue &v, bool nonEmpty)
{
    if (!present(v))
        return QStringList();
    if (!v.isArray())
        return std::nullopt;
    QStringList out;
    for (const QJsonValue &item : v.toArray()) {
        if (!item.isString() || (nonEmpty && item.toString().isEmpty()))
            return std::nullopt;
        out.append(item.toString());
    }
    return out;
}

std::variant<std::optional<Permissions::Scope>, QString> parseScope(
    const QJsonObject &p, QLatin1StringView name, QStringView gid)
{
    const QJsonValue v = p.value(name);
    if (!present(v))
        return std::optional<Permissions::Scope>();
    if (!v.isObject())
        return u"`p.%1` must be an object with optional `ns` and `tags` lists"_s.arg(name);
    const auto ns = stringList(v.toObject().value("ns"_L1), true);
    if (!ns)
        return u"`p.%1.ns` must be a list of non-empty namespace names"_s.arg(name);
    const auto tags = stringList(v.toObject().value("tags"_L1), false);
    if (!tags)
        return u"`p.%1.tags` must be a list of strings"_s.arg(name);
    Permissions::Scope scope;
    scope.namespaces = *ns;
    scope.everyNamespace = !gid.isEmpty() && tags->contains(gid);
    return std::optional<Permissions::Scope>(scope);
}

std::variant<Permissions::Grants, QString> parseGrants(const QJsonValue &p, QStringView gid)
{
    if (!p.isObject())
        return u"the `p` claim must be an object"_s;
    Permissions::Grants grants;
    const std::pair<QLatin1StringView, std::optional<Permissions::Scope> *> entries[] = { { "ro"_L1, &grants.ro },
        { "rw"_L1, &grants.rw }, { "roa"_L1, &grants.roa }, { "rwa"_L1, &grants.rwa }, { "ddl"_L1, &grants.ddl } };
    for (const auto &[name, slot] : entries) {
        auto scope = parseScope(p.toObject(), name, gid);
        if (auto *error = std::get_if<QString>(&scope))
            return *error;
        *slot = std::get<0>(scope);
    }
    return grants;
}

bool isIntegerLiteral(QStringView raw)
{
    const QStringView digits = raw.startsWith(u'-') ? raw.sliced(1) : raw;
    if (digits.isEmpty())
        return false;
    for (QChar c : digits) {
        if (c < u'0' || c > u'9')
            return false;
    }
    return true;
}

// `exp`: absent/null, or an integer that fits in i64 (serde's Option<i64>). A float literal is invalid.
std::variant<std::optional<qint64>, QString> parseExp(const QJsonValue &v, const QString &raw)
{
    if (!present(v))
        return std::optional<qint64>();
    const QVariant value = v.toVariant();
    if (!v.isDouble() || !isIntegerLiteral(raw) || value.typeId() != QMetaType::LongLong)
        return u"the `exp` claim must be an integer number of seconds, not %1"_s.arg(raw);
    return std::optional<qint64>(value.toLongLong());
}

QString scopeText(const Permissions::Scope &scope)
{
    QStringList names;
    for (const QString &ns : scope.namespaces)
        names.append(u'`' + ns + u'`');
    if (scope.everyNamespace)
        names.append(u"every namespace (a tag matches LIBSQL_GID)"_s);
    return names.isEmpty() ? u"no namespace"_s : names.join(u", "_s);
}

} // namespace

QByteArray rightName(Right right)
{
    switch (right) {
    case Right::Read:
        return "Read"_ba;
    case Right::Write:
        return "Write"_ba;
    case Right::AttachRead:
        return "AttachRead"_ba;
    case Right::Ddl:
        return "Ddl"_ba;
    }
    return {};
}

Permissions Permissions::full()
{
    Permissions p;
    p.m_kind = Kind::Full;
    return p;
}

Permissions Permissions::legacy(std::optional<QString> ns, Access access)
{
    Permissions p;
    p.m_kind = Kind::Legacy;
    p.m_legacyNamespace = std::move(ns);
    p.m_access = access;
    return p;
}

Permissions Permissions::granted(Grants grants)
{
    Permissions p;
    p.m_grants = std::move(grants);
    return p;
}

bool Permissions::allows(Right right, QStringView ns) const
{
    switch (m_kind) {
    case Kind::Full:
        return true;
    case Kind::Legacy:
        // sqld's Permission::has_right: rw implies read, roa implies read; nothing implies DDL on a shared schema.
        if (m_legacyNamespace && *m_legacyNamespace != ns)
            return false;
        switch (right) {
        case Right::Read:
            return true;
        case Right::Write:
            return m_access == Access::ReadWrite;
        case Right::AttachRead:
            return m_access == Access::ReadAttach;
        case Right::Ddl:
            return false;
        }
        return false;
    case Kind::Grants:
        break;
    }
    const auto in = [ns](const std::optional<Scope> &scope) { return scope && scope->contains(ns); };
    const bool write = in(m_grants.rw) || in(m_grants.rwa) || in(m_grants.ddl);
    switch (right) {
    case Right::Read:
        return write || in(m_grants.ro) || in(m_grants.roa);
    case Right::Write:
        return write;
    case Right::AttachRead:
        return in(m_grants.roa) || in(m_grants.rwa);
    case Right::Ddl:
        return in(m_grants.ddl);
    }
    return false;
}

QString Permissions::describe() const
{
    if (m_kind == Kind::Full)
        return u"full access: every right on every namespace"_s;
    if (m_kind == Kind::Legacy) {
        const QString access = m_access == Access::ReadWrite ? u"read and write"_s
            : m_access == Access::ReadOnly                   ? u"read only"_s
                                                             : u"read and attach"_s;
        const QString where = m_legacyNamespace ? u"namespace `"_s + *m_legacyNamespace + u'`' : u"every namespace"_s;
        return u"legacy claims: "_s + access + u" on "_s + where;
    }
    QStringList parts;
    const std::pair<QString, const std::optional<Scope> *> entries[]
        = { { u"ro"_s, &m_grants.ro }, { u"rw"_s, &m_grants.rw }, { u"roa"_s, &m_grants.roa },
              { u"rwa"_s, &m_grants.rwa }, { u"ddl"_s, &m_grants.ddl } };
    for (const auto &[name, scope] : entries) {
        if (*scope)
            parts.append(name + u": "_s + scopeText(**scope));
    }
    if (parts.isEmpty())
        return u"`p` claim granting nothing"_s;
    return u"`p` claim: "_s + parts.join(u"; "_s);
}

std::optional<QByteArray> decodeBase64UrlStrict(QByteArrayView text)
{
    if (text.size() % 4 == 1)
        return std::nullopt;
    for (char c : text) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return std::nullopt;
    }
    auto decoded = QByteArray::fromBase64Encoding(
        text.toByteArray(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    // Re-encoding catches non-zero trailing bits, which the base64 crate rejects.
    if (!decoded || encodeBase64Url(decoded.decoded) != text)
        return std::nullopt;
    return decoded.decoded;
}

QByteArray encodeBase64Url(QByteArrayView bytes)
{
    return bytes.toByteArray().toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

std::variant<JwtParts, QString> splitJwt(QByteArrayView token)
{
    const qsizetype dots = token.count('.');
    if (dots != 2)
        return u"a JWT has three parts separated by dots, but this one has %1"_s.arg(token.isEmpty() ? 0 : dots + 1);
    const qsizetype first = token.indexOf('.');
    const qsizetype last = token.lastIndexOf('.');
    const QByteArrayView texts[]
        = { token.first(first), token.sliced(first + 1, last - first - 1), token.sliced(last + 1) };
    const QString names[] = { u"header"_s, u"payload"_s, u"signature"_s };
    QByteArray decoded[3];
    for (int i = 0; i < 3; ++i) {
        auto part = decodeBase64UrlStrict(texts[i]);
        if (!part)
            return u"the %1 part is not base64url without padding"_s.arg(names[i]);
        decoded[i] = *part;
    }
    return JwtParts { token.first(last).toByteArray(), decoded[0], decoded[1], decoded[2] };
}

QString checkJwtHeader(QByteArrayView headerJson)
{
    constexpr QLatin1StringView fields[]
        = { "alg"_L1, "typ"_L1, "cty"_L1, "jku"_L1, "jwk"_L1, "kid"_L1, "x5u"_L1, "x5c"_L1, "x5t"_L1, "x5t#S256"_L1 };
    auto parsed = parseObject(headerJson, fields, nullptr, u"header"_s);
    if (auto *error = std::get_if<QString>(&parsed))
        return *error;
    const QJsonObject header = std::get<QJsonObject>(parsed);
    const QJsonValue alg = header.value("alg"_L1);
    if (!alg.isString())
        return u"the header has no `alg` string"_s;
    if (alg.toString() != "EdDSA"_L1)
        return u"the header's `alg` is \"%1\", but only \"EdDSA\" (Ed25519) is accepted"_s.arg(alg.toString());
    for (QLatin1StringView field : HEADER_STRING_FIELDS) {
        if (present(header.value(field)) && !header.value(field).isString())
            return u"the header field `%1` is not a string"_s.arg(field);
    }
    const QJsonValue x5c = header.value("x5c"_L1);
    if (present(x5c) && !stringList(x5c, false))
        return u"the header field `x5c` is not a list of strings"_s;
    if (present(header.value("jwk"_L1)) && !header.value("jwk"_L1).isObject())
        return u"the header field `jwk` is not an object"_s;
    return {};
}

std::variant<JwtClaims, QString> parseJwtClaims(QByteArrayView payloadJson, QStringView gid)
{
    QString rawExp;
    auto parsed = parseObject(payloadJson, CLAIM_FIELDS, &rawExp, u"payload"_s);
    if (auto *error = std::get_if<QString>(&parsed))
        return *error;
    const QJsonObject claims = std::get<QJsonObject>(parsed);

    // `id` and `a` are checked even when `p` makes them irrelevant: serde deserializes every field.
    std::optional<QString> id;
    if (const QJsonValue v = claims.value("id"_L1); present(v)) {
        if (!v.isString() || v.toString().isEmpty())
            return u"the `id` claim must be a non-empty namespace name"_s;
        id = v.toString();
    }
    std::optional<Permissions::Access> access;
    if (const QJsonValue v = claims.value("a"_L1); present(v)) {
        const QString a = v.toString();
        if (v.isString() && a == "rw"_L1)
            access = Permissions::Access::ReadWrite;
        else if (v.isString() && a == "ro"_L1)
            access = Permissions::Access::ReadOnly;
        else if (v.isString() && a == "roa"_L1)
            access = Permissions::Access::ReadAttach;
        else
            return u"the `a` claim must be \"rw\", \"ro\" or \"roa\""_s;
    }

    JwtClaims out;
    if (const QJsonValue p = claims.value("p"_L1); present(p)) {
        auto grants = parseGrants(p, gid);
        if (auto *error = std::get_if<QString>(&grants))
            return *error;
        out.permissions = Permissions::granted(std::get<Permissions::Grants>(grants));
    } else {
        out.permissions = Permissions::legacy(id, access.value_or(Permissions::Access::ReadWrite));
    }

    auto exp = parseExp(claims.value("exp"_L1), rawExp);
    if (auto *error = std::get_if<QString>(&exp))
        return *error;
    out.exp = std::get<0>(exp);
    out.hasAudience = present(claims.value("aud"_L1));
    return out;
}

JwtVerification verifyJwt(QByteArrayView token, const KeySet &keys, qint64 nowSeconds, QStringView gid)
{
    using Status = JwtVerification::Status;
    JwtVerification v;
    auto split = splitJwt(token);
    if (auto *error = std::get_if<QString>(&split)) {
        v.reason = *error;
        return v;
    }
    const JwtParts &parts = std::get<JwtParts>(split);
    v.reason = checkJwtHeader(parts.headerJson);
    if (!v.reason.isEmpty())
        return v;
    v.keyIndex = keys.verify(parts.signingInput, parts.signature);
    if (v.keyIndex < 0) {
        v.reason = keys.isEmpty() ? u"there is no key to check the signature with"_s
                                  : u"the signature does not verify with any of the %1 key(s)"_s.arg(keys.size());
        return v;
    }
    auto claims = parseJwtClaims(parts.payloadJson, gid);
    if (auto *error = std::get_if<QString>(&claims)) {
        v.reason = *error;
        return v;
    }
    JwtClaims &c = std::get<JwtClaims>(claims);
    v.exp = c.exp;
    // jsonwebtoken compares `exp < now - leeway`. sqld lets a negative exp through unchecked; it is long past,
    // so qsqld calls it expired.
    if (c.exp && *c.exp < nowSeconds - EXP_LEEWAY_SECONDS) {
        v.status = Status::Expired;
        v.reason = u"the token expired %1 s ago (more than the %2 s leeway)"_s.arg(nowSeconds - *c.exp)
                       .arg(EXP_LEEWAY_SECONDS);
        return v;
    }
    if (c.hasAudience) {
        v.status = Status::AudiencePresent;
        v.reason = u"the token has an `aud` claim, which sqld and qsqld reject"_s;
        return v;
    }
    v.status = Status::Valid;
    v.reason.clear();
    v.permissions = std::move(c.permissions);
    return v;
}

} // namespace qsqld::auth
