#include "namespaceregistry.h"

#include "namespacename.h"

#include <QDir>
#include <QFileInfo>

namespace qsqld::ns {

void NamespaceRegistry::scan()
{
    m_names.clear();
    const QDir dir(m_dbsDir);
    for (const QString &entry : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (validateName(entry.toUtf8()).isEmpty() && QFileInfo::exists(dir.filePath(entry + u"/data")))
            m_names.insert(entry);
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
    return u;
}

} // namespace qsqld::ns
