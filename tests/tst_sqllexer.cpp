// SqlLexer without widgets: golden token lists, line-state carry-over, statement splitting and the statement
// under the cursor, and the transaction effect the console tracks.
//
// Golden files: tests/data/sqllexer/<case>.in is SQL; <case>.expected lists one token per line as
// line:start:length:kind:text (line 1-based, start 0-based in UTF-16 code units, lexed line by line with the state
// carried over as the highlighter does). To rewrite every .expected file from the current lexer, run
//     QSQLD_REGENERATE=1 ./tst_sqllexer golden
// and review the diff by hand before committing it.

#include "editor/sqllexer.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace Qt::StringLiterals;
using qsqld::ui::SqlLexer;
using Kind = SqlLexer::Kind;
using State = SqlLexer::State;

namespace {

const QString DATA = QStringLiteral(QSQLD_TEST_DATA "/sqllexer");

QString goldenText(const QString &input)
{
    QString out;
    State state = State::Normal;
    const QStringList lines = input.split(u'\n');
    for (int l = 0; l < lines.size(); ++l) {
        QList<SqlLexer::Token> tokens;
        state = SqlLexer::lexLine(lines[l], state, &tokens);
        for (const SqlLexer::Token &t : tokens)
            out += u"%1:%2:%3:%4:%5\n"_s.arg(l + 1).arg(t.start).arg(t.length).arg(
                SqlLexer::kindName(t.kind), lines[l].mid(t.start, t.length));
    }
    return out;
}

// The statements' texts of a script.
QStringList statementTexts(const QString &sql)
{
    QStringList out;
    for (const SqlLexer::Range &r : SqlLexer::splitStatements(sql))
        out.append(sql.mid(r.start, r.length()));
    return out;
}

} // namespace

class TestSqlLexer : public QObject
{
    Q_OBJECT
private slots:
    void golden_data();
    void golden();
    void keywords();
    void lineState_data();
    void lineState();
    void wholeTextMatchesLines();
    void splitStatements_data();
    void splitStatements();
    void statementAt_data();
    void statementAt();
    void transactionEffect_data();
    void transactionEffect();
};

void TestSqlLexer::golden_data()
{
    QTest::addColumn<QString>("name");
    const QStringList files = QDir(DATA).entryList({ u"*.in"_s }, QDir::Files, QDir::Name);
    QVERIFY2(files.size() >= 8, "expected the golden cases in tests/data/sqllexer");
    for (const QString &f : files)
        QTest::addRow("%s", qPrintable(f.chopped(3))) << f.chopped(3);
}

