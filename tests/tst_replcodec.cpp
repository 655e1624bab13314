// Embedded-replica sync, wire level: frame checksums, bincode SQL values, gRPC-web framing, and the
// protobuf messages' bytes (field numbers, presence, oneofs) against the vectors of replication.md.

#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "proxy.pb.h"
#include "wal_log.pb.h"

#include <QTest>

#include "repl/bincode.h"
#include "repl/crc64.h"
#include "repl/frame.h"
#include "repl/grpcweb.h"

using namespace Qt::StringLiterals;
using namespace qsqld::repl;
using qsqld::hrana::Value;

Q_DECLARE_METATYPE(qsqld::hrana::Value)

namespace {

// "0a 9b 20" -> bytes; QByteArray::fromHex skips the spaces.
QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

QByteArray ser(const google::protobuf::MessageLite &m)
{
    const std::string s = m.SerializeAsString();
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

bool parse(google::protobuf::MessageLite &m, const QByteArray &bytes)
{
    return m.ParseFromArray(bytes.constData(), static_cast<int>(bytes.size()));
}

// Exact equality, floats compared bit for bit (so NaN equals itself and -0.0 differs from 0.0).
bool sameValue(const Value &a, const Value &b)
{
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case Value::Type::Null:
        return true;
    case Value::Type::Integer:
        return a.integer == b.integer;
    case Value::Type::Float:
        return std::bit_cast<quint64>(a.real) == std::bit_cast<quint64>(b.real);
    case Value::Type::Text:
    case Value::Type::Blob:
        return a.bytes == b.bytes;
    }
    return false;
}

} // namespace

class TestReplCodec : public QObject
{
    Q_OBJECT

private slots:
    void crcVectors_data();
    void crcVectors();
    void crcChains();

    void frameHeader();

    void bincodeRoundTrip_data();
    void bincodeRoundTrip();
    void bincodeBytes_data();
    void bincodeBytes();
    void bincodeRejects_data();
    void bincodeRejects();

    void grpcDecode_data();
    void grpcDecode();
    void grpcDecodeRejects_data();
    void grpcDecodeRejects();
    void grpcDataFrame();
    void grpcTrailer();
    void grpcPercentEncoding_data();
    void grpcPercentEncoding();

    void walLogHelloRequest();
    void walLogHelloPresence();
    void walLogLogOffset();
    void walLogFrames();
    void proxyExecuteResults();
    void proxyQueryResultError();
    void proxyDescribeColumn();
    void proxyProgramReq();
};

void TestReplCodec::crcVectors_data()
{
    QTest::addColumn<quint64>("previous");
    QTest::addColumn<QByteArray>("page");
    QTest::addColumn<quint64>("checksum");

    QTest::addRow("go-iso check value") << ~quint64(0) << "123456789"_ba << quint64(0xB90956C775A41001ULL);
    QTest::addRow("fresh log, check input") << quint64(0) << "123456789"_ba << quint64(0xB95A56C775A41001ULL);
    QTest::addRow("zero page") << quint64(0) << QByteArray(4096, '\x00') << quint64(0xFFFFFFFFFFFFFFFFULL);
    QTest::addRow("page of 07") << quint64(0) << QByteArray(4096, '\x07') << quint64(0x5D6634FD32263632ULL);
    QTest::addRow("page of 09 after 07") << quint64(0x5D6634FD32263632ULL) << QByteArray(4096, '\x09')
                                         << quint64(0xE16DA169A4D0E31CULL);
}

void TestReplCodec::crcVectors()
{
    QFETCH(quint64, previous);
    QFETCH(QByteArray, page);
    QFETCH(quint64, checksum);
    QCOMPARE(frameChecksum(previous, page), checksum);
}

void TestReplCodec::crcChains()
{
    // The second vector's seed is the first frame's checksum: the same chain computed step by step.
    const quint64 first = frameChecksum(0, QByteArray(PAGE_SIZE, '\x07'));
    QCOMPARE(frameChecksum(first, QByteArray(PAGE_SIZE, '\x09')), quint64(0xE16DA169A4D0E31CULL));
    QCOMPARE(frameChecksum(0, {}), ~quint64(0)); // nothing hashed: the seed 0, xored
}

