#pragma once

// Defence in depth for tenant connections. The statement analyzer refuses, as sqld does, what a tenant may not
// run; this SQLite authorizer refuses the same dangerous operations again inside SQLite, whatever path a statement
// took to get there (a statement the analyzer misread, a table-valued pragma, a trigger or view): no ATTACH of a
// file (only the read-only namespace attach the executor itself writes), no load_extension, no pragma that would
// change the journal, checkpoint behind the replication log's back, map memory, move temporary files, raise the
// size limit or touch process-wide settings. The server's own statements (configuration, checkpoints, stats) are
// prepared outside a user scope and pass.

#include <QByteArray>

struct sqlite3;

namespace qsqld::sql {

class Sandbox
{
public:
    Sandbox() = default;
    Sandbox(const Sandbox &) = delete;
    Sandbox &operator=(const Sandbox &) = delete;

    // Installs the authorizer (bound to this object, which must outlive `db`'s use of it), the defensive
    // configuration (SQLITE_DBCONFIG_DEFENSIVE, extension loading off) and the connection's limits.
    void install(sqlite3 *db);

    // While a scope lives, statements prepared on the connection are a tenant's. `attachFile` is the one ATTACH
    // target allowed in it (the executor's rewrite of `ATTACH <namespace>`), empty for none.
    class UserScope
    {
    public:
        explicit UserScope(Sandbox &s, QByteArray attachFile = {});
        ~UserScope();
        UserScope(const UserScope &) = delete;
        UserScope &operator=(const UserScope &) = delete;

    private:
        Sandbox &m_s;
    };

    // Why the last statement prepared in a user scope was refused; empty if it was not.
    const QByteArray &refusal() const { return m_refusal; }

    // The policy alone (for tests): empty if `action` with these arguments is allowed for a tenant, else why not.
    static QByteArray check(int action, const char *arg1, const char *arg2, const QByteArray &attachFile);

private:
    static int authorize(void *self, int action, const char *arg1, const char *arg2, const char *db, const char *trigger);

    bool m_user = false;
    QByteArray m_attachFile;
    QByteArray m_refusal;
};

} // namespace qsqld::sql
