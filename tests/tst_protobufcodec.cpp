// Hrana 3 protobuf codec: request decoding (from generated messages and hand-written wire bytes),
// protocol error texts, robustness against garbage, and encoding parsed back with the generated classes.

#include <cmath>
#include <limits>
#include <string>

#include <google/protobuf/io/coded_stream.h>

#include "hrana.pb.h"
#include "hrana_http.pb.h"

#include <QRandomGenerator>
#include <QTest>

#include "hrana/protobufcodec.h"

using namespace qsqld::hrana;
using namespace Qt::StringLiterals;

namespace pb = ::hrana;
namespace pbhttp = ::hrana::http;

namespace {

QByteArray ser(const google::protobuf::MessageLite &m)
{
    const std::string s = m.SerializeAsString();
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

std::string str(const QByteArray &b)
{
    return std::string(b.constData(), static_cast<size_t>(b.size()));
}

template<typename T>
QByteArray errorOf(const Decoded<T> &d)
{
    const auto *e = std::get_if<DecodeError>(&d);
    return e ? e->message : QByteArray();
}

template<typename T>
const char *why(const Decoded<T> &d)
{
    thread_local QByteArray text;
    text = errorOf(d);
    return text.constData();
}

// Splits a cursor body into its length-prefixed messages; false if a prefix or a length is broken.
bool splitDelimited(const QByteArray &body, QList<QByteArray> *out)
{
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t *>(body.constData()),
                                              static_cast<int>(body.size()));
    while (in.CurrentPosition() < body.size()) {
        std::uint32_t len = 0;
        if (!in.ReadVarint32(&len))
            return false;
        std::string msg;
        if (!in.ReadString(&msg, static_cast<int>(len)))
            return false;
        out->append(QByteArray(msg.data(), static_cast<qsizetype>(msg.size())));
    }
    return true;
}

StmtResult sampleResult()
{
    StmtResult r;
    r.cols = {Column{"id"_ba, "INTEGER"_ba}, Column{"count(*)"_ba, std::nullopt}};
    r.rows = {{Value::fromInteger(-1), Value()},
              {Value::fromInteger(std::numeric_limits<qint64>::min()), Value::fromFloat(1.5)},
              {Value::fromText("héllo"_ba), Value::fromBlob(QByteArray("\x00\x01\xff", 3))}};
    r.affectedRowCount = 7;
    r.lastInsertRowid = -42;
    r.rowsRead = 3;
    r.rowsWritten = 2;
    r.queryDurationMs = 0.127;
    return r;
}

// Compares a parsed Value with the protocol value it was encoded from.
bool sameValue(const pb::Value &p, const Value &v)
{
    switch (v.type) {
    case Value::Type::Null:
        return p.has_null();
    case Value::Type::Integer:
        return p.has_integer() && p.integer() == v.integer;
    case Value::Type::Float:
        return p.has_float_() && p.float_() == v.real;
    case Value::Type::Text:
        return p.has_text() && p.text() == str(v.bytes);
    case Value::Type::Blob:
        return p.has_blob() && p.blob() == str(v.bytes);
    }
    return false;
}

bool sameCols(const google::protobuf::RepeatedPtrField<pb::Col> &p, const std::vector<Column> &cols)
{
    if (p.size() != static_cast<int>(cols.size()))
        return false;
    for (int i = 0; i < p.size(); ++i) {
        const Column &c = cols[static_cast<size_t>(i)];
        if (!p[i].has_name() || p[i].name() != str(c.name) || p[i].has_decltype_() != c.decltype_.has_value())
            return false;
        if (c.decltype_ && p[i].decltype_() != str(*c.decltype_))
            return false;
    }
    return true;
}

bool sameStmtResult(const pb::StmtResult &p, const StmtResult &r)
{
    if (!sameCols(p.cols(), r.cols) || p.rows_size() != static_cast<int>(r.rows.size()))
        return false;
    for (int i = 0; i < p.rows_size(); ++i) {
        const auto &row = r.rows[static_cast<size_t>(i)];
        if (p.rows(i).values_size() != static_cast<int>(row.size()))
            return false;
        for (int j = 0; j < p.rows(i).values_size(); ++j) {
            if (!sameValue(p.rows(i).values(j), row[static_cast<size_t>(j)]))
                return false;
        }
    }
    return p.affected_row_count() == r.affectedRowCount && p.has_last_insert_rowid() == r.lastInsertRowid.has_value()
        && (!r.lastInsertRowid || p.last_insert_rowid() == *r.lastInsertRowid) && !p.has_replication_index()
        && p.rows_read() == r.rowsRead && p.rows_written() == r.rowsWritten
        && p.query_duration_ms() == r.queryDurationMs;
}

pb::BatchCond okCond(quint32 step)
{
    pb::BatchCond c;
    c.set_step_ok(step);
    return c;
}

} // namespace

class TestProtobufCodec : public QObject
{
    Q_OBJECT

private slots:
    // decoding
    void decodeEveryRequestType();
    void decodeRawWireBytes_data();
    void decodeRawWireBytes();
    void decodeStmtFields();
    void decodeEveryBatchCond();
    void decodeCursorRequest();
    void decodeProtocolErrors_data();
    void decodeProtocolErrors();
    void decodeGarbage_data();
    void decodeGarbage();
    void fuzzNeverCrashes();
    // encoding
    void encodeStmtResult();
    void encodeStmtResultDefaultsAreOmitted();
    void encodeBatchResultMapsOnlyPresentSteps();
    void encodeDescribeResult();
    void encodeError();
    void encodeInvalidUtf8IsLossy();
    void pipelineResponse();
    void pipelineResponseWithoutBaton();
    void cursorBody();
    void cursorEntryExactBytes();
};