void TestReplCodec::frameHeader()
{
    QCOMPARE(FRAME_HEADER_SIZE, qsizetype(24));
    QCOMPARE(PAGE_SIZE, qsizetype(4096));
    QCOMPARE(FRAME_SIZE, qsizetype(4120));

    FrameHeader h;
    h.frameNo = 0x0102030405060708ULL;
    h.checksum = 0xE16DA169A4D0E31CULL;
    h.pageNo = 7;
    h.sizeAfter = 0x00010002;
    QByteArray bytes(FRAME_HEADER_SIZE, '\xAA');
    h.write(bytes.data());
    QCOMPARE(bytes, hex("0807060504030201 1ce3d0a469a16de1 07000000 02000100"));

    const FrameHeader back = FrameHeader::read(bytes.constData());
    QCOMPARE(back.frameNo, h.frameNo);
    QCOMPARE(back.checksum, h.checksum);
    QCOMPARE(back.pageNo, h.pageNo);
    QCOMPARE(back.sizeAfter, h.sizeAfter);
    QVERIFY(back.isCommit());
    QVERIFY(!FrameHeader().isCommit());
}

void TestReplCodec::bincodeRoundTrip_data()
{
    QTest::addColumn<Value>("value");

    QTest::addRow("null") << Value();
    QTest::addRow("zero") << Value::fromInteger(0);
    QTest::addRow("one") << Value::fromInteger(1);
    QTest::addRow("minus one") << Value::fromInteger(-1);
    QTest::addRow("int64 min") << Value::fromInteger(std::numeric_limits<qint64>::min());
    QTest::addRow("int64 max") << Value::fromInteger(std::numeric_limits<qint64>::max());
    QTest::addRow("float") << Value::fromFloat(7.25);
    QTest::addRow("negative float") << Value::fromFloat(-1e-300);
    QTest::addRow("minus zero") << Value::fromFloat(-0.0);
    QTest::addRow("nan") << Value::fromFloat(std::numeric_limits<double>::quiet_NaN());
    QTest::addRow("inf") << Value::fromFloat(std::numeric_limits<double>::infinity());
    QTest::addRow("-inf") << Value::fromFloat(-std::numeric_limits<double>::infinity());
    QTest::addRow("empty text") << Value::fromText(QByteArray());
    QTest::addRow("ascii text") << Value::fromText("from-replica"_ba);
    QTest::addRow("utf-8 text") << Value::fromText(u"h\u00e9llo \u2713 \U0001D11E"_s.toUtf8());
    QTest::addRow("text with nul") << Value::fromText(QByteArray("a\0b", 3));
    QTest::addRow("empty blob") << Value::fromBlob(QByteArray());
    QTest::addRow("blob") << Value::fromBlob(hex("00 ff 80 c0 ed a0 80"));
    QTest::addRow("large blob") << Value::fromBlob(QByteArray(70000, '\x5A'));
}

void TestReplCodec::bincodeRoundTrip()
{
    QFETCH(Value, value);
    const QByteArray bytes = encodeBincodeValue(value);
    Value back = Value::fromInteger(42);
    QByteArray error;
    QVERIFY2(decodeBincodeValue(bytes, &back, &error), error.constData());
    QVERIFY(sameValue(back, value));
    QVERIFY(error.isEmpty());
}

void TestReplCodec::bincodeBytes_data()
{
    QTest::addColumn<Value>("value");
    QTest::addColumn<QByteArray>("bytes");

    // The first three are the examples observed from the client (replication.md section 9.2).
    QTest::addRow("text from-replica") << Value::fromText("from-replica"_ba)
                                       << hex("03000000 0c00000000000000 66726f6d2d7265706c696361");
    QTest::addRow("real 7.25") << Value::fromFloat(7.25) << hex("02000000 0000000000001d40");
    QTest::addRow("blob 010203") << Value::fromBlob(hex("010203")) << hex("04000000 0300000000000000 010203");
    QTest::addRow("null") << Value() << hex("00000000");
    QTest::addRow("integer 3") << Value::fromInteger(3) << hex("01000000 0300000000000000");
    QTest::addRow("integer -2") << Value::fromInteger(-2) << hex("01000000 feffffffffffffff");
    QTest::addRow("empty text") << Value::fromText(QByteArray()) << hex("03000000 0000000000000000");
    QTest::addRow("empty blob") << Value::fromBlob(QByteArray()) << hex("04000000 0000000000000000");
}

