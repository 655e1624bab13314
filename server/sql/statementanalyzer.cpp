#include "statementanalyzer.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

using namespace Qt::StringLiterals;
using namespace std::string_view_literals;

namespace qsqld::sql {
namespace {

enum class TokenType : quint8 {
    End,
    Error, // unterminated string, identifier or comment; [begin, end) is its opening delimiter
    Word, // identifier or keyword
    QuotedId, // "x", `x`, [x]
    String, // 'x'
    Literal, // number, blob
    Variable,
    Semicolon,
    LParen,
    RParen,
    Dot,
    Comma,
    Equals,
    Other
};

struct Token
{
    TokenType type = TokenType::End;
    int begin = 0;
    int end = 0;
};

constexpr bool isSpace(unsigned char c)
{
    // SQLite's whitespace: no vertical tab.
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

constexpr bool isDigit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

constexpr bool isHexDigit(unsigned char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr bool isIdStart(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

constexpr bool isIdChar(unsigned char c)
{
    return isIdStart(c) || isDigit(c) || c == '$';
}

std::string_view tokenText(std::string_view text, const Token &t)
{
    return text.substr(size_t(t.begin), size_t(t.end - t.begin));
}

// `keyword` is upper case ASCII; SQL keywords compare case-insensitively in ASCII only.
bool isKeyword(std::string_view text, const Token &t, std::string_view keyword)
{
    if (t.type != TokenType::Word || size_t(t.end - t.begin) != keyword.size())
        return false;
    for (size_t i = 0; i < keyword.size(); ++i) {
        char c = text[size_t(t.begin) + i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - ('a' - 'A'));
        if (c != keyword[i])
            return false;
    }
    return true;
}

// The token boundaries of SQLite's sqlite3GetToken() (tokenize.c). Only boundaries matter here: token values
// (malformed numbers, illegal characters) are left for SQLite to reject when it prepares the statement. Unlike
// SQLite, an unterminated block comment is an error, as it is in sqld.
class Lexer
{
public:
    Lexer(std::string_view text, int pos)
        : m_text(text)
        , m_pos(pos)
    {
    }
    Token next();

private:
    unsigned char at(size_t i) const { return i < m_text.size() ? static_cast<unsigned char>(m_text[i]) : 0; }
    Token make(TokenType type, size_t end);
    Token quoted(TokenType type, size_t quotePos);
    Token number();
    Token variable();

    std::string_view m_text;
    size_t m_pos;
};

Token Lexer::make(TokenType type, size_t end)
{
    const Token t { type, int(m_pos), int(end) };
    m_pos = end;
    return t;
}

Token Lexer::next()
{
    for (;;) {
        while (m_pos < m_text.size() && isSpace(at(m_pos)))
            ++m_pos;
        if (m_pos >= m_text.size())
            return Token { TokenType::End, int(m_text.size()), int(m_text.size()) };
        const unsigned char c = at(m_pos);
        const unsigned char d = at(m_pos + 1);
        if (c == '-' && d == '-') {
            const size_t nl = m_text.find('\n', m_pos + 2);
            m_pos = nl == std::string_view::npos ? m_text.size() : nl + 1;
            continue;
        }
        if (c == '/' && d == '*') {
            const size_t close = m_text.find("*/"sv, m_pos + 2);
            if (close == std::string_view::npos)
                return Token { TokenType::Error, int(m_pos), int(m_pos + 2) };
            m_pos = close + 2;
            continue;
        }
        switch (c) {
        case '\'':
            return quoted(TokenType::String, m_pos);
        case '"':
        case '`':
            return quoted(TokenType::QuotedId, m_pos);
        case '[': {
            const size_t close = m_text.find(']', m_pos + 1);
            if (close == std::string_view::npos)
                return Token { TokenType::Error, int(m_pos), int(m_pos + 1) };
            return make(TokenType::QuotedId, close + 1);
        }
        case ';':
            return make(TokenType::Semicolon, m_pos + 1);
        case '(':
            return make(TokenType::LParen, m_pos + 1);
        case ')':
            return make(TokenType::RParen, m_pos + 1);
        case ',':
            return make(TokenType::Comma, m_pos + 1);
        case '=':
            return make(TokenType::Equals, m_pos + (d == '=' ? 2 : 1));
        case '.':
            return isDigit(d) ? number() : make(TokenType::Dot, m_pos + 1);
        case '?': {
            size_t i = m_pos + 1;
            while (isDigit(at(i)))
                ++i;
            return make(TokenType::Variable, i);
        }
        case '$':
        case '@':
        case '#':
        case ':':
            return variable();
        default:
            break;
        }
        if (isDigit(c))
            return number();
        if ((c == 'x' || c == 'X') && d == '\'') {
            Token blob = quoted(TokenType::Literal, m_pos + 1);
            if (blob.type == TokenType::Error)
                blob.begin -= 1; // show x' as the unterminated token
            return blob;
        }
        if (isIdStart(c)) {
            size_t i = m_pos + 1;
            while (isIdChar(at(i)))
                ++i;
            return make(TokenType::Word, i);
        }
        return make(TokenType::Other, m_pos + 1);
    }
}

// '...' and "..." and `...`, where a doubled quote stands for itself.
Token Lexer::quoted(TokenType type, size_t quotePos)
{
    const char quote = m_text[quotePos];
    size_t i = quotePos + 1;
    for (;;) {
        const size_t close = m_text.find(quote, i);
        if (close == std::string_view::npos)
            return Token { TokenType::Error, int(quotePos), int(quotePos + 1) };
        if (at(close + 1) != static_cast<unsigned char>(quote))
            return make(type, close + 1);
        i = close + 2;
    }
}

Token Lexer::number()
{
    size_t i = m_pos;
    if (at(i) == '0' && (at(i + 1) == 'x' || at(i + 1) == 'X') && isHexDigit(at(i + 2))) {
        i += 2;
    } else {
        while (isDigit(at(i)))
            ++i;
        if (at(i) == '.')
            ++i;
        while (isDigit(at(i)))
            ++i;
        const unsigned char sign = at(i + 1);
        if ((at(i) == 'e' || at(i) == 'E') && (isDigit(sign) || ((sign == '+' || sign == '-') && isDigit(at(i + 2)))))
            i += 2;
    }
    while (isIdChar(at(i))) // digits, or trailing letters that make the number illegal: one token, like SQLite
        ++i;
    return make(TokenType::Literal, i);
}

// $name, @name, :name, #name, with SQLite's Tcl extras: "::" inside the name and a "(...)" suffix.
Token Lexer::variable()
{
    size_t i = m_pos + 1;
    int n = 0;
    while (i < m_text.size()) {
        const unsigned char c = at(i);
        if (isIdChar(c)) {
            ++n;
            ++i;
        } else if (c == '(' && n > 0) {
            do {
                ++i;
            } while (i < m_text.size() && !isSpace(at(i)) && at(i) != ')');
            if (at(i) == ')')
                ++i;
            break;
        } else if (c == ':' && at(i + 1) == ':') {
            i += 2;
        } else {
            break;
        }
    }
    return make(TokenType::Variable, i);
}

// Recognises `[EXPLAIN [QUERY PLAN]] CREATE [TEMP|TEMPORARY] TRIGGER`, the one statement whose body contains ';'.
// Its end is a ';' that directly follows "; END", the rule of sqlite3_complete() (complete.c). Every statement of a
// trigger body ends with ';', and no CASE ... END can directly follow one, so CASE expressions (and columns named
// "end") never end the trigger early.
class TriggerTracker
{
public:
    void feed(std::string_view text, const Token &t)
    {
        if (m_head != Head::Done)
            advanceHead(text, t);
        if (t.type == TokenType::Semicolon)
            m_tail = Tail::Semicolon;
        else if (m_tail == Tail::Semicolon && isKeyword(text, t, "END"sv))
            m_tail = Tail::SemicolonEnd;
        else
            m_tail = Tail::None;
    }
    bool semicolonEnds() const { return !m_trigger || m_tail == Tail::SemicolonEnd; }

private:
    enum class Head { Start, Explain, Query, Plan, Create, Temp, Done };
    enum class Tail { None, Semicolon, SemicolonEnd };

    void advanceHead(std::string_view text, const Token &t)
    {
        const auto is = [&](std::string_view keyword) { return isKeyword(text, t, keyword); };
        switch (m_head) {
        case Head::Start:
            m_head = is("EXPLAIN"sv) ? Head::Explain : is("CREATE"sv) ? Head::Create : Head::Done;
            break;
        case Head::Explain:
            m_head = is("QUERY"sv) ? Head::Query : is("CREATE"sv) ? Head::Create : Head::Done;
            break;
        case Head::Query:
            m_head = is("PLAN"sv) ? Head::Plan : Head::Done;
            break;
        case Head::Plan:
            m_head = is("CREATE"sv) ? Head::Create : Head::Done;
            break;
        case Head::Create:
            if (is("TEMP"sv) || is("TEMPORARY"sv)) {
                m_head = Head::Temp;
                break;
            }
            [[fallthrough]];
        case Head::Temp:
            m_trigger = is("TRIGGER"sv);
            m_head = Head::Done;
            break;
        case Head::Done:
            break;
        }
    }

    Head m_head = Head::Start;
    Tail m_tail = Tail::None;
    bool m_trigger = false;
};

// One statement as the splitter found it: its tokens span [begin, end).
struct Piece
{
    int begin = -1;
    int end = 0;
    int terminator = -1; // offset of the ';' that ended it, -1 at the end of the input
};

QByteArray unquoted(std::string_view text, const Token &t)
{
    const std::string_view s = tokenText(text, t);
    if (t.type == TokenType::Word)
        return QByteArray(s.data(), qsizetype(s.size()));
    const std::string_view inner = s.substr(1, s.size() - 2);
    QByteArray out(inner.data(), qsizetype(inner.size()));
    if (s.front() != '[') {
        const char quote[] = { s.front(), s.front(), '\0' };
        out.replace(quote, quote + 1);
    }
    return out;
}

bool isReservedTable(const QByteArray &name)
{
    const QByteArray lower = name.toLower();
    return lower == "_litestream_seq"_ba || lower == "_litestream_lock"_ba || lower == "libsql_wasm_func_table"_ba;
}

enum class PragmaRule { Read, ReadWithoutValue, Write, WriteWithoutValue, Refused };

// sqld's pragma lists (query_analysis.rs, pragma_kind), plus `optimize`, which qsqld allows.
PragmaRule pragmaRule(const QByteArray &lowerName)
{
    static constexpr std::array READ { "table_list"sv, "index_list"sv, "table_info"sv, "table_xinfo"sv, "index_info"sv,
        "index_xinfo"sv, "pragma_list"sv, "compile_options"sv, "database_list"sv, "function_list"sv, "module_list"sv,
        "encoding"sv };
    static constexpr std::array WRITE { "defer_foreign_keys"sv, "foreign_keys"sv, "foreign_key_list"sv,
        "foreign_key_check"sv, "collation_list"sv, "data_version"sv, "freelist_count"sv, "integrity_check"sv,
        "legacy_file_format"sv, "page_count"sv, "quick_check"sv, "stats"sv, "user_version"sv, "optimize"sv };
    static constexpr std::array WRITE_WITHOUT_VALUE { "analysis_limit"sv, "application_id"sv, "auto_vacuum"sv,
        "automatic_index"sv, "busy_timeout"sv, "cache_size"sv, "cache_spill"sv, "cell_size_check"sv,
        "checkpoint_fullfsync"sv, "fullfsync"sv, "hard_heap_limit"sv, "journal_mode"sv, "journal_size_limit"sv,
        "legacy_alter_table"sv, "locking_mode"sv, "max_page_count"sv, "mmap_size"sv, "page_size"sv, "query_only"sv,
        "read_uncommitted"sv, "recursive_triggers"sv, "reverse_unordered_selects"sv, "secure_delete"sv,
        "soft_heap_limit"sv, "synchronous"sv, "temp_store"sv, "threads"sv, "trusted_schema"sv, "wal_autocheckpoint"sv };
    const std::string_view name(lowerName.constData(), size_t(lowerName.size()));
    const auto in = [name](const auto &list) { return std::find(list.begin(), list.end(), name) != list.end(); };
    if (in(READ))
        return PragmaRule::Read;
    if (name == "schema_version"sv)
        return PragmaRule::ReadWithoutValue;
    if (in(WRITE))
        return PragmaRule::Write;
    if (in(WRITE_WITHOUT_VALUE))
        return PragmaRule::WriteWithoutValue;
    return PragmaRule::Refused;
}

struct Verdict
{
    enum Kind { Accepted, Unsupported, SyntaxError } kind = Accepted;
    Token at; // SyntaxError: the offending token
};

// `nm [. nm]`; `ok` is false when the next token was not a name, and then `bad` is that token.
struct QualifiedName
{
    bool ok = false;
    Token bad;
    QByteArray schema;
    QByteArray name;
};

// Classifies one statement from its leading tokens. Fills `info.kind`, the flags and the ATTACH names.
class Classifier
{
public:
    Classifier(std::string_view text, const Piece &piece, StatementInfo &info)
        : m_text(text.substr(0, size_t(piece.end)))
        , m_lexer(m_text, piece.begin)
        , m_info(info)
    {
        m_next = m_lexer.next();
    }
    Verdict run() { return dispatch(take(), false); }

private:
    using Handler = Verdict (Classifier::*)();
    struct Entry
    {
        std::string_view keyword;
        Handler handler;
    };
    static const Entry *find(std::string_view text, const Token &first);

    Token take()
    {
        const Token t = m_next;
        if (t.type != TokenType::End)
            m_next = m_lexer.next();
        return t;
    }
    bool is(const Token &t, std::string_view keyword) const { return isKeyword(m_text, t, keyword); }
    bool peek(std::string_view keyword) const { return is(m_next, keyword); }
    bool accept(std::string_view keyword)
    {
        if (!peek(keyword))
            return false;
        take();
        return true;
    }
    bool atEnd() const { return m_next.type == TokenType::End; }
    static bool isName(const Token &t)
    {
        return t.type == TokenType::Word || t.type == TokenType::QuotedId || t.type == TokenType::String;
    }
    static Verdict syntax(const Token &t) { return Verdict { Verdict::SyntaxError, t }; }
    static Verdict unsupported() { return Verdict { Verdict::Unsupported, {} }; }
    Verdict classified(StatementClass kind)
    {
        m_info.kind = kind;
        return {};
    }
    Verdict endsAs(StatementClass kind) { return atEnd() ? classified(kind) : syntax(m_next); }
    Verdict nameThenEnd(StatementClass kind, std::string_view optionalKeyword);
    QualifiedName qualifiedName();
    std::optional<Token> skipParens(); // returns the End token if the parentheses are unbalanced

    Verdict dispatch(const Token &first, bool afterWith);
    Verdict read() { return classified(StatementClass::Read); }
    Verdict write() { return classified(StatementClass::Write); }
    Verdict with();
    Verdict explain();
    Verdict begin();
    Verdict commit();
    Verdict rollback();
    Verdict savepoint() { return nameThenEnd(StatementClass::Savepoint, {}); }
    Verdict release() { return nameThenEnd(StatementClass::Release, "SAVEPOINT"sv); }
    Verdict insert();
    Verdict replace();
    Verdict update();
    Verdict deleteFrom();
    Verdict modify(bool insert);
    Verdict vacuum();
    Verdict pragma();
    Verdict create();
    Verdict drop();
    Verdict alter();
    Verdict attach();
    Verdict detach();

    std::string_view m_text;
    Lexer m_lexer;
    StatementInfo &m_info;
    Token m_next;
};

const Classifier::Entry *Classifier::find(std::string_view text, const Token &first)
{
    static const Entry ENTRIES[] = { { "SELECT"sv, &Classifier::read }, { "VALUES"sv, &Classifier::read },
        { "INSERT"sv, &Classifier::insert }, { "REPLACE"sv, &Classifier::replace }, { "UPDATE"sv, &Classifier::update },
        { "DELETE"sv, &Classifier::deleteFrom }, { "WITH"sv, &Classifier::with }, { "BEGIN"sv, &Classifier::begin },
        { "COMMIT"sv, &Classifier::commit }, { "END"sv, &Classifier::commit }, { "ROLLBACK"sv, &Classifier::rollback },
        { "SAVEPOINT"sv, &Classifier::savepoint }, { "RELEASE"sv, &Classifier::release },
        { "PRAGMA"sv, &Classifier::pragma }, { "CREATE"sv, &Classifier::create }, { "DROP"sv, &Classifier::drop },
        { "ALTER"sv, &Classifier::alter }, { "ATTACH"sv, &Classifier::attach }, { "DETACH"sv, &Classifier::detach },
        { "REINDEX"sv, &Classifier::write }, { "ANALYZE"sv, &Classifier::write }, { "VACUUM"sv, &Classifier::vacuum },
        { "EXPLAIN"sv, &Classifier::explain } };
    for (const Entry &e : ENTRIES) {
        if (isKeyword(text, first, e.keyword))
            return &e;
    }
    return nullptr;
}

Verdict Classifier::dispatch(const Token &first, bool afterWith)
{
    const Entry *entry = find(m_text, first);
    if (!entry)
        return syntax(first);
    if (afterWith) {
        // After a CTE list only the DML verbs may follow.
        static constexpr std::array VERBS { "SELECT"sv, "VALUES"sv, "INSERT"sv, "REPLACE"sv, "UPDATE"sv, "DELETE"sv };
        if (std::find(VERBS.begin(), VERBS.end(), entry->keyword) == VERBS.end())
            return syntax(first);
    }
    return (this->*entry->handler)();
}

QualifiedName Classifier::qualifiedName()
{
    QualifiedName q;
    const Token first = take();
    if (!isName(first)) {
        q.bad = first;
        return q;
    }
    q.name = unquoted(m_text, first);
    if (m_next.type == TokenType::Dot) {
        take();
        const Token second = take();
        if (!isName(second)) {
            q.bad = second;
            return q;
        }
        q.schema = std::exchange(q.name, unquoted(m_text, second));
    }
    q.ok = true;
    return q;
}

std::optional<Token> Classifier::skipParens()
{
    // Iterative, so that a megabyte of '(' costs no stack.
    qsizetype depth = 0;
    do {
        const Token t = take();
        if (t.type == TokenType::End)
            return t;
        if (t.type == TokenType::LParen)
            ++depth;
        else if (t.type == TokenType::RParen)
            --depth;
    } while (depth > 0);
    return std::nullopt;
}

Verdict Classifier::nameThenEnd(StatementClass kind, std::string_view optionalKeyword)
{
    Token name = take();
    if (!optionalKeyword.empty() && is(name, optionalKeyword) && !atEnd())
        name = take();
    return isName(name) ? endsAs(kind) : syntax(name);
}

// WITH [RECURSIVE] name [(columns)] AS [NOT] [MATERIALIZED] (body) [, ...] verb ...
Verdict Classifier::with()
{
    accept("RECURSIVE"sv);
    for (;;) {
        const Token name = take();
        if (!isName(name))
            return syntax(name);
        if (m_next.type == TokenType::LParen) {
            if (const auto bad = skipParens())
                return syntax(*bad);
        }
        if (!accept("AS"sv))
            return syntax(m_next);
        accept("NOT"sv);
        accept("MATERIALIZED"sv);
        if (m_next.type != TokenType::LParen)
            return syntax(m_next);
        if (const auto bad = skipParens())
            return syntax(*bad);
        if (m_next.type != TokenType::Comma)
            break;
        take();
    }
    return dispatch(take(), true);
}

// sqld: EXPLAIN and EXPLAIN QUERY PLAN of anything read, except that plain EXPLAIN PRAGMA follows the pragma rules.
Verdict Classifier::explain()
{
    const bool queryPlan = accept("QUERY"sv);
    if (queryPlan && !accept("PLAN"sv))
        return syntax(m_next);
    const Token inner = m_next;
    const Entry *entry = find(m_text, inner);
    if (!entry || entry->keyword == "EXPLAIN"sv)
        return syntax(inner);
    if (!queryPlan && entry->keyword == "PRAGMA"sv) {
        take();
        return pragma();
    }
    return read();
}

// BEGIN [DEFERRED|IMMEDIATE|EXCLUSIVE|READONLY] [TRANSACTION [name]]. "BEGIN TRANSACTION READONLY" is what
// @libsql/client sends; stock SQLite rejects READONLY as a type, so both spellings become BEGIN DEFERRED.
Verdict Classifier::begin()
{
    bool readOnly = accept("READONLY"sv);
    const bool typed = readOnly || accept("DEFERRED"sv) || accept("IMMEDIATE"sv) || accept("EXCLUSIVE"sv);
    if (accept("TRANSACTION"sv) && !atEnd()) {
        const Token name = take();
        if (!isName(name))
            return syntax(name);
        readOnly = readOnly || (!typed && is(name, "READONLY"sv));
    }
    if (!atEnd())
        return syntax(m_next);
    if (!readOnly)
        return classified(StatementClass::TxnBegin);
    m_info.sql = "BEGIN DEFERRED"_ba;
    return classified(StatementClass::TxnBeginReadOnly);
}

// COMMIT|END [TRANSACTION [name]]
Verdict Classifier::commit()
{
    if (accept("TRANSACTION"sv) && !atEnd()) {
        const Token name = take();
        if (!isName(name))
            return syntax(name);
    }
    return endsAs(StatementClass::TxnEnd);
}

// ROLLBACK [TRANSACTION [name]] [TO [SAVEPOINT] name]
Verdict Classifier::rollback()
{
    if (accept("TRANSACTION"sv) && !atEnd() && !peek("TO"sv)) {
        const Token name = take();
        if (!isName(name))
            return syntax(name);
    }
    if (accept("TO"sv))
        return nameThenEnd(StatementClass::Release, "SAVEPOINT"sv);
    return endsAs(StatementClass::TxnEnd);
}

Verdict Classifier::insert()
{
    if (accept("OR"sv)) {
        const Token resolution = take(); // ROLLBACK, ABORT, REPLACE, FAIL, IGNORE
        if (resolution.type != TokenType::Word)
            return syntax(resolution);
    }
    if (!accept("INTO"sv))
        return syntax(m_next);
    return modify(true);
}

Verdict Classifier::replace()
{
    if (!accept("INTO"sv))
        return syntax(m_next);
    return modify(true);
}

Verdict Classifier::update()
{
    if (accept("OR"sv)) {
        const Token resolution = take(); // ROLLBACK, ABORT, REPLACE, FAIL, IGNORE
        if (resolution.type != TokenType::Word)
            return syntax(resolution);
    }
    return modify(false);
}

Verdict Classifier::deleteFrom()
{
    if (!accept("FROM"sv))
        return syntax(m_next);
    return modify(false);
}

// The table of an INSERT/UPDATE/DELETE; sqld refuses writes to its own bookkeeping tables.
Verdict Classifier::modify(bool insert)
{
    const QualifiedName table = qualifiedName();
    if (!table.ok)
        return syntax(table.bad);
    if (isReservedTable(table.name))
        return unsupported();
    m_info.isIud = true;
    m_info.isInsert = insert;
    return write();
}

// VACUUM [schema] is allowed (sqld refuses it); VACUUM ... INTO 'file' writes outside the namespace.
Verdict Classifier::vacuum()
{
    if (atEnd())
        return write();
    if (peek("INTO"sv))
        return unsupported();
    const Token schema = take();
    if (!isName(schema))
        return syntax(schema);
    if (peek("INTO"sv))
        return unsupported();
    return endsAs(StatementClass::Write);
}

// PRAGMA [schema.]name [= value | (value)]
Verdict Classifier::pragma()
{
    const QualifiedName q = qualifiedName();
    if (!q.ok)
        return syntax(q.bad);
    bool hasValue = false;
    if (m_next.type == TokenType::Equals) {
        take();
        if (atEnd())
            return syntax(m_next);
        hasValue = true;
    } else if (m_next.type == TokenType::LParen) {
        hasValue = true;
    } else if (!atEnd()) {
        return syntax(m_next);
    }
    switch (pragmaRule(q.name.toLower())) {
    case PragmaRule::Read:
        return read();
    case PragmaRule::ReadWithoutValue:
        return hasValue ? unsupported() : read();
    case PragmaRule::Write:
        return write();
    case PragmaRule::WriteWithoutValue:
        return hasValue ? unsupported() : write();
    case PragmaRule::Refused:
        break;
    }
    return unsupported();
}

// CREATE [UNIQUE] INDEX | TABLE | VIRTUAL TABLE | VIEW | TRIGGER [IF NOT EXISTS] [schema.]name ...
// Temporary objects live in one connection, so they are refused, whether by TEMP or by the schema "temp".
Verdict Classifier::create()
{
    if (accept("TEMP"sv) || accept("TEMPORARY"sv)) {
        if (peek("TABLE"sv) || peek("VIEW"sv) || peek("TRIGGER"sv))
            return unsupported();
        return syntax(m_next);
    }
    if (accept("UNIQUE"sv)) {
        if (!accept("INDEX"sv))
            return syntax(m_next);
    } else if (accept("VIRTUAL"sv)) {
        if (!accept("TABLE"sv))
            return syntax(m_next);
    } else if (!accept("TABLE"sv) && !accept("INDEX"sv) && !accept("VIEW"sv) && !accept("TRIGGER"sv)) {
        return syntax(m_next);
    }
    if (accept("IF"sv) && !(accept("NOT"sv) && accept("EXISTS"sv)))
        return syntax(m_next);
    const QualifiedName q = qualifiedName();
    if (!q.ok)
        return syntax(q.bad);
    if (q.schema.compare("temp"_ba, Qt::CaseInsensitive) == 0)
        return unsupported();
    return classified(StatementClass::Ddl);
}

// DROP TABLE | INDEX | TRIGGER | VIEW [IF EXISTS] [schema.]name
Verdict Classifier::drop()
{
    const bool table = accept("TABLE"sv);
    if (!table && !accept("INDEX"sv) && !accept("TRIGGER"sv) && !accept("VIEW"sv))
        return syntax(m_next);
    if (accept("IF"sv) && !accept("EXISTS"sv))
        return syntax(m_next);
    const QualifiedName q = qualifiedName();
    if (!q.ok)
        return syntax(q.bad);
    if (table && isReservedTable(q.name))
        return unsupported();
    return classified(StatementClass::Ddl);
}

// ALTER TABLE [schema.]name ...
Verdict Classifier::alter()
{
    if (!accept("TABLE"sv))
        return syntax(m_next);
    const QualifiedName q = qualifiedName();
    if (!q.ok)
        return syntax(q.bad);
    return isReservedTable(q.name) ? unsupported() : classified(StatementClass::Ddl);
}

// ATTACH [DATABASE] namespace AS alias. The target names a namespace, never a file: sqld rewrites it to a
// read-only URI (spec 4.7), so a string literal or any other expression is refused, as is a KEY clause.
Verdict Classifier::attach()
{
    Token target = take();
    if (is(target, "DATABASE"sv) && !peek("AS"sv))
        target = take();
    if (target.type == TokenType::End)
        return syntax(target);
    if (target.type != TokenType::Word && target.type != TokenType::QuotedId)
        return unsupported();
    if (!accept("AS"sv))
        return atEnd() ? syntax(m_next) : unsupported();
    const Token alias = take();
    if (alias.type == TokenType::End)
        return syntax(alias);
    if ((alias.type != TokenType::Word && alias.type != TokenType::QuotedId) || !atEnd())
        return unsupported();
    m_info.attachTarget = unquoted(m_text, target);
    m_info.attachAlias = unquoted(m_text, alias);
    if (m_info.attachTarget.isEmpty() || m_info.attachAlias.isEmpty())
        return unsupported();
    return classified(StatementClass::Attach);
}

// DETACH [DATABASE] alias
Verdict Classifier::detach()
{
    Token alias = take();
    if (is(alias, "DATABASE"sv) && !atEnd())
        alias = take();
    if (!isName(alias))
        return syntax(alias);
    m_info.attachAlias = unquoted(m_text, alias);
    return endsAs(StatementClass::Detach);
}

AnalysisError syntaxError(std::string_view text, int offset, std::string_view token, int statementIndex)
{
    const std::string_view before = text.substr(0, size_t(offset));
    const auto line = std::count(before.begin(), before.end(), '\n') + 1;
    const size_t lastNewline = before.rfind('\n');
    const size_t column = lastNewline == std::string_view::npos ? before.size() + 1 : before.size() - lastNewline;
    QString message = u"syntax error around L"_s + QString::number(line) + u':' + QString::number(column) + u": `"_s
        + QString::fromUtf8(token.data(), qsizetype(token.size())) + u'`';
    return AnalysisError { std::move(message), offset, statementIndex };
}

// Classifies one piece; on success appends it to `out`.
std::optional<AnalysisError> classifyPiece(const QByteArray &sql, const Piece &piece, QList<StatementInfo> &out)
{
    const std::string_view text(sql.constData(), size_t(sql.size()));
    const int index = int(out.size());
    StatementInfo info;
    info.offset = piece.begin;
    info.sql = sql.mid(piece.begin, piece.end - piece.begin);
    const Verdict verdict = Classifier(text, piece, info).run();
    switch (verdict.kind) {
    case Verdict::Accepted:
        out.append(std::move(info));
        return std::nullopt;
    case Verdict::Unsupported:
        return AnalysisError { u"unsupported statement: "_s + QString::fromUtf8(sql), piece.begin, index };
    case Verdict::SyntaxError:
        break;
    }
    if (verdict.at.type != TokenType::End)
        return syntaxError(text, verdict.at.begin, tokenText(text, verdict.at), index);
    // Premature end of the statement: point at its ';', or at the end of the input.
    if (piece.terminator >= 0)
        return syntaxError(text, piece.terminator, ";"sv, index);
    return syntaxError(text, int(text.size()), {}, index);
}

} // namespace

std::variant<QList<StatementInfo>, AnalysisError> analyze(const QByteArray &sql)
{
    if (sql.size() > std::numeric_limits<int>::max() - 1)
        return AnalysisError { u"SQL text is too large"_s };
    const std::string_view text(sql.constData(), size_t(sql.size()));
    // SQLite stops reading at a NUL byte, so text after one would be silently ignored: refuse it outright.
    if (const size_t nul = text.find('\0'); nul != std::string_view::npos)
        return syntaxError(text, int(nul), "\\0"sv, -1);

    QList<StatementInfo> out;
    Lexer lexer(text, 0);
    Piece piece;
    TriggerTracker trigger;
    for (;;) {
        const Token t = lexer.next();
        if (t.type == TokenType::Error)
            return syntaxError(text, t.begin, tokenText(text, t), int(out.size()));
        const bool ends = t.type == TokenType::End || (t.type == TokenType::Semicolon && trigger.semicolonEnds());
        if (!ends) {
            if (piece.begin < 0)
                piece.begin = t.begin;
            piece.end = t.end;
            trigger.feed(text, t);
            continue;
        }
        if (piece.begin >= 0) {
            piece.terminator = t.type == TokenType::Semicolon ? t.begin : -1;
            if (auto error = classifyPiece(sql, piece, out))
                return std::move(*error);
        }
        if (t.type == TokenType::End)
            break;
        piece = Piece {};
        trigger = TriggerTracker {};
    }
    return out;
}

bool isReadOnly(StatementClass k)
{
    switch (k) {
    case StatementClass::Read:
    case StatementClass::TxnBegin:
    case StatementClass::TxnBeginReadOnly:
    case StatementClass::TxnEnd:
    case StatementClass::Savepoint:
    case StatementClass::Release:
        return true;
    case StatementClass::Write:
    case StatementClass::Ddl:
    case StatementClass::Attach:
    case StatementClass::Detach:
        break;
    }
    return false;
}

const char *statementClassName(StatementClass k)
{
    switch (k) {
    case StatementClass::TxnBegin:
        return "TxnBegin";
    case StatementClass::TxnBeginReadOnly:
        return "TxnBeginReadOnly";
    case StatementClass::TxnEnd:
        return "TxnEnd";
    case StatementClass::Savepoint:
        return "Savepoint";
    case StatementClass::Release:
        return "Release";
    case StatementClass::Read:
        return "Read";
    case StatementClass::Write:
        return "Write";
    case StatementClass::Ddl:
        return "Ddl";
    case StatementClass::Attach:
        return "Attach";
    case StatementClass::Detach:
        return "Detach";
    }
    return "?";
}

} // namespace qsqld::sql
