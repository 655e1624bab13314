#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

#include "sql/statementanalyzer.h"

using namespace Qt::StringLiterals;

namespace qsqld::sql {
// Found by QTest through argument-dependent lookup, so that QCOMPARE prints class names.
char *toString(StatementClass k)
{
    return qstrdup(statementClassName(k));
}
} // namespace qsqld::sql

using qsqld::sql::AnalysisError;
using qsqld::sql::StatementClass;
using qsqld::sql::StatementInfo;

namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QSQLD_TEST_INSTRUMENTED
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
#define QSQLD_TEST_INSTRUMENTED
#endif

// The budget for megabytes of SQL. Release builds take about a tenth of it; unoptimised or sanitizer builds
// are several times slower, so they only check that the cost stays linear.
// These bounds catch quadratic blow-ups (a denial of service), not speed; under valgrind
// (packaging/dev/valgrind.sh) QSQLD_TEST_SLOWDOWN scales them.
#ifdef QSQLD_TEST_INSTRUMENTED
const qint64 TIME_LIMIT_MS = 5000 * std::max(1, qEnvironmentVariableIntValue("QSQLD_TEST_SLOWDOWN"));
#else
const qint64 TIME_LIMIT_MS = 1000 * std::max(1, qEnvironmentVariableIntValue("QSQLD_TEST_SLOWDOWN"));
#endif

// "<Class>[ insert][ iud][ target=<t>][ alias=<a>] @<offset>: <sql>": one line that asserts every field.
QString describe(const StatementInfo &s)
{
    QString out = QString::fromLatin1(qsqld::sql::statementClassName(s.kind));
    if (s.isInsert)
        out += u" insert"_s;
    if (s.isIud)
        out += u" iud"_s;
    if (!s.attachTarget.isEmpty())
        out += u" target="_s + QString::fromUtf8(s.attachTarget);
    if (!s.attachAlias.isEmpty())
        out += u" alias="_s + QString::fromUtf8(s.attachAlias);
    return out + u" @"_s + QString::number(s.offset) + u": "_s + QString::fromUtf8(s.sql);
}

QStringList run(const QByteArray &sql)
{
    const auto result = qsqld::sql::analyze(sql);
    if (const auto *error = std::get_if<AnalysisError>(&result))
        return { u"error: "_s + error->message };
    QStringList out;
    for (const StatementInfo &s : std::get<QList<StatementInfo>>(result))
        out << describe(s);
    return out;
}

bool isSqlSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

// Properties every answer must have, whatever the input. Returns a description of the first violation.
QString violation(const QByteArray &input)
{
    const auto result = qsqld::sql::analyze(input);
    if (const auto *error = std::get_if<AnalysisError>(&result)) {
        if (error->offset < -1 || error->offset > input.size())
            return u"error offset out of range: "_s + QString::number(error->offset);
        if (error->message.startsWith(u"unsupported statement: "_s)) {
            if (error->message != u"unsupported statement: "_s + QString::fromUtf8(input))
                return u"unsupported message does not quote the input"_s;
        } else if (!error->message.startsWith(u"syntax error around L"_s)) {
            return u"unexpected message: "_s + error->message;
        }
        return {};
    }
    qsizetype previousEnd = 0;
    for (const StatementInfo &s : std::get<QList<StatementInfo>>(result)) {
        if (s.sql.isEmpty() || isSqlSpace(s.sql.front()) || isSqlSpace(s.sql.back()))
            return u"bad statement text: "_s + describe(s);
        if (s.offset < previousEnd)
            return u"overlapping statements at "_s + QString::number(s.offset);
        if (s.kind == StatementClass::TxnBeginReadOnly) {
            previousEnd = s.offset + 1;
            continue;
        }
        if (input.mid(s.offset, s.sql.size()) != s.sql)
            return u"statement text is not the input at its offset: "_s + describe(s);
        previousEnd = s.offset + s.sql.size();
        // Analysing a statement on its own gives the same answer.
        const auto again = qsqld::sql::analyze(s.sql);
        const auto *list = std::get_if<QList<StatementInfo>>(&again);
        if (!list || list->size() != 1 || list->front().offset != 0
            || describe(list->front()).section(u':', 1) != describe(s).section(u':', 1) || list->front().kind != s.kind)
            return u"not stable on re-analysis: "_s + describe(s);
    }
    return {};
}

QByteArray repeated(const QByteArray &piece, qsizetype totalSize)
{
    return piece.repeated(totalSize / piece.size() + 1);
}

} // namespace

class TestStatementAnalyzer : public QObject
{
    Q_OBJECT

private slots:
    void classify_data();
    void classify();
    void split_data();
    void split();
    void rejected_data();
    void rejected();
    void syntaxErrors_data();
    void syntaxErrors();
    void errorLocation();
    void readOnlyClasses();
    void prefixesOfValidScripts();
    void fuzzFragments();
    void fuzzBytes();
    void largeScript();
    void largeSingleStatement();
    void largeTriggerBody();
    void pathologicalInputs_data();
    void pathologicalInputs();
};

