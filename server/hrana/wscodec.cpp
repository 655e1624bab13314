#include "wscodec.h"

#include "jsondecode.h"
#include "jsonencode.h"
#include "util/jsonreader.h"
#include "util/jsonwriter.h"

#include <string_view>

namespace qsqld::hrana {

namespace {

using T = WsRequest::Type;

constexpr quint32 DEFAULT_FETCH = 100;

const char *typeName(T type)
{
    switch (type) {
    case T::OpenStream: return "open_stream";
    case T::CloseStream: return "close_stream";
    case T::Execute: return "execute";
    case T::Batch: return "batch";
    case T::OpenCursor: return "open_cursor";
    case T::CloseCursor: return "close_cursor";
    case T::FetchCursor: return "fetch_cursor";
    case T::Sequence: return "sequence";
    case T::Describe: return "describe";
    case T::StoreSql: return "store_sql";
    case T::CloseSql: return "close_sql";
    case T::GetAutocommit: return "get_autocommit";
    }
    return "";
}

std::optional<T> typeFromName(std::string_view name)
{
    for (int i = 0; i <= static_cast<int>(T::GetAutocommit); ++i) {
        if (name == typeName(static_cast<T>(i)))
            return static_cast<T>(i);
    }
    return std::nullopt;
}

// hrana1, hrana2 and hrana3: one JSON object per text frame.
class JsonCodec final : public WsCodec
{
public:
    bool binaryFrames() const override { return false; }
    Encoding resultEncoding() const override { return Encoding::Json; }

    std::variant<WsClientMsg, WsDecodeError> decode(const QByteArray &frame, Version version) const override
    {
        util::JsonDocument doc;
        QByteArray problem;
        if (!doc.parse(frame, &problem) || !doc.root().isObject())
            return malformed("Cannot deserialize client message from JSON: "
                             + (problem.isEmpty() ? QByteArray("expected a JSON object") : problem));
        const util::JsonValue &msg = doc.root();
        const std::string_view type = msg.value("type").string();
        WsClientMsg out;
        if (type == "hello") {
            const util::JsonValue &jwt = msg.value("jwt");
            if (jwt.isString())
                out.jwt = jwt.toByteArray();
            return out;
        }
        if (type != "request")
            return WsDecodeError{WsDecodeError::Kind::Unrecognized, "ClientMsg type not recognized"};
        out.kind = WsClientMsg::Kind::Request;
        out.requestId = msg.value("request_id").toInt();
        const util::JsonValue &req = msg.value("request");
        const auto requestType = typeFromName(req.value("type").string());
        if (!requestType)
            return WsDecodeError{WsDecodeError::Kind::Unrecognized, "Request type not recognized"};
        WsRequest &r = out.request;
        r.type = *requestType;
        r.streamId = req.value("stream_id").toInt();
        r.cursorId = req.value("cursor_id").toInt();
        r.maxCount = static_cast<quint32>(
            std::max(0, req.value("max_count").toInt(static_cast<int>(DEFAULT_FETCH))));
        const util::JsonValue &sql = req.value("sql");
        if (sql.isString())
            r.sql = sql.toByteArray();
        const util::JsonValue &sqlId = req.value("sql_id");
        if (sqlId.isDouble())
            r.sqlId = sqlId.toInt();
        QByteArray error;
        if (r.type == T::Execute && !decodeStmt(req.value("stmt"), &r.stmt, &error))
            return malformed(error);
        if ((r.type == T::Batch || r.type == T::OpenCursor)
            && !decodeBatch(req.value("batch"), &r.batch, version, &error))
            return malformed(error);
        return out;
    }

    QByteArray helloOk() const override { return QByteArrayLiteral("{\"type\":\"hello_ok\"}"); }
    QByteArray helloError(const Error &e) const override
    {
        util::JsonWriter w;
        w.beginObject();
        w.key("type"); w.string("hello_error");
        w.key("error"); writeError(w, e);
        w.endObject();
        return w.take();
    }
    QByteArray emptyResponse(qint32 requestId, WsRequest::Type type) const override
    {
        return ok(requestId, "{\"type\":\"" + QByteArray(typeName(type)) + "\"}");
    }
    QByteArray responseError(qint32 requestId, const Error &e) const override
    {
        return error(requestId, errorJson(e));
    }
    QByteArray streamResult(qint32 requestId, const QByteArray &result) const override
    {
        // The engine writes `{"type":"ok","response":R}` or `{"type":"error","error":E}`.
        static const QByteArray OK = "{\"type\":\"ok\",\"response\":";
        static const QByteArray ERR = "{\"type\":\"error\",\"error\":";
        if (result.startsWith(OK) && result.endsWith('}'))
            return ok(requestId, result.sliced(OK.size(), result.size() - OK.size() - 1));
        if (result.startsWith(ERR) && result.endsWith('}'))
            return error(requestId, result.sliced(ERR.size(), result.size() - ERR.size() - 1));
        return {};
    }

    std::vector<QByteArray> splitCursorEntries(const QByteArray &encoded) const override
    {
        std::vector<QByteArray> entries;
        for (const QByteArray &line : encoded.split('\n')) {
            if (!line.isEmpty())
                entries.push_back(line);
        }
        return entries;
    }
    QByteArray fetchCursor(qint32 requestId, const QByteArray *entries, qsizetype count, bool done) const override
    {
        QByteArray body = "{\"type\":\"fetch_cursor\",\"entries\":[";
        for (qsizetype i = 0; i < count; ++i) {
            if (i)
                body += ',';
            body += entries[i];
        }
        body += "],\"done\":";
        body += done ? "true}" : "false}";
        return ok(requestId, body);
    }

private:
    static WsDecodeError malformed(QByteArray message) { return {WsDecodeError::Kind::Malformed, std::move(message)}; }
    static QByteArray ok(qint32 requestId, const QByteArray &response)
    {
        return "{\"type\":\"response_ok\",\"request_id\":" + QByteArray::number(requestId) + ",\"response\":" + response
            + "}";
    }
    static QByteArray error(qint32 requestId, const QByteArray &errorJson)
    {
        return "{\"type\":\"response_error\",\"request_id\":" + QByteArray::number(requestId) + ",\"error\":"
            + errorJson + "}";
    }
};

} // namespace

std::unique_ptr<WsCodec> makeWsCodec(bool protobuf)
{
    if (protobuf)
        return makeWsProtobufCodec();
    return std::make_unique<JsonCodec>();
}

} // namespace qsqld::hrana
