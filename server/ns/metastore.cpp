#include "metastore.h"

#include <sqlite3.h>

#include <QDir>
#include <QLoggingCategory>

namespace qsqld::ns {

using namespace Qt::StringLiterals;

namespace {

Q_LOGGING_CATEGORY(lcMetaStore, "qsqld.ns", QtInfoMsg)

// The tables as sqld creates them (libsql-server/src/namespace/meta_store.rs), so that either server can open
// the file. sqld adds its migration-job tables itself when it needs them.
constexpr const char *SCHEMA[] = {
    "PRAGMA foreign_keys = ON",
    "CREATE TABLE IF NOT EXISTS namespace_configs ("
    " namespace TEXT NOT NULL PRIMARY KEY,"
    " config BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS shared_schema_links ("
    " shared_schema_name TEXT NOT NULL,"
    " namespace TEXT NOT NULL,"
    " PRIMARY KEY (shared_schema_name, namespace),"
    " FOREIGN KEY (shared_schema_name) REFERENCES namespace_configs (namespace) ON DELETE RESTRICT ON UPDATE RESTRICT,"
    " FOREIGN KEY (namespace) REFERENCES namespace_configs (namespace) ON DELETE RESTRICT ON UPDATE RESTRICT)",
};

constexpr int BUSY_TIMEOUT_MS = 5000; // only an outside reader (a backup tool, sqlite3 shell) can hold a lock

QString describe(const db::DbError &e)
{
    return QString::fromUtf8(e.message) + u" (SQLite code "_s + QString::number(e.code) + u')';
}

// A write transaction that rolls back unless committed.
class WriteTransaction
{
public:
    explicit WriteTransaction(db::Connection &conn)
        : m_conn(conn)
    {
    }
    WriteTransaction(const WriteTransaction &) = delete;
    WriteTransaction &operator=(const WriteTransaction &) = delete;
    ~WriteTransaction()
    {
        if (m_open)
            m_conn.exec("ROLLBACK");
    }

    bool begin(db::DbError *error)
    {
        m_open = m_conn.exec("BEGIN IMMEDIATE", error);
        return m_open;
    }
    bool commit(db::DbError *error)
    {
        if (!m_conn.exec("COMMIT", error))
            return false;
        m_open = false;
        return true;
    }

private:
    db::Connection &m_conn;
    bool m_open = false;
};

} // namespace

std::unique_ptr<MetaStore> MetaStore::open(const QString &dbPath, QString *error)
{
    const QString dir = QDir(dbPath).filePath(u"metastore"_s);
    if (!QDir().mkpath(dir)) {
        *error = u"cannot create directory "_s + dir;
        return nullptr;
    }
    const QString file = QDir(dir).filePath(u"data"_s);
    db::DbError dbError;
    std::optional<db::Connection> conn = db::Connection::open(file, true, &dbError);
    if (!conn) {
        *error = u"cannot open "_s + file + u": "_s + describe(dbError);
        return nullptr;
    }
    sqlite3_busy_timeout(conn->get(), BUSY_TIMEOUT_MS);
    std::unique_ptr<MetaStore> store(new MetaStore(std::move(*conn), file));
    // page_size only takes effect on a new, empty file; it must precede the switch to WAL.
    for (const char *sql : { "PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL" }) {
        if (!store->exec(sql, error))
            return nullptr;
    }
    for (const char *sql : SCHEMA) {
        if (!store->exec(sql, error))
            return nullptr;
    }
    return store;
}

bool MetaStore::exec(const char *sql, QString *error)
{
    db::DbError e;
    if (m_conn.exec(sql, &e))
        return true;
    if (error)
        *error = m_filePath + u": "_s + describe(e);
    return false;
}

// Runs one statement with its parameters (?1, ?2, ...), stepping it to completion.
bool MetaStore::run(const char *sql, std::initializer_list<Param> params, QString *error)
{
    sqlite3_stmt *raw = nullptr;
    if (sqlite3_prepare_v2(m_conn.get(), sql, -1, &raw, nullptr) != SQLITE_OK) {
        sqlite3_finalize(raw);
        *error = m_filePath + u": "_s + describe(m_conn.lastError());
        return false;
    }
    const db::Statement stmt(raw);
    int index = 1;
    for (const Param &p : params) {
        const auto size = sqlite3_uint64(p.bytes.size());
        if (p.blob)
            sqlite3_bind_blob64(raw, index++, p.bytes.data(), size, db::transientDestructor());
        else
            sqlite3_bind_text64(raw, index++, p.bytes.data(), size, db::transientDestructor(), SQLITE_UTF8);
    }
    int rc = SQLITE_ROW;
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(raw);
    if (rc != SQLITE_DONE) {
        *error = m_filePath + u": "_s + describe(m_conn.lastError());
        return false;
    }
    return true;
}

QHash<QString, NamespaceConfig> MetaStore::loadAll(QStringList *warnings)
{
    QHash<QString, NamespaceConfig> configs;
    const auto warn = [&](const QString &text) {
        qCWarning(lcMetaStore).noquote() << text;
        if (warnings)
            warnings->append(text);
    };
    sqlite3_stmt *raw = nullptr;
    if (sqlite3_prepare_v2(m_conn.get(), "SELECT namespace, config FROM namespace_configs", -1, &raw, nullptr)
        != SQLITE_OK) {
        sqlite3_finalize(raw);
        warn(m_filePath + u": "_s + describe(m_conn.lastError()));
        return configs;
    }
    const db::Statement stmt(raw);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
        const QString ns = QString::fromUtf8(
            reinterpret_cast<const char *>(sqlite3_column_text(raw, 0)), sqlite3_column_bytes(raw, 0));
        const auto *blob = static_cast<const char *>(sqlite3_column_blob(raw, 1));
        const QByteArrayView bytes(blob, blob ? sqlite3_column_bytes(raw, 1) : 0);
        std::optional<NamespaceConfig> config = decodeProto(bytes);
        if (ns.isEmpty())
            warn(u"metastore: skipped a row with an empty namespace name"_s);
        else if (!config)
            warn(u"metastore: cannot decode the config of namespace `"_s + ns + u"` ("_s + QString::number(bytes.size())
                + u" bytes); skipped"_s);
        else
            configs.insert(ns, *std::move(config));
    }
    if (rc != SQLITE_DONE)
        warn(m_filePath + u": "_s + describe(m_conn.lastError()));
    return configs;
}

