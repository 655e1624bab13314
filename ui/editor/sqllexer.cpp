#include "sqllexer.h"

#include <algorithm>
#include <optional>

#include <QSet>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

using Token = SqlLexer::Token;
using Kind = SqlLexer::Kind;
using State = SqlLexer::State;

// https://sqlite.org/lang_keywords.html (147 words), upper case and sorted.
const char *const KEYWORDS[] = {
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
};
constexpr int LONGEST_KEYWORD = 17; // CURRENT_TIMESTAMP

bool isIdentStart(QChar c)
{
    return c.isLetter() || c == u'_' || c.unicode() >= 0x80;
}

bool isIdentChar(QChar c)
{
    return isIdentStart(c) || c.isDigit() || c == u'$';
}

bool isDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

bool isHexDigit(QChar c)
{
    return isDigit(c) || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
}

// The closing character of a quoted state, and the kind of its token.
QChar closerOf(State s)
{
    switch (s) {
    case State::String:
    case State::Blob:
        return u'\'';
    case State::DoubleQuoted:
        return u'"';
    case State::Bracketed:
        return u']';
    case State::Backticked:
        return u'`';
    default:
        return {};
    }
}

Kind kindOf(State s)
{
    switch (s) {
    case State::BlockComment:
        return Kind::Comment;
    case State::String:
        return Kind::String;
    case State::Blob:
        return Kind::Blob;
    default:
        return Kind::QuotedIdentifier;
    }
}

// Scans a quoted run from `i` (just after the opening quote, or 0 when continued). Doubling the quote escapes it,
// except in [...]. Returns the index after the closer, or text.size() with *open set when the text ended first.
int scanQuoted(QStringView text, int i, State s, bool *open)
{
    const QChar closer = closerOf(s);
    const int n = int(text.size());
    while (i < n) {
        if (text[i] == closer) {
            if (s != State::Bracketed && i + 1 < n && text[i + 1] == closer) {
                i += 2;
                continue;
            }
            *open = false;
            return i + 1;
        }
        ++i;
    }
    *open = true;
    return n;
}

int scanBlockComment(QStringView text, int i, bool *open)
{
    const int n = int(text.size());
    for (; i + 1 < n; ++i) {
        if (text[i] == u'*' && text[i + 1] == u'/') {
            *open = false;
            return i + 2;
        }
    }
    *open = true;
    return n;
}

int scanNumber(QStringView text, int i)
{
    const int n = int(text.size());
    if (text[i] == u'0' && i + 2 < n && (text[i + 1] == u'x' || text[i + 1] == u'X') && isHexDigit(text[i + 2])) {
        i += 2;
        while (i < n && (isHexDigit(text[i]) || text[i] == u'_'))
            ++i;
        return i;
    }
    // Digits may be separated by '_' (SQLite 3.46).
    auto digits = [&](int j) {
        while (j < n && (isDigit(text[j]) || (text[j] == u'_' && j + 1 < n && isDigit(text[j + 1]))))
            ++j;
        return j;
    };
    i = digits(i);
    if (i < n && text[i] == u'.')
        i = digits(i + 1);
    if (i < n && (text[i] == u'e' || text[i] == u'E')) {
        int j = i + 1;
        if (j < n && (text[j] == u'+' || text[j] == u'-'))
            ++j;
        if (j < n && isDigit(text[j]))
            i = digits(j);
    }
    return i;
}

// Length of the operator or punctuation at `i` (longest match first).
int operatorLength(QStringView text, int i)
{
    static const char16_t *const LONG[] = { u"->>", u"||", u"<<", u">>", u"<=", u">=", u"==", u"!=", u"<>", u"->" };
    for (const char16_t *op : LONG) {
        const QStringView v(op);
        if (text.sliced(i).startsWith(v))
            return int(v.size());
    }
    return 1;
}