void TestReplCodec::bincodeBytes()
{
    QFETCH(Value, value);
    QFETCH(QByteArray, bytes);
    QCOMPARE(encodeBincodeValue(value), bytes);
    Value back;
    QVERIFY(decodeBincodeValue(bytes, &back, nullptr));
    QVERIFY(sameValue(back, value));
}

void TestReplCodec::bincodeRejects_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("why"); // a fragment of the error text

    QTest::addRow("empty") << QByteArray() << "no variant tag"_ba;
    QTest::addRow("short tag") << hex("000000") << "no variant tag"_ba;
    QTest::addRow("tag 5") << hex("05000000") << "unknown variant tag 5"_ba;
    QTest::addRow("tag 2^32-1") << hex("ffffffff 0000000000000000") << "unknown variant tag"_ba;
    QTest::addRow("tag in high byte") << hex("00000001") << "unknown variant tag"_ba;
    QTest::addRow("null with trailing byte") << hex("00000000 00") << "unexpected bytes"_ba;
    QTest::addRow("integer truncated") << hex("01000000 03000000000000") << "truncated"_ba;
    QTest::addRow("integer with trailing byte") << hex("01000000 0300000000000000 00") << "unexpected bytes"_ba;
    QTest::addRow("real truncated") << hex("02000000 00") << "truncated"_ba;
    QTest::addRow("text without length") << hex("03000000 0c000000") << "truncated"_ba;
    QTest::addRow("text shorter than length") << hex("03000000 0400000000000000 616263") << "exceeds"_ba;
    QTest::addRow("text longer than length") << hex("03000000 0200000000000000 616263") << "unexpected bytes"_ba;
    QTest::addRow("blob length 2^64-1") << hex("04000000 ffffffffffffffff 010203") << "exceeds"_ba;
    QTest::addRow("blob length 2^63") << hex("04000000 0000000000000080 010203") << "exceeds"_ba;
    QTest::addRow("text invalid byte") << hex("03000000 0100000000000000 ff") << "UTF-8"_ba;
    QTest::addRow("text lone continuation") << hex("03000000 0100000000000000 80") << "UTF-8"_ba;
    QTest::addRow("text overlong nul") << hex("03000000 0200000000000000 c080") << "UTF-8"_ba;
    QTest::addRow("text surrogate") << hex("03000000 0300000000000000 eda080") << "UTF-8"_ba;
    QTest::addRow("text cut sequence") << hex("03000000 0200000000000000 e282") << "UTF-8"_ba;
    QTest::addRow("text above U+10FFFF") << hex("03000000 0400000000000000 f4908080") << "UTF-8"_ba;
}

void TestReplCodec::bincodeRejects()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, why);
    Value out = Value::fromInteger(42);
    QByteArray error;
    QVERIFY(!decodeBincodeValue(bytes, &out, &error));
    QVERIFY2(error.contains(why), error.constData());
    QVERIFY(sameValue(out, Value::fromInteger(42))); // untouched on failure
    QVERIFY(!decodeBincodeValue(bytes, &out, nullptr)); // the error text is optional
}

void TestReplCodec::grpcDecode_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("message");

    const QByteArray trailer = trailerFrame({});
    QTest::addRow("empty LogOffset") << hex("00 00000000") << QByteArray();
    QTest::addRow("LogOffset 5") << hex("00 00000002 0805") << hex("0805");
    QTest::addRow("Hello") << hex("00 00000002 0801") << hex("0801");
    QTest::addRow("empty message + trailer") << hex("00 00000000") + trailer << QByteArray();
    QTest::addRow("message + trailer") << hex("00 00000002 0805") + trailer << hex("0805");
    QTest::addRow("message + empty trailer") << hex("00 00000002 0805 80 00000000") << hex("0805");
}

void TestReplCodec::grpcDecode()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, message);
    QByteArray error;
    const auto decoded = decodeUnaryRequest(body, &error);
    QVERIFY2(decoded, error.constData());
    QCOMPARE(*decoded, message);
}

