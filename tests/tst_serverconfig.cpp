#include <algorithm>

#include <QProcessEnvironment>
#include <QTest>
#include <QThread>

#include "runtime/serverconfig.h"

using namespace Qt::StringLiterals;
using qsqld::runtime::FlagSpec;
using qsqld::runtime::FlagStatus;
using qsqld::runtime::ParseOutcome;
using qsqld::runtime::ServerConfig;

namespace {

using Kind = ParseOutcome::Kind;

#ifdef QSQLD_VERSION
const QString EXPECTED_VERSION = u"qsqld "_s + QLatin1StringView(QSQLD_VERSION);
#else
const QString EXPECTED_VERSION = u"qsqld 0.1.0"_s;
#endif

// env: "NAME=value" items. The real process environment is never consulted.
ParseOutcome parse(const QStringList &flags, const QStringList &env = {})
{
    QProcessEnvironment environment;
    for (const QString &item : env) {
        const qsizetype eq = item.indexOf(u'=');
        environment.insert(item.left(eq), item.mid(eq + 1));
    }
    return qsqld::runtime::parseCommandLine(QStringList { u"qsqld"_s } + flags, environment);
}

// One ServerConfig field rendered as text, so that one data table can cover fields of every type.
QString field(const ServerConfig &c, const QString &name)
{
    if (name == u"dbPath")
        return c.dbPath;
    if (name == u"httpListen")
        return c.httpListen.text;
    if (name == u"adminListen")
        return c.adminListen ? c.adminListen->text : u"<none>"_s;
    if (name == u"enableNamespaces")
        return c.enableNamespaces ? u"true"_s : u"false"_s;
    if (name == u"disableDefaultNamespace")
        return c.disableDefaultNamespace ? u"true"_s : u"false"_s;
    if (name == u"disableMetrics")
        return c.disableMetrics ? u"true"_s : u"false"_s;
    if (name == u"disableReplicationLog")
        return c.disableReplicationLog ? u"true"_s : u"false"_s;
    if (name == u"httpSelfUrl")
        return c.httpSelfUrl;
    if (name == u"maxResponseSize")
        return QString::number(c.maxResponseSize);
    if (name == u"maxTotalResponseSize")
        return QString::number(c.maxTotalResponseSize);
    if (name == u"maxConcurrentConnections")
        return QString::number(c.maxConcurrentConnections);
    if (name == u"maxConcurrentRequests")
        return QString::number(c.maxConcurrentRequests);
    if (name == u"connectionCreationTimeoutS")
        return QString::number(c.connectionCreationTimeoutS);
    if (name == u"shutdownTimeoutS")
        return QString::number(c.shutdownTimeoutS);
    if (name == u"checkpointIntervalS")
        return c.checkpointIntervalS ? QString::number(*c.checkpointIntervalS) : u"<none>"_s;
    if (name == u"workerThreads")
        return QString::number(c.workerThreads);
    if (name == u"maxRequestBodySize")
        return QString::number(c.maxRequestBodySize);
    if (name == u"statementTimeoutS")
        return QString::number(c.statementTimeoutS);
    if (name == u"streamExpiryS")
        return QString::number(c.streamExpiryS);
    if (name == u"headerTimeoutS")
        return QString::number(c.headerTimeoutS);
    if (name == u"idleConnectionTimeoutS")
        return QString::number(c.idleConnectionTimeoutS);
    if (name == u"logLevel")
        return c.logLevel;
    if (name == u"maxLogSizeMb")
        return QString::number(c.maxLogSizeMb);
    if (name == u"maxLogDurationS")
        return c.maxLogDurationS ? QString::number(*c.maxLogDurationS) : u"<none>"_s;
    if (name == u"snapshotExec")
        return c.snapshotExec;
    const auto optional = [](std::optional<int> v) { return v ? QString::number(*v) : u"<none>"_s; };
    if (name == u"softHeapLimitMb")
        return optional(c.softHeapLimitMb);
    if (name == u"pageCacheKib")
        return QString::number(c.pageCacheKib);
    if (name == u"maxActiveNamespaces")
        return QString::number(c.maxActiveNamespaces);
    if (name == u"hardHeapLimitMb")
        return optional(c.hardHeapLimitMb);
    if (name == u"idleShutdownTimeoutS")
        return optional(c.idleShutdownTimeoutS);
    if (name == u"initialIdleShutdownTimeoutS")
        return optional(c.initialIdleShutdownTimeoutS);
    if (name == u"heartbeatUrl")
        return c.heartbeatUrl;
    if (name == u"heartbeatAuth")
        return c.heartbeatAuth;
    if (name == u"heartbeatPeriodS")
        return QString::number(c.heartbeatPeriodS);
    if (name == u"adminAuthKey")
        return c.adminAuthKey;
    if (name == u"authJwtKeyFile")
        return c.authJwtKeyFile;
    if (name == u"authJwtKey")
        return c.authJwtKey;
    if (name == u"httpAuth")
        return c.httpAuth;
    qFatal("unknown field");
}

struct Unsupported
{
    QString name;
    QString env;
    bool outOfScope;
    bool isSwitch;
};

// Written out from the spec's section 14 (and sqld's --help), independently of the flag table.
const QList<Unsupported> UNSUPPORTED = {
    { u"enable-http-console"_s, {}, false, true },
    { u"http-primary-url"_s, u"SQLD_HTTP_PRIMARY_URL"_s, true, false },
    { u"encryption-key"_s, u"SQLD_ENCRYPTION_KEY"_s, true, false },
    { u"grpc-listen-addr"_s, u"SQLD_GRPC_LISTEN_ADDR"_s, true, false },
    { u"grpc-tls"_s, {}, true, true },
    { u"grpc-cert-file"_s, {}, true, false },
    { u"grpc-key-file"_s, {}, true, false },
    { u"grpc-ca-cert-file"_s, {}, true, false },
    { u"primary-grpc-url"_s, u"SQLD_PRIMARY_GRPC_URL"_s, true, false },
    { u"primary-grpc-tls"_s, {}, true, true },
    { u"primary-grpc-cert-file"_s, {}, true, false },
    { u"primary-grpc-key-file"_s, {}, true, false },
    { u"primary-grpc-ca-cert-file"_s, {}, true, false },
    { u"enable-bottomless-replication"_s, u"SQLD_ENABLE_BOTTOMLESS_REPLICATION"_s, true, true },
    { u"backup-meta-store"_s, u"SQLD_BACKUP_META_STORE"_s, true, true },
    { u"meta-store-access-key-id"_s, u"SQLD_META_STORE_ACCESS_KEY_ID"_s, true, false },
    { u"meta-store-secret-access-key"_s, u"SQLD_META_STORE_SECRET_ACCESS"_s, true, false },
    { u"meta-store-session-token"_s, u"SQLD_META_STORE_SESSION_TOKEN"_s, true, false },
    { u"meta-store-region"_s, u"SQLD_META_STORE_REGION"_s, true, false },
    { u"meta-store-backup-id"_s, u"SQLD_META_STORE_BACKUP_ID"_s, true, false },
    { u"meta-store-bucket-name"_s, u"SQLD_META_STORE_BUCKET_NAME"_s, true, false },
    { u"meta-store-backup-interval-s"_s, u"SQLD_META_STORE_BACKUP_INTERVAL_S"_s, true, false },
    { u"meta-store-bucket-endpoint"_s, u"SQLD_META_STORE_BUCKET_ENDPOINT"_s, true, false },
    { u"sync-from-storage"_s, u"LIBSQL_SYNC_FROM_STORAGE"_s, true, true },
    { u"sync-conccurency"_s, u"LIBSQL_SYNC_CONCCURENCY"_s, true, false },
    { u"migrate-bottomless"_s, u"LIBSQL_MIGRATE_BOTTOMLESS"_s, true, true },
    { u"storage-server-address"_s, u"LIBSQL_STORAGE_SERVER_ADDR"_s, true, false },
    { u"use-libsql-wal"_s, {}, true, true },
};

const QStringList IGNORED = { u"no-welcome"_s, u"enable-deadlock-monitor"_s, u"disable-intelligent-throttling"_s,
    u"force-load-wals"_s, u"allow-metastore-recovery"_s, u"meta-store-destroy-on-error"_s };

const QStringList SUPPORTED = { u"db-path"_s, u"http-listen-addr"_s, u"admin-listen-addr"_s, u"enable-namespaces"_s,
    u"disable-default-namespace"_s, u"http-self-url"_s, u"max-response-size"_s, u"max-total-response-size"_s,
    u"max-concurrent-connections"_s, u"max-concurrent-requests"_s, u"connection-creation-timeout-sec"_s,
    u"shutdown-timeout"_s, u"checkpoint-interval-s"_s, u"disable-metrics"_s, u"worker-threads"_s,
    u"max-request-body-size"_s, u"statement-timeout-s"_s, u"stream-expiry-s"_s, u"header-timeout-s"_s,
    u"idle-connection-timeout-s"_s, u"log-level"_s, u"admin-auth-key"_s, u"auth-jwt-key-file"_s, u"http-auth"_s,
    u"hrana-listen-addr"_s, u"max-log-size"_s, u"max-log-duration"_s, u"snapshot-exec"_s,
    u"snapshot-at-shutdown"_s, u"disable-replication-log"_s, u"soft-heap-limit-mb"_s, u"hard-heap-limit-mb"_s,
    u"idle-shutdown-timeout-s"_s, u"initial-idle-shutdown-timeout-s"_s, u"heartbeat-url"_s, u"heartbeat-auth"_s,
    u"heartbeat-period-s"_s, u"max-active-namespaces"_s, u"page-cache-kib"_s,
    u"extensions-path"_s };

QString unsupportedTail(bool outOfScope)
{
    return outOfScope ? u"is not supported by qsqld"_s : u"is not supported by this qsqld build yet"_s;
}

} // namespace