void TestProtobufCodec::decodeEveryRequestType()
{
    pbhttp::PipelineReqBody body;
    body.set_baton("b4t0n");
    body.add_requests()->mutable_close();
    body.add_requests()->mutable_execute()->mutable_stmt()->set_sql("SELECT 1");
    body.add_requests()->mutable_batch()->mutable_batch()->add_steps()->mutable_stmt()->set_sql_id(4);
    body.add_requests()->mutable_sequence()->set_sql("CREATE TABLE t(a); INSERT INTO t VALUES (1)");
    body.add_requests()->mutable_describe()->set_sql_id(9);
    auto *store = body.add_requests()->mutable_store_sql();
    store->set_sql_id(3);
    store->set_sql("SELECT ?");
    body.add_requests()->mutable_close_sql()->set_sql_id(3);
    body.add_requests()->mutable_get_autocommit();
    body.add_requests()->mutable_store_sql(); // both fields at their defaults: id 0, empty text

    const auto d = decodePipelineProto(ser(body));
    QVERIFY2(std::holds_alternative<PipelineRequest>(d), why(d));
    const PipelineRequest &req = std::get<PipelineRequest>(d);
    QCOMPARE(req.baton, std::optional<QByteArray>("b4t0n"_ba));
    QCOMPARE(req.requests.size(), size_t(9));
    using T = StreamRequest::Type;
    QCOMPARE(req.requests[0].type, T::Close);
    QCOMPARE(req.requests[1].type, T::Execute);
    QCOMPARE(req.requests[1].stmt.sql, std::optional<QByteArray>("SELECT 1"_ba));
    QCOMPARE(req.requests[1].stmt.sqlId, std::nullopt);
    QCOMPARE(req.requests[2].type, T::Batch);
    QCOMPARE(req.requests[2].batch.steps.size(), size_t(1));
    QCOMPARE(req.requests[2].batch.steps[0].stmt.sqlId, std::optional<qint32>(4));
    QVERIFY(!req.requests[2].batch.steps[0].condition);
    QCOMPARE(req.requests[3].type, T::Sequence);
    QCOMPARE(req.requests[3].sql, std::optional<QByteArray>("CREATE TABLE t(a); INSERT INTO t VALUES (1)"_ba));
    QCOMPARE(req.requests[3].sqlId, std::nullopt);
    QCOMPARE(req.requests[4].type, T::Describe);
    QCOMPARE(req.requests[4].sql, std::nullopt);
    QCOMPARE(req.requests[4].sqlId, std::optional<qint32>(9));
    QCOMPARE(req.requests[5].type, T::StoreSql);
    QCOMPARE(req.requests[5].sqlId, std::optional<qint32>(3));
    QCOMPARE(req.requests[5].sql, std::optional<QByteArray>("SELECT ?"_ba));
    QCOMPARE(req.requests[6].type, T::CloseSql);
    QCOMPARE(req.requests[6].sqlId, std::optional<qint32>(3));
    QCOMPARE(req.requests[7].type, T::GetAutocommit);
    QCOMPARE(req.requests[8].type, T::StoreSql);
    QCOMPARE(req.requests[8].sqlId, std::optional<qint32>(0));
    QCOMPARE(req.requests[8].sql, std::optional<QByteArray>(QByteArray()));
}

void TestProtobufCodec::decodeRawWireBytes_data()
{
    // Bodies written byte by byte from the wire format: PipelineReqBody{2: StreamRequest{2: ExecuteReq{1: Stmt{
    // 1: "x", 3: <value>}}}}, wrapped by rawExecute below. Each row gives the encoded Value and what it decodes to.
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<int>("type");
    QTest::addColumn<qint64>("integer");
    QTest::addColumn<double>("real");
    QTest::addColumn<QByteArray>("bytes");
    using VT = Value::Type;
    QTest::addRow("null is field 1, length 0")
        << QByteArray("\x0a\x00", 2) << int(VT::Null) << qint64(0) << 0.0 << QByteArray();
    QTest::addRow("integer -1 is zigzag 1") << "\x10\x01"_ba << int(VT::Integer) << qint64(-1) << 0.0 << QByteArray();
    QTest::addRow("integer 1 is zigzag 2") << "\x10\x02"_ba << int(VT::Integer) << qint64(1) << 0.0 << QByteArray();
    QTest::addRow("integer 150") << "\x10\xac\x02"_ba << int(VT::Integer) << qint64(150) << 0.0 << QByteArray();
    QTest::addRow("integer min") << "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"_ba << int(VT::Integer)
                                 << std::numeric_limits<qint64>::min() << 0.0 << QByteArray();
    QTest::addRow("integer max") << "\x10\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01"_ba << int(VT::Integer)
                                 << std::numeric_limits<qint64>::max() << 0.0 << QByteArray();
    QTest::addRow("float 1.5") << QByteArray("\x19\x00\x00\x00\x00\x00\x00\xf8\x3f", 9) << int(VT::Float) << qint64(0)
                               << 1.5 << QByteArray();
    QTest::addRow("text") << "\x22\x03h\xc3\xa9"_ba << int(VT::Text) << qint64(0) << 0.0 << "hé"_ba;
    QTest::addRow("empty text") << QByteArray("\x22\x00", 2) << int(VT::Text) << qint64(0) << 0.0 << QByteArray();
    QTest::addRow("blob") << QByteArray("\x2a\x03\x00\x01\xff", 5) << int(VT::Blob) << qint64(0) << 0.0
                          << QByteArray("\x00\x01\xff", 3);
    QTest::addRow("unknown field skipped")
        << "\x10\x01\x78\x05"_ba << int(VT::Integer) << qint64(-1) << 0.0 << QByteArray();
    QTest::addRow("last oneof member wins") << "\x10\x01\x22\x01z"_ba << int(VT::Text) << qint64(0) << 0.0 << "z"_ba;
}

