#include "grpcweb.h"

#include <cstring>

#include <QtEndian>

using namespace Qt::StringLiterals;

namespace qsqld::repl {

namespace {

constexpr quint8 DATA_FLAG = 0x00;
constexpr quint8 TRAILER_FLAG = 0x80;
constexpr quint8 COMPRESSED_BIT = 0x01;

struct FrameHeader
{
    quint8 flags = 0;
    qsizetype length = 0;
};

// The header of the frame starting at `at`; std::nullopt when fewer than five bytes are left.
std::optional<FrameHeader> headerAt(const QByteArray &body, qsizetype at)
{
    if (body.size() - at < GRPC_FRAME_HEADER_SIZE)
        return std::nullopt;
    FrameHeader h;
    h.flags = static_cast<quint8>(body.at(at));
    h.length = static_cast<qsizetype>(qFromBigEndian<quint32>(body.constData() + at + 1));
    return h;
}

void setError(QByteArray *error, QByteArray text)
{
    if (error)
        *error = std::move(text);
}

QByteArray frame(quint8 flags, QByteArrayView payload)
{
    QByteArray out(GRPC_FRAME_HEADER_SIZE + payload.size(), Qt::Uninitialized);
    out[0] = static_cast<char>(flags);
    qToBigEndian<quint32>(static_cast<quint32>(payload.size()), out.data() + 1);
    if (!payload.isEmpty())
        memcpy(out.data() + GRPC_FRAME_HEADER_SIZE, payload.data(), static_cast<size_t>(payload.size()));
    return out;
}

} // namespace

std::optional<QByteArray> decodeUnaryRequest(const QByteArray &body, QByteArray *error)
{
    if (body.isEmpty()) {
        setError(error, "gRPC-web request body is empty; expected one message"_ba);
        return std::nullopt;
    }
    const auto data = headerAt(body, 0);
    if (!data) {
        setError(error, "truncated gRPC-web frame header"_ba);
        return std::nullopt;
    }
    if (data->flags & TRAILER_FLAG) {
        setError(error, "gRPC-web request body has a trailer frame where the message should be"_ba);
        return std::nullopt;
    }
    if (data->flags & COMPRESSED_BIT) {
        setError(error, "compressed gRPC-web messages are not supported (no grpc-encoding was negotiated)"_ba);
        return std::nullopt;
    }
    if (data->flags != 0) {
        setError(error, "unknown gRPC-web frame flags 0x"_ba + QByteArray::number(data->flags, 16));
        return std::nullopt;
    }
    const qsizetype end = GRPC_FRAME_HEADER_SIZE + data->length;
    if (end > body.size()) {
        setError(error,
            "truncated gRPC-web message: header announces "_ba + QByteArray::number(data->length)
                + " bytes, body holds "_ba + QByteArray::number(body.size() - GRPC_FRAME_HEADER_SIZE));
        return std::nullopt;
    }
    if (end < body.size()) {
        // Only a single trailer frame that fills the rest of the body may follow.
        const auto trailer = headerAt(body, end);
        if (!trailer || trailer->flags != TRAILER_FLAG
            || end + GRPC_FRAME_HEADER_SIZE + trailer->length != body.size()) {
            setError(error, "unexpected bytes after the gRPC-web message"_ba);
            return std::nullopt;
        }
    }
    return body.sliced(GRPC_FRAME_HEADER_SIZE, data->length);
}

QByteArray dataFrame(const QByteArray &message)
{
    return frame(DATA_FLAG, message);
}

QByteArray trailerFrame(const GrpcStatus &status)
{
    const QByteArray text = "grpc-status:"_ba + QByteArray::number(status.code) + "\r\ngrpc-message:"_ba
        + percentEncodeGrpcMessage(status.message) + "\r\n"_ba;
    return frame(TRAILER_FLAG, text);
}

QByteArray percentEncodeGrpcMessage(QByteArrayView text)
{
    static constexpr char HEX[] = "0123456789ABCDEF";
    QByteArray out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto b = static_cast<quint8>(c);
        if (b >= 0x20 && b <= 0x7E && b != '%') {
            out.append(c);
        } else {
            out.append('%');
            out.append(HEX[b >> 4]);
            out.append(HEX[b & 0x0F]);
        }
    }
    return out;
}

} // namespace qsqld::repl
