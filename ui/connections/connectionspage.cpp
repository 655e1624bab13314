#include "connectionspage.h"

#include "core/apiclient.h"
#include "core/profilestore.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPointer>
#include <QPushButton>
#include <QVBoxLayout>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

ConnectionsPage::ConnectionsPage(ProfileStore *store, QWidget *parent)
    : Page(parent), m_store(store), m_list(new QListWidget(this)), m_name(new QLineEdit(this)),
      m_userUrl(new QLineEdit(this)), m_adminUrl(new QLineEdit(this)), m_routing(new QComboBox(this)),
      m_adminKey(new QLineEdit(this)), m_signingKeyFile(new QLineEdit(this)), m_token(new QLineEdit(this)),
      m_secretsNote(new QLabel(this)), m_status(new QLabel(this))
{
    m_userUrl->setPlaceholderText(u"http://127.0.0.1:8080"_s);
    m_adminUrl->setPlaceholderText(tr("http://127.0.0.1:9090 (optional: needed to manage tenants)"));
    m_routing->addItem(tr("x-namespace header"), int(Profile::Routing::Header));
    m_routing->addItem(tr("Host subdomain (<tenant>.host)"), int(Profile::Routing::Subdomain));
    for (QLineEdit *secret : {m_adminKey, m_token})
        secret->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    m_signingKeyFile->setPlaceholderText(tr("Ed25519 private key (PEM): tokens are minted per tenant"));
    m_token->setPlaceholderText(tr("or one token for every request"));
    m_secretsNote->setText(tr("Secrets are %1.").arg(store->secrets().description()));
    m_secretsNote->setWordWrap(true);
    auto *pickKey = new QPushButton(tr("Browse…"), this);
    connect(pickKey, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Signing key"), {}, tr("PEM files (*.pem);;All (*)"));
        QFile f(path);
        if (!path.isEmpty() && f.open(QIODevice::ReadOnly)) {
            m_signingKeyPem = f.readAll();
            m_signingKeyFile->setText(path);
        }
    });
    auto *keyRow = new QHBoxLayout;
    keyRow->addWidget(m_signingKeyFile, 1);
    keyRow->addWidget(pickKey);

    auto *form = new QFormLayout;
    form->addRow(tr("Name"), m_name);
    form->addRow(tr("User API URL"), m_userUrl);
    form->addRow(tr("Admin API URL"), m_adminUrl);
    form->addRow(tr("Tenant routing"), m_routing);
    form->addRow(tr("Admin key"), m_adminKey);
    form->addRow(tr("Signing key"), keyRow);
    form->addRow(tr("Token"), m_token);
    form->addRow(QString(), m_secretsNote);

    auto *buttons = new QHBoxLayout;
    const std::pair<QString, void (ConnectionsPage::*)()> actions[] = {
        {tr("&Save"), &ConnectionsPage::save}, {tr("&Test connection"), &ConnectionsPage::testConnection},
        {tr("&Connect"), &ConnectionsPage::connectCurrent}, {tr("De&lete"), &ConnectionsPage::removeCurrent}};
    for (const auto &[label, slot] : actions) {
        auto *b = new QPushButton(label, this);
        connect(b, &QPushButton::clicked, this, slot);
        buttons->addWidget(b);
    }
    buttons->addStretch(1);
    auto *right = new QVBoxLayout;
    right->addLayout(form);
    right->addLayout(buttons);
    right->addWidget(m_status);
    right->addStretch(1);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QHBoxLayout(this);
    layout->addWidget(m_list, 1);
    layout->addLayout(right, 3);

    connect(m_list, &QListWidget::currentTextChanged, this, [this](const QString &name) {
        const Profile p = m_store->profile(name);
        if (!p.isValid())
            return;
        QPointer<ConnectionsPage> self(this);
        m_store->loadSecrets(p, [self](Profile withSecrets, QString error) {
            if (!self)
                return;
            self->showProfile(withSecrets);
            if (!error.isEmpty())
                self->report(false, self->tr("The keychain did not give the secrets: %1").arg(error));
        });
    });
    reloadList();
    report(true, tr("Add a deployment: its user API URL at least; an admin URL and key to manage tenants."));
}

