#include "protobufcodec.h"

#include <climits>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include "protobufdetail.h"

#include <QLoggingCategory>
#include <QString>
#include <QUtf8StringView>

Q_LOGGING_CATEGORY(lcProto, "qsqld.hrana", QtInfoMsg)

namespace qsqld::hrana {

namespace detail {

using google::protobuf::io::CodedOutputStream;

// Wire tag of PipelineRespBody.results (field 3, length-delimited).
constexpr quint32 RESULTS_TAG = (3u << 3) | 2u;

// libprotobuf reports why a parse failed (for example invalid UTF-8 in a string field) only through its log.
// The handler keeps the last message of this thread for the error text, and keeps client-triggered noise
// out of stderr.
thread_local QByteArray t_lastLog;

void protobufLog(google::protobuf::LogLevel level, const char *file, int line, const std::string &message)
{
    t_lastLog = QByteArray::fromStdString(message);
    if (level >= google::protobuf::LOGLEVEL_FATAL)
        qCCritical(lcProto, "libprotobuf %s:%d: %s", file, line, message.c_str());
    else
        qCDebug(lcProto, "libprotobuf %s:%d: %s", file, line, message.c_str());
}

void installLogHandler()
{
    static std::once_flag once;
    std::call_once(once, [] { google::protobuf::SetLogHandler(&protobufLog); });
}

bool parseBody(google::protobuf::MessageLite &msg, const QByteArray &body, QByteArray *error)
{
    installLogHandler();
    t_lastLog.clear();
    if (body.size() <= INT_MAX && msg.ParseFromArray(body.constData(), static_cast<int>(body.size())))
        return true;
    QByteArray detail = t_lastLog.trimmed();
    // libprotobuf's advice to schema authors ("Use the 'bytes' type ...") means nothing to a client.
    const qsizetype advice = detail.indexOf(". Use the ");
    if (advice >= 0)
        detail.truncate(advice);
    if (detail.isEmpty())
        detail = QByteArrayLiteral("invalid or truncated wire data");
    *error = "Could not decode client message from Protobuf: failed to decode Protobuf message: " + detail;
    return false;
}

QByteArray fromStd(const std::string &s)
{
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

// ---- decoding: protobuf messages → protocol values ----

bool toValue(const pb::Value &in, Value *out, QByteArray *error)
{
    switch (in.value_case()) {
    case pb::Value::kNull:
        *out = Value();
        return true;
    case pb::Value::kInteger:
        *out = Value::fromInteger(in.integer());
        return true;
    case pb::Value::kFloat:
        *out = Value::fromFloat(in.float_());
        return true;
    case pb::Value::kText:
        *out = Value::fromText(fromStd(in.text()));
        return true;
    case pb::Value::kBlob:
        *out = Value::fromBlob(fromStd(in.blob()));
        return true;
    case pb::Value::VALUE_NOT_SET:
        break;
    }
    *error = QByteArrayLiteral("Value type not recognized");
    return false;
}

bool toStmt(const pb::Stmt &in, Stmt *out, QByteArray *error)
{
    if (in.has_sql())
        out->sql = fromStd(in.sql());
    if (in.has_sql_id())
        out->sqlId = in.sql_id();
    out->args.resize(static_cast<size_t>(in.args_size()));
    for (int i = 0; i < in.args_size(); ++i) {
        if (!toValue(in.args(i), &out->args[static_cast<size_t>(i)], error))
            return false;
    }
    out->namedArgs.resize(static_cast<size_t>(in.named_args_size()));
    for (int i = 0; i < in.named_args_size(); ++i) {
        NamedArg &arg = out->namedArgs[static_cast<size_t>(i)];
        arg.name = fromStd(in.named_args(i).name());
        if (!toValue(in.named_args(i).value(), &arg.value, error))
            return false;
    }
    out->wantRows = !in.has_want_rows() || in.want_rows(); // absent means true
    return true;
}

// Recursion is bounded by libprotobuf's parse depth limit (100 nested messages, like prost's).
bool toCond(const pb::BatchCond &in, BatchCond *out, QByteArray *error)
{
    auto toList = [&](const pb::CondList &list) {
        out->conds.resize(static_cast<size_t>(list.conds_size()));
        for (int i = 0; i < list.conds_size(); ++i) {
            if (!toCond(list.conds(i), &out->conds[static_cast<size_t>(i)], error))
                return false;
        }
        return true;
    };
    switch (in.cond_case()) {
    case pb::BatchCond::kStepOk:
        out->type = BatchCond::Type::Ok;
        out->step = in.step_ok();
        return true;
    case pb::BatchCond::kStepError:
        out->type = BatchCond::Type::Error;
        out->step = in.step_error();
        return true;
    case pb::BatchCond::kNot:
        out->type = BatchCond::Type::Not;
        out->conds.resize(1);
        return toCond(in.not_(), &out->conds[0], error);
    case pb::BatchCond::kAnd:
        out->type = BatchCond::Type::And;
        return toList(in.and_());
    case pb::BatchCond::kOr:
        out->type = BatchCond::Type::Or;
        return toList(in.or_());
    case pb::BatchCond::kIsAutocommit:
        out->type = BatchCond::Type::IsAutocommit; // the version is checked when the batch runs
        return true;
    case pb::BatchCond::COND_NOT_SET:
        break;
    }
    *error = QByteArrayLiteral("BatchCond type not recognized");
    return false;
}

bool toBatch(const pb::Batch &in, Batch *out, QByteArray *error)
{
    out->steps.resize(static_cast<size_t>(in.steps_size()));
    for (int i = 0; i < in.steps_size(); ++i) {
        const pb::BatchStep &step = in.steps(i);
        BatchStep &dst = out->steps[static_cast<size_t>(i)];
        if (step.has_condition()) {
            BatchCond cond;
            if (!toCond(step.condition(), &cond, error))
                return false;
            dst.condition = std::move(cond);
        }
        if (!toStmt(step.stmt(), &dst.stmt, error))
            return false;
    }
    return true;
}

template<typename SqlReq>
void toSqlRef(const SqlReq &in, StreamRequest *out)
{
    if (in.has_sql())
        out->sql = fromStd(in.sql());
    if (in.has_sql_id())
        out->sqlId = in.sql_id();
}

bool toStreamRequest(const pbhttp::StreamRequest &in, StreamRequest *out, QByteArray *error)
{
    using T = StreamRequest::Type;
    switch (in.request_case()) {
    case pbhttp::StreamRequest::kClose:
        out->type = T::Close;
        return true;
    case pbhttp::StreamRequest::kExecute:
        out->type = T::Execute;
        return toStmt(in.execute().stmt(), &out->stmt, error);
    case pbhttp::StreamRequest::kBatch:
        out->type = T::Batch;
        return toBatch(in.batch().batch(), &out->batch, error);
    case pbhttp::StreamRequest::kSequence:
        out->type = T::Sequence;
        toSqlRef(in.sequence(), out);
        return true;
    case pbhttp::StreamRequest::kDescribe:
        out->type = T::Describe;
        toSqlRef(in.describe(), out);
        return true;
    case pbhttp::StreamRequest::kStoreSql:
        // Both fields are plain proto3 scalars: absent reads as 0 and "", as in sqld.
        out->type = T::StoreSql;
        out->sqlId = in.store_sql().sql_id();
        out->sql = fromStd(in.store_sql().sql());
        return true;
    case pbhttp::StreamRequest::kCloseSql:
        out->type = T::CloseSql;
        out->sqlId = in.close_sql().sql_id();
        return true;
    case pbhttp::StreamRequest::kGetAutocommit:
        out->type = T::GetAutocommit; // the version is checked when it runs
        return true;
    case pbhttp::StreamRequest::REQUEST_NOT_SET:
        break;
    }
    *error = QByteArrayLiteral("StreamRequest type not recognized");
    return false;
}

// ---- encoding: protocol values → protobuf messages ----

// proto3 strings must be UTF-8 (libprotobuf complains on serialize, clients fail to parse). SQLite can hold
// invalid UTF-8 in TEXT; it becomes U+FFFD, as in the JSON encoder.
void setUtf8(std::string *dst, const QByteArray &src)
{
    if (QUtf8StringView(src.constData(), src.size()).isValidUtf8()) {
        dst->assign(src.constData(), static_cast<size_t>(src.size()));
    } else {
        const QByteArray lossy = QString::fromUtf8(src).toUtf8();
        dst->assign(lossy.constData(), static_cast<size_t>(lossy.size()));
    }
}

void fillValue(pb::Value *out, const Value &v)
{
    switch (v.type) {
    case Value::Type::Null:
        out->mutable_null();
        break;
    case Value::Type::Integer:
        out->set_integer(v.integer);
        break;
    case Value::Type::Float:
        out->set_float_(v.real);
        break;
    case Value::Type::Text:
        setUtf8(out->mutable_text(), v.bytes);
        break;
    case Value::Type::Blob:
        out->mutable_blob()->assign(v.bytes.constData(), static_cast<size_t>(v.bytes.size()));
        break;
    }
}

void fillRow(pb::Row *out, const std::vector<Value> &row)
{
    out->mutable_values()->Reserve(static_cast<int>(row.size()));
    for (const Value &v : row)
        fillValue(out->add_values(), v);
}

void fillCols(google::protobuf::RepeatedPtrField<pb::Col> *out, const std::vector<Column> &cols)
{
    out->Reserve(static_cast<int>(cols.size()));
    for (const Column &c : cols) {
        pb::Col *col = out->Add();
        setUtf8(col->mutable_name(), c.name);
        if (c.decltype_)
            setUtf8(col->mutable_decltype_(), *c.decltype_);
    }
}

void fillError(pb::Error *out, const Error &e)
{
    setUtf8(out->mutable_message(), e.message);
    setUtf8(out->mutable_code(), e.code);
}

void fillStmtResult(pb::StmtResult *out, const StmtResult &r)
{
    fillCols(out->mutable_cols(), r.cols);
    out->mutable_rows()->Reserve(static_cast<int>(r.rows.size()));
    for (const auto &row : r.rows)
        fillRow(out->add_rows(), row);
    out->set_affected_row_count(r.affectedRowCount);
    if (r.lastInsertRowid)
        out->set_last_insert_rowid(*r.lastInsertRowid);
    // replication_index stays unset: qsqld has no replication log.
    out->set_rows_read(r.rowsRead);
    out->set_rows_written(r.rowsWritten);
    out->set_query_duration_ms(r.queryDurationMs);
}

void fillBatchResult(pb::BatchResult *out, const BatchResult &r)
{
    for (size_t i = 0; i < r.stepResults.size(); ++i) {
        if (r.stepResults[i])
            fillStmtResult(&(*out->mutable_step_results())[static_cast<quint32>(i)], *r.stepResults[i]);
    }
    for (size_t i = 0; i < r.stepErrors.size(); ++i) {
        if (r.stepErrors[i])
            fillError(&(*out->mutable_step_errors())[static_cast<quint32>(i)], *r.stepErrors[i]);
    }
}

void fillDescribeResult(pb::DescribeResult *out, const DescribeResult &r)
{
    for (const auto &param : r.params) {
        pb::DescribeParam *p = out->add_params();
        if (param)
            setUtf8(p->mutable_name(), *param);
    }
    for (const Column &c : r.cols) {
        pb::DescribeCol *col = out->add_cols();
        setUtf8(col->mutable_name(), c.name);
        if (c.decltype_)
            setUtf8(col->mutable_decltype_(), *c.decltype_);
    }
    out->set_is_explain(r.isExplain);
    out->set_is_readonly(r.isReadonly);
}

// Appends `msg` to `out`, after its field tag (if `tag` is not 0) and its length (if `delimited`).
// Serialization is deterministic (map entries sorted by step), so equal values give equal bytes.
// Callers keep messages below 2 GiB (the response-size limit is far lower); libprotobuf cannot go beyond.
void appendMessage(QByteArray &out, const google::protobuf::MessageLite &msg, bool delimited, quint32 tag)
{
    const size_t size = msg.ByteSizeLong();
    if (size > static_cast<size_t>(INT_MAX)) {
        qCCritical(lcProto, "protobuf message of %zu bytes is too large to encode", size);
        return;
    }
    std::uint8_t head[10]; // two varint32s of at most 5 bytes each
    std::uint8_t *end = head;
    if (tag != 0)
        end = CodedOutputStream::WriteVarint32ToArray(tag, end);
    if (delimited)
        end = CodedOutputStream::WriteVarint32ToArray(static_cast<quint32>(size), end);
    const qsizetype headSize = end - head;
    const qsizetype start = out.size();
    out.resize(start + headSize + static_cast<qsizetype>(size));
    std::memcpy(out.data() + start, head, static_cast<size_t>(headSize));

    google::protobuf::io::ArrayOutputStream stream(out.data() + start + headSize, static_cast<int>(size));
    CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    msg.SerializeWithCachedSizes(&coded);
    Q_ASSERT(!coded.HadError() && coded.ByteCount() == static_cast<int>(size));
}

QByteArray bare(const google::protobuf::MessageLite &msg)
{
    QByteArray out;
    appendMessage(out, msg, false);
    return out;
}

QByteArray delimited(const google::protobuf::MessageLite &msg)
{
    QByteArray out;
    appendMessage(out, msg, true);
    return out;
}

template<typename Fill>
QByteArray cursorEntry(Fill fill)
{
    google::protobuf::Arena arena;
    auto *entry = google::protobuf::Arena::CreateMessage<pb::CursorEntry>(&arena);
    fill(entry);
    return delimited(*entry);
}

} // namespace detail

using namespace detail;

// ---- public decoding ----

Decoded<PipelineRequest> decodePipelineProto(const QByteArray &body)
{
    google::protobuf::Arena arena;
    auto *msg = google::protobuf::Arena::CreateMessage<pbhttp::PipelineReqBody>(&arena);
    QByteArray error;
    if (!parseBody(*msg, body, &error))
        return DecodeError{error};
    PipelineRequest req;
    if (msg->has_baton())
        req.baton = fromStd(msg->baton());
    req.requests.resize(static_cast<size_t>(msg->requests_size()));
    for (int i = 0; i < msg->requests_size(); ++i) {
        if (!toStreamRequest(msg->requests(i), &req.requests[static_cast<size_t>(i)], &error))
            return DecodeError{error};
    }
    return req;
}

Decoded<CursorRequest> decodeCursorProto(const QByteArray &body)
{
    google::protobuf::Arena arena;
    auto *msg = google::protobuf::Arena::CreateMessage<pbhttp::CursorReqBody>(&arena);
    QByteArray error;
    if (!parseBody(*msg, body, &error))
        return DecodeError{error};
    CursorRequest req;
    if (msg->has_baton())
        req.baton = fromStd(msg->baton());
    if (!toBatch(msg->batch(), &req.batch, &error))
        return DecodeError{error};
    return req;
}

// ---- public encoding: single messages ----

QByteArray encodeErrorProto(const Error &e)
{
    pb::Error msg;
    fillError(&msg, e);
    return bare(msg);
}

QByteArray encodeStmtResultProto(const StmtResult &r)
{
    google::protobuf::Arena arena;
    auto *msg = google::protobuf::Arena::CreateMessage<pb::StmtResult>(&arena);
    fillStmtResult(msg, r);
    return bare(*msg);
}

QByteArray encodeBatchResultProto(const BatchResult &r)
{
    google::protobuf::Arena arena;
    auto *msg = google::protobuf::Arena::CreateMessage<pb::BatchResult>(&arena);
    fillBatchResult(msg, r);
    return bare(*msg);
}

QByteArray encodeDescribeResultProto(const DescribeResult &r)
{
    pb::DescribeResult msg;
    fillDescribeResult(&msg, r);
    return bare(msg);
}

// ---- pipeline response ----

namespace {

// Encodes one StreamResult as a `results` field of PipelineRespBody and appends it.
template<typename Fill>
void appendResult(QByteArray &out, Fill fill)
{
    google::protobuf::Arena arena;
    auto *result = google::protobuf::Arena::CreateMessage<pbhttp::StreamResult>(&arena);
    fill(result);
    appendMessage(out, *result, true, RESULTS_TAG);
}

} // namespace

void PipelineRespProtoBuilder::addClose()
{
    appendResult(m_results, [](pbhttp::StreamResult *r) { r->mutable_ok()->mutable_close(); });
    ++m_count;
}

void PipelineRespProtoBuilder::addExecute(const StmtResult &res)
{
    appendResult(m_results, [&res](pbhttp::StreamResult *r) {
        fillStmtResult(r->mutable_ok()->mutable_execute()->mutable_result(), res);
    });
    ++m_count;
}

void PipelineRespProtoBuilder::addBatch(const BatchResult &res)
{
    appendResult(m_results, [&res](pbhttp::StreamResult *r) {
        fillBatchResult(r->mutable_ok()->mutable_batch()->mutable_result(), res);
    });
    ++m_count;
}

void PipelineRespProtoBuilder::addSequence()
{
    appendResult(m_results, [](pbhttp::StreamResult *r) { r->mutable_ok()->mutable_sequence(); });
    ++m_count;
}

void PipelineRespProtoBuilder::addDescribe(const DescribeResult &res)
{
    appendResult(m_results, [&res](pbhttp::StreamResult *r) {
        fillDescribeResult(r->mutable_ok()->mutable_describe()->mutable_result(), res);
    });
    ++m_count;
}

void PipelineRespProtoBuilder::addStoreSql()
{
    appendResult(m_results, [](pbhttp::StreamResult *r) { r->mutable_ok()->mutable_store_sql(); });
    ++m_count;
}

void PipelineRespProtoBuilder::addCloseSql()
{
    appendResult(m_results, [](pbhttp::StreamResult *r) { r->mutable_ok()->mutable_close_sql(); });
    ++m_count;
}

void PipelineRespProtoBuilder::addGetAutocommit(bool isAutocommit)
{
    appendResult(m_results, [isAutocommit](pbhttp::StreamResult *r) {
        r->mutable_ok()->mutable_get_autocommit()->set_is_autocommit(isAutocommit);
    });
    ++m_count;
}

void PipelineRespProtoBuilder::addError(const Error &e)
{
    appendResult(m_results, [&e](pbhttp::StreamResult *r) { fillError(r->mutable_error(), e); });
    ++m_count;
}

QByteArray PipelineRespProtoBuilder::finish(const std::optional<QByteArray> &baton,
                                            const std::optional<QByteArray> &baseUrl)
{
    // Fields 1 and 2 first, then the already encoded field-3 entries: the canonical field order.
    pbhttp::PipelineRespBody head;
    if (baton)
        setUtf8(head.mutable_baton(), *baton);
    if (baseUrl)
        setUtf8(head.mutable_base_url(), *baseUrl);
    QByteArray out;
    out.reserve(static_cast<qsizetype>(head.ByteSizeLong()) + m_results.size());
    appendMessage(out, head, false);
    out.append(m_results);
    m_results.clear();
    m_count = 0;
    return out;
}

std::vector<QByteArray> PipelineRespProtoBuilder::takeEach()
{
    std::vector<QByteArray> each;
    each.reserve(static_cast<size_t>(m_count));
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t *>(m_results.constData()),
                                              static_cast<int>(m_results.size()));
    quint32 size = 0;
    std::string message;
    while (in.ReadTag() == RESULTS_TAG && in.ReadVarint32(&size) && in.ReadString(&message, static_cast<int>(size)))
        each.push_back(fromStd(message));
    Q_ASSERT(each.size() == static_cast<size_t>(m_count));
    m_results.clear();
    m_count = 0;
    return each;
}

// ---- cursor body ----

QByteArray encodeCursorRespBodyProto(const std::optional<QByteArray> &baton, const std::optional<QByteArray> &baseUrl)
{
    pbhttp::CursorRespBody msg;
    if (baton)
        setUtf8(msg.mutable_baton(), *baton);
    if (baseUrl)
        setUtf8(msg.mutable_base_url(), *baseUrl);
    return delimited(msg);
}

QByteArray encodeCursorStepBeginProto(quint32 step, const std::vector<Column> &cols)
{
    return cursorEntry([&](pb::CursorEntry *e) {
        pb::StepBeginEntry *begin = e->mutable_step_begin();
        begin->set_step(step);
        fillCols(begin->mutable_cols(), cols);
    });
}

QByteArray encodeCursorRowProto(const std::vector<Value> &row)
{
    return cursorEntry([&](pb::CursorEntry *e) { fillRow(e->mutable_row(), row); });
}

QByteArray encodeCursorStepEndProto(quint64 affectedRowCount, std::optional<qint64> lastInsertRowid)
{
    return cursorEntry([&](pb::CursorEntry *e) {
        pb::StepEndEntry *end = e->mutable_step_end();
        end->set_affected_row_count(affectedRowCount);
        if (lastInsertRowid)
            end->set_last_insert_rowid(*lastInsertRowid);
    });
}

QByteArray encodeCursorStepErrorProto(quint32 step, const Error &err)
{
    return cursorEntry([&](pb::CursorEntry *e) {
        pb::StepErrorEntry *se = e->mutable_step_error();
        se->set_step(step);
        fillError(se->mutable_error(), err);
    });
}

QByteArray encodeCursorErrorProto(const Error &err)
{
    return cursorEntry([&](pb::CursorEntry *e) { fillError(e->mutable_error(), err); });
}

} // namespace qsqld::hrana