class TestServerConfig : public QObject
{
    Q_OBJECT

private slots:
    void defaults();
    void effectiveWorkerThreads();
    void tableMatchesSpec();

    void valueViaFlag_data() { valueRows(); }
    void valueViaFlag();
    void valueViaEquals_data() { valueRows(); }
    void valueViaEquals();
    void valueViaEnv_data() { valueRows(); }
    void valueViaEnv();
    void valueFlagOverEnv_data() { valueRows(); }
    void valueFlagOverEnv();

    void switches_data();
    void switches();

    void shortForms_data();
    void shortForms();
    void lastOccurrenceWins();
    void extensionsPath();

    void logLevel_data();
    void logLevel();

    void unsupportedFlag_data();
    void unsupportedFlag();
    void unsupportedEnv_data();
    void unsupportedEnv();
    void unsupportedSwitchOffIsAccepted_data();
    void unsupportedSwitchOffIsAccepted();

    void ignoredFlags_data();
    void ignoredFlags();

    void errors_data();
    void errors();
    void emptyEnvironmentIsUnset();

    void help_data();
    void help();
    void helpListsEveryFlag();
    void version_data();
    void version();

    void byteSize_data();
    void byteSize();
    void listenAddress_data();
    void listenAddress();
    void authSettings();

private:
    void valueRows();
};

void TestServerConfig::defaults()
{
    const ParseOutcome out = parse({});
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(out.text, QString());
    const ServerConfig &c = out.config;
    QCOMPARE(c.dbPath, u"data.sqld"_s);
    QCOMPARE(c.httpListen.host, QHostAddress(u"127.0.0.1"_s));
    QCOMPARE(c.httpListen.port, quint16(8080));
    QCOMPARE(c.httpListen.text, u"127.0.0.1:8080"_s);
    QVERIFY(!c.adminListen);
    QCOMPARE(c.enableNamespaces, false);
    QCOMPARE(c.disableDefaultNamespace, false);
    QCOMPARE(c.httpSelfUrl, QString());
    QCOMPARE(c.maxResponseSize, 10'000'000);
    QCOMPARE(c.maxTotalResponseSize, 32'000'000);
    QCOMPARE(c.maxConcurrentConnections, 128);
    QCOMPARE(c.maxConcurrentRequests, 128);
    QCOMPARE(c.connectionCreationTimeoutS, 1.0);
    QCOMPARE(c.shutdownTimeoutS, 30);
    QVERIFY(!c.checkpointIntervalS);
    QCOMPARE(c.disableMetrics, false);
    QCOMPARE(c.workerThreads, 0);
    QCOMPARE(c.maxRequestBodySize, 33'554'432);
    QCOMPARE(c.statementTimeoutS, 30.0);
    QCOMPARE(c.streamExpiryS, 10.0);
    QCOMPARE(c.headerTimeoutS, 10.0);
    QCOMPARE(c.idleConnectionTimeoutS, 60.0);
    QCOMPARE(c.logLevel, u"info"_s);
    QCOMPARE(c.maxLogSizeMb, 200);
    QVERIFY(!c.maxLogDurationS);
    QVERIFY(!c.snapshotAtShutdown);
    QVERIFY(c == ServerConfig {});
    // A switch without a variable in sqld.
    QVERIFY(parse({u"--snapshot-at-shutdown"_s}).config.snapshotAtShutdown);
}

void TestServerConfig::effectiveWorkerThreads()
{
    ServerConfig c;
    QCOMPARE(c.effectiveWorkerThreads(), std::clamp(QThread::idealThreadCount(), 1, 8));
    c.workerThreads = 3;
    QCOMPARE(c.effectiveWorkerThreads(), 3);
    c.workerThreads = 16;
    QCOMPARE(c.effectiveWorkerThreads(), 16);
}

