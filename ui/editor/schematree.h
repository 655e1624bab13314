#pragma once

// A tenant's schema as a tree: tables (with their columns, indexes and triggers) and views, read through the
// Hrana pipeline from sqlite_schema and pragma_table_info. Double-clicking a name inserts it into the editor.
// Thread rule: GUI thread only.

#include <QTreeWidget>

namespace qsqld::ui {

class ApiClient;

class SchemaTree : public QTreeWidget
{
    Q_OBJECT
public:
    explicit SchemaTree(QString tenant, QWidget *parent = nullptr);

    void setClient(ApiClient *client);
    void reload();

signals:
    void loaded();
    void nameActivated(const QString &name);

private:
    void fill(const QJsonArray &rows);

    QString m_tenant;
    ApiClient *m_client = nullptr;
    quint64 m_epoch = 0; // answers for an older client or reload are dropped
};

} // namespace qsqld::ui
