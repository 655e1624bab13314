#include "namespaceconfig.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <span>
#include <string_view>

#include <QJsonValue>
#include <QUrl>
#include <QUtf8StringView>

#include "runtime/serverconfig.h"
#include "util/jsonwriter.h"

namespace qsqld::ns {

using namespace Qt::StringLiterals;

namespace {

// ---------------------------------------------------------------------------------------------------------------
// Protobuf wire format (proto3, as prost writes and reads it)

enum WireType : quint32 { VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, START_GROUP = 3, END_GROUP = 4, FIXED32 = 5 };
constexpr int MAX_GROUP_DEPTH = 100; // prost's recursion limit

void putVarint(QByteArray &out, quint64 v)
{
    while (v >= 0x80) {
        out.append(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.append(static_cast<char>(v));
}

void putTag(QByteArray &out, quint32 field, WireType type)
{
    putVarint(out, (quint64(field) << 3) | type);
}

void putVarintField(QByteArray &out, quint32 field, quint64 v)
{
    putTag(out, field, VARINT);
    putVarint(out, v);
}

void putStringField(QByteArray &out, quint32 field, const std::optional<QString> &v)
{
    if (!v)
        return;
    const QByteArray utf8 = v->toUtf8();
    putTag(out, field, LENGTH_DELIMITED);
    putVarint(out, quint64(utf8.size()));
    out.append(utf8);
}

// A bounds-checked reader over a blob. Every read fails (returns false) rather than running past the end.
class ProtoReader
{
public:
    explicit ProtoReader(QByteArrayView blob) : m_data(blob) { }

    bool atEnd() const { return m_pos >= m_data.size(); }

    // prost: at most 10 bytes, and the 10th may only carry the top bit of a 64-bit value.
    bool varint(quint64 *out)
    {
        quint64 v = 0;
        for (int i = 0; i < 10; ++i) {
            if (m_pos >= m_data.size())
                return false;
            const auto byte = static_cast<quint8>(m_data[m_pos++]);
            if (i == 9 && byte > 1)
                return false;
            v |= quint64(byte & 0x7f) << (7 * i);
            if (!(byte & 0x80)) {
                *out = v;
                return true;
            }
        }
        return false;
    }

    bool bytes(QByteArrayView *out)
    {
        quint64 len = 0;
        if (!varint(&len) || len > quint64(m_data.size() - m_pos))
            return false;
        *out = m_data.sliced(m_pos, qsizetype(len));
        m_pos += qsizetype(len);
        return true;
    }

    bool skip(qsizetype n)
    {
        if (n > m_data.size() - m_pos)
            return false;
        m_pos += n;
        return true;
    }

    // Skips one value of an unknown field. A group is skipped up to its matching end-group tag.
    bool skipField(quint32 field, quint32 type, int depth = 0)
    {
        quint64 ignored = 0;
        QByteArrayView ignoredBytes;
        switch (type) {
        case VARINT: return varint(&ignored);
        case FIXED64: return skip(8);
        case LENGTH_DELIMITED: return bytes(&ignoredBytes);
        case FIXED32: return skip(4);
        case START_GROUP:
            if (depth >= MAX_GROUP_DEPTH)
                return false;
            for (;;) {
                quint32 innerField = 0;
                quint32 innerType = 0;
                if (!tag(&innerField, &innerType))
                    return false;
                if (innerType == END_GROUP)
                    return innerField == field;
                if (!skipField(innerField, innerType, depth + 1))
                    return false;
            }
        default: return false; // END_GROUP without a group, and the invalid wire types 6 and 7
        }
    }

    bool tag(quint32 *field, quint32 *type)
    {
        quint64 key = 0;
        if (!varint(&key) || key > 0xffffffffULL)
            return false;
        *type = quint32(key & 7);
        *field = quint32(key >> 3);
        return *field != 0; // field 0 is invalid
    }

private:
    QByteArrayView m_data;
    qsizetype m_pos = 0;
};

bool readProtoString(ProtoReader &r, std::optional<QString> *out)
{
    QByteArrayView bytes;
    if (!r.bytes(&bytes) || !QUtf8StringView(bytes.data(), bytes.size()).isValidUtf8())
        return false; // prost rejects a string that is not UTF-8
    *out = QString::fromUtf8(bytes);
    return true;
}

// Reads the value of a known field into `config`. false: malformed (including a wrong wire type).
bool readProtoField(ProtoReader &r, quint32 field, quint32 type, NamespaceConfig *config)
{
    const bool isString = field == 3 || field == 5 || field == 6 || field == 7 || field == 12;
    if (type != (isString ? LENGTH_DELIMITED : VARINT))
        return false;
    switch (field) {
    case 3: return readProtoString(r, &config->blockReason);
    case 5: return readProtoString(r, &config->heartbeatUrl);
    case 6: return readProtoString(r, &config->bottomlessDbId);
    case 7: return readProtoString(r, &config->jwtKey);
    case 12: return readProtoString(r, &config->sharedSchemaName);
    default: break;
    }
    quint64 v = 0;
    if (!r.varint(&v))
        return false;
    switch (field) {
    case 1: config->blockReads = v != 0; break;
    case 2: config->blockWrites = v != 0; break;
    case 4: config->maxDbPages = v; break;
    case 8: config->txnTimeoutS = v; break;
    case 9: config->allowAttach = v != 0; break;
    case 10: config->maxRowSize = v; break;
    case 11: config->sharedSchema = v != 0; break;
    case 13: {
        const auto n = static_cast<qint32>(static_cast<quint32>(v)); // an int32 enum, truncated like prost
        config->durabilityMode = n >= 0 && n <= 3 ? static_cast<DurabilityMode>(n) : DurabilityMode::Relaxed;
        break;
    }
    }
    return true;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON bodies, read with serde_json's semantics and texts (axum 0.6 Json<T> + serde_path_to_error): errors name
// the key path and "line L column C"; syntax errors give 400, shape errors 422; data after the value is ignored.

enum class Kind { Null, Bool, UInt, Int, Float, String, Seq, Map };

struct Scalar
{
    Kind kind = Kind::Null;
    bool boolean = false;
    quint64 uint = 0;
    qint64 sint = 0;
    double real = 0;
    QByteArray text;
};

bool isDigit(int c)
{
    return c >= '0' && c <= '9';
}

// Rust's `{}` for f64 plus serde's ".0" (shortest round-trip digits, never an exponent).
QByteArray rustFloat(double v)
{
    std::array<char, 400> buf {};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
    QByteArray s(buf.data(), res.ptr - buf.data());
    if (!s.contains('.'))
        s += ".0";
    return s;
}

// Rust's Debug of a str: "..." with \" \\ \n \r \t \0 and \u{..} for other control characters.
QByteArray rustDebugString(const QByteArray &s)
{
    QByteArray out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case 0: out += "\\0"; break;
        default:
            if (c < 0x20 || c == 0x7f)
                out += "\\u{" + QByteArray::number(c, 16) + '}';
            else
                out += ch;
        }
    }
    return out + '"';
}

// serde's de::Unexpected rendering.
QByteArray unexpected(const Scalar &v)
{
    switch (v.kind) {
    case Kind::Null: return "null";
    case Kind::Bool: return v.boolean ? "boolean `true`" : "boolean `false`";
    case Kind::UInt: return "integer `" + QByteArray::number(v.uint) + '`';
    case Kind::Int: return "integer `" + QByteArray::number(v.sint) + '`';
    case Kind::Float: return "floating point `" + rustFloat(v.real) + '`';
    case Kind::String: return "string " + rustDebugString(v.text);
    case Kind::Seq: return "sequence";
    case Kind::Map: return "map";
    }
    return {};
}

void appendUtf8(QByteArray *out, char32_t cp)
{
    if (cp < 0x80) {
        out->append(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out->append(static_cast<char>(0xc0 | (cp >> 6)));
        out->append(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out->append(static_cast<char>(0xe0 | (cp >> 12)));
        out->append(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out->append(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        out->append(static_cast<char>(0xf0 | (cp >> 18)));
        out->append(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
        out->append(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out->append(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}

struct StructSpec
{
    QByteArrayView name; // for "expected struct <name>"
    std::span<const QByteArrayView> fields;
    quint32 required; // bit i: fields[i] has no default
};

class SerdeReader
{
public:
    explicit SerdeReader(QByteArrayView json) : m_s(json) { }

    ConfigError error() const
    {
        return m_syntax ? ConfigError { 400, "Failed to parse the request body as JSON: " + m_message, true }
                        : ConfigError { 422, "Failed to deserialize the JSON body into the target type: " + m_message,
                                        true };
    }

    // Reads the top-level object. onField(i) reads the value of spec.fields[i]; other keys are skipped.
    template<typename OnField>
    bool readStruct(const StructSpec &spec, OnField &&onField)
    {
        const int c = peekWs();
        if (c != '{') {
            Scalar v; // qsqld: serde would also map an array onto the struct's fields in order
            if (c != '[' && !readScalar(&v))
                return false;
            v.kind = c == '[' ? Kind::Seq : v.kind;
            return dataError("invalid type: " + unexpected(v) + ", expected struct " + spec.name.toByteArray());
        }
        ++m_i;
        quint32 seen = 0;
        for (bool first = true;; first = false) {
            int d = peekWs();
            if (d == '}')
                break;
            if (d == -1)
                return syntaxError("EOF while parsing an object", true);
            if (!first) {
                if (d != ',')
                    return syntaxError("expected `,` or `}`", true);
                ++m_i;
                d = peekWs();
                if (d == '}')
                    return syntaxError("trailing comma", true);
                if (d == -1)
                    return syntaxError("EOF while parsing a value", true);
            }
            if (d != '"')
                return syntaxError("key must be a string", true);
            QByteArray key;
            if (!readString(&key, true))
                return false;
            const auto it = std::find(spec.fields.begin(), spec.fields.end(), QByteArrayView(key));
            const int index = it == spec.fields.end() ? -1 : int(it - spec.fields.begin());
            if (index >= 0 && (seen & (1u << index))) {
                peekWs(); // serde has consumed the whitespace after the key when it reports this
                return dataError("duplicate field `" + key + '`');
            }
            m_path = key;
            const int colon = peekWs();
            if (colon != ':')
                return syntaxError(colon == -1 ? "EOF while parsing an object" : "expected `:`", true);
            ++m_i;
            if (index < 0 ? !skipValue() : !onField(index))
                return false;
            seen |= index < 0 ? 0 : 1u << index;
            m_path.clear();
        }
        ++m_i; // the closing brace: serde reports missing fields after it
        for (size_t k = 0; k < spec.fields.size(); ++k) {
            if ((spec.required & (1u << k)) && !(seen & (1u << k)))
                return dataError("missing field `" + spec.fields[k].toByteArray() + '`');
        }
        return true;
    }

    bool readBool(bool *out)
    {
        Scalar v;
        if (!readScalar(&v))
            return false;
        if (v.kind != Kind::Bool)
            return invalidType(v, "a boolean");
        *out = v.boolean;
        return true;
    }

    // Option<String>; a null is absent.
    bool readOptString(std::optional<QByteArray> *out, const char *expecting = "a string")
    {
        Scalar v;
        if (!readScalar(&v))
            return false;
        if (v.kind == Kind::Null)
            out->reset();
        else if (v.kind == Kind::String)
            *out = v.text;
        else
            return invalidType(v, expecting);
        return true;
    }

    bool readOptU64(std::optional<quint64> *out)
    {
        Scalar v;
        if (!readScalar(&v))
            return false;
        if (v.kind == Kind::Null)
            out->reset();
        else if (v.kind == Kind::UInt)
            *out = v.uint;
        else if (v.kind == Kind::Int)
            return dataError("invalid value: " + unexpected(v) + ", expected u64");
        else
            return invalidType(v, "u64");
        return true;
    }

    // Option<bytesize::ByteSize>: an unsigned integer (bytes) or a bytesize string.
    bool readOptByteSize(std::optional<quint64> *bytes)
    {
        const int c = peekWs();
        if (c == '[' || c == '{') {
            // deserialize_any enters the container, fails, and consumes an immediately following close.
            ++m_i;
            if (peekWs() == (c == '[' ? ']' : '}'))
                ++m_i;
            return dataError(c == '[' ? "invalid type: sequence, expected an integer or string"
                                      : "invalid type: map, expected an integer or string");
        }
        Scalar v;
        if (!readScalar(&v))
            return false;
        bool ok = false;
        switch (v.kind) {
        case Kind::Null: bytes->reset(); return true;
        case Kind::UInt: *bytes = v.uint; return true;
        case Kind::Int: return dataError("invalid value: " + unexpected(v) + ", expected integer overflow");
        case Kind::String: {
            const qint64 n = runtime::parseByteSize(QString::fromUtf8(v.text), &ok);
            if (!ok)
                return dataError("invalid value: " + unexpected(v) + ", expected parsable string");
            *bytes = quint64(n);
            return true;
        }
        default: return invalidType(v, "an integer or string");
        }
    }

    // Option<DurabilityMode> (a serde unit-variant enum).
    bool readOptDurability(std::optional<DurabilityMode> *out)
    {
        const int c = peekWs();
        if (c == 'n') {
            Scalar v;
            if (!readScalar(&v))
                return false;
            out->reset();
            return true;
        }
        if (c == '{') // qsqld: serde would accept the externally tagged form {"strong":null}
            return dataError("invalid type: map, expected unit variant");
        if (c != '"')
            return syntaxError(c == -1 ? "EOF while parsing a value" : "expected value", true);
        QByteArray name;
        if (!readString(&name, true))
            return false;
        *out = parseDurability(name);
        if (!*out)
            return dataError("unknown variant `" + name + "`, expected one of `extra`, `strong`, `relaxed`, `off`");
        return true;
    }

    // An error about the value just read (serde fixes its position at the current index).
    bool dataError(const QByteArray &message) { return fail(false, message, m_i); }

private:
    bool invalidType(const Scalar &v, const char *expecting)
    {
        return dataError("invalid type: " + unexpected(v) + ", expected " + expecting);
    }

    // peek: serde's peek_error (the position of the next byte) rather than error (the last consumed one).
    bool syntaxError(const char *message, bool peek = false)
    {
        return fail(true, message, peek ? std::min(m_s.size(), m_i + 1) : m_i);
    }

    bool fail(bool syntax, const QByteArray &message, qsizetype index)
    {
        const qsizetype lineStart = m_s.first(index).lastIndexOf('\n') + 1;
        const qsizetype line = 1 + m_s.first(lineStart).count('\n');
        m_syntax = syntax;
        m_message = (m_path.isEmpty() ? QByteArray() : m_path + ": ") + message + " at line "
            + QByteArray::number(line) + " column " + QByteArray::number(index - lineStart);
        return false;
    }

    // Skips JSON whitespace; the next byte, or -1 at the end.
    int peekWs()
    {
        while (m_i < m_s.size() && (m_s[m_i] == ' ' || m_s[m_i] == '\n' || m_s[m_i] == '\t' || m_s[m_i] == '\r'))
            ++m_i;
        return m_i < m_s.size() ? static_cast<unsigned char>(m_s[m_i]) : -1;
    }

    // A value that is not an array or object. For '[' and '{' the kind is set and nothing is consumed.
    bool readScalar(Scalar *v)
    {
        const int c = peekWs();
        switch (c) {
        case -1: return syntaxError("EOF while parsing a value", true);
        case 'n': v->kind = Kind::Null; return readIdent("null");
        case 't': v->kind = Kind::Bool; v->boolean = true; return readIdent("true");
        case 'f': v->kind = Kind::Bool; v->boolean = false; return readIdent("false");
        case '"': v->kind = Kind::String; return readString(&v->text, true);
        case '[': v->kind = Kind::Seq; return true;
        case '{': v->kind = Kind::Map; return true;
        default:
            if (c == '-' || isDigit(c))
                return readNumber(v);
            return syntaxError("expected value", true);
        }
    }

    bool readIdent(QByteArrayView word)
    {
        ++m_i;
        for (qsizetype k = 1; k < word.size(); ++k) {
            if (m_i >= m_s.size())
                return syntaxError("EOF while parsing a value");
            if (m_s[m_i++] != word[k])
                return syntaxError("expected ident");
        }
        return true;
    }

    // At '-' or a digit. With v == nullptr only validates, as serde's ignore_integer does: no range check, and
    // a number cut short by the end of the input is "invalid number" rather than "EOF while parsing a value".
    bool readNumber(Scalar *v)
    {
        const char *const cutShort = v ? "EOF while parsing a value" : "invalid number";
        const qsizetype start = m_i;
        const bool negative = m_s[m_i] == '-';
        m_i += negative ? 1 : 0;
        if (m_i >= m_s.size())
            return syntaxError(cutShort);
        const char first = m_s[m_i++];
        if (first == '0' && m_i < m_s.size() && isDigit(m_s[m_i]))
            return syntaxError("invalid number", true);
        if (!isDigit(first))
            return syntaxError("invalid number");
        while (m_i < m_s.size() && isDigit(m_s[m_i]))
            ++m_i;
        const qsizetype integerEnd = m_i;
        if (m_i < m_s.size() && m_s[m_i] == '.') {
            const qsizetype digits = ++m_i;
            while (m_i < m_s.size() && isDigit(m_s[m_i]))
                ++m_i;
            if (m_i == digits)
                return syntaxError(m_i < m_s.size() ? "invalid number" : cutShort, true);
        }
        if (m_i < m_s.size() && (m_s[m_i] == 'e' || m_s[m_i] == 'E')) {
            ++m_i;
            if (m_i < m_s.size() && (m_s[m_i] == '+' || m_s[m_i] == '-'))
                ++m_i;
            if (m_i >= m_s.size())
                return syntaxError(cutShort);
            if (!isDigit(m_s[m_i++]))
                return syntaxError("invalid number");
            while (m_i < m_s.size() && isDigit(m_s[m_i]))
                ++m_i;
        }
        return v ? classifyNumber(m_s.sliced(start, m_i - start), integerEnd == m_i, negative, v) : true;
    }

    // serde_json's ParserNumber: U64, I64 (negative, not -0) or F64 (fractions, exponents, overflow).
    bool classifyNumber(QByteArrayView text, bool integral, bool negative, Scalar *v)
    {
        if (integral) {
            quint64 magnitude = 0;
            const QByteArrayView digits = text.sliced(negative ? 1 : 0);
            const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
            if (res.ec == std::errc()) {
                if (!negative) {
                    v->kind = Kind::UInt;
                    v->uint = magnitude;
                    return true;
                }
                if (magnitude != 0 && magnitude <= quint64(1) << 63) {
                    v->kind = Kind::Int;
                    v->sint = static_cast<qint64>(0 - magnitude);
                    return true;
                }
            }
        }
        double d = 0;
        const auto res = std::from_chars(text.data(), text.data() + text.size(), d);
        if (res.ec == std::errc::result_out_of_range) {
            const bool tiny = text.contains("e-") || text.contains("E-");
            if (!tiny)
                return syntaxError("number out of range");
            d = negative ? -0.0 : 0.0;
        }
        v->kind = Kind::Float;
        v->real = d;
        return true;
    }

    // At '"'. validate: serde's parse_str (surrogates and UTF-8 checked); otherwise its ignore_str.
    bool readString(QByteArray *out, bool validate)
    {
        ++m_i;
        for (;;) {
            if (m_i >= m_s.size())
                return syntaxError("EOF while parsing a string");
            const auto c = static_cast<unsigned char>(m_s[m_i]);
            if (c == '"') {
                ++m_i;
                break;
            }
            if (c < 0x20) {
                m_i += validate ? 1 : 0;
                return syntaxError("control character (\\u0000-\\u001F) found while parsing a string");
            }
            ++m_i;
            if (c != '\\') {
                if (out)
                    out->append(static_cast<char>(c));
            } else if (!readEscape(out, validate)) {
                return false;
            }
        }
        if (validate && !QUtf8StringView(*out).isValidUtf8())
            return syntaxError("invalid unicode code point");
        return true;
    }

    bool readEscape(QByteArray *out, bool validate)
    {
        if (m_i >= m_s.size())
            return syntaxError("EOF while parsing a string");
        const char c = m_s[m_i++];
        static constexpr std::string_view FROM = "\"\\/bfnrt";
        static constexpr std::string_view TO = "\"\\/\b\f\n\r\t";
        if (const size_t k = FROM.find(c); k != std::string_view::npos) {
            if (out)
                out->append(TO[k]);
            return true;
        }
        if (c != 'u')
            return syntaxError("invalid escape");
        char32_t hi = 0;
        if (!readHex4(&hi))
            return false;
        if (!validate)
            return true;
        if (hi >= 0xdc00 && hi <= 0xdfff)
            return syntaxError("lone leading surrogate in hex escape");
        if (hi < 0xd800 || hi > 0xdbff) {
            appendUtf8(out, hi);
            return true;
        }
        for (const char expected : {'\\', 'u'}) {
            if (m_i >= m_s.size())
                return syntaxError("EOF while parsing a string");
            if (m_s[m_i++] != expected)
                return syntaxError("unexpected end of hex escape");
        }
        char32_t lo = 0;
        if (!readHex4(&lo))
            return false;
        if (lo < 0xdc00 || lo > 0xdfff)
            return syntaxError("lone leading surrogate in hex escape");
        appendUtf8(out, 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
        return true;
    }

    bool readHex4(char32_t *out)
    {
        if (m_i + 4 > m_s.size()) {
            m_i = m_s.size();
            return syntaxError("EOF while parsing a string");
        }
        bool ok = true; // serde consumes all four digits before it complains
        for (int k = 0; k < 4; ++k) {
            const char c = m_s[m_i++];
            const int d = isDigit(c) ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
            ok = ok && d >= 0;
            *out = (*out << 4) | char32_t(d & 0xf);
        }
        return ok || syntaxError("invalid escape");
    }

    // serde_json's ignore_value (an iterative walk: no depth limit, strings not UTF-8 checked).
    bool skipValue()
    {
        QByteArray open; // the enclosing '[' and '{'
        for (;;) {
            const int c = peekWs();
            bool opened = false;
            if (c == '[' || c == '{') {
                ++m_i;
                open.append(static_cast<char>(c));
                opened = true;
            } else if (c == 'n' || c == 't' || c == 'f') {
                if (!readIdent(c == 'n' ? "null" : c == 't' ? "true" : "false"))
                    return false;
            } else if (c == '"') {
                if (!readString(nullptr, false))
                    return false;
            } else if (c == '-' || isDigit(c)) {
                if (!readNumber(nullptr))
                    return false;
            } else {
                return syntaxError(c == -1 ? "EOF while parsing a value" : "expected value", true);
            }
            if (open.isEmpty())
                return true;
            bool acceptComma = !opened;
            for (;;) {
                const int d = peekWs();
                const char frame = open.back();
                if (d == ',' && acceptComma) {
                    ++m_i;
                    break;
                }
                if ((d == ']' && frame == '[') || (d == '}' && frame == '{')) {
                    ++m_i;
                    open.chop(1);
                    if (open.isEmpty())
                        return true;
                    acceptComma = true;
                    continue;
                }
                if (d == -1)
                    return syntaxError(frame == '[' ? "EOF while parsing a list" : "EOF while parsing an object", true);
                if (acceptComma)
                    return syntaxError(frame == '[' ? "expected `,` or `]`" : "expected `,` or `}`", true);
                break;
            }
            if (open.back() == '{') {
                const int k = peekWs();
                if (k != '"')
                    return syntaxError(k == -1 ? "EOF while parsing an object" : "key must be a string", true);
                if (!readString(nullptr, false))
                    return false;
                const int colon = peekWs();
                if (colon != ':')
                    return syntaxError(colon == -1 ? "EOF while parsing an object" : "expected `:`", true);
                ++m_i;
            }
        }
    }

    QByteArrayView m_s;
    qsizetype m_i = 0;
    QByteArray m_path; // serde_path_to_error's path: the top-level key being read, if any
    bool m_syntax = false;
    QByteArray m_message;
};

ConfigError jsonError(int status, const QByteArray &message)
{
    return ConfigError { status, message, false };
}

// sqld rejects a bad key with 500 `Internal Error: ...` (anyhow through its catch-all); a blank one is ours.
std::optional<ConfigError> checkJwtKey(const std::optional<QByteArray> &key)
{
    if (key && key->trimmed().isEmpty())
        return jsonError(500, "Internal Error: `Could not decode Ed25519 public key: the key is empty`");
    return std::nullopt;
}

std::optional<QString> toText(const std::optional<QByteArray> &utf8)
{
    return utf8 ? std::optional<QString>(QString::fromUtf8(*utf8)) : std::nullopt;
}

// The heartbeat URL of a request: nullopt (cleared) for "", otherwise normalised or a 400 "Wrong URL".
std::variant<std::optional<QString>, ConfigError> heartbeatFromRequest(const QByteArray &text)
{
    if (text.isEmpty())
        return std::optional<QString>(); // qsqld extension: "" clears the URL
    QByteArray reason;
    std::optional<QString> url = normalizeHttpUrl(QString::fromUtf8(text), &reason);
    if (!url)
        return jsonError(400, "Wrong URL: " + reason);
    return url;
}

constexpr std::array<QByteArrayView, 10> POST_FIELDS { "block_reads", "block_writes", "block_reason", "max_db_size",
    "heartbeat_url", "jwt_key", "allow_attach", "txn_timeout_s", "durability_mode", "max_row_size" };

constexpr std::array<QByteArrayView, 11> CREATE_FIELDS { "dump_url", "max_db_size", "heartbeat_url",
    "bottomless_db_id", "jwt_key", "txn_timeout_s", "max_row_size", "shared_schema", "shared_schema_name",
    "allow_attach", "durability_mode" };

// Checks an absolute URL the way url::Url::parse would for dump_url (any scheme); the reason on failure.
QByteArray absoluteUrlProblem(const QByteArray &text)
{
    const QUrl url(QString::fromUtf8(text.trimmed()), QUrl::TolerantMode);
    if (url.scheme().isEmpty())
        return "relative URL without a base";
    if (!url.isValid())
        return "invalid URL";
    if ((url.scheme() == u"http" || url.scheme() == u"https") && url.host().isEmpty())
        return "empty host";
    return {};
}

} // namespace

// ---------------------------------------------------------------------------------------------------------------

QByteArray encodeProto(const NamespaceConfig &c)
{
    QByteArray out;
    if (c.blockReads)
        putVarintField(out, 1, 1);
    if (c.blockWrites)
        putVarintField(out, 2, 1);
    putStringField(out, 3, c.blockReason);
    if (c.maxDbPages != 0)
        putVarintField(out, 4, c.maxDbPages);
    putStringField(out, 5, c.heartbeatUrl);
    putStringField(out, 6, c.bottomlessDbId);
    putStringField(out, 7, c.jwtKey);
    if (c.txnTimeoutS)
        putVarintField(out, 8, *c.txnTimeoutS);
    if (c.allowAttach)
        putVarintField(out, 9, 1);
    putVarintField(out, 10, c.maxRowSize);
    putVarintField(out, 11, c.sharedSchema ? 1 : 0);
    putStringField(out, 12, c.sharedSchemaName);
    putVarintField(out, 13, quint64(c.durabilityMode));
    return out;
}

std::optional<NamespaceConfig> decodeProto(QByteArrayView blob)
{
    NamespaceConfig config; // then proto3 defaults where they differ from sqld's in-memory defaults
    config.maxDbPages = 0;
    config.txnTimeoutS.reset();
    ProtoReader r(blob);
    while (!r.atEnd()) {
        quint32 field = 0;
        quint32 type = 0;
        if (!r.tag(&field, &type))
            return std::nullopt;
        const bool ok = field <= 13 ? readProtoField(r, field, type, &config) : r.skipField(field, type);
        if (!ok)
            return std::nullopt;
    }
    return config;
}

QByteArrayView durabilityName(DurabilityMode mode)
{
    switch (mode) {
    case DurabilityMode::Strong: return "strong";
    case DurabilityMode::Extra: return "extra";
    case DurabilityMode::Off: return "off";
    case DurabilityMode::Relaxed: break;
    }
    return "relaxed";
}

std::optional<DurabilityMode> parseDurability(QByteArrayView name)
{
    using enum DurabilityMode;
    for (const auto mode : {Relaxed, Strong, Extra, Off}) {
        if (name == durabilityName(mode))
            return mode;
    }
    return std::nullopt;
}

QByteArrayView synchronousPragmaValue(DurabilityMode mode)
{
    switch (mode) {
    case DurabilityMode::Strong: return "FULL";
    case DurabilityMode::Extra: return "EXTRA";
    case DurabilityMode::Off: return "OFF";
    case DurabilityMode::Relaxed: break;
    }
    return "NORMAL";
}

QByteArray toJson(const NamespaceConfig &c)
{
    util::JsonWriter w(320);
    const auto optString = [&w](QByteArrayView key, const std::optional<QString> &v) {
        w.key(key);
        v ? w.string(v->toUtf8()) : w.null();
    };
    w.beginObject();
    w.key("block_reads");
    w.boolean(c.blockReads);
    w.key("block_writes");
    w.boolean(c.blockWrites);
    optString("block_reason", c.blockReason);
    w.key("max_db_size");
    c.hasSizeLimit() ? w.string(formatMaxDbSize(c.maxDbPages)) : w.null();
    optString("heartbeat_url", c.heartbeatUrl);
    optString("jwt_key", c.jwtKey);
    w.key("allow_attach");
    w.boolean(c.allowAttach);
    w.key("txn_timeout_s");
    c.txnTimeoutS ? w.unsignedInteger(*c.txnTimeoutS) : w.null();
    w.key("durability_mode");
    w.string(durabilityName(c.durabilityMode));
    w.key("max_row_size"); // qsqld extension
    w.unsignedInteger(c.maxRowSize);
    w.key("max_db_size_bytes"); // qsqld extension
    c.hasSizeLimit() ? w.unsignedInteger(c.maxDbPages * DB_PAGE_SIZE) : w.null();
    w.endObject();
    return w.take();
}

QByteArray formatMaxDbSize(quint64 maxDbPages)
{
    if (maxDbPages == 0 || maxDbPages >= SQLD_UNLIMITED_DB_PAGES)
        return {};
    const quint64 bytes = maxDbPages * DB_PAGE_SIZE; // < 1e18: fits parseByteSize's qint64
    const auto roundTrips = [maxDbPages](const QByteArray &text) {
        bool ok = false;
        const qint64 parsed = runtime::parseByteSize(QString::fromLatin1(text), &ok);
        return ok && parsed >= 0 && quint64(parsed) / DB_PAGE_SIZE == maxDbPages;
    };
    // 1. sqld's intended format: one decimal, decimal units.
    static constexpr char DECIMAL_UNITS[] = "KMGTP";
    int exp = 1;
    double scale = 1000.0;
    while (exp < 5 && double(bytes) / scale >= 1000.0) {
        ++exp;
        scale *= 1000.0;
    }
    QByteArray decimal = QByteArray::number(double(bytes) / scale, 'f', 1) + ' ' + DECIMAL_UNITS[exp - 1] + 'B';
    if (roundTrips(decimal))
        return decimal;
    // 2. Exact, in the largest binary unit that divides the size.
    static constexpr std::array<std::pair<quint64, const char *>, 4> BINARY_UNITS { {
        {1ULL << 50, " PiB"}, {1ULL << 40, " TiB"}, {1ULL << 30, " GiB"}, {1ULL << 20, " MiB"} } };
    for (const auto &[unit, name] : BINARY_UNITS) {
        if (bytes % unit == 0)
            return QByteArray::number(bytes / unit) + name;
    }
    return QByteArray::number(bytes / 1024) + " KiB";
}

std::optional<quint64> parseMaxDbSize(const QJsonValue &value)
{
    if (value.isDouble()) {
        const double d = value.toDouble();
        if (!(d >= 0 && d <= 9007199254740992.0) || std::floor(d) != d)
            return std::nullopt;
        return quint64(d) / DB_PAGE_SIZE;
    }
    if (value.isString()) {
        bool ok = false;
        const qint64 bytes = runtime::parseByteSize(value.toString(), &ok);
        if (ok && bytes >= 0)
            return quint64(bytes) / DB_PAGE_SIZE;
    }
    return std::nullopt;
}

QByteArray ConfigError::body() const
{
    if (plainText)
        return message;
    util::JsonWriter w(message.size() + 16);
    w.beginObject();
    w.key("error");
    w.string(message);
    w.endObject();
    return w.take();
}

QByteArray ConfigError::contentType() const
{
    return plainText ? "text/plain; charset=utf-8"_ba : "application/json"_ba;
}

std::variant<NamespaceConfig, ConfigError> applyConfigPost(const NamespaceConfig &current, QByteArrayView jsonBody)
{
    bool blockReads = false;
    bool blockWrites = false;
    bool allowAttach = false;
    std::optional<QByteArray> blockReason, heartbeatUrl, jwtKey;
    std::optional<quint64> maxDbBytes, txnTimeoutS, maxRowSize;
    std::optional<DurabilityMode> durability;

    SerdeReader reader(jsonBody);
    const bool ok = reader.readStruct({"HttpDatabaseConfig", POST_FIELDS, 0b11}, [&](int field) {
        switch (field) {
        case 0: return reader.readBool(&blockReads);
        case 1: return reader.readBool(&blockWrites);
        case 2: return reader.readOptString(&blockReason);
        case 3: return reader.readOptByteSize(&maxDbBytes);
        case 4: return reader.readOptString(&heartbeatUrl);
        case 5: return reader.readOptString(&jwtKey);
        case 6: return reader.readBool(&allowAttach);
        case 7: return reader.readOptU64(&txnTimeoutS);
        case 8: return reader.readOptDurability(&durability);
        default: return reader.readOptU64(&maxRowSize);
        }
    });
    if (!ok)
        return reader.error();
    if (auto error = checkJwtKey(jwtKey))
        return *error;

    NamespaceConfig updated = current;
    updated.blockReads = blockReads;
    updated.blockWrites = blockWrites;
    updated.blockReason = toText(blockReason);
    updated.allowAttach = allowAttach;
    updated.txnTimeoutS = txnTimeoutS;
    if (maxDbBytes)
        updated.maxDbPages = *maxDbBytes / DB_PAGE_SIZE;
    if (heartbeatUrl) {
        auto url = heartbeatFromRequest(*heartbeatUrl);
        if (auto *error = std::get_if<ConfigError>(&url))
            return *error;
        updated.heartbeatUrl = std::get<std::optional<QString>>(std::move(url));
    }
    updated.jwtKey = toText(jwtKey);
    if (durability)
        updated.durabilityMode = *durability;
    if (maxRowSize)
        updated.maxRowSize = *maxRowSize;
    return updated;
}

std::variant<CreateOptions, ConfigError> parseCreateBody(QByteArrayView jsonBody)
{
    CreateOptions out;
    NamespaceConfig &config = out.config;
    config.txnTimeoutS.reset(); // sqld: `config.txn_timeout = req.txn_timeout_s.map(..)`
    if (jsonBody.trimmed().isEmpty())
        return out;

    std::optional<QByteArray> heartbeatUrl, bottomlessDbId, jwtKey, sharedSchemaName;
    std::optional<quint64> maxDbBytes, maxRowSize;
    std::optional<DurabilityMode> durability;
    SerdeReader reader(jsonBody);
    const bool ok = reader.readStruct({"CreateNamespaceReq", CREATE_FIELDS, 0}, [&](int field) {
        switch (field) {
        case 0:
            if (!reader.readOptString(&out.dumpUrl, "a string representing an URL"))
                return false;
            if (const QByteArray problem = out.dumpUrl ? absoluteUrlProblem(*out.dumpUrl) : QByteArray();
                !problem.isEmpty())
                return reader.dataError("invalid value: string " + rustDebugString(*out.dumpUrl) + ", expected "
                                        + problem);
            return true;
        case 1: return reader.readOptByteSize(&maxDbBytes);
        case 2: return reader.readOptString(&heartbeatUrl);
        case 3: return reader.readOptString(&bottomlessDbId);
        case 4: return reader.readOptString(&jwtKey);
        case 5: return reader.readOptU64(&config.txnTimeoutS);
        case 6: return reader.readOptU64(&maxRowSize);
        case 7: return reader.readBool(&config.sharedSchema);
        case 8:
            if (!reader.readOptString(&sharedSchemaName, "a valid namespace name"))
                return false;
            return !sharedSchemaName || !sharedSchemaName->isEmpty() || reader.dataError("Invalid namespace");
        case 9: return reader.readBool(&config.allowAttach);
        default: return reader.readOptDurability(&durability);
        }
    });
    if (!ok)
        return reader.error();

    if (auto error = checkJwtKey(jwtKey))
        return *error;
    if (sharedSchemaName && out.dumpUrl)
        return jsonError(400, "Shared schema usage error: database using shared schema database cannot be created "
                              "from a dump");
    if (sharedSchemaName && config.sharedSchema)
        return jsonError(400, "Shared schema error: shared schema database cannot reference another shared schema");
    if (out.dumpUrl) {
        const QString scheme = QUrl(QString::fromUtf8(out.dumpUrl->trimmed())).scheme();
        if (scheme != u"http" && scheme != u"https" && scheme != u"file")
            return jsonError(400, "Unsupported dump url scheme `" + scheme.toUtf8()
                                      + "`, supported schemes are: `http`, `file`");
    }
    if (heartbeatUrl) {
        auto url = heartbeatFromRequest(*heartbeatUrl);
        if (auto *error = std::get_if<ConfigError>(&url))
            return *error;
        config.heartbeatUrl = std::get<std::optional<QString>>(std::move(url));
    }
    config.jwtKey = toText(jwtKey);
    config.bottomlessDbId = toText(bottomlessDbId);
    config.sharedSchemaName = toText(sharedSchemaName);
    if (maxDbBytes)
        config.maxDbPages = *maxDbBytes / DB_PAGE_SIZE;
    config.maxRowSize = maxRowSize.value_or(DEFAULT_MAX_ROW_SIZE);
    config.durabilityMode = durability.value_or(DurabilityMode::Relaxed);
    return out;
}

std::optional<QString> normalizeHttpUrl(const QString &text, QByteArray *reason)
{
    const QString trimmed = text.trimmed();
    // A scheme is a letter, then letters, digits, '+', '-' or '.', then ':' (RFC 3986; as url::Url::parse).
    const auto isSchemeChar = [](char16_t c, bool first) {
        const bool letter = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
        return letter || (!first && ((c >= u'0' && c <= u'9') || c == u'+' || c == u'-' || c == u'.'));
    };
    qsizetype colon = 0;
    while (colon < trimmed.size() && isSchemeChar(trimmed.at(colon).unicode(), colon == 0))
        ++colon;
    if (colon == 0 || colon >= trimmed.size() || trimmed.at(colon) != u':') {
        *reason = "relative URL without a base";
        return std::nullopt;
    }
    const QString scheme = trimmed.first(colon).toLower();
    if (scheme != u"http" && scheme != u"https") {
        *reason = "unsupported scheme `" + scheme.toUtf8() + "`, expected `http` or `https`";
        return std::nullopt;
    }
    QUrl url(trimmed, QUrl::TolerantMode);
    if (!url.isValid()) {
        const QString qtReason = url.errorString();
        *reason = qtReason.contains(u"port") ? "invalid port number"
            : qtReason.contains(u"IPv6")     ? "invalid IPv6 address"
                                             : "invalid domain character";
        return std::nullopt;
    }
    if (url.host().isEmpty()) {
        *reason = "empty host";
        return std::nullopt;
    }
    url.setScheme(scheme);
    if (url.port() == (scheme == u"http" ? 80 : 443))
        url.setPort(-1);
    if (url.path().isEmpty())
        url.setPath(u"/"_s);
    return url.toString(QUrl::FullyEncoded | QUrl::NormalizePathSegments);
}

} // namespace qsqld::ns