// The table must hold exactly the flags the spec lists, each with the right status and variable.
void TestServerConfig::tableMatchesSpec()
{
    const auto specs = qsqld::runtime::flagSpecs();
    const auto find = [&specs](const QString &name) -> const FlagSpec * {
        for (const FlagSpec &f : specs) {
            if (f.name == name)
                return &f;
        }
        return nullptr;
    };
    for (const Unsupported &u : UNSUPPORTED) {
        const FlagSpec *f = find(u.name);
        QVERIFY2(f, qPrintable(u.name));
        QCOMPARE(f->status, u.outOfScope ? FlagStatus::OutOfScope : FlagStatus::NotYet);
        QCOMPARE(f->env.toString(), u.env);
        QCOMPARE(f->isSwitch(), u.isSwitch);
    }
    for (const QString &name : IGNORED) {
        QVERIFY2(find(name), qPrintable(name));
        QCOMPARE(find(name)->status, FlagStatus::Ignored);
    }
    for (const QString &name : SUPPORTED) {
        QVERIFY2(find(name), qPrintable(name));
        QCOMPARE(find(name)->status, FlagStatus::Supported);
        QVERIFY(find(name)->set);
    }
    // Named entries: the three lists plus --help and --version, nothing else.
    const auto named = std::count_if(specs.begin(), specs.end(), [](const FlagSpec &f) { return !f.name.isEmpty(); });
    QCOMPARE(named, UNSUPPORTED.size() + IGNORED.size() + SUPPORTED.size() + 2);
    QCOMPARE(find(u"db-path"_s)->shortName, u'd');
    QCOMPARE(find(u"hrana-listen-addr"_s)->shortName, u'l');
    QCOMPARE(find(u"extensions-path"_s)->shortName, u'e');
    QCOMPARE(find(u"help"_s)->shortName, u'h');
    QCOMPARE(find(u"version"_s)->shortName, u'V');
}

void TestServerConfig::authSettings()
{
    ParseOutcome out = parse({ u"--admin-auth-key"_s, u"s3cret"_s, u"--auth-jwt-key-file"_s, u"/k.pem"_s,
                                 u"--http-auth"_s, u"basic:dXNlcjpwYXNz"_s });
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(field(out.config, u"adminAuthKey"_s), u"s3cret"_s);
    QCOMPARE(field(out.config, u"authJwtKeyFile"_s), u"/k.pem"_s);
    QCOMPARE(field(out.config, u"httpAuth"_s), u"basic:dXNlcjpwYXNz"_s);
    // The admin key from either variable; LIBSQL_ADMIN_AUTH_KEY wins over SQLD_ADMIN_AUTH_TOKEN, the flag over both.
    out = parse({}, { u"SQLD_ADMIN_AUTH_TOKEN=fly"_s });
    QCOMPARE(field(out.config, u"adminAuthKey"_s), u"fly"_s);
    out = parse({}, { u"SQLD_ADMIN_AUTH_TOKEN=fly"_s, u"LIBSQL_ADMIN_AUTH_KEY=libsql"_s });
    QCOMPARE(field(out.config, u"adminAuthKey"_s), u"libsql"_s);
    out = parse({ u"--admin-auth-key=cli"_s }, { u"LIBSQL_ADMIN_AUTH_KEY=libsql"_s });
    QCOMPARE(field(out.config, u"adminAuthKey"_s), u"cli"_s);
    out = parse({}, { u"SQLD_AUTH_JWT_KEY=MCowBQYDK2VwAyEA"_s, u"SQLD_AUTH_JWT_KEY_FILE=/f"_s });
    QCOMPARE(field(out.config, u"authJwtKey"_s), u"MCowBQYDK2VwAyEA"_s);
    QCOMPARE(field(out.config, u"authJwtKeyFile"_s), u"/f"_s);
    out = parse({ u"-l"_s, u"127.0.0.1:5001"_s });
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(out.config.hranaListen->text, u"127.0.0.1:5001"_s);
    out = parse({ u"--http-auth"_s, u"user:pass"_s });
    QCOMPARE(out.kind, Kind::Error);
    QVERIFY2(out.text.startsWith(u"qsqld: --http-auth"_s) && out.text.contains(u"basic:"_s), qPrintable(out.text));
}

