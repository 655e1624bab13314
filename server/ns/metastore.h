#pragma once

// The namespace metastore, <db-path>/metastore/data: a SQLite database in WAL mode with sqld's tables
// namespace_configs(namespace, config = protobuf metadata.DatabaseConfig) and shared_schema_links, so that qsqld
// can open an sqld volume and sqld can open one qsqld wrote. Owns one connection; writes are durable
// (synchronous=FULL) and checkpointed at once, as sqld does.
// Thread rule: not thread-safe. One thread at a time; the caller serialises every call (including destruction).

#include <memory>

#include <QHash>
#include <QString>
#include <QStringList>

#include "db/sqlite.h"
#include "ns/namespaceconfig.h"

namespace qsqld::ns {

class MetaStore
{
public:
    // Creates <dbPath>/metastore/ and the database and tables when missing (page size 4096). nullptr and *error
    // when the directory or database cannot be opened or is not a SQLite database.
    static std::unique_ptr<MetaStore> open(const QString &dbPath, QString *error);

    MetaStore(const MetaStore &) = delete;
    MetaStore &operator=(const MetaStore &) = delete;

    // Every namespace with a row. Rows whose config does not decode are left out and described in *warnings
    // (sqld skips them the same way); so is a failing query, which yields an empty hash.
    QHash<QString, NamespaceConfig> loadAll(QStringList *warnings = nullptr);

    // Inserts or replaces the row of `ns`. With config.sharedSchemaName set, also records the link in
    // shared_schema_links (the shared-schema namespace must have a row: the table has foreign keys).
    bool put(const QString &ns, const NamespaceConfig &config, QString *error);

    // Deletes the row of `ns` and its shared-schema link. Succeeds when there was no row. Fails while other
    // namespaces link to `ns` as their shared schema.
    bool remove(const QString &ns, QString *error);

    QString filePath() const { return m_filePath; }

private:
    MetaStore(db::Connection conn, QString filePath)
        : m_conn(std::move(conn))
        , m_filePath(std::move(filePath))
    {
    }

    struct Param
    {
        QByteArrayView bytes;
        bool blob = false; // else UTF-8 text
    };
    bool exec(const char *sql, QString *error);
    bool run(const char *sql, std::initializer_list<Param> params, QString *error);

    db::Connection m_conn;
    QString m_filePath;
};

} // namespace qsqld::ns
