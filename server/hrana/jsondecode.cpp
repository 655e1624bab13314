#include "jsondecode.h"

#include "util/jsonreader.h"

#include <charconv>
#include <span>
#include <string_view>

namespace qsqld::hrana {

using util::JsonDocument;
using util::JsonValue;

namespace {

QByteArray bytes(std::string_view s)
{
    return QByteArray(s.data(), qsizetype(s.size()));
}

constexpr int MAX_COND_DEPTH = 64; // deeper condition trees are refused (no unbounded recursion)

QByteArray deser(const QByteArray &detail)
{
    return "Cannot deserialize client message from JSON: " + detail;
}

// Parses `body` into `doc`; its root must be an object.
bool parseObject(const QByteArray &body, JsonDocument &doc, QByteArray *error)
{
    QByteArray problem;
    if (!doc.parse(body, &problem)) {
        *error = deser(problem);
        return false;
    }
    if (!doc.root().isObject()) {
        *error = deser("invalid type: expected a JSON object");
        return false;
    }
    return true;
}

bool optString(const JsonValue &o, std::string_view key, std::optional<QByteArray> *out, QByteArray *error)
{
    const JsonValue &v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isString()) {
        *error = deser("invalid type for `" + bytes(key) + "`, expected a string");
        return false;
    }
    *out = v.toByteArray();
    return true;
}

bool optInt32(const JsonValue &o, std::string_view key, std::optional<qint32> *out, QByteArray *error)
{
    const JsonValue &v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return true;
    const double d = v.toDouble();
    // Range first: converting a double outside qint32 is undefined behaviour.
    if (!v.isDouble() || !(d >= -2147483648.0 && d <= 2147483647.0)
        || d != static_cast<double>(static_cast<qint32>(d))) {
        *error = deser("invalid value for `" + bytes(key) + "`, expected a 32-bit integer");
        return false;
    }
    *out = static_cast<qint32>(d);
    return true;
}

// A decimal 64-bit integer with an optional sign, nothing else (as Rust's i64::from_str).
bool parseInt64(std::string_view s, qint64 *out)
{
    if (s.size() > 1 && s.front() == '+' && s[1] != '-')
        s.remove_prefix(1);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 10);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool decodeCond(const JsonValue &v, BatchCond *out, Version version, int depth, QByteArray *error)
{
    if (depth > MAX_COND_DEPTH) {
        *error = deser("batch condition nested too deeply");
        return false;
    }
    if (!v.isObject()) {
        *error = deser("invalid type: expected a batch condition object");
        return false;
    }
    const std::string_view type = v.value("type").string();
    auto stepOf = [&](quint32 *step) {
        const JsonValue &s = v.value("step");
        const double d = s.toDouble(-1);
        if (!s.isDouble() || d < 0 || d > 4294967295.0 || d != static_cast<double>(static_cast<quint32>(d))) {
            *error = deser("missing or invalid field `step` in batch condition");
            return false;
        }
        *step = static_cast<quint32>(d);
        return true;
    };
    if (type == "ok" || type == "error") {
        out->type = type == "ok" ? BatchCond::Type::Ok : BatchCond::Type::Error;
        return stepOf(&out->step);
    }
    if (type == "not") {
        out->type = BatchCond::Type::Not;
        out->conds.resize(1);
        return decodeCond(v.value("cond"), &out->conds[0], version, depth + 1, error);
    }
    if (type == "and" || type == "or") {
        out->type = type == "and" ? BatchCond::Type::And : BatchCond::Type::Or;
        const JsonValue &conds = v.value("conds");
        if (!conds.isArray()) {
            *error = deser("missing field `conds` in batch condition");
            return false;
        }
        const std::span<const JsonValue> arr = conds.array();
        out->conds.resize(qsizetype(arr.size()));
        for (size_t i = 0; i < arr.size(); ++i) {
            if (!decodeCond(arr[size_t(i)], &out->conds[qsizetype(i)], version, depth + 1, error))
                return false;
        }
        return true;
    }
    if (type == "is_autocommit") {
        // The protocol version is checked when the batch runs, as sqld does.
        out->type = BatchCond::Type::IsAutocommit;
        return true;
    }
    *error = deser("unknown variant `" + bytes(type) + "` of batch condition");
    return false;
}

bool decodeStreamRequest(const JsonValue &v, StreamRequest *out, Version version, QByteArray *error)
{
    if (!v.isObject()) {
        *error = deser("invalid type: expected a stream request object");
        return false;
    }
    const std::string_view type = v.value("type").string();
    using T = StreamRequest::Type;
    if (type == "close") {
        out->type = T::Close;
        return true;
    }
    if (type == "execute") {
        out->type = T::Execute;
        return decodeStmt(v.value("stmt"), &out->stmt, error);
    }
    if (type == "batch") {
        out->type = T::Batch;
        return decodeBatch(v.value("batch"), &out->batch, version, error);
    }
    if (type == "sequence" || type == "describe") {
        out->type = type == "sequence" ? T::Sequence : T::Describe;
        return optString(v, "sql", &out->sql, error)
            && optInt32(v, "sql_id", &out->sqlId, error);
    }
    if (type == "store_sql") {
        out->type = T::StoreSql;
        if (!optString(v, "sql", &out->sql, error)
            || !optInt32(v, "sql_id", &out->sqlId, error))
            return false;
        if (!out->sql || !out->sqlId) {
            *error = deser("missing field `" + QByteArray(out->sql ? "sql_id" : "sql") + "` in store_sql");
            return false;
        }
        return true;
    }
    if (type == "close_sql") {
        out->type = T::CloseSql;
        if (!optInt32(v, "sql_id", &out->sqlId, error))
            return false;
        if (!out->sqlId) {
            *error = deser("missing field `sql_id` in close_sql");
            return false;
        }
        return true;
    }
    if (type == "get_autocommit") {
        out->type = T::GetAutocommit; // version checked when it runs, as sqld does
        return true;
    }
    if (type.empty() && !v.contains("type")) {
        *error = deser("missing field `type`");
        return false;
    }
    *error = deser("unknown variant `" + bytes(type) + "` of stream request");
    return false;
}

} // namespace

