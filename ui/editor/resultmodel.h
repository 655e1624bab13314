#pragma once

// ResultModel: one Hrana StmtResult ({"cols","rows","affected_row_count","last_insert_rowid",...}) as a table.
// The JSON rows are kept as they arrived (QJsonArray shares the parsed document) and formatted on demand in data(),
// so 100k rows cost no more than the answer already did. Values are shown faithfully: integers keep their decimal
// string (all 64 bits), floats are the shortest text that round-trips (with ".0" when integral, so 1.0 ≠ 1), blobs
// are x'..' hex (truncated on screen, whole in the tooltip and ValueRole), and SQL NULL is an italic "NULL" whose
// TypeRole and ValueRole differ from the text 'NULL'.
// Thread rule: GUI thread only (a Qt model).

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>

class QIODevice;

namespace qsqld::ui {

class ResultModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role {
        ValueRole = Qt::UserRole, // the whole value as text (blob: full x'..'); a null QVariant for NULL
        TypeRole, // "integer", "float", "text", "blob" or "null"
        RawRole, // decoded: qint64, double, QString, QByteArray, or a null QVariant
    };

    explicit ResultModel(QObject *parent = nullptr);

    // Shows `stmtResult` (a Hrana StmtResult object); an empty object clears the model.
    void setResult(const QJsonObject &stmtResult);
    void clear() { setResult({}); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    QString columnName(int column) const;
    QString columnDecltype(int column) const; // empty for expressions
    qint64 affectedRowCount() const { return m_affected; }
    QString lastInsertRowid() const { return m_lastRowid; } // decimal string, empty when null
    double durationMs() const { return m_durationMs; } // server-side, -1 if unknown

    // Writes every row. CSV (RFC 4180): a header line; NULL is an empty field, the empty text is "", blobs x'..'.
    // JSON: an array of objects in column order; integers exact, blobs as {"base64": "..."}, NULL as null.
    bool exportCsv(QIODevice *out) const;
    bool exportJson(QIODevice *out) const;

    // The on-screen text of one Hrana value (exposed for the plan view and tests).
    static QString displayText(const QJsonObject &value);

private:
    QJsonObject valueAt(int row, int column) const;

    QJsonArray m_cols;
    QJsonArray m_rows;
    qint64 m_affected = 0;
    QString m_lastRowid;
    double m_durationMs = -1;
};

} // namespace qsqld::ui
