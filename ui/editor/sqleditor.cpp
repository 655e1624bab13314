#include "sqleditor.h"

#include "editor/sqlhighlighter.h"
#include "editor/sqllexer.h"

#include <QAbstractItemView>
#include <QCompleter>
#include <QFontDatabase>
#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>
#include <QStringListModel>
#include <QTextBlock>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

constexpr int MIN_PREFIX = 2; // letters typed before the completer pops up by itself

QString plain(QString text)
{
    // QTextCursor::selectedText() separates paragraphs with U+2029.
    return text.replace(QChar::ParagraphSeparator, u'\n');
}

bool isWordChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_' || c == u'$';
}

} // namespace

// The gutter left of the text; it only forwards painting to the editor.
class LineNumberArea : public QWidget
{
public:
    explicit LineNumberArea(SqlEditor *editor)
        : QWidget(editor)
        , m_editor(editor)
    {
    }
    QSize sizeHint() const override { return { m_editor->lineNumberAreaWidth(), 0 }; }

protected:
    void paintEvent(QPaintEvent *event) override { m_editor->paintLineNumbers(event); }

private:
    SqlEditor *m_editor;
};

SqlEditor::SqlEditor(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setTabChangesFocus(false);
    m_highlighter = new SqlHighlighter(document());
    m_highlighter->setPalette(palette());

    m_gutter = new LineNumberArea(this);
    connect(this, &QPlainTextEdit::blockCountChanged, this, &SqlEditor::updateGutterWidth);
    connect(this, &QPlainTextEdit::updateRequest, this, &SqlEditor::updateGutter);
    updateGutterWidth();

    m_words = new QStringListModel(this);
    m_columns = new QStringListModel(this);
    m_completer = new QCompleter(m_words, this);
    m_completer->setWidget(this);
    m_completer->setCompletionMode(QCompleter::PopupCompletion);
    m_completer->setCaseSensitivity(Qt::CaseInsensitive);
    m_completer->setModelSorting(QCompleter::CaseInsensitivelySortedModel);
    connect(m_completer, qOverload<const QString &>(&QCompleter::activated), this, &SqlEditor::insertCompletion);
    setSchema({});
}

void SqlEditor::setSchema(const QMap<QString, QStringList> &schema)
{
    m_schema = schema;
    m_words->setStringList(completionWords());
}

QStringList SqlEditor::completionWords() const
{
    QStringList words = SqlLexer::keywords();
    for (auto it = m_schema.cbegin(); it != m_schema.cend(); ++it) {
        words.append(it.key());
        words.append(it.value());
    }
    words.removeDuplicates();
    std::sort(words.begin(), words.end(),
        [](const QString &a, const QString &b) { return a.compare(b, Qt::CaseInsensitive) < 0; });
    return words;
}

SqlEditor::Snippet SqlEditor::currentStatement() const
{
    const QTextCursor cursor = textCursor();
    if (cursor.hasSelection())
        return { plain(cursor.selectedText()), cursor.selectionStart() };
    const QString text = toPlainText();
    const SqlLexer::Range r = SqlLexer::statementAt(text, cursor.position());
    if (!r.isValid())
        return {};
    return { text.mid(r.start, r.length()), r.start };
}

SqlEditor::Snippet SqlEditor::wholeScript() const
{
    return { toPlainText(), 0 };
}

void SqlEditor::selectRange(int start, int end)
{
    QTextCursor cursor(document());
    cursor.setPosition(start);
    cursor.setPosition(end, QTextCursor::KeepAnchor);
    setTextCursor(cursor);
    ensureCursorVisible();
}

void SqlEditor::runCurrent()
{
    const Snippet s = currentStatement();
    if (!s.sql.trimmed().isEmpty())
        emit runRequested(s.sql, s.offset);
}

void SqlEditor::runScript()
{
    const Snippet s = wholeScript();
    if (!s.sql.trimmed().isEmpty())
        emit runRequested(s.sql, s.offset);
}

void SqlEditor::keyPressEvent(QKeyEvent *event)
{
    if (m_completer->popup()->isVisible() && completerKey(event))
        return;
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    const auto mods = event->modifiers() & ~Qt::KeypadModifier;
    if (enter && mods == (Qt::ControlModifier | Qt::ShiftModifier))
        return runScript();
    if (enter && mods == Qt::ControlModifier)
        return runCurrent();
    if (event->key() == Qt::Key_Space && mods == Qt::ControlModifier)
        return showCompletions(true);
    QPlainTextEdit::keyPressEvent(event);
    const QString typed = event->text();
    if (!typed.isEmpty() && (isWordChar(typed.back()) || typed.back() == u'.'))
        showCompletions(false);
    else
        m_completer->popup()->hide();
}