void TestReplCodec::grpcDecodeRejects_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("why");

    QTest::addRow("empty body") << QByteArray() << "empty"_ba;
    QTest::addRow("short header") << hex("00 000000") << "truncated"_ba;
    QTest::addRow("truncated message") << hex("00 00000002 08") << "truncated"_ba;
    QTest::addRow("length beyond body") << hex("00 ffffffff 0805") << "truncated"_ba;
    QTest::addRow("compressed") << hex("01 00000002 0805") << "compressed"_ba;
    QTest::addRow("trailer only") << trailerFrame({}) << "trailer"_ba;
    QTest::addRow("unknown flag") << hex("02 00000002 0805") << "flags"_ba;
    QTest::addRow("one garbage byte") << hex("00 00000002 0805 00") << "unexpected bytes"_ba;
    QTest::addRow("second data frame") << hex("00 00000002 0805 00 00000002 0805") << "unexpected bytes"_ba;
    QTest::addRow("truncated trailer") << hex("00 00000002 0805 80 00000005 6772") << "unexpected bytes"_ba;
    QTest::addRow("bytes after trailer") << hex("00 00000002 0805") + trailerFrame({}) + hex("00")
                                         << "unexpected bytes"_ba;
    QTest::addRow("compressed trailer") << hex("00 00000002 0805 81 00000000") << "unexpected bytes"_ba;
}

void TestReplCodec::grpcDecodeRejects()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, why);
    QByteArray error;
    QVERIFY(!decodeUnaryRequest(body, &error));
    QVERIFY2(error.contains(why), error.constData());
    QVERIFY(!decodeUnaryRequest(body, nullptr));
}

void TestReplCodec::grpcDataFrame()
{
    QCOMPARE(dataFrame(QByteArray()), hex("00 00000000"));
    QCOMPARE(dataFrame(hex("0805")), hex("00 00000002 0805"));
    const QByteArray big(0x012345, 'x');
    QCOMPARE(dataFrame(big), hex("00 00012345") + big);
    QCOMPARE(*decodeUnaryRequest(dataFrame(big), nullptr), big);
}

void TestReplCodec::grpcTrailer()
{
    QCOMPARE(trailerFrame({}), hex("80 0000001e") + "grpc-status:0\r\ngrpc-message:\r\n"_ba);
    const QByteArray needSnapshot = "grpc-status:9\r\ngrpc-message:NEED_SNAPSHOT\r\n"_ba;
    QCOMPARE(trailerFrame({ GrpcCode::FAILED_PRECONDITION, "NEED_SNAPSHOT"_ba }), hex("80 0000002b") + needSnapshot);
    const QByteArray auth = "grpc-status:16\r\ngrpc-message:AuthError: 100%25 bad%0D%0A\r\n"_ba;
    QCOMPARE(trailerFrame({ GrpcCode::UNAUTHENTICATED, "AuthError: 100% bad\r\n"_ba }), hex("80 0000003a") + auth);

    QCOMPARE(GrpcCode::OK, 0);
    QCOMPARE(GrpcCode::INVALID_ARGUMENT, 3);
    QCOMPARE(GrpcCode::PERMISSION_DENIED, 7);
    QCOMPARE(GrpcCode::RESOURCE_EXHAUSTED, 8);
    QCOMPARE(GrpcCode::FAILED_PRECONDITION, 9);
    QCOMPARE(GrpcCode::UNIMPLEMENTED, 12);
    QCOMPARE(GrpcCode::INTERNAL, 13);
    QCOMPARE(GrpcCode::UNAVAILABLE, 14);
    QCOMPARE(GrpcCode::UNAUTHENTICATED, 16);
    QVERIFY(GrpcStatus().isOk());
}

void TestReplCodec::grpcPercentEncoding_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("encoded");

    QTest::addRow("empty") << QByteArray() << QByteArray();
    QTest::addRow("printable") << "NO_HELLO snapshot not found ~!"_ba
                               << "NO_HELLO snapshot not found ~!"_ba;
    QTest::addRow("percent") << "50%"_ba
                             << "50%25"_ba;
    QTest::addRow("controls") << "a\tb\r\n\x7f"_ba
                              << "a%09b%0D%0A%7F"_ba;
    QTest::addRow("nul") << QByteArray("\0", 1) << "%00"_ba;
    QTest::addRow("utf-8") << u"caf\u00e9 \u2713"_s.toUtf8() << "caf%C3%A9 %E2%9C%93"_ba;
}

