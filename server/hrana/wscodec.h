#pragma once

// Hrana over WebSocket: client messages as values, and the server messages of one subprotocol's encoding
// (JSON text frames for hrana1-3, protobuf binary frames for hrana3-protobuf; sections 9 and 10 of
// sqld-http-api.md). The session logic in runtime/wsgateway.cpp sees only these values and byte strings.
// Any thread; a codec has no state.

#include "protocol.h"
#include "resultencoder.h"

#include <QByteArray>

#include <memory>
#include <optional>
#include <variant>
#include <vector>

namespace qsqld::hrana {

struct WsRequest
{
    enum class Type {
        OpenStream, CloseStream, Execute, Batch, OpenCursor, CloseCursor, FetchCursor,
        Sequence, Describe, StoreSql, CloseSql, GetAutocommit
    };
    Type type = Type::OpenStream;
    qint32 streamId = 0;
    qint32 cursorId = 0;           // OpenCursor, CloseCursor, FetchCursor
    quint32 maxCount = 0;          // FetchCursor
    Stmt stmt;                     // Execute
    Batch batch;                   // Batch, OpenCursor
    std::optional<QByteArray> sql; // Sequence, Describe, StoreSql
    std::optional<qint32> sqlId;   // Sequence, Describe, StoreSql, CloseSql
};

struct WsClientMsg
{
    enum class Kind { Hello, Request };
    Kind kind = Kind::Hello;
    std::optional<QByteArray> jwt; // Hello
    qint32 requestId = 0;          // Request
    WsRequest request;
};

// Why a client message was refused; either way the connection is closed with the message as reason.
struct WsDecodeError
{
    enum class Kind {
        Malformed,    // 1007: not valid JSON/protobuf, or a field of the wrong type
        Unrecognized, // 1008: an unknown message or request type
    };
    Kind kind = Kind::Malformed;
    QByteArray message;
};

class WsCodec
{
public:
    virtual ~WsCodec() = default;

    virtual bool binaryFrames() const = 0;
    // How the engine encodes results for this codec (see streamResult and fetchCursor).
    virtual Encoding resultEncoding() const = 0;

    virtual std::variant<WsClientMsg, WsDecodeError> decode(const QByteArray &frame, Version version) const = 0;

    virtual QByteArray helloOk() const = 0;
    virtual QByteArray helloError(const Error &e) const = 0;
    // response_ok for requests whose response has no fields (open/close stream and cursor, store/close SQL).
    virtual QByteArray emptyResponse(qint32 requestId, WsRequest::Type type) const = 0;
    virtual QByteArray responseError(qint32 requestId, const Error &e) const = 0;
    // response_ok or response_error from one result the engine encoded with resultEncoding()
    // (ResultEncoder::takeResults); empty when the result cannot be read (a bug: the caller closes with 1011).
    virtual QByteArray streamResult(qint32 requestId, const QByteArray &result) const = 0;

    // Cursor entries as the engine encoded them, split into one element per entry.
    virtual std::vector<QByteArray> splitCursorEntries(const QByteArray &encoded) const = 0;
    virtual QByteArray fetchCursor(qint32 requestId, const QByteArray *entries, qsizetype count, bool done) const = 0;
};

// Subprotocol "hrana1", "hrana2", "hrana3" (JSON) or "hrana3-protobuf"; the name is compared without case.
std::unique_ptr<WsCodec> makeWsCodec(bool protobuf);

// Implemented in wscodecprotobuf.cpp, next to libprotobuf.
std::unique_ptr<WsCodec> makeWsProtobufCodec();

} // namespace qsqld::hrana
