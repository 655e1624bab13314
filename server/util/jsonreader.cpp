#include "jsonreader.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

namespace qsqld::util {

int JsonValue::toInt(int defaultValue) const
{
    if (!isDouble() || !(m_number >= double(INT_MIN) && m_number <= double(INT_MAX)))
        return defaultValue;
    const int i = static_cast<int>(m_number);
    return static_cast<double>(i) == m_number ? i : defaultValue;
}

const JsonValue &JsonValue::value(std::string_view key) const
{
    static const JsonValue undefined{};
    const std::span<const Member> all = members();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (it->key == key)
            return it->value;
    }
    return undefined;
}

class JsonDocument::Parser
{
public:
    Parser(JsonDocument &doc) : m_doc(doc), m_begin(doc.m_text.constData()), m_p(m_begin), m_end(m_begin + doc.m_text.size())
    {
    }

    bool document(JsonValue *out)
    {
        skipSpace();
        if (!value(out, 0))
            return false;
        skipSpace();
        if (m_p != m_end)
            return fail("garbage at the end of the document");
        return true;
    }

    QByteArray error() const { return m_error; }

private:
    JsonDocument &m_doc;
    // Elements and members of the containers being read; each container's run moves to its own block when it closes.
    std::vector<JsonValue> m_itemStack;
    std::vector<JsonValue::Member> m_memberStack;
    const char *const m_begin;
    const char *m_p;
    const char *const m_end;
    QByteArray m_error;

    bool fail(const char *what)
    {
        if (m_error.isEmpty())
            m_error = QByteArray(what).append(" at offset ").append(QByteArray::number(qint64(m_p - m_begin)));
        return false;
    }

    void skipSpace()
    {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }

    bool literal(std::string_view word)
    {
        if (size_t(m_end - m_p) < word.size() || std::string_view(m_p, word.size()) != word)
            return fail("illegal value");
        m_p += word.size();
        return true;
    }

    bool value(JsonValue *out, int depth)
    {
        if (m_p == m_end)
            return fail("unexpected end of the document");
        switch (*m_p) {
        case '{':
            return object(out, depth + 1);
        case '[':
            return array(out, depth + 1);
        case '"': {
            out->m_type = JsonValue::Type::String;
            std::string_view text;
            if (!string(&text))
                return false;
            out->m_text = text.data();
            out->m_count = static_cast<quint32>(text.size());
            return true;
        }
        case 't':
            out->m_type = JsonValue::Type::Bool;
            out->m_bool = true;
            return literal("true");
        case 'f':
            out->m_type = JsonValue::Type::Bool;
            out->m_bool = false;
            return literal("false");
        case 'n':
            out->m_type = JsonValue::Type::Null;
            return literal("null");
        default:
            if (*m_p == '-' || (*m_p >= '0' && *m_p <= '9')) {
                out->m_type = JsonValue::Type::Number;
                return number(&out->m_number);
            }
            return fail("illegal value");
        }
    }

    bool object(JsonValue *out, int depth)
    {
        if (depth > MAX_DEPTH)
            return fail("nested too deeply");
        out->m_type = JsonValue::Type::Object;
        ++m_p; // '{'
        skipSpace();
        if (m_p != m_end && *m_p == '}') {
            ++m_p;
            return true;
        }
        const size_t base = m_memberStack.size();
        for (;;) {
            if (m_p == m_end || *m_p != '"')
                return fail(m_p == m_end ? "unterminated object" : "expected a member name");
            JsonValue::Member m;
            if (!string(&m.key))
                return false;
            skipSpace();
            if (m_p == m_end || *m_p != ':')
                return fail("missing name separator");
            ++m_p;
            skipSpace();
            if (!value(&m.value, depth)) // may use the stack above `base`, and leaves it as it was
                return false;
            m_memberStack.push_back(m);
            skipSpace();
            if (m_p == m_end)
                return fail("unterminated object");
            if (*m_p == '}') {
                ++m_p;
                out->m_members = takeRun(m_memberStack, base, m_doc.m_memberBlocks, &out->m_count);
                return true;
            }
            if (*m_p != ',')
                return fail("missing value separator");
            ++m_p;
            skipSpace();
        }
    }

