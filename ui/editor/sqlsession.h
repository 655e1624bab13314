#pragma once

// SqlSession: one tenant's SQL session in the console, without widgets. It runs a script statement by
// statement, each as its own /v2/pipeline round trip on one Hrana stream (so a failure stops the script and names
// the statement), keeps the stream's baton while a transaction is open, explains statements and loads the schema.
//
// Transactions: /v2 has no get_autocommit request (that is Hrana 3, and ApiClient posts to /v2/pipeline), so the
// session tracks them from what ran: a successful BEGIN or SAVEPOINT opens one, a successful COMMIT, END or
// ROLLBACK (not ROLLBACK TO) closes it, and so does losing the stream (a whole-request error, a cancel,
// TRANSACTION_TIMEOUT, or a closed baton). RELEASE of the outermost savepoint is not recognised. While a
// transaction is open the stream is kept (no close request) and pinged every few seconds, because sqld expires an
// idle stream after 10 s; otherwise the last request of a run closes the stream.
// Thread rule: GUI thread only; every answer arrives later through a signal, stale ones are dropped.

#include "editor/sqllexer.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

#include <functional>

namespace qsqld::ui {

class ApiClient;
struct ApiResult;

// What one run did. Positions are document offsets (the run's offset added).
struct RunOutcome
{
    bool ok = true;
    bool cancelled = false;
    int statementCount = 0;
    int executed = 0; // statements that succeeded
    QJsonObject lastResult; // the StmtResult of the last statement that succeeded
    qint64 elapsedMs = 0; // wall time of the whole run
    int failedIndex = -1; // 0-based statement that failed, -1 if none
    SqlLexer::Range failedRange; // where it is in the document
    QString errorMessage;
    QString errorCode; // Hrana code ("SQLITE_CONSTRAINT"); empty for a whole-request failure
    bool schemaChanged = false; // a CREATE, DROP or ALTER ran
};

class SqlSession : public QObject
{
    Q_OBJECT
public:
    explicit SqlSession(QString tenant, QObject *parent = nullptr);

    QString tenant() const { return m_tenant; }
    // The client to use; nullptr stops everything (a pending run finishes as cancelled, the baton is dropped).
    void setClient(ApiClient *client);

    bool isBusy() const { return m_run.active || m_explainPending; }
    bool inTransaction() const { return m_inTransaction; }
    QString baton() const { return m_baton; }

    // Runs the statements of `sql` (document offset `offset`); answers with finished. Refused while busy.
    bool run(const QString &sql, int offset = 0);
    // EXPLAIN QUERY PLAN of one statement (on the transaction's stream if one is open); answers with explained.
    bool explain(const QString &sql);
    // Loads table and view names with their columns; answers with schemaLoaded.
    void loadSchema();
    // Aborts the calls in flight (ApiClient::cancelAll: every call of that client).
    void cancel();

signals:
    void finished(const qsqld::ui::RunOutcome &outcome);
    void explained(const QJsonObject &stmtResult, const QString &error);
    void schemaLoaded(const QMap<QString, QStringList> &schema);
    void transactionChanged(bool inTransaction);
    // The open transaction's stream was lost between runs (expired, refused): the server rolled it back.
    void transactionLost(const QString &reason);

private:
    struct Run
    {
        bool active = false;
        QString sql;
        int offset = 0;
        QList<SqlLexer::Range> statements;
        int next = 0;
        RunOutcome outcome;
        QElapsedTimer timer;
    };

    void runNext();
    void onAnswer(quint64 epoch, const ApiResult &r);
    void finishRun(const QString &errorMessage = {}, const QString &errorCode = {});
    void setInTransaction(bool on);
    void dropStream();
    void ping();
    void onPing(const ApiResult &r);
    void sendExplain(const QString &sql);
    void closeStreamIfIdle();

    QString m_tenant;
    QPointer<ApiClient> m_client;
    QString m_baton;
    bool m_inTransaction = false;
    quint64 m_epoch = 0; // answers of an older epoch are dropped
    Run m_run;
    bool m_explainPending = false;
    bool m_pingPending = false;
    bool m_cancelRequested = false;
    std::function<void()> m_afterPing; // a run or explain that waits for the ping's new baton
    QTimer m_keepAlive;
};

} // namespace qsqld::ui
