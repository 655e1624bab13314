#pragma once

// A small append-only JSON writer that produces exactly sqld's byte format (key order as written,
// no whitespace, serde_json string escaping, ryu-style float text). Any thread; no shared state.

#include <QByteArray>
#include <QByteArrayView>

namespace qsqld::util {

class JsonWriter
{
public:
    explicit JsonWriter(qsizetype reserve = 256) { m_out.reserve(reserve); }

    void beginObject() { comma(); m_out.append('{'); m_first = true; }
    void endObject() { m_out.append('}'); m_first = false; }
    void beginArray() { comma(); m_out.append('['); m_first = true; }
    void endArray() { m_out.append(']'); m_first = false; }
    void key(QByteArrayView name);       // writes "name": (the next value follows without a comma)
    void string(QByteArrayView utf8);    // lossy: invalid UTF-8 becomes U+FFFD
    void integer(qint64 v);
    void unsignedInteger(quint64 v);
    void number(double v);               // non-finite → null, like serde_json
    void boolean(bool v);
    void null();
    void raw(QByteArrayView json);       // an already-encoded value

    QByteArray &buffer() { return m_out; }
    QByteArray take() { return std::move(m_out); }
    qsizetype size() const { return m_out.size(); }

private:
    // Whether the next value or key needs a comma before it; moves the writer past that point.
    bool takeComma()
    {
        const bool needed = !m_first && !m_afterKey;
        m_first = false;
        m_afterKey = false;
        return needed;
    }
    void comma()
    {
        if (takeComma())
            m_out.append(',');
    }

    QByteArray m_out;
    bool m_first = true;
    bool m_afterKey = false;
};

// serde_json/ryu formatting of a finite double: shortest round-trip digits, ".0" kept for integral values,
// exponent form ("1e16", "1.5e-7") when |v| >= 1e16 or |v| < 1e-5.
QByteArray formatFloat(double v);

// Standard-alphabet base64 without '=' padding (what sqld emits for blobs).
QByteArray base64NoPad(QByteArrayView bytes);

} // namespace qsqld::util
