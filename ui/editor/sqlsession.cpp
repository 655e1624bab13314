#include "sqlsession.h"

#include "core/apiclient.h"

#include <QJsonArray>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

constexpr int KEEP_ALIVE_MS = 4000; // sqld expires an idle stream after 10 s

// Tables and views with their columns, in one query (the console's own statement, not the user's).
const char16_t SCHEMA_SQL[]
    = u"SELECT m.name, p.name FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS p "
      u"WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, p.cid";

QJsonObject executeRequest(const QString &sql)
{
    return { { u"type"_s, u"execute"_s }, { u"stmt"_s, QJsonObject { { u"sql"_s, sql } } } };
}

QJsonObject closeRequest()
{
    return { { u"type"_s, u"close"_s } };
}

QJsonObject firstResult(const QJsonObject &pipelineAnswer)
{
    return pipelineAnswer.value("results"_L1).toArray().at(0).toObject();
}

QString describeError(const QJsonObject &error)
{
    const QString code = error.value("code"_L1).toString();
    const QString message = error.value("message"_L1).toString();
    return code.isEmpty() ? message : u"%1 (%2)"_s.arg(message, code);
}

bool changesSchema(QStringView statement)
{
    const QStringList kw = SqlLexer::leadingKeywords(statement, 1);
    return !kw.isEmpty() && (kw[0] == u"CREATE" || kw[0] == u"DROP" || kw[0] == u"ALTER");
}

} // namespace

SqlSession::SqlSession(QString tenant, QObject *parent)
    : QObject(parent)
    , m_tenant(std::move(tenant))
{
    m_keepAlive.setInterval(KEEP_ALIVE_MS);
    connect(&m_keepAlive, &QTimer::timeout, this, &SqlSession::ping);
}

void SqlSession::setClient(ApiClient *client)
{
    if (client == m_client)
        return;
    ++m_epoch; // answers from the old client are dropped
    m_client = client;
    m_pingPending = false;
    m_afterPing = nullptr;
    m_baton.clear();
    setInTransaction(false);
    if (m_explainPending) {
        m_explainPending = false;
        emit explained({}, u"The connection changed."_s);
    }
    if (m_run.active) {
        m_run.outcome.cancelled = true;
        finishRun(u"The connection changed; the run was abandoned."_s);
    }
}

bool SqlSession::run(const QString &sql, int offset)
{
    if (isBusy() || !m_client)
        return false;
    m_run = Run {};
    m_run.active = true;
    m_run.sql = sql;
    m_run.offset = offset;
    m_run.statements = SqlLexer::splitStatements(sql);
    m_run.outcome.statementCount = int(m_run.statements.size());
    m_run.timer.start();
    m_cancelRequested = false;
    if (m_run.statements.isEmpty())
        finishRun(u"Nothing to run: the text holds no statement."_s);
    else if (m_pingPending)
        m_afterPing = [this] {
            if (!m_cancelRequested)
                return runNext();
            m_run.outcome.cancelled = true;
            finishRun(u"Cancelled."_s);
        };
    else
        runNext();
    return true;
}

void SqlSession::runNext()
{
    if (!m_client)
        return finishRun(u"Not connected."_s);
    const SqlLexer::Range range = m_run.statements.at(m_run.next);
    const QString statement = m_run.sql.mid(range.start, range.length());
    const SqlLexer::TxnEffect effect = SqlLexer::transactionEffect(statement);
    const bool last = m_run.next + 1 == m_run.statements.size();
    const bool openAfter
        = effect == SqlLexer::TxnEffect::Begins || (m_inTransaction && effect != SqlLexer::TxnEffect::Ends);
    QJsonArray requests { executeRequest(statement) };
    if (last && !openAfter)
        requests.append(closeRequest()); // nothing left to keep the stream for
    const quint64 epoch = m_epoch;
    m_client->pipeline(m_tenant, requests, m_baton, [self = QPointer(this), epoch](const ApiResult &r) {
        if (self)
            self->onAnswer(epoch, r);
    });
}

void SqlSession::onAnswer(quint64 epoch, const ApiResult &r)
{
    if (epoch != m_epoch || !m_run.active)
        return;
    if (!r.ok) {
        // A whole-request failure: the stream (and any transaction on it) is gone.
        dropStream();
        m_run.outcome.cancelled = m_cancelRequested;
        return finishRun(m_cancelRequested ? u"Cancelled."_s : r.error);
    }
    m_baton = r.body.value("baton"_L1).toString();
    const QJsonObject result = firstResult(r.body);
    const SqlLexer::Range range = m_run.statements.at(m_run.next);
    const QStringView statement = QStringView(m_run.sql).sliced(range.start, range.length());
    if (result.value("type"_L1).toString() != "ok"_L1) {
        const QJsonObject error = result.value("error"_L1).toObject();
        const QString code = error.value("code"_L1).toString();
        if (code == "TRANSACTION_TIMEOUT"_L1 || m_baton.isEmpty())
            setInTransaction(false); // the server rolled it back
        m_run.outcome.failedIndex = m_run.next;
        m_run.outcome.failedRange = { m_run.offset + range.start, m_run.offset + range.end };
        return finishRun(error.value("message"_L1).toString(), code);
    }
    m_run.outcome.lastResult = result.value("response"_L1).toObject().value("result"_L1).toObject();
    ++m_run.outcome.executed;
    const SqlLexer::TxnEffect effect = SqlLexer::transactionEffect(statement);
    if (effect != SqlLexer::TxnEffect::None)
        setInTransaction(effect == SqlLexer::TxnEffect::Begins);
    if (m_baton.isEmpty())
        setInTransaction(false);
    m_run.outcome.schemaChanged = m_run.outcome.schemaChanged || changesSchema(statement);
    if (++m_run.next < m_run.statements.size())
        runNext();
    else
        finishRun();
}