void TestProtobufCodec::decodeRawWireBytes()
{
    QFETCH(QByteArray, value);
    QFETCH(int, type);
    QFETCH(qint64, integer);
    QFETCH(double, real);
    QFETCH(QByteArray, bytes);

    auto wrap = [](char tag, const QByteArray &inner) -> QByteArray {
        return QByteArray(1, tag) + char(inner.size()) + inner;
    };
    const QByteArray stmt = "\x0a\x01x"_ba + wrap('\x1a', value);
    const QByteArray body = "\x0a\x03" "abc"_ba + wrap('\x12', wrap('\x12', wrap('\x0a', stmt)));

    const auto d = decodePipelineProto(body);
    QVERIFY2(std::holds_alternative<PipelineRequest>(d), why(d));
    const PipelineRequest &req = std::get<PipelineRequest>(d);
    QCOMPARE(req.baton, std::optional<QByteArray>("abc"_ba));
    QCOMPARE(req.requests.size(), size_t(1));
    QCOMPARE(req.requests[0].type, StreamRequest::Type::Execute);
    QCOMPARE(req.requests[0].stmt.sql, std::optional<QByteArray>("x"_ba));
    QVERIFY(req.requests[0].stmt.wantRows);
    QCOMPARE(req.requests[0].stmt.args.size(), size_t(1));
    const Value &v = req.requests[0].stmt.args[0];
    QCOMPARE(int(v.type), type);
    QCOMPARE(v.integer, integer);
    QCOMPARE(v.real, real);
    QCOMPARE(v.bytes, bytes);
}

void TestProtobufCodec::decodeStmtFields()
{
    pbhttp::PipelineReqBody body;
    pb::Stmt *stmt = body.add_requests()->mutable_execute()->mutable_stmt();
    stmt->set_sql_id(-5);
    stmt->set_want_rows(false);
    stmt->set_replication_index(17); // accepted and ignored
    auto *named = stmt->add_named_args();
    named->set_name(":a");
    named->mutable_value()->set_text("v");
    auto *named2 = stmt->add_named_args();
    named2->set_name("$b");
    named2->mutable_value()->mutable_null();
    stmt->add_args()->set_float_(-0.25);
    // The same Stmt with want_rows explicitly true, and one with both sql and sql_id (checked by the caller).
    pb::Stmt *both = body.add_requests()->mutable_execute()->mutable_stmt();
    both->set_sql("SELECT 1");
    both->set_sql_id(1);
    both->set_want_rows(true);
    body.add_requests()->mutable_execute(); // no stmt at all: neither sql nor sql_id, rows wanted

    const auto d = decodePipelineProto(ser(body));
    QVERIFY2(std::holds_alternative<PipelineRequest>(d), why(d));
    const PipelineRequest &req = std::get<PipelineRequest>(d);
    QVERIFY(!req.baton);
    const Stmt &s = req.requests[0].stmt;
    QCOMPARE(s.sql, std::nullopt);
    QCOMPARE(s.sqlId, std::optional<qint32>(-5));
    QVERIFY(!s.wantRows);
    QCOMPARE(s.args.size(), size_t(1));
    QCOMPARE(s.args[0].type, Value::Type::Float);
    QCOMPARE(s.args[0].real, -0.25);
    QCOMPARE(s.namedArgs.size(), size_t(2));
    QCOMPARE(s.namedArgs[0].name, ":a"_ba);
    QCOMPARE(s.namedArgs[0].value.type, Value::Type::Text);
    QCOMPARE(s.namedArgs[0].value.bytes, "v"_ba);
    QCOMPARE(s.namedArgs[1].name, "$b"_ba);
    QCOMPARE(s.namedArgs[1].value.type, Value::Type::Null);
    const Stmt &b = req.requests[1].stmt;
    QCOMPARE(b.sql, std::optional<QByteArray>("SELECT 1"_ba));
    QCOMPARE(b.sqlId, std::optional<qint32>(1));
    QVERIFY(b.wantRows);
    const Stmt &none = req.requests[2].stmt;
    QVERIFY(!none.sql && !none.sqlId && none.args.empty() && none.namedArgs.empty() && none.wantRows);
}