QByteArray notSupported(const char *what, Version min)
{
    return QByteArray(what) + " is only supported in protocol version hrana" + QByteArray::number(static_cast<int>(min))
        + " and higher";
}

bool decodeValue(const JsonValue &v, Value *out, QByteArray *error)
{
    if (!v.isObject()) {
        *error = deser("invalid type: expected a value object");
        return false;
    }
    const std::string_view type = v.value("type").string();
    const JsonValue &val = v.value("value");
    if (type == "null") {
        *out = Value();
        return true;
    }
    if (type == "integer") {
        qint64 i = 0;
        if (!val.isString() || !parseInt64(val.string(), &i)) {
            *error = deser("invalid integer value: expected a string holding a 64-bit integer");
            return false;
        }
        *out = Value::fromInteger(i);
        return true;
    }
    if (type == "float") {
        if (!val.isDouble()) {
            *error = deser("invalid float value: expected a number");
            return false;
        }
        *out = Value::fromFloat(val.toDouble());
        return true;
    }
    if (type == "text") {
        if (!val.isString()) {
            *error = deser("invalid text value: expected a string");
            return false;
        }
        *out = Value::fromText(val.toByteArray());
        return true;
    }
    if (type == "blob") {
        const JsonValue &b = v.value("base64");
        if (!b.isString()) {
            *error = deser("invalid blob value: expected a base64 string in `base64`");
            return false;
        }
        QByteArray text = b.toByteArray();
        while (text.endsWith('='))
            text.chop(1);
        auto res = QByteArray::fromBase64Encoding(text, QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!res) {
            *error = deser("invalid blob value: bad base64");
            return false;
        }
        *out = Value::fromBlob(std::move(res.decoded));
        return true;
    }
    *error = deser("unknown variant `" + bytes(type) + "` of value");
    return false;
}

