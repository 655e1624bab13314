#include "resultmodel.h"

#include <cmath>

#include <QFont>
#include <QGuiApplication>
#include <QIODevice>
#include <QPalette>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

constexpr int BLOB_DISPLAY_BYTES = 32; // hex shown in the cell; the tooltip has all of it
constexpr int TEXT_DISPLAY_CHARS = 1000; // longer text is cut in the cell

QByteArray blobBytes(const QJsonObject &v)
{
    return QByteArray::fromBase64(v.value("base64"_L1).toString().toLatin1());
}

QString hexLiteral(const QByteArray &bytes)
{
    return u"x'"_s + QString::fromLatin1(bytes.toHex()) + u'\'';
}

QString floatText(const QJsonValue &value)
{
    if (!value.isDouble())
        return u"NaN"_s; // sqld writes non-finite floats as null
    const double d = value.toDouble();
    QString s = QString::number(d, 'g', QLocale::FloatingPointShortest);
    if (std::isfinite(d) && !s.contains(u'.') && !s.contains(u'e'))
        s += u".0"_s;
    return s;
}

// The whole value as text; a null QString for NULL.
QString fullText(const QJsonObject &v)
{
    const QString type = v.value("type"_L1).toString();
    if (type == "integer"_L1 || type == "text"_L1)
        return v.value("value"_L1).toString();
    if (type == "float"_L1)
        return floatText(v.value("value"_L1));
    if (type == "blob"_L1)
        return hexLiteral(blobBytes(v));
    return {};
}

QByteArray jsonString(const QString &s)
{
    QByteArray out = "\"";
    for (QChar c : s) {
        if (c == u'"' || c == u'\\') {
            out += '\\';
            out += char(c.unicode());
        } else if (c.unicode() < 0x20) {
            out += "\\u00" + QByteArray::number(c.unicode(), 16).rightJustified(2, '0');
        } else {
            out += QString(c).toUtf8();
        }
    }
    return out + '"';
}

QByteArray csvField(const QJsonObject &v)
{
    const QString type = v.value("type"_L1).toString();
    if (type == "null"_L1 || type.isEmpty())
        return {};
    QString s = fullText(v);
    if (type == "text"_L1
        && (s.isEmpty() || s.contains(u',') || s.contains(u'"') || s.contains(u'\n') || s.contains(u'\r')))
        return '"' + s.replace(u"\""_s, u"\"\""_s).toUtf8() + '"';
    return s.toUtf8();
}

QByteArray jsonField(const QJsonObject &v)
{
    const QString type = v.value("type"_L1).toString();
    if (type == "integer"_L1)
        return v.value("value"_L1).toString().toLatin1();
    if (type == "float"_L1)
        return v.value("value"_L1).isDouble() ? floatText(v.value("value"_L1)).toLatin1() : "null";
    if (type == "text"_L1)
        return jsonString(v.value("value"_L1).toString());
    if (type == "blob"_L1)
        return "{\"base64\":" + jsonString(v.value("base64"_L1).toString()) + '}';
    return "null";
}

} // namespace

ResultModel::ResultModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ResultModel::setResult(const QJsonObject &stmtResult)
{
    beginResetModel();
    m_cols = stmtResult.value("cols"_L1).toArray();
    m_rows = stmtResult.value("rows"_L1).toArray();
    m_affected = stmtResult.value("affected_row_count"_L1).toInteger();
    const QJsonValue rowid = stmtResult.value("last_insert_rowid"_L1);
    m_lastRowid = rowid.isString() ? rowid.toString()
        : rowid.isDouble()         ? QString::number(rowid.toInteger())
                                   : QString();
    m_durationMs = stmtResult.value("query_duration_ms"_L1).toDouble(-1);
    endResetModel();
}

int ResultModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ResultModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_cols.size());
}

QString ResultModel::columnName(int column) const
{
    return m_cols.at(column).toObject().value("name"_L1).toString();
}

QString ResultModel::columnDecltype(int column) const
{
    return m_cols.at(column).toObject().value("decltype"_L1).toString();
}

QJsonObject ResultModel::valueAt(int row, int column) const
{
    return m_rows.at(row).toArray().at(column).toObject();
}

