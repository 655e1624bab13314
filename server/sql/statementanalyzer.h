#pragma once

#include <variant>

#include <QByteArray>
#include <QList>
#include <QString>

// Splits SQL text into statements and classifies each one the way sqld does before SQLite sees it
// (libsql-server/src/query_analysis.rs; spec section 4.1). The classification decides what a statement may do:
// which tokens may run it, which guards block it, whether it opens or ends a transaction, and which statements are
// refused outright (temporary objects, state-changing pragmas, VACUUM INTO, ATTACH of files).
//
// This is not a full SQL parser. The splitter follows SQLite's own tokenizer (tokenize.c) and sqlite3_complete(),
// so statement boundaries are the ones SQLite would use. Classification reads only as many leading tokens as it
// needs. Errors deeper inside a statement are left to sqlite3_prepare, so they arrive as SQLite errors rather than
// as sqld's SQL_PARSE_ERROR.
//
// Thread rule: pure functions without shared state; call them from any thread.
// Cost: linear in the input, no recursion, no allocation per token.

namespace qsqld::sql {

enum class StatementClass { TxnBegin, TxnBeginReadOnly, TxnEnd, Savepoint, Release, Read, Write, Ddl, Attach, Detach };

struct StatementInfo
{
    StatementClass kind = StatementClass::Read;
    // Text to hand to SQLite for this statement: from its first token to its last one, comments inside kept.
    // `BEGIN ... READONLY` is rewritten to "BEGIN DEFERRED", which stock SQLite accepts.
    QByteArray sql;
    int offset = 0; // byte offset of the statement's first character in the input
    bool isInsert = false; // INSERT / REPLACE (incl. WITH ... INSERT)
    bool isIud = false; // INSERT / UPDATE / DELETE / REPLACE
    QByteArray attachTarget; // ATTACH: the namespace name, unquoted
    QByteArray attachAlias; // ATTACH/DETACH: the alias, unquoted
};

struct AnalysisError
{
    // The detail for SQL_PARSE_ERROR ("SQL string could not be parsed: <message>"), one of
    //   "syntax error around L<line>:<column>: `<token>`"   (1-based; the column counts bytes, as sqld does)
    //   "unsupported statement: <the whole input text>"     (sqld quotes the whole request text, not the statement)
    QString message;
    int offset = -1; // byte offset of the offending token (syntax error) or statement (unsupported)
    int statementIndex = -1; // index of the offending statement among the non-empty ones, -1 if none applies
};

// Splits `sql` into statements and classifies each. Empty or comment-only pieces between ';' are dropped, so an
// empty list means "no statement". Stops at the first error.
std::variant<QList<StatementInfo>, AnalysisError> analyze(const QByteArray &sql);

// True for Read, TxnBegin*, TxnEnd, Savepoint and Release: statements a read-only token may run.
bool isReadOnly(StatementClass k);

// "TxnBegin", "Read", ...: for logs and test output.
const char *statementClassName(StatementClass k);

} // namespace qsqld::sql
