// The SQL console (ui/editor/) offscreen: ResultModel's faithful value display and exports, a 100k-row model,
// and SqlConsolePage end to end against a live in-process server (scripts, errors with their position,
// transactions across runs, the query history in a temporary folder, schema completion, EXPLAIN).
// The server runs on this thread's event loop, so every wait spins it: QTRY_* or QSignalSpy::wait, never a sleep.

#include "testserver.h"

#include "core/apiclient.h"
#include "editor/resultmodel.h"
#include "editor/sqlconsolepage.h"
#include "editor/sqlconsoletab.h"
#include "editor/sqleditor.h"

#include <QBuffer>
#include <QCompleter>
#include <QFont>
#include <QJsonDocument>
#include <QTreeWidget>

using namespace Qt::StringLiterals;
using namespace qsqld::ui;
using namespace qsqld::test;

namespace {

constexpr int TIMEOUT = 10000;
const QString TENANT = u"console"_s;

QJsonObject value(const char *type, const QJsonValue &v = {})
{
    QJsonObject o { { u"type"_s, QLatin1StringView(type) } };
    if (qstrcmp(type, "blob") == 0)
        o.insert(u"base64"_s, v);
    else if (qstrcmp(type, "null") != 0)
        o.insert(u"value"_s, v);
    return o;
}

QJsonObject column(const QString &name, const QJsonValue &decltype_)
{
    return { { u"name"_s, name }, { u"decltype"_s, decltype_ } };
}

// cols: i INTEGER, f REAL, t TEXT, b BLOB, n (expression)
QJsonObject sampleResult()
{
    const QByteArray longBlob(100, '\xab');
    const QJsonArray cols { column(u"i"_s, u"INTEGER"_s), column(u"f"_s, u"REAL"_s), column(u"t"_s, u"TEXT"_s),
        column(u"b"_s, u"BLOB"_s), column(u"n"_s, QJsonValue::Null) };
    const QJsonArray rows {
        QJsonArray { value("integer", u"9223372036854775807"_s), value("float", 1.5), value("text", u"NULL"_s),
            value("blob", u"AP8"_s), value("null") },
        QJsonArray { value("integer", u"-9223372036854775808"_s), value("float", 1.0), value("text", u"a,\"b\""_s),
            value("blob", QString::fromLatin1(longBlob.toBase64(QByteArray::OmitTrailingEquals))),
            value("text", QString()) },
    };
    return { { u"cols"_s, cols }, { u"rows"_s, rows }, { u"affected_row_count"_s, 0 },
        { u"last_insert_rowid"_s, QJsonValue::Null } };
}

} // namespace

class TestSqlConsole : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void valueDisplay();
    void exports();
    void hundredThousandRows();
    void scriptEndToEnd();
    void errorPosition();
    void transactionAcrossRuns();
    void explain();
    void historyReloaded();
    void completerHasSchema();

private:
    SqlConsoleTab *openTab(SqlConsolePage &page);
    bool runAndWait(SqlConsoleTab *tab, const QString &sql);

    TestServer m_server;
    std::unique_ptr<ApiClient> m_client;
    QTemporaryDir m_historyDir;
};

void TestSqlConsole::initTestCase()
{
    qRegisterMetaType<RunOutcome>();
    QVERIFY(m_server.start());
    QVERIFY(m_historyDir.isValid());
    Profile p;
    p.name = u"test"_s;
    p.userUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.port()));
    p.adminUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.adminPort()));
    m_client = std::make_unique<ApiClient>(p);
    std::optional<ApiResult> created;
    m_client->createTenant(TENANT, [&created](ApiResult r) { created = r; });
    QTRY_VERIFY_WITH_TIMEOUT(created.has_value(), TIMEOUT);
    QVERIFY2(created->ok, qPrintable(created->error));
}

void TestSqlConsole::cleanupTestCase()
{
    m_client.reset();
}

SqlConsoleTab *TestSqlConsole::openTab(SqlConsolePage &page)
{
    page.setHistoryDirectory(m_historyDir.path());
    page.setClient(m_client.get());
    page.setCurrentTenant(TENANT);
    return page.currentTab();
}

bool TestSqlConsole::runAndWait(SqlConsoleTab *tab, const QString &sql)
{
    QSignalSpy finished(tab, &SqlConsoleTab::runFinished);
    tab->editor()->setPlainText(sql);
    if (!tab->runScript())
        return false;
    return finished.size() == 1 || finished.wait(TIMEOUT);
}

