#include "tenantspage.h"

#include "core/apiclient.h"
#include "core/profilestore.h"
#include "tenantmodel.h"

#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {
constexpr int DEFAULT_REFRESH_MS = 30'000;
}

TenantsPage::TenantsPage(ProfileStore *store, QWidget *parent)
    : Page(parent), m_store(store), m_model(new TenantModel(this)), m_proxy(new QSortFilterProxyModel(this)),
      m_view(new QTableView(this)), m_filter(new QLineEdit(this)), m_status(new QLabel(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(TenantModel::SortRole);
    m_proxy->setFilterKeyColumn(TenantModel::Name);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(TenantModel::Name, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->verticalHeader()->hide();
    m_filter->setPlaceholderText(tr("Filter tenants"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        emit tenantActivated(m_model->nameAt(m_proxy->mapToSource(index).row()));
    });

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_filter, 1);
    const std::pair<QString, void (TenantsPage::*)()> buttons[] = {
        {tr("&Refresh"), &TenantsPage::refresh}, {tr("&New…"), &TenantsPage::askCreate},
        {tr("&Fork…"), &TenantsPage::askFork}, {tr("&Configure…"), &TenantsPage::askConfigure},
        {tr("&Delete…"), &TenantsPage::askDelete}};
    for (const auto &[label, slot] : buttons) {
        auto *b = new QPushButton(label, this);
        connect(b, &QPushButton::clicked, this, slot);
        bar->addWidget(b);
    }
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_refresh.setInterval(DEFAULT_REFRESH_MS);
    connect(&m_refresh, &QTimer::timeout, this, &TenantsPage::refresh);
    report(true, tr("Not connected: pick or add a deployment on the Connections page."));
}

QString TenantsPage::statusText() const
{
    return m_status->text();
}

void TenantsPage::report(bool ok, const QString &message)
{
    m_status->setText(message);
    m_status->setStyleSheet(ok ? QString() : u"color: #c62828;"_s);
    emit operationFinished(ok, message);
}

void TenantsPage::setClient(ApiClient *client)
{
    m_client = client;
    m_model->setTenants({});
    m_refresh.stop();
    if (!client)
        return report(true, tr("Not connected."));
    m_refresh.start();
    refresh();
}

void TenantsPage::refresh()
{
    reload(true);
}

void TenantsPage::reload(bool announce)
{
    if (!m_client)
        return;
    QPointer<TenantsPage> self(this);
    ApiClient *client = m_client;
    client->listTenants([self, client, announce](bool supported, QList<TenantInfo> tenants, QString error) {
        if (!self || self->m_client != client)
            return; // connected elsewhere meanwhile
        self->m_supported = supported;
        if (!error.isEmpty())
            return self->report(false, error);
        if (!supported) {
            // Plain sqld: the names the user keeps, with no sizes.
            tenants.clear();
            for (const QString &name : self->m_store->manualTenants(client->profile().name))
                tenants.append(TenantInfo{name, -1, 0, 0, 0, {}});
            self->m_model->setTenants(std::move(tenants));
            if (announce)
                self->report(true, self->tr("This server has no tenant list (plain sqld): the list below is kept on "
                                            "this computer. Add tenants with New…"));
        } else {
            self->m_model->setTenants(std::move(tenants));
            if (announce)
                self->report(true, self->tr("%n tenant(s), refreshed %1.", nullptr, self->m_model->rowCount())
                                       .arg(QTime::currentTime().toString(u"HH:mm:ss"_s)));
        }
        emit self->refreshed();
    });
}

void TenantsPage::createTenant(const QString &ns)
{
    if (!m_client)
        return report(false, tr("Not connected."));
    if (!m_supported)
        return addManualTenant(ns);
    QPointer<TenantsPage> self(this);
    m_client->createTenant(ns, [self, ns](ApiResult r) {
        if (!self)
            return;
        r.ok ? self->report(true, self->tr("Created %1.").arg(ns)) : self->report(false, r.error);
        self->reload(false);
    });
}

void TenantsPage::deleteTenant(const QString &ns, const QString &typedName)
{
    if (!m_client)
        return report(false, tr("Not connected."));
    if (typedName != ns)
        return report(false, tr("Not deleted: type the tenant's name exactly to confirm."));
    if (!m_supported)
        return removeManualTenant(ns);
    QPointer<TenantsPage> self(this);
    m_client->deleteTenant(ns, [self, ns](ApiResult r) {
        if (!self)
            return;
        r.ok ? self->report(true, self->tr("Deleted %1.").arg(ns)) : self->report(false, r.error);
        self->reload(false);
    });
}

void TenantsPage::forkTenant(const QString &from, const QString &to)
{
    if (!m_client)
        return report(false, tr("Not connected."));
    QPointer<TenantsPage> self(this);
    m_client->forkTenant(from, to, [self, from, to](ApiResult r) {
        if (!self)
            return;
        r.ok ? self->report(true, self->tr("Forked %1 into %2.").arg(from, to)) : self->report(false, r.error);
        self->reload(false);
    });
}

void TenantsPage::configureTenant(const QString &ns, bool blockReads, bool blockWrites, const QString &blockReason,
                                  const QString &maxDbSize)
{
    if (!m_client)
        return report(false, tr("Not connected."));
    // The admin API replaces the whole configuration: start from the current one so that nothing else (a jwt_key,
    // allow_attach...) is lost.
    QPointer<TenantsPage> self(this);
    ApiClient *client = m_client;
    client->tenantConfig(ns, [self, client, ns, blockReads, blockWrites, blockReason, maxDbSize](ApiResult current) {
        if (!self || self->m_client != client)
            return;
        if (!current.ok)
            return self->report(false, current.error);
        QJsonObject config = current.body;
        config.insert(u"block_reads"_s, blockReads);
        config.insert(u"block_writes"_s, blockWrites);
        config.insert(u"block_reason"_s, blockReason.isEmpty() ? QJsonValue() : QJsonValue(blockReason));
        config.insert(u"max_db_size"_s, maxDbSize.isEmpty() ? QJsonValue() : QJsonValue(maxDbSize));
        config.remove(u"max_db_size_bytes"_s); // qsqld's read-only extra
        client->setTenantConfig(ns, config, [self, ns](ApiResult r) {
            if (self)
                r.ok ? self->report(true, self->tr("Saved the configuration of %1.").arg(ns))
                     : self->report(false, r.error);
        });
    });
}

void TenantsPage::addManualTenant(const QString &ns)
{
    if (!m_client)
        return;
    QStringList names = m_store->manualTenants(m_client->profile().name);
    if (!names.contains(ns))
        names.append(ns);
    m_store->setManualTenants(m_client->profile().name, names);
    report(true, tr("Added %1 to the list kept on this computer.").arg(ns));
    reload(false);
}

void TenantsPage::removeManualTenant(const QString &ns)
{
    if (!m_client)
        return;
    QStringList names = m_store->manualTenants(m_client->profile().name);
    names.removeAll(ns);
    m_store->setManualTenants(m_client->profile().name, names);
    report(true, tr("Removed %1 from the list kept on this computer (the database itself is untouched).").arg(ns));
    reload(false);
}

QString TenantsPage::selectedTenant() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : m_model->nameAt(m_proxy->mapToSource(rows.front()).row());
}

