#include "sandbox.h"

#include <QByteArrayAlgorithms>
#include <QString>

#include <sqlite3.h>

#include <array>
#include <string_view>

namespace qsqld::sql {

using namespace std::string_view_literals;

namespace {

// Pragmas a tenant may never run, with or without a value.
constexpr std::array ALWAYS_REFUSED {
    std::pair{ "writable_schema"sv, "it lets SQL rewrite the schema table and corrupt the database"sv },
    std::pair{ "wal_checkpoint"sv, "checkpoints are the server's (they must not run behind the replication log)"sv },
    std::pair{ "temp_store_directory"sv, "it moves temporary files to any folder of the host"sv },
    std::pair{ "data_store_directory"sv, "it moves files to any folder of the host"sv },
};

// Pragmas a tenant may read but not set.
constexpr std::array REFUSED_WITH_VALUE {
    std::pair{ "journal_mode"sv, "every namespace stays in WAL mode (replication and readers depend on it)"sv },
    std::pair{ "wal_autocheckpoint"sv, "checkpoints are the server's (they must not run behind the replication log)"sv },
    std::pair{ "locking_mode"sv, "an exclusive lock would shut out the server's other connections"sv },
    std::pair{ "mmap_size"sv, "memory-mapped I/O is the server's setting"sv },
    std::pair{ "max_page_count"sv, "the size limit is the namespace's max_db_size (admin API)"sv },
    std::pair{ "page_size"sv, "namespaces use 4096-byte pages (replication depends on it)"sv },
    std::pair{ "synchronous"sv, "durability is the namespace's durability_mode (admin API)"sv },
    std::pair{ "soft_heap_limit"sv, "it changes a limit of the whole server"sv },
    std::pair{ "hard_heap_limit"sv, "it changes a limit of the whole server"sv },
    std::pair{ "threads"sv, "it changes a limit of the whole server"sv },
    std::pair{ "schema_version"sv, "setting it corrupts the database"sv },
    std::pair{ "trusted_schema"sv, "it is the server's setting"sv },
    std::pair{ "cell_size_check"sv, "it is the server's setting"sv },
};

constexpr std::array REFUSED_FUNCTIONS { "load_extension"sv, "fts3_tokenizer"sv };

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return qstrnicmp(a.data(), qsizetype(a.size()), b.data(), qsizetype(b.size())) == 0;
}

} // namespace

QByteArray Sandbox::check(int action, const char *arg1, const char *arg2, const QByteArray &attachFile)
{
    const std::string_view a1 = arg1 ? std::string_view(arg1) : std::string_view();
    switch (action) {
    case SQLITE_PRAGMA:
        for (const auto &[name, why] : ALWAYS_REFUSED) {
            if (equalsIgnoreCase(a1, name))
                return "PRAGMA " + QByteArray(name.data(), qsizetype(name.size())) + " is not allowed: "
                    + QByteArray(why.data(), qsizetype(why.size()));
        }
        if (arg2) {
            for (const auto &[name, why] : REFUSED_WITH_VALUE) {
                if (equalsIgnoreCase(a1, name))
                    return "PRAGMA " + QByteArray(name.data(), qsizetype(name.size())) + " cannot be set: "
                        + QByteArray(why.data(), qsizetype(why.size()));
            }
        }
        return {};
    case SQLITE_ATTACH:
        if (!attachFile.isEmpty() && a1 == std::string_view(attachFile.constData(), size_t(attachFile.size())))
            return {};
        return "ATTACH takes a namespace name (ATTACH <namespace> AS <alias>), never a file";
    case SQLITE_FUNCTION: {
        const std::string_view fn = arg2 ? std::string_view(arg2) : std::string_view();
        for (const auto name : REFUSED_FUNCTIONS) {
            if (equalsIgnoreCase(fn, name))
                return QByteArray(name.data(), qsizetype(name.size())) + "() is not allowed";
        }
        return {};
    }
    default:
        return {};
    }
}

int Sandbox::authorize(void *self, int action, const char *arg1, const char *arg2, const char *, const char *)
{
    auto *s = static_cast<Sandbox *>(self);
    if (!s->m_user)
        return SQLITE_OK;
    QByteArray why = check(action, arg1, arg2, s->m_attachFile);
    if (why.isEmpty())
        return SQLITE_OK;
    if (s->m_refusal.isEmpty())
        s->m_refusal = std::move(why);
    return SQLITE_DENY;
}

void Sandbox::install(sqlite3 *db)
{
    sqlite3_set_authorizer(db, &Sandbox::authorize, this);
    int ignored = 0;
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &ignored);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &ignored);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, &ignored);
    // At most a few attached namespaces, and statements no longer than a request body can carry anyway.
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 10);
    sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 32 * 1024 * 1024);
}

Sandbox::UserScope::UserScope(Sandbox &s, QByteArray attachFile) : m_s(s)
{
    m_s.m_user = true;
    m_s.m_attachFile = std::move(attachFile);
    m_s.m_refusal.clear();
}

Sandbox::UserScope::~UserScope()
{
    m_s.m_user = false;
    m_s.m_attachFile.clear();
}

} // namespace qsqld::sql
