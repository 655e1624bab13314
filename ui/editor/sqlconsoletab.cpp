#include "sqlconsoletab.h"

#include "editor/resultmodel.h"
#include "editor/sqleditor.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QSplitter>

#include "schematree.h"
#include <QTabWidget>
#include <QTableView>
#include <QTextBlock>
#include <QTreeWidget>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

QString plural(qint64 n, const QString &one, const QString &many)
{
    return u"%1 %2"_s.arg(n).arg(n == 1 ? one : many);
}

} // namespace

SqlConsoleTab::SqlConsoleTab(const QString &tenant, QWidget *parent)
    : QWidget(parent)
    , m_session(new SqlSession(tenant, this))
    , m_schema(new SchemaTree(tenant, this))
    , m_editor(new SqlEditor)
    , m_model(new ResultModel(this))
    , m_table(new QTableView)
    , m_plan(new QTreeWidget)
    , m_results(new QTabWidget)
    , m_message(new QLabel)
    , m_txnBadge(new QLabel(tr("in transaction")))
{
    m_table->setModel(m_model);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_plan->setHeaderLabels({ tr("Query plan") });
    m_results->addTab(m_table, tr("Result"));
    m_results->addTab(m_plan, tr("Plan"));

    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setWordWrap(true);
    m_txnBadge->setStyleSheet(u"QLabel { background: #c77c00; color: white; border-radius: 3px; padding: 1px 6px; }"_s);
    m_txnBadge->setToolTip(tr("A transaction is open on this tab: run COMMIT or ROLLBACK to end it."));
    m_txnBadge->setVisible(false);

    auto *bottom = new QWidget;
    auto *status = new QHBoxLayout;
    status->addWidget(m_txnBadge);
    status->addWidget(m_message, 1);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addLayout(status);
    bottomLayout->addWidget(m_results, 1);

    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(m_editor);
    split->addWidget(bottom);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    // The tenant's schema on the left; double-clicking a name types it at the cursor.
    auto *outer = new QSplitter(Qt::Horizontal);
    outer->addWidget(m_schema);
    outer->addWidget(split);
    outer->setStretchFactor(1, 1);
    outer->setSizes({200, 700});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(outer);
    connect(m_schema, &SchemaTree::nameActivated, m_editor, &QPlainTextEdit::insertPlainText);
    connect(m_session, &SqlSession::schemaLoaded, m_schema, &SchemaTree::reload);

    connect(m_editor, &SqlEditor::runRequested, this, &SqlConsoleTab::run);
    connect(m_session, &SqlSession::finished, this, &SqlConsoleTab::onFinished);
    connect(m_session, &SqlSession::explained, this, &SqlConsoleTab::onExplained);
    connect(m_session, &SqlSession::schemaLoaded, m_editor, &SqlEditor::setSchema);
    connect(m_session, &SqlSession::transactionChanged, m_txnBadge, &QWidget::setVisible);
    connect(m_session, &SqlSession::transactionLost, this, [this](const QString &reason) { setMessage(reason, true); });
}

void SqlConsoleTab::setClient(ApiClient *client)
{
    m_session->setClient(client);
    m_schema->setClient(client);
    if (client)
        m_session->loadSchema();
}

QString SqlConsoleTab::message() const
{
    return m_message->text();
}

bool SqlConsoleTab::transactionBadgeVisible() const
{
    return !m_txnBadge->isHidden();
}

bool SqlConsoleTab::run(const QString &sql, int offset)
{
    if (m_session->isBusy()) {
        setMessage(tr("Still running: wait for it or cancel it first."), true);
        return false;
    }
    if (!m_session->run(sql, offset)) {
        setMessage(tr("Not connected to a deployment."), true);
        return false;
    }
    m_runningSql = sql;
    if (m_session->isBusy()) {
        setMessage(tr("Running…"), false);
        emit busyChanged(true);
    }
    return true;
}

bool SqlConsoleTab::runCurrent()
{
    const SqlEditor::Snippet s = m_editor->currentStatement();
    return !s.sql.trimmed().isEmpty() && run(s.sql, s.offset);
}

bool SqlConsoleTab::runScript()
{
    const SqlEditor::Snippet s = m_editor->wholeScript();
    return !s.sql.trimmed().isEmpty() && run(s.sql, s.offset);
}