    bool array(JsonValue *out, int depth)
    {
        if (depth > MAX_DEPTH)
            return fail("nested too deeply");
        out->m_type = JsonValue::Type::Array;
        ++m_p; // '['
        skipSpace();
        if (m_p != m_end && *m_p == ']') {
            ++m_p;
            return true;
        }
        const size_t base = m_itemStack.size();
        for (;;) {
            JsonValue item;
            if (!value(&item, depth))
                return false;
            m_itemStack.push_back(item);
            skipSpace();
            if (m_p == m_end)
                return fail("unterminated array");
            if (*m_p == ']') {
                ++m_p;
                out->m_items = takeRun(m_itemStack, base, m_doc.m_itemBlocks, &out->m_count);
                return true;
            }
            if (*m_p != ',')
                return fail("missing value separator");
            ++m_p;
            skipSpace();
        }
    }

    // Moves stack[base..] into a new block owned by the document; returns the block and its size in `count`.
    template<typename T>
    static const T *takeRun(std::vector<T> &stack, size_t base, std::vector<std::unique_ptr<T[]>> &blocks,
                            quint32 *count)
    {
        const size_t n = stack.size() - base;
        auto block = std::make_unique<T[]>(n);
        std::copy(stack.begin() + std::ptrdiff_t(base), stack.end(), block.get());
        stack.resize(base);
        *count = static_cast<quint32>(n);
        return blocks.emplace_back(std::move(block)).get();
    }