void TestStatementAnalyzer::classify_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QString>("expected");

    // Read
    QTest::addRow("select") << "SELECT 1"_ba << u"Read @0: SELECT 1"_s;
    QTest::addRow("select lower, spaces, ;") << "  select * from t ;  "_ba << u"Read @2: select * from t"_s;
    QTest::addRow("values") << "VALUES (1), (2)"_ba << u"Read @0: VALUES (1), (2)"_s;
    QTest::addRow("with select") << "WITH x AS (SELECT 1) SELECT * FROM x"_ba
                                 << u"Read @0: WITH x AS (SELECT 1) SELECT * FROM x"_s;
    QTest::addRow("with recursive columns")
        << "with recursive c(n) as (select 1 union all select n+1 from c where n < 5) select n from c"_ba
        << u"Read @0: with recursive c(n) as (select 1 union all select n+1 from c where n < 5) select n from c"_s;
    QTest::addRow("with materialized")
        << "WITH a AS MATERIALIZED (SELECT 1), \"b\" AS NOT MATERIALIZED (SELECT ')') VALUES (1)"_ba
        << u"Read @0: WITH a AS MATERIALIZED (SELECT 1), \"b\" AS NOT MATERIALIZED (SELECT ')') VALUES (1)"_s;
    QTest::addRow("explain") << "EXPLAIN SELECT 1"_ba << u"Read @0: EXPLAIN SELECT 1"_s;
    QTest::addRow("explain query plan") << "explain query plan select * from t"_ba
                                        << u"Read @0: explain query plan select * from t"_s;
    QTest::addRow("explain insert has no flags")
        << "EXPLAIN INSERT INTO t VALUES (1)"_ba << u"Read @0: EXPLAIN INSERT INTO t VALUES (1)"_s;
    QTest::addRow("explain query plan pragma")
        << "EXPLAIN QUERY PLAN PRAGMA journal_mode=WAL"_ba << u"Read @0: EXPLAIN QUERY PLAN PRAGMA journal_mode=WAL"_s;
    QTest::addRow("leading comments") << "-- leading\n/* block */ SELECT 1"_ba << u"Read @23: SELECT 1"_s;
    QTest::addRow("trailing comment") << "SELECT 1 -- trailing"_ba << u"Read @0: SELECT 1"_s;
    QTest::addRow("inner comment kept") << "SELECT /* inner; */ 1"_ba << u"Read @0: SELECT /* inner; */ 1"_s;
    QTest::addRow("pragma table_info") << "PRAGMA table_info(t)"_ba << u"Read @0: PRAGMA table_info(t)"_s;
    QTest::addRow("pragma case") << "pragma TABLE_INFO('t')"_ba << u"Read @0: pragma TABLE_INFO('t')"_s;
    QTest::addRow("pragma schema prefix") << "PRAGMA main.table_info(t)"_ba << u"Read @0: PRAGMA main.table_info(t)"_s;
    QTest::addRow("pragma quoted name") << "PRAGMA \"table_xinfo\"(t)"_ba << u"Read @0: PRAGMA \"table_xinfo\"(t)"_s;
    for (const char *name : { "table_list", "index_list", "index_info", "index_xinfo", "pragma_list", "compile_options",
             "database_list", "function_list", "module_list", "encoding", "schema_version" }) {
        const QByteArray sql = "PRAGMA "_ba + name;
        QTest::addRow("pragma %s", name) << sql << u"Read @0: "_s + QString::fromLatin1(sql);
    }

    // Transactions
    for (const char *sql : { "BEGIN", "begin deferred", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE TRANSACTION",
             "BEGIN TRANSACTION", "BEGIN TRANSACTION t1", "BEGIN IMMEDIATE TRANSACTION READONLY" }) {
        QTest::addRow("%s", sql) << QByteArray(sql) << u"TxnBegin @0: "_s + QString::fromLatin1(sql);
    }
    QTest::addRow("begin transaction readonly")
        << "BEGIN TRANSACTION READONLY"_ba << u"TxnBeginReadOnly @0: BEGIN DEFERRED"_s;
    QTest::addRow("begin readonly") << "begin readonly"_ba << u"TxnBeginReadOnly @0: BEGIN DEFERRED"_s;
    QTest::addRow("begin readonly transaction")
        << "BEGIN READONLY TRANSACTION"_ba << u"TxnBeginReadOnly @0: BEGIN DEFERRED"_s;
    QTest::addRow("readonly offset") << "  Begin Transaction ReadOnly ;"_ba << u"TxnBeginReadOnly @2: BEGIN DEFERRED"_s;
    for (const char *sql : { "COMMIT", "commit transaction", "END", "END TRANSACTION", "ROLLBACK",
             "ROLLBACK TRANSACTION", "ROLLBACK TRANSACTION t1" }) {
        QTest::addRow("%s", sql) << QByteArray(sql) << u"TxnEnd @0: "_s + QString::fromLatin1(sql);
    }
    for (const char *sql : { "SAVEPOINT sp1", "savepoint \"my sp\"", "SAVEPOINT 'sp'" })
        QTest::addRow("%s", sql) << QByteArray(sql) << u"Savepoint @0: "_s + QString::fromLatin1(sql);
    for (const char *sql : { "RELEASE sp1", "RELEASE SAVEPOINT sp1", "ROLLBACK TO sp1",
             "ROLLBACK TRANSACTION TO SAVEPOINT sp1", "rollback to savepoint 'sp'" }) {
        QTest::addRow("%s", sql) << QByteArray(sql) << u"Release @0: "_s + QString::fromLatin1(sql);
    }

    // Writes
    for (const char *sql :
        { "INSERT INTO t VALUES (1)", "insert or replace into main.t(a) values (1)", "REPLACE INTO t VALUES (1)",
            "INSERT OR IGNORE INTO \"t\" DEFAULT VALUES", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
            "WITH x AS (SELECT 1) REPLACE INTO t SELECT * FROM x",
            "INSERT INTO t(a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a RETURNING *" }) {
        QTest::addRow("%s", sql) << QByteArray(sql) << u"Write insert iud @0: "_s + QString::fromLatin1(sql);
    }
    for (const char *sql : { "UPDATE t SET a = 1", "update or rollback main.t set a = 1", "DELETE FROM t WHERE a = 1",
             "WITH x(a) AS (SELECT 1) DELETE FROM t WHERE a IN x", "WITH x AS (SELECT ')') UPDATE t SET a = 1" }) {
        QTest::addRow("%s", sql) << QByteArray(sql) << u"Write iud @0: "_s + QString::fromLatin1(sql);
    }
    for (const char *sql : { "REINDEX", "REINDEX t", "VACUUM", "vacuum main", "ANALYZE", "ANALYZE main.t",
             "PRAGMA optimize", "PRAGMA optimize=0x10002", "PRAGMA foreign_keys=off", "PRAGMA foreign_keys = ON",
             "PRAGMA foreign_keys", "PRAGMA defer_foreign_keys=true", "PRAGMA user_version = 3",
             "PRAGMA integrity_check", "PRAGMA quick_check(10)", "PRAGMA foreign_key_check(t)", "PRAGMA journal_mode",
             "PRAGMA main.journal_mode", "PRAGMA wal_autocheckpoint", "PRAGMA mmap_size", "PRAGMA Busy_Timeout",
             "PRAGMA page_count", "EXPLAIN PRAGMA foreign_keys=off" }) {
        QTest::addRow("%s", sql) << QByteArray(sql) << u"Write @0: "_s + QString::fromLatin1(sql);
    }

    // DDL
    for (const char *sql : { "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)", "create table if not exists main.t(a)",
             "CREATE TABLE \"temp\"(a)", "CREATE VIRTUAL TABLE f USING fts5(x)", "CREATE INDEX i ON t(a)",
             "CREATE UNIQUE INDEX IF NOT EXISTS i ON t(a)", "CREATE VIEW v AS SELECT 1",
             "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", "DROP TABLE t", "DROP TABLE IF EXISTS main.t",
             "DROP INDEX i", "DROP TRIGGER IF EXISTS tr", "DROP VIEW v", "ALTER TABLE t ADD COLUMN c",
             "ALTER TABLE main.t RENAME TO u", "DROP TABLE temp.t" }) {
        QTest::addRow("%s", sql) << QByteArray(sql) << u"Ddl @0: "_s + QString::fromLatin1(sql);
    }

    // ATTACH / DETACH
    QTest::addRow("attach") << "ATTACH foo AS f"_ba << u"Attach target=foo alias=f @0: ATTACH foo AS f"_s;
    QTest::addRow("attach quoted")
        << "attach database \"my-ns\" as \"x \"\"y\"\"\""_ba
        << u"Attach target=my-ns alias=x \"y\" @0: attach database \"my-ns\" as \"x \"\"y\"\"\""_s;
    QTest::addRow("attach brackets") << "ATTACH `ns` AS [a b]"_ba
                                     << u"Attach target=ns alias=a b @0: ATTACH `ns` AS [a b]"_s;
    QTest::addRow("attach namespace called database")
        << "ATTACH database AS d"_ba << u"Attach target=database alias=d @0: ATTACH database AS d"_s;
    QTest::addRow("detach") << "DETACH f"_ba << u"Detach alias=f @0: DETACH f"_s;
    QTest::addRow("detach database quoted")
        << "DETACH DATABASE \"f\""_ba << u"Detach alias=f @0: DETACH DATABASE \"f\""_s;
}

