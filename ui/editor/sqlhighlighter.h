#pragma once

// SqlHighlighter: colours SQL in a QTextDocument by running SqlLexer over each block. The lexer's line state
// (inside a block comment, a string or a quoted identifier) is kept as the block state, so QSyntaxHighlighter
// re-runs the next block only while that state changes (KSH src/lib/syntaxhighlighter.cpp does the same).
// KSyntaxHighlighting would also do: it is used only if find_package(KF6SyntaxHighlighting) finds a Qt 6 build,
// which Debian 12 does not ship, so this small adapter is what runs and the dependency is not added.
// Thread rule: GUI thread only (it belongs to its document).

#include "editor/sqllexer.h"

#include <QSyntaxHighlighter>
#include <QTextCharFormat>

#include <array>

namespace qsqld::ui {

class SqlHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    explicit SqlHighlighter(QTextDocument *document);

    // Rebuilds the formats for `palette` (dark or light) and re-highlights; the editor calls it on a palette change.
    void setPalette(const QPalette &palette);
    QTextCharFormat formatFor(SqlLexer::Kind kind) const;

protected:
    void highlightBlock(const QString &text) override;

private:
    std::array<QTextCharFormat, 10> m_formats; // indexed by SqlLexer::Kind
};

} // namespace qsqld::ui
