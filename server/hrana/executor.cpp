#include "executor.h"

#include "namespacestats.h"

#include <QDateTime>

#include <QString>

namespace qsqld::hrana {

using namespace std::chrono;

namespace errors {

Error parse(const QString &detail)
{
    return {"SQL string could not be parsed: " + detail.toUtf8(), "SQL_PARSE_ERROR"};
}

Error noStatement()
{
    return {"SQL string does not contain any statement", "SQL_NO_STATEMENT"};
}

Error manyStatements()
{
    return {"SQL string contains more than one statement", "SQL_MANY_STATEMENTS"};
}

namespace {
Error fromDbText(const db::DbError &e, bool prepare, bool syntaxAsParseError);
} // namespace

Error fromDb(const db::DbError &e, bool prepare, bool syntaxAsParseError)
{
    Error out = fromDbText(e, prepare, syntaxAsParseError);
    out.extendedCode = e.code;
    out.sqliteMessage = e.message;
    return out;
}

namespace {
Error fromDbText(const db::DbError &e, bool prepare, bool syntaxAsParseError)
{
    // A syntax error SQLite finds (past the leading keywords sqld's classifier checks) is still a parse error,
    // reported in sqld's form: "syntax error around L<line>:<col>: `<token>`".
    if (prepare && syntaxAsParseError && e.primary() == SQLITE_ERROR
        && (e.message.endsWith(": syntax error") || e.message.startsWith("unrecognized token")
            || e.message == "incomplete input")) {
        const qsizetype offset = e.offset >= 0 ? e.offset : e.sql.size();
        const QByteArray before = e.sql.left(offset);
        const qsizetype line = before.count('\n') + 1;
        const qsizetype col = offset - (before.lastIndexOf('\n') + 1) + 1;
        QByteArray token;
        const qsizetype q1 = e.message.indexOf('"');
        const qsizetype q2 = e.message.lastIndexOf('"');
        if (q1 >= 0 && q2 > q1)
            token = e.message.mid(q1 + 1, q2 - q1 - 1);
        if (e.message == "incomplete input")
            return parse(QStringLiteral("unexpected end of input"));
        return parse(QString::fromUtf8("syntax error around L" + QByteArray::number(line) + ":"
                                       + QByteArray::number(col) + ": `" + token + "`"));
    }
    // SQLite 3.40 gives no offset for "no such table"; point at the name like sqld (libSQL) does.
    if (prepare && e.primary() == SQLITE_ERROR && e.offset < 0 && e.message.startsWith("no such table: ")
        && !e.sql.isEmpty()) {
        const QByteArray name = e.message.mid(15);
        const qsizetype dot = name.lastIndexOf('.');
        qsizetype at = e.sql.toLower().indexOf(name.toLower());
        if (at < 0 && dot >= 0)
            at = e.sql.toLower().indexOf(name.mid(dot + 1).toLower());
        if (at >= 0)
            return {"SQL input error: " + e.message + " (at offset " + QByteArray::number(at) + ")",
                    "SQL_INPUT_ERROR"};
    }
    if (prepare && e.primary() == SQLITE_ERROR && e.offset >= 0)
        return {"SQL input error: " + e.message + " (at offset " + QByteArray::number(e.offset) + ")",
                "SQL_INPUT_ERROR"};
    return {"SQLite error: " + e.message, db::primaryCodeName(e.code)};
}
} // namespace

Error transactionTimeout()
{
    return {"Transaction timed out", "TRANSACTION_TIMEOUT"};
}

Error responseTooLarge()
{
    return {"Response is too large", "RESPONSE_TOO_LARGE"};
}

Error blocked(const std::optional<QString> &reason)
{
    return {reason ? "Operation was blocked: " + reason->toUtf8() : QByteArray("Operation was blocked"), "BLOCKED"};
}

} // namespace errors

std::optional<ProtocolError> forbiddenStatement(const sql::StatementInfo &info, const AccessContext &access)
{
    using C = sql::StatementClass;
    auto refuse = [](const QByteArray &detail) {
        return ProtocolError{"Authorization forbidden: " + detail, 403, true};
    };
    if ((info.kind == C::Write || info.kind == C::Ddl) && !access.permissions.allows(auth::Right::Write, access.ns))
        return refuse("Current session doesn't not have Write permission to namespace " + access.ns.toUtf8());
    if (info.kind == C::Attach) {
        const QString target = QString::fromUtf8(info.attachTarget);
        if (!access.permissions.allows(auth::Right::AttachRead, target) || !access.attachable
            || !access.attachable->contains(target))
            return refuse("Namespace `" + info.attachTarget + "` doesn't allow attach");
    }
    return std::nullopt;
}

namespace {

Error argsError(const QByteArray &detail)
{
    return {"Arguments do not match SQL parameters: " + detail, "ARGS_INVALID"};
}

void bindValue(sqlite3_stmt *stmt, int idx, const Value &v)
{
    switch (v.type) {
    case Value::Type::Null:
        sqlite3_bind_null(stmt, idx);
        break;
    case Value::Type::Integer:
        sqlite3_bind_int64(stmt, idx, v.integer);
        break;
    case Value::Type::Float:
        sqlite3_bind_double(stmt, idx, v.real);
        break;
    case Value::Type::Text:
        sqlite3_bind_text64(stmt, idx, v.bytes.constData(), static_cast<sqlite3_uint64>(v.bytes.size()),
                            db::transientDestructor(), SQLITE_UTF8);
        break;
    case Value::Type::Blob:
        sqlite3_bind_blob64(stmt, idx, v.bytes.constData(), static_cast<sqlite3_uint64>(v.bytes.size()),
                            db::transientDestructor());
        break;
    }
}

Value columnValue(sqlite3_stmt *stmt, int i, qsizetype *size)
{
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
        *size += 40;
        return Value::fromInteger(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
        *size += 40;
        return Value::fromFloat(sqlite3_column_double(stmt, i));
    case SQLITE_TEXT: {
        const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        *size += 30 + n;
        return Value::fromText(QByteArray(p, n));
    }
    case SQLITE_BLOB: {
        const auto *p = static_cast<const char *>(sqlite3_column_blob(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        *size += 30 + (n * 4) / 3;
        return Value::fromBlob(QByteArray(p, n));
    }
    default:
        *size += 16;
        return Value();
    }
}

std::vector<Column> columnsOf(sqlite3_stmt *stmt)
{
    std::vector<Column> cols;
    const int n = sqlite3_column_count(stmt);
    cols.reserve(n);
    for (int i = 0; i < n; ++i) {
        Column c;
        const char *name = sqlite3_column_name(stmt, i);
        c.name = name ? QByteArray(name) : QByteArray();
        if (const char *decl = sqlite3_column_decltype(stmt, i))
            c.decltype_ = QByteArray(decl);
        cols.push_back(std::move(c));
    }
    return cols;
}

// Returns a statement to the cache when the scope ends.
class CachedStatement
{
public:
    CachedStatement(db::StatementCache &cache, const QByteArray &sql, sqlite3_stmt *stmt)
        : m_cache(cache), m_sql(sql), m_stmt(stmt) { }
    ~CachedStatement() { m_cache.release(m_sql, m_stmt); }
    CachedStatement(const CachedStatement &) = delete;
    CachedStatement &operator=(const CachedStatement &) = delete;
    sqlite3_stmt *get() const { return m_stmt; }

private:
    db::StatementCache &m_cache;
    const QByteArray &m_sql;
    sqlite3_stmt *m_stmt;
};

// A statement the sandbox's authorizer refused: SQLite says only "not authorized"; the sandbox says why.
void explainRefusal(db::DbError &e, const sql::Sandbox &sandbox)
{
    if (e.primary() == SQLITE_AUTH && !sandbox.refusal().isEmpty())
        e.message += ": " + sandbox.refusal();
}

} // namespace

std::variant<QByteArray, ProtocolError> Executor::resolveSql(const std::optional<QByteArray> &sql,
                                                             const std::optional<qint32> &sqlId) const
{
    if (sql && sqlId)
        return ProtocolError{"Either `sql` or `sql_id` are required, but not both"};
    if (sql)
        return *sql;
    if (!sqlId)
        return ProtocolError{"Either `sql` or `sql_id` are required"};
    const auto it = m_session.storedSql.constFind(*sqlId);
    if (it == m_session.storedSql.cend())
        return ProtocolError{"SQL text " + QByteArray::number(*sqlId) + " not found"};
    return *it;
}

const std::variant<sql::StatementInfo, Error> &AnalysisCache::analyze(const QByteArray &text)
{
    if (text.size() > MAX_TEXT) {
        m_uncached = Executor::analyzeSingle(text);
        return m_uncached;
    }
    auto it = m_entries.constFind(text);
    if (it != m_entries.cend())
        return *it;
    if (m_entries.size() >= MAX_ENTRIES)
        m_entries.clear(); // simple and bounded: a burst of distinct texts just starts over
    return *m_entries.insert(text, Executor::analyzeSingle(text));
}

std::variant<sql::StatementInfo, Error> Executor::analyzeSingle(const QByteArray &text)
{
    auto analyzed = sql::analyze(text);
    if (auto *err = std::get_if<sql::AnalysisError>(&analyzed))
        return errors::parse(err->message);
    auto &list = std::get<QList<sql::StatementInfo>>(analyzed);
    if (list.isEmpty())
        return errors::noStatement();
    if (list.size() > 1)
        return errors::manyStatements();
    return std::move(list.first());
}

bool Executor::bindArgs(sqlite3_stmt *stmt, const sql::StatementInfo &info, const Stmt &s, Error *error)
{
    if (!s.args.empty() && !s.namedArgs.empty()) {
        *error = {"Specifying both positional and named arguments is not supported", "ARGS_BOTH_POSITIONAL_AND_NAMED"};
        return false;
    }
    const int count = sqlite3_bind_parameter_count(stmt);
    const auto given = static_cast<qsizetype>(std::max(s.args.size(), s.namedArgs.size()));
    if (given > count) {
        *error = argsError("too many parameters, expected " + QByteArray::number(count) + " found "
                           + QByteArray::number(given));
        return false;
    }
    const bool isExplain = info.sql.trimmed().left(7).toUpper() == "EXPLAIN";
    for (int idx = 1; idx <= count; ++idx) {
        const char *rawName = sqlite3_bind_parameter_name(stmt, idx);
        const Value *value = nullptr;
        if (!rawName) {
            if (idx <= static_cast<int>(s.args.size()))
                value = &s.args[idx - 1];
        } else if (rawName[0] == '?') {
            const int n = QByteArray(rawName + 1).toInt();
            if (n >= 1 && n <= static_cast<int>(s.args.size()))
                value = &s.args[n - 1];
        } else {
            const QByteArray name(rawName);
            for (const NamedArg &na : s.namedArgs) {
                if (na.name == name) {
                    value = &na.value;
                    break;
                }
            }
            if (!value) {
                const QByteArray bare = name.mid(1);
                for (const NamedArg &na : s.namedArgs) {
                    if (na.name == bare) {
                        value = &na.value;
                        break;
                    }
                }
            }
        }
        if (!value) {
            if (isExplain)
                continue;
            *error = argsError("value for parameter " + (rawName ? QByteArray(rawName) : QByteArray::number(idx))
                               + " not found");
            return false;
        }
        bindValue(stmt, idx, *value);
    }
    return true;
}

StmtOutcome Executor::run(const sql::StatementInfo &info, const Stmt &s, bool wantRows)
{
    StmtOutcome out;
    if (const ns::NamespaceConfig *c = m_limits.config) {
        // sqld's guards: block_reads stops reads, BEGIN, writes and DDL; block_writes stops writes and DDL.
        using C = sql::StatementClass;
        const bool write = info.kind == C::Write || info.kind == C::Ddl;
        const bool read = info.kind == C::Read || info.kind == C::TxnBegin || info.kind == C::TxnBeginReadOnly;
        if ((c->blockReads && (read || write)) || (c->blockWrites && write)) {
            out.status = StepStatus::Error;
            out.error = errors::blocked(c->blockReason);
            return out;
        }
    }
    const auto started = steady_clock::now();
    db::Connection &conn = m_session.conn;
    conn.setDeadline(started + m_limits.statementTimeout, m_limits.cancel);

    // ATTACH of a namespace becomes a read-only attach of its database file (sqld's rewrite).
    const sql::StatementInfo *runInfo = &info;
    sql::StatementInfo attach;
    QByteArray attachFile; // the one file the sandbox lets this statement attach
    if (info.kind == sql::StatementClass::Attach) {
        attach = info;
        QByteArray path = QString(m_limits.dbRoot + u'/' + QString::fromUtf8(info.attachTarget) + u"/data").toUtf8();
        attachFile = "file:" + path + "?mode=ro";
        path.replace('\'', "''");
        QByteArray alias = info.attachAlias;
        alias.replace('"', "\"\"");
        attach.sql = "ATTACH DATABASE 'file:" + path + "?mode=ro' AS \"" + alias + '"';
        runInfo = &attach;
    }
    db::DbError dbErr;
    sqlite3_stmt *raw = nullptr;
    {
        sql::Sandbox::UserScope tenant(m_session.sandbox, attachFile);
        raw = m_session.cache.acquire(conn.get(), runInfo->sql, &dbErr);
    }
    if (!raw) {
        explainRefusal(dbErr, m_session.sandbox);
        conn.clearDeadline();
        out.status = (dbErr.primary() == SQLITE_BUSY) ? StepStatus::Busy : StepStatus::Error;
        dbErr.sql = info.sql;
        out.error = errors::fromDb(dbErr, true);
        return out;
    }
    CachedStatement stmt(m_session.cache, runInfo->sql, raw);
    if (!bindArgs(raw, info, s, &out.error)) {
        conn.clearDeadline();
        out.status = StepStatus::Error;
        return out;
    }

    StmtResult &r = out.result;
    r.cols = columnsOf(raw);
    out.started = true;
    const int ncols = static_cast<int>(r.cols.size());
    qsizetype size = 64;
    for (const Column &c : r.cols)
        size += 40 + c.name.size();
    const auto changesBefore = sqlite3_total_changes64(conn.get());
    quint64 rowsReturned = 0;
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
        ++rowsReturned;
        if (!wantRows)
            continue;
        std::vector<Value> row;
        row.reserve(ncols);
        for (int i = 0; i < ncols; ++i)
            row.push_back(columnValue(raw, i, &size));
        r.rows.push_back(std::move(row));
        if (size > m_limits.maxResponseSize || (m_limits.budget && !m_limits.budget->fits(size))) {
            conn.clearDeadline();
            out.status = StepStatus::Error;
            out.error = errors::responseTooLarge();
            return out;
        }
    }
    if (rc != SQLITE_DONE) {
        db::DbError e = conn.lastError();
        if (e.primary() == SQLITE_INTERRUPT && conn.deadlinePassed())
            e.message = "interrupted: the statement ran longer than the server's statement timeout";
        conn.clearDeadline();
        out.status = (e.primary() == SQLITE_BUSY && rowsReturned == 0) ? StepStatus::Busy : StepStatus::Error;
        out.error = errors::fromDb(e, false);
        return out;
    }
    conn.clearDeadline();
    const auto changed = sqlite3_total_changes64(conn.get()) - changesBefore;
    if (info.isIud) {
        r.affectedRowCount = static_cast<quint64>(sqlite3_changes64(conn.get()));
        r.rowsWritten = static_cast<quint64>(changed > 0 ? changed : 0);
    }
    if (info.isInsert)
        r.lastInsertRowid = sqlite3_last_insert_rowid(conn.get());
    r.rowsRead = rowsReturned + static_cast<quint64>(sqlite3_stmt_status(raw, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0));
    r.queryDurationMs = static_cast<double>(duration_cast<microseconds>(steady_clock::now() - started).count()) / 1000.0;
    r.estimatedSize = size;
    if (m_limits.stats)
        m_limits.stats->record(info.sql, r.rowsRead, r.rowsWritten, r.queryDurationMs,
                               QDateTime::currentMSecsSinceEpoch());
    return out;
}

DescribeResult Executor::describe(const QByteArray &sql, Error *error)
{
    DescribeResult d;
    db::Statement stmt;
    sqlite3_stmt *raw = nullptr;
    const char *tail = nullptr;
    int rc;
    {
        sql::Sandbox::UserScope tenant(m_session.sandbox);
        rc = sqlite3_prepare_v2(m_session.conn.get(), sql.constData(), static_cast<int>(sql.size()), &raw, &tail);
    }
    stmt = db::Statement(raw);
    if (rc != SQLITE_OK) {
        db::DbError e = m_session.conn.lastError();
        explainRefusal(e, m_session.sandbox);
        e.sql = sql;
        *error = errors::fromDb(e, true, false);
        return d;
    }
    if (!raw) {
        *error = errors::noStatement();
        return d;
    }
    const int np = sqlite3_bind_parameter_count(raw);
    for (int i = 1; i <= np; ++i) {
        const char *name = sqlite3_bind_parameter_name(raw, i);
        d.params.push_back(name ? std::optional<QByteArray>(QByteArray(name)) : std::nullopt);
    }
    d.cols = columnsOf(raw);
    d.isExplain = sqlite3_stmt_isexplain(raw) != 0;
    d.isReadonly = sqlite3_stmt_readonly(raw) != 0;
    return d;
}

} // namespace qsqld::hrana
