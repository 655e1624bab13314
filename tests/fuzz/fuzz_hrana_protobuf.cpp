// Fuzz target: the hrana3-protobuf request decoders (server/hrana/protobufcodec.h) on one HTTP body, decoded as a
// pipeline and as a cursor request. What a request carries goes back out through the response encoders (a statement
// result row, a cursor row, a pipeline body of one result per request) and, read with the generated classes, must
// be what was decoded.

#include <bit>
#include <cstdint>
#include <string>

#include <google/protobuf/io/coded_stream.h>

#include "hrana.pb.h"
#include "hrana_http.pb.h"

#include "fuzzsupport.h"
#include "hrana/protobufcodec.h"

using namespace qsqld;
using namespace qsqld::hrana;

namespace {

QByteArray fromStd(const std::string &s)
{
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

template<typename Message>
bool parse(Message &msg, const QByteArray &bytes)
{
    return msg.ParseFromArray(bytes.constData(), static_cast<int>(bytes.size()));
}

// Decoded text is valid UTF-8 (proto3 strings are checked on parse), so the encoder keeps every value as it is.
bool sameValue(const ::hrana::Value &pb, const Value &v)
{
    switch (pb.value_case()) {
    case ::hrana::Value::kNull:
        return v.type == Value::Type::Null;
    case ::hrana::Value::kInteger:
        return v.type == Value::Type::Integer && v.integer == pb.integer();
    case ::hrana::Value::kFloat:
        return v.type == Value::Type::Float && std::bit_cast<quint64>(v.real) == std::bit_cast<quint64>(pb.float_());
    case ::hrana::Value::kText:
        return v.type == Value::Type::Text && v.bytes == fromStd(pb.text());
    case ::hrana::Value::kBlob:
        return v.type == Value::Type::Blob && v.bytes == fromStd(pb.blob());
    case ::hrana::Value::VALUE_NOT_SET:
        break;
    }
    return false;
}

void checkRow(const ::hrana::Row &pb, const std::vector<Value> &row)
{
    QSQLD_FUZZ_CHECK(pb.values_size() == static_cast<int>(row.size()));
    for (int i = 0; i < pb.values_size(); ++i)
        QSQLD_FUZZ_CHECK(sameValue(pb.values(i), row[static_cast<size_t>(i)]));
}

// The statement's arguments as one result row and as one cursor row.
StmtResult checkStmt(const Stmt &s)
{
    StmtResult r;
    std::vector<Value> &row = r.rows.emplace_back(s.args);
    for (const NamedArg &a : s.namedArgs) {
        row.push_back(a.value);
        r.cols.push_back(Column{ a.name, s.sql });
    }
    ::hrana::StmtResult pb;
    QSQLD_FUZZ_CHECK(parse(pb, encodeStmtResultProto(r)) && pb.rows_size() == 1);
    checkRow(pb.rows(0), row);
    QSQLD_FUZZ_CHECK(pb.cols_size() == static_cast<int>(r.cols.size()));

    // A cursor row: a varint length, then one CursorEntry.
    const QByteArray entry = encodeCursorRowProto(row);
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t *>(entry.constData()),
                                              static_cast<int>(entry.size()));
    quint32 length = 0;
    QSQLD_FUZZ_CHECK(in.ReadVarint32(&length) && in.CurrentPosition() + qsizetype(length) == entry.size());
    ::hrana::CursorEntry pbEntry;
    QSQLD_FUZZ_CHECK(parse(pbEntry, entry.sliced(in.CurrentPosition())) && pbEntry.has_row());
    checkRow(pbEntry.row(), row);
    return r;
}

void checkPipeline(const PipelineRequest &req)
{
    PipelineRespProtoBuilder builder;
    for (const StreamRequest &r : req.requests) {
        switch (r.type) {
        case StreamRequest::Type::Execute:
            builder.addExecute(checkStmt(r.stmt));
            break;
        case StreamRequest::Type::Batch: {
            BatchResult batch;
            for (const BatchStep &step : r.batch.steps)
                batch.stepResults.push_back(checkStmt(step.stmt));
            builder.addBatch(batch);
            break;
        }
        default:
            builder.addError(Error(r.sql.value_or(QByteArray()), "FUZZ"));
            break;
        }
    }
    const int count = builder.resultCount();
    QSQLD_FUZZ_CHECK(count == static_cast<int>(req.requests.size()));
    ::hrana::http::PipelineRespBody pb;
    QSQLD_FUZZ_CHECK(parse(pb, builder.finish(req.baton, req.baton)) && pb.results_size() == count);
    QSQLD_FUZZ_CHECK(pb.has_baton() == req.baton.has_value() && (!req.baton || fromStd(pb.baton()) == *req.baton));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body = fuzz::bytes(data, size);
    const auto pipeline = decodePipelineProto(body);
    if (const auto *req = std::get_if<PipelineRequest>(&pipeline))
        checkPipeline(*req);
    else
        QSQLD_FUZZ_CHECK(!std::get<DecodeError>(pipeline).message.isEmpty());
    const auto cursor = decodeCursorProto(body);
    if (const auto *req = std::get_if<CursorRequest>(&cursor)) {
        for (const BatchStep &step : req->batch.steps)
            checkStmt(step.stmt);
    }
    return 0;
}