ConnectionsPage::~ConnectionsPage() = default;

void ConnectionsPage::setClient(ApiClient *client)
{
    if (client)
        report(true, tr("Connected to %1.").arg(client->profile().name));
}

QString ConnectionsPage::statusText() const
{
    return m_status->text();
}

void ConnectionsPage::report(bool ok, const QString &message)
{
    m_status->setText(message);
    m_status->setStyleSheet(ok ? QString() : u"color: #c62828;"_s);
}

Profile ConnectionsPage::formProfile() const
{
    Profile p;
    p.name = m_name->text().trimmed();
    p.userUrl = QUrl::fromUserInput(m_userUrl->text().trimmed());
    if (!m_adminUrl->text().trimmed().isEmpty())
        p.adminUrl = QUrl::fromUserInput(m_adminUrl->text().trimmed());
    p.routing = Profile::Routing(m_routing->currentData().toInt());
    p.adminKey = m_adminKey->text().toUtf8();
    p.signingKeyPem = m_signingKeyPem;
    p.fixedToken = m_token->text().trimmed().toUtf8();
    return p;
}

void ConnectionsPage::showProfile(const Profile &p)
{
    m_name->setText(p.name);
    m_userUrl->setText(p.userUrl.toString());
    m_adminUrl->setText(p.adminUrl.toString());
    m_routing->setCurrentIndex(m_routing->findData(int(p.routing)));
    m_adminKey->setText(QString::fromUtf8(p.adminKey));
    m_signingKeyPem = p.signingKeyPem;
    m_signingKeyFile->setText(p.signingKeyPem.isEmpty() ? QString() : tr("(key in the keychain)"));
    m_token->setText(QString::fromUtf8(p.fixedToken));
}

void ConnectionsPage::reloadList()
{
    const QString current = m_list->currentItem() ? m_list->currentItem()->text() : QString();
    m_list->clear();
    m_list->addItems(m_store->names());
    const auto found = m_list->findItems(current, Qt::MatchExactly);
    if (!found.isEmpty())
        m_list->setCurrentItem(found.front());
}

void ConnectionsPage::selectProfile(const QString &name)
{
    const auto found = m_list->findItems(name, Qt::MatchExactly);
    if (!found.isEmpty())
        m_list->setCurrentItem(found.front());
}

void ConnectionsPage::save()
{
    const Profile p = formProfile();
    if (!p.isValid())
        return report(false, tr("A profile needs a name and a user API URL."));
    QPointer<ConnectionsPage> self(this);
    m_store->save(p, [self, name = p.name](QString error) {
        if (!self)
            return;
        self->reloadList();
        error.isEmpty() ? self->report(true, self->tr("Saved %1.").arg(name))
                        : self->report(false, self->tr("Saved %1, but the keychain refused the secrets: %2")
                                                  .arg(name, error));
    });
}

void ConnectionsPage::removeCurrent()
{
    const QString name = m_name->text().trimmed();
    if (name.isEmpty())
        return;
    m_store->remove(name);
    reloadList();
    report(true, tr("Deleted the profile %1.").arg(name));
}

void ConnectionsPage::testConnection()
{
    const Profile p = formProfile();
    if (!p.isValid())
        return report(false, tr("A profile needs a name and a user API URL."));
    report(true, tr("Testing…"));
    m_tester = std::make_unique<ApiClient>(p);
    QPointer<ConnectionsPage> self(this);
    m_tester->testConnection(QString(), [self](bool ok, QString message) {
        if (!self)
            return;
        self->report(ok, message);
        emit self->testFinished(ok, message);
    });
}

void ConnectionsPage::connectCurrent()
{
    const Profile p = formProfile();
    if (!p.isValid())
        return report(false, tr("A profile needs a name and a user API URL."));
    emit connectRequested(p);
}

} // namespace qsqld::ui
