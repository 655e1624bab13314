#include "jsondecode.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>

namespace qsqld::hrana {

namespace {

constexpr int MAX_COND_DEPTH = 64; // deeper condition trees are refused (no unbounded recursion)

QByteArray deser(const QByteArray &detail)
{
    return "Cannot deserialize client message from JSON: " + detail;
}

bool parseObject(const QByteArray &body, QJsonObject *out, QByteArray *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error = deser(pe.errorString().toUtf8() + " at offset " + QByteArray::number(pe.offset));
        return false;
    }
    if (!doc.isObject()) {
        *error = deser("invalid type: expected a JSON object");
        return false;
    }
    *out = doc.object();
    return true;
}

bool optString(const QJsonObject &o, QLatin1StringView key, std::optional<QByteArray> *out, QByteArray *error)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isString()) {
        *error = deser("invalid type for `" + QByteArray(key.data(), key.size()) + "`, expected a string");
        return false;
    }
    *out = v.toString().toUtf8();
    return true;
}

bool optInt32(const QJsonObject &o, QLatin1StringView key, std::optional<qint32> *out, QByteArray *error)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return true;
    const double d = v.toDouble();
    // Range first: converting a double outside qint32 is undefined behaviour.
    if (!v.isDouble() || !(d >= -2147483648.0 && d <= 2147483647.0)
        || d != static_cast<double>(static_cast<qint32>(d))) {
        *error = deser("invalid value for `" + QByteArray(key.data(), key.size()) + "`, expected a 32-bit integer");
        return false;
    }
    *out = static_cast<qint32>(d);
    return true;
}

bool parseInt64(const QString &s, qint64 *out)
{
    bool ok = false;
    *out = s.toLongLong(&ok, 10);
    return ok && !s.isEmpty() && !s.front().isSpace() && !s.back().isSpace();
}

bool decodeCond(const QJsonValue &v, BatchCond *out, Version version, int depth, QByteArray *error)
{
    if (depth > MAX_COND_DEPTH) {
        *error = deser("batch condition nested too deeply");
        return false;
    }
    if (!v.isObject()) {
        *error = deser("invalid type: expected a batch condition object");
        return false;
    }
    const QJsonObject o = v.toObject();
    const QString type = o.value(QLatin1StringView("type")).toString();
    auto stepOf = [&](quint32 *step) {
        const QJsonValue s = o.value(QLatin1StringView("step"));
        const double d = s.toDouble(-1);
        if (!s.isDouble() || d < 0 || d > 4294967295.0 || d != static_cast<double>(static_cast<quint32>(d))) {
            *error = deser("missing or invalid field `step` in batch condition");
            return false;
        }
        *step = static_cast<quint32>(d);
        return true;
    };
    if (type == u"ok" || type == u"error") {
        out->type = type == u"ok" ? BatchCond::Type::Ok : BatchCond::Type::Error;
        return stepOf(&out->step);
    }
    if (type == u"not") {
        out->type = BatchCond::Type::Not;
        out->conds.resize(1);
        return decodeCond(o.value(QLatin1StringView("cond")), &out->conds[0], version, depth + 1, error);
    }
    if (type == u"and" || type == u"or") {
        out->type = type == u"and" ? BatchCond::Type::And : BatchCond::Type::Or;
        const QJsonValue conds = o.value(QLatin1StringView("conds"));
        if (!conds.isArray()) {
            *error = deser("missing field `conds` in batch condition");
            return false;
        }
        const QJsonArray arr = conds.toArray();
        out->conds.resize(arr.size());
        for (qsizetype i = 0; i < arr.size(); ++i) {
            if (!decodeCond(arr.at(i), &out->conds[i], version, depth + 1, error))
                return false;
        }
        return true;
    }
    if (type == u"is_autocommit") {
        // The protocol version is checked when the batch runs, as sqld does.
        out->type = BatchCond::Type::IsAutocommit;
        return true;
    }
    *error = deser("unknown variant `" + type.toUtf8() + "` of batch condition");
    return false;
}

