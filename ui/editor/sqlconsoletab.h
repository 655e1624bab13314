#pragma once

// SqlConsoleTab: the console's SQL tab for one tenant: an SqlEditor over a results area (the last statement's
// rows in a table on ResultModel, the EXPLAIN QUERY PLAN tree) and a message line (rows, rows affected, last insert
// rowid, elapsed time, or the error with its code and where the failed statement is). An "in transaction" badge
// shows while the tenant's SqlSession keeps a transaction open between runs.
// Thread rule: GUI thread only.

#include "editor/sqlsession.h"

#include <QWidget>

class QLabel;
class QTabWidget;
class QTableView;
class QTreeWidget;

namespace qsqld::ui {

class ApiClient;
class ResultModel;
class SchemaTree;
class SqlEditor;

class SqlConsoleTab : public QWidget
{
    Q_OBJECT
public:
    explicit SqlConsoleTab(const QString &tenant, QWidget *parent = nullptr);

    QString tenant() const { return m_session->tenant(); }
    void setClient(ApiClient *client);

    SqlEditor *editor() const { return m_editor; }
    SqlSession *session() const { return m_session; }
    SchemaTree *schemaTree() const { return m_schema; }
    ResultModel *resultModel() const { return m_model; }
    QTableView *resultView() const { return m_table; }
    QTreeWidget *planView() const { return m_plan; }
    QString message() const; // the message line
    bool inTransaction() const { return m_session->inTransaction(); }
    bool transactionBadgeVisible() const; // "in transaction" shown

    // Run `sql` found at `offset` in the editor's document; false (with a message) while a run is in progress.
    bool run(const QString &sql, int offset);
    bool runCurrent(); // the selection or the statement under the cursor
    bool runScript(); // the whole text
    bool explainCurrent();
    void cancel();

signals:
    // A run ended (history and the page's buttons listen); `message` is what the message line shows.
    void runFinished(
        const QString &tenant, const QString &sql, const qsqld::ui::RunOutcome &outcome, const QString &message);
    void busyChanged(bool busy);

private:
    void onFinished(const RunOutcome &outcome);
    void onExplained(const QJsonObject &result, const QString &error);
    void setMessage(const QString &text, bool error);
    QString describe(const RunOutcome &outcome) const;
    QString position(int documentOffset) const; // "line 3, column 7"

    SqlSession *m_session;
    SchemaTree *m_schema;
    SqlEditor *m_editor;
    ResultModel *m_model;
    QTableView *m_table;
    QTreeWidget *m_plan;
    QTabWidget *m_results;
    QLabel *m_message;
    QLabel *m_txnBadge;
    QString m_runningSql;
};

} // namespace qsqld::ui
