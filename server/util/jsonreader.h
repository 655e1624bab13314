#pragma once

// A small, strict JSON reader for request bodies (RFC 8259, UTF-8 only), made for the hot path: one pass over the
// bytes, strings without escapes are views into the body (nothing converted to UTF-16 and back, as QJsonDocument
// does), object members found by a short linear scan. Stricter than QJsonDocument where that is the sane answer:
// invalid UTF-8, lone UTF-16 surrogates in \u escapes and numbers beyond a double's range are refused; nesting is
// limited. Duplicate keys: the last one wins. Any thread; a document is used by one thread at a time.

#include <QByteArray>

#include <deque>
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
    std::string_view string() const { return m_string; }
    QByteArray toByteArray() const { return QByteArray(m_string.data(), qsizetype(m_string.size())); }

    // Elements of an array; empty for any other type.
    const std::vector<JsonValue> &array() const { return m_items; }
    // The member of an object named `key` (the last one if repeated); an undefined value if there is none.
    const JsonValue &value(std::string_view key) const;
    bool contains(std::string_view key) const { return !value(key).isUndefined(); }
    const std::vector<Member> &members() const { return m_members; }

private:
    friend class JsonDocument;

    Type m_type = Type::Undefined;
    bool m_bool = false;
    double m_number = 0;
    std::string_view m_string;
    std::vector<JsonValue> m_items;
    std::vector<Member> m_members;
};

struct JsonValue::Member
{
    std::string_view key;
    JsonValue value;
};

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

    QByteArray m_text;
    std::deque<std::string> m_unescaped; // strings that had escapes; a deque never moves its elements
    JsonValue m_root;
};

} // namespace qsqld::util
