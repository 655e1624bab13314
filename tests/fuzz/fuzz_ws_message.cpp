// Fuzz target: WebSocket client messages (server/hrana/wscodec.h), one frame decoded by the JSON codec (hrana1-3 text
// frames) and by the protobuf codec (hrana3-protobuf binary frames). The answers built from a decoded message must
// carry its request id back; the protobuf codec's helpers that re-frame the engine's encoded results must keep them
// intact.

#include <cstdint>
#include <memory>
#include <string>

#include <QJsonDocument>
#include <QJsonObject>

#include "hrana_http.pb.h"
#include "hrana_ws.pb.h"

#include "fuzzsupport.h"
#include "hrana/wscodec.h"

using namespace qsqld;
using namespace qsqld::hrana;

namespace {

QJsonObject parseJsonObject(const QByteArray &json)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    QSQLD_FUZZ_CHECK(pe.error == QJsonParseError::NoError && doc.isObject());
    return doc.object();
}

::hrana::ws::ServerMsg parseServerMsg(const QByteArray &bytes)
{
    ::hrana::ws::ServerMsg msg;
    QSQLD_FUZZ_CHECK(msg.ParseFromArray(bytes.constData(), static_cast<int>(bytes.size())));
    return msg;
}

void checkJson(const WsCodec &codec, const QByteArray &frame, Version version)
{
    const auto decoded = codec.decode(frame, version);
    const auto *msg = std::get_if<WsClientMsg>(&decoded);
    if (!msg) {
        QSQLD_FUZZ_CHECK(!std::get<WsDecodeError>(decoded).message.isEmpty());
        return;
    }
    const Error error(msg->jwt.value_or(frame), "FUZZ");
    QSQLD_FUZZ_CHECK(parseJsonObject(codec.helloError(error)).value(QLatin1StringView("type")).toString()
                     == u"hello_error");
    if (msg->kind != WsClientMsg::Kind::Request)
        return;
    const QJsonObject ok = parseJsonObject(codec.emptyResponse(msg->requestId, msg->request.type));
    QSQLD_FUZZ_CHECK(ok.value(QLatin1StringView("request_id")).toInteger() == msg->requestId);
    const QJsonObject failed = parseJsonObject(codec.responseError(msg->requestId, error));
    QSQLD_FUZZ_CHECK(failed.value(QLatin1StringView("request_id")).toInteger() == msg->requestId);
}

void checkProtobuf(const WsCodec &codec, const QByteArray &frame, Version version)
{
    const auto decoded = codec.decode(frame, version);
    if (const auto *msg = std::get_if<WsClientMsg>(&decoded)) {
        const Error error(msg->jwt.value_or(frame), "FUZZ");
        QSQLD_FUZZ_CHECK(parseServerMsg(codec.helloError(error)).has_hello_error());
        if (msg->kind == WsClientMsg::Kind::Request) {
            const auto ok = parseServerMsg(codec.emptyResponse(msg->requestId, msg->request.type));
            QSQLD_FUZZ_CHECK(ok.has_response_ok() && ok.response_ok().request_id() == msg->requestId);
            QSQLD_FUZZ_CHECK(ok.response_ok().response_case() == static_cast<int>(msg->request.type) + 2);
            const auto failed = parseServerMsg(codec.responseError(msg->requestId, error));
            QSQLD_FUZZ_CHECK(failed.has_response_error() && failed.response_error().request_id() == msg->requestId);
        }
    } else {
        QSQLD_FUZZ_CHECK(!std::get<WsDecodeError>(decoded).message.isEmpty());
    }

    // The same bytes as the engine's encoded output: a StreamResult to re-frame, and cursor entries to split.
    // Only a well-formed StreamResult as the encoder writes it (canonical bytes) must come out as a ServerMsg.
    ::hrana::http::StreamResult streamResult;
    if (streamResult.ParseFromArray(frame.constData(), static_cast<int>(frame.size()))
        && streamResult.SerializeAsString() == frame.toStdString()
        && (streamResult.has_error() || streamResult.ok().response_case() != 0)) {
        const auto msg = parseServerMsg(codec.streamResult(7, frame));
        QSQLD_FUZZ_CHECK(streamResult.has_error() ? msg.response_error().request_id() == 7
                                                  : msg.response_ok().request_id() == 7);
    }
    qsizetype at = 0;
    for (const QByteArray &entry : codec.splitCursorEntries(frame)) {
        QSQLD_FUZZ_CHECK(!entry.isEmpty() && frame.sliced(at).startsWith(entry));
        at += entry.size();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const std::unique_ptr<WsCodec> json = makeWsCodec(false);
    static const std::unique_ptr<WsCodec> protobuf = makeWsCodec(true);
    const QByteArray frame = fuzz::bytes(data, size);
    const auto version = static_cast<Version>(1 + size % 3);
    checkJson(*json, frame, version);
    checkProtobuf(*protobuf, frame, version);
    return 0;
}
