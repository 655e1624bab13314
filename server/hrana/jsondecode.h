#pragma once

// Decodes Hrana JSON requests into protocol values. Any thread.
// A failure is a protocol error: the text is the whole 400 body sqld would send.

#include "protocol.h"

#include <QByteArray>
#include <QString>

#include <variant>

namespace qsqld::util {
class JsonValue;
}

namespace qsqld::hrana {

struct DecodeError
{
    QByteArray message;
};

template<typename T>
using Decoded = std::variant<T, DecodeError>;

Decoded<PipelineRequest> decodePipeline(const QByteArray &body, Version version);
Decoded<CursorRequest> decodeCursor(const QByteArray &body);
Decoded<Stmt> decodeV1Execute(const QByteArray &body);
Decoded<Batch> decodeV1Batch(const QByteArray &body);

// Building blocks, exposed for the WebSocket protocol. `path` names the position for error texts.
bool decodeStmt(const util::JsonValue &v, Stmt *out, QByteArray *error);
bool decodeBatch(const util::JsonValue &v, Batch *out, Version version, QByteArray *error);

// "<what> is only supported in protocol version hrana<N> and higher" (a protocol error).
QByteArray notSupported(const char *what, Version min);
bool decodeValue(const util::JsonValue &v, Value *out, QByteArray *error);

} // namespace qsqld::hrana