// Lexes a comment, string, blob or quoted identifier at `i`, if one starts there; returns the state to continue in.
std::optional<State> lexCommentOrQuoted(QStringView text, int &i, QList<Token> *out)
{
    const int n = int(text.size());
    const int start = i;
    const QChar c = text[i];
    const QChar next = i + 1 < n ? text[i + 1] : QChar();
    auto push = [&](Kind k) { out->append(Token { start, i - start, k }); };
    bool open = false;
    if (c == u'-' && next == u'-') {
        while (i < n && text[i] != u'\n')
            ++i;
        push(Kind::Comment);
        return State::Normal;
    }
    if (c == u'/' && next == u'*') {
        i = scanBlockComment(text, i + 2, &open);
        push(Kind::Comment);
        return open ? State::BlockComment : State::Normal;
    }
    State quoted = State::Normal;
    if ((c == u'x' || c == u'X') && next == u'\'') {
        quoted = State::Blob;
        ++i; // the quote
    } else if (c == u'\'') {
        quoted = State::String;
    } else if (c == u'"') {
        quoted = State::DoubleQuoted;
    } else if (c == u'[') {
        quoted = State::Bracketed;
    } else if (c == u'`') {
        quoted = State::Backticked;
    } else {
        return std::nullopt;
    }
    i = scanQuoted(text, i + 1, quoted, &open);
    push(kindOf(quoted));
    return open ? quoted : State::Normal;
}

// Lexes one token of Normal state at `i` (not whitespace). Returns the state to continue in.
State lexToken(QStringView text, int &i, QList<Token> *out)
{
    const int n = int(text.size());
    const int start = i;
    const QChar c = text[i];
    const QChar next = i + 1 < n ? text[i + 1] : QChar();
    auto push = [&](Kind k) { out->append(Token { start, i - start, k }); };
    if (const std::optional<State> state = lexCommentOrQuoted(text, i, out))
        return *state;
    if (isDigit(c) || (c == u'.' && isDigit(next))) {
        i = scanNumber(text, i);
        push(Kind::Number);
    } else if (isIdentStart(c)) {
        while (i < n && isIdentChar(text[i]))
            ++i;
        push(SqlLexer::isKeyword(text.sliced(start, i - start)) ? Kind::Keyword : Kind::Identifier);
    } else if (c == u'?') {
        for (++i; i < n && isDigit(text[i]);)
            ++i;
        push(Kind::Parameter);
    } else if ((c == u':' || c == u'@' || c == u'$') && i + 1 < n && isIdentChar(next)) {
        for (++i; i < n && isIdentChar(text[i]);)
            ++i;
        push(Kind::Parameter);
    } else if (c == u'(' || c == u')' || c == u',' || c == u';' || c == u'.') {
        ++i;
        push(Kind::Punctuation);
    } else {
        i += operatorLength(text, i);
        push(Kind::Operator);
    }
    return State::Normal;
}

QString upper(QStringView word)
{
    return word.toString().toUpper();
}

} // namespace

bool SqlLexer::isKeyword(QStringView word)
{
    static const QSet<QString> set(keywords().cbegin(), keywords().cend());
    if (word.size() > LONGEST_KEYWORD || word.size() < 2)
        return false;
    return set.contains(upper(word));
}

const QStringList &SqlLexer::keywords()
{
    static const QStringList list = [] {
        QStringList l;
        for (const char *k : KEYWORDS)
            l.append(QLatin1StringView(k));
        return l;
    }();
    return list;
}

QString SqlLexer::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Keyword:
        return u"keyword"_s;
    case Kind::Identifier:
        return u"identifier"_s;
    case Kind::QuotedIdentifier:
        return u"quoted-identifier"_s;
    case Kind::String:
        return u"string"_s;
    case Kind::Blob:
        return u"blob"_s;
    case Kind::Number:
        return u"number"_s;
    case Kind::Comment:
        return u"comment"_s;
    case Kind::Parameter:
        return u"parameter"_s;
    case Kind::Operator:
        return u"operator"_s;
    case Kind::Punctuation:
        return u"punctuation"_s;
    }
    return {};
}

