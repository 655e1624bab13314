// A tiny loadable SQLite extension for the --extensions-path tests: qsqld_ext_hello(x) returns 'hello, ' || x.
// Built as a module (qsqld_test_ext.so), never linked into anything.

#include <sqlite3ext.h>

#include <cstring>
#include <string>

SQLITE_EXTENSION_INIT1

namespace {

void hello(sqlite3_context *ctx, int, sqlite3_value **argv)
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_value_text(argv[0]));
    std::string out = "hello, ";
    out += text ? text : "NULL";
    sqlite3_result_text(ctx, out.c_str(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

} // namespace

extern "C" __attribute__((visibility("default"))) int sqlite3_extension_init(sqlite3 *db, char **,
                                                                             const sqlite3_api_routines *api)
{
    SQLITE_EXTENSION_INIT2(api);
    return sqlite3_create_function_v2(db, "qsqld_ext_hello", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, &hello,
                                      nullptr, nullptr, nullptr);
}