void TestProtobufCodec::decodeEveryBatchCond()
{
    pbhttp::CursorReqBody body;
    pb::Batch *batch = body.mutable_batch();
    batch->set_replication_index(3); // ignored
    batch->add_steps()->mutable_stmt()->set_sql("BEGIN");
    *batch->add_steps()->mutable_condition() = okCond(0);
    batch->add_steps()->mutable_condition()->set_step_error(1);
    *batch->add_steps()->mutable_condition()->mutable_not_() = okCond(2);
    auto *andList = batch->add_steps()->mutable_condition()->mutable_and_();
    *andList->add_conds() = okCond(0);
    andList->add_conds()->mutable_is_autocommit();
    batch->add_steps()->mutable_condition()->mutable_or_(); // empty list
    batch->add_steps()->mutable_condition()->mutable_is_autocommit();
    // not(or(and(ok 0), error 1)): nesting
    auto *orList = batch->add_steps()->mutable_condition()->mutable_not_()->mutable_or_();
    *orList->add_conds()->mutable_and_()->add_conds() = okCond(0);
    orList->add_conds()->set_step_error(1);
    batch->add_steps()->mutable_condition()->set_step_ok(0); // step 0 is written as an empty varint field

    const auto d = decodeCursorProto(ser(body));
    QVERIFY2(std::holds_alternative<CursorRequest>(d), why(d));
    const CursorRequest &req = std::get<CursorRequest>(d);
    QVERIFY(!req.baton);
    const auto &steps = req.batch.steps;
    QCOMPARE(steps.size(), size_t(9));
    using CT = BatchCond::Type;
    QVERIFY(!steps[0].condition);
    QCOMPARE(steps[0].stmt.sql, std::optional<QByteArray>("BEGIN"_ba));
    QCOMPARE(steps[1].condition->type, CT::Ok);
    QCOMPARE(steps[1].condition->step, 0u);
    QCOMPARE(steps[2].condition->type, CT::Error);
    QCOMPARE(steps[2].condition->step, 1u);
    QCOMPARE(steps[3].condition->type, CT::Not);
    QCOMPARE(steps[3].condition->conds.size(), size_t(1));
    QCOMPARE(steps[3].condition->conds[0].type, CT::Ok);
    QCOMPARE(steps[3].condition->conds[0].step, 2u);
    QCOMPARE(steps[4].condition->type, CT::And);
    QCOMPARE(steps[4].condition->conds.size(), size_t(2));
    QCOMPARE(steps[4].condition->conds[0].type, CT::Ok);
    QCOMPARE(steps[4].condition->conds[1].type, CT::IsAutocommit);
    QCOMPARE(steps[5].condition->type, CT::Or);
    QVERIFY(steps[5].condition->conds.empty());
    QCOMPARE(steps[6].condition->type, CT::IsAutocommit);
    const BatchCond &n = *steps[7].condition;
    QCOMPARE(n.type, CT::Not);
    QCOMPARE(n.conds[0].type, CT::Or);
    QCOMPARE(n.conds[0].conds.size(), size_t(2));
    QCOMPARE(n.conds[0].conds[0].type, CT::And);
    QCOMPARE(n.conds[0].conds[0].conds[0].type, CT::Ok);
    QCOMPARE(n.conds[0].conds[1].type, CT::Error);
    QCOMPARE(n.conds[0].conds[1].step, 1u);
    QCOMPARE(steps[8].condition->type, CT::Ok);
    QCOMPARE(steps[8].condition->step, 0u);
}

void TestProtobufCodec::decodeCursorRequest()
{
    // CursorReqBody{1: "bt", 2: Batch{1: BatchStep{1: BatchCond{6: {}}, 2: Stmt{1: "SELECT 1"}}}}, by hand.
    const QByteArray stmt = "\x0a\x08SELECT 1"_ba;
    const QByteArray step = QByteArray("\x0a\x02\x32\x00", 4) + "\x12"_ba + char(stmt.size()) + stmt;
    const QByteArray body = "\x0a\x02" "bt\x12"_ba + char(step.size() + 2) + "\x0a"_ba + char(step.size()) + step;
    const auto d = decodeCursorProto(body);
    QVERIFY2(std::holds_alternative<CursorRequest>(d), why(d));
    const CursorRequest &req = std::get<CursorRequest>(d);
    QCOMPARE(req.baton, std::optional<QByteArray>("bt"_ba));
    QCOMPARE(req.batch.steps.size(), size_t(1));
    QCOMPARE(req.batch.steps[0].condition->type, BatchCond::Type::IsAutocommit);
    QCOMPARE(req.batch.steps[0].stmt.sql, std::optional<QByteArray>("SELECT 1"_ba));

    // An empty body is a valid message: no baton, an empty batch.
    const auto empty = decodeCursorProto(QByteArray());
    QVERIFY2(std::holds_alternative<CursorRequest>(empty), why(empty));
    QVERIFY(std::get<CursorRequest>(empty).batch.steps.empty());
    const auto emptyPipeline = decodePipelineProto(QByteArray());
    QVERIFY2(std::holds_alternative<PipelineRequest>(emptyPipeline), why(emptyPipeline));
    QVERIFY(std::get<PipelineRequest>(emptyPipeline).requests.empty());
}

void TestProtobufCodec::decodeProtocolErrors_data()
{
    QTest::addColumn<bool>("cursor");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("error");

    const QByteArray streamReq = "StreamRequest type not recognized"_ba;
    const QByteArray valueType = "Value type not recognized"_ba;
    const QByteArray condType = "BatchCond type not recognized"_ba;

    QTest::addRow("empty StreamRequest") << false << QByteArray("\x12\x00", 2) << streamReq;
    QTest::addRow("StreamRequest with only an unknown field") << false << "\x12\x02\x48\x01"_ba << streamReq;
    QTest::addRow("second request empty") << false << QByteArray("\x12\x02\x0a\x00\x12\x00", 6) << streamReq;

    pbhttp::PipelineReqBody emptyArg;
    emptyArg.add_requests()->mutable_execute()->mutable_stmt()->add_args();
    QTest::addRow("empty Value in args") << false << ser(emptyArg) << valueType;
    pbhttp::PipelineReqBody emptyNamed;
    emptyNamed.add_requests()->mutable_execute()->mutable_stmt()->add_named_args()->set_name(":a");
    QTest::addRow("named arg without value") << false << ser(emptyNamed) << valueType;
    pbhttp::PipelineReqBody batchArg;
    batchArg.add_requests()->mutable_batch()->mutable_batch()->add_steps()->mutable_stmt()->add_args();
    QTest::addRow("empty Value in a batch step") << false << ser(batchArg) << valueType;

    pbhttp::PipelineReqBody emptyCond;
    emptyCond.add_requests()->mutable_batch()->mutable_batch()->add_steps()->mutable_condition();
    QTest::addRow("empty BatchCond") << false << ser(emptyCond) << condType;
    pbhttp::CursorReqBody notEmpty;
    notEmpty.mutable_batch()->add_steps()->mutable_condition()->mutable_not_();
    QTest::addRow("not of an empty BatchCond") << true << ser(notEmpty) << condType;
    pbhttp::CursorReqBody andEmpty;
    auto *list = andEmpty.mutable_batch()->add_steps()->mutable_condition()->mutable_and_();
    *list->add_conds() = okCond(0);
    list->add_conds();
    QTest::addRow("and with an empty BatchCond") << true << ser(andEmpty) << condType;
}

