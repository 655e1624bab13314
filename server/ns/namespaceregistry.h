#pragma once

// Which namespaces exist, as the I/O thread sees it. Loaded from <db-path>/dbs/*/data at start (the layout
// sqld uses, so an existing sqld volume is picked up), and kept current by the admin API.
// Thread rule: I/O thread only.

#include "namespaceconfig.h"

#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

namespace qsqld::ns {

// qsqld serves only files inside --db-path: the path of a namespace folder `nsDir`, or of its database file, that
// is a symbolic link (never followed); empty when neither is. Any thread.
QString symlinkIn(const QString &nsDir);

class NamespaceRegistry
{
public:
    explicit NamespaceRegistry(QString dbsDir) : m_dbsDir(std::move(dbsDir)) { }

    void scan();
    bool exists(const QString &name) const { return name == u"default" || m_names.contains(name); }
    bool busy(const QString &name) const { return m_busy.contains(name); } // being created or deleted
    void setBusy(const QString &name, bool busy);
    void add(const QString &name) { m_names.insert(name); }
    void remove(const QString &name)
    {
        m_names.remove(name);
        m_activity.remove(name);
        m_configs.remove(name);
    }
    QStringList names() const; // sorted; includes default when it has a database file

    struct Activity
    {
        quint64 rowsRead = 0;
        quint64 rowsWritten = 0;
        quint64 queryCount = 0;
        qint64 lastActivityMs = 0; // 0 = never (since qsqld or sqld started counting)
        quint64 framesReplicated = 0;
        quint64 writesDelegated = 0;
        quint64 replicationRequests = 0;
    };
    struct Usage
    {
        QString name;
        qint64 sizeBytes = 0; // data + data-wal on disk
        Activity activity;
    };
    Usage usage(const QString &name) const;
    void setActivity(const QString &name, const Activity &a) { m_activity.insert(name, a); }

    // Configurations from the metastore. A namespace without a row (`default`, or an sqld volume's lazily
    // created one) has sqld's default configuration.
    void setConfigs(QHash<QString, NamespaceConfig> configs);
    NamespaceConfig config(const QString &name) const { return m_configs.value(name, NamespaceConfig()); }
    void setConfig(const QString &name, const NamespaceConfig &c) { m_configs.insert(name, c); }
    const QHash<QString, NamespaceConfig> &configs() const { return m_configs; }
    QString dbsDir() const { return m_dbsDir; }

private:
    QString m_dbsDir;
    QSet<QString> m_names;
    QSet<QString> m_busy;
    QHash<QString, Activity> m_activity; // from stats.json at scan, then from the workers
    QHash<QString, NamespaceConfig> m_configs;
};

} // namespace qsqld::ns
