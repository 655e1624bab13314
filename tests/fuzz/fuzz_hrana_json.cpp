// Fuzz target: the Hrana JSON request decoders (server/hrana/jsondecode.h) on one HTTP body, decoded as every
// request kind, and the JSON writer the answers go through. Each value a request carries is written back with
// writeValue and must decode to itself; any bytes written as a JSON string must give valid JSON; a double written by
// formatFloat must read back as the same double. The body is also read by util::JsonDocument and by QJsonDocument:
// what ours accepts, Qt accepts with the same values; what only Qt accepts is one of our deliberate refusals.

#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <regex>
#include <string>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUtf8StringView>

#include "fuzzsupport.h"
#include "hrana/jsondecode.h"
#include "hrana/jsonencode.h"
#include "util/jsonreader.h"
#include "util/jsonwriter.h"

using namespace qsqld;
using namespace qsqld::hrana;

namespace {

bool sameValue(const Value &a, const Value &b)
{
    return a.type == b.type && a.integer == b.integer
        && std::bit_cast<quint64>(a.real) == std::bit_cast<quint64>(b.real) && a.bytes == b.bytes;
}

QJsonDocument parseJson(const QByteArray &json)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    QSQLD_FUZZ_CHECK(pe.error == QJsonParseError::NoError);
    return doc;
}

void checkValue(const Value &v)
{
    if (v.type == Value::Type::Float && !std::isfinite(v.real))
        return; // JSON has no NaN or infinity (written as null, as serde_json does)
    util::JsonWriter w;
    writeValue(w, v);
    util::JsonDocument doc;
    Value back;
    QByteArray error;
    QSQLD_FUZZ_CHECK(doc.parse(w.buffer(), &error) && decodeValue(doc.root(), &back, &error));
    QSQLD_FUZZ_CHECK(sameValue(v, back));
}

void checkStmt(const Stmt &s)
{
    for (const Value &v : s.args)
        checkValue(v);
    for (const NamedArg &a : s.namedArgs)
        checkValue(a.value);
}

void checkBatch(const Batch &b)
{
    for (const BatchStep &step : b.steps)
        checkStmt(step.stmt);
}

// Any bytes as a JSON string: valid JSON, and unchanged when they are valid UTF-8.
void checkWriterString(const QByteArray &bytes)
{
    util::JsonWriter w;
    w.beginArray();
    w.string(bytes);
    w.endArray();
    const QJsonDocument doc = parseJson(w.buffer());
    QSQLD_FUZZ_CHECK(doc.isArray() && doc.array().at(0).isString());
    if (QUtf8StringView(bytes.constData(), bytes.size()).isValidUtf8())
        QSQLD_FUZZ_CHECK(doc.array().at(0).toString().toUtf8() == bytes);
}

void checkFloat(double v)
{
    if (!std::isfinite(v))
        return;
    bool ok = false;
    const double back = util::formatFloat(v).toDouble(&ok);
    QSQLD_FUZZ_CHECK(ok && std::bit_cast<quint64>(back) == std::bit_cast<quint64>(v));
}

// The same JSON value, read by util::JsonDocument and by Qt.
bool sameJson(const util::JsonValue &ours, const QJsonValue &qt)
{
    using Type = util::JsonValue::Type;
    switch (ours.type()) {
    case Type::Undefined:
        return false;
    case Type::Null:
        return qt.isNull();
    case Type::Bool:
        return qt.isBool() && qt.toBool() == ours.toBool();
    case Type::Number:
        return qt.isDouble() && qt.toDouble() == ours.toDouble();
    case Type::String:
        return qt.isString() && qt.toString().toUtf8() == ours.toByteArray();
    case Type::Array: {
        const QJsonArray arr = qt.toArray();
        if (!qt.isArray() || size_t(arr.size()) != ours.array().size())
            return false;
        for (size_t i = 0; i < ours.array().size(); ++i) {
            if (!sameJson(ours.array()[i], arr.at(qsizetype(i))))
                return false;
        }
        return true;
    }
    case Type::Object: {
        if (!qt.isObject())
            return false;
        const QJsonObject obj = qt.toObject();
        for (const auto &m : ours.members()) {
            // Compare through lookups, so that repeated keys resolve the same way on both sides (the last wins).
            const QString key = QString::fromUtf8(m.key.data(), qsizetype(m.key.size()));
            if (!obj.contains(key) || !sameJson(ours.value(m.key), obj.value(key)))
                return false;
        }
        return true;
    }
    }
    return false;
}