void TestStatementAnalyzer::classify()
{
    QFETCH(QByteArray, sql);
    QFETCH(QString, expected);
    QCOMPARE(run(sql), QStringList { expected });
}

void TestStatementAnalyzer::split_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QStringList>("expected");

    QTest::addRow("two") << "SELECT 1; SELECT 2"_ba << QStringList { u"Read @0: SELECT 1"_s, u"Read @10: SELECT 2"_s };
    QTest::addRow("empty") << QByteArray() << QStringList {};
    QTest::addRow("blank") << " \t\r\n\f "_ba << QStringList {};
    QTest::addRow("only semicolons") << ";; ;\n;"_ba << QStringList {};
    QTest::addRow("only comments") << "/* c */ ; -- x\n ; -- y"_ba << QStringList {};
    QTest::addRow("empty pieces dropped")
        << ";SELECT 1;;; ;\n; SELECT 2;"_ba << QStringList { u"Read @1: SELECT 1"_s, u"Read @17: SELECT 2"_s };
    QTest::addRow("strings with ;") << "SELECT 'a;b'; SELECT 'it''s; ok'"_ba
                                    << QStringList { u"Read @0: SELECT 'a;b'"_s, u"Read @14: SELECT 'it''s; ok'"_s };
    QTest::addRow("quoted identifiers with ;")
        << "SELECT \"a;b\", \"c\"\";\" FROM [x;y] JOIN `z;``w`; SELECT 2"_ba
        << QStringList { u"Read @0: SELECT \"a;b\", \"c\"\";\" FROM [x;y] JOIN `z;``w`"_s, u"Read @46: SELECT 2"_s };
    QTest::addRow("line comment with ;") << "SELECT 1 -- c; not a split\n; SELECT 2"_ba
                                         << QStringList { u"Read @0: SELECT 1"_s, u"Read @29: SELECT 2"_s };
    QTest::addRow("block comment with ;") << "SELECT /* ; */ 1; /* x */ -- y\n SELECT 2"_ba
                                          << QStringList { u"Read @0: SELECT /* ; */ 1"_s, u"Read @32: SELECT 2"_s };
    QTest::addRow("comment markers in strings")
        << "SELECT '--', '/*'; SELECT '*/'"_ba
        << QStringList { u"Read @0: SELECT '--', '/*'"_s, u"Read @19: SELECT '*/'"_s };
    QTest::addRow("crlf") << "SELECT 1;\r\nSELECT 2\r\n"_ba
                          << QStringList { u"Read @0: SELECT 1"_s, u"Read @11: SELECT 2"_s };
    QTest::addRow("transaction script") << "BEGIN; INSERT INTO t VALUES (1); COMMIT;"_ba
                                        << QStringList { u"TxnBegin @0: BEGIN"_s,
                                               u"Write insert iud @7: INSERT INTO t VALUES (1)"_s,
                                               u"TxnEnd @33: COMMIT"_s };
    QTest::addRow("readonly transaction script")
        << "BEGIN TRANSACTION READONLY; SELECT 1; COMMIT"_ba
        << QStringList { u"TxnBeginReadOnly @0: BEGIN DEFERRED"_s, u"Read @28: SELECT 1"_s, u"TxnEnd @38: COMMIT"_s };
    QTest::addRow("variables") << "SELECT $a(b;c); SELECT :x::y; SELECT ?1, @p"_ba
                               << QStringList { u"Read @0: SELECT $a(b;c)"_s, u"Read @16: SELECT :x::y"_s,
                                      u"Read @30: SELECT ?1, @p"_s };
    QTest::addRow("literals") << "SELECT 1e5;SELECT .5e-3;SELECT 0x1F;SELECT x'AB'"_ba
                              << QStringList { u"Read @0: SELECT 1e5"_s, u"Read @11: SELECT .5e-3"_s,
                                     u"Read @24: SELECT 0x1F"_s, u"Read @36: SELECT x'AB'"_s };
    QTest::addRow("trigger")
        << "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); UPDATE c SET n = n + 1; END; SELECT 1"_ba
        << QStringList { u"Ddl @0: CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); "
                         u"UPDATE c SET n = n + 1; END"_s,
               u"Read @99: SELECT 1"_s };
    QTest::addRow("trigger with case")
        << "CREATE TRIGGER tr BEFORE UPDATE ON t WHEN CASE WHEN new.a > 0 THEN 1 ELSE 0 END BEGIN "
           "SELECT CASE WHEN new.a THEN RAISE(ABORT, 'x;y') END; "
           "INSERT INTO l SELECT CASE 1 WHEN 1 THEN 'end' END; END; DELETE FROM t"_ba
        << QStringList { u"Ddl @0: CREATE TRIGGER tr BEFORE UPDATE ON t WHEN CASE WHEN new.a > 0 THEN 1 ELSE 0 END "
                         u"BEGIN SELECT CASE WHEN new.a THEN RAISE(ABORT, 'x;y') END; "
                         u"INSERT INTO l SELECT CASE 1 WHEN 1 THEN 'end' END; END"_s,
               u"Write iud @195: DELETE FROM t"_s };
    QTest::addRow("trigger with nested case")
        << "create trigger tr after insert on t begin select case when 1 then case 2 when 2 then 3 end end; end;"
           "select 9"_ba
        << QStringList { u"Ddl @0: create trigger tr after insert on t begin select case when 1 then case 2 when 2 "
                         u"then 3 end end; end"_s,
               u"Read @100: select 9"_s };
    QTest::addRow("trigger with column named end")
        << "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET end = 1; END; SELECT 2"_ba
        << QStringList { u"Ddl @0: CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET end = 1; END"_s,
               u"Read @69: SELECT 2"_s };
    QTest::addRow("trigger comment before end")
        << "CREATE TRIGGER tr AFTER DELETE ON t BEGIN DELETE FROM u; -- done;\n END; SELECT 3"_ba
        << QStringList { u"Ddl @0: CREATE TRIGGER tr AFTER DELETE ON t BEGIN DELETE FROM u; -- done;\n END"_s,
               u"Read @72: SELECT 3"_s };
    QTest::addRow("trigger without final ;")
        << "CREATE TRIGGER IF NOT EXISTS main.tr INSTEAD OF INSERT ON v FOR EACH ROW BEGIN\n"
           "  INSERT INTO t VALUES (new.a);\nEND\n"_ba
        << QStringList { u"Ddl @0: CREATE TRIGGER IF NOT EXISTS main.tr INSTEAD OF INSERT ON v FOR EACH ROW BEGIN\n"
                         u"  INSERT INTO t VALUES (new.a);\nEND"_s };
    QTest::addRow("explain trigger")
        << "EXPLAIN CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; SELECT 2"_ba
        << QStringList { u"Read @0: EXPLAIN CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END"_s,
               u"Read @65: SELECT 2"_s };
    QTest::addRow("begin is not a trigger")
        << "BEGIN; END; SELECT 1"_ba
        << QStringList { u"TxnBegin @0: BEGIN"_s, u"TxnEnd @7: END"_s, u"Read @12: SELECT 1"_s };
    QTest::addRow("utf8") << "SELECT 'é;ü'; SELECT \"ñ\""_ba
                          << QStringList { u"Read @0: SELECT 'é;ü'"_s, u"Read @16: SELECT \"ñ\""_s };
}