void TestSqlLexer::golden()
{
    QFETCH(QString, name);
    QFile in(DATA + u'/' + name + u".in"_s);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QString actual = goldenText(QString::fromUtf8(in.readAll()));
    QFile expectedFile(DATA + u'/' + name + u".expected"_s);
    if (qEnvironmentVariableIntValue("QSQLD_REGENERATE") == 1) {
        QVERIFY(expectedFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
        expectedFile.write(actual.toUtf8());
        qInfo("regenerated %s.expected", qPrintable(name));
        return;
    }
    QVERIFY2(expectedFile.open(QIODevice::ReadOnly), "missing .expected file; run with QSQLD_REGENERATE=1");
    const QString expected = QString::fromUtf8(expectedFile.readAll());
    if (actual != expected) {
        const QStringList a = actual.split(u'\n'), e = expected.split(u'\n');
        for (int i = 0; i < std::max(a.size(), e.size()); ++i) {
            if (a.value(i) != e.value(i)) {
                qWarning("first difference at token line %d:\n  actual:   %s\n  expected: %s", i + 1,
                    qPrintable(a.value(i)), qPrintable(e.value(i)));
                break;
            }
        }
        QFAIL("golden mismatch");
    }
}

void TestSqlLexer::keywords()
{
    QCOMPARE(SqlLexer::keywords().size(), 147);
    QVERIFY(std::is_sorted(SqlLexer::keywords().cbegin(), SqlLexer::keywords().cend()));
    QVERIFY(SqlLexer::isKeyword(u"select"));
    QVERIFY(SqlLexer::isKeyword(u"CuRrEnT_TiMeStAmP"));
    QVERIFY(SqlLexer::isKeyword(u"WITHOUT"));
    QVERIFY(!SqlLexer::isKeyword(u"selects"));
    QVERIFY(!SqlLexer::isKeyword(u"users"));
    QVERIFY(!SqlLexer::isKeyword(u""));
}

void TestSqlLexer::lineState_data()
{
    QTest::addColumn<int>("in");
    QTest::addColumn<QString>("line");
    QTest::addColumn<int>("out");
    QTest::addColumn<int>("firstKind"); // kind of the first token, -1: none
    QTest::addColumn<int>("firstLength"); // its length
    const auto N = int(State::Normal);
    QTest::addRow("open block comment") << N << u"SELECT 1 /* open"_s << int(State::BlockComment) << int(Kind::Keyword)
                                        << 6;
    QTest::addRow("close block comment") << int(State::BlockComment) << u"still */ SELECT"_s << N << int(Kind::Comment)
                                         << 8;
    QTest::addRow("block comment goes on")
        << int(State::BlockComment) << u"; 'x' -- y"_s << int(State::BlockComment) << int(Kind::Comment) << 10;
    QTest::addRow("empty line keeps state") << int(State::String) << QString() << int(State::String) << -1 << 0;
    QTest::addRow("open string") << N << u"SELECT 'abc"_s << int(State::String) << int(Kind::Keyword) << 6;
    QTest::addRow("close string with escape") << int(State::String) << u"it''s' || x"_s << N << int(Kind::String) << 6;
    QTest::addRow("open blob") << N << u"x'00"_s << int(State::Blob) << int(Kind::Blob) << 4;
    QTest::addRow("close blob") << int(State::Blob) << u"ff'"_s << N << int(Kind::Blob) << 3;
    QTest::addRow("open double quote") << N << u"\"a"_s << int(State::DoubleQuoted) << int(Kind::QuotedIdentifier) << 2;
    QTest::addRow("close double quote") << int(State::DoubleQuoted) << u"b\"\"c\" x"_s << N
                                        << int(Kind::QuotedIdentifier) << 5;
    QTest::addRow("open bracket") << N << u"[a"_s << int(State::Bracketed) << int(Kind::QuotedIdentifier) << 2;
    QTest::addRow("close bracket") << int(State::Bracketed) << u"b]"_s << N << int(Kind::QuotedIdentifier) << 2;
    QTest::addRow("open backtick") << N << u"`a"_s << int(State::Backticked) << int(Kind::QuotedIdentifier) << 2;
    QTest::addRow("close backtick") << int(State::Backticked) << u"``b`"_s << N << int(Kind::QuotedIdentifier) << 4;
    QTest::addRow("line comment hides opener") << N << u"-- x /* 'y"_s << N << int(Kind::Comment) << 10;
    QTest::addRow("string hides comment") << N << u"'/*' x"_s << N << int(Kind::String) << 4;
}

void TestSqlLexer::lineState()
{
    QFETCH(int, in);
    QFETCH(QString, line);
    QFETCH(int, out);
    QFETCH(int, firstKind);
    QFETCH(int, firstLength);
    QList<SqlLexer::Token> tokens;
    QCOMPARE(int(SqlLexer::lexLine(line, State(in), &tokens)), out);
    if (firstKind < 0) {
        QVERIFY(tokens.isEmpty());
        return;
    }
    QVERIFY(!tokens.isEmpty());
    QCOMPARE(tokens[0].start, 0);
    QCOMPARE(int(tokens[0].kind), firstKind);
    QCOMPARE(tokens[0].length, firstLength);
}

// Lexing a document at once gives the same kinds as lexing it line by line (multi-line tokens aside).
void TestSqlLexer::wholeTextMatchesLines()
{
    const QString text = u"SELECT a, 'b' FROM t -- c\nWHERE x = ?1 AND y = 0x1f;\nSELECT [q] FROM \"r\";"_s;
    QList<Kind> whole;
    for (const SqlLexer::Token &t : SqlLexer::lex(text))
        whole.append(t.kind);
    QList<Kind> lines;
    State s = State::Normal;
    for (const QString &line : text.split(u'\n')) {
        QList<SqlLexer::Token> tokens;
        s = SqlLexer::lexLine(line, s, &tokens);
        for (const SqlLexer::Token &t : tokens)
            lines.append(t.kind);
    }
    QCOMPARE(whole, lines);
    // A block comment over three lines is one token in a whole-text lex.
    const QList<SqlLexer::Token> tokens = SqlLexer::lex(u"/* a\nb\nc */ x"_s);
    QCOMPARE(tokens.size(), 2);
    QCOMPARE(tokens[0].length, 11);
    QCOMPARE(tokens[0].kind, Kind::Comment);
}

void TestSqlLexer::splitStatements_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QStringList>("statements");
    QTest::addRow("simple") << u"SELECT 1; SELECT 2"_s << QStringList { u"SELECT 1"_s, u"SELECT 2"_s };
    QTest::addRow("trailing semicolons") << u"  SELECT 1 ;;; \n"_s << QStringList { u"SELECT 1"_s };
    QTest::addRow("empty") << u"  \n ; ;"_s << QStringList {};
    QTest::addRow("string with semicolon") << u"INSERT INTO t VALUES ('a;b'); SELECT ';'"_s
                                           << QStringList { u"INSERT INTO t VALUES ('a;b')"_s, u"SELECT ';'"_s };
    QTest::addRow("quoted identifiers") << u"SELECT \"a;b\", [c;d], `e;f` FROM t; SELECT 2"_s
                                        << QStringList { u"SELECT \"a;b\", [c;d], `e;f` FROM t"_s, u"SELECT 2"_s };
    QTest::addRow("comments") << u"-- first; not a split\nSELECT 1 /* ; */ + 2; -- tail;\n/* only a comment; */"_s
                              << QStringList { u"SELECT 1 /* ; */ + 2"_s };
    QTest::addRow("trigger") << u"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO l VALUES (1); "
                                "UPDATE c SET n = n + 1; END; SELECT 1"_s
                             << QStringList { u"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO l VALUES (1); "
                                              "UPDATE c SET n = n + 1; END"_s,
                                    u"SELECT 1"_s };
    QTest::addRow("temp trigger with case") << u"create temp trigger if not exists x before delete on t begin "
                                               "select case when old.a then raise(abort, 'no;') end; end;select 2;"_s
                                            << QStringList { u"create temp trigger if not exists x before delete on t "
                                                             "begin select case when old.a then raise(abort, 'no;') "
                                                             "end; end"_s,
                                                   u"select 2"_s };
    QTest::addRow("begin is not a trigger") << u"BEGIN; INSERT INTO t VALUES (1); END;"_s
                                            << QStringList { u"BEGIN"_s, u"INSERT INTO t VALUES (1)"_s, u"END"_s };
    QTest::addRow("multi-line string") << u"SELECT 'a;\nb'; SELECT 2"_s
                                       << QStringList { u"SELECT 'a;\nb'"_s, u"SELECT 2"_s };
    QTest::addRow("unterminated string") << u"SELECT 'abc; SELECT 2"_s << QStringList { u"SELECT 'abc; SELECT 2"_s };
}

