#include "schematree.h"

#include "core/apiclient.h"

#include <QHeaderView>
#include <QJsonArray>
#include <QPointer>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

// One row per column of each table or view, and one per index and trigger (with no column).
constexpr auto SCHEMA_TREE_SQL
    = u"SELECT m.type, m.name, m.tbl_name, p.name, p.type, p.pk FROM sqlite_schema AS m "
      "LEFT JOIN pragma_table_info(m.name) AS p ON m.type IN ('table', 'view') "
      "WHERE m.name NOT LIKE 'sqlite_%' ORDER BY m.tbl_name, m.type <> 'table', m.type, m.name, p.cid";

QString text(const QJsonValue &cell)
{
    return cell.toObject().value("value"_L1).toVariant().toString();
}

} // namespace

SchemaTree::SchemaTree(QString tenant, QWidget *parent) : QTreeWidget(parent), m_tenant(std::move(tenant))
{
    setHeaderLabels({tr("Schema")});
    header()->setStretchLastSection(true);
    setUniformRowHeights(true);
    connect(this, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem *item) {
        if (const QString name = item->data(0, Qt::UserRole).toString(); !name.isEmpty())
            emit nameActivated(name);
    });
}

void SchemaTree::setClient(ApiClient *client)
{
    m_client = client;
    ++m_epoch;
    clear();
    if (client)
        reload();
}

void SchemaTree::reload()
{
    if (!m_client)
        return;
    const quint64 epoch = ++m_epoch;
    const QJsonArray requests{
        QJsonObject{{u"type"_s, u"execute"_s}, {u"stmt"_s, QJsonObject{{u"sql"_s, QString::fromUtf16(SCHEMA_TREE_SQL)}}}},
        QJsonObject{{u"type"_s, u"close"_s}}};
    m_client->pipeline(m_tenant, requests, {}, [self = QPointer(this), epoch](const ApiResult &r) {
        if (!self || epoch != self->m_epoch)
            return;
        const QJsonObject first = r.body.value("results"_L1).toArray().at(0).toObject();
        if (!r.ok || first.value("type"_L1).toString() != u"ok") {
            self->clear();
            auto *error = new QTreeWidgetItem(self.data(), {self->tr("Schema unavailable: %1")
                                                                .arg(r.ok ? first[u"error"_s][u"message"_s].toString()
                                                                          : r.error)});
            error->setDisabled(true);
            return;
        }
        self->fill(first[u"response"_s][u"result"_s][u"rows"_s].toArray());
        emit self->loaded();
    });
}

void SchemaTree::fill(const QJsonArray &rows)
{
    clear();
    auto *tables = new QTreeWidgetItem(this, {tr("Tables")});
    auto *views = new QTreeWidgetItem(this, {tr("Views")});
    QHash<QString, QTreeWidgetItem *> byName;
    auto named = [](QTreeWidgetItem *parent, const QString &label, const QString &name) {
        auto *item = new QTreeWidgetItem(parent, {label});
        item->setData(0, Qt::UserRole, name);
        return item;
    };
    for (const QJsonValue &v : rows) {
        const QJsonArray row = v.toArray();
        const QString type = text(row.at(0)), name = text(row.at(1)), table = text(row.at(2));
        if (type == u"table" || type == u"view") {
            QTreeWidgetItem *&item = byName[name];
            if (!item)
                item = named(type == u"table" ? tables : views, name, name);
            if (const QString column = text(row.at(3)); !column.isEmpty()) {
                const QString declared = text(row.at(4));
                const bool pk = text(row.at(5)).toInt() > 0;
                named(item, column + (declared.isEmpty() ? QString() : u"  "_s + declared) + (pk ? u"  PK"_s : QString()),
                      column);
            }
        } else {
            QTreeWidgetItem *owner = byName.value(table, tables);
            named(owner, (type == u"index" ? tr("index %1") : tr("trigger %1")).arg(name), name);
        }
    }
    tables->setExpanded(true);
    views->setHidden(views->childCount() == 0);
}

} // namespace qsqld::ui