void TestStatementAnalyzer::split()
{
    QFETCH(QByteArray, sql);
    QFETCH(QStringList, expected);
    QCOMPARE(run(sql), expected);
}

void TestStatementAnalyzer::rejected_data()
{
    QTest::addColumn<QByteArray>("sql");

    for (const char *sql : { "VACUUM INTO 'x'", "VACUUM main INTO 'backup.db'", "vacuum into '/tmp/x'",
             "CREATE TEMP TABLE t(a)", "create temporary view v as select 1",
             "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", "CREATE TABLE temp.t(a)",
             "CREATE TABLE IF NOT EXISTS TEMP.t(a)", "CREATE VIEW \"temp\".v AS SELECT 1", "PRAGMA journal_mode=DELETE",
             "PRAGMA journal_mode = WAL", "pragma main.journal_mode('wal')", "PRAGMA wal_autocheckpoint=0",
             "PRAGMA wal_checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA writable_schema=ON",
             "PRAGMA writable_schema", "PRAGMA mmap_size=268435456", "PRAGMA temp_store_directory='/tmp'",
             "PRAGMA schema_version=5", "PRAGMA cache_size(-2000)", "PRAGMA synchronous = OFF", "PRAGMA query_only=1",
             "PRAGMA incremental_vacuum", "PRAGMA shrink_memory", "PRAGMA case_sensitive_like=1",
             "PRAGMA unknown_thing", "EXPLAIN PRAGMA journal_mode=DELETE", "ATTACH 'file.db' AS f",
             "ATTACH DATABASE 'x' AS y", "ATTACH foo || 'x' AS f", "ATTACH foo AS f KEY 'k'", "ATTACH foo AS 'f'",
             "ATTACH \"\" AS f", "INSERT INTO _litestream_seq VALUES(1)", "insert into main._LITESTREAM_LOCK values(1)",
             "UPDATE libsql_wasm_func_table SET x=1", "DELETE FROM \"_litestream_seq\"", "DROP TABLE _litestream_lock",
             "DROP TABLE IF EXISTS main.[_litestream_lock]", "ALTER TABLE libsql_wasm_func_table ADD c",
             "WITH x AS (SELECT 1) DELETE FROM _litestream_seq", "REPLACE INTO '_litestream_seq' VALUES (1)" }) {
        QTest::addRow("%s", sql) << QByteArray(sql);
    }
    QTest::addRow("whole input is quoted") << "  SELECT 1;\nVACUUM INTO 'x'; SELECT 2 "_ba;
}