void TestProtobufCodec::decodeProtocolErrors()
{
    QFETCH(bool, cursor);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, error);
    if (cursor)
        QCOMPARE(errorOf(decodeCursorProto(body)), error);
    else
        QCOMPARE(errorOf(decodePipelineProto(body)), error);
}

void TestProtobufCodec::decodeGarbage_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("detail"); // expected inside the message; empty: any detail
    QTest::addColumn<bool>("pipelineOnly"); // built from a PipelineReqBody: as a CursorReqBody it may be valid

    QTest::addRow("wire type 7") << "\x0f"_ba << QByteArray() << false;
    QTest::addRow("field number 0") << QByteArray("\x00\x01", 2) << QByteArray() << false;
    QTest::addRow("truncated varint") << "\x08\xff"_ba << QByteArray() << false;
    QTest::addRow("length beyond the end") << "\x0a\x05" "ab"_ba << QByteArray() << false;
    QTest::addRow("end group without start") << "\x0c"_ba << QByteArray() << false;
    QTest::addRow("text") << "{\"baton\":null,\"requests\":[]}"_ba << QByteArray() << false;

    pbhttp::PipelineReqBody valid;
    valid.set_baton("baton");
    valid.add_requests()->mutable_execute()->mutable_stmt()->set_sql("SELECT 'abcdef'");
    const QByteArray bytes = ser(valid);
    QTest::addRow("truncated inside the sql string") << bytes.left(bytes.size() - 3) << QByteArray() << false;
    QTest::addRow("truncated after the first byte") << bytes.left(1) << QByteArray() << false;

    // proto3 strings must be UTF-8, as in sqld (prost); the detail names the field.
    QTest::addRow("invalid UTF-8 in baton") << "\x0a\x02\xff\xfe"_ba << "ReqBody.baton"_ba << false;
    pbhttp::PipelineReqBody badSql;
    badSql.add_requests()->mutable_execute()->mutable_stmt()->set_sql("ab");
    QByteArray bad = ser(badSql);
    bad[bad.size() - 1] = '\xc3'; // a lead byte with no continuation
    QTest::addRow("invalid UTF-8 in stmt.sql") << bad << "hrana.Stmt.sql"_ba << true;

    // 120 nested `not` conditions: beyond libprotobuf's recursion limit of 100.
    pb::BatchCond deep = okCond(0);
    for (int i = 0; i < 120; ++i) {
        pb::BatchCond outer;
        *outer.mutable_not_() = deep;
        deep = outer;
    }
    pbhttp::PipelineReqBody deepBody;
    *deepBody.add_requests()->mutable_batch()->mutable_batch()->add_steps()->mutable_condition() = deep;
    QTest::addRow("nesting too deep") << ser(deepBody) << QByteArray() << true;
}

void TestProtobufCodec::decodeGarbage()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, detail);
    QFETCH(bool, pipelineOnly);
    const QByteArray prefix = "Could not decode client message from Protobuf: "_ba;
    QList<QByteArray> errors = {errorOf(decodePipelineProto(body))};
    if (!pipelineOnly)
        errors.append(errorOf(decodeCursorProto(body)));
    for (const QByteArray &error : std::as_const(errors)) {
        QVERIFY2(error.startsWith(prefix), error.constData());
        QVERIFY2(error.size() > prefix.size(), "a detail follows the prefix");
        QVERIFY2(!error.contains("bytes' type"), error.constData());
        if (!detail.isEmpty())
            QVERIFY2(error.contains(detail) && error.contains("invalid UTF-8"), error.constData());
    }
}

void TestProtobufCodec::fuzzNeverCrashes()
{
    // Random bytes and mutations of a valid body: every outcome is a value or a protocol error, never a crash.
    pbhttp::PipelineReqBody valid;
    valid.set_baton("baton");
    pb::Stmt *stmt = valid.add_requests()->mutable_execute()->mutable_stmt();
    stmt->set_sql("SELECT ?");
    stmt->add_args()->set_integer(-1);
    stmt->add_args()->mutable_null();
    auto *steps = valid.add_requests()->mutable_batch()->mutable_batch();
    steps->add_steps()->mutable_stmt()->set_sql_id(1);
    *steps->add_steps()->mutable_condition()->mutable_not_() = okCond(0);
    valid.add_requests()->mutable_close();
    const QByteArray seed = ser(valid);

    QRandomGenerator rng(20240611);
    const QByteArray prefix = "Could not decode client message from Protobuf: "_ba;
    const QList<QByteArray> known = {"StreamRequest type not recognized"_ba, "Value type not recognized"_ba,
                                     "BatchCond type not recognized"_ba};
    int decoded = 0;
    for (int i = 0; i < 20000; ++i) {
        QByteArray body;
        if (i % 2 == 0) {
            body.resize(rng.bounded(0, 64));
            for (char &c : body)
                c = static_cast<char>(rng.bounded(256));
        } else {
            body = seed;
            const int edits = rng.bounded(1, 4);
            for (int e = 0; e < edits; ++e)
                body[rng.bounded(int(body.size()))] = static_cast<char>(rng.bounded(256));
            if (rng.bounded(4) == 0)
                body.truncate(rng.bounded(int(body.size())));
        }
        const auto p = decodePipelineProto(body);
        const auto c = decodeCursorProto(body);
        for (const QByteArray &error : {errorOf(p), errorOf(c)}) {
            if (!error.isEmpty() && !error.startsWith(prefix) && !known.contains(error))
                QFAIL(error.constData());
        }
        decoded += std::holds_alternative<PipelineRequest>(p) ? 1 : 0;
    }
    QVERIFY(decoded > 0); // some mutations stay valid messages
}

