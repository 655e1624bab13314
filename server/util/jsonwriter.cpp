#include "jsonwriter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <QUtf8StringView>
#include <QString>

namespace qsqld::util {

namespace {

// Makes room for `n` more bytes at the end of `out` and returns where they go (one size change, not n appends).
char *grow(QByteArray &out, qsizetype n)
{
    const qsizetype at = out.size();
    out.resize(at + n);
    return out.data() + at;
}

bool needsEscaping(QByteArrayView s)
{
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == '"' || c == '\\')
            return true;
    }
    return false;
}

// `prefix` (a comma or nothing), then `s` as a JSON string, then `suffix` (a colon or nothing).
void appendEscaped(QByteArray &out, QByteArrayView s, QByteArrayView prefix = {}, QByteArrayView suffix = {})
{
    static const char HEX[] = "0123456789abcdef";
    if (!needsEscaping(s)) { // the common case: one copy
        char *p = grow(out, prefix.size() + s.size() + 2 + suffix.size());
        p = std::copy(prefix.begin(), prefix.end(), p);
        *p++ = '"';
        p = std::copy(s.begin(), s.end(), p);
        *p++ = '"';
        std::copy(suffix.begin(), suffix.end(), p);
        return;
    }
    out.append(prefix);
    out.append('"');
    qsizetype runStart = 0;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(s.data() + runStart, i - runStart);
        runStart = i + 1;
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default: {
            const char esc[] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 0xf]};
            out.append(esc, 6);
        }
        }
    }
    out.append(s.data() + runStart, s.size() - runStart);
    out.append('"');
    out.append(suffix);
}

} // namespace

void JsonWriter::key(QByteArrayView name)
{
    appendEscaped(m_out, name, takeComma() ? QByteArrayView(",") : QByteArrayView(), QByteArrayView(":"));
    m_afterKey = true;
}

void JsonWriter::string(QByteArrayView utf8)
{
    comma();
    if (QUtf8StringView(utf8.data(), utf8.size()).isValidUtf8()) {
        appendEscaped(m_out, utf8);
    } else {
        const QByteArray lossy = QString::fromUtf8(utf8).toUtf8();
        appendEscaped(m_out, lossy);
    }
}

void JsonWriter::integer(qint64 v)
{
    comma();
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    m_out.append(buf, res.ptr - buf);
}

void JsonWriter::unsignedInteger(quint64 v)
{
    comma();
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    m_out.append(buf, res.ptr - buf);
}

void JsonWriter::number(double v)
{
    comma();
    if (!std::isfinite(v))
        m_out.append("null");
    else
        m_out.append(formatFloat(v));
}

void JsonWriter::boolean(bool v)
{
    comma();
    m_out.append(v ? "true" : "false");
}

void JsonWriter::null()
{
    comma();
    m_out.append("null");
}

void JsonWriter::raw(QByteArrayView json)
{
    comma();
    m_out.append(json);
}

QByteArray formatFloat(double v)
{
    if (v == 0)
        return std::signbit(v) ? QByteArray("-0.0") : QByteArray("0.0");
    // Shortest round-trip digits in scientific form: "d[.ddd]e[-]x".
    char sci[40];
    auto res = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    QByteArray s(sci, res.ptr - sci);
    QByteArray out;
    if (s.startsWith('-')) {
        out.append('-');
        s.remove(0, 1);
    }
    const qsizetype ePos = s.indexOf('e');
    const int exp = std::atoi(s.constData() + ePos + 1);
    QByteArray digits = s.left(ePos);
    digits.replace(".", "");
    const double mag = std::fabs(v);
    if (mag >= 1e16 || mag < 1e-5) {
        out.append(digits.left(1));
        if (digits.size() > 1) {
            out.append('.');
            out.append(digits.mid(1));
        }
        out.append('e');
        out.append(QByteArray::number(exp));
        return out;
    }
    // Fixed notation: place the decimal point exp+1 digits from the left.
    const qsizetype nDigits = digits.size();
    if (exp < 0) {
        out.append("0.");
        out.append(QByteArray(-exp - 1, '0'));
        out.append(digits);
    } else if (exp + 1 >= nDigits) {
        out.append(digits);
        out.append(QByteArray(exp + 1 - nDigits, '0'));
        out.append(".0");
    } else {
        out.append(digits.left(exp + 1));
        out.append('.');
        out.append(digits.mid(exp + 1));
    }
    return out;
}

QByteArray base64NoPad(QByteArrayView bytes)
{
    return QByteArray::fromRawData(bytes.data(), bytes.size())
        .toBase64(QByteArray::Base64Encoding | QByteArray::OmitTrailingEquals);
}

} // namespace qsqld::util
