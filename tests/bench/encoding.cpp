// Server-side encoding cost of one large result (tests/bench/ws.sh): JSON against Hrana 3 protobuf.
//
// Builds one StmtResult of ROWS rows x 4 columns (integer, real, 40-character text, 32-byte blob: the same shapes
// as the "large result" table of ws_client.mjs) and times, REPS times after WARMUP untimed runs, what the worker does
// to answer it: a fresh ResultEncoder, execute(result), then either finishPipeline() (the HTTP pipeline body) or
// takeResults() (the WebSocket StreamResult). SQLite and the network are not involved. The four variants take turns
// in blocks of 10 repetitions. Prints one JSON line with the median and minimum in µs per result and the encoded
// size in bytes, per encoding and path.
//
// Usage: bench_encoding [REPS=500] [ROWS=1000] [WARMUP=50]

#include <hrana/protocol.h>
#include <hrana/resultencoder.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <QByteArray>

namespace {

using qsqld::hrana::Column;
using qsqld::hrana::Encoding;
using qsqld::hrana::StmtResult;
using qsqld::hrana::Value;

const char TEXT_TAIL[] = "abcdefghijklmnopqrstuvwxyz0123456789"; // padding for the 40-character text column

StmtResult makeResult(int rows)
{
    StmtResult r;
    r.cols = {Column{"i", QByteArray("INTEGER")}, Column{"r", QByteArray("REAL")}, Column{"t", QByteArray("TEXT")},
              Column{"b", QByteArray("BLOB")}};
    quint32 seed = 12345; // a fixed LCG, so every run encodes the same bytes
    for (int k = 1; k <= rows; ++k) {
        QByteArray text = QByteArray("row-") + QByteArray::number(k).rightJustified(6, '0') + '-' + TEXT_TAIL;
        text.truncate(40);
        QByteArray blob(32, Qt::Uninitialized);
        for (char &c : blob) {
            seed = seed * 1103515245u + 12345u;
            c = static_cast<char>(seed >> 24);
        }
        r.rows.push_back({Value::fromInteger(qint64(k) * 7919), Value::fromFloat(k + 1.0 / 3),
                          Value::fromText(std::move(text)), Value::fromBlob(std::move(blob))});
    }
    r.rowsRead = static_cast<quint64>(rows);
    r.queryDurationMs = 0.5;
    return r;
}

struct Timing
{
    double medianUs = 0;
    double minUs = 0;
    qsizetype bytes = 0;
};

// One encoding of `r` as the answer to a one-request pipeline (HTTP) or one WebSocket execute response.
qsizetype encodeOnce(Encoding encoding, const StmtResult &r, bool webSocket)
{
    auto encoder = qsqld::hrana::makeEncoder(encoding);
    encoder->execute(r);
    if (webSocket) {
        qsizetype n = 0;
        for (const QByteArray &part : encoder->takeResults())
            n += part.size();
        return n;
    }
    return encoder->finishPipeline(QByteArray("baton-0123456789abcdef"), std::nullopt).body.size();
}

struct Variant
{
    const char *name;
    Encoding encoding;
    bool webSocket;
    std::vector<double> us;
    qsizetype bytes = 0;
};

void runOnce(Variant &v, const StmtResult &r, bool timed)
{
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const qsizetype bytes = encodeOnce(v.encoding, r, v.webSocket);
    const auto t1 = Clock::now();
    if (bytes <= 0) {
        std::fprintf(stderr, "bench_encoding: empty encoding\n");
        std::exit(1);
    }
    v.bytes = bytes;
    if (timed)
        v.us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
}

Timing summarize(Variant &v)
{
    std::sort(v.us.begin(), v.us.end());
    const size_t n = v.us.size();
    return Timing{n % 2 ? v.us[n / 2] : (v.us[n / 2 - 1] + v.us[n / 2]) / 2, v.us.front(), v.bytes};
}

} // namespace

int main(int argc, char **argv)
{
    const int reps = argc > 1 ? std::atoi(argv[1]) : 500;
    const int rows = argc > 2 ? std::atoi(argv[2]) : 1000;
    const int warmup = argc > 3 ? std::atoi(argv[3]) : 50;
    if (reps < 1 || rows < 1 || warmup < 0) {
        std::fprintf(stderr, "usage: %s [REPS=500] [ROWS=1000] [WARMUP=50]\n", argv[0]);
        return 2;
    }
    const StmtResult result = makeResult(rows);
    // variants[0] and [1] are the pipeline bodies the ratios compare.
    std::vector<Variant> variants{{"json_pipeline", Encoding::Json, false, {}},
                                  {"protobuf_pipeline", Encoding::Protobuf, false, {}},
                                  {"json_ws", Encoding::Json, true, {}},
                                  {"protobuf_ws", Encoding::Protobuf, true, {}}};
    for (Variant &v : variants)
        for (int i = 0; i < warmup; ++i)
            runOnce(v, result, false);
    // The variants take turns in blocks of BLOCK, so that a slow phase of the machine hits all of them alike.
    constexpr int BLOCK = 10;
    for (int done = 0; done < reps; done += BLOCK)
        for (Variant &v : variants)
            for (int i = done; i < std::min(reps, done + BLOCK); ++i)
                runOnce(v, result, true);
    std::printf("{\"reps\":%d,\"rows\":%d,\"cols\":4", reps, rows);
    std::vector<Timing> timings;
    for (Variant &v : variants) {
        timings.push_back(summarize(v));
        const Timing &t = timings.back();
        std::printf(",\"%s\":{\"median_us\":%.1f,\"min_us\":%.1f,\"bytes\":%lld}", v.name, t.medianUs, t.minUs,
                    static_cast<long long>(t.bytes));
    }
    std::printf(",\"json_over_protobuf_time\":%.2f,\"json_over_protobuf_bytes\":%.2f}\n",
                timings[0].medianUs / timings[1].medianUs, double(timings[0].bytes) / double(timings[1].bytes));
    return 0;
}