void TenantsPage::askCreate()
{
    bool ok = false;
    const QString ns = QInputDialog::getText(this, tr("New tenant"), tr("Name (letters, digits, - and _):"),
                                             QLineEdit::Normal, {}, &ok);
    if (ok && !ns.isEmpty())
        createTenant(ns.trimmed());
}

void TenantsPage::askDelete()
{
    const QString ns = selectedTenant();
    if (ns.isEmpty())
        return report(false, tr("Select a tenant first."));
    bool ok = false;
    const QString typed = QInputDialog::getText(
        this, tr("Delete tenant"),
        tr("This deletes %1 and all its data for good. Type its name to confirm:").arg(ns), QLineEdit::Normal, {}, &ok);
    if (ok)
        deleteTenant(ns, typed);
}

void TenantsPage::askFork()
{
    const QString ns = selectedTenant();
    if (ns.isEmpty())
        return report(false, tr("Select a tenant first."));
    bool ok = false;
    const QString to = QInputDialog::getText(this, tr("Fork tenant"), tr("Copy %1 into a new tenant named:").arg(ns),
                                             QLineEdit::Normal, ns + u"-copy"_s, &ok);
    if (ok && !to.isEmpty())
        forkTenant(ns, to.trimmed());
}

void TenantsPage::askConfigure()
{
    const QString ns = selectedTenant();
    if (ns.isEmpty() || !m_client)
        return report(false, tr("Select a tenant first."));
    QPointer<TenantsPage> self(this);
    m_client->tenantConfig(ns, [self, ns](ApiResult r) {
        if (!self)
            return;
        if (!r.ok)
            return self->report(false, r.error);
        QDialog dialog(self);
        dialog.setWindowTitle(self->tr("Configure %1").arg(ns));
        auto *form = new QFormLayout(&dialog);
        auto *reads = new QCheckBox(self->tr("Block reads"), &dialog);
        auto *writes = new QCheckBox(self->tr("Block writes"), &dialog);
        auto *reason = new QLineEdit(r.body.value(u"block_reason"_s).toString(), &dialog);
        auto *size = new QLineEdit(r.body.value(u"max_db_size"_s).toString(), &dialog);
        size->setPlaceholderText(self->tr("no limit (e.g. 500mb, 2 GiB)"));
        reads->setChecked(r.body.value(u"block_reads"_s).toBool());
        writes->setChecked(r.body.value(u"block_writes"_s).toBool());
        form->addRow(reads);
        form->addRow(writes);
        form->addRow(self->tr("Reason shown to clients"), reason);
        form->addRow(self->tr("Maximum size"), size);
        auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
        form->addRow(buttons);
        connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
        if (dialog.exec() == QDialog::Accepted)
            self->configureTenant(ns, reads->isChecked(), writes->isChecked(), reason->text(), size->text());
    });
}

} // namespace qsqld::ui