SqlLexer::State SqlLexer::lexLine(QStringView text, State in, QList<Token> *out)
{
    const int n = int(text.size());
    int i = 0;
    State state = in;
    if (state != State::Normal) {
        bool open = false;
        i = state == State::BlockComment ? scanBlockComment(text, 0, &open) : scanQuoted(text, 0, state, &open);
        if (i > 0)
            out->append(Token { 0, i, kindOf(state) });
        if (open)
            return state;
        state = State::Normal;
    }
    while (i < n) {
        if (text[i].isSpace()) {
            ++i;
            continue;
        }
        state = lexToken(text, i, out);
    }
    return state;
}

QList<SqlLexer::Range> SqlLexer::splitStatements(QStringView text)
{
    const QList<Token> tokens = lex(text);
    QList<Range> out;
    Range current;
    int index = 0; // significant tokens seen in this statement
    bool create = false; // the statement starts with CREATE
    bool trigger = false; // CREATE [TEMP] TRIGGER: ';' inside BEGIN ... END does not split
    int depth = 0; // BEGIN/CASE ... END nesting inside a trigger body
    for (const Token &t : tokens) {
        if (!t.isSignificant())
            continue;
        const QStringView word = text.sliced(t.start, t.length);
        if (t.kind == Kind::Punctuation && word == u";" && (!trigger || depth == 0)) {
            if (current.isValid())
                out.append(current);
            current = Range();
            index = 0;
            create = trigger = false;
            depth = 0;
            continue;
        }
        if (t.kind == Kind::Keyword) {
            const QString kw = upper(word);
            if (index == 0)
                create = kw == u"CREATE";
            else if (create && index <= 2 && kw == u"TRIGGER")
                trigger = true;
            else if (trigger && (kw == u"BEGIN" || (depth > 0 && kw == u"CASE")))
                ++depth;
            else if (trigger && depth > 0 && kw == u"END")
                --depth;
        }
        if (!current.isValid())
            current.start = t.start;
        current.end = t.end();
        ++index;
    }
    if (current.isValid())
        out.append(current);
    return out;
}

SqlLexer::Range SqlLexer::statementAt(QStringView text, int cursorPos)
{
    const QList<Range> all = splitStatements(text);
    for (auto it = all.crbegin(); it != all.crend(); ++it) {
        // The ';' right after the range (if any) belongs to it, so "SELECT 1;|" finds SELECT 1.
        int end = it->end;
        while (end < text.size() && text[end].isSpace() && text[end] != u'\n')
            ++end;
        if (end < text.size() && text[end] == u';')
            ++end;
        else
            end = it->end;
        if (it->start <= cursorPos && cursorPos <= end)
            return *it;
    }
    for (auto it = all.crbegin(); it != all.crend(); ++it) {
        if (it->end <= cursorPos)
            return *it;
    }
    return all.isEmpty() ? Range() : all.first();
}

QStringList SqlLexer::leadingKeywords(QStringView statement, int count)
{
    QStringList out;
    QList<Token> tokens;
    lexLine(statement, State::Normal, &tokens);
    for (const Token &t : std::as_const(tokens)) {
        if (out.size() >= count || !t.isSignificant())
            continue;
        if (t.kind != Kind::Keyword)
            break;
        out.append(upper(statement.sliced(t.start, t.length)));
    }
    return out;
}

SqlLexer::TxnEffect SqlLexer::transactionEffect(QStringView statement)
{
    const QStringList kw = leadingKeywords(statement, 3);
    if (kw.isEmpty())
        return TxnEffect::None;
    const QString &first = kw.first();
    if (first == u"BEGIN" || first == u"SAVEPOINT")
        return TxnEffect::Begins;
    if (first == u"COMMIT" || first == u"END")
        return TxnEffect::Ends;
    if (first == u"ROLLBACK") {
        // ROLLBACK [TRANSACTION] TO [SAVEPOINT] x keeps the transaction open.
        return kw.contains(u"TO"_s) ? TxnEffect::None : TxnEffect::Ends;
    }
    return TxnEffect::None;
}

} // namespace qsqld::ui
