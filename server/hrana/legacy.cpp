#include "legacy.h"

#include "util/jsonwriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QVariant>

namespace qsqld::hrana::legacy {

namespace {

bool toValue(const QJsonValue &v, Value *out)
{
    switch (v.type()) {
    case QJsonValue::Null: *out = Value(); return true;
    case QJsonValue::Bool: *out = Value::fromInteger(v.toBool() ? 1 : 0); return true;
    case QJsonValue::Double:
        if (v.toVariant().typeId() == QMetaType::LongLong)
            *out = Value::fromInteger(v.toInteger());
        else
            *out = Value::fromFloat(v.toDouble());
        return true;
    case QJsonValue::String: *out = Value::fromText(v.toString().toUtf8()); return true;
    case QJsonValue::Object: {
        const QJsonObject o = v.toObject();
        const QJsonValue b = o.value(QLatin1StringView("base64"));
        if (o.size() != 1 || !b.isString())
            return false;
        const QByteArray text = b.toString().toLatin1();
        if (text.contains('='))
            return false; // this API wants unpadded base64
        auto res = QByteArray::fromBase64Encoding(text, QByteArray::AbortOnBase64DecodingErrors);
        if (!res)
            return false;
        *out = Value::fromBlob(std::move(res.decoded));
        return true;
    }
    default: return false;
    }
}

http::Response shapeError(const QByteArray &detail)
{
    return http::Response::text(422, "Failed to deserialize the JSON body into the target type: " + detail);
}

} // namespace

std::variant<std::vector<LegacyStatement>, http::Response> decode(const QByteArray &body, const AccessContext &access)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError)
        return http::Response::text(400, "Failed to parse the request body as JSON: " + pe.errorString().toUtf8());
    const QJsonValue stmts = doc.object().value(QLatin1StringView("statements"));
    if (!doc.isObject() || !stmts.isArray())
        return shapeError("missing field `statements`");
    std::vector<LegacyStatement> out;
    int openTxn = 0;
    for (const QJsonValue &item : stmts.toArray()) {
        LegacyStatement st;
        QByteArray text;
        if (item.isString()) {
            text = item.toString().toUtf8();
        } else if (item.isObject()) {
            const QJsonObject o = item.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (it.key() != u"q" && it.key() != u"params")
                    return shapeError("unknown field `" + it.key().toUtf8() + "`");
            }
            if (!o.value(QLatin1StringView("q")).isString())
                return shapeError("missing field `q`");
            text = o.value(QLatin1StringView("q")).toString().toUtf8();
            const QJsonValue params = o.value(QLatin1StringView("params"));
            if (params.isArray()) {
                for (const QJsonValue &p : params.toArray()) {
                    Value v;
                    if (!toValue(p, &v))
                        return shapeError("invalid parameter value");
                    st.stmt.args.push_back(std::move(v));
                }
            } else if (params.isObject()) {
                const QJsonObject named = params.toObject();
                for (auto it = named.begin(); it != named.end(); ++it) {
                    Value v;
                    if (!toValue(it.value(), &v))
                        return shapeError("invalid parameter value");
                    st.stmt.namedArgs.push_back({it.key().toUtf8(), std::move(v)});
                }
            } else if (!params.isUndefined() && !params.isNull()) {
                return shapeError("invalid type for `params`");
            }
        } else {
            return shapeError("a statement must be a string or an object");
        }
        auto analyzed = sql::analyze(text);
        if (auto *err = std::get_if<sql::AnalysisError>(&analyzed))
            return http::Response::error(500, "Internal Error: `" + err->message.toUtf8() + "`");
        auto &list = std::get<QList<sql::StatementInfo>>(analyzed);
        if (list.size() > 1)
            return http::Response::error(400, "Failed to parse query: `found more than one command in a single "
                                              "statement string. It is allowed to issue only one command per string.`");
        if (list.isEmpty())
            return http::Response::error(400, "Failed to parse query: `empty statement`");
        st.info = std::move(list.first());
        if (auto forbidden = forbiddenStatement(st.info, access))
            return http::Response::error(forbidden->status, forbidden->message);
        using C = sql::StatementClass;
        if (st.info.kind == C::Release)
            return http::Response::error(400, "savepoints are not supported in HTTP API, use hrana protocol instead");
        if (st.info.kind == C::TxnBegin || st.info.kind == C::TxnBeginReadOnly)
            ++openTxn;
        if (st.info.kind == C::TxnEnd && openTxn > 0)
            --openTxn;
        out.push_back(std::move(st));
    }
    if (openTxn > 0)
        return http::Response::error(400, "interactive transaction not allowed in HTTP queries");
    return out;
}

