#include "dumploader.h"

#include "sql/statementanalyzer.h"

namespace qsqld::hrana {

namespace {

DumpLoadError invalid(const QByteArray &detail)
{
    return {400, "The passed dump sql is invalid: " + detail};
}

// "syntax error near 'X' at line L, column C" from SQLite's message and offset within the whole dump.
QByteArray syntaxDetail(const QByteArray &dump, qsizetype offset, const QByteArray &message)
{
    const QByteArray before = dump.left(offset);
    const qsizetype line = before.count('\n') + 1;
    const qsizetype column = offset - (before.lastIndexOf('\n') + 1) + 1;
    QByteArray token;
    const qsizetype q1 = message.indexOf('"');
    const qsizetype q2 = message.lastIndexOf('"');
    if (q1 >= 0 && q2 > q1)
        token = message.mid(q1 + 1, q2 - q1 - 1);
    return "syntax error near '" + token + "' at line " + QByteArray::number(line) + ", column "
        + QByteArray::number(column);
}

} // namespace

std::optional<DumpLoadError> loadDump(Session &session, const QByteArray &dump)
{
    if (dump.toLower().contains("attach"))
        return invalid("attach statements are not allowed in dumps");
    sqlite3 *db = session.conn.get();
    {
        sqlite3_stmt *st = nullptr;
        sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &st, nullptr);
        const bool empty = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0;
        sqlite3_finalize(st);
        if (!empty)
            return DumpLoadError{400, "Cannot load from a dump if a database already exists"};
    }
    auto analyzed = sql::analyze(dump);
    if (auto *err = std::get_if<sql::AnalysisError>(&analyzed))
        return invalid(err->message.toUtf8());
    const auto &statements = std::get<QList<sql::StatementInfo>>(analyzed);
    auto fail = [&session](DumpLoadError e) {
        if (!session.conn.isAutocommit())
            session.conn.exec("ROLLBACK");
        return std::optional<DumpLoadError>(std::move(e));
    };
    for (qsizetype i = 0; i < statements.size(); ++i) {
        const sql::StatementInfo &st = statements[i];
        if (st.sql.simplified().toUpper().startsWith("CREATE TABLE LIBSQL_WASM_FUNC_TABLE"))
            continue;
        if (i >= 2 && session.conn.isAutocommit())
            return fail({400, "A dump should execute within a transaction."});
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, st.sql.constData(), static_cast<int>(st.sql.size()), &stmt, nullptr) != SQLITE_OK) {
            const db::DbError e = session.conn.lastError();
            sqlite3_finalize(stmt);
            if (e.message.contains("syntax error") || e.message.startsWith("unrecognized token"))
                return fail(invalid(syntaxDetail(dump, st.offset + std::max(0, e.offset), e.message)));
            return fail({400, "The passed dump sql is invalid: " + e.message});
        }
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE)
            return fail({400, "The passed dump sql is invalid: " + session.conn.lastError().message});
    }
    if (!session.conn.isAutocommit())
        return fail({400, "The dump should commit the transaction."});
    return std::nullopt;
}

} // namespace qsqld::hrana
