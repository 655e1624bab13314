#include "tokencommands.h"

#include "auth/keyset.h"
#include "auth/tokens.h"

#include <cstdio>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QMap>

using namespace Qt::StringLiterals;

namespace qsqld::app {

namespace {

const char *const KEYGEN_HELP = R"(Usage: qsqld keygen --out DIR [--force]

Creates an Ed25519 key pair for JWT authentication:
  DIR/jwt_private.pem  PKCS#8 private key (mode 0600): signs tokens; keep it secret
  DIR/jwt_public.pem   public key for --auth-jwt-key-file (sqld accepts it too)
  DIR/jwt_public.b64   the same public key in sqld's raw base64url form (SQLD_AUTH_JWT_KEY)
Existing files are not overwritten unless --force is given.)";

const char *const TOKEN_HELP = R"(Usage:
  qsqld token mint --key PRIVATE.pem [--ns NAMESPACE] [--access rw|ro|roa] [--expires 30d]
      Prints a JWT that qsqld and sqld accept. Without --ns the token is valid for every namespace;
      without --expires it never expires. Durations: 3600, 90m, 12h, 30d, 2w.
  qsqld token inspect TOKEN|- [--key PUBLIC_KEY_FILE] [--ns NAMESPACE]
      Decodes a token and explains whether the server would accept it: format, algorithm, signature
      (with --key), expiry, audience, namespace scope and rights. Exit code 0 if accepted (or, without
      --key, if nothing but the signature is left unchecked), 1 if rejected.)";

void out(const QString &text)
{
    std::fprintf(stdout, "%s\n", text.toUtf8().constData());
}

int fail(const QString &text)
{
    std::fprintf(stderr, "qsqld: %s\n", text.toUtf8().constData());
    return 1;
}

// --name value / --name=value options after `first`; positional arguments go to `positional`.
bool parseOptions(const QStringList &args, qsizetype first, const QStringList &withValue, const QStringList &switches,
                  QMap<QString, QString> *options, QStringList *positional, QString *error)
{
    for (qsizetype i = first; i < args.size(); ++i) {
        const QString &a = args[i];
        if (!a.startsWith(u"--") || a == u"-") {
            positional->append(a);
            continue;
        }
        QString name = a.mid(2);
        QString value;
        const qsizetype eq = name.indexOf(u'=');
        if (eq >= 0) {
            value = name.mid(eq + 1);
            name.truncate(eq);
        }
        if (switches.contains(name)) {
            options->insert(name, u"1"_s);
        } else if (withValue.contains(name)) {
            if (eq < 0) {
                if (i + 1 >= args.size()) {
                    *error = u"--%1 needs a value"_s.arg(name);
                    return false;
                }
                value = args[++i];
            }
            options->insert(name, value);
        } else {
            *error = u"unknown option --%1 (see --help)"_s.arg(name);
            return false;
        }
    }
    return true;
}

bool writeFile(const QString &path, const QByteArray &data, bool secret, bool force, QString *error)
{
    QFile f(path);
    if (f.exists() && !force) {
        *error = path + u" exists (use --force to replace it)"_s;
        return false;
    }
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = u"cannot write %1: %2"_s.arg(path, f.errorString());
        return false;
    }
    if (secret)
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (f.write(data) != data.size()) {
        *error = u"cannot write %1: %2"_s.arg(path, f.errorString());
        return false;
    }
    return true;
}

int keygen(const QStringList &args)
{
    QMap<QString, QString> opt;
    QStringList positional;
    QString error;
    if (!parseOptions(args, 2, {u"out"_s}, {u"force"_s, u"help"_s}, &opt, &positional, &error))
        return fail(error);
    if (opt.contains(u"help"_s)) {
        out(QString::fromUtf8(KEYGEN_HELP));
        return 0;
    }
    if (!opt.contains(u"out"_s) || !positional.isEmpty())
        return fail(u"usage: qsqld keygen --out DIR (see qsqld keygen --help)"_s);
    const QString dir = opt.value(u"out"_s);
    if (!QDir().mkpath(dir))
        return fail(u"cannot create the folder "_s + dir);
    const auth::KeyPair pair = auth::generateKeyPair();
    if (!pair.isValid())
        return fail(u"OpenSSL could not generate an Ed25519 key"_s);
    const bool force = opt.contains(u"force"_s);
    const QString priv = QDir(dir).filePath(u"jwt_private.pem"_s);
    const QString pub = QDir(dir).filePath(u"jwt_public.pem"_s);
    const QString raw = QDir(dir).filePath(u"jwt_public.b64"_s);
    if (!force) {
        for (const QString &p : {priv, pub, raw}) {
            if (QFile::exists(p))
                return fail(p + u" exists (use --force to replace it)"_s);
        }
    }
    if (!writeFile(priv, pair.privateKeyPem, true, force, &error) || !writeFile(pub, pair.publicKeyPem, false, force, &error)
        || !writeFile(raw, pair.publicKeyRaw + '\n', false, force, &error))
        return fail(error);
    out(u"Wrote %1 (secret: signs tokens), %2 and %3."_s.arg(priv, pub, raw));
    out(u"Start the server with:   qsqld --auth-jwt-key-file %1"_s.arg(pub));
    out(u"or set:                  SQLD_AUTH_JWT_KEY=%1"_s.arg(QString::fromLatin1(pair.publicKeyRaw)));
    out(u"Mint a token with:       qsqld token mint --key %1 --ns <namespace> --access rw --expires 30d"_s.arg(priv));
    return 0;
}