    // One UTF-8 sequence starting at m_p (a byte >= 0x80), checked as RFC 3629 does; m_p moves past it.
    bool utf8Sequence()
    {
        const auto b0 = static_cast<unsigned char>(*m_p);
        int len = 0;
        unsigned char lo = 0x80, hi = 0xBF; // the allowed range of the second byte
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            if (b0 == 0xE0)
                lo = 0xA0; // no overlong forms
            else if (b0 == 0xED)
                hi = 0x9F; // no UTF-16 surrogates
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            if (b0 == 0xF0)
                lo = 0x90;
            else if (b0 == 0xF4)
                hi = 0x8F; // nothing above U+10FFFF
        } else {
            return fail("invalid UTF-8 in string");
        }
        if (m_end - m_p < len)
            return fail("invalid UTF-8 in string");
        for (int i = 1; i < len; ++i) {
            const auto b = static_cast<unsigned char>(m_p[i]);
            if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
                return fail("invalid UTF-8 in string");
        }
        m_p += len;
        return true;
    }

    bool hex4(unsigned *out)
    {
        if (m_end - m_p < 4)
            return fail("invalid escape sequence");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = m_p[i];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= unsigned(c - 'A' + 10);
            else
                return fail("invalid escape sequence");
        }
        m_p += 4;
        *out = v;
        return true;
    }

    static void appendUtf8(std::string &s, unsigned cp)
    {
        if (cp < 0x80) {
            s += char(cp);
        } else if (cp < 0x800) {
            s += char(0xC0 | (cp >> 6));
            s += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s += char(0xE0 | (cp >> 12));
            s += char(0x80 | ((cp >> 6) & 0x3F));
            s += char(0x80 | (cp & 0x3F));
        } else {
            s += char(0xF0 | (cp >> 18));
            s += char(0x80 | ((cp >> 12) & 0x3F));
            s += char(0x80 | ((cp >> 6) & 0x3F));
            s += char(0x80 | (cp & 0x3F));
        }
    }

    // A string at m_p (the opening quote); `out` views the body, or the document's copy when it had escapes.
    bool string(std::string_view *out)
    {
        ++m_p; // '"'
        const char *start = m_p;
        // Fast path: up to the closing quote without escapes.
        while (m_p != m_end) {
            const auto c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                *out = std::string_view(start, size_t(m_p - start));
                ++m_p;
                return true;
            }
            if (c == '\\')
                break;
            if (c < 0x20)
                return fail("control character in string");
            if (c >= 0x80) {
                if (!utf8Sequence())
                    return false;
            } else {
                ++m_p;
            }
        }
        if (m_p == m_end)
            return fail("unterminated string");
        std::string s(start, size_t(m_p - start));
        while (m_p != m_end) {
            const auto c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                ++m_p;
                *out = m_doc.m_unescaped.emplace_back(std::move(s));
                return true;
            }
            if (c < 0x20)
                return fail("control character in string");
            if (c >= 0x80) {
                const char *seq = m_p;
                if (!utf8Sequence())
                    return false;
                s.append(seq, size_t(m_p - seq));
                continue;
            }
            if (c != '\\') {
                s += char(c);
                ++m_p;
                continue;
            }
            if (++m_p == m_end)
                break;
            const char e = *m_p++;
            switch (e) {
            case '"': s += '"'; break;
            case '\\': s += '\\'; break;
            case '/': s += '/'; break;
            case 'b': s += '\b'; break;
            case 'f': s += '\f'; break;
            case 'n': s += '\n'; break;
            case 'r': s += '\r'; break;
            case 't': s += '\t'; break;
            case 'u': {
                unsigned cp = 0;
                if (!hex4(&cp))
                    return false;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return fail("lone surrogate in escape sequence");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned low = 0;
                    if (m_end - m_p < 2 || m_p[0] != '\\' || m_p[1] != 'u')
                        return fail("lone surrogate in escape sequence");
                    m_p += 2;
                    if (!hex4(&low))
                        return false;
                    if (low < 0xDC00 || low > 0xDFFF)
                        return fail("lone surrogate in escape sequence");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                appendUtf8(s, cp);
                break;
            }
            default:
                --m_p;
                return fail("invalid escape sequence");
            }
        }
        return fail("unterminated string");
    }

    bool number(double *out)
    {
        const char *start = m_p;
        if (*m_p == '-')
            ++m_p;
        const auto digit = [this] { return m_p != m_end && *m_p >= '0' && *m_p <= '9'; };
        if (!digit())
            return fail("illegal number");
        const char *intStart = m_p;
        if (*m_p == '0') {
            ++m_p;
        } else {
            while (digit())
                ++m_p;
        }
        const char *intEnd = m_p;
        if (m_p != m_end && *m_p == '.') {
            ++m_p;
            if (!digit())
                return fail("illegal number");
            while (digit())
                ++m_p;
        }
        long long exponent = 0;
        if (m_p != m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            bool negative = false;
            if (m_p != m_end && (*m_p == '+' || *m_p == '-'))
                negative = *m_p++ == '-';
            if (!digit())
                return fail("illegal number");
            while (digit()) {
                if (exponent < 1'000'000'000)
                    exponent = exponent * 10 + (*m_p - '0');
                ++m_p;
            }
            if (negative)
                exponent = -exponent;
        }
        const auto [end, ec] = std::from_chars(start, m_p, *out);
        if (end != m_p) {
            m_p = start;
            return fail("illegal number");
        }
        if (ec == std::errc::result_out_of_range) {
            // Too large is an error (as serde_json); too small is zero (the nearest double).
            // The decimal magnitude of the first significant digit decides which.
            long long magnitude = (intEnd - intStart) + exponent;
            if (intEnd - intStart == 1 && *intStart == '0' && intEnd != m_p && *intEnd == '.') {
                const char *f = intEnd + 1; // after the '.', if there is one
                while (f < m_p && *f == '0')
                    ++f;
                magnitude = exponent - (f - (intEnd + 1));
            }
            if (magnitude > 0) {
                m_p = start;
                return fail("number out of range");
            }
            *out = *start == '-' ? -0.0 : 0.0;
        }
        return true;
    }
};

void JsonDocument::clear()
{
    m_root = JsonValue();
    m_itemBlocks.clear();
    m_memberBlocks.clear();
    m_unescaped.clear();
    m_text.clear();
}

bool JsonDocument::parse(const QByteArray &text, QByteArray *error)
{
    clear();
    m_text = text;
    Parser parser(*this);
    if (!parser.document(&m_root)) {
        *error = parser.error();
        clear();
        return false;
    }
    return true;
}

} // namespace qsqld::util
