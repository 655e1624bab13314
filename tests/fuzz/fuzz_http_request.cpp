// Fuzz target: the HTTP/1.1 request parser (server/http/requestparser.h), the first code to see a client's bytes.
// The input is parsed twice: all at once, and in chunks of a size taken from its first byte, as TCP may deliver it.
// The two must agree request by request (the segmentation of a stream must not change what it means), and every
// request must survive being written out again and re-parsed.

#include <cstdint>
#include <vector>

#include "fuzzsupport.h"
#include "http/requestparser.h"

using namespace qsqld;
using http::Request;
using http::RequestParser;

namespace {

// Small limits, so that the fuzzer reaches them (Connection uses 64 KiB of headers and the body limit of the config).
constexpr qsizetype MAX_BODY = 300;
constexpr qsizetype MAX_HEADER = 200;

// What one parse of a byte stream produced: the requests taken out, then where the parser stopped.
struct Outcome
{
    std::vector<Request> requests;
    RequestParser::State state = RequestParser::State::Idle;
    int errorStatus = 0;
};

bool sameRequest(const Request &a, const Request &b)
{
    return a.method == b.method && a.target == b.target && a.path == b.path && a.query == b.query
        && a.minorVersion == b.minorVersion && a.headers == b.headers && a.body == b.body && a.keepAlive == b.keepAlive;
}

// Takes out every complete request, as Connection does; false once the parser has failed.
bool drain(RequestParser &parser, QByteArray &buffer, Outcome &out)
{
    for (;;) {
        out.state = parser.feed(buffer);
        if (out.state == RequestParser::State::Failed) {
            out.errorStatus = parser.errorStatus();
            return false;
        }
        if (out.state != RequestParser::State::Complete)
            return true;
        out.requests.push_back(parser.takeRequest());
    }
}

// chunk 0: everything at once.
Outcome parse(const QByteArray &input, qsizetype chunk)
{
    RequestParser parser(MAX_BODY, MAX_HEADER);
    Outcome out;
    QByteArray buffer;
    const qsizetype step = chunk > 0 ? chunk : qMax<qsizetype>(input.size(), 1);
    for (qsizetype at = 0; at < input.size(); at += step) {
        buffer += input.mid(at, step);
        if (!drain(parser, buffer, out))
            break;
    }
    return out;
}

void checkRequest(const Request &r)
{
    QSQLD_FUZZ_CHECK(!r.method.isEmpty() && !r.target.isEmpty() && r.path.startsWith('/'));
    QSQLD_FUZZ_CHECK(r.minorVersion == 0 || r.minorVersion == 1);
    QSQLD_FUZZ_CHECK(r.body.size() <= MAX_BODY);
    for (const auto &h : r.headers)
        QSQLD_FUZZ_CHECK(!h.first.isEmpty() && h.first == h.first.toLower());

    // Written out again with a Content-Length body, it must parse to the same request.
    QByteArray wire = r.method + ' ' + r.target + " HTTP/1." + QByteArray::number(r.minorVersion) + "\r\n";
    Request expected = r;
    expected.headers.clear();
    for (const auto &h : r.headers) {
        if (h.first == "content-length" || h.first == "transfer-encoding")
            continue;
        wire += h.first + ": " + h.second + "\r\n";
        expected.headers.append(h);
    }
    if (!r.body.isEmpty()) {
        wire += "content-length: " + QByteArray::number(r.body.size()) + "\r\n";
        expected.headers.append({ "content-length", QByteArray::number(r.body.size()) });
    }
    wire += "\r\n" + r.body;
    RequestParser again(MAX_BODY, 64 * 1024);
    QSQLD_FUZZ_CHECK(again.feed(wire) == RequestParser::State::Complete && wire.isEmpty());
    QSQLD_FUZZ_CHECK(sameRequest(again.takeRequest(), expected));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray input = fuzz::bytes(data + 1, size - 1);
    const Outcome whole = parse(input, 0);
    const Outcome chunked = parse(input, data[0]);

    QSQLD_FUZZ_CHECK(whole.requests.size() == chunked.requests.size());
    for (size_t i = 0; i < whole.requests.size(); ++i) {
        QSQLD_FUZZ_CHECK(sameRequest(whole.requests[i], chunked.requests[i]));
        checkRequest(whole.requests[i]);
    }
    QSQLD_FUZZ_CHECK(whole.state == chunked.state && whole.errorStatus == chunked.errorStatus);
    if (whole.state == RequestParser::State::Failed) {
        const int s = whole.errorStatus;
        QSQLD_FUZZ_CHECK(s == 400 || s == 413 || s == 431 || s == 501 || s == 505);
    }
    return 0;
}