void TestStatementAnalyzer::rejected()
{
    QFETCH(QByteArray, sql);
    QCOMPARE(run(sql), QStringList { u"error: unsupported statement: "_s + QString::fromUtf8(sql) });
}

void TestStatementAnalyzer::syntaxErrors_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QString>("message");
    QTest::addColumn<int>("offset");

    const auto row = [](const char *name, const QByteArray &sql, const QString &message, int offset) {
        QTest::addRow("%s", name) << sql << message << offset;
    };
    row("misspelt select", "SELEC 1"_ba, u"syntax error around L1:1: `SELEC`"_s, 0);
    row("unknown word", "FOO"_ba, u"syntax error around L1:1: `FOO`"_s, 0);
    row("second line", "  \n  bogus stuff"_ba, u"syntax error around L2:3: `bogus`"_s, 5);
    row("second statement", "SELECT 1;\nSELEC 2"_ba, u"syntax error around L2:1: `SELEC`"_s, 10);
    row("after comments", "-- only a comment\nSELECT 'a';\n\n  /* c */ 42"_ba, u"syntax error around L4:11: `42`"_s,
        41);
    row("byte columns", "SELECT 'é'; FOO"_ba, u"syntax error around L1:14: `FOO`"_s, 13);
    row("parenthesis", "(SELECT 1)"_ba, u"syntax error around L1:1: `(`"_s, 0);
    row("string first", "'abc'"_ba, u"syntax error around L1:1: `'abc'`"_s, 0);
    row("quoted identifier first", "\"SELECT\" 1"_ba, u"syntax error around L1:1: `\"SELECT\"`"_s, 0);
    row("unterminated string", "SELECT 'abc"_ba, u"syntax error around L1:8: `'`"_s, 7);
    row("unterminated string after ''", "SELECT 'it''s"_ba, u"syntax error around L1:8: `'`"_s, 7);
    row("unterminated identifier", "SELECT \"abc"_ba, u"syntax error around L1:8: `\"`"_s, 7);
    row("unterminated bracket", "SELECT [abc"_ba, u"syntax error around L1:8: `[`"_s, 7);
    row("unterminated backtick", "SELECT `abc"_ba, u"syntax error around L1:8: ```"_s, 7);
    row("unterminated comment", "SELECT 1 /* unterminated"_ba, u"syntax error around L1:10: `/*`"_s, 9);
    row("unterminated blob", "SELECT x'ab"_ba, u"syntax error around L1:8: `x'`"_s, 7);
    row("nul byte", "SELECT 1\0"_ba, u"syntax error around L1:9: `\\0`"_s, 8);
    row("nul in string", "SELECT 'a\0b'"_ba, u"syntax error around L1:10: `\\0`"_s, 9);
    row("begin junk", "BEGIN FOO"_ba, u"syntax error around L1:7: `FOO`"_s, 6);
    row("begin two names", "BEGIN TRANSACTION x y"_ba, u"syntax error around L1:21: `y`"_s, 20);
    row("commit junk", "COMMIT WORK"_ba, u"syntax error around L1:8: `WORK`"_s, 7);
    row("rollback to at end", "ROLLBACK TO"_ba, u"syntax error around L1:12: ``"_s, 11);
    row("rollback to before ;", "ROLLBACK TO -- x\n;"_ba, u"syntax error around L2:1: `;`"_s, 17);
    row("savepoint without name", "SAVEPOINT"_ba, u"syntax error around L1:10: ``"_s, 9);
    row("release junk", "RELEASE a b"_ba, u"syntax error around L1:11: `b`"_s, 10);
    row("insert without into", "INSERT t VALUES(1)"_ba, u"syntax error around L1:8: `t`"_s, 7);
    row("insert or junk", "INSERT OR (1)"_ba, u"syntax error around L1:11: `(`"_s, 10);
    row("delete without from", "DELETE t"_ba, u"syntax error around L1:8: `t`"_s, 7);
    row("update without table", "UPDATE (x)"_ba, u"syntax error around L1:8: `(`"_s, 7);
    row("create junk", "CREATE FOO"_ba, u"syntax error around L1:8: `FOO`"_s, 7);
    row("create temp junk", "CREATE TEMP FOO"_ba, u"syntax error around L1:13: `FOO`"_s, 12);
    row("create if junk", "CREATE TABLE IF EXISTS t(a)"_ba, u"syntax error around L1:17: `EXISTS`"_s, 16);
    row("drop database", "DROP DATABASE x"_ba, u"syntax error around L1:6: `DATABASE`"_s, 5);
    row("alter view", "ALTER VIEW v"_ba, u"syntax error around L1:7: `VIEW`"_s, 6);
    row("pragma alone", "PRAGMA"_ba, u"syntax error around L1:7: ``"_s, 6);
    row("pragma junk", "PRAGMA foo bar"_ba, u"syntax error around L1:12: `bar`"_s, 11);
    row("pragma without value", "PRAGMA foreign_keys =;"_ba, u"syntax error around L1:22: `;`"_s, 21);
    row("with then vacuum", "WITH x AS (SELECT 1) VACUUM"_ba, u"syntax error around L1:22: `VACUUM`"_s, 21);
    row("with unbalanced", "WITH x AS (SELECT 1"_ba, u"syntax error around L1:20: ``"_s, 19);
    row("with without as", "WITH x SELECT 1"_ba, u"syntax error around L1:8: `SELECT`"_s, 7);
    row("explain alone", "EXPLAIN"_ba, u"syntax error around L1:8: ``"_s, 7);
    row("explain explain", "EXPLAIN EXPLAIN SELECT 1"_ba, u"syntax error around L1:9: `EXPLAIN`"_s, 8);
    row("explain query without plan", "EXPLAIN QUERY SELECT 1"_ba, u"syntax error around L1:15: `SELECT`"_s, 14);
    row("explain junk", "EXPLAIN FOO"_ba, u"syntax error around L1:9: `FOO`"_s, 8);
    row("attach alone", "ATTACH"_ba, u"syntax error around L1:7: ``"_s, 6);
    row("attach without alias", "ATTACH foo"_ba, u"syntax error around L1:11: ``"_s, 10);
    row("detach alone", "DETACH;"_ba, u"syntax error around L1:7: `;`"_s, 6);
    row("vacuum junk", "VACUUM main extra"_ba, u"syntax error around L1:13: `extra`"_s, 12);
    row("invalid utf8", "\xff\xfe"_ba, u"syntax error around L1:1: `"_s + QString::fromUtf8("\xff\xfe") + u'`', 0);
    row("control character", "\x01 SELECT 1"_ba, u"syntax error around L1:1: `\x01`"_s, 0);
}

