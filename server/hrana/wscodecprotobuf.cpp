// hrana3-protobuf: one ClientMsg or ServerMsg per binary frame (wire reference: section 10 of sqld-http-api.md).

#include "protobufdetail.h"
#include "wscodec.h"

#include "hrana_ws.pb.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>

namespace qsqld::hrana {

namespace {

using namespace detail;
namespace pbws = ::hrana::ws;
using T = WsRequest::Type;

constexpr quint32 LENGTH_DELIMITED = 2;

// Field numbers of ServerMsg and ResponseOkMsg.
constexpr quint32 SERVER_RESPONSE_OK = 3;
constexpr quint32 SERVER_RESPONSE_ERROR = 4;
constexpr quint32 RESPONSE_REQUEST_ID = 1;
constexpr quint32 RESPONSE_ERROR_ERROR = 2;

// The `request`/`response` oneof member of RequestMsg and ResponseOkMsg for each type.
quint32 wsField(T type)
{
    return static_cast<quint32>(type) + 2; // open_stream = 2 ... get_autocommit = 13, in WsRequest::Type order
}

// hrana.http.StreamResponse members (close = 1 ... get_autocommit = 8) as ResponseOkMsg members.
std::optional<quint32> wsFieldOfHttpResponse(quint32 httpField)
{
    static constexpr T BY_HTTP_FIELD[] = {T::CloseStream, T::Execute, T::Batch, T::Sequence,
                                          T::Describe, T::StoreSql, T::CloseSql, T::GetAutocommit};
    if (httpField < 1 || httpField > std::size(BY_HTTP_FIELD))
        return std::nullopt;
    return wsField(BY_HTTP_FIELD[httpField - 1]);
}

void putVarint(QByteArray &out, quint64 v)
{
    while (v >= 0x80) {
        out.append(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.append(static_cast<char>(v));
}

void putField(QByteArray &out, quint32 field, const QByteArray &payload)
{
    putVarint(out, (field << 3) | LENGTH_DELIMITED);
    putVarint(out, static_cast<quint64>(payload.size()));
    out.append(payload);
}

void putRequestId(QByteArray &out, qint32 requestId)
{
    if (requestId != 0) { // proto3: a default value is left out
        putVarint(out, RESPONSE_REQUEST_ID << 3);
        putVarint(out, static_cast<quint64>(static_cast<qint64>(requestId))); // int32: negatives sign-extend
    }
}

QByteArray serverMsg(quint32 field, const QByteArray &payload)
{
    QByteArray out;
    out.reserve(payload.size() + 8);
    putField(out, field, payload);
    return out;
}

QByteArray responseOk(qint32 requestId, quint32 responseField, const QByteArray &response)
{
    QByteArray ok;
    ok.reserve(response.size() + 16);
    putRequestId(ok, requestId);
    putField(ok, responseField, response);
    return serverMsg(SERVER_RESPONSE_OK, ok);
}

// Reads the first length-delimited field of `message`; false if it has none.
bool firstField(const QByteArray &message, quint32 *field, QByteArray *payload)
{
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t *>(message.constData()),
                                              static_cast<int>(message.size()));
    const quint32 tag = in.ReadTag();
    quint32 size = 0;
    std::string bytes;
    if ((tag & 7) != LENGTH_DELIMITED || !in.ReadVarint32(&size) || !in.ReadString(&bytes, static_cast<int>(size)))
        return false;
    *field = tag >> 3;
    *payload = fromStd(bytes);
    return true;
}

template<typename SqlReq>
void sqlRef(const SqlReq &in, WsRequest &out)
{
    out.streamId = in.stream_id();
    if (in.has_sql())
        out.sql = fromStd(in.sql());
    if (in.has_sql_id())
        out.sqlId = in.sql_id();
}

// Returns an error text, or an empty array on success.
QByteArray toRequest(const pbws::RequestMsg &in, WsRequest &out)
{
    QByteArray error;
    switch (in.request_case()) {
    case pbws::RequestMsg::kOpenStream:
        out.type = T::OpenStream;
        out.streamId = in.open_stream().stream_id();
        break;
    case pbws::RequestMsg::kCloseStream:
        out.type = T::CloseStream;
        out.streamId = in.close_stream().stream_id();
        break;
    case pbws::RequestMsg::kExecute:
        out.type = T::Execute;
        out.streamId = in.execute().stream_id();
        toStmt(in.execute().stmt(), &out.stmt, &error);
        break;
    case pbws::RequestMsg::kBatch:
        out.type = T::Batch;
        out.streamId = in.batch().stream_id();
        toBatch(in.batch().batch(), &out.batch, &error);
        break;
    case pbws::RequestMsg::kOpenCursor:
        out.type = T::OpenCursor;
        out.streamId = in.open_cursor().stream_id();
        out.cursorId = in.open_cursor().cursor_id();
        toBatch(in.open_cursor().batch(), &out.batch, &error);
        break;
    case pbws::RequestMsg::kCloseCursor:
        out.type = T::CloseCursor;
        out.cursorId = in.close_cursor().cursor_id();
        break;
    case pbws::RequestMsg::kFetchCursor:
        out.type = T::FetchCursor;
        out.cursorId = in.fetch_cursor().cursor_id();
        out.maxCount = in.fetch_cursor().max_count();
        break;
    case pbws::RequestMsg::kSequence:
        out.type = T::Sequence;
        sqlRef(in.sequence(), out);
        break;
    case pbws::RequestMsg::kDescribe:
        out.type = T::Describe;
        sqlRef(in.describe(), out);
        break;
    case pbws::RequestMsg::kStoreSql:
        out.type = T::StoreSql; // plain proto3 scalars: absent reads as 0 and ""
        out.sqlId = in.store_sql().sql_id();
        out.sql = fromStd(in.store_sql().sql());
        break;
    case pbws::RequestMsg::kCloseSql:
        out.type = T::CloseSql;
        out.sqlId = in.close_sql().sql_id();
        break;
    case pbws::RequestMsg::kGetAutocommit:
        out.type = T::GetAutocommit;
        out.streamId = in.get_autocommit().stream_id();
        break;
    case pbws::RequestMsg::REQUEST_NOT_SET:
        break;
    }
    return error;
}

class ProtobufCodec final : public WsCodec
{
public:
    bool binaryFrames() const override { return true; }
    Encoding resultEncoding() const override { return Encoding::Protobuf; }

    std::variant<WsClientMsg, WsDecodeError> decode(const QByteArray &frame, Version) const override
    {
        google::protobuf::Arena arena;
        auto *msg = google::protobuf::Arena::CreateMessage<pbws::ClientMsg>(&arena);
        QByteArray error;
        if (!parseBody(*msg, frame, &error))
            return WsDecodeError{WsDecodeError::Kind::Malformed, error};
        WsClientMsg out;
        switch (msg->msg_case()) {
        case pbws::ClientMsg::kHello:
            if (msg->hello().has_jwt())
                out.jwt = fromStd(msg->hello().jwt());
            return out;
        case pbws::ClientMsg::kRequest:
            break;
        case pbws::ClientMsg::MSG_NOT_SET:
            return WsDecodeError{WsDecodeError::Kind::Unrecognized, "ClientMsg type not recognized"};
        }
        out.kind = WsClientMsg::Kind::Request;
        out.requestId = msg->request().request_id();
        if (msg->request().request_case() == pbws::RequestMsg::REQUEST_NOT_SET)
            return WsDecodeError{WsDecodeError::Kind::Unrecognized, "Request type not recognized"};
        error = toRequest(msg->request(), out.request);
        if (!error.isEmpty()) // "Value type not recognized", "BatchCond type not recognized"
            return WsDecodeError{WsDecodeError::Kind::Malformed, error};
        return out;
    }

    QByteArray helloOk() const override
    {
        pbws::ServerMsg msg;
        msg.mutable_hello_ok();
        QByteArray out;
        appendMessage(out, msg, false);
        return out;
    }
    QByteArray helloError(const Error &e) const override
    {
        pbws::ServerMsg msg;
        fillError(msg.mutable_hello_error()->mutable_error(), e);
        QByteArray out;
        appendMessage(out, msg, false);
        return out;
    }
    QByteArray emptyResponse(qint32 requestId, WsRequest::Type type) const override
    {
        return responseOk(requestId, wsField(type), {});
    }
    QByteArray responseError(qint32 requestId, const Error &e) const override
    {
        pb::Error error;
        fillError(&error, e);
        QByteArray payload;
        appendMessage(payload, error, false);
        return errorMsg(requestId, payload);
    }
    QByteArray streamResult(qint32 requestId, const QByteArray &result) const override
    {
        // hrana.http.StreamResult {1 ok: StreamResponse, 2 error: Error}. The response bodies of the HTTP and
        // WebSocket messages have the same fields, so only the oneof member number changes.
        quint32 field = 0;
        QByteArray payload;
        if (!firstField(result, &field, &payload))
            return {};
        if (field == 2)
            return errorMsg(requestId, payload);
        quint32 responseField = 0;
        QByteArray response;
        if (field != 1 || !firstField(payload, &responseField, &response))
            return {};
        const auto wsResponseField = wsFieldOfHttpResponse(responseField);
        return wsResponseField ? responseOk(requestId, *wsResponseField, response) : QByteArray();
    }

    std::vector<QByteArray> splitCursorEntries(const QByteArray &encoded) const override
    {
        // Length-delimited CursorEntry messages; each element keeps its length prefix.
        std::vector<QByteArray> entries;
        google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t *>(encoded.constData()),
                                                  static_cast<int>(encoded.size()));
        quint32 size = 0;
        while (!in.ExpectAtEnd()) {
            const int start = in.CurrentPosition();
            if (!in.ReadVarint32(&size) || !in.Skip(static_cast<int>(size)))
                break;
            entries.push_back(encoded.sliced(start, in.CurrentPosition() - start));
        }
        return entries;
    }
    QByteArray fetchCursor(qint32 requestId, const QByteArray *entries, qsizetype count, bool done) const override
    {
        // FetchCursorResp {1 entries: repeated CursorEntry, 2 done: bool}
        QByteArray resp;
        for (qsizetype i = 0; i < count; ++i) {
            putVarint(resp, (1u << 3) | LENGTH_DELIMITED);
            resp.append(entries[i]); // already length-prefixed
        }
        if (done) {
            putVarint(resp, 2u << 3);
            putVarint(resp, 1);
        }
        return responseOk(requestId, wsField(T::FetchCursor), resp);
    }

private:
    static QByteArray errorMsg(qint32 requestId, const QByteArray &error)
    {
        QByteArray body;
        putRequestId(body, requestId);
        putField(body, RESPONSE_ERROR_ERROR, error);
        return serverMsg(SERVER_RESPONSE_ERROR, body);
    }
};

} // namespace

std::unique_ptr<WsCodec> makeWsProtobufCodec()
{
    return std::make_unique<ProtobufCodec>();
}

} // namespace qsqld::hrana