void TestProtobufCodec::encodeStmtResult()
{
    const StmtResult r = sampleResult();
    pb::StmtResult parsed;
    QVERIFY(parsed.ParseFromString(str(encodeStmtResultProto(r))));
    QVERIFY(sameStmtResult(parsed, r));
    QVERIFY(parsed.rows(0).values(1).has_null());
    QCOMPARE(parsed.rows(1).values(0).integer(), std::numeric_limits<qint64>::min());

    StmtResult noRowid = r;
    noRowid.lastInsertRowid.reset();
    QVERIFY(parsed.ParseFromString(str(encodeStmtResultProto(noRowid))));
    QVERIFY(!parsed.has_last_insert_rowid());
    QVERIFY(sameStmtResult(parsed, noRowid));
}

void TestProtobufCodec::encodeStmtResultDefaultsAreOmitted()
{
    // Default scalars are left out (proto3); an optional field is written when set, even to zero.
    QCOMPARE(encodeStmtResultProto(StmtResult()), QByteArray());
    StmtResult r;
    r.lastInsertRowid = 0;
    QCOMPARE(encodeStmtResultProto(r), QByteArray("\x20\x00", 2));
    r.lastInsertRowid = -1;
    r.affectedRowCount = 1;
    QCOMPARE(encodeStmtResultProto(r), "\x18\x01\x20\x01"_ba); // sint64 -1 is zigzag 1
}

void TestProtobufCodec::encodeBatchResultMapsOnlyPresentSteps()
{
    BatchResult r;
    r.stepResults = {sampleResult(), std::nullopt, StmtResult(), std::nullopt};
    r.stepErrors = {std::nullopt, Error{"SQLite error: boom"_ba, "SQLITE_CONSTRAINT"_ba}, std::nullopt, std::nullopt};
    const QByteArray bytes = encodeBatchResultProto(r);
    QCOMPARE(encodeBatchResultProto(r), bytes); // deterministic

    pb::BatchResult parsed;
    QVERIFY(parsed.ParseFromString(str(bytes)));
    QCOMPARE(parsed.step_results_size(), 2);
    QVERIFY(parsed.step_results().contains(0));
    QVERIFY(parsed.step_results().contains(2));
    QVERIFY(sameStmtResult(parsed.step_results().at(0), *r.stepResults[0]));
    QVERIFY(sameStmtResult(parsed.step_results().at(2), StmtResult()));
    QCOMPARE(parsed.step_errors_size(), 1);
    QVERIFY(parsed.step_errors().contains(1));
    QCOMPARE(parsed.step_errors().at(1).message(), "SQLite error: boom");
    QCOMPARE(parsed.step_errors().at(1).code(), "SQLITE_CONSTRAINT");

    // Only the steps that have one: an all-skipped batch is an empty message.
    BatchResult skipped;
    skipped.stepResults.resize(3);
    skipped.stepErrors.resize(3);
    QCOMPARE(encodeBatchResultProto(skipped), QByteArray());
}

void TestProtobufCodec::encodeDescribeResult()
{
    DescribeResult r;
    r.params = {":id"_ba, std::nullopt, "?3"_ba};
    r.cols = {Column{"id"_ba, "INTEGER"_ba}, Column{"x"_ba, std::nullopt}};
    r.isExplain = false;
    r.isReadonly = true;
    pb::DescribeResult parsed;
    QVERIFY(parsed.ParseFromString(str(encodeDescribeResultProto(r))));
    QCOMPARE(parsed.params_size(), 3);
    QCOMPARE(parsed.params(0).name(), ":id");
    QVERIFY(!parsed.params(1).has_name());
    QCOMPARE(parsed.params(2).name(), "?3");
    QCOMPARE(parsed.cols_size(), 2);
    QCOMPARE(parsed.cols(0).name(), "id");
    QCOMPARE(parsed.cols(0).decltype_(), "INTEGER");
    QVERIFY(parsed.cols(1).name() == "x" && !parsed.cols(1).has_decltype_());
    QVERIFY(!parsed.is_explain());
    QVERIFY(parsed.is_readonly());
}

void TestProtobufCodec::encodeError()
{
    const Error e{"The stream has expired due to inactivity"_ba, "STREAM_EXPIRED"_ba};
    const QByteArray bytes = encodeErrorProto(e);
    QCOMPARE(bytes, QByteArray("\x0a\x28"_ba + e.message + "\x12\x0e"_ba + e.code));
    pb::Error parsed;
    QVERIFY(parsed.ParseFromString(str(bytes)));
    QCOMPARE(parsed.message(), str(e.message));
    QCOMPARE(parsed.code(), str(e.code));
}

