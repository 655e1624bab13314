#pragma once

// Where the console keeps secrets (admin keys, signing keys, tokens): the OS keychain through QtKeychain when
// the build has it, otherwise nowhere but memory for this session. Never plain settings files.
// Asynchronous like the keychain itself; callbacks run later on the GUI thread. Thread rule: GUI thread only.

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace qsqld::ui {

class SecretStore
{
public:
    virtual ~SecretStore() = default;
    // `error` is empty on success.
    virtual void write(const QString &key, const QByteArray &value, std::function<void(QString error)> done) = 0;
    // nullopt when there is no such secret (not an error).
    virtual void read(const QString &key, std::function<void(std::optional<QByteArray>, QString error)> done) = 0;
    virtual void remove(const QString &key) = 0;
    // Shown next to secret fields: "OS keychain" or why secrets last only for this session.
    virtual QString description() const = 0;
};

// Memory only: tests, and machines without a keychain service.
class MemorySecretStore final : public SecretStore
{
public:
    explicit MemorySecretStore(QString why = QStringLiteral("kept in memory for this session only"))
        : m_why(std::move(why))
    {
    }
    void write(const QString &key, const QByteArray &value, std::function<void(QString)> done) override;
    void read(const QString &key, std::function<void(std::optional<QByteArray>, QString)> done) override;
    void remove(const QString &key) override { m_values.remove(key); }
    QString description() const override { return m_why; }

private:
    QString m_why;
    QHash<QString, QByteArray> m_values;
};

// The OS keychain (Secret Service, KWallet, macOS Keychain...) when built with QtKeychain, else memory.
std::unique_ptr<SecretStore> makeSystemSecretStore();

} // namespace qsqld::ui
