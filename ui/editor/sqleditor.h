#pragma once

// SqlEditor: the console's SQL text editor. Highlighting (SqlHighlighter), a line-number gutter, completion of
// keywords, table and column names (after "table." only that table's columns), and the run shortcuts:
// Ctrl+Enter runs the selection or the statement under the cursor, Ctrl+Shift+Enter the whole script.
// The editor runs nothing itself: it emits runRequested and the console page decides.
// Thread rule: GUI thread only.

#include <QMap>
#include <QPlainTextEdit>
#include <QStringList>

class QCompleter;
class QStringListModel;

namespace qsqld::ui {

class SqlHighlighter;

class SqlEditor : public QPlainTextEdit
{
    Q_OBJECT
public:
    // Some SQL and where it starts in the document (so errors can point back into the text).
    struct Snippet
    {
        QString sql;
        int offset = 0;
    };

    explicit SqlEditor(QWidget *parent = nullptr);

    // Table (or view) name → its column names; feeds the completer.
    void setSchema(const QMap<QString, QStringList> &schema);
    const QMap<QString, QStringList> &schema() const { return m_schema; }
    QCompleter *completer() const { return m_completer; }
    QStringList completionWords() const; // keywords, tables and columns, as offered

    // The selection if there is one, else the statement under the cursor (empty sql when there is none).
    Snippet currentStatement() const;
    Snippet wholeScript() const;
    // Selects [start, end) of the document and shows it (used to point at a failed statement).
    void selectRange(int start, int end);

    bool lineNumbersVisible() const { return m_lineNumbers; }
    void setLineNumbersVisible(bool on);
    int lineNumberAreaWidth() const;

public slots:
    void runCurrent(); // emits runRequested(currentStatement())
    void runScript(); // emits runRequested(wholeScript())

signals:
    void runRequested(const QString &sql, int offsetInDocument);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    friend class LineNumberArea;
    void paintLineNumbers(QPaintEvent *event);
    void updateGutter(const QRect &rect, int dy);
    void updateGutterWidth();
    void insertCompletion(const QString &word);
    bool completerKey(QKeyEvent *event);
    void showCompletions(bool forced);
    QString wordBeforeCursor(QString *qualifier) const;

    SqlHighlighter *m_highlighter = nullptr;
    QWidget *m_gutter = nullptr;
    bool m_lineNumbers = true;
    QCompleter *m_completer = nullptr;
    QStringListModel *m_words = nullptr; // keywords + tables + columns
    QStringListModel *m_columns = nullptr; // columns of the table before a '.'
    QMap<QString, QStringList> m_schema;
};

} // namespace qsqld::ui