void TestReplCodec::grpcPercentEncoding()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, encoded);
    QCOMPARE(percentEncodeGrpcMessage(text), encoded);
}

void TestReplCodec::walLogHelloRequest()
{
    const auto message = decodeUnaryRequest(hex("00 00000002 0801"), nullptr);
    QVERIFY(message);
    wal_log::HelloRequest hello;
    QVERIFY(parse(hello, *message));
    QVERIFY(hello.has_handshake_version());
    QCOMPARE(hello.handshake_version(), quint64(1));

    wal_log::HelloRequest legacy;
    QVERIFY(parse(legacy, *decodeUnaryRequest(hex("00 00000000"), nullptr)));
    QVERIFY(!legacy.has_handshake_version());
}

void TestReplCodec::walLogHelloPresence()
{
    wal_log::HelloResponse empty;
    QCOMPARE(ser(empty), QByteArray()); // current_replication_index unset: not encoded

    wal_log::HelloResponse atZero;
    atZero.set_current_replication_index(0);
    QCOMPARE(ser(atZero), hex("28 00")); // field 5 varint 0: presence survives the default value

    wal_log::HelloResponse full;
    full.set_log_id("0d4b1a6e-59a6-4d3c-9a52-0f4e25b8d7c1");
    full.set_session_token("9d2b7c55-8b53-4f1e-bf7e-6f3c2a1d9e40");
    full.set_current_replication_index(5);
    full.mutable_config();
    const QByteArray bytes = ser(full);
    QVERIFY(bytes.startsWith(hex("1a 24"))); // log_id: field 3, 36 bytes
    QVERIFY(bytes.contains(hex("22 24"))); // session_token: field 4, 36 bytes
    QVERIFY(bytes.endsWith(hex("28 05 32 00"))); // index, then an empty config
}

void TestReplCodec::walLogLogOffset()
{
    wal_log::LogOffset offset;
    QVERIFY(parse(offset, *decodeUnaryRequest(hex("00 00000002 0805"), nullptr)));
    QCOMPARE(offset.next_offset(), quint64(5));
    QVERIFY(!offset.has_wal_flavor());

    wal_log::LogOffset zero;
    QVERIFY(parse(zero, *decodeUnaryRequest(hex("00 00000000"), nullptr)));
    QCOMPARE(zero.next_offset(), quint64(0));

    wal_log::LogOffset libsql;
    QVERIFY(parse(libsql, hex("0805 1001")));
    QVERIFY(libsql.has_wal_flavor());
    QCOMPARE(libsql.wal_flavor(), wal_log::LogOffset::LIBSQL);
}

void TestReplCodec::walLogFrames()
{
    QByteArray data(FRAME_SIZE, '\0');
    FrameHeader h;
    h.frameNo = 1;
    h.pageNo = 1;
    h.sizeAfter = 2;
    h.checksum = frameChecksum(0, QByteArrayView(data).sliced(FRAME_HEADER_SIZE));
    h.write(data.data());

    wal_log::Frames one;
    one.add_frames()->set_data(data.constData(), static_cast<size_t>(data.size()));
    const QByteArray bytes = ser(one);
    QCOMPARE(bytes.size(), qsizetype(4126));
    QCOMPARE(bytes.first(6), hex("0a 9b20 0a 9820"));
    QCOMPARE(bytes.sliced(6), data);

    wal_log::Frames five;
    for (int i = 0; i < 5; ++i)
        five.add_frames()->set_data(data.constData(), static_cast<size_t>(data.size()));
    const QByteArray body = dataFrame(ser(five)) + trailerFrame({});
    QCOMPARE(body.first(5), hex("00 00005096")); // 5 x 4126 = 20630
    QCOMPARE(body.size(), qsizetype(5 + 20630 + 5 + 30));

    wal_log::Frame stamped;
    stamped.set_timestamp(0);
    QCOMPARE(ser(stamped), hex("10 00"));
}

