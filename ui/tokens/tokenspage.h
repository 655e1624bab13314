#pragma once

// The console's token tools, three tabs over server/auth/tokens.h (the code behind `qsqld keygen` and
// `qsqld token mint|inspect`; nothing here knows JWT details):
//  - Key pair: generate an Ed25519 pair, show the public key as PEM and as sqld's raw base64url form, save the
//    two files, or load an existing private key;
//  - Mint: a token for one namespace or all, rw/ro/roa, with an expiry;
//  - Inspect: TokenInspectPanel.
// Thread rule: GUI thread only.

#include "auth/tokens.h"
#include "core/page.h"

#include <QPointer>

#include <optional>
#include <variant>

class QCheckBox;
class QComboBox;
class QLabel;
class QLayout;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace qsqld::ui {

class TokenInspectPanel;

class TokensPage : public Page
{
    Q_OBJECT
public:
    explicit TokensPage(QWidget *parent = nullptr);

    // Only used to suggest namespace names (ApiClient::listTenants); nullptr is fine.
    void setClient(ApiClient *client) override;
    // Pre-fills the namespace to mint for and to inspect against.
    void setCurrentTenant(const QString &ns) override;

    // Key pair. The key is kept in memory only until saved.
    void generateKeyPair();
    bool loadPrivateKey(const QString &path, QString *error = nullptr);
    // Writes the private key (owner-only permissions) and/or the public key PEM; an empty path skips that file.
    bool saveKeyPair(const QString &privatePath, const QString &publicPath, QString *error = nullptr);
    const auth::KeyPair &keyPair() const { return m_keyPair; }

    // Mints with the form's namespace, access and expiry and shows the token; `issuedAt` (Unix seconds)
    // back- or post-dates `iat` and so `exp`. The error is also shown under the form.
    std::variant<QByteArray, QString> mint(std::optional<qint64> issuedAt = std::nullopt);
    QByteArray mintedToken() const { return m_minted; }

    TokenInspectPanel *inspector() const { return m_inspector; }

signals:
    void keyPairChanged();
    void tokenMinted(const QByteArray &token);

private:
    QWidget *buildKeyTab();
    QLayout *buildPublicKeyForm(QWidget *tab);
    QWidget *buildMintTab();
    QLayout *buildExpiryRow(QWidget *tab);
    QLayout *buildTokenOutput(QWidget *tab);
    void inspectMinted();
    void setKeyPair(const auth::KeyPair &pair, const QString &origin);
    void saveWithDialogs();
    void loadWithDialog();
    std::optional<auth::TokenRequest> mintRequest(QString *error) const;
    void showKeyError(const QString &message);

    auth::KeyPair m_keyPair;
    QByteArray m_minted;
    QPointer<ApiClient> m_client;
    quint64 m_epoch = 0; // drops tenant lists that arrive after a client change

    QLabel *m_keyStatus = nullptr;
    QPlainTextEdit *m_publicPem = nullptr;
    QLineEdit *m_publicRaw = nullptr;
    QPushButton *m_saveButton = nullptr;

    QCheckBox *m_allNamespaces = nullptr;
    QComboBox *m_namespace = nullptr;
    QComboBox *m_access = nullptr;
    QComboBox *m_expiry = nullptr;
    QSpinBox *m_expirySeconds = nullptr;
    QPushButton *m_mintButton = nullptr;
    QPlainTextEdit *m_token = nullptr;
    QLabel *m_mintStatus = nullptr;

    QTabWidget *m_tabs = nullptr;
    TokenInspectPanel *m_inspector = nullptr;
};

} // namespace qsqld::ui
