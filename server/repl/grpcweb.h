#pragma once

// gRPC-web framing over HTTP/1.1 for the embedded-replica services (wire reference: section 3 of
// replication.md). A body is a sequence of frames: one flag byte, a 4-byte big-endian length, then the
// payload. Flag 0x00 is an uncompressed message, 0x80 a trailer block ("key:value\r\n" lines).
// Pure functions on bytes: any thread, no state.

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace qsqld::repl {

// The gRPC status codes qsqld answers with (the values are fixed by the gRPC spec).
namespace GrpcCode {
inline constexpr int OK = 0;
inline constexpr int INVALID_ARGUMENT = 3;
inline constexpr int PERMISSION_DENIED = 7;
inline constexpr int RESOURCE_EXHAUSTED = 8;
inline constexpr int FAILED_PRECONDITION = 9;
inline constexpr int UNIMPLEMENTED = 12;
inline constexpr int INTERNAL = 13;
inline constexpr int UNAVAILABLE = 14;
inline constexpr int UNAUTHENTICATED = 16;
} // namespace GrpcCode

// A call's outcome as sent in the trailer. The message is raw text; trailerFrame() percent-encodes it.
struct GrpcStatus
{
    int code = GrpcCode::OK;
    QByteArray message;

    bool isOk() const { return code == GrpcCode::OK; }
};

inline constexpr qsizetype GRPC_FRAME_HEADER_SIZE = 5;

// The message of a unary request body: exactly one uncompressed data frame, optionally followed by one
// trailer frame, which is ignored. Returns std::nullopt and sets *error (if given) for an empty or
// truncated body, a compressed message (the client never compresses, and nothing was negotiated), a
// trailer where the message should be, or bytes after the frames. Callers answer INVALID_ARGUMENT.
std::optional<QByteArray> decodeUnaryRequest(const QByteArray &body, QByteArray *error);

// One uncompressed data frame carrying a serialized message.
QByteArray dataFrame(const QByteArray &message);

// The trailer frame that ends every response body:
// 0x80, length, "grpc-status:<code>\r\ngrpc-message:<percent-encoded message>\r\n".
QByteArray trailerFrame(const GrpcStatus &status);

// grpc-message encoding: bytes outside 0x20..0x7E, and '%' itself, become "%XX" (upper-case hex).
// Also right for the value of a "grpc-message" HTTP header in a trailers-only response.
QByteArray percentEncodeGrpcMessage(QByteArrayView text);

} // namespace qsqld::repl
