#pragma once

// A deployment the console talks to (qsqld or plain sqld): where its user and admin APIs are, how a tenant is
// addressed, and which credentials to use. A value; secrets travel with it in memory only and are stored by
// SecretStore, never in plain settings.

#include <QByteArray>
#include <QMetaType>
#include <QString>
#include <QUrl>

namespace qsqld::ui {

struct Profile
{
    enum class Routing {
        Header,    // x-namespace: <tenant> on the user URL
        Subdomain, // https://<tenant>.<host of the user URL>
    };

    QString name;         // shown in the UI; the key of the stored profile
    QUrl userUrl;         // Hrana pipeline, e.g. http://127.0.0.1:8080
    QUrl adminUrl;        // admin API, e.g. http://127.0.0.1:9090 (may be empty: no tenant management)
    Routing routing = Routing::Header;
    // Secrets (kept in the OS keychain).
    QByteArray adminKey;      // admin API key (sent as Bearer), may be empty
    QByteArray signingKeyPem; // Ed25519 private key: the console mints a short-lived token per tenant
    QByteArray fixedToken;    // or one token for every request

    bool isValid() const { return !name.isEmpty() && userUrl.isValid() && !userUrl.isEmpty(); }
    // The user-API URL of `path` for tenant `ns` and the headers it needs (routing and authorization).
    QUrl tenantUrl(const QString &ns, const QString &path) const;
};

} // namespace qsqld::ui

Q_DECLARE_METATYPE(qsqld::ui::Profile)
