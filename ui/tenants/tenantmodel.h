#pragma once

// The tenant table: name, size, rows read and written, statements, last activity. A plain value list behind a
// table model; sorting and filtering happen in a QSortFilterProxyModel on top (sizes sort as numbers).
// Thread rule: GUI thread only.

#include "core/apiclient.h"

#include <QAbstractTableModel>

namespace qsqld::ui {

class TenantModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, Size, RowsRead, RowsWritten, Queries, LastActivity, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1; // raw numbers and dates for sorting

    using QAbstractTableModel::QAbstractTableModel;

    // Replaces the rows, keeping views' selections where names stay (a full reset only when names changed).
    void setTenants(QList<TenantInfo> tenants);
    const QList<TenantInfo> &tenants() const { return m_tenants; }
    QString nameAt(int row) const { return m_tenants.value(row).name; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    static QString formatBytes(qint64 bytes); // "12.3 MiB"; "—" when unknown

private:
    QList<TenantInfo> m_tenants;
};

} // namespace qsqld::ui
