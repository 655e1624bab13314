#include "tokenspage.h"

#include "tokeninspectpanel.h"

#include <limits>

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

#include "core/apiclient.h"

using namespace Qt::StringLiterals;

namespace qsqld::ui {

namespace {

using Access = auth::Permissions::Access;

constexpr qint64 NO_EXPIRY = -1;
constexpr qint64 CUSTOM_EXPIRY = 0;

const QString ERROR_STYLE = u"color: #c62828"_s;

bool writeFile(const QString &path, const QByteArray &data, bool secret, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = TokensPage::tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    // Restrict before writing, so the secret is never readable by others, not even briefly.
    if (secret)
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (file.write(data) != data.size() || !file.flush()) {
        *error = TokensPage::tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QPushButton *copyButton(QWidget *parent, std::function<QString()> text)
{
    auto *button = new QPushButton(TokensPage::tr("Copy"), parent);
    QObject::connect(button, &QPushButton::clicked, parent,
                     [text = std::move(text)] { QApplication::clipboard()->setText(text()); });
    return button;
}

QLabel *wrappedLabel(const QString &text)
{
    auto *label = new QLabel(text);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

TokensPage::TokensPage(QWidget *parent)
    : Page(parent)
{
    m_inspector = new TokenInspectPanel;
    m_tabs = new QTabWidget;
    m_tabs->setObjectName(u"tokenTabs"_s);
    m_tabs->addTab(buildKeyTab(), tr("Key pair"));
    m_tabs->addTab(buildMintTab(), tr("Mint"));
    m_tabs->addTab(m_inspector, tr("Inspect"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs);
}

QWidget *TokensPage::buildKeyTab()
{
    auto *tab = new QWidget;
    auto *generate = new QPushButton(tr("Generate key pair"), tab);
    generate->setObjectName(u"generateButton"_s);
    connect(generate, &QPushButton::clicked, this, &TokensPage::generateKeyPair);
    auto *load = new QPushButton(tr("Load private key..."), tab);
    connect(load, &QPushButton::clicked, this, &TokensPage::loadWithDialog);
    m_saveButton = new QPushButton(tr("Save key files..."), tab);
    m_saveButton->setEnabled(false);
    connect(m_saveButton, &QPushButton::clicked, this, &TokensPage::saveWithDialogs);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(generate);
    buttons->addWidget(load);
    buttons->addWidget(m_saveButton);
    buttons->addStretch();

    m_keyStatus = wrappedLabel(tr("No key pair yet: generate one, or load an existing private key."));
    m_keyStatus->setObjectName(u"keyStatus"_s);
    auto *layout = new QVBoxLayout(tab);
    layout->addLayout(buttons);
    layout->addWidget(m_keyStatus);
    layout->addLayout(buildPublicKeyForm(tab));
    layout->addWidget(wrappedLabel(
        tr("The server only needs the public key. Save the PEM form as a file and start the server with "
           "--auth-jwt-key-file <file> (qsqld and sqld), or put the raw line in the SQLD_AUTH_JWT_KEY environment "
           "variable. The private key signs tokens: keep it secret. Use it here, with `qsqld token mint --key`, or "
           "as the signing key of a connection profile.")));
    layout->addStretch(1);
    return tab;
}

// The public key in both forms, read-only, each with a Copy button.
QLayout *TokensPage::buildPublicKeyForm(QWidget *tab)
{
    m_publicPem = new QPlainTextEdit;
    m_publicPem->setObjectName(u"publicKeyPem"_s);
    m_publicPem->setReadOnly(true);
    m_publicPem->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_publicPem->setFixedHeight(m_publicPem->fontMetrics().lineSpacing() * 4 + 2 * m_publicPem->frameWidth() + 8);
    m_publicRaw = new QLineEdit;
    m_publicRaw->setObjectName(u"publicKeyRaw"_s);
    m_publicRaw->setReadOnly(true);
    m_publicRaw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto *pemRow = new QHBoxLayout;
    pemRow->addWidget(m_publicPem);
    pemRow->addWidget(copyButton(tab, [this] { return m_publicPem->toPlainText(); }), 0, Qt::AlignTop);
    auto *rawRow = new QHBoxLayout;
    rawRow->addWidget(m_publicRaw);
    rawRow->addWidget(copyButton(tab, [this] { return m_publicRaw->text(); }));

    auto *form = new QFormLayout;
    form->addRow(tr("Public key (PEM):"), pemRow);
    form->addRow(tr("Public key (raw):"), rawRow);
    return form;
}

QWidget *TokensPage::buildMintTab()
{
    auto *tab = new QWidget;
    m_allNamespaces = new QCheckBox(tr("All namespaces"), tab);
    m_allNamespaces->setObjectName(u"mintAllNamespaces"_s);
    m_namespace = new QComboBox(tab);
    m_namespace->setObjectName(u"mintNamespace"_s);
    m_namespace->setEditable(true);
    m_namespace->setInsertPolicy(QComboBox::NoInsert);
    connect(m_allNamespaces, &QCheckBox::toggled, m_namespace, &QWidget::setDisabled);
    auto *nsRow = new QHBoxLayout;
    nsRow->addWidget(m_namespace, 1);
    nsRow->addWidget(m_allNamespaces);

    m_access = new QComboBox(tab);
    m_access->setObjectName(u"mintAccess"_s);
    m_access->addItem(tr("read-write (rw)"), int(Access::ReadWrite));
    m_access->addItem(tr("read-only (ro)"), int(Access::ReadOnly));
    m_access->addItem(tr("read-only, may attach (roa)"), int(Access::ReadAttach));

    m_mintButton = new QPushButton(tr("Mint"), tab);
    m_mintButton->setObjectName(u"mintButton"_s);
    connect(m_mintButton, &QPushButton::clicked, this, [this] { mint(); });
    m_mintStatus = wrappedLabel(tr("Generate or load a key pair first."));
    m_mintStatus->setObjectName(u"mintStatus"_s);
    QLayout *tokenButtons = buildTokenOutput(tab);

    auto *layout = new QVBoxLayout(tab);
    auto *form = new QFormLayout;
    layout->addLayout(form);
    layout->addStretch(1);
    form->addRow(tr("Namespace:"), nsRow);
    form->addRow(tr("Access:"), m_access);
    form->addRow(tr("Expires after:"), buildExpiryRow(tab));
    form->addRow(QString(), m_mintButton);
    form->addRow(QString(), m_mintStatus);
    form->addRow(tr("Token:"), m_token);
    form->addRow(QString(), tokenButtons);
    return tab;
}

QLayout *TokensPage::buildExpiryRow(QWidget *tab)
{
    m_expiry = new QComboBox(tab);
    m_expiry->setObjectName(u"mintExpiry"_s);
    m_expiry->addItem(tr("Never"), NO_EXPIRY);
    m_expiry->addItem(tr("1 hour"), qint64(3600));
    m_expiry->addItem(tr("1 day"), qint64(86400));
    m_expiry->addItem(tr("30 days"), qint64(30 * 86400));
    m_expiry->addItem(tr("Custom"), CUSTOM_EXPIRY);
    m_expirySeconds = new QSpinBox(tab);
    m_expirySeconds->setObjectName(u"mintExpirySeconds"_s);
    m_expirySeconds->setRange(1, std::numeric_limits<int>::max());
    m_expirySeconds->setValue(3600);
    m_expirySeconds->setSuffix(tr(" s"));
    m_expirySeconds->setEnabled(false);
    connect(m_expiry, &QComboBox::currentIndexChanged, m_expirySeconds, [this] {
        m_expirySeconds->setEnabled(m_expiry->currentData().toLongLong() == CUSTOM_EXPIRY);
    });
    auto *expiryRow = new QHBoxLayout;
    expiryRow->addWidget(m_expiry);
    expiryRow->addWidget(m_expirySeconds);
    expiryRow->addStretch();
    return expiryRow;
}

// The minted token's read-only view (m_token) and the buttons under it.
QLayout *TokensPage::buildTokenOutput(QWidget *tab)
{
    m_token = new QPlainTextEdit(tab);
    m_token->setObjectName(u"mintedToken"_s);
    m_token->setReadOnly(true);
    m_token->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_token->setWordWrapMode(QTextOption::WrapAnywhere);
    m_token->setFixedHeight(m_token->fontMetrics().lineSpacing() * 6 + 2 * m_token->frameWidth() + 8);
    auto *inspectIt = new QPushButton(tr("Inspect this token"), tab);
    connect(inspectIt, &QPushButton::clicked, this, &TokensPage::inspectMinted);
    auto *tokenButtons = new QHBoxLayout;
    tokenButtons->addWidget(copyButton(tab, [this] { return m_token->toPlainText(); }));
    tokenButtons->addWidget(inspectIt);
    tokenButtons->addStretch();
    return tokenButtons;
}

void TokensPage::inspectMinted()
{
    m_inspector->setToken(m_minted);
    m_inspector->setPublicKey(m_keyPair.publicKeyPem);
    if (!m_allNamespaces->isChecked())
        m_inspector->setNamespace(m_namespace->currentText().trimmed());
    m_inspector->inspect();
    m_tabs->setCurrentWidget(m_inspector);
}

void TokensPage::setClient(ApiClient *client)
{
    m_client = client;
    const quint64 epoch = ++m_epoch;
    if (!client)
        return;
    QPointer<TokensPage> self(this);
    client->listTenants([self, epoch](bool supported, QList<TenantInfo> tenants, QString) {
        if (!self || self->m_epoch != epoch || !supported)
            return;
        const QString typed = self->m_namespace->currentText();
        self->m_namespace->clear();
        for (const TenantInfo &t : tenants)
            self->m_namespace->addItem(t.name);
        self->m_namespace->setCurrentText(typed);
    });
}

void TokensPage::setCurrentTenant(const QString &ns)
{
    if (ns.isEmpty())
        return;
    m_namespace->setCurrentText(ns);
    m_allNamespaces->setChecked(false);
    m_inspector->setNamespace(ns);
}

void TokensPage::generateKeyPair()
{
    const auth::KeyPair pair = auth::generateKeyPair();
    if (!pair.isValid())
        return showKeyError(tr("OpenSSL could not generate an Ed25519 key."));
    setKeyPair(pair, tr("Generated a new key pair. It exists only in memory until you save it."));
}

bool TokensPage::loadPrivateKey(const QString &path, QString *error)
{
    QString message;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        message = tr("Cannot read %1: %2").arg(path, file.errorString());
    } else {
        auto pair = auth::keyPairFromPrivateKey(file.readAll());
        if (auto *e = std::get_if<QString>(&pair))
            message = tr("%1: %2").arg(path, *e);
        else
            setKeyPair(std::get<auth::KeyPair>(pair), tr("Loaded the private key from %1.").arg(path));
    }
    if (!message.isEmpty())
        showKeyError(message);
    if (error)
        *error = message;
    return message.isEmpty();
}

bool TokensPage::saveKeyPair(const QString &privatePath, const QString &publicPath, QString *error)
{
    QString message;
    if (!m_keyPair.isValid())
        message = tr("There is no key pair to save.");
    else if (privatePath.isEmpty() && publicPath.isEmpty())
        message = tr("Choose where to save the keys.");
    else if (!privatePath.isEmpty() && privatePath == publicPath)
        message = tr("The private and the public key need two different files.");
    if (message.isEmpty() && !privatePath.isEmpty())
        writeFile(privatePath, m_keyPair.privateKeyPem, true, &message);
    if (message.isEmpty() && !publicPath.isEmpty())
        writeFile(publicPath, m_keyPair.publicKeyPem, false, &message);
    if (!message.isEmpty()) {
        showKeyError(message);
    } else {
        QStringList names;
        for (const QString &p : {privatePath, publicPath}) {
            if (!p.isEmpty())
                names.append(QDir::toNativeSeparators(p));
        }
        m_keyStatus->setStyleSheet(QString());
        m_keyStatus->setText(tr("Saved %1.").arg(names.join(tr(" and "))));
    }
    if (error)
        *error = message;
    return message.isEmpty();
}

void TokensPage::saveWithDialogs()
{
    const QString privatePath = QFileDialog::getSaveFileName(
        this, tr("Save the private key (secret)"), QDir::home().filePath(u"jwt_private.pem"_s),
        tr("PEM files (*.pem);;All files (*)"));
    if (privatePath.isEmpty())
        return;
    const QString publicPath = QFileDialog::getSaveFileName(
        this, tr("Save the public key (for --auth-jwt-key-file)"),
        QFileInfo(privatePath).dir().filePath(u"jwt_public.pem"_s), tr("PEM files (*.pem);;All files (*)"));
    saveKeyPair(privatePath, publicPath);
}

void TokensPage::loadWithDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load a private key"), QDir::homePath(),
                                                      tr("PEM files (*.pem);;All files (*)"));
    if (!path.isEmpty())
        loadPrivateKey(path);
}

void TokensPage::setKeyPair(const auth::KeyPair &pair, const QString &origin)
{
    m_keyPair = pair;
    m_publicPem->setPlainText(QString::fromLatin1(pair.publicKeyPem).trimmed());
    m_publicRaw->setText(QString::fromLatin1(pair.publicKeyRaw));
    m_keyStatus->setStyleSheet(QString());
    m_keyStatus->setText(origin);
    m_saveButton->setEnabled(true);
    m_mintStatus->setStyleSheet(QString());
    m_mintStatus->setText(tr("Tokens are signed with the key pair of the first tab."));
    m_inspector->setKnownPublicKey(pair.publicKeyPem);
    emit keyPairChanged();
}

std::optional<auth::TokenRequest> TokensPage::mintRequest(QString *error) const
{
    auth::TokenRequest request;
    if (!m_allNamespaces->isChecked()) {
        const QString ns = m_namespace->currentText().trimmed();
        if (ns.isEmpty()) {
            *error = tr("Enter a namespace, or tick \"All namespaces\".");
            return std::nullopt;
        }
        request.ns = ns;
    }
    request.access = Access(m_access->currentData().toInt());
    const qint64 expiry = m_expiry->currentData().toLongLong();
    if (expiry == CUSTOM_EXPIRY)
        request.expiresInSeconds = m_expirySeconds->value();
    else if (expiry != NO_EXPIRY)
        request.expiresInSeconds = expiry;
    return request;
}

std::variant<QByteArray, QString> TokensPage::mint(std::optional<qint64> issuedAt)
{
    QString error;
    std::variant<QByteArray, QString> result = tr("Generate or load a key pair first.");
    if (m_keyPair.isValid()) {
        if (auto request = mintRequest(&error)) {
            request->issuedAt = issuedAt;
            result = auth::mintToken(m_keyPair.privateKeyPem, *request);
        } else {
            result = error;
        }
    }
    if (const auto *message = std::get_if<QString>(&result)) {
        m_minted.clear();
        m_token->clear();
        m_mintStatus->setStyleSheet(ERROR_STYLE);
        m_mintStatus->setText(*message);
        return result;
    }
    m_minted = std::get<QByteArray>(result);
    m_token->setPlainText(QString::fromLatin1(m_minted));
    m_mintStatus->setStyleSheet(QString());
    m_mintStatus->setText(tr("Minted. Send it as \"Authorization: Bearer <token>\"."));
    emit tokenMinted(m_minted);
    return result;
}

void TokensPage::showKeyError(const QString &message)
{
    m_keyStatus->setStyleSheet(ERROR_STYLE);
    m_keyStatus->setText(message);
}

} // namespace qsqld::ui