QString ResultModel::displayText(const QJsonObject &v)
{
    const QString type = v.value("type"_L1).toString();
    if (type == "blob"_L1) {
        const QByteArray bytes = blobBytes(v);
        if (bytes.size() <= BLOB_DISPLAY_BYTES)
            return hexLiteral(bytes);
        return u"x'%1…' (%2 bytes)"_s.arg(QString::fromLatin1(bytes.left(BLOB_DISPLAY_BYTES).toHex()))
            .arg(bytes.size());
    }
    if (type == "text"_L1) {
        const QString s = v.value("value"_L1).toString();
        return s.size() > TEXT_DISPLAY_CHARS ? s.left(TEXT_DISPLAY_CHARS) + u'…' : s;
    }
    if (type == "null"_L1 || type.isEmpty())
        return u"NULL"_s;
    return fullText(v);
}

QVariant ResultModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size() || index.column() >= m_cols.size())
        return {};
    const QJsonObject v = valueAt(index.row(), index.column());
    const QString type = v.value("type"_L1).toString();
    const bool isNull = type == "null"_L1 || type.isEmpty();
    switch (role) {
    case Qt::DisplayRole:
        return displayText(v);
    case Qt::ToolTipRole:
        return isNull ? u"NULL (no value)"_s : type == "blob"_L1 || type == "text"_L1 ? fullText(v) : QVariant();
    case Qt::FontRole:
        if (isNull) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        return {};
    case Qt::ForegroundRole:
        return isNull ? QVariant(QGuiApplication::palette().color(QPalette::PlaceholderText)) : QVariant();
    case Qt::TextAlignmentRole:
        return type == "integer"_L1 || type == "float"_L1 ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case ValueRole:
        return isNull ? QVariant() : QVariant(fullText(v));
    case TypeRole:
        return isNull ? u"null"_s : type;
    case RawRole:
        if (type == "integer"_L1)
            return v.value("value"_L1).toString().toLongLong();
        if (type == "float"_L1)
            return v.value("value"_L1).toDouble(std::nan(""));
        if (type == "text"_L1)
            return v.value("value"_L1).toString();
        return type == "blob"_L1 ? QVariant(blobBytes(v)) : QVariant();
    default:
        return {};
    }
}

QVariant ResultModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical)
        return role == Qt::DisplayRole ? QVariant(section + 1) : QVariant();
    if (section < 0 || section >= m_cols.size())
        return {};
    if (role == Qt::DisplayRole)
        return columnName(section);
    if (role == Qt::ToolTipRole) {
        const QString decl = columnDecltype(section);
        return decl.isEmpty() ? u"%1: no declared type (an expression)"_s.arg(columnName(section))
                              : u"%1: declared type %2"_s.arg(columnName(section), decl);
    }
    return {};
}

bool ResultModel::exportCsv(QIODevice *out) const
{
    QByteArray line;
    for (int c = 0; c < m_cols.size(); ++c) {
        QString name = columnName(c);
        line += (c ? "," : "") + ('"' + name.replace(u"\""_s, u"\"\""_s).toUtf8() + '"');
    }
    if (out->write(line + "\r\n") < 0)
        return false;
    for (const QJsonValue &row : m_rows) {
        const QJsonArray cells = row.toArray();
        line.clear();
        for (int c = 0; c < m_cols.size(); ++c)
            line += (c ? "," : "") + csvField(cells.at(c).toObject());
        if (out->write(line + "\r\n") < 0)
            return false;
    }
    return true;
}

bool ResultModel::exportJson(QIODevice *out) const
{
    // Keys in column order; a repeated column name gets a suffix (a, a_2) so no key is lost.
    QList<QByteArray> keys;
    for (int c = 0; c < m_cols.size(); ++c) {
        QString name = columnName(c);
        for (int n = 2; keys.contains(jsonString(name)); ++n)
            name = columnName(c) + u"_%1"_s.arg(n);
        keys.append(jsonString(name));
    }
    if (out->write("[") < 0)
        return false;
    bool first = true;
    for (const QJsonValue &row : m_rows) {
        const QJsonArray cells = row.toArray();
        QByteArray line = first ? "\n{" : ",\n{";
        first = false;
        for (int c = 0; c < keys.size(); ++c)
            line += (c ? "," : "") + keys[c] + ':' + jsonField(cells.at(c).toObject());
        if (out->write(line + '}') < 0)
            return false;
    }
    return out->write("\n]\n") >= 0;
}

} // namespace qsqld::ui