void SqlSession::finishRun(const QString &errorMessage, const QString &errorCode)
{
    RunOutcome out = m_run.outcome;
    out.ok = errorMessage.isEmpty();
    out.errorMessage = errorMessage;
    out.errorCode = errorCode;
    out.elapsedMs = m_run.timer.isValid() ? m_run.timer.elapsed() : 0;
    m_run = Run {};
    closeStreamIfIdle();
    emit finished(out);
}

bool SqlSession::explain(const QString &sql)
{
    if (isBusy() || !m_client)
        return false;
    m_explainPending = true;
    m_cancelRequested = false;
    if (m_pingPending)
        m_afterPing = [this, sql] {
            if (!m_cancelRequested)
                return sendExplain(sql);
            m_explainPending = false;
            emit explained({}, u"Cancelled."_s);
        };
    else
        sendExplain(sql);
    return true;
}

void SqlSession::sendExplain(const QString &sql)
{
    if (!m_client)
        return;
    // Inside a transaction the plan must see its uncommitted schema: use its stream and keep it open.
    const bool onStream = m_inTransaction && !m_baton.isEmpty();
    QJsonArray requests { executeRequest(u"EXPLAIN QUERY PLAN "_s + sql) };
    if (!onStream)
        requests.append(closeRequest());
    const quint64 epoch = m_epoch;
    m_client->pipeline(m_tenant, requests, onStream ? m_baton : QString(),
        [self = QPointer(this), epoch, onStream](const ApiResult &r) {
            if (!self || epoch != self->m_epoch || !self->m_explainPending)
                return;
            self->m_explainPending = false;
            if (!r.ok) {
                if (onStream)
                    self->dropStream();
                return emit self->explained({}, self->m_cancelRequested ? u"Cancelled."_s : r.error);
            }
            if (onStream)
                self->m_baton = r.body.value("baton"_L1).toString();
            const QJsonObject result = firstResult(r.body);
            if (result.value("type"_L1).toString() != "ok"_L1)
                return emit self->explained({}, describeError(result.value("error"_L1).toObject()));
            emit self->explained(result.value("response"_L1).toObject().value("result"_L1).toObject(), {});
        });
}

void SqlSession::loadSchema()
{
    if (!m_client)
        return;
    const quint64 epoch = m_epoch;
    const QJsonArray requests { executeRequest(QString::fromUtf16(SCHEMA_SQL)), closeRequest() };
    m_client->pipeline(m_tenant, requests, {}, [self = QPointer(this), epoch](const ApiResult &r) {
        if (!self || epoch != self->m_epoch || !r.ok)
            return;
        const QJsonObject result = firstResult(r.body);
        QMap<QString, QStringList> schema;
        const QJsonArray rows
            = result.value("response"_L1).toObject().value("result"_L1).toObject().value("rows"_L1).toArray();
        for (const QJsonValue &row : rows) {
            const QJsonArray cells = row.toArray();
            schema[cells.at(0)[u"value"_s].toString()].append(cells.at(1)[u"value"_s].toString());
        }
        emit self->schemaLoaded(schema);
    });
}

void SqlSession::cancel()
{
    m_cancelRequested = true;
    if (m_client)
        m_client->cancelAll();
}

void SqlSession::setInTransaction(bool on)
{
    if (on)
        m_keepAlive.start();
    else
        m_keepAlive.stop();
    if (on == m_inTransaction)
        return;
    m_inTransaction = on;
    emit transactionChanged(on);
}

void SqlSession::dropStream()
{
    m_baton.clear();
    setInTransaction(false);
}

void SqlSession::closeStreamIfIdle()
{
    if (m_inTransaction || m_baton.isEmpty() || !m_client)
        return;
    m_client->pipeline(m_tenant, { closeRequest() }, m_baton, [](const ApiResult &) {});
    m_baton.clear();
}

// Keeps an open transaction's stream alive between runs: an empty pipeline renews the baton.
void SqlSession::ping()
{
    if (!m_inTransaction || m_baton.isEmpty() || isBusy() || m_pingPending || !m_client)
        return;
    m_pingPending = true;
    const quint64 epoch = m_epoch;
    m_client->pipeline(m_tenant, {}, m_baton, [self = QPointer(this), epoch](const ApiResult &r) {
        if (self && epoch == self->m_epoch)
            self->onPing(r);
    });
}

void SqlSession::onPing(const ApiResult &r)
{
    m_pingPending = false;
    m_baton = r.ok ? r.body.value("baton"_L1).toString() : QString();
    if (m_baton.isEmpty() && m_inTransaction) {
        setInTransaction(false);
        emit transactionLost(r.ok ? u"The server closed the transaction's stream."_s
                                  : u"The transaction was lost and rolled back: %1"_s.arg(r.error));
    }
    if (auto next = std::exchange(m_afterPing, nullptr))
        next();
}

} // namespace qsqld::ui
