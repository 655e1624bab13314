#pragma once

// How a pipeline's or cursor's results are written: sqld's JSON, or Hrana 3 protobuf. The engine reports each
// result as a value; the encoder appends its bytes as it goes. Worker thread (one encoder per run).

#include "protocol.h"

#include "http/response.h"

#include <QByteArray>

#include <memory>
#include <optional>
#include <vector>

namespace qsqld::hrana {

enum class Encoding { Json, Protobuf };

class ResultEncoder
{
public:
    virtual ~ResultEncoder() = default;

    // One StreamResult per pipeline request.
    virtual void close() = 0;
    virtual void execute(const StmtResult &r) = 0;
    virtual void batch(const BatchResult &r) = 0;
    virtual void sequence() = 0;
    virtual void describe(const DescribeResult &r) = 0;
    virtual void storeSql() = 0;
    virtual void closeSql() = 0;
    virtual void getAutocommit(bool isAutocommit) = 0;
    virtual void error(const Error &e) = 0;

    // Cursor entries.
    virtual void stepBegin(size_t step, const std::vector<Column> &cols) = 0;
    virtual void row(const std::vector<Value> &row) = 0;
    virtual void stepEnd(quint64 affectedRowCount, std::optional<qint64> lastInsertRowid) = 0;
    virtual void stepError(size_t step, const Error &e) = 0;
    virtual void cursorError(const Error &e) = 0;

    virtual http::Response finishPipeline(const std::optional<QByteArray> &baton,
                                          const std::optional<QByteArray> &baseUrl) = 0;
    virtual http::Response finishCursor(const std::optional<QByteArray> &baton,
                                        const std::optional<QByteArray> &baseUrl) = 0;
    // A whole-request STREAM_EXPIRED error in this encoding.
    virtual http::Response streamExpired() = 0;

    // WebSocket: the encoded StreamResults one by one, or all cursor entries as one element (JSON: lines;
    // protobuf: length-delimited CursorEntry messages).
    virtual std::vector<QByteArray> takeResults() = 0;
};

std::unique_ptr<ResultEncoder> makeEncoder(Encoding encoding);

} // namespace qsqld::hrana