void TestSqlConsole::valueDisplay()
{
    ResultModel m;
    m.setResult(sampleResult());
    QCOMPARE(m.rowCount(), 2);
    QCOMPARE(m.columnCount(), 5);
    auto at = [&m](int r, int c, int role = Qt::DisplayRole) { return m.data(m.index(r, c), role); };
    // 64-bit integers exactly, both ends.
    QCOMPARE(at(0, 0).toString(), u"9223372036854775807"_s);
    QCOMPARE(at(0, 0, ResultModel::RawRole).toLongLong(), std::numeric_limits<qint64>::max());
    QCOMPARE(at(1, 0).toString(), u"-9223372036854775808"_s);
    // Floats: shortest round trip, and an integral float stays a float.
    QCOMPARE(at(0, 1).toString(), u"1.5"_s);
    QCOMPARE(at(1, 1).toString(), u"1.0"_s);
    QCOMPARE(at(1, 1, ResultModel::TypeRole).toString(), u"float"_s);
    // NULL versus the text 'NULL'.
    QCOMPARE(at(0, 2).toString(), u"NULL"_s);
    QCOMPARE(at(0, 4).toString(), u"NULL"_s);
    QCOMPARE(at(0, 2, ResultModel::TypeRole).toString(), u"text"_s);
    QCOMPARE(at(0, 4, ResultModel::TypeRole).toString(), u"null"_s);
    QVERIFY(at(0, 4, Qt::FontRole).value<QFont>().italic());
    QVERIFY(!at(0, 2, Qt::FontRole).isValid());
    QVERIFY(at(0, 4, ResultModel::ValueRole).isNull());
    QCOMPARE(at(0, 2, ResultModel::ValueRole).toString(), u"NULL"_s);
    QCOMPARE(at(1, 4, ResultModel::TypeRole).toString(), u"text"_s); // the empty text is not NULL either
    // Blobs as hex; a long one is cut on screen and whole in the tooltip and ValueRole.
    QCOMPARE(at(0, 3).toString(), u"x'00ff'"_s);
    const QString full = u"x'"_s + QString(u"ab"_s).repeated(100) + u"'"_s;
    QVERIFY(at(1, 3).toString().endsWith(u"…' (100 bytes)"_s));
    QVERIFY(at(1, 3).toString().size() < full.size());
    QCOMPARE(at(1, 3, Qt::ToolTipRole).toString(), full);
    QCOMPARE(at(1, 3, ResultModel::ValueRole).toString(), full);
    QCOMPARE(at(1, 3, ResultModel::RawRole).toByteArray(), QByteArray(100, '\xab'));
    // The declared type is in the header tooltip.
    QVERIFY(m.headerData(0, Qt::Horizontal, Qt::ToolTipRole).toString().contains(u"INTEGER"_s));
    QVERIFY(m.headerData(4, Qt::Horizontal, Qt::ToolTipRole).toString().contains(u"no declared type"_s));
}

