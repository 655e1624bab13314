#pragma once

// sqld's --extensions-path: a directory holding `trusted.lst`, one "<sha256 hex> <file name>" line per SQLite
// extension. At startup every listed file is checked against its digest and test-loaded; each tenant connection
// then loads them all as it opens. Tenants still cannot call load_extension() themselves (see sandbox.h).

#include <QString>
#include <QStringList>

struct sqlite3;

namespace qsqld::sql {

// Reads <dir>/trusted.lst and checks every entry: the file exists inside `dir`, its SHA-256 matches and SQLite
// can load it. Returns the absolute paths in list order; on a problem, an empty list and `error` says which line
// and why (one line of text, without the "qsqld:" prefix).
QStringList loadTrustedExtensions(const QString &dir, QString *error);

// Loads `paths` into `db` with the C API only (the SQL function stays disabled); false and `error` on a failure.
bool loadExtensions(sqlite3 *db, const QStringList &paths, QByteArray *error);

} // namespace qsqld::sql