bool SqlConsoleTab::explainCurrent()
{
    const SqlEditor::Snippet s = m_editor->currentStatement();
    const QList<SqlLexer::Range> statements = SqlLexer::splitStatements(s.sql);
    if (statements.isEmpty())
        return false;
    // EXPLAIN QUERY PLAN takes one statement: the first of a selection.
    const QString statement = s.sql.mid(statements[0].start, statements[0].length());
    if (!m_session->explain(statement)) {
        setMessage(tr("Still running: wait for it or cancel it first."), true);
        return false;
    }
    emit busyChanged(true);
    return true;
}

void SqlConsoleTab::cancel()
{
    m_session->cancel();
}

void SqlConsoleTab::onFinished(const RunOutcome &outcome)
{
    if (outcome.executed > 0)
        m_model->setResult(outcome.lastResult);
    if (outcome.executed > 0 || outcome.ok)
        m_results->setCurrentWidget(m_table);
    if (outcome.failedRange.isValid())
        m_editor->selectRange(outcome.failedRange.start, outcome.failedRange.end);
    if (outcome.schemaChanged)
        m_session->loadSchema();
    const QString text = describe(outcome);
    setMessage(text, !outcome.ok);
    emit busyChanged(false);
    emit runFinished(tenant(), m_runningSql, outcome, text);
}

QString SqlConsoleTab::describe(const RunOutcome &o) const
{
    QStringList parts;
    if (o.cancelled)
        return tr("Cancelled after %1 of %2 statements (%3 ms).")
            .arg(o.executed)
            .arg(o.statementCount)
            .arg(o.elapsedMs);
    if (!o.ok) {
        QString where;
        if (o.failedIndex >= 0 && o.statementCount > 1)
            where = tr(" — statement %1 of %2, at %3")
                        .arg(o.failedIndex + 1)
                        .arg(o.statementCount)
                        .arg(position(o.failedRange.start));
        else if (o.failedIndex >= 0)
            where = tr(" — at %1").arg(position(o.failedRange.start));
        const QString code = o.errorCode.isEmpty() ? QString() : u" [%1]"_s.arg(o.errorCode);
        return tr("Error%1: %2%3").arg(code, o.errorMessage, where);
    }
    if (o.statementCount > 1)
        parts << tr("%1 statements").arg(o.statementCount);
    if (m_model->columnCount() > 0)
        parts << plural(m_model->rowCount(), tr("row"), tr("rows"));
    if (m_model->affectedRowCount() > 0 || m_model->columnCount() == 0)
        parts << plural(m_model->affectedRowCount(), tr("row affected"), tr("rows affected"));
    if (!m_model->lastInsertRowid().isEmpty())
        parts << tr("last insert rowid %1").arg(m_model->lastInsertRowid());
    parts << tr("%1 ms").arg(o.elapsedMs);
    return parts.join(u" · "_s);
}

QString SqlConsoleTab::position(int documentOffset) const
{
    const QTextBlock block = m_editor->document()->findBlock(documentOffset);
    return tr("line %1, column %2").arg(block.blockNumber() + 1).arg(documentOffset - block.position() + 1);
}

void SqlConsoleTab::onExplained(const QJsonObject &result, const QString &error)
{
    emit busyChanged(false);
    m_plan->clear();
    m_results->setCurrentWidget(m_plan);
    if (!error.isEmpty()) {
        setMessage(tr("Explain failed: %1").arg(error), true);
        return;
    }
    // Rows are (id, parent, notused, detail); parent 0 is the root. Parents come before their children.
    QHash<qint64, QTreeWidgetItem *> items;
    for (const QJsonValue &row : result.value("rows"_L1).toArray()) {
        const QJsonArray cells = row.toArray();
        const qint64 id = cells.at(0)[u"value"_s].toString().toLongLong();
        const qint64 parent = cells.at(1)[u"value"_s].toString().toLongLong();
        auto *item = new QTreeWidgetItem({ cells.at(3)[u"value"_s].toString() });
        if (QTreeWidgetItem *p = items.value(parent))
            p->addChild(item);
        else
            m_plan->addTopLevelItem(item);
        items.insert(id, item);
    }
    m_plan->expandAll();
    setMessage(tr("Query plan: %1").arg(plural(items.size(), tr("step"), tr("steps"))), false);
}

void SqlConsoleTab::setMessage(const QString &text, bool error)
{
    m_message->setText(text);
    QPalette p = m_message->palette();
    p.setColor(QPalette::WindowText, error ? QColor(0xd0, 0x30, 0x30) : palette().color(QPalette::WindowText));
    m_message->setPalette(p);
}

} // namespace qsqld::ui
