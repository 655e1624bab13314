#include "sqlhighlighter.h"

#include <QGuiApplication>
#include <QPalette>

namespace qsqld::ui {

namespace {

// A hue that keeps contrast on the palette's base: light shades on dark backgrounds, dark shades on light ones.
QColor shade(int hue, bool darkBase)
{
    return QColor::fromHsl(hue, 170, darkBase ? 175 : 85);
}

} // namespace

SqlHighlighter::SqlHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{
    setPalette(QGuiApplication::palette());
}

void SqlHighlighter::setPalette(const QPalette &palette)
{
    using K = SqlLexer::Kind;
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    auto set = [this](K kind, const QColor &color, bool bold = false, bool italic = false) {
        QTextCharFormat f;
        f.setForeground(color);
        if (bold)
            f.setFontWeight(QFont::Bold);
        f.setFontItalic(italic);
        m_formats[size_t(kind)] = f;
    };
    set(K::Keyword, palette.color(QPalette::Link), true);
    set(K::Identifier, palette.color(QPalette::Text));
    set(K::QuotedIdentifier, shade(190, dark));
    set(K::String, shade(110, dark));
    set(K::Blob, shade(300, dark));
    set(K::Number, shade(30, dark));
    set(K::Comment, palette.color(QPalette::PlaceholderText), false, true);
    set(K::Parameter, shade(270, dark), true);
    set(K::Operator, palette.color(QPalette::Text));
    set(K::Punctuation, palette.color(QPalette::Text));
    rehighlight();
}

QTextCharFormat SqlHighlighter::formatFor(SqlLexer::Kind kind) const
{
    return m_formats[size_t(kind)];
}

void SqlHighlighter::highlightBlock(const QString &text)
{
    const int previous = previousBlockState();
    const auto in = previous < 0 ? SqlLexer::State::Normal : static_cast<SqlLexer::State>(previous);
    QList<SqlLexer::Token> tokens;
    const SqlLexer::State out = SqlLexer::lexLine(text, in, &tokens);
    for (const SqlLexer::Token &t : std::as_const(tokens))
        setFormat(t.start, t.length, m_formats[size_t(t.kind)]);
    setCurrentBlockState(int(out));
}

} // namespace qsqld::ui