bool decodeStmt(const JsonValue &v, Stmt *out, QByteArray *error)
{
    if (!v.isObject()) {
        *error = deser("missing or invalid field `stmt`");
        return false;
    }
    if (!optString(v, "sql", &out->sql, error)
        || !optInt32(v, "sql_id", &out->sqlId, error))
        return false;
    const JsonValue &args = v.value("args");
    if (!args.isUndefined()) {
        if (!args.isArray()) {
            *error = deser("invalid type for `args`, expected a sequence");
            return false;
        }
        const std::span<const JsonValue> arr = args.array();
        out->args.resize(qsizetype(arr.size()));
        for (size_t i = 0; i < arr.size(); ++i) {
            if (!decodeValue(arr[size_t(i)], &out->args[qsizetype(i)], error))
                return false;
        }
    }
    const JsonValue &named = v.value("named_args");
    if (!named.isUndefined()) {
        if (!named.isArray()) {
            *error = deser("invalid type for `named_args`, expected a sequence");
            return false;
        }
        const std::span<const JsonValue> arr = named.array();
        out->namedArgs.resize(qsizetype(arr.size()));
        for (size_t i = 0; i < arr.size(); ++i) {
            const JsonValue &na = arr[i];
            const JsonValue &name = na.value("name");
            if (!name.isString()) {
                *error = deser("missing or invalid field `name` in named argument");
                return false;
            }
            out->namedArgs[qsizetype(i)].name = name.toByteArray();
            if (!decodeValue(na.value("value"), &out->namedArgs[qsizetype(i)].value, error))
                return false;
        }
    }
    const JsonValue &want = v.value("want_rows");
    if (!want.isUndefined() && !want.isNull()) {
        if (!want.isBool()) {
            *error = deser("invalid type for `want_rows`, expected a boolean");
            return false;
        }
        out->wantRows = want.toBool();
    }
    return true;
}

bool decodeBatch(const JsonValue &v, Batch *out, Version version, QByteArray *error)
{
    const JsonValue &stepsValue = v.value("steps");
    if (!v.isObject() || !stepsValue.isArray()) {
        *error = deser("missing or invalid field `batch.steps`");
        return false;
    }
    const std::span<const JsonValue> steps = stepsValue.array();
    out->steps.resize(qsizetype(steps.size()));
    for (size_t i = 0; i < steps.size(); ++i) {
        const JsonValue &so = steps[i];
        BatchStep &step = out->steps[qsizetype(i)];
        const JsonValue &cond = so.value("condition");
        if (!cond.isUndefined() && !cond.isNull()) {
            BatchCond c;
            if (!decodeCond(cond, &c, version, 0, error))
                return false;
            step.condition = std::move(c);
        }
        if (!decodeStmt(so.value("stmt"), &step.stmt, error))
            return false;
    }
    return true;
}

Decoded<PipelineRequest> decodePipeline(const QByteArray &body, Version version)
{
    JsonDocument doc;
    QByteArray error;
    if (!parseObject(body, doc, &error))
        return DecodeError{error};
    const JsonValue &o = doc.root();
    PipelineRequest req;
    if (!optString(o, "baton", &req.baton, &error))
        return DecodeError{error};
    const JsonValue &requests = o.value("requests");
    if (!requests.isArray())
        return DecodeError{deser("missing or invalid field `requests`")};
    const std::span<const JsonValue> arr = requests.array();
    req.requests.resize(qsizetype(arr.size()));
    for (size_t i = 0; i < arr.size(); ++i) {
        if (!decodeStreamRequest(arr[size_t(i)], &req.requests[qsizetype(i)], version, &error))
            return DecodeError{error};
    }
    return req;
}

Decoded<CursorRequest> decodeCursor(const QByteArray &body)
{
    JsonDocument doc;
    QByteArray error;
    if (!parseObject(body, doc, &error))
        return DecodeError{error};
    const JsonValue &o = doc.root();
    CursorRequest req;
    if (!optString(o, "baton", &req.baton, &error)
        || !decodeBatch(o.value("batch"), &req.batch, Version::V3, &error))
        return DecodeError{error};
    return req;
}

Decoded<Stmt> decodeV1Execute(const QByteArray &body)
{
    JsonDocument doc;
    QByteArray error;
    Stmt stmt;
    if (!parseObject(body, doc, &error) || !decodeStmt(doc.root().value("stmt"), &stmt, &error))
        return DecodeError{error};
    return stmt;
}

Decoded<Batch> decodeV1Batch(const QByteArray &body)
{
    JsonDocument doc;
    QByteArray error;
    Batch batch;
    if (!parseObject(body, doc, &error) || !decodeBatch(doc.root().value("batch"), &batch, Version::V1, &error))
        return DecodeError{error};
    return batch;
}

} // namespace qsqld::hrana
