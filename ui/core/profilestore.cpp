#include "profilestore.h"

#include <QPointer>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

QString group(const QString &name)
{
    return u"profiles/"_s + QString::fromLatin1(name.toUtf8().toHex());
}

const char *const SECRETS[] = {"adminKey", "signingKeyPem", "fixedToken"};

QByteArray Profile::*secretField(int i)
{
    static QByteArray Profile::*const FIELDS[] = {&Profile::adminKey, &Profile::signingKeyPem, &Profile::fixedToken};
    return FIELDS[i];
}

} // namespace

ProfileStore::ProfileStore(std::unique_ptr<QSettings> settings, std::unique_ptr<SecretStore> secrets)
    : m_settings(settings ? std::move(settings) : std::make_unique<QSettings>()), m_secrets(std::move(secrets))
{
}

QStringList ProfileStore::names() const
{
    QStringList out;
    m_settings->beginGroup(u"profiles"_s);
    for (const QString &g : m_settings->childGroups())
        out.append(m_settings->value(g + u"/name"_s).toString());
    m_settings->endGroup();
    out.sort(Qt::CaseInsensitive);
    return out;
}

Profile ProfileStore::profile(const QString &name) const
{
    Profile p;
    const QString g = group(name);
    if (!m_settings->contains(g + u"/name"_s))
        return p;
    p.name = name;
    p.userUrl = QUrl(m_settings->value(g + u"/userUrl"_s).toString());
    p.adminUrl = QUrl(m_settings->value(g + u"/adminUrl"_s).toString());
    p.routing = m_settings->value(g + u"/routing"_s).toString() == u"subdomain"
        ? Profile::Routing::Subdomain
        : Profile::Routing::Header;
    return p;
}

void ProfileStore::save(const Profile &p, std::function<void(QString)> done)
{
    const QString g = group(p.name);
    m_settings->setValue(g + u"/name"_s, p.name);
    m_settings->setValue(g + u"/userUrl"_s, p.userUrl.toString());
    m_settings->setValue(g + u"/adminUrl"_s, p.adminUrl.toString());
    m_settings->setValue(g + u"/routing"_s, p.routing == Profile::Routing::Subdomain ? u"subdomain"_s : u"header"_s);
    m_settings->sync();
    // Three secrets; the first error (if any) is reported once all have been written.
    auto pending = std::make_shared<int>(3);
    auto firstError = std::make_shared<QString>();
    for (int i = 0; i < 3; ++i) {
        const QString key = p.name + u'/' + QLatin1StringView(SECRETS[i]);
        const QByteArray value = p.*secretField(i);
        auto finished = [pending, firstError, done](QString error) {
            if (firstError->isEmpty())
                *firstError = error;
            if (--*pending == 0)
                done(*firstError);
        };
        m_secrets->write(key, value, finished); // an empty value means "none"
    }
}

void ProfileStore::remove(const QString &name)
{
    m_settings->remove(group(name));
    m_settings->sync();
    for (const char *secret : SECRETS)
        m_secrets->remove(name + u'/' + QLatin1StringView(secret));
}

void ProfileStore::loadSecrets(Profile p, std::function<void(Profile, QString)> done)
{
    auto profile = std::make_shared<Profile>(std::move(p));
    auto pending = std::make_shared<int>(3);
    auto firstError = std::make_shared<QString>();
    for (int i = 0; i < 3; ++i) {
        m_secrets->read(profile->name + u'/' + QLatin1StringView(SECRETS[i]),
                        [i, profile, pending, firstError, done](std::optional<QByteArray> value, QString error) {
                            if (value)
                                (*profile).*secretField(i) = *value;
                            if (firstError->isEmpty())
                                *firstError = error;
                            if (--*pending == 0)
                                done(*profile, *firstError);
                        });
    }
}

QStringList ProfileStore::manualTenants(const QString &profile) const
{
    return m_settings->value(group(profile) + u"/manualTenants"_s).toStringList();
}

void ProfileStore::setManualTenants(const QString &profile, const QStringList &tenants)
{
    m_settings->setValue(group(profile) + u"/manualTenants"_s, tenants);
    m_settings->sync();
}

} // namespace qsqld::ui