bool MetaStore::put(const QString &ns, const NamespaceConfig &config, QString *error)
{
    const QByteArray name = ns.toUtf8();
    const QByteArray blob = encodeProto(config);
    db::DbError dbError;
    WriteTransaction txn(m_conn);
    if (!txn.begin(&dbError)) {
        *error = m_filePath + u": "_s + describe(dbError);
        return false;
    }
    if (!run("INSERT INTO namespace_configs (namespace, config) VALUES (?1, ?2) "
             "ON CONFLICT (namespace) DO UPDATE SET config = excluded.config",
            { { name }, { blob, true } }, error))
        return false;
    if (config.sharedSchemaName) {
        const QByteArray schema = config.sharedSchemaName->toUtf8();
        if (!run("DELETE FROM shared_schema_links WHERE namespace = ?1", { { name } }, error)
            || !run("INSERT OR REPLACE INTO shared_schema_links (shared_schema_name, namespace) "
                    "VALUES (?1, ?2)",
                { { schema }, { name } }, error))
            return false;
    }
    if (!txn.commit(&dbError)) {
        *error = m_filePath + u": "_s + describe(dbError);
        return false;
    }
    // Like sqld: keep everything in the main file, so a copy of `data` alone is complete.
    QString ignored;
    if (!exec("PRAGMA wal_checkpoint(TRUNCATE)", &ignored))
        qCWarning(lcMetaStore).noquote() << "metastore checkpoint failed:" << ignored;
    return true;
}

bool MetaStore::remove(const QString &ns, QString *error)
{
    const QByteArray name = ns.toUtf8();
    db::DbError dbError;
    WriteTransaction txn(m_conn);
    if (!txn.begin(&dbError)) {
        *error = m_filePath + u": "_s + describe(dbError);
        return false;
    }
    if (!run("DELETE FROM shared_schema_links WHERE namespace = ?1", { { name } }, error)
        || !run("DELETE FROM namespace_configs WHERE namespace = ?1", { { name } }, error))
        return false;
    if (!txn.commit(&dbError)) {
        *error = m_filePath + u": "_s + describe(dbError);
        return false;
    }
    QString ignored;
    exec("PRAGMA wal_checkpoint(TRUNCATE)", &ignored);
    return true;
}

} // namespace qsqld::ns
