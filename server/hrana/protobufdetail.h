#pragma once

// Building blocks of the protobuf codecs (protobufcodec.cpp for HTTP, wscodecprotobuf.cpp for WebSocket).
// Internal: only those two files include it, as it pulls in the generated libprotobuf classes.

#include "protocol.h"

#include "hrana.pb.h"
#include "hrana_http.pb.h"

#include <QByteArray>

#include <string>

namespace qsqld::hrana::detail {

namespace pb = ::hrana;
namespace pbhttp = ::hrana::http;

// Parses `body` into `msg`; on failure `error` is sqld's "Could not decode client message from Protobuf: ..."
bool parseBody(google::protobuf::MessageLite &msg, const QByteArray &body, QByteArray *error);
QByteArray fromStd(const std::string &s);
bool toStmt(const pb::Stmt &in, Stmt *out, QByteArray *error);
bool toBatch(const pb::Batch &in, Batch *out, QByteArray *error);

void setUtf8(std::string *dst, const QByteArray &src); // invalid UTF-8 becomes U+FFFD
void fillError(pb::Error *out, const Error &e);
// Appends `msg` to `out`, after its field tag (if `tag` is not 0) and its length (if `delimited`).
void appendMessage(QByteArray &out, const google::protobuf::MessageLite &msg, bool delimited, quint32 tag = 0);

} // namespace qsqld::hrana::detail