// flag, env, field, flag value, expected from flag, env value, expected from env
void TestServerConfig::valueRows()
{
    QTest::addColumn<QString>("flag");
    QTest::addColumn<QString>("env");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("cliValue");
    QTest::addColumn<QString>("cliExpected");
    QTest::addColumn<QString>("envValue");
    QTest::addColumn<QString>("envExpected");
    const auto row = [](const char *flag, const char *env, const char *fieldName, const char *cli,
                         const char *cliExpected, const char *envValue, const char *envExpected) {
        QTest::addRow("%s", flag) << QString::fromLatin1(flag) << QString::fromLatin1(env)
                                  << QString::fromLatin1(fieldName) << QString::fromUtf8(cli)
                                  << QString::fromUtf8(cliExpected) << QString::fromUtf8(envValue)
                                  << QString::fromUtf8(envExpected);
    };
    row("db-path", "SQLD_DB_PATH", "dbPath", "/srv/cli db", "/srv/cli db", "/srv/env.sqld", "/srv/env.sqld");
    row("http-listen-addr", "SQLD_HTTP_LISTEN_ADDR", "httpListen", "0.0.0.0:9000", "0.0.0.0:9000", "[::1]:7000",
        "[::1]:7000");
    row("admin-listen-addr", "SQLD_ADMIN_LISTEN_ADDR", "adminListen", "127.0.0.1:9090", "127.0.0.1:9090", "localhost:0",
        "127.0.0.1:0");
    row("http-self-url", "SQLD_HTTP_SELF_URL", "httpSelfUrl", "https://db.example.com", "https://db.example.com",
        "http://10.0.0.1:8080", "http://10.0.0.1:8080");
    row("max-response-size", "SQLD_MAX_RESPONSE_SIZE", "maxResponseSize", "5KB", "5000", "1 MiB", "1048576");
    row("max-total-response-size", "SQLD_MAX_TOTAL_RESPONSE_SIZE", "maxTotalResponseSize", "64MB", "64000000", "100",
        "100");
    row("max-concurrent-connections", "SQLD_MAX_CONCURRENT_CONNECTIONS", "maxConcurrentConnections", "16", "16", "256",
        "256");
    row("max-concurrent-requests", "SQLD_MAX_CONCURRENT_REQUESTS", "maxConcurrentRequests", "8", "8", "1", "1");
    row("connection-creation-timeout-sec", "SQLD_CONNECTION_CREATION_TIMEOUT_SEC", "connectionCreationTimeoutS", "2.5",
        "2.5", "30", "30");
    row("shutdown-timeout", "SQLD_SHUTDOWN_TIMEOUT", "shutdownTimeoutS", "0", "0", "5", "5");
    row("checkpoint-interval-s", "SQLD_CHECKPOINT_INTERVAL_S", "checkpointIntervalS", "60", "60", "3600", "3600");
    row("worker-threads", "QSQLD_WORKER_THREADS", "workerThreads", "4", "4", "2", "2");
    row("max-request-body-size", "QSQLD_MAX_REQUEST_BODY_SIZE", "maxRequestBodySize", "1GiB", "1073741824", "4096",
        "4096");
    row("statement-timeout-s", "QSQLD_STATEMENT_TIMEOUT_S", "statementTimeoutS", "0.5", "0.5", "120", "120");
    row("stream-expiry-s", "QSQLD_STREAM_EXPIRY_S", "streamExpiryS", "20", "20", "300", "300");
    row("header-timeout-s", "QSQLD_HEADER_TIMEOUT_S", "headerTimeoutS", "5", "5", "1.5", "1.5");
    row("idle-connection-timeout-s", "QSQLD_IDLE_CONNECTION_TIMEOUT_S", "idleConnectionTimeoutS", "120", "120", "15",
        "15");
    row("log-level", "QSQLD_LOG_LEVEL", "logLevel", "debug", "debug", "WARN", "warn");
    row("max-log-size", "SQLD_MAX_LOG_SIZE", "maxLogSizeMb", "50", "50", "1", "1");
    row("max-log-duration", "SQLD_MAX_LOG_DURATION", "maxLogDurationS", "600", "600", "3600", "3600");
    row("snapshot-exec", "SQLD_SNAPSHOT_EXEC", "snapshotExec", "/usr/local/bin/upload", "/usr/local/bin/upload",
        "./up.sh", "./up.sh");
    row("page-cache-kib", "QSQLD_PAGE_CACHE_KIB", "pageCacheKib", "512", "512", "8192", "8192");
    row("max-active-namespaces", "SQLD_MAX_ACTIVE_NAMESPACES", "maxActiveNamespaces", "10", "10", "500", "500");
    row("soft-heap-limit-mb", "SQLD_SOFT_HEAP_LIMIT_MB", "softHeapLimitMb", "64", "64", "32", "32");
    row("hard-heap-limit-mb", "SQLD_HARD_HEAP_LIMIT_MB", "hardHeapLimitMb", "128", "128", "96", "96");
    row("idle-shutdown-timeout-s", "SQLD_IDLE_SHUTDOWN_TIMEOUT_S", "idleShutdownTimeoutS", "300", "300", "60", "60");
    row("heartbeat-url", "SQLD_HEARTBEAT_URL", "heartbeatUrl", "https://hb.example.com/x", "https://hb.example.com/x",
        "http://10.0.0.1:8000", "http://10.0.0.1:8000");
    row("heartbeat-auth", "SQLD_HEARTBEAT_AUTH", "heartbeatAuth", "Bearer a", "Bearer a", "Basic b", "Basic b");
    row("heartbeat-period-s", "SQLD_HEARTBEAT_PERIOD_S", "heartbeatPeriodS", "10", "10", "60", "60");
    row("initial-idle-shutdown-timeout-s", "SQLD_INITIAL_IDLE_SHUTDOWN_TIMEOUT_S", "initialIdleShutdownTimeoutS", "30",
        "30", "10", "10");
}

void TestServerConfig::valueViaFlag()
{
    QFETCH(QString, flag);
    QFETCH(QString, field);
    QFETCH(QString, cliValue);
    QFETCH(QString, cliExpected);
    const ParseOutcome out = parse({ u"--"_s + flag, cliValue });
    QCOMPARE(out.text, QString());
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(::field(out.config, field), cliExpected);
}

void TestServerConfig::valueViaEquals()
{
    QFETCH(QString, flag);
    QFETCH(QString, field);
    QFETCH(QString, cliValue);
    QFETCH(QString, cliExpected);
    const ParseOutcome out = parse({ u"--"_s + flag + u'=' + cliValue });
    QCOMPARE(out.text, QString());
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(::field(out.config, field), cliExpected);
}

void TestServerConfig::valueViaEnv()
{
    QFETCH(QString, env);
    QFETCH(QString, field);
    QFETCH(QString, envValue);
    QFETCH(QString, envExpected);
    const ParseOutcome out = parse({}, { env + u'=' + envValue });
    QCOMPARE(out.text, QString());
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(::field(out.config, field), envExpected);
}

void TestServerConfig::valueFlagOverEnv()
{
    QFETCH(QString, flag);
    QFETCH(QString, env);
    QFETCH(QString, field);
    QFETCH(QString, cliValue);
    QFETCH(QString, cliExpected);
    QFETCH(QString, envValue);
    const QStringList flags { u"--"_s + flag, cliValue };
    QVERIFY(parse(flags, { env + u'=' + envValue }).config == parse(flags).config);
    QCOMPARE(::field(parse(flags, { env + u'=' + envValue }).config, field), cliExpected);
    // An invalid environment value is irrelevant when the flag overrides it.
    const ParseOutcome out = parse(flags, { env + u"=-1 bogus"_s });
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(::field(out.config, field), cliExpected);
}

void TestServerConfig::switches_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");
    const QList<std::pair<QString, QString>> switches = {
        { u"enable-namespaces"_s, u"QSQLD_ENABLE_NAMESPACES"_s },
        { u"disable-default-namespace"_s, u"QSQLD_DISABLE_DEFAULT_NAMESPACE"_s },
        { u"disable-metrics"_s, u"LIBSQL_DISABLE_METRICS"_s },
        { u"disable-replication-log"_s, u"QSQLD_DISABLE_REPLICATION_LOG"_s },
    };
    for (const auto &[flag, env] : switches) {
        QString name = flag;
        name[0] = name[0].toUpper();
        qsizetype dash;
        while ((dash = name.indexOf(u'-')) >= 0)
            name = name.left(dash) + name.at(dash + 1).toUpper() + name.mid(dash + 2);
        name[0] = name[0].toLower(); // enableNamespaces, ...
        const QByteArray tag = flag.toLatin1();
        const QString on = u"--"_s + flag;
        QTest::addRow("%s flag", tag.constData()) << QStringList { on } << QStringList {} << name << u"true"_s;
        const QStringList none;
        QTest::addRow("%s =true", tag.constData()) << QStringList { on + u"=true"_s } << none << name << u"true"_s;
        QTest::addRow("%s =false", tag.constData()) << QStringList { on + u"=false"_s } << none << name << u"false"_s;
        QTest::addRow("%s env 1", tag.constData()) << none << QStringList { env + u"=1"_s } << name << u"true"_s;
        QTest::addRow("%s env true", tag.constData()) << none << QStringList { env + u"=TRUE"_s } << name << u"true"_s;
        QTest::addRow("%s env 0", tag.constData()) << none << QStringList { env + u"=0"_s } << name << u"false"_s;
        QTest::addRow("%s env off", tag.constData()) << none << QStringList { env + u"=off"_s } << name << u"false"_s;
        QTest::addRow("%s flag over env", tag.constData())
            << QStringList { on + u"=false"_s } << QStringList { env + u"=1"_s } << name << u"false"_s;
        QTest::addRow("%s flag over bad env", tag.constData())
            << QStringList { on } << QStringList { env + u"=maybe"_s } << name << u"true"_s;
    }
}

