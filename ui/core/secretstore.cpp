#include "secretstore.h"

#include <QTimer>

#ifdef QSQLD_HAVE_KEYCHAIN
#include <qt6keychain/keychain.h>
#endif

namespace qsqld::ui {

namespace {

const QString SERVICE = QStringLiteral("qsqld-console");

// Callbacks never run inside the call (as with the keychain's own jobs).
void later(std::function<void()> f)
{
    QTimer::singleShot(0, [f = std::move(f)] { f(); });
}

#ifdef QSQLD_HAVE_KEYCHAIN
class KeychainSecretStore final : public SecretStore
{
public:
    void write(const QString &key, const QByteArray &value, std::function<void(QString)> done) override
    {
        auto *job = new QKeychain::WritePasswordJob(SERVICE);
        job->setAutoDelete(true);
        job->setKey(key);
        job->setBinaryData(value);
        QObject::connect(job, &QKeychain::Job::finished, [done = std::move(done)](QKeychain::Job *j) {
            done(j->error() == QKeychain::NoError ? QString() : j->errorString());
        });
        job->start();
    }
    void read(const QString &key, std::function<void(std::optional<QByteArray>, QString)> done) override
    {
        auto *job = new QKeychain::ReadPasswordJob(SERVICE);
        job->setAutoDelete(true);
        job->setKey(key);
        QObject::connect(job, &QKeychain::Job::finished, [done = std::move(done)](QKeychain::Job *j) {
            auto *read = static_cast<QKeychain::ReadPasswordJob *>(j);
            if (j->error() == QKeychain::EntryNotFound)
                return done(std::nullopt, QString());
            if (j->error() != QKeychain::NoError)
                return done(std::nullopt, j->errorString());
            done(read->binaryData(), QString());
        });
        job->start();
    }
    void remove(const QString &key) override
    {
        auto *job = new QKeychain::DeletePasswordJob(SERVICE);
        job->setAutoDelete(true);
        job->setKey(key);
        job->start();
    }
    QString description() const override { return QStringLiteral("stored in the OS keychain"); }
};
#endif

} // namespace

void MemorySecretStore::write(const QString &key, const QByteArray &value, std::function<void(QString)> done)
{
    m_values.insert(key, value);
    later([done = std::move(done)] { done(QString()); });
}

void MemorySecretStore::read(const QString &key, std::function<void(std::optional<QByteArray>, QString)> done)
{
    const auto it = m_values.constFind(key);
    const std::optional<QByteArray> value = it == m_values.cend() ? std::nullopt : std::optional<QByteArray>(*it);
    later([value, done = std::move(done)] { done(value, QString()); });
}

std::unique_ptr<SecretStore> makeSystemSecretStore()
{
#ifdef QSQLD_HAVE_KEYCHAIN
    return std::make_unique<KeychainSecretStore>(); // its errors (no keychain service) reach the user
#else
    return std::make_unique<MemorySecretStore>(
        QStringLiteral("kept in memory for this session only: this build has no keychain support"));
#endif
}

} // namespace qsqld::ui
