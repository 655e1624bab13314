// In-process baseline for the 1,000-row batch benchmark (tests/bench/run.sh).
//
// Does what qsqld does for one Hrana batch of BEGIN, ROWS x INSERT, COMMIT, minus HTTP and JSON: the same file
// settings as server/hrana/namespacedb.cpp (WAL, synchronous=NORMAL, wal_autocheckpoint=1000, opened with
// SQLITE_OPEN_NOMUTEX), and every statement prepared, bound, stepped and finalized on its own, as the server
// prepares each statement of a request. Prints one JSON line with the median and other statistics in ms.
//
// Usage: bench_inproc_sqlite DB_FILE [REPS=30] [ROWS=1000] [WARMUP=3]

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(sqlite3 *db, const char *what)
{
    std::fprintf(stderr, "bench_inproc_sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
    std::exit(1);
}

void exec(sqlite3 *db, const char *sql)
{
    char *err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::fprintf(stderr, "bench_inproc_sqlite: %s: %s\n", sql, err ? err : "?");
        std::exit(1);
    }
}

// One statement the way the server runs it: prepare, bind, step to the end, finalize.
void run(sqlite3 *db, const char *sql, const std::string *textArg)
{
    sqlite3_stmt *st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK)
        die(db, sql);
    if (textArg
        && sqlite3_bind_text(st, 1, textArg->data(), static_cast<int>(textArg->size()), SQLITE_TRANSIENT) != SQLITE_OK)
        die(db, "bind");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE)
        die(db, sql);
    sqlite3_finalize(st);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DB_FILE [REPS=30] [ROWS=1000] [WARMUP=3]\n", argv[0]);
        return 2;
    }
    const int reps = argc > 2 ? std::atoi(argv[2]) : 30;
    const int rows = argc > 3 ? std::atoi(argv[3]) : 1000;
    const int warmup = argc > 4 ? std::atoi(argv[4]) : 3;
    if (reps < 1 || rows < 1 || warmup < 0) {
        std::fprintf(stderr, "bench_inproc_sqlite: REPS and ROWS must be positive\n");
        return 2;
    }

    sqlite3 *db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (sqlite3_open_v2(argv[1], &db, flags, nullptr) != SQLITE_OK)
        die(db, "open");
    exec(db, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;");
    exec(db, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=1000;");
    exec(db, "DROP TABLE IF EXISTS b; CREATE TABLE b(id INTEGER PRIMARY KEY, v TEXT)");

    // The same values the HTTP client sends (tests/bench/batch_client.mjs).
    std::vector<std::string> values;
    values.reserve(static_cast<size_t>(rows));
    for (int i = 0; i < rows; ++i)
        values.push_back("row-" + std::to_string(i) + "-abcdefghijklmnopqrstuvwxyz");

    std::vector<double> ms;
    for (int r = 0; r < warmup + reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        run(db, "BEGIN", nullptr);
        for (const std::string &v : values)
            run(db, "INSERT INTO b(v) VALUES (?)", &v);
        run(db, "COMMIT", nullptr);
        const auto t1 = std::chrono::steady_clock::now();
        if (r >= warmup)
            ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    sqlite3_close(db);

    std::sort(ms.begin(), ms.end());
    const double median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
    std::printf("{\"reps\":%d,\"rows\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f,\"sqlite\":\"%s\"}\n",
                reps, rows, median, ms.front(), ms.back(), sqlite3_libversion());
    return 0;
}
