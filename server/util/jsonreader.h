#pragma once

// A small, strict JSON reader for request bodies (RFC 8259, UTF-8 only), made for the hot path: one pass over the
// bytes, strings without escapes are views into the body (nothing converted to UTF-16 and back, as QJsonDocument
// does), object members found by a short linear scan. Stricter than QJsonDocument where that is the sane answer:
// invalid UTF-8, lone UTF-16 surrogates in \u escapes and numbers beyond a double's range are refused; nesting is
// limited. Duplicate keys: the last one wins. Any thread; a document is used by one thread at a time.

#include <QByteArray>

#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qsqld::util {

class JsonValue
{
public:
    enum class Type : unsigned char { Undefined, Null, Bool, Number, String, Array, Object };
    struct Member;

    Type type() const { return m_type; }
    bool isUndefined() const { return m_type == Type::Undefined; }
    bool isNull() const { return m_type == Type::Null; }
    bool isBool() const { return m_type == Type::Bool; }
    bool isDouble() const { return m_type == Type::Number; }
    bool isString() const { return m_type == Type::String; }
    bool isArray() const { return m_type == Type::Array; }
    bool isObject() const { return m_type == Type::Object; }

    bool toBool(bool defaultValue = false) const { return isBool() ? m_bool : defaultValue; }
    double toDouble(double defaultValue = 0) const { return isDouble() ? m_number : defaultValue; }
    // The number if it is a whole number within int's range, else `defaultValue` (as QJsonValue::toInt).
    int toInt(int defaultValue = 0) const;
    // The UTF-8 text of a string (empty for any other type). Valid while the document lives.
    std::string_view string() const { return isString() ? std::string_view(m_text, m_count) : std::string_view(); }
    QByteArray toByteArray() const { return isString() ? QByteArray(m_text, qsizetype(m_count)) : QByteArray(); }

    // Elements of an array; empty for any other type.
    std::span<const JsonValue> array() const
    {
        return isArray() ? std::span<const JsonValue>(m_items, m_count) : std::span<const JsonValue>();
    }
    // The member of an object named `key` (the last one if repeated); an undefined value if there is none.
    const JsonValue &value(std::string_view key) const;
    bool contains(std::string_view key) const { return !value(key).isUndefined(); }
    std::span<const Member> members() const;

private:
    friend class JsonDocument;

    // 16 bytes: a request body can hold millions of values.
    Type m_type = Type::Undefined;
    bool m_bool = false;
    quint32 m_count = 0; // string length, or number of elements or members
    union {
        double m_number = 0;
        const char *m_text;
        const JsonValue *m_items;
        const Member *m_members;
    };
};

struct JsonValue::Member
{
    std::string_view key;
    JsonValue value;
};

static_assert(sizeof(JsonValue) == 16);

inline std::span<const JsonValue::Member> JsonValue::members() const
{
    return isObject() ? std::span<const Member>(m_members, m_count) : std::span<const Member>();
}

class JsonDocument
{
public:
    static constexpr int MAX_DEPTH = 512;

    JsonDocument() = default;
    JsonDocument(const JsonDocument &) = delete;
    JsonDocument &operator=(const JsonDocument &) = delete;

    // Parses `text` (kept, shared, for the views into it). False on malformed JSON, with `error` saying what and
    // where: "<problem> at offset <byte offset>".
    bool parse(const QByteArray &text, QByteArray *error);
    const JsonValue &root() const { return m_root; }

private:
    class Parser;

    void clear();

    QByteArray m_text;
    std::deque<std::string> m_unescaped; // strings that had escapes; a deque never moves its elements
    // The elements of each array and the members of each object, one exact-size block per container.
    std::vector<std::unique_ptr<JsonValue[]>> m_itemBlocks;
    std::vector<std::unique_ptr<JsonValue::Member[]>> m_memberBlocks;
    JsonValue m_root;
};

} // namespace qsqld::util
