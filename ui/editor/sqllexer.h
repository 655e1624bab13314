#pragma once

// SqlLexer: the SQLite dialect as tokens, a pure engine with no widgets (KSH's AbstractHighlighter split): the
// highlighter, the editor's "statement under the cursor", the console's script splitter and its transaction
// tracking all read the same tokens, and tests/tst_sqllexer.cpp checks them against golden files.
// Costs: one pass over the text, no allocation except the output list. Thread rule: stateless, any thread.

#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

namespace qsqld::ui {

class SqlLexer
{
public:
    struct Token
    {
        enum class Kind : quint8 {
            Keyword, // SELECT, from (case-insensitive; the list of sqlite.org/lang_keywords.html)
            Identifier, // t, col_1, déjà
            QuotedIdentifier, // "x", [x], `x`
            String, // 'it''s'
            Blob, // x'00ff'
            Number, // 42, 1.5e3, .5, 0x1F
            Comment, // -- to the end of the line, /* ... */
            Parameter, // ?, ?3, :name, @name, $name
            Operator, // + - * / % || << >> & | < <= > >= = == != <> ~ -> ->> (and any stray character)
            Punctuation, // ( ) , ; .
        };
        int start = 0;
        int length = 0;
        Kind kind = Kind::Identifier;

        int end() const { return start + length; }
        bool isSignificant() const { return kind != Kind::Comment; }
        friend bool operator==(const Token &, const Token &) = default;
    };
    using Kind = Token::Kind;

    // What continues on the next line. Stored as the QTextBlock state by the highlighter (so it must stay >= 0).
    enum class State : int {
        Normal = 0,
        BlockComment, // inside /* ... */
        String, // inside '...'
        Blob, // inside x'...'
        DoubleQuoted, // inside "..."
        Bracketed, // inside [...]
        Backticked, // inside `...`
    };

    // A half-open range [start, end) of a text; invalid (-1, -1) when there is none.
    struct Range
    {
        int start = -1;
        int end = -1;

        bool isValid() const { return start >= 0 && end >= start; }
        int length() const { return end - start; }
        friend bool operator==(const Range &, const Range &) = default;
    };

    // What a statement does to the connection's transaction, judged from its leading keywords.
    enum class TxnEffect {
        None,
        Begins, // BEGIN ..., SAVEPOINT x (which starts a transaction when none is open)
        Ends, // COMMIT, END, ROLLBACK (not ROLLBACK TO)
    };

    // Tokens of `text` starting in state `in`; returns the state at the end. Works on one line (the highlighter)
    // or a whole document (newlines are whitespace; a -- comment stops at '\n'). A token that starts in a
    // continued state begins at 0 with that state's kind. Positions are relative to `text`.
    static State lexLine(QStringView text, State in, QList<Token> *out);
    static QList<Token> lex(QStringView text)
    {
        QList<Token> out;
        lexLine(text, State::Normal, &out);
        return out;
    }

    // Statements of a script: split on ';' outside strings, comments and quoted identifiers; a CREATE TRIGGER's
    // BEGIN ... END body is part of its statement. Each range runs from the first to the last non-comment token
    // (the ';' excluded); comment-only pieces are skipped.
    static QList<Range> splitStatements(QStringView text);
    // The statement under `cursorPos`: the one whose range (plus its ';') touches the cursor, preferring the later
    // one, else the nearest before the cursor, else the first after it. Invalid when the text has no statement.
    static Range statementAt(QStringView text, int cursorPos);

    static TxnEffect transactionEffect(QStringView statement);
    // The first `count` keywords of a statement in upper case, skipping comments ("EXPLAIN", "QUERY", "PLAN").
    static QStringList leadingKeywords(QStringView statement, int count);

    static bool isKeyword(QStringView word);
    static const QStringList &keywords(); // all of them, upper case, sorted
    static QString kindName(Kind kind); // "keyword", "quoted-identifier", ... (golden files)
};

} // namespace qsqld::ui