void TestProtobufCodec::encodeInvalidUtf8IsLossy()
{
    StmtResult r;
    r.cols = {Column{"a\xff"_ba, std::nullopt}};
    r.rows = {{Value::fromText("x\xc3"_ba), Value::fromBlob("\xff"_ba)}};
    pb::StmtResult parsed;
    QVERIFY(parsed.ParseFromString(str(encodeStmtResultProto(r)))); // would fail on invalid UTF-8
    QCOMPARE(parsed.cols(0).name(), "a\xef\xbf\xbd");
    QCOMPARE(parsed.rows(0).values(0).text(), "x\xef\xbf\xbd");
    QCOMPARE(parsed.rows(0).values(1).blob(), "\xff"); // blobs are bytes, untouched
}

void TestProtobufCodec::pipelineResponse()
{
    BatchResult batch;
    batch.stepResults = {std::nullopt, sampleResult()};
    batch.stepErrors = {Error{"e"_ba, "SQLITE_UNKNOWN"_ba}, std::nullopt};
    DescribeResult describe;
    describe.params = {std::nullopt};
    describe.isExplain = true;

    PipelineRespProtoBuilder b;
    b.addStoreSql();
    b.addExecute(sampleResult());
    b.addError(Error{"SQLite error: UNIQUE constraint failed: users.email"_ba, "SQLITE_CONSTRAINT"_ba});
    b.addBatch(batch);
    b.addSequence();
    b.addDescribe(describe);
    b.addCloseSql();
    b.addGetAutocommit(false);
    b.addGetAutocommit(true);
    b.addClose();
    QCOMPARE(b.resultCount(), 10);
    QVERIFY(b.size() > 0);
    const QByteArray bytes = b.finish("next-baton"_ba, "https://db.example/"_ba);
    QCOMPARE(b.resultCount(), 0);
    QCOMPARE(b.size(), 0);
    // Canonical order: baton first, base_url next, then the results.
    QVERIFY(bytes.startsWith("\x0a\x0anext-baton\x12\x13https://db.example/\x1a"_ba));

    pbhttp::PipelineRespBody parsed;
    QVERIFY(parsed.ParseFromString(str(bytes)));
    QCOMPARE(parsed.baton(), "next-baton");
    QCOMPARE(parsed.base_url(), "https://db.example/");
    QCOMPARE(parsed.results_size(), 10);
    using R = pbhttp::StreamResponse;
    QVERIFY(parsed.results(0).has_ok());
    QCOMPARE(parsed.results(0).ok().response_case(), R::kStoreSql);
    QCOMPARE(parsed.results(1).ok().response_case(), R::kExecute);
    QVERIFY(sameStmtResult(parsed.results(1).ok().execute().result(), sampleResult()));
    QVERIFY(parsed.results(2).has_error());
    QCOMPARE(parsed.results(2).error().message(), "SQLite error: UNIQUE constraint failed: users.email");
    QCOMPARE(parsed.results(2).error().code(), "SQLITE_CONSTRAINT");
    QCOMPARE(parsed.results(3).ok().response_case(), R::kBatch);
    const pb::BatchResult &br = parsed.results(3).ok().batch().result();
    QCOMPARE(br.step_results_size(), 1);
    QVERIFY(sameStmtResult(br.step_results().at(1), sampleResult()));
    QCOMPARE(br.step_errors_size(), 1);
    QCOMPARE(br.step_errors().at(0).code(), "SQLITE_UNKNOWN");
    QCOMPARE(parsed.results(4).ok().response_case(), R::kSequence);
    QCOMPARE(parsed.results(5).ok().response_case(), R::kDescribe);
    const pb::DescribeResult &dr = parsed.results(5).ok().describe().result();
    QVERIFY(dr.params_size() == 1 && !dr.params(0).has_name() && dr.cols_size() == 0);
    QVERIFY(dr.is_explain() && !dr.is_readonly());
    QCOMPARE(parsed.results(6).ok().response_case(), R::kCloseSql);
    QCOMPARE(parsed.results(7).ok().response_case(), R::kGetAutocommit);
    QVERIFY(!parsed.results(7).ok().get_autocommit().is_autocommit());
    QVERIFY(parsed.results(8).ok().get_autocommit().is_autocommit());
    QCOMPARE(parsed.results(9).ok().response_case(), R::kClose);
    // An empty response message is still written (tag plus length 0), so the client sees which one it is.
    QVERIFY(bytes.endsWith(QByteArray("\x1a\x04\x0a\x02\x0a\x00", 6)));
}

void TestProtobufCodec::pipelineResponseWithoutBaton()
{
    PipelineRespProtoBuilder b;
    QCOMPARE(b.finish(std::nullopt, std::nullopt), QByteArray()); // zero requests, no baton: an empty body
    b.addClose();
    const QByteArray bytes = b.finish(std::nullopt, std::nullopt);
    QCOMPARE(bytes, QByteArray("\x1a\x04\x0a\x02\x0a\x00", 6));
    pbhttp::PipelineRespBody parsed;
    QVERIFY(parsed.ParseFromString(str(bytes)));
    QVERIFY(!parsed.has_baton());
    QVERIFY(!parsed.has_base_url());
    QCOMPARE(parsed.results_size(), 1);
    QVERIFY(parsed.results(0).ok().has_close());
    // An empty but present baton is still written.
    QCOMPARE(b.finish(QByteArray(""), std::nullopt), QByteArray("\x0a\x00", 2));
}

