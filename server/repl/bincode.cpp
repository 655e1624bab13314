#include "bincode.h"

#include <bit>

#include <QtEndian>

using namespace Qt::StringLiterals;

namespace qsqld::repl {

namespace {

// Variant tags of the Value enum on the replica side, in declaration order.
constexpr quint32 TAG_NULL = 0;
constexpr quint32 TAG_INTEGER = 1;
constexpr quint32 TAG_REAL = 2;
constexpr quint32 TAG_TEXT = 3;
constexpr quint32 TAG_BLOB = 4;

constexpr qsizetype TAG_SIZE = 4;
constexpr qsizetype WORD_SIZE = 8; // i64, f64 and the u64 length prefix

template <typename T> void appendLittleEndian(QByteArray &out, T v)
{
    const qsizetype at = out.size();
    out.resize(at + qsizetype(sizeof(T)));
    qToLittleEndian<T>(v, out.data() + at);
}

bool fail(QByteArray *error, QByteArray text)
{
    if (error)
        *error = std::move(text);
    return false;
}

} // namespace

QByteArray encodeBincodeValue(const hrana::Value &value)
{
    using Type = hrana::Value::Type;
    QByteArray out;
    switch (value.type) {
    case Type::Null:
        appendLittleEndian<quint32>(out, TAG_NULL);
        break;
    case Type::Integer:
        out.reserve(TAG_SIZE + WORD_SIZE);
        appendLittleEndian<quint32>(out, TAG_INTEGER);
        appendLittleEndian<qint64>(out, value.integer);
        break;
    case Type::Float:
        out.reserve(TAG_SIZE + WORD_SIZE);
        appendLittleEndian<quint32>(out, TAG_REAL);
        appendLittleEndian<quint64>(out, std::bit_cast<quint64>(value.real)); // every NaN payload kept
        break;
    case Type::Text:
    case Type::Blob:
        out.reserve(TAG_SIZE + WORD_SIZE + value.bytes.size());
        appendLittleEndian<quint32>(out, value.type == Type::Text ? TAG_TEXT : TAG_BLOB);
        appendLittleEndian<quint64>(out, static_cast<quint64>(value.bytes.size()));
        out.append(value.bytes);
        break;
    }
    return out;
}

bool decodeBincodeValue(QByteArrayView data, hrana::Value *out, QByteArray *error)
{
    Q_ASSERT(out);
    if (data.size() < TAG_SIZE)
        return fail(error, "bincode value truncated: no variant tag"_ba);
    const quint32 tag = qFromLittleEndian<quint32>(data.data());
    const QByteArrayView rest = data.sliced(TAG_SIZE);
    if (tag > TAG_BLOB)
        return fail(error, "bincode value has unknown variant tag "_ba + QByteArray::number(tag));

    qsizetype used = 0; // payload bytes consumed after the tag
    hrana::Value v;
    if (tag == TAG_NULL) {
        v = hrana::Value();
    } else if (rest.size() < WORD_SIZE) {
        return fail(error, "bincode value truncated after variant tag "_ba + QByteArray::number(tag));
    } else if (tag == TAG_INTEGER) {
        v = hrana::Value::fromInteger(qFromLittleEndian<qint64>(rest.data()));
        used = WORD_SIZE;
    } else if (tag == TAG_REAL) {
        v = hrana::Value::fromFloat(std::bit_cast<double>(qFromLittleEndian<quint64>(rest.data())));
        used = WORD_SIZE;
    } else {
        // Compare as unsigned: a hostile length may not fit qsizetype.
        const quint64 length = qFromLittleEndian<quint64>(rest.data());
        if (length > static_cast<quint64>(rest.size() - WORD_SIZE))
            return fail(error,
                "bincode value length "_ba + QByteArray::number(length) + " exceeds the "_ba
                    + QByteArray::number(rest.size() - WORD_SIZE) + " bytes left"_ba);
        const QByteArrayView payload = rest.sliced(WORD_SIZE, static_cast<qsizetype>(length));
        if (tag == TAG_TEXT && !payload.isValidUtf8())
            return fail(error, "bincode text value is not valid UTF-8"_ba);
        v = tag == TAG_TEXT ? hrana::Value::fromText(payload.toByteArray())
                            : hrana::Value::fromBlob(payload.toByteArray());
        used = WORD_SIZE + payload.size();
    }
    if (used != rest.size())
        return fail(error, QByteArray::number(rest.size() - used) + " unexpected bytes after the bincode value"_ba);
    *out = std::move(v);
    return true;
}

} // namespace qsqld::repl