void TestServerConfig::switches()
{
    QFETCH(QStringList, flags);
    QFETCH(QStringList, env);
    QFETCH(QString, field);
    QFETCH(QString, expected);
    const ParseOutcome out = parse(flags, env);
    QCOMPARE(out.text, QString());
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(::field(out.config, field), expected);
}

void TestServerConfig::shortForms_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QString>("dbPath");
    QTest::addRow("-d value") << QStringList { u"-d"_s, u"x.db"_s } << u"x.db"_s;
    QTest::addRow("-dvalue") << QStringList { u"-dx.db"_s } << u"x.db"_s;
    QTest::addRow("-d=value") << QStringList { u"-d=x.db"_s } << u"x.db"_s;
    QTest::addRow("--db-path=a=b") << QStringList { u"--db-path=a=b"_s } << u"a=b"_s;
    QTest::addRow("value '-'") << QStringList { u"-d"_s, u"-"_s } << u"-"_s;
}

// --extensions-path / -e, as sqld: no environment variable.
void TestServerConfig::extensionsPath()
{
    QCOMPARE(parse({ u"-e"_s, u"/ext"_s }).config.extensionsPath, u"/ext"_s);
    QCOMPARE(parse({ u"--extensions-path=/srv/ext"_s }).config.extensionsPath, u"/srv/ext"_s);
    QCOMPARE(parse({ u"-d"_s, u"x"_s, u"-e"_s, u"/ext"_s }).config.dbPath, u"x"_s);
    QProcessEnvironment env;
    env.insert(u"SQLD_EXTENSIONS_PATH"_s, u"/env"_s);
    QCOMPARE(qsqld::runtime::parseCommandLine({ u"qsqld"_s }, env).config.extensionsPath, QString());
}

void TestServerConfig::shortForms()
{
    QFETCH(QStringList, flags);
    QFETCH(QString, dbPath);
    const ParseOutcome out = parse(flags);
    QCOMPARE(out.text, QString());
    QCOMPARE(out.config.dbPath, dbPath);
}

void TestServerConfig::lastOccurrenceWins()
{
    const ParseOutcome out = parse({ u"--db-path"_s, u"a"_s, u"-d"_s, u"b"_s, u"--max-concurrent-requests=5"_s,
        u"--max-concurrent-requests"_s, u"6"_s });
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(out.config.dbPath, u"b"_s);
    QCOMPARE(out.config.maxConcurrentRequests, 6);
}

void TestServerConfig::logLevel_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("expected");
    QTest::addRow("RUST_LOG debug") << QStringList {} << QStringList { u"RUST_LOG=debug"_s } << u"debug"_s;
    QTest::addRow("RUST_LOG list") << QStringList {} << QStringList { u"RUST_LOG=debug,hyper=warn"_s } << u"debug"_s;
    QTest::addRow("RUST_LOG target=") << QStringList {} << QStringList { u"RUST_LOG=libsql_server=trace"_s }
                                      << u"debug"_s;
    QTest::addRow("RUST_LOG warn") << QStringList {} << QStringList { u"RUST_LOG=WARN"_s } << u"warn"_s;
    QTest::addRow("RUST_LOG off") << QStringList {} << QStringList { u"RUST_LOG=off"_s } << u"error"_s;
    QTest::addRow("RUST_LOG junk") << QStringList {} << QStringList { u"RUST_LOG=nonsense"_s } << u"info"_s;
    QTest::addRow("QSQLD_LOG_LEVEL over RUST_LOG")
        << QStringList {} << QStringList { u"RUST_LOG=debug"_s, u"QSQLD_LOG_LEVEL=error"_s } << u"error"_s;
    QTest::addRow("flag over RUST_LOG") << QStringList { u"--log-level"_s, u"warn"_s }
                                        << QStringList { u"RUST_LOG=debug"_s } << u"warn"_s;
    QTest::addRow("flag warning") << QStringList { u"--log-level=warning"_s } << QStringList {} << u"warn"_s;
    QTest::addRow("flag trace") << QStringList { u"--log-level=TRACE"_s } << QStringList {} << u"debug"_s;
}

void TestServerConfig::logLevel()
{
    QFETCH(QStringList, flags);
    QFETCH(QStringList, env);
    QFETCH(QString, expected);
    const ParseOutcome out = parse(flags, env);
    QCOMPARE(out.kind, Kind::Run);
    QCOMPARE(out.config.logLevel, expected);
}

void TestServerConfig::unsupportedFlag_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QString>("expected");
    for (const Unsupported &u : UNSUPPORTED) {
        const QByteArray tag = u.name.toLatin1();
        const QString expected = u"qsqld: --"_s + u.name + u' ' + unsupportedTail(u.outOfScope);
        const QString flag = u"--"_s + u.name;
        if (u.isSwitch) {
            QTest::addRow("%s", tag.constData()) << QStringList { flag } << expected;
            QTest::addRow("%s=true", tag.constData()) << QStringList { flag + u"=true"_s } << expected;
        } else {
            // The value is consumed: the following flag is parsed normally.
            QTest::addRow("%s value", tag.constData())
                << QStringList { flag, u"x"_s, u"--enable-namespaces"_s } << expected;
            QTest::addRow("%s=value", tag.constData()) << QStringList { flag + u"=x"_s } << expected;
        }
    }
    QTest::addRow("after a supported flag") << QStringList { u"-d"_s, u"x"_s, u"--enable-http-console"_s }
                                            << u"qsqld: --enable-http-console is not supported by this qsqld build yet"_s;
}

void TestServerConfig::unsupportedFlag()
{
    QFETCH(QStringList, flags);
    QFETCH(QString, expected);
    const ParseOutcome out = parse(flags);
    QCOMPARE(out.kind, Kind::Error);
    QCOMPARE(out.text, expected);
}