void TestProtobufCodec::cursorBody()
{
    const StmtResult r = sampleResult();
    QByteArray body = encodeCursorRespBodyProto("bt"_ba, std::nullopt);
    body += encodeCursorStepBeginProto(0, r.cols);
    for (const auto &row : r.rows)
        body += encodeCursorRowProto(row);
    body += encodeCursorStepEndProto(5, -9);
    body += encodeCursorStepBeginProto(1, {});
    body += encodeCursorStepEndProto(0, std::nullopt);
    body += encodeCursorStepErrorProto(2, Error{"SQL input error: no such table: x (at offset 14)"_ba,
                                                "SQL_INPUT_ERROR"_ba});
    body += encodeCursorErrorProto(Error{"Response is too large"_ba, "RESPONSE_TOO_LARGE"_ba});

    QList<QByteArray> messages;
    QVERIFY(splitDelimited(body, &messages));
    QCOMPARE(messages.size(), 10);

    pbhttp::CursorRespBody head;
    QVERIFY(head.ParseFromString(str(messages[0])));
    QCOMPARE(head.baton(), "bt");
    QVERIFY(!head.has_base_url());

    QList<pb::CursorEntry> entries;
    for (qsizetype i = 1; i < messages.size(); ++i) {
        pb::CursorEntry e;
        QVERIFY(e.ParseFromString(str(messages[i])));
        entries.append(e);
    }
    using E = pb::CursorEntry;
    QCOMPARE(entries[0].entry_case(), E::kStepBegin);
    QCOMPARE(entries[0].step_begin().step(), 0u);
    QVERIFY(sameCols(entries[0].step_begin().cols(), r.cols));
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(entries[1 + i].entry_case(), E::kRow);
        const auto &row = r.rows[static_cast<size_t>(i)];
        QCOMPARE(entries[1 + i].row().values_size(), static_cast<int>(row.size()));
        for (int j = 0; j < entries[1 + i].row().values_size(); ++j)
            QVERIFY(sameValue(entries[1 + i].row().values(j), row[static_cast<size_t>(j)]));
    }
    QCOMPARE(entries[4].entry_case(), E::kStepEnd);
    QCOMPARE(entries[4].step_end().affected_row_count(), 5u);
    QVERIFY(entries[4].step_end().has_last_insert_rowid());
    QCOMPARE(entries[4].step_end().last_insert_rowid(), -9);
    QCOMPARE(entries[5].step_begin().step(), 1u);
    QCOMPARE(entries[5].step_begin().cols_size(), 0);
    QCOMPARE(entries[6].entry_case(), E::kStepEnd); // an empty step_end is still written
    QVERIFY(!entries[6].step_end().has_last_insert_rowid());
    QCOMPARE(entries[7].entry_case(), E::kStepError);
    QCOMPARE(entries[7].step_error().step(), 2u);
    QCOMPARE(entries[7].step_error().error().code(), "SQL_INPUT_ERROR");
    QCOMPARE(entries[8].entry_case(), E::kError);
    QCOMPARE(entries[8].error().message(), "Response is too large");
    QCOMPARE(entries[8].error().code(), "RESPONSE_TOO_LARGE");

    // No baton and no base_url: an empty CursorRespBody is just its zero length.
    QCOMPARE(encodeCursorRespBodyProto(std::nullopt, std::nullopt), QByteArray("\x00", 1));
}

void TestProtobufCodec::cursorEntryExactBytes()
{
    // Written from the wire format by hand: <len> CursorEntry{<field>: ...}.
    QCOMPARE(encodeCursorRowProto({Value::fromInteger(-1)}), "\x06\x22\x04\x0a\x02\x10\x01"_ba);
    QCOMPARE(encodeCursorRowProto({Value()}), QByteArray("\x06\x22\x04\x0a\x02\x0a\x00", 7));
    QCOMPARE(encodeCursorRowProto({}), QByteArray("\x02\x22\x00", 3));
    QCOMPARE(encodeCursorErrorProto(Error{"m"_ba, "c"_ba}), "\x08\x2a\x06\x0a\x01m\x12\x01\x63"_ba);
    QCOMPARE(encodeCursorStepEndProto(0, std::nullopt), QByteArray("\x02\x12\x00", 3));
    QCOMPARE(encodeCursorStepEndProto(2, 1), "\x06\x12\x04\x08\x02\x10\x02"_ba);
    QCOMPARE(encodeCursorStepBeginProto(3, {Column{"n"_ba, std::nullopt}}), "\x09\x0a\x07\x08\x03\x12\x03\x0a\x01n"_ba);
    QCOMPARE(encodeCursorStepErrorProto(1, Error{"m"_ba, "c"_ba}),
             "\x0c\x1a\x0a\x08\x01\x12\x06\x0a\x01m\x12\x01\x63"_ba);
    QCOMPARE(encodeCursorRespBodyProto("ab"_ba, "u"_ba), "\x07\x0a\x02" "ab\x12\x01u"_ba);

    // A length needing two varint bytes: 200 bytes of text.
    const QByteArray text(200, 'x');
    const QByteArray entry = encodeCursorRowProto({Value::fromText(text)});
    // Value: 0x22 0xc8 0x01 + 200 = 203; Row: 0x0a 0xcb 0x01 + 203 = 206; Entry: 0x22 0xce 0x01 + 206 = 209.
    QVERIFY(entry.startsWith("\xd1\x01\x22\xce\x01\x0a\xcb\x01\x22\xc8\x01"_ba));
    QCOMPARE(entry.size(), 2 + 209);
}

QTEST_GUILESS_MAIN(TestProtobufCodec)
#include "tst_protobufcodec.moc"
