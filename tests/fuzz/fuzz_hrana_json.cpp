// Fuzz target: the Hrana JSON request decoders (server/hrana/jsondecode.h) on one HTTP body, decoded as every
// request kind, and the JSON writer the answers go through. Each value a request carries is written back with
// writeValue and must decode to itself; any bytes written as a JSON string must give valid JSON; a double written by
// formatFloat must read back as the same double.

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUtf8StringView>

#include "fuzzsupport.h"
#include "hrana/jsondecode.h"
#include "hrana/jsonencode.h"
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
    const QJsonDocument doc = parseJson(w.buffer());
    Value back;
    QByteArray error;
    QSQLD_FUZZ_CHECK(doc.isObject() && decodeValue(doc.object(), &back, &error));
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

    checkWriterString(body);
    if (size >= sizeof(double)) {
        double v = 0;
        std::memcpy(&v, data, sizeof v);
        checkFloat(v);
    }
    return 0;
}
