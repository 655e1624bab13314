#pragma once

// Hrana 3 protobuf codec for /v3-protobuf/pipeline and /v3-protobuf/cursor (wire reference: sections 8.3,
// 8.4 and 10 of sqld-http-api.md). Decodes request bodies into protocol values and encodes results as
// bytes. libprotobuf stays behind this header: callers see only protocol.h values and QByteArray.
// Any thread; no shared state apart from libprotobuf's log handler, installed once on first use.

#include "jsondecode.h"
#include "protocol.h"

#include <QByteArray>

#include <optional>
#include <vector>

namespace qsqld::hrana {

// Failures are protocol errors with sqld's texts: "Could not decode client message from Protobuf: <detail>",
// "StreamRequest type not recognized", "Value type not recognized", "BatchCond type not recognized".
// Checks that need context (sql versus sql_id, condition step references, protocol version) are left to
// the caller, as for JSON.
Decoded<PipelineRequest> decodePipelineProto(const QByteArray &body);
Decoded<CursorRequest> decodeCursorProto(const QByteArray &body);

// Single messages, without a length prefix.
QByteArray encodeErrorProto(const Error &e);             // STREAM_EXPIRED body (application/x-protobuf)
QByteArray encodeStmtResultProto(const StmtResult &r);
QByteArray encodeBatchResultProto(const BatchResult &r); // map entries only for steps that have one
QByteArray encodeDescribeResultProto(const DescribeResult &r);

// Builds a PipelineRespBody one StreamResult at a time, so each result can be encoded as soon as it is
// produced and the StmtResult dropped. A value: copy or move it along with a parked run.
class PipelineRespProtoBuilder
{
public:
    void addClose();
    void addExecute(const StmtResult &r);
    void addBatch(const BatchResult &r);
    void addSequence();
    void addDescribe(const DescribeResult &r);
    void addStoreSql();
    void addCloseSql();
    void addGetAutocommit(bool isAutocommit);
    void addError(const Error &e); // a per-request error: StreamResult.error

    int resultCount() const { return m_count; }
    qsizetype size() const { return m_results.size(); } // encoded bytes so far, for response-size limits

    // The whole body: baton and base_url (each written only when set), then the results. Leaves the builder empty.
    QByteArray finish(const std::optional<QByteArray> &baton, const std::optional<QByteArray> &baseUrl);
    // Each StreamResult message on its own (for WebSocket responses). Leaves the builder empty.
    std::vector<QByteArray> takeEach();

private:
    QByteArray m_results; // concatenated `results` fields (tag, length, StreamResult), in order
    int m_count = 0;
};

// Cursor body (application/octet-stream): one CursorRespBody, then CursorEntry messages. Every function
// returns one message prefixed by its length as a varint, ready to be written to the stream.
// (Prepending the byte 0x0A turns such a chunk into one `entries` field of a WebSocket FetchCursorResp.)
QByteArray encodeCursorRespBodyProto(const std::optional<QByteArray> &baton, const std::optional<QByteArray> &baseUrl);
QByteArray encodeCursorStepBeginProto(quint32 step, const std::vector<Column> &cols);
QByteArray encodeCursorRowProto(const std::vector<Value> &row);
QByteArray encodeCursorStepEndProto(quint64 affectedRowCount, std::optional<qint64> lastInsertRowid);
QByteArray encodeCursorStepErrorProto(quint32 step, const Error &e);
QByteArray encodeCursorErrorProto(const Error &e);

} // namespace qsqld::hrana