bool decodeStreamRequest(const QJsonValue &v, StreamRequest *out, Version version, QByteArray *error)
{
    if (!v.isObject()) {
        *error = deser("invalid type: expected a stream request object");
        return false;
    }
    const QJsonObject o = v.toObject();
    const QString type = o.value(QLatin1StringView("type")).toString();
    using T = StreamRequest::Type;
    if (type == u"close") {
        out->type = T::Close;
        return true;
    }
    if (type == u"execute") {
        out->type = T::Execute;
        return decodeStmt(o.value(QLatin1StringView("stmt")), &out->stmt, error);
    }
    if (type == u"batch") {
        out->type = T::Batch;
        return decodeBatch(o.value(QLatin1StringView("batch")), &out->batch, version, error);
    }
    if (type == u"sequence" || type == u"describe") {
        out->type = type == u"sequence" ? T::Sequence : T::Describe;
        return optString(o, QLatin1StringView("sql"), &out->sql, error)
            && optInt32(o, QLatin1StringView("sql_id"), &out->sqlId, error);
    }
    if (type == u"store_sql") {
        out->type = T::StoreSql;
        if (!optString(o, QLatin1StringView("sql"), &out->sql, error)
            || !optInt32(o, QLatin1StringView("sql_id"), &out->sqlId, error))
            return false;
        if (!out->sql || !out->sqlId) {
            *error = deser("missing field `" + QByteArray(out->sql ? "sql_id" : "sql") + "` in store_sql");
            return false;
        }
        return true;
    }
    if (type == u"close_sql") {
        out->type = T::CloseSql;
        if (!optInt32(o, QLatin1StringView("sql_id"), &out->sqlId, error))
            return false;
        if (!out->sqlId) {
            *error = deser("missing field `sql_id` in close_sql");
            return false;
        }
        return true;
    }
    if (type == u"get_autocommit") {
        out->type = T::GetAutocommit; // version checked when it runs, as sqld does
        return true;
    }
    if (type.isEmpty() && !o.contains(QLatin1StringView("type"))) {
        *error = deser("missing field `type`");
        return false;
    }
    *error = deser("unknown variant `" + type.toUtf8() + "` of stream request");
    return false;
}

} // namespace

QByteArray notSupported(const char *what, Version min)
{
    return QByteArray(what) + " is only supported in protocol version hrana" + QByteArray::number(static_cast<int>(min))
        + " and higher";
}