void TestServerConfig::unsupportedEnv_data()
{
    QTest::addColumn<QString>("env");
    QTest::addColumn<QString>("expected");
    for (const Unsupported &u : UNSUPPORTED) {
        if (u.env.isEmpty())
            continue;
        const QByteArray tag = u.env.toLatin1();
        QTest::addRow("%s", tag.constData())
            << u.env + (u.isSwitch ? u"=true"_s : u"=x"_s)
            << u"qsqld: environment variable "_s + u.env + u" (--"_s + u.name + u") "_s + unsupportedTail(u.outOfScope);
    }
}

void TestServerConfig::unsupportedEnv()
{
    QFETCH(QString, env);
    QFETCH(QString, expected);
    const ParseOutcome out = parse({ u"--enable-namespaces"_s }, { env });
    QCOMPARE(out.kind, Kind::Error);
    QCOMPARE(out.text, expected);
}

void TestServerConfig::unsupportedSwitchOffIsAccepted_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QStringList>("env");
    QTest::addRow("--grpc-tls=false") << QStringList { u"--grpc-tls=false"_s } << QStringList {};
    QTest::addRow("bottomless env false")
        << QStringList {} << QStringList { u"SQLD_ENABLE_BOTTOMLESS_REPLICATION=false"_s };
    QTest::addRow("backup meta store env 0") << QStringList {} << QStringList { u"SQLD_BACKUP_META_STORE=0"_s };
    QTest::addRow("empty env values") << QStringList {}
                                      << QStringList { u"SQLD_HTTP_AUTH="_s, u"SQLD_AUTH_JWT_KEY="_s,
                                             u"SQLD_GRPC_LISTEN_ADDR="_s };
}

void TestServerConfig::unsupportedSwitchOffIsAccepted()
{
    QFETCH(QStringList, flags);
    QFETCH(QStringList, env);
    const ParseOutcome out = parse(flags, env);
    QCOMPARE(out.text, QString());
    QCOMPARE(out.kind, Kind::Run);
    QVERIFY(out.config == ServerConfig {});
}

void TestServerConfig::ignoredFlags_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QStringList>("env");
    for (const QString &name : IGNORED)
        QTest::addRow("%s", name.toLatin1().constData()) << QStringList { u"--"_s + name } << QStringList {};
    QTest::addRow("all") << QStringList { u"--no-welcome"_s, u"--enable-deadlock-monitor"_s,
        u"--disable-intelligent-throttling=true"_s, u"--force-load-wals"_s, u"--allow-metastore-recovery"_s,
        u"--meta-store-destroy-on-error=false"_s }
                         << QStringList {};
    QTest::addRow("env") << QStringList {}
                         << QStringList { u"SQLD_DISABLE_INTELLIGENT_THROTTLING=true"_s,
                                u"SQLD_ALLOW_METASTORE_RECOVERY=yes"_s,
                                u"SQLD_META_STORE_DESTROY_ON_ERROR=whatever"_s };
}

void TestServerConfig::ignoredFlags()
{
    QFETCH(QStringList, flags);
    QFETCH(QStringList, env);
    const ParseOutcome out = parse(flags, env);
    QCOMPARE(out.text, QString());
    QCOMPARE(out.kind, Kind::Run);
    QVERIFY(out.config == ServerConfig {});
}

void TestServerConfig::errors_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("expected");
    const auto row = [](const char *tag, const QStringList &flags, const QStringList &env, const QString &expected) {
        QTest::addRow("%s", tag) << flags << env << expected;
    };
    const QStringList none;
    row("unknown flag", { u"--foo"_s }, none, u"qsqld: unknown flag --foo (see --help)"_s);
    row("unknown flag=value", { u"--foo=bar"_s }, none, u"qsqld: unknown flag --foo (see --help)"_s);
    row("unknown short", { u"-x"_s }, none, u"qsqld: unknown flag -x (see --help)"_s);
    row("short switch with text", { u"-hx"_s }, none, u"qsqld: unknown flag -hx (see --help)"_s);
    row("positional", { u"serve"_s }, none, u"qsqld: unexpected argument 'serve' (see --help)"_s);
    row("after --", { u"--"_s, u"x"_s }, none, u"qsqld: unexpected argument '--' (see --help)"_s);
    row("first error wins", { u"--foo"_s, u"--bar"_s }, none, u"qsqld: unknown flag --foo (see --help)"_s);
    row("missing value at end", { u"--db-path"_s }, none, u"qsqld: --db-path needs a value"_s);
    row("missing value short", { u"-d"_s }, none, u"qsqld: --db-path needs a value"_s);
    row("missing value before flag", { u"--http-listen-addr"_s, u"--enable-namespaces"_s }, none,
        u"qsqld: --http-listen-addr needs a value"_s);
    row("unsupported missing value", { u"--http-auth"_s }, none, u"qsqld: --http-auth needs a value"_s);
    row("empty db path", { u"--db-path="_s }, none, u"qsqld: --db-path: needs a non-empty value"_s);
    row("bad address", { u"--http-listen-addr"_s, u"abc"_s }, none,
        u"qsqld: --http-listen-addr: cannot parse 'abc' as host:port"_s);
    row("bad port", { u"--http-listen-addr=127.0.0.1:70000"_s }, none,
        u"qsqld: --http-listen-addr: cannot parse '127.0.0.1:70000' as host:port"_s);
    row("admin without port", { u"--admin-listen-addr"_s, u"127.0.0.1"_s }, none,
        u"qsqld: --admin-listen-addr: cannot parse '127.0.0.1' as host:port"_s);
    row("bad size", { u"--max-response-size"_s, u"10XB"_s }, none,
        u"qsqld: --max-response-size: cannot parse '10XB' as a byte size (for example 4096, 10MB, 1.5kb, 1 GiB)"_s);
    row("negative size", { u"--max-total-response-size=-5MB"_s }, none,
        u"qsqld: --max-total-response-size: cannot parse '-5MB' as a byte size "
        u"(for example 4096, 10MB, 1.5kb, 1 GiB)"_s);
    row("zero body size", { u"--max-request-body-size"_s, u"0"_s }, none,
        u"qsqld: --max-request-body-size: '0' must be greater than 0"_s);
    row("negative count", { u"--max-concurrent-connections"_s, u"-1"_s }, none,
        u"qsqld: --max-concurrent-connections: '-1' must not be negative"_s);
    row("zero count", { u"--max-concurrent-connections=0"_s }, none,
        u"qsqld: --max-concurrent-connections: '0' must be at least 1"_s);
    row("word count", { u"--max-concurrent-requests"_s, u"ten"_s }, none,
        u"qsqld: --max-concurrent-requests: cannot parse 'ten' as a whole number"_s);
    row("fraction count", { u"--max-concurrent-requests=1.5"_s }, none,
        u"qsqld: --max-concurrent-requests: cannot parse '1.5' as a whole number"_s);
    row("too many workers", { u"--worker-threads"_s, u"1000"_s }, none,
        u"qsqld: --worker-threads: '1000' must be at most 256"_s);
    row("zero namespaces", { u"--max-active-namespaces=0"_s }, none,
        u"qsqld: --max-active-namespaces: '0' must be at least 1"_s);
    row("tiny page cache", { u"--page-cache-kib"_s, u"10"_s }, none,
        u"qsqld: --page-cache-kib: '10' must be at least 64"_s);
    row("negative shutdown", { u"--shutdown-timeout"_s, u"-5"_s }, none,
        u"qsqld: --shutdown-timeout: '-5' must not be negative"_s);
    row("zero checkpoint", { u"--checkpoint-interval-s"_s, u"0"_s }, none,
        u"qsqld: --checkpoint-interval-s: '0' must be at least 1"_s);
    row("zero seconds", { u"--connection-creation-timeout-sec"_s, u"0"_s }, none,
        u"qsqld: --connection-creation-timeout-sec: '0' must be greater than 0"_s);
    row("negative seconds", { u"--stream-expiry-s"_s, u"-.5"_s }, none,
        u"qsqld: --stream-expiry-s: '-.5' must be greater than 0"_s);
    row("word seconds", { u"--statement-timeout-s"_s, u"abc"_s }, none,
        u"qsqld: --statement-timeout-s: cannot parse 'abc' as a number of seconds"_s);
    row("infinite seconds", { u"--header-timeout-s=inf"_s }, none,
        u"qsqld: --header-timeout-s: cannot parse 'inf' as a number of seconds"_s);
    row("huge seconds", { u"--idle-connection-timeout-s=1e9"_s }, none,
        u"qsqld: --idle-connection-timeout-s: '1e9' must be at most 2000000"_s);
    row("bad log level", { u"--log-level"_s, u"verbose"_s }, none,
        u"qsqld: --log-level: 'verbose' is not a log level (error, warn, info, debug)"_s);
    row("bad switch value", { u"--enable-namespaces=maybe"_s }, none,
        u"qsqld: --enable-namespaces: 'maybe' is not a boolean (true/false, 1/0, yes/no, on/off)"_s);
    row("env bad address", {}, { u"SQLD_HTTP_LISTEN_ADDR=abc"_s },
        u"qsqld: SQLD_HTTP_LISTEN_ADDR: cannot parse 'abc' as host:port"_s);
    row("env negative count", {}, { u"SQLD_MAX_CONCURRENT_REQUESTS=-3"_s },
        u"qsqld: SQLD_MAX_CONCURRENT_REQUESTS: '-3' must not be negative"_s);
    row("env bad size", {}, { u"QSQLD_MAX_REQUEST_BODY_SIZE=lots"_s },
        u"qsqld: QSQLD_MAX_REQUEST_BODY_SIZE: cannot parse 'lots' as a byte size "
        u"(for example 4096, 10MB, 1.5kb, 1 GiB)"_s);
    row("env bad switch", {}, { u"QSQLD_ENABLE_NAMESPACES=maybe"_s },
        u"qsqld: QSQLD_ENABLE_NAMESPACES: 'maybe' is not a boolean (true/false, 1/0, yes/no, on/off)"_s);
    row("env bad log level", {}, { u"QSQLD_LOG_LEVEL=loud"_s },
        u"qsqld: QSQLD_LOG_LEVEL: 'loud' is not a log level (error, warn, info, debug)"_s);
    row("command line error before env error", { u"--worker-threads=x"_s }, { u"SQLD_HTTP_LISTEN_ADDR=abc"_s },
        u"qsqld: --worker-threads: cannot parse 'x' as a whole number"_s);
}