// The run of number-like characters (digits, sign, dot, exponent) around `offset`.
QByteArray numberTokenAt(const QByteArray &body, qsizetype offset)
{
    const auto inNumber = [&body](qsizetype i) {
        return i >= 0 && i < body.size()
            && (std::isdigit(static_cast<unsigned char>(body[i])) || body[i] == '-' || body[i] == '+' || body[i] == '.'
                || body[i] == 'e' || body[i] == 'E');
    };
    qsizetype from = offset, to = offset;
    while (inNumber(from - 1))
        --from;
    while (inNumber(to))
        ++to;
    return body.mid(from, to - from);
}

void checkReader(const QByteArray &body)
{
    util::JsonDocument ours;
    QByteArray error;
    const bool accepted = ours.parse(body, &error);
    QJsonParseError pe;
    const QJsonDocument qt = QJsonDocument::fromJson(body, &pe);
    const bool qtAccepted = pe.error == QJsonParseError::NoError;
    if (accepted) {
        QSQLD_FUZZ_CHECK(error.isEmpty());
        if (!ours.root().isObject() && !ours.root().isArray()) {
            // Qt reads only objects and arrays at the top.
        } else if (!qtAccepted) { // Qt refuses numbers below the smallest double, which we read as zero (as serde_json)
            QSQLD_FUZZ_CHECK(pe.error == QJsonParseError::IllegalNumber);
            const QByteArray number = numberTokenAt(body, pe.offset);
            util::JsonDocument one;
            QSQLD_FUZZ_CHECK(one.parse("[" + number + "]", &error) && one.root().array().size() == 1
                             && one.root().array()[0].toDouble(1) == 0);
            QSQLD_FUZZ_CHECK(number.contains('e') || number.contains('E'));
        } else {
            QSQLD_FUZZ_CHECK(sameJson(ours.root(), qt.isObject() ? QJsonValue(qt.object()) : QJsonValue(qt.array())));
        }
    } else {
        const qsizetype at = error.indexOf(" at offset ");
        QSQLD_FUZZ_CHECK(at > 0);
        if (qtAccepted) { // what Qt takes and we refuse on purpose
            // Qt also takes malformed numbers (".5", "+1", "01", "1."): the refusal is then inside a number-like
            // token that is not a JSON number.
            const qsizetype offset = error.mid(at + 11).toLongLong();
            static const std::regex jsonNumber("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
            const std::string token = numberTokenAt(body, offset).toStdString();
            const bool badNumber = !token.empty() && !std::regex_match(token, jsonNumber);
            QSQLD_FUZZ_CHECK(badNumber || error.startsWith("invalid UTF-8") || error.startsWith("lone surrogate")
                             || error.startsWith("number out of range") || error.startsWith("nested too deeply")
                             // Qt takes raw control characters in strings and unknown escapes ("\ "); serde_json does not
                             || error.startsWith("control character") || error.startsWith("invalid escape sequence"));
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body = fuzz::bytes(data, size);
    const auto version = static_cast<Version>(1 + size % 3);

    const auto pipeline = decodePipeline(body, version);
    if (const auto *req = std::get_if<PipelineRequest>(&pipeline)) {
        for (const StreamRequest &r : req->requests) {
            checkStmt(r.stmt);
            checkBatch(r.batch);
        }
    }
    const auto cursor = decodeCursor(body);
    if (const auto *req = std::get_if<CursorRequest>(&cursor))
        checkBatch(req->batch);
    const auto execute = decodeV1Execute(body);
    if (const auto *stmt = std::get_if<Stmt>(&execute))
        checkStmt(*stmt);
    const auto batch = decodeV1Batch(body);
    if (const auto *b = std::get_if<Batch>(&batch))
        checkBatch(*b);

    checkReader(body);
    checkWriterString(body);
    if (size >= sizeof(double)) {
        double v = 0;
        std::memcpy(&v, data, sizeof v);
        checkFloat(v);
    }
    return 0;
}
