#pragma once

// Hrana request/response values (protocol versions 1-3), independent of the wire encoding.
// Plain values: cheap to move, safe to hand between threads.

#include <QByteArray>
#include <QList>

#include <memory>
#include <optional>
#include <vector>

namespace qsqld::hrana {

enum class Version { V1 = 1, V2 = 2, V3 = 3 };

struct Value
{
    enum class Type { Null, Integer, Float, Text, Blob };
    Type type = Type::Null;
    qint64 integer = 0;
    double real = 0;
    QByteArray bytes; // text (UTF-8) or blob

    static Value fromInteger(qint64 v) { Value x; x.type = Type::Integer; x.integer = v; return x; }
    static Value fromFloat(double v) { Value x; x.type = Type::Float; x.real = v; return x; }
    static Value fromText(QByteArray v) { Value x; x.type = Type::Text; x.bytes = std::move(v); return x; }
    static Value fromBlob(QByteArray v) { Value x; x.type = Type::Blob; x.bytes = std::move(v); return x; }
};

struct NamedArg
{
    QByteArray name;
    Value value;
};

struct Stmt
{
    std::optional<QByteArray> sql;
    std::optional<qint32> sqlId;
    std::vector<Value> args;
    std::vector<NamedArg> namedArgs;
    bool wantRows = true;
};

struct BatchCond
{
    enum class Type { Ok, Error, Not, And, Or, IsAutocommit };
    Type type = Type::Ok;
    quint32 step = 0;
    std::vector<BatchCond> conds; // Not: exactly one; And/Or: any number
};

struct BatchStep
{
    std::optional<BatchCond> condition;
    Stmt stmt;
};

struct Batch
{
    std::vector<BatchStep> steps;
};

struct StreamRequest
{
    enum class Type { Close, Execute, Batch, Sequence, Describe, StoreSql, CloseSql, GetAutocommit };
    Type type = Type::Close;
    Stmt stmt;                     // Execute
    Batch batch;                   // Batch
    std::optional<QByteArray> sql; // Sequence, Describe, StoreSql
    std::optional<qint32> sqlId;   // Sequence, Describe, StoreSql, CloseSql
};

struct PipelineRequest
{
    std::optional<QByteArray> baton;
    std::vector<StreamRequest> requests;
};

struct CursorRequest
{
    std::optional<QByteArray> baton;
    Batch batch;
};

// A Hrana error: {"message","code"}.
struct Error
{
    Error() = default;
    Error(QByteArray message_, QByteArray code_) : message(std::move(message_)), code(std::move(code_)) { }

    QByteArray message;
    QByteArray code;
    // For SQLite failures: the extended result code and SQLite's own message (replica writes report both).
    int extendedCode = 0;
    QByteArray sqliteMessage;
};

struct Column
{
    QByteArray name;
    std::optional<QByteArray> decltype_;
};

struct StmtResult
{
    std::vector<Column> cols;
    std::vector<std::vector<Value>> rows;
    quint64 affectedRowCount = 0;
    std::optional<qint64> lastInsertRowid;
    quint64 rowsRead = 0;
    quint64 rowsWritten = 0;
    double queryDurationMs = 0;
    qsizetype estimatedSize = 0; // rough JSON size, for --max-response-size
};

struct BatchResult
{
    std::vector<std::optional<StmtResult>> stepResults;
    std::vector<std::optional<Error>> stepErrors;
};

struct DescribeResult
{
    std::vector<std::optional<QByteArray>> params;
    std::vector<Column> cols;
    bool isExplain = false;
    bool isReadonly = false;
};

} // namespace qsqld::hrana
