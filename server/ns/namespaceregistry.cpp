#include "namespaceregistry.h"

#include "namespacename.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QFileInfo>

namespace qsqld::ns {

QString symlinkIn(const QString &nsDir)
{
    for (const QString &path : {nsDir, QString(nsDir + u"/data")}) {
        if (QFileInfo(path).isSymLink())
            return path;
    }
    return {};
}

void NamespaceRegistry::scan()
{
    m_names.clear();
    const QDir dir(m_dbsDir);
    for (const QString &entry : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (!validateName(entry.toUtf8()).isEmpty() || !QFileInfo::exists(dir.filePath(entry + u"/data")))
            continue;
        if (!symlinkIn(dir.filePath(entry)).isEmpty())
            continue; // never followed (Engine::namespaceDb refuses it too)
        m_names.insert(entry);
        // Counters carried over from the last run (sqld's stats.json fields, plus qsqld's last_activity_ms).
        QFile stats(dir.filePath(entry + u"/stats.json"));
        if (stats.open(QIODevice::ReadOnly)) {
            const QJsonObject o = QJsonDocument::fromJson(stats.read(1 << 20)).object();
            Activity a;
            a.rowsRead = static_cast<quint64>(o.value(QLatin1StringView("rows_read")).toInteger());
            a.rowsWritten = static_cast<quint64>(o.value(QLatin1StringView("rows_written")).toInteger());
            a.queryCount = static_cast<quint64>(o.value(QLatin1StringView("query_count")).toInteger());
            a.lastActivityMs = o.value(QLatin1StringView("last_activity_ms")).toInteger();
            a.framesReplicated
                = static_cast<quint64>(o.value(QLatin1StringView("embedded_replica_frames_replicated")).toInteger());
            a.writesDelegated = static_cast<quint64>(o.value(QLatin1StringView("write_requests_delegated")).toInteger());
            a.replicationRequests = static_cast<quint64>(o.value(QLatin1StringView("replication_requests")).toInteger());
            m_activity.insert(entry, a);
        }
    }
}

void NamespaceRegistry::setConfigs(QHash<QString, NamespaceConfig> configs)
{
    m_configs = std::move(configs);
    // sqld creates a namespace's folder lazily: a metastore row alone makes a namespace exist.
    for (auto it = m_configs.cbegin(); it != m_configs.cend(); ++it) {
        if (validateName(it.key().toUtf8()).isEmpty())
            m_names.insert(it.key());
    }
}

void NamespaceRegistry::setBusy(const QString &name, bool busy)
{
    if (busy)
        m_busy.insert(name);
    else
        m_busy.remove(name);
}

QStringList NamespaceRegistry::names() const
{
    QStringList list(m_names.begin(), m_names.end());
    if (!m_names.contains(QStringLiteral("default")) && QFileInfo::exists(m_dbsDir + u"/default/data"))
        list.append(QStringLiteral("default"));
    list.sort();
    return list;
}

NamespaceRegistry::Usage NamespaceRegistry::usage(const QString &name) const
{
    Usage u;
    u.name = name;
    const QString base = m_dbsDir + u'/' + name + u"/data";
    u.sizeBytes = QFileInfo(base).size() + QFileInfo(base + u"-wal").size();
    u.activity = m_activity.value(name);
    return u;
}

} // namespace qsqld::ns