void TestStatementAnalyzer::syntaxErrors()
{
    QFETCH(QByteArray, sql);
    QFETCH(QString, message);
    QFETCH(int, offset);
    const auto result = qsqld::sql::analyze(sql);
    const auto *error = std::get_if<AnalysisError>(&result);
    QVERIFY2(error, qPrintable(run(sql).join(u'\n')));
    QCOMPARE(error->message, message);
    QCOMPARE(error->offset, offset);
}

void TestStatementAnalyzer::errorLocation()
{
    const QByteArray sql = "SELECT 1; /* x */ VACUUM INTO 'x'; SELECT 2"_ba;
    const auto result = qsqld::sql::analyze(sql);
    const auto *error = std::get_if<AnalysisError>(&result);
    QVERIFY(error);
    QCOMPARE(error->message, u"unsupported statement: SELECT 1; /* x */ VACUUM INTO 'x'; SELECT 2"_s);
    QCOMPARE(error->offset, 18);
    QCOMPARE(error->statementIndex, 1);

    // The first error in input order wins, even if a later statement cannot be tokenized.
    const auto second = qsqld::sql::analyze("SELECT 1; FOO; SELECT 'unterminated"_ba);
    QCOMPARE(std::get<AnalysisError>(second).message, u"syntax error around L1:11: `FOO`"_s);
    QCOMPARE(std::get<AnalysisError>(second).statementIndex, 1);
}

