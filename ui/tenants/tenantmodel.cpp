#include "tenantmodel.h"

#include <QLocale>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

QString TenantModel::formatBytes(qint64 bytes)
{
    if (bytes < 0)
        return u"—"_s;
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat);
}

void TenantModel::setTenants(QList<TenantInfo> tenants)
{
    bool sameNames = tenants.size() == m_tenants.size();
    for (qsizetype i = 0; sameNames && i < tenants.size(); ++i)
        sameNames = tenants[i].name == m_tenants[i].name;
    if (!sameNames) {
        beginResetModel();
        m_tenants = std::move(tenants);
        endResetModel();
        return;
    }
    m_tenants = std::move(tenants);
    if (!m_tenants.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

int TenantModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_tenants.size());
}

int TenantModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TenantModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_tenants.size())
        return {};
    const TenantInfo &t = m_tenants[index.row()];
    if (role == SortRole) {
        switch (index.column()) {
        case Name: return t.name;
        case Size: return t.sizeBytes;
        case RowsRead: return t.rowsRead;
        case RowsWritten: return t.rowsWritten;
        case Queries: return t.queryCount;
        case LastActivity: return t.lastActivity;
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() != Name && index.column() != LastActivity)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const QLocale locale;
    switch (index.column()) {
    case Name: return t.name;
    case Size: return role == Qt::ToolTipRole ? locale.toString(t.sizeBytes) + u" bytes"_s : formatBytes(t.sizeBytes);
    case RowsRead: return locale.toString(t.rowsRead);
    case RowsWritten: return locale.toString(t.rowsWritten);
    case Queries: return locale.toString(t.queryCount);
    case LastActivity:
        return t.lastActivity.isValid() ? locale.toString(t.lastActivity.toLocalTime(), QLocale::ShortFormat)
                                        : u"never"_s;
    }
    return {};
}

QVariant TenantModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name: return tr("Tenant");
    case Size: return tr("Size");
    case RowsRead: return tr("Rows read");
    case RowsWritten: return tr("Rows written");
    case Queries: return tr("Statements");
    case LastActivity: return tr("Last activity");
    }
    return {};
}

} // namespace qsqld::ui
