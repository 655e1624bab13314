#pragma once

// Saved deployment profiles: names, URLs and routing in QSettings, secrets in a SecretStore (the OS keychain).
// Also the hand-kept tenant list for deployments without GET /v1/namespaces (plain sqld).
// Thread rule: GUI thread only.

#include "profile.h"
#include "secretstore.h"

#include <QSettings>
#include <QStringList>

#include <functional>
#include <memory>

namespace qsqld::ui {

class ProfileStore
{
public:
    // `settings` holds the plain fields (the application's settings when null); `secrets` the secret ones.
    ProfileStore(std::unique_ptr<QSettings> settings, std::unique_ptr<SecretStore> secrets);

    QStringList names() const;
    // The profile without its secrets (use loadSecrets); invalid when unknown.
    Profile profile(const QString &name) const;
    // Saves the plain fields now and the secrets asynchronously; `done` gets the keychain's error, if any.
    void save(const Profile &profile, std::function<void(QString error)> done);
    void remove(const QString &name);
    void loadSecrets(Profile profile, std::function<void(Profile, QString error)> done);

    QStringList manualTenants(const QString &profile) const;
    void setManualTenants(const QString &profile, const QStringList &tenants);

    SecretStore &secrets() { return *m_secrets; }

private:
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<SecretStore> m_secrets;
};

} // namespace qsqld::ui
