#pragma once

// The "Inspect" part of the tokens page: paste a JWT, optionally a public key (PEM or sqld's raw base64url) and a
// namespace, and see what qsqld would do with it: one row per check (auth::inspectToken, the same code as
// `qsqld token inspect`), the decoded header and claims, and a one-line verdict.
// Thread rule: GUI thread only.

#include "auth/tokens.h"

#include <QWidget>

#include <optional>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace qsqld::ui {

class TokenInspectPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TokenInspectPanel(QWidget *parent = nullptr);

    void setToken(const QByteArray &token);
    void setPublicKey(const QByteArray &keyText); // PEM block(s) or one raw key; empty: signature not checked
    void setNamespace(const QString &ns);
    // The key offered by the "Use the key pair's public key" button (the page's current key pair).
    void setKnownPublicKey(const QByteArray &pem);

    // Inspects the entered token at `now` (Unix seconds; default: the current time) and shows the result.
    // False, with the reason shown, when the public key text cannot be parsed (nothing is inspected then).
    bool inspect(std::optional<qint64> now = std::nullopt);
    const auth::TokenInspection &inspection() const { return m_inspection; }

signals:
    void inspected(bool accepted);

private:
    QWidget *buildInputs();
    QWidget *buildResults();
    void showInspection();
    void showError(const QString &message);

    auth::TokenInspection m_inspection;
    QByteArray m_knownPublicKey;
    QPlainTextEdit *m_token = nullptr;
    QPlainTextEdit *m_key = nullptr;
    QLineEdit *m_namespace = nullptr;
    QPushButton *m_useKnownKey = nullptr;
    QTableWidget *m_checks = nullptr;
    QPlainTextEdit *m_header = nullptr;
    QPlainTextEdit *m_claims = nullptr;
    QLabel *m_summary = nullptr;
};

} // namespace qsqld::ui