BatchState run(PipelineRun &run, Executor &exec)
{
    for (; run.legacyNext < run.legacy.size(); ++run.legacyNext) {
        const LegacyStatement &st = run.legacy[run.legacyNext];
        StmtOutcome out = exec.run(st.info, st.stmt, true);
        if (out.status == StepStatus::Busy && exec.connection().isAutocommit())
            return BatchState::Park;
        util::JsonWriter w;
        w.beginObject();
        if (out.status != StepStatus::Ok) {
            // The raw SQLite text, plus the statement and offset for input errors (sqld's v0 format).
            QByteArray msg = out.error.message;
            if (msg.startsWith("SQLite error: "))
                msg = msg.mid(14);
            else if (out.error.code == "SQL_INPUT_ERROR") {
                const qsizetype at = msg.lastIndexOf(" (at offset ");
                const QByteArray offset = msg.mid(at + 12).chopped(1);
                constexpr qsizetype PREFIX = sizeof("SQL input error: ") - 1;
                msg = msg.mid(PREFIX, at - PREFIX) + " in " + st.info.sql + " at offset " + offset;
            }
            w.key("error");
            w.string(msg);
            w.endObject();
            run.legacyOut.push_back(w.take());
            ++run.legacyNext;
            break;
        }
        w.key("results");
        w.beginObject();
        w.key("columns");
        w.beginArray();
        for (const Column &c : out.result.cols)
            w.string(c.name);
        w.endArray();
        w.key("rows");
        w.beginArray();
        for (const auto &row : out.result.rows) {
            w.beginArray();
            for (const Value &v : row) {
                switch (v.type) {
                case Value::Type::Null: w.null(); break;
                case Value::Type::Integer: w.integer(v.integer); break;
                case Value::Type::Float: w.number(v.real); break;
                case Value::Type::Text: w.string(v.bytes); break;
                case Value::Type::Blob:
                    w.beginObject();
                    w.key("base64");
                    w.string(util::base64NoPad(v.bytes));
                    w.endObject();
                    break;
                }
            }
            w.endArray();
        }
        w.endArray();
        w.key("rows_read");
        w.unsignedInteger(out.result.rowsRead);
        w.key("rows_written");
        w.unsignedInteger(out.result.rowsWritten);
        w.key("query_duration_ms");
        w.number(out.result.queryDurationMs);
        w.endObject();
        w.endObject();
        run.legacyOut.push_back(w.take());
    }
    // If the last statement did not succeed, a hidden ROLLBACK runs (its error is ignored), as sqld.
    if (run.legacyOut.size() < run.legacy.size() || (!run.legacyOut.empty() && run.legacyOut.back().startsWith("{\"error\"")))
        exec.connection().exec("ROLLBACK");
    return BatchState::Done;
}

http::Response encode(const PipelineRun &run)
{
    util::JsonWriter w;
    w.beginArray();
    for (size_t i = 0; i < run.legacy.size(); ++i) {
        if (i < run.legacyOut.size())
            w.raw(run.legacyOut[i]);
        else
            w.null();
    }
    w.endArray();
    return http::Response::json(200, w.take());
}

} // namespace qsqld::hrana::legacy
