#pragma once

// Runs single Hrana statements on one SQLite connection: SQL resolution and analysis, parameter binding,
// row collection, sqld's error mapping. Worker thread only (the thread that owns the Session).

#include "protocol.h"

#include "auth/jwt.h"
#include "db/sqlite.h"
#include "ns/namespaceconfig.h"
#include "util/responsebudget.h"
#include "sql/sandbox.h"
#include "sql/statementanalyzer.h"

#include <QHash>
#include <QSet>

#include <chrono>
#include <memory>
#include <variant>

namespace qsqld::hrana {

class NamespaceStats;
class AnalysisCache;

// A SQLite connection plus the Hrana state that lives as long as a stream: stored SQL texts and
// the "rolled back by force" flag. Owned by the worker's namespace state.
struct Session
{
    db::Connection conn;
    sql::Sandbox sandbox; // installed on conn by NamespaceDb::openSession
    db::StatementCache cache;
    QHash<qint32, QByteArray> storedSql;
    bool txnTimedOut = false; // the next request fails with TRANSACTION_TIMEOUT once
    // The namespace configuration last applied to this connection (max_page_count, synchronous, row size).
    quint64 appliedPages = 0;
    int appliedDurability = -1;
    quint64 appliedRowSize = 0;
};

struct ExecLimits
{
    qint64 maxResponseSize = 10'000'000;
    util::ResponseBudget *budget = nullptr; // --max-total-response-size, shared by all workers
    NamespaceStats *stats = nullptr;        // the namespace's usage counters (worker-owned)
    const ns::NamespaceConfig *config = nullptr; // block_reads / block_writes (worker-owned copy)
    QString dbRoot;                              // <db-path>/dbs, where ATTACH finds other namespaces
    AnalysisCache *analysis = nullptr;           // the worker's cache of statement analyses
    std::chrono::milliseconds statementTimeout{30'000};
    std::shared_ptr<db::CancelToken> cancel;
};

enum class StepStatus { Ok, Error, Busy };

struct StmtOutcome
{
    StepStatus status = StepStatus::Ok;
    bool started = false; // prepared and bound: `result.cols` (and rows so far) are valid even on error
    StmtResult result;
    Error error;
};

namespace errors {
Error parse(const QString &detail);       // SQL_PARSE_ERROR
Error noStatement();                      // SQL_NO_STATEMENT
Error manyStatements();                   // SQL_MANY_STATEMENTS
// `prepare`: the error came from preparing; `syntaxAsParseError`: report SQLite syntax errors as SQL_PARSE_ERROR
// (as sqld's own parser would) rather than SQL_INPUT_ERROR (describe skips sqld's parser, so it keeps the latter).
Error fromDb(const db::DbError &e, bool prepare, bool syntaxAsParseError = true);
Error transactionTimeout();               // TRANSACTION_TIMEOUT
Error responseTooLarge();                 // RESPONSE_TOO_LARGE
Error blocked(const std::optional<QString> &reason); // BLOCKED
} // namespace errors

// Analyses of recent single-statement texts (clients repeat the same statements). Bounded; worker thread only.
class AnalysisCache
{
public:
    const std::variant<sql::StatementInfo, Error> &analyze(const QByteArray &text);

private:
    static constexpr qsizetype MAX_ENTRIES = 512;
    static constexpr qsizetype MAX_TEXT = 4096; // longer texts are analysed every time
    QHash<QByteArray, std::variant<sql::StatementInfo, Error>> m_entries;
    std::variant<sql::StatementInfo, Error> m_uncached;
};

// A protocol error raised while running (a whole-request 400 text), e.g. an unknown sql_id.
struct ProtocolError
{
    QByteArray message;
    int status = 400;       // 400 text/plain; 403 for a forbidden statement
    bool jsonError = false; // {"error": message} instead of text/plain
};

// Who runs a request and what its statements may touch.
struct AccessContext
{
    QString ns;
    auth::Permissions permissions = auth::Permissions::full();
    std::shared_ptr<const QSet<QString>> attachable; // namespaces whose config has allow_attach
};

// sqld's statement permission rules (spec 3.4): a write or DDL needs Write; ATTACH needs AttachRead on the
// target, which must allow attach. A refusal is a whole-request 403 {"error": ...}.
std::optional<ProtocolError> forbiddenStatement(const sql::StatementInfo &info, const AccessContext &access);

class Executor
{
public:
    Executor(Session &session, ExecLimits limits) : m_session(session), m_limits(std::move(limits)) { }

    // The SQL text of a statement: `sql`, or the stored text for `sql_id`. Protocol errors as sqld.
    std::variant<QByteArray, ProtocolError> resolveSql(const std::optional<QByteArray> &sql,
                                                       const std::optional<qint32> &sqlId) const;

    // Analyzes text that must hold exactly one statement (execute, batch step).
    static std::variant<sql::StatementInfo, Error> analyzeSingle(const QByteArray &text);
    // analyzeSingle through the worker's cache when there is one.
    std::variant<sql::StatementInfo, Error> analyze(const QByteArray &text) const
    {
        return m_limits.analysis ? m_limits.analysis->analyze(text) : analyzeSingle(text);
    }

    // Runs one analyzed statement with the arguments of `stmt`. Busy means SQLITE_BUSY on the write lock.
    StmtOutcome run(const sql::StatementInfo &info, const Stmt &stmt, bool wantRows);

    DescribeResult describe(const QByteArray &sql, Error *error);

    db::Connection &connection() { return m_session.conn; }

private:
    bool bindArgs(sqlite3_stmt *stmt, const sql::StatementInfo &info, const Stmt &s, Error *error);

    Session &m_session;
    ExecLimits m_limits;
};

} // namespace qsqld::hrana