void TestStatementAnalyzer::readOnlyClasses()
{
    using qsqld::sql::isReadOnly;
    QVERIFY(isReadOnly(StatementClass::Read));
    QVERIFY(isReadOnly(StatementClass::TxnBegin));
    QVERIFY(isReadOnly(StatementClass::TxnBeginReadOnly));
    QVERIFY(isReadOnly(StatementClass::TxnEnd));
    QVERIFY(isReadOnly(StatementClass::Savepoint));
    QVERIFY(isReadOnly(StatementClass::Release));
    QVERIFY(!isReadOnly(StatementClass::Write));
    QVERIFY(!isReadOnly(StatementClass::Ddl));
    QVERIFY(!isReadOnly(StatementClass::Attach));
    QVERIFY(!isReadOnly(StatementClass::Detach));
}

void TestStatementAnalyzer::prefixesOfValidScripts()
{
    // Every prefix of a valid script is an input like any other: no crash, and the invariants hold.
    const QList<QByteArray> scripts {
        "CREATE TRIGGER tr BEFORE UPDATE ON t WHEN CASE WHEN new.a THEN 1 END BEGIN SELECT 'a;b'; "
        "INSERT INTO l VALUES (\"x\"\"y\", [z;], `w`); END; /* c */ SELECT 1 -- d\n;"_ba,
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) INSERT INTO t SELECT n FROM c LIMIT 5;"
        "BEGIN TRANSACTION READONLY; PRAGMA main.table_info('t'); ROLLBACK TO SAVEPOINT sp; COMMIT"_ba,
        "ATTACH \"ns\" AS n; SELECT $v(a;b), :x::y, ?3, x'00ff', 1.5e-3 FROM n.t; DETACH n"_ba,
    };
    for (const QByteArray &script : scripts) {
        for (qsizetype n = 0; n <= script.size(); ++n) {
            const QByteArray prefix = script.left(n);
            const QString problem = violation(prefix);
            QVERIFY2(problem.isEmpty(), qPrintable(problem + u" in: "_s + QString::fromUtf8(prefix)));
        }
    }
}

void TestStatementAnalyzer::fuzzFragments()
{
    static const QList<QByteArray> FRAGMENTS { "SELECT"_ba, "select"_ba, " "_ba, "\n"_ba, ";"_ba, "'"_ba, "\""_ba,
        "`"_ba, "["_ba, "]"_ba, "--"_ba, "/*"_ba, "*/"_ba, "("_ba, ")"_ba, "CREATE"_ba, "TEMP"_ba, "TRIGGER"_ba,
        "BEGIN"_ba, "END"_ba, "CASE"_ba, "x"_ba, "1"_ba, "$a("_ba, ":"_ba, "::"_ba, "?"_ba, "PRAGMA"_ba, "="_ba,
        "WITH"_ba, "AS"_ba, ","_ba, "INSERT"_ba, "INTO"_ba, "READONLY"_ba, "TRANSACTION"_ba, "ATTACH"_ba, "DETACH"_ba,
        "VACUUM"_ba, "EXPLAIN"_ba, "ROLLBACK"_ba, "TO"_ba, "."_ba, "temp"_ba, "foreign_keys"_ba, "x'"_ba, "\xc3\xa9"_ba,
        "\xff"_ba, "_litestream_seq"_ba, "DROP"_ba, "TABLE"_ba, "IF"_ba, "EXISTS"_ba };
    QRandomGenerator random(20240611);
    for (int i = 0; i < 20000; ++i) {
        QByteArray input;
        const int count = random.bounded(40);
        for (int j = 0; j < count; ++j)
            input += FRAGMENTS.at(random.bounded(int(FRAGMENTS.size())));
        const QString problem = violation(input);
        QVERIFY2(problem.isEmpty(), qPrintable(problem + u" in: "_s + QString::fromUtf8(input.toPercentEncoding())));
    }
}

void TestStatementAnalyzer::fuzzBytes()
{
    QRandomGenerator random(42);
    for (int i = 0; i < 20000; ++i) {
        QByteArray input(random.bounded(64), Qt::Uninitialized);
        for (char &c : input)
            c = static_cast<char>(random.bounded(256));
        // Bias half the inputs towards text, where more of the grammar is reached.
        if (i % 2 == 0)
            input = "SELECT 1; "_ba + input.replace('\0', ' ');
        const QString problem = violation(input);
        QVERIFY2(problem.isEmpty(), qPrintable(problem + u" in: "_s + QString::fromLatin1(input.toHex())));
    }
}

void TestStatementAnalyzer::largeScript()
{
    const QByteArray line = "INSERT INTO t(a, b) VALUES (12345, 'x;y -- z'); -- row\n"_ba;
    const int rows = 10 * 1024 * 1024 / int(line.size()) + 1;
    const QByteArray script = line.repeated(rows);
    QElapsedTimer timer;
    timer.start();
    const auto result = qsqld::sql::analyze(script);
    const qint64 elapsed = timer.elapsed();
    const auto &list = std::get<QList<StatementInfo>>(result);
    QCOMPARE(list.size(), rows);
    QCOMPARE(describe(list.last()),
        u"Write insert iud @"_s + QString::number(qsizetype(rows - 1) * line.size())
            + u": INSERT INTO t(a, b) VALUES (12345, 'x;y -- z')"_s);
    QVERIFY2(elapsed < TIME_LIMIT_MS, qPrintable(QString::number(elapsed) + u" ms"_s));

    // An error on the last line of a long script: its line number is right and finding it is still fast.
    timer.restart();
    const auto failed = qsqld::sql::analyze(script + "SELEC"_ba);
    QCOMPARE(std::get<AnalysisError>(failed).message,
        u"syntax error around L"_s + QString::number(rows + 1) + u":1: `SELEC`"_s);
    QVERIFY2(timer.elapsed() < TIME_LIMIT_MS, qPrintable(QString::number(timer.elapsed()) + u" ms"_s));
}

