// Fuzz target: embedded-replica requests (server/repl): the gRPC-web body of a unary call (grpcweb.h), the
// proxy.ProgramReq in it whose statement arguments are bincode values (bincode.h), and the input as one bincode
// value. A message framed again must decode to itself; a decoded bincode value must encode to the same bytes; the
// trailer's percent-encoding must decode (with the HTTP layer's percentDecode) to the text.

#include <cstdint>
#include <string>

#include "proxy.pb.h"

#include "fuzzsupport.h"
#include "http/requestparser.h"
#include "repl/bincode.h"
#include "repl/grpcweb.h"

using namespace qsqld;
using namespace qsqld::repl;

namespace {

void checkBincode(const std::string &data)
{
    const QByteArrayView bytes(data.data(), static_cast<qsizetype>(data.size()));
    hrana::Value value;
    QByteArray error;
    if (decodeBincodeValue(bytes, &value, &error))
        QSQLD_FUZZ_CHECK(QByteArrayView(encodeBincodeValue(value)) == bytes);
    else
        QSQLD_FUZZ_CHECK(!error.isEmpty());
}

// What Proxy.Execute decodes (replrpc.cpp): every positional and named argument.
void checkProgram(const QByteArray &message)
{
    proxy::ProgramReq req;
    if (!req.ParseFromArray(message.constData(), static_cast<int>(message.size())))
        return;
    for (const proxy::Step &step : req.pgm().steps()) {
        for (const proxy::Value &v : step.query().positional().values())
            checkBincode(v.data());
        for (const proxy::Value &v : step.query().named().values())
            checkBincode(v.data());
    }
}

void checkUnary(const QByteArray &body)
{
    QByteArray error;
    const std::optional<QByteArray> message = decodeUnaryRequest(body, &error);
    if (!message) {
        QSQLD_FUZZ_CHECK(!error.isEmpty());
        return;
    }
    QSQLD_FUZZ_CHECK(decodeUnaryRequest(dataFrame(*message), nullptr) == message);
    const GrpcStatus status{ GrpcCode::INVALID_ARGUMENT, *message };
    QSQLD_FUZZ_CHECK(decodeUnaryRequest(dataFrame(*message) + trailerFrame(status), nullptr) == message);
    checkProgram(*message);
}

void checkPercentEncoding(const QByteArray &text)
{
    bool ok = false;
    const QByteArray encoded = percentEncodeGrpcMessage(text);
    QSQLD_FUZZ_CHECK(http::percentDecode(encoded, &ok) == text && ok);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    checkUnary(input);
    checkBincode(input.toStdString());
    checkPercentEncoding(input);
    return 0;
}