void TestSqlConsole::exports()
{
    ResultModel m;
    m.setResult(sampleResult());
    QBuffer csv;
    csv.open(QIODevice::WriteOnly);
    QVERIFY(m.exportCsv(&csv));
    const QByteArray blobHex = "x'" + QByteArray(100, '\xab').toHex() + "'";
    QCOMPARE(csv.data(),
        "\"i\",\"f\",\"t\",\"b\",\"n\"\r\n"
        "9223372036854775807,1.5,NULL,x'00ff',\r\n"
        "-9223372036854775808,1.0,\"a,\"\"b\"\"\","
            + blobHex + ",\"\"\r\n");
    QBuffer json;
    json.open(QIODevice::WriteOnly);
    QVERIFY(m.exportJson(&json));
    QCOMPARE(json.data(),
        "[\n{\"i\":9223372036854775807,\"f\":1.5,\"t\":\"NULL\",\"b\":{\"base64\":\"AP8\"},\"n\":null},\n"
        "{\"i\":-9223372036854775808,\"f\":1.0,\"t\":\"a,\\\"b\\\"\",\"b\":{\"base64\":\""
            + QByteArray(100, '\xab').toBase64(QByteArray::OmitTrailingEquals) + "\"},\"n\":\"\"}\n]\n");
    QJsonParseError error;
    QJsonDocument::fromJson(json.data(), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
}

// 100,000 rows: the model keeps the JSON rows and formats only the cells asked for.
void TestSqlConsole::hundredThousandRows()
{
    QJsonArray rows;
    for (int i = 0; i < 100'000; ++i)
        rows.append(QJsonArray { value("integer", QString::number(i)), value("text", u"row"_s) });
    ResultModel m;
    m.setResult({ { u"cols"_s, QJsonArray { column(u"id"_s, u"INTEGER"_s), column(u"s"_s, u"TEXT"_s) } },
        { u"rows"_s, rows } });
    QCOMPARE(m.rowCount(), 100'000);
    QCOMPARE(m.data(m.index(0, 0)).toString(), u"0"_s);
    QCOMPARE(m.data(m.index(54'321, 0)).toString(), u"54321"_s);
    QCOMPARE(m.data(m.index(99'999, 1)).toString(), u"row"_s);
    QVERIFY(!m.data(m.index(100'000, 0)).isValid());
}

void TestSqlConsole::scriptEndToEnd()
{
    SqlConsolePage page;
    SqlConsoleTab *tab = openTab(page);
    QVERIFY(tab);
    QCOMPARE(tab->tenant(), TENANT);
    QVERIFY(runAndWait(tab,
        u"CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, big INTEGER);\n"
        "INSERT INTO items(name, big) VALUES ('a', 9223372036854775807), ('NULL', NULL);\n"
        "SELECT id, name, big FROM items ORDER BY id;"_s));
    QVERIFY2(tab->message().startsWith(u"3 statements · 2 rows"_s), qPrintable(tab->message()));
    ResultModel *m = tab->resultModel();
    QCOMPARE(m->rowCount(), 2);
    QCOMPARE(m->columnDecltype(2), u"INTEGER"_s);
    QCOMPARE(m->data(m->index(0, 2)).toString(), u"9223372036854775807"_s);
    QCOMPARE(m->data(m->index(1, 1), ResultModel::TypeRole).toString(), u"text"_s);
    QCOMPARE(m->data(m->index(1, 2), ResultModel::TypeRole).toString(), u"null"_s);
    QVERIFY(!tab->inTransaction());
    QVERIFY(tab->session()->baton().isEmpty()); // the run closed its stream

    // One INSERT: rows affected and the rowid.
    QVERIFY(runAndWait(tab, u"INSERT INTO items(name) VALUES ('c')"_s));
    QVERIFY2(tab->message().contains(u"1 row affected"_s), qPrintable(tab->message()));
    QVERIFY2(tab->message().contains(u"last insert rowid 3"_s), qPrintable(tab->message()));

    // Ctrl+Enter runs only the statement under the cursor.
    QSignalSpy finished(tab, &SqlConsoleTab::runFinished);
    tab->editor()->setPlainText(u"SELECT 1;\nSELECT count(*) FROM items;\nSELECT 3;"_s);
    QTextCursor c = tab->editor()->textCursor();
    c.setPosition(int(tab->editor()->toPlainText().indexOf(u"count")));
    tab->editor()->setTextCursor(c);
    QTest::keyClick(tab->editor(), Qt::Key_Return, Qt::ControlModifier);
    QVERIFY(finished.wait(TIMEOUT));
    QCOMPARE(finished.at(0).at(1).toString(), u"SELECT count(*) FROM items"_s);
    QCOMPARE(m->data(m->index(0, 0)).toString(), u"3"_s);
}

void TestSqlConsole::errorPosition()
{
    SqlConsolePage page;
    SqlConsoleTab *tab = openTab(page);
    QVERIFY(runAndWait(tab, u"SELECT 1;\n  SELECT * FROM no_such_table;\nSELECT 3;"_s));
    const QString message = tab->message();
    QVERIFY2(message.startsWith(u"Error [SQL"_s) || message.startsWith(u"Error ["_s), qPrintable(message));
    QVERIFY2(message.contains(u"no_such_table"_s), qPrintable(message));
    QVERIFY2(message.contains(u"statement 2 of 3, at line 2, column 3"_s), qPrintable(message));
    QCOMPARE(tab->editor()->textCursor().selectedText(), u"SELECT * FROM no_such_table"_s);
    QCOMPARE(tab->resultModel()->data(tab->resultModel()->index(0, 0)).toString(), u"1"_s); // the last that ran
}

void TestSqlConsole::transactionAcrossRuns()
{
    SqlConsolePage page;
    SqlConsoleTab *tab = openTab(page);
    QVERIFY(runAndWait(tab, u"CREATE TABLE IF NOT EXISTS tx(v INTEGER)"_s));
    QVERIFY(runAndWait(tab, u"BEGIN"_s));
    QVERIFY(tab->inTransaction());
    QVERIFY(tab->transactionBadgeVisible());
    QVERIFY(!tab->session()->baton().isEmpty());
    QVERIFY(runAndWait(tab, u"INSERT INTO tx VALUES (1); INSERT INTO tx VALUES (2)"_s));
    QVERIFY2(tab->inTransaction(), qPrintable(tab->message()));
    // Another stream does not see the uncommitted rows.
    SqlConsolePage other;
    SqlConsoleTab *outside = openTab(other);
    QVERIFY(runAndWait(outside, u"SELECT count(*) FROM tx"_s));
    QCOMPARE(outside->resultModel()->data(outside->resultModel()->index(0, 0)).toString(), u"0"_s);

    QVERIFY(runAndWait(tab, u"COMMIT"_s));
    QVERIFY2(!tab->inTransaction(), qPrintable(tab->message()));
    QVERIFY(!tab->transactionBadgeVisible());
    QVERIFY(tab->session()->baton().isEmpty());
    QVERIFY(runAndWait(outside, u"SELECT count(*) FROM tx"_s));
    QCOMPARE(outside->resultModel()->data(outside->resultModel()->index(0, 0)).toString(), u"2"_s);
}

void TestSqlConsole::explain()
{
    SqlConsolePage page;
    SqlConsoleTab *tab = openTab(page);
    QVERIFY(runAndWait(tab, u"CREATE TABLE IF NOT EXISTS ex(a INTEGER PRIMARY KEY, b TEXT)"_s));
    tab->editor()->setPlainText(u"SELECT * FROM ex WHERE a = 1"_s);
    QVERIFY(tab->explainCurrent());
    QTRY_VERIFY_WITH_TIMEOUT(tab->planView()->topLevelItemCount() > 0, TIMEOUT);
    QVERIFY2(tab->planView()->topLevelItem(0)->text(0).contains(u"ex"_s),
        qPrintable(tab->planView()->topLevelItem(0)->text(0)));
}

void TestSqlConsole::historyReloaded()
{
    const QString marker = u"SELECT 'history marker' AS h"_s;
    {
        SqlConsolePage page;
        SqlConsoleTab *tab = openTab(page);
        QVERIFY(runAndWait(tab, marker));
        QTRY_VERIFY_WITH_TIMEOUT(
            !page.historyEntries().isEmpty() && page.historyEntries().first().sql == marker, TIMEOUT);
        QCOMPARE(page.historyEntries().first().tenant, TENANT);
        QVERIFY(page.historyEntries().first().ok);
    }
    QVERIFY(QFile::exists(m_historyDir.filePath(u"query-history.sqlite"_s)));
    SqlConsolePage reopened;
    reopened.setHistoryDirectory(m_historyDir.path());
    QTRY_VERIFY_WITH_TIMEOUT(!reopened.historyEntries().isEmpty(), TIMEOUT);
    QCOMPARE(reopened.historyEntries().first().sql, marker);
    bool failedRunStored = false;
    for (const HistoryEntry &e : reopened.historyEntries())
        failedRunStored = failedRunStored || (!e.ok && e.sql.contains(u"no_such_table"_s));
    QVERIFY(failedRunStored);
}

void TestSqlConsole::completerHasSchema()
{
    SqlConsolePage page;
    SqlConsoleTab *tab = openTab(page);
    // Tables made earlier in this suite are loaded when the tab opens; a new one after the DDL runs.
    QTRY_VERIFY_WITH_TIMEOUT(tab->editor()->completionWords().contains(u"items"_s), TIMEOUT);
    QVERIFY(tab->editor()->completionWords().contains(u"name"_s));
    QVERIFY(tab->editor()->completionWords().contains(u"SELECT"_s));
    QVERIFY(runAndWait(tab, u"CREATE TABLE fresh_table(fresh_column TEXT)"_s));
    QTRY_VERIFY_WITH_TIMEOUT(tab->editor()->completionWords().contains(u"fresh_table"_s), TIMEOUT);
    QVERIFY(tab->editor()->schema().value(u"fresh_table"_s).contains(u"fresh_column"_s));
    auto *model = tab->editor()->completer()->model();
    QVERIFY(!model->match(model->index(0, 0), Qt::DisplayRole, u"fresh_table"_s, 1, Qt::MatchExactly).isEmpty());
}

QTEST_MAIN(TestSqlConsole)
#include "tst_sqlconsole.moc"
