#include "extensions.h"

#include "db/sqlite.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <sqlite3.h>

#include <algorithm>
#include <cctype>

namespace qsqld::sql {

using namespace Qt::StringLiterals;

namespace {

// The file's SHA-256 in lower-case hex, or an empty array if it cannot be read.
QByteArray sha256Hex(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&f))
        return {};
    return hash.result().toHex();
}

bool isSha256Hex(const QByteArray &s)
{
    if (s.size() != 64)
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

} // namespace

bool loadExtensions(sqlite3 *db, const QStringList &paths, QByteArray *error)
{
    if (paths.isEmpty())
        return true;
    int ignored = 0;
    // The C API switch only: SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION leaves the SQL function load_extension() off.
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, &ignored);
    bool ok = true;
    for (const QString &path : paths) {
        char *message = nullptr;
        if (sqlite3_load_extension(db, QFile::encodeName(path).constData(), nullptr, &message) != SQLITE_OK) {
            *error = "cannot load extension " + QFile::encodeName(path) + ": "
                + (message ? QByteArray(message) : QByteArray(sqlite3_errmsg(db)));
            sqlite3_free(message);
            ok = false;
            break;
        }
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &ignored);
    return ok;
}

QStringList loadTrustedExtensions(const QString &dir, QString *error)
{
    const QDir root(dir);
    const QString listPath = root.absoluteFilePath(u"trusted.lst"_s);
    QFile list(listPath);
    if (!list.open(QIODevice::ReadOnly)) {
        *error = u"cannot read %1: %2"_s.arg(listPath, list.errorString());
        return {};
    }
    const QString canonicalRoot = QFileInfo(root.absolutePath()).canonicalFilePath();
    QStringList paths;
    int lineNo = 0;
    while (!list.atEnd()) {
        const QByteArray line = list.readLine(64 * 1024).trimmed();
        ++lineNo;
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const auto where = [&] { return u"%1 line %2"_s.arg(listPath).arg(lineNo); };
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() != 2) {
            *error = u"%1: expected \"<sha256> <file name>\" (a file name cannot contain spaces)"_s.arg(where());
            return {};
        }
        const QByteArray digest = fields[0].toLower();
        const QString name = QFile::decodeName(fields[1]);
        if (!isSha256Hex(digest)) {
            *error = u"%1: \"%2\" is not a SHA-256 digest (64 hex digits)"_s.arg(where(), QString::fromLatin1(fields[0]));
            return {};
        }
        // Only files of this directory: no absolute paths, no way up and out of it.
        const QString path = root.absoluteFilePath(name);
        const QString canonical = QFileInfo(path).canonicalFilePath();
        if (name.contains(u'/') || canonical.isEmpty() || QFileInfo(canonical).absolutePath() != canonicalRoot) {
            *error = canonical.isEmpty() && !name.contains(u'/')
                ? u"%1: no extension file %2"_s.arg(where(), path)
                : u"%1: \"%2\" is not a file of %3"_s.arg(where(), name, root.absolutePath());
            return {};
        }
        const QByteArray actual = sha256Hex(canonical);
        if (actual.isEmpty()) {
            *error = u"%1: cannot read %2"_s.arg(where(), path);
            return {};
        }
        if (actual != digest) {
            *error = u"%1: the SHA-256 of %2 is %3, not the listed %4"_s.arg(where(), name, QString::fromLatin1(actual),
                                                                            QString::fromLatin1(digest));
            return {};
        }
        paths.append(canonical);
    }
    // Each must load (a library that is not an SQLite extension, or needs a missing symbol, fails here, not at the
    // first request).
    db::DbError dbError;
    const std::optional<db::Connection> probe = db::Connection::open(u":memory:"_s, true, &dbError);
    if (!probe) {
        *error = u"cannot open an in-memory database to check the extensions: "_s + QString::fromUtf8(dbError.message);
        return {};
    }
    QByteArray loadError;
    if (!loadExtensions(probe->get(), paths, &loadError)) {
        *error = QString::fromUtf8(loadError);
        return {};
    }
    return paths;
}

} // namespace qsqld::sql