void TestServerConfig::errors()
{
    QFETCH(QStringList, flags);
    QFETCH(QStringList, env);
    QFETCH(QString, expected);
    const ParseOutcome out = parse(flags, env);
    QCOMPARE(out.kind, Kind::Error);
    QCOMPARE(out.text, expected);
    QVERIFY(!out.text.contains(u'\n'));
}

void TestServerConfig::emptyEnvironmentIsUnset()
{
    const ParseOutcome out = parse({},
        { u"SQLD_DB_PATH="_s, u"SQLD_HTTP_LISTEN_ADDR="_s, u"SQLD_MAX_RESPONSE_SIZE="_s, u"QSQLD_ENABLE_NAMESPACES="_s,
            u"RUST_LOG="_s, u"QSQLD_WORKER_THREADS="_s });
    QCOMPARE(out.kind, Kind::Run);
    QVERIFY(out.config == ServerConfig {});
}

void TestServerConfig::help_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QStringList>("env");
    QTest::addRow("--help") << QStringList { u"--help"_s } << QStringList {};
    QTest::addRow("-h") << QStringList { u"-h"_s } << QStringList {};
    QTest::addRow("wins over bad flags") << QStringList { u"--foo"_s, u"--http-auth"_s, u"x"_s, u"--help"_s }
                                         << QStringList {};
    QTest::addRow("wins over bad env") << QStringList { u"-h"_s } << QStringList { u"SQLD_HTTP_LISTEN_ADDR=abc"_s };
    QTest::addRow("wins over version") << QStringList { u"-V"_s, u"-h"_s } << QStringList {};
}

void TestServerConfig::help()
{
    QFETCH(QStringList, flags);
    QFETCH(QStringList, env);
    const ParseOutcome out = parse(flags, env);
    QCOMPARE(out.kind, Kind::Help);
    QVERIFY(out.text.startsWith(u"Usage: qsqld [OPTIONS]\n"_s));
    QVERIFY(out.text.endsWith(u"Print the version and exit."_s));
}