bool decodeValue(const QJsonValue &v, Value *out, QByteArray *error)
{
    if (!v.isObject()) {
        *error = deser("invalid type: expected a value object");
        return false;
    }
    const QJsonObject o = v.toObject();
    const QString type = o.value(QLatin1StringView("type")).toString();
    const QJsonValue val = o.value(QLatin1StringView("value"));
    if (type == u"null") {
        *out = Value();
        return true;
    }
    if (type == u"integer") {
        qint64 i = 0;
        if (!val.isString() || !parseInt64(val.toString(), &i)) {
            *error = deser("invalid integer value: expected a string holding a 64-bit integer");
            return false;
        }
        *out = Value::fromInteger(i);
        return true;
    }
    if (type == u"float") {
        if (!val.isDouble()) {
            *error = deser("invalid float value: expected a number");
            return false;
        }
        *out = Value::fromFloat(val.toDouble());
        return true;
    }
    if (type == u"text") {
        if (!val.isString()) {
            *error = deser("invalid text value: expected a string");
            return false;
        }
        *out = Value::fromText(val.toString().toUtf8());
        return true;
    }
    if (type == u"blob") {
        const QJsonValue b = o.value(QLatin1StringView("base64"));
        if (!b.isString()) {
            *error = deser("invalid blob value: expected a base64 string in `base64`");
            return false;
        }
        QByteArray text = b.toString().toLatin1();
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
    *error = deser("unknown variant `" + type.toUtf8() + "` of value");
    return false;
}

bool decodeStmt(const QJsonValue &v, Stmt *out, QByteArray *error)
{
    if (!v.isObject()) {
        *error = deser("missing or invalid field `stmt`");
        return false;
    }
    const QJsonObject o = v.toObject();
    if (!optString(o, QLatin1StringView("sql"), &out->sql, error)
        || !optInt32(o, QLatin1StringView("sql_id"), &out->sqlId, error))
        return false;
    const QJsonValue args = o.value(QLatin1StringView("args"));
    if (!args.isUndefined()) {
        if (!args.isArray()) {
            *error = deser("invalid type for `args`, expected a sequence");
            return false;
        }
        const QJsonArray arr = args.toArray();
        out->args.resize(arr.size());
        for (qsizetype i = 0; i < arr.size(); ++i) {
            if (!decodeValue(arr.at(i), &out->args[i], error))
                return false;
        }
    }
    const QJsonValue named = o.value(QLatin1StringView("named_args"));
    if (!named.isUndefined()) {
        if (!named.isArray()) {
            *error = deser("invalid type for `named_args`, expected a sequence");
            return false;
        }
        const QJsonArray arr = named.toArray();
        out->namedArgs.resize(arr.size());
        for (qsizetype i = 0; i < arr.size(); ++i) {
            const QJsonObject na = arr.at(i).toObject();
            const QJsonValue name = na.value(QLatin1StringView("name"));
            if (!name.isString()) {
                *error = deser("missing or invalid field `name` in named argument");
                return false;
            }
            out->namedArgs[i].name = name.toString().toUtf8();
            if (!decodeValue(na.value(QLatin1StringView("value")), &out->namedArgs[i].value, error))
                return false;
        }
    }
    const QJsonValue want = o.value(QLatin1StringView("want_rows"));
    if (!want.isUndefined() && !want.isNull()) {
        if (!want.isBool()) {
            *error = deser("invalid type for `want_rows`, expected a boolean");
            return false;
        }
        out->wantRows = want.toBool();
    }
    return true;
}

bool decodeBatch(const QJsonValue &v, Batch *out, Version version, QByteArray *error)
{
    if (!v.isObject() || !v.toObject().value(QLatin1StringView("steps")).isArray()) {
        *error = deser("missing or invalid field `batch.steps`");
        return false;
    }
    const QJsonArray steps = v.toObject().value(QLatin1StringView("steps")).toArray();
    out->steps.resize(steps.size());
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QJsonObject so = steps.at(i).toObject();
        const QJsonValue cond = so.value(QLatin1StringView("condition"));
        if (!cond.isUndefined() && !cond.isNull()) {
            BatchCond c;
            if (!decodeCond(cond, &c, version, 0, error))
                return false;
            out->steps[i].condition = std::move(c);
        }
        if (!decodeStmt(so.value(QLatin1StringView("stmt")), &out->steps[i].stmt, error))
            return false;
    }
    return true;
}

Decoded<PipelineRequest> decodePipeline(const QByteArray &body, Version version)
{
    QJsonObject o;
    QByteArray error;
    if (!parseObject(body, &o, &error))
        return DecodeError{error};
    PipelineRequest req;
    if (!optString(o, QLatin1StringView("baton"), &req.baton, &error))
        return DecodeError{error};
    const QJsonValue requests = o.value(QLatin1StringView("requests"));
    if (!requests.isArray())
        return DecodeError{deser("missing or invalid field `requests`")};
    const QJsonArray arr = requests.toArray();
    req.requests.resize(arr.size());
    for (qsizetype i = 0; i < arr.size(); ++i) {
        if (!decodeStreamRequest(arr.at(i), &req.requests[i], version, &error))
            return DecodeError{error};
    }
    return req;
}

Decoded<CursorRequest> decodeCursor(const QByteArray &body)
{
    QJsonObject o;
    QByteArray error;
    if (!parseObject(body, &o, &error))
        return DecodeError{error};
    CursorRequest req;
    if (!optString(o, QLatin1StringView("baton"), &req.baton, &error)
        || !decodeBatch(o.value(QLatin1StringView("batch")), &req.batch, Version::V3, &error))
        return DecodeError{error};
    return req;
}

Decoded<Stmt> decodeV1Execute(const QByteArray &body)
{
    QJsonObject o;
    QByteArray error;
    Stmt stmt;
    if (!parseObject(body, &o, &error) || !decodeStmt(o.value(QLatin1StringView("stmt")), &stmt, &error))
        return DecodeError{error};
    return stmt;
}

Decoded<Batch> decodeV1Batch(const QByteArray &body)
{
    QJsonObject o;
    QByteArray error;
    Batch batch;
    if (!parseObject(body, &o, &error) || !decodeBatch(o.value(QLatin1StringView("batch")), &batch, Version::V1, &error))
        return DecodeError{error};
    return batch;
}

} // namespace qsqld::hrana