void TestSqlLexer::splitStatements()
{
    QFETCH(QString, sql);
    QFETCH(QStringList, statements);
    QCOMPARE(statementTexts(sql), statements);
}

void TestSqlLexer::statementAt_data()
{
    // '|' marks the cursor; it is removed before the call.
    QTest::addColumn<QString>("marked");
    QTest::addColumn<QString>("expected");
    const QString script
        = u"SELECT 1;\nSELECT 'x;y';\n\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 2;\nEND;\n"_s;
    auto at = [&script](qsizetype pos) { return QString(script).insert(pos, u'|'); };
    QTest::addRow("start") << at(0) << u"SELECT 1"_s;
    QTest::addRow("inside first") << at(3) << u"SELECT 1"_s;
    QTest::addRow("after semicolon") << at(9) << u"SELECT 1"_s;
    QTest::addRow("inside string") << at(script.indexOf(u"x;y") + 2) << u"SELECT 'x;y'"_s;
    QTest::addRow("blank line picks previous") << at(script.indexOf(u"\n\n") + 1) << u"SELECT 'x;y'"_s;
    QTest::addRow("trigger body") << at(script.indexOf(
        u"SELECT 2")) << script.mid(script.indexOf(u"CREATE"), script.indexOf(u"END;") + 3 - script.indexOf(u"CREATE"));
    QTest::addRow("end of text") << at(script.size())
                                 << script.mid(script.indexOf(u"CREATE"),
                                        script.indexOf(u"END;") + 3 - script.indexOf(u"CREATE"));
    QTest::addRow("leading comment") << u"-- note\n|  SELECT 5"_s << u"SELECT 5"_s;
    QTest::addRow("no statement") << u"-- only | a comment"_s << QString();
    QTest::addRow("adjacent prefers later") << u"SELECT 1;|SELECT 2"_s << u"SELECT 2"_s;
}

void TestSqlLexer::statementAt()
{
    QFETCH(QString, marked);
    QFETCH(QString, expected);
    const int cursor = int(marked.indexOf(u'|'));
    const QString text = QString(marked).remove(cursor, 1);
    const SqlLexer::Range r = SqlLexer::statementAt(text, cursor);
    QCOMPARE(r.isValid() ? text.mid(r.start, r.length()) : QString(), expected);
}

void TestSqlLexer::transactionEffect_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<int>("effect");
    using E = SqlLexer::TxnEffect;
    QTest::addRow("begin") << u"BEGIN"_s << int(E::Begins);
    QTest::addRow("begin immediate") << u"begin immediate transaction"_s << int(E::Begins);
    QTest::addRow("comment first") << u"/* x */ BEGIN"_s << int(E::Begins);
    QTest::addRow("savepoint") << u"SAVEPOINT s1"_s << int(E::Begins);
    QTest::addRow("commit") << u"COMMIT"_s << int(E::Ends);
    QTest::addRow("end transaction") << u"END TRANSACTION"_s << int(E::Ends);
    QTest::addRow("rollback") << u"rollback"_s << int(E::Ends);
    QTest::addRow("rollback to") << u"ROLLBACK TO s1"_s << int(E::None);
    QTest::addRow("rollback transaction to") << u"ROLLBACK TRANSACTION TO SAVEPOINT s1"_s << int(E::None);
    QTest::addRow("select") << u"SELECT 'BEGIN'"_s << int(E::None);
    QTest::addRow("trigger") << u"CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END"_s << int(E::None);
}

void TestSqlLexer::transactionEffect()
{
    QFETCH(QString, sql);
    QFETCH(int, effect);
    QCOMPARE(int(SqlLexer::transactionEffect(sql)), effect);
}

QTEST_GUILESS_MAIN(TestSqlLexer)
#include "tst_sqllexer.moc"