void TestServerConfig::helpListsEveryFlag()
{
    const QString text = parse({ u"--help"_s }).text;
    const QStringList lines = text.split(u'\n');
    const auto lineOf = [&lines](const QString &needle) {
        return std::find_if(lines.begin(), lines.end(), [&needle](const QString &l) { return l.contains(needle); });
    };
    QStringList names = SUPPORTED + IGNORED;
    for (const Unsupported &u : UNSUPPORTED)
        names << u.name;
    names << u"help"_s << u"version"_s;
    for (const QString &name : std::as_const(names)) {
        const QString flag = u"--"_s + name;
        // Exactly this flag, not a longer one that starts with it.
        const auto it = std::find_if(lines.begin(), lines.end(),
            [&flag](const QString &l) { return l.contains(flag + u' ') || l.endsWith(flag); });
        QVERIFY2(it != lines.end(), qPrintable(flag));
    }
    for (const FlagSpec &spec : qsqld::runtime::flagSpecs()) {
        if (!spec.env.isEmpty())
            QVERIFY2(text.contains(u"env: "_s + spec.env + u' '), qPrintable(spec.env.toString()));
    }
    QVERIFY(lineOf(u"-d, --db-path <PATH>"_s) != lines.end());
    QVERIFY(lineOf(u"-l, --hrana-listen-addr <ADDR>"_s)->endsWith(u"supported"_s));
    QVERIFY(lineOf(u"-e, --extensions-path <DIR>"_s)->endsWith(u"supported"_s));
    QVERIFY(lineOf(u"--enable-http-console"_s)->endsWith(u"not supported yet"_s));
    QVERIFY(lineOf(u"--grpc-listen-addr <ADDR>"_s)->endsWith(u"out of scope"_s));
    QVERIFY(lineOf(u"--no-welcome"_s)->endsWith(u"accepted, ignored"_s));
    QVERIFY(lineOf(u"--max-response-size <SIZE>"_s)->endsWith(u"supported"_s));
    QVERIFY(text.contains(u"env: SQLD_HTTP_LISTEN_ADDR    default: 127.0.0.1:8080\n"_s));
    QVERIFY(text.contains(u"env: SQLD_MAX_RESPONSE_SIZE    default: 10MB\n"_s));
    QVERIFY(text.contains(u"env: SQLD_AUTH_JWT_KEY    default: none\n"_s));
    QVERIFY(text.contains(u"env: RUST_LOG    default: info\n"_s));
    QVERIFY(text.contains(EXPECTED_VERSION));
}

void TestServerConfig::version_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addRow("--version") << QStringList { u"--version"_s };
    QTest::addRow("-V") << QStringList { u"-V"_s };
    QTest::addRow("with other flags") << QStringList { u"-d"_s, u"x"_s, u"--version"_s, u"--unknown"_s };
}

void TestServerConfig::version()
{
    QFETCH(QStringList, flags);
    const ParseOutcome out = parse(flags);
    QCOMPARE(out.kind, Kind::Version);
    QCOMPARE(out.text, EXPECTED_VERSION);
}

void TestServerConfig::byteSize_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("bytes");
    const auto good = [](const char *text, qint64 bytes) {
        QTest::addRow("%s", text) << QString::fromLatin1(text) << true << bytes;
    };
    const auto bad = [](const char *tag, const char *text) {
        QTest::addRow("bad %s", tag) << QString::fromLatin1(text) << false << qint64(0);
    };
    good("10MB", 10'000'000);
    good("1 GiB", 1'073'741'824);
    good("4096", 4096);
    good("1.5kb", 1500);
    good("0", 0);
    good("1b", 1);
    good("2 k", 2000);
    good("10mb", 10'000'000);
    good("3KiB", 3072);
    good("3ki", 3072);
    good("5 m", 5'000'000);
    good("2 Mi", 2'097'152);
    good("1g", 1'000'000'000);
    good("1tb", 1'000'000'000'000);
    good("1TiB", 1'099'511'627'776);
    good("1pb", 1'000'000'000'000'000);
    good("1PiB", 1'125'899'906'842'624);
    good("  7   MB  ", 7'000'000);
    good("0.5KiB", 512);
    good("1000.0 PB", 1'000'000'000'000'000'000); // sqld's GET /config output posts back
    good("10.0 MB", 10'000'000);
    good("1073.7 MB", 1'073'700'000);
    good(".5kb", 500);
    good("9223372036854775807", 9'223'372'036'854'775'807);
    bad("empty", "");
    bad("spaces", "   ");
    bad("word", "abc");
    bad("unit XB", "10XB");
    bad("unit only", "MB");
    bad("fraction without unit", "1.5");
    bad("negative", "-5");
    bad("negative with unit", "-5MB");
    bad("two dots", "1.2.3kb");
    bad("dot only", ".kb");
    bad("integer overflow", "99999999999999999999");
    bad("unit overflow", "10000 PB");
    bad("exabytes", "1 EB");
    bad("trailing junk", "10 MB x");
    bad("plus", "+5");
}

void TestServerConfig::byteSize()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(qint64, bytes);
    bool parsedOk = !ok;
    QCOMPARE(qsqld::runtime::parseByteSize(text, &parsedOk), bytes);
    QCOMPARE(parsedOk, ok);
}

void TestServerConfig::listenAddress_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("canonical");
    const auto good = [](const char *text, const char *host, int port, const char *canonical) {
        QTest::addRow("%s", text) << QString::fromLatin1(text) << true << QString::fromLatin1(host) << port
                                  << QString::fromLatin1(canonical);
    };
    const auto bad = [](const char *tag, const char *text) {
        QTest::addRow("bad %s", tag) << QString::fromLatin1(text) << false << QString() << 0 << QString();
    };
    good("127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080");
    good("0.0.0.0:8080", "0.0.0.0", 8080, "0.0.0.0:8080");
    good("[::1]:8080", "::1", 8080, "[::1]:8080");
    good("[::]:5001", "any", 5001, "[::]:5001"); // dual-stack, like sqld's socket on Linux
    good("[0:0:0:0:0:0:0:1]:1", "::1", 1, "[::1]:1");
    good("localhost:8080", "127.0.0.1", 8080, "127.0.0.1:8080");
    good("LocalHost:9", "127.0.0.1", 9, "127.0.0.1:9");
    good("127.0.0.1:0", "127.0.0.1", 0, "127.0.0.1:0");
    good("10.1.2.3:65535", "10.1.2.3", 65535, "10.1.2.3:65535");
    bad("port 70000", "127.0.0.1:70000");
    bad("port 65536", "127.0.0.1:65536");
    bad("missing port", "127.0.0.1");
    bad("empty port", "127.0.0.1:");
    bad("negative port", "127.0.0.1:-1");
    bad("port junk", "127.0.0.1:80x");
    bad("missing host", ":8080");
    bad("empty", "");
    bad("word", "abc");
    bad("host name", "example.com:80");
    bad("v6 without brackets", "::1:8080");
    bad("v6 without port", "[::1]");
    bad("v4 in brackets", "[127.0.0.1]:80");
    bad("localhost in brackets", "[localhost]:80");
    bad("bad v4", "256.0.0.1:80");
    bad("short v4", "127.1:80");
    bad("bare zero", "0:80");
    bad("leading space", " 127.0.0.1:80");
    bad("space before port", "127.0.0.1 :80");
    bad("plus port", "127.0.0.1:+80");
}

void TestServerConfig::listenAddress()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, canonical);
    const auto address = qsqld::runtime::parseListenAddress(text);
    QCOMPARE(address.has_value(), ok);
    if (!ok)
        return;
    QCOMPARE(address->host, host == u"any" ? QHostAddress(QHostAddress::Any) : QHostAddress(host));
    QCOMPARE(int(address->port), port);
    QCOMPARE(address->text, canonical);
}

QTEST_GUILESS_MAIN(TestServerConfig)
#include "tst_serverconfig.moc"