// Keys the popup handles itself (QCompleter's event filter); true if the editor must ignore the key.
bool SqlEditor::completerKey(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Enter:
    case Qt::Key_Return:
    case Qt::Key_Escape:
    case Qt::Key_Tab:
    case Qt::Key_Backtab:
        if (!(event->modifiers() & Qt::ControlModifier)) {
            event->ignore();
            return true;
        }
        m_completer->popup()->hide();
        return false;
    default:
        return false;
    }
}

QString SqlEditor::wordBeforeCursor(QString *qualifier) const
{
    const QTextCursor cursor = textCursor();
    const QString line = cursor.block().text();
    int end = cursor.positionInBlock();
    int start = end;
    while (start > 0 && isWordChar(line[start - 1]))
        --start;
    qualifier->clear();
    if (start > 0 && line[start - 1] == u'.') {
        int q = start - 1;
        while (q > 0 && isWordChar(line[q - 1]))
            --q;
        *qualifier = line.mid(q, start - 1 - q);
    }
    return line.mid(start, end - start);
}

void SqlEditor::showCompletions(bool forced)
{
    QString qualifier;
    const QString prefix = wordBeforeCursor(&qualifier);
    QStringListModel *model = m_words;
    if (!qualifier.isEmpty()) {
        for (auto it = m_schema.cbegin(); it != m_schema.cend(); ++it) {
            if (it.key().compare(qualifier, Qt::CaseInsensitive) == 0) {
                m_columns->setStringList(it.value());
                model = m_columns;
            }
        }
    }
    if (!forced && model == m_words && prefix.size() < MIN_PREFIX) {
        m_completer->popup()->hide();
        return;
    }
    if (m_completer->model() != model) {
        m_completer->setModel(model);
        m_completer->setModelSorting(
            model == m_words ? QCompleter::CaseInsensitivelySortedModel : QCompleter::UnsortedModel);
    }
    m_completer->setCompletionPrefix(prefix);
    if (m_completer->completionCount() == 0
        || (m_completer->completionCount() == 1 && m_completer->currentCompletion() == prefix)) {
        m_completer->popup()->hide();
        return;
    }
    m_completer->popup()->setCurrentIndex(m_completer->completionModel()->index(0, 0));
    QRect rect = cursorRect();
    rect.setWidth(
        m_completer->popup()->sizeHintForColumn(0) + m_completer->popup()->verticalScrollBar()->sizeHint().width());
    m_completer->complete(rect);
}

void SqlEditor::insertCompletion(const QString &word)
{
    QTextCursor cursor = textCursor();
    const int typed = int(m_completer->completionPrefix().size());
    cursor.movePosition(QTextCursor::Left, QTextCursor::KeepAnchor, typed);
    cursor.insertText(word);
    setTextCursor(cursor);
}

// ---- line numbers --------------------------------------------------------------------------------------------

void SqlEditor::setLineNumbersVisible(bool on)
{
    m_lineNumbers = on;
    m_gutter->setVisible(on);
    updateGutterWidth();
}

int SqlEditor::lineNumberAreaWidth() const
{
    if (!m_lineNumbers)
        return 0;
    const int digits = int(QString::number(std::max(1, blockCount())).size());
    return 8 + fontMetrics().horizontalAdvance(u'9') * std::max(2, digits);
}

void SqlEditor::updateGutterWidth()
{
    setViewportMargins(lineNumberAreaWidth(), 0, 0, 0);
}

void SqlEditor::updateGutter(const QRect &rect, int dy)
{
    if (dy)
        m_gutter->scroll(0, dy);
    else
        m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
    if (rect.contains(viewport()->rect()))
        updateGutterWidth();
}

void SqlEditor::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    const QRect cr = contentsRect();
    m_gutter->setGeometry(QRect(cr.left(), cr.top(), lineNumberAreaWidth(), cr.height()));
}

void SqlEditor::changeEvent(QEvent *event)
{
    QPlainTextEdit::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_highlighter)
        m_highlighter->setPalette(palette());
}

void SqlEditor::paintLineNumbers(QPaintEvent *event)
{
    QPainter painter(m_gutter);
    painter.fillRect(event->rect(), palette().color(QPalette::AlternateBase));
    painter.setPen(palette().color(QPalette::PlaceholderText));
    QTextBlock block = firstVisibleBlock();
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    while (block.isValid() && top <= event->rect().bottom()) {
        const int bottom = top + qRound(blockBoundingRect(block).height());
        if (block.isVisible() && bottom >= event->rect().top())
            painter.drawText(0, top, m_gutter->width() - 4, fontMetrics().height(), Qt::AlignRight,
                QString::number(block.blockNumber() + 1));
        block = block.next();
        top = bottom;
    }
}

} // namespace qsqld::ui