int mint(const QStringList &args)
{
    QMap<QString, QString> opt;
    QStringList positional;
    QString error;
    if (!parseOptions(args, 3, {u"key"_s, u"ns"_s, u"access"_s, u"expires"_s}, {u"help"_s}, &opt, &positional,
                      &error))
        return fail(error);
    if (opt.contains(u"help"_s)) {
        out(QString::fromUtf8(TOKEN_HELP));
        return 0;
    }
    if (!opt.contains(u"key"_s) || !positional.isEmpty())
        return fail(u"usage: qsqld token mint --key PRIVATE.pem [--ns NS] [--access rw|ro|roa] [--expires 30d]"_s);
    QFile keyFile(opt.value(u"key"_s));
    if (!keyFile.open(QIODevice::ReadOnly))
        return fail(u"cannot read %1: %2"_s.arg(keyFile.fileName(), keyFile.errorString()));
    auth::TokenRequest req;
    if (opt.contains(u"ns"_s))
        req.ns = opt.value(u"ns"_s);
    const QString access = opt.value(u"access"_s, u"rw"_s);
    if (access == u"rw")
        req.access = auth::Permissions::Access::ReadWrite;
    else if (access == u"ro")
        req.access = auth::Permissions::Access::ReadOnly;
    else if (access == u"roa")
        req.access = auth::Permissions::Access::ReadAttach;
    else
        return fail(u"--access must be rw, ro or roa (got '%1')"_s.arg(access));
    if (opt.contains(u"expires"_s)) {
        const auto seconds = auth::parseDuration(opt.value(u"expires"_s));
        if (!seconds)
            return fail(u"--expires: cannot read '%1' as a duration (3600, 90m, 12h, 30d, 2w)"_s.arg(
                opt.value(u"expires"_s)));
        req.expiresInSeconds = *seconds;
    }
    auto token = auth::mintToken(keyFile.readAll(), req);
    if (auto *e = std::get_if<QString>(&token))
        return fail(*e);
    out(QString::fromLatin1(std::get<QByteArray>(token)));
    return 0;
}

int inspect(const QStringList &args)
{
    QMap<QString, QString> opt;
    QStringList positional;
    QString error;
    if (!parseOptions(args, 3, {u"key"_s, u"ns"_s}, {u"help"_s}, &opt, &positional, &error))
        return fail(error);
    if (opt.contains(u"help"_s)) {
        out(QString::fromUtf8(TOKEN_HELP));
        return 0;
    }
    if (positional.size() != 1)
        return fail(u"usage: qsqld token inspect TOKEN|- [--key PUBLIC_KEY_FILE] [--ns NAMESPACE]"_s);
    QByteArray token = positional.first().toUtf8();
    if (token == "-") {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return fail(u"cannot read the token from standard input"_s);
        token = in.readAll().trimmed();
    }
    std::optional<auth::KeySet> keys;
    if (opt.contains(u"key"_s)) {
        QFile keyFile(opt.value(u"key"_s));
        if (!keyFile.open(QIODevice::ReadOnly))
            return fail(u"cannot read %1: %2"_s.arg(keyFile.fileName(), keyFile.errorString()));
        auto parsed = auth::KeySet::parse(keyFile.readAll());
        if (auto *e = std::get_if<QString>(&parsed))
            return fail(opt.value(u"key"_s) + u": "_s + *e);
        keys = std::get<auth::KeySet>(std::move(parsed));
    }
    const auto result = auth::inspectToken(token, keys ? &*keys : nullptr, QDateTime::currentSecsSinceEpoch(),
                                           opt.value(u"ns"_s), qEnvironmentVariable("LIBSQL_GID"));
    if (!result.header.isEmpty())
        out(u"Header:\n"_s + QString::fromUtf8(result.header));
    if (!result.claims.isEmpty())
        out(u"Claims:\n"_s + QString::fromUtf8(result.claims));
    out(u"Checks:"_s);
    for (const auth::TokenCheck &c : result.checks) {
        const char *mark = c.status == auth::TokenCheck::Status::Pass      ? "ok  "
            : c.status == auth::TokenCheck::Status::Fail                   ? "FAIL"
            : c.status == auth::TokenCheck::Status::Warning                ? "warn"
                                                                           : "info";
        out(u"  [%1] %2: %3"_s.arg(QString::fromLatin1(mark), c.name, c.detail));
    }
    out(result.summary());
    const bool rejected = result.error.has_value() || (result.canReadNamespace && !*result.canReadNamespace);
    return rejected ? 1 : 0;
}

} // namespace

bool isToolCommand(const QStringList &args)
{
    return args.size() >= 2 && (args[1] == u"keygen" || args[1] == u"token");
}

int runToolCommand(const QStringList &args)
{
    if (args[1] == u"keygen")
        return keygen(args);
    const QString sub = args.value(2);
    if (sub == u"mint")
        return mint(args);
    if (sub == u"inspect")
        return inspect(args);
    if (sub == u"--help" || sub == u"-h" || sub.isEmpty()) {
        out(QString::fromUtf8(TOKEN_HELP));
        return sub.isEmpty() ? 1 : 0;
    }
    return fail(u"unknown command 'token %1' (use mint or inspect)"_s.arg(sub));
}

} // namespace qsqld::app