void TestStatementAnalyzer::largeSingleStatement()
{
    const QByteArray sql = "WITH v(a) AS (VALUES "_ba + repeated("(1, 'a;b'), "_ba, 10 * 1024 * 1024)
        + "(2, ')')) INSERT INTO t SELECT * FROM v"_ba;
    QElapsedTimer timer;
    timer.start();
    const auto result = qsqld::sql::analyze(sql);
    const qint64 elapsed = timer.elapsed();
    const auto &list = std::get<QList<StatementInfo>>(result);
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.front().kind, StatementClass::Write);
    QVERIFY(list.front().isInsert);
    QCOMPARE(list.front().sql, sql);
    QVERIFY2(elapsed < TIME_LIMIT_MS, qPrintable(QString::number(elapsed) + u" ms"_s));
}

void TestStatementAnalyzer::largeTriggerBody()
{
    const QByteArray body = repeated("INSERT INTO l VALUES (CASE WHEN 1 THEN 'end;' END); "_ba, 4 * 1024 * 1024);
    const QByteArray trigger = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN "_ba + body + "END"_ba;
    QElapsedTimer timer;
    timer.start();
    const auto result = qsqld::sql::analyze(trigger + "; SELECT 1"_ba);
    const qint64 elapsed = timer.elapsed();
    const auto &list = std::get<QList<StatementInfo>>(result);
    QCOMPARE(list.size(), 2);
    QCOMPARE(list.at(0).kind, StatementClass::Ddl);
    QCOMPARE(list.at(0).sql, trigger);
    QCOMPARE(describe(list.at(1)), u"Read @"_s + QString::number(trigger.size() + 2) + u": SELECT 1"_s);
    QVERIFY2(elapsed < TIME_LIMIT_MS, qPrintable(QString::number(elapsed) + u" ms"_s));
}

void TestStatementAnalyzer::pathologicalInputs_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QStringList>("expected");

    constexpr qsizetype MB = 1024 * 1024;
    const QByteArray parens(MB, '(');
    QTest::addRow("1 MB of (") << parens << QStringList { u"error: syntax error around L1:1: `(`"_s };
    QTest::addRow("select and 1 MB of (")
        << "SELECT "_ba + parens << QStringList { u"Read @0: SELECT "_s + QString::fromLatin1(parens) };
    QTest::addRow("with and 1 MB of (") << "WITH a AS "_ba
            + parens << QStringList { u"error: syntax error around L1:"_s + QString::number(MB + 11) + u": ``"_s };
    QTest::addRow("1 MB of ;") << QByteArray(MB, ';') << QStringList {};
    QTest::addRow("1 MB of newlines") << QByteArray(MB, '\n') << QStringList {};
    QTest::addRow("1 MB comment") << "/*"_ba + QByteArray(MB, 'a')
                                  << QStringList { u"error: syntax error around L1:1: `/*`"_s };
    QTest::addRow("5 MB string") << "SELECT '"_ba + QByteArray(5 * MB, 'a')
                                 << QStringList { u"error: syntax error around L1:8: `'`"_s };
    QTest::addRow("1 MB identifier") << QByteArray(
        MB, 'a') << QStringList { u"error: syntax error around L1:1: `"_s + QString(MB, u'a') + u'`' };
    QTest::addRow("trigger of ;") << "CREATE TRIGGER"_ba + QByteArray(MB, ';')
                                  << QStringList { u"error: syntax error around L1:15: `;`"_s };
    QTest::addRow("1 MB of quotes pairs")
        << "SELECT "_ba + QByteArray(MB, '\'') << QStringList { u"Read @0: SELECT "_s + QString(MB, u'\'') };
    QTest::addRow("1 MB of --") << repeated("--\n"_ba, MB) << QStringList {};
    QTest::addRow("1 MB of case") << "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT "_ba + repeated("CASE "_ba, MB)
            + "; END"_ba
                                  << QStringList { u"Ddl @0: CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT "_s
                                         + QString::fromLatin1(repeated("CASE "_ba, MB)) + u"; END"_s };
}

void TestStatementAnalyzer::pathologicalInputs()
{
    QFETCH(QByteArray, sql);
    QFETCH(QStringList, expected);
    QElapsedTimer timer;
    timer.start();
    const QStringList actual = run(sql);
    const qint64 elapsed = timer.elapsed();
    // Compare sizes first: a failing QCOMPARE of megabyte strings is unreadable.
    QCOMPARE(actual.size(), expected.size());
    for (qsizetype i = 0; i < actual.size(); ++i) {
        if (actual.at(i) != expected.at(i))
            QFAIL(qPrintable(u"statement "_s + QString::number(i) + u" differs: "_s + actual.at(i).left(200)));
    }
    QVERIFY2(elapsed < TIME_LIMIT_MS, qPrintable(QString::number(elapsed) + u" ms"_s));
}

QTEST_GUILESS_MAIN(TestStatementAnalyzer)
#include "tst_statementanalyzer.moc"