void TestReplCodec::proxyExecuteResults()
{
    proxy::ExecuteResults skipped;
    skipped.add_results()->mutable_row(); // a skipped step: an empty row, never an empty QueryResult
    QCOMPARE(ser(skipped), hex("0a 02 1200"));

    skipped.set_state(proxy::TXN);
    skipped.set_current_frame_no(0);
    QCOMPARE(ser(skipped), hex("0a 02 1200 10 02 18 00"));

    // Appendix A #5: one INSERT, affected 1, rowid 3.
    proxy::ExecuteResults insert;
    proxy::ResultRows *rows = insert.add_results()->mutable_row();
    rows->set_affected_row_count(1);
    rows->set_last_insert_rowid(3);
    QCOMPARE(ser(insert), hex("0a 06 12 04 18 01 20 03"));

    proxy::ResultRows withRow;
    withRow.add_rows()->add_values()->set_data(encodeBincodeValue(Value::fromInteger(7)).toStdString());
    QCOMPARE(ser(withRow), hex("12 10 0a 0e 0a 0c 01000000 0700000000000000"));
}

void TestReplCodec::proxyQueryResultError()
{
    proxy::QueryResult result;
    proxy::Error *error = result.mutable_error();
    error->set_code(proxy::Error::INTERNAL);
    error->set_message("UNIQUE constraint failed: t.id");
    error->set_extended_code(1555);
    const QByteArray bytes = ser(result);
    QVERIFY(bytes.startsWith(hex("0a 25 08 03 12 1e")));
    QVERIFY(bytes.endsWith(hex("18 93 0c")));
}

void TestReplCodec::proxyDescribeColumn()
{
    proxy::Column column;
    column.set_name("x");
    QCOMPARE(ser(column), hex("0a 01 78"));
    column.set_decltype_("INT");
    QCOMPARE(ser(column), hex("0a 01 78 1a 03 494e54")); // decltype is field 3
    column.set_decltype_("");
    QCOMPARE(ser(column), hex("0a 01 78 1a 00")); // optional: present even when empty

    proxy::DescribeResult result;
    proxy::Description *d = result.mutable_description();
    d->set_param_count(2);
    *d->add_column_descriptions() = column;
    QCOMPARE(ser(result), hex("12 09 0a 05 0a 01 78 1a 00 18 02"));
}

void TestReplCodec::proxyProgramReq()
{
    // Appendix A #9: a BEGIN IMMEDIATE step with an empty Positional.
    const QByteArray step = hex("0a 16 12 14 0a 10") + "BEGIN IMMEDIATE;"_ba + hex("12 00");
    proxy::Program program;
    QVERIFY(parse(program, step));
    QCOMPARE(program.steps_size(), 1);
    const proxy::Step &s = program.steps(0);
    QVERIFY(!s.has_cond());
    QVERIFY(s.query().stmt() == "BEGIN IMMEDIATE;");
    QCOMPARE(s.query().params_case(), proxy::Query::kPositional);
    QCOMPARE(s.query().positional().values_size(), 0);

    // COMMIT with ok(1) and a named argument, round-tripped through the generated classes.
    proxy::ProgramReq req;
    req.set_client_id("08f9ffd3-2697-4528-ad51-106ae9d5432a");
    proxy::Step *commit = req.mutable_pgm()->add_steps();
    commit->mutable_cond()->mutable_not_()->mutable_cond()->mutable_ok()->set_step(1);
    commit->mutable_query()->set_stmt("SELECT :s");
    proxy::Named *named = commit->mutable_query()->mutable_named();
    named->add_names(":s");
    named->add_values()->set_data(encodeBincodeValue(Value::fromText("x"_ba)).toStdString());

    proxy::ProgramReq back;
    QVERIFY(parse(back, ser(req)));
    const proxy::Step &b = back.pgm().steps(0);
    QCOMPARE(b.cond().cond_case(), proxy::Cond::kNot);
    QCOMPARE(b.cond().not_().cond().ok().step(), qint64(1));
    QCOMPARE(b.query().params_case(), proxy::Query::kNamed);
    Value v;
    const std::string &data = b.query().named().values(0).data();
    QVERIFY(decodeBincodeValue(QByteArrayView(data.data(), static_cast<qsizetype>(data.size())), &v, nullptr));
    QVERIFY(sameValue(v, Value::fromText("x"_ba)));
}

QTEST_GUILESS_MAIN(TestReplCodec)
#include "tst_replcodec.moc"
