#include "serverconfig.h"

#include <QUrl>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <QThread>

namespace qsqld::runtime {

namespace {

#ifdef QSQLD_VERSION
constexpr auto VERSION = QLatin1StringView(QSQLD_VERSION);
#else
constexpr auto VERSION = QLatin1StringView("0.1.0");
#endif

constexpr int MAX_AUTO_WORKERS = 8;
constexpr int MAX_WORKERS = 256;
constexpr int MAX_CONCURRENCY = 1'000'000;
// Durations must fit a QTimer's int milliseconds.
constexpr int MAX_SECONDS = 2'000'000;
constexpr qsizetype HELP_FLAG_WIDTH = 48;

std::optional<bool> parseBool(QStringView text)
{
    const QString lower = text.trimmed().toString().toLower();
    if (lower == u"true" || lower == u"1" || lower == u"yes" || lower == u"on")
        return true;
    if (lower == u"false" || lower == u"0" || lower == u"no" || lower == u"off")
        return false;
    return std::nullopt;
}

QString notBoolean(QStringView value)
{
    return u"'%1' is not a boolean (true/false, 1/0, yes/no, on/off)"_s.arg(value);
}

// Returns the problem with `text` as a whole number in min..max, or an empty string.
QString checkWholeNumber(QStringView text, qint64 min, qint64 max, qint64 *out)
{
    bool ok = false;
    const qint64 n = text.trimmed().toLongLong(&ok);
    if (!ok)
        return u"cannot parse '%1' as a whole number"_s.arg(text);
    if (n < 0 && min >= 0)
        return u"'%1' must not be negative"_s.arg(text);
    if (n < min)
        return u"'%1' must be at least %2"_s.arg(text).arg(min);
    if (n > max)
        return u"'%1' must be at most %2"_s.arg(text).arg(max);
    *out = n;
    return {};
}

// Seconds as a decimal number in (0, MAX_SECONDS].
QString checkSeconds(QStringView text, double *out)
{
    bool ok = false;
    const double s = text.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(s))
        return u"cannot parse '%1' as a number of seconds"_s.arg(text);
    if (s <= 0)
        return u"'%1' must be greater than 0"_s.arg(text);
    if (s > MAX_SECONDS)
        return u"'%1' must be at most %2"_s.arg(text).arg(MAX_SECONDS);
    *out = s;
    return {};
}

std::optional<QString> normalizeLogLevel(QStringView text)
{
    const QString lower = text.trimmed().toString().toLower();
    if (lower == u"error" || lower == u"warn" || lower == u"info" || lower == u"debug")
        return lower;
    if (lower == u"warning")
        return u"warn"_s;
    if (lower == u"trace")
        return u"debug"_s;
    return std::nullopt;
}

// Setters used by the flag table. Each returns the problem with the value, or an empty string.

QString setHttpAuth(ServerConfig &config, QStringView value)
{
    if (!value.startsWith(u"basic:") || value.size() == 6)
        return u"expected basic:<base64 of user:password>"_s;
    config.httpAuth = value.toString();
    return {};
}

template <QString ServerConfig::*Field> QString setText(ServerConfig &config, QStringView value)
{
    if (value.isEmpty())
        return u"needs a non-empty value"_s;
    config.*Field = value.toString();
    return {};
}

template <bool ServerConfig::*Field> QString setSwitch(ServerConfig &config, QStringView value)
{
    config.*Field = (value == u"true");
    return {};
}

template <int ServerConfig::*Field, int Min, int Max> QString setInt(ServerConfig &config, QStringView value)
{
    qint64 n = 0;
    QString problem = checkWholeNumber(value, Min, Max, &n);
    if (problem.isEmpty())
        config.*Field = int(n);
    return problem;
}

template <double ServerConfig::*Field> QString setSeconds(ServerConfig &config, QStringView value)
{
    return checkSeconds(value, &(config.*Field));
}

template <qint64 ServerConfig::*Field, bool AllowZero> QString setByteSize(ServerConfig &config, QStringView value)
{
    bool ok = false;
    const qint64 n = parseByteSize(value, &ok);
    if (!ok)
        return u"cannot parse '%1' as a byte size (for example 4096, 10MB, 1.5kb, 1 GiB)"_s.arg(value);
    if (n == 0 && !AllowZero)
        return u"'%1' must be greater than 0"_s.arg(value);
    config.*Field = n;
    return {};
}

QString setHttpListen(ServerConfig &config, QStringView value)
{
    const auto address = parseListenAddress(value);
    if (!address)
        return u"cannot parse '%1' as host:port"_s.arg(value);
    config.httpListen = *address;
    return {};
}

template <std::optional<ListenAddress> ServerConfig::*Field>
QString setOptionalListen(ServerConfig &config, QStringView value)
{
    const auto address = parseListenAddress(value);
    if (!address)
        return u"cannot parse '%1' as host:port"_s.arg(value);
    config.*Field = *address;
    return {};
}

QString setCheckpointInterval(ServerConfig &config, QStringView value)
{
    qint64 n = 0;
    QString problem = checkWholeNumber(value, 1, MAX_SECONDS, &n);
    if (problem.isEmpty())
        config.checkpointIntervalS = int(n);
    return problem;
}

template <std::optional<int> ServerConfig::*Field> QString setOptionalInt(ServerConfig &config, QStringView value)
{
    qint64 n = 0;
    QString problem = checkWholeNumber(value, 1, MAX_SECONDS, &n);
    if (problem.isEmpty())
        config.*Field = int(n);
    return problem;
}

QString setHeartbeatUrl(ServerConfig &config, QStringView value)
{
    const QUrl url(value.toString(), QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty())
        return u"'%1' is not an http(s) URL"_s.arg(value);
    config.heartbeatUrl = value.toString();
    return {};
}

QString setLogLevel(ServerConfig &config, QStringView value)
{
    const auto level = normalizeLogLevel(value);
    if (!level)
        return u"'%1' is not a log level (error, warn, info, debug)"_s.arg(value);
    config.logLevel = *level;
    return {};
}

// RUST_LOG is an EnvFilter directive list ("info", "debug,hyper=warn", "libsql_server=trace").
// Take the level of the first directive and ignore what we do not understand.
QString setRustLog(ServerConfig &config, QStringView value)
{
    QStringView first = value.left(value.indexOf(u','));
    if (const qsizetype eq = first.indexOf(u'='); eq >= 0)
        first = first.mid(eq + 1);
    if (first.trimmed().compare(u"off", Qt::CaseInsensitive) == 0)
        config.logLevel = u"error"_s;
    else if (const auto level = normalizeLogLevel(first))
        config.logLevel = *level;
    return {};
}

using S = FlagStatus;
using C = ServerConfig;

// The single source for parsing, --help and error messages. Within each status group the order
// is the order of --help.
const auto FLAGS = std::to_array<FlagSpec>({
    // sqld flags qsqld implements
    { u"db-path", u'd', u"SQLD_DB_PATH", u"PATH", S::Supported, u"data.sqld",
        u"Root directory of the on-disk layout (databases, metadata).", &setText<&C::dbPath> },
    { u"http-listen-addr", 0, u"SQLD_HTTP_LISTEN_ADDR", u"ADDR", S::Supported, u"127.0.0.1:8080",
        u"Address and port of the user HTTP and WebSocket API.", &setHttpListen },
    { u"admin-listen-addr", 0, u"SQLD_ADMIN_LISTEN_ADDR", u"ADDR", S::Supported, {},
        u"Address and port of the admin HTTP API; off when not given.", &setOptionalListen<&C::adminListen> },
    { u"enable-namespaces", 0, u"QSQLD_ENABLE_NAMESPACES", {}, S::Supported, u"off",
        u"Route requests to namespaces by host name or path; otherwise everything uses 'default'.",
        &setSwitch<&C::enableNamespaces> },
    { u"disable-default-namespace", 0, u"QSQLD_DISABLE_DEFAULT_NAMESPACE", {}, S::Supported, u"off",
        u"Reject requests whose namespace cannot be determined instead of using 'default'.",
        &setSwitch<&C::disableDefaultNamespace> },
    { u"http-self-url", 0, u"SQLD_HTTP_SELF_URL", u"URL", S::Supported, {},
        u"Public URL of the HTTP API, returned as base_url for sticky Hrana streams.", &setText<&C::httpSelfUrl> },
    { u"max-response-size", 0, u"SQLD_MAX_RESPONSE_SIZE", u"SIZE", S::Supported, u"10MB",
        u"Largest single result or batch (estimated JSON size).", &setByteSize<&C::maxResponseSize, true> },
    { u"max-total-response-size", 0, u"SQLD_MAX_TOTAL_RESPONSE_SIZE", u"SIZE", S::Supported, u"32MB",
        u"Largest total size of all responses in flight.", &setByteSize<&C::maxTotalResponseSize, true> },
    { u"max-concurrent-connections", 0, u"SQLD_MAX_CONCURRENT_CONNECTIONS", u"N", S::Supported, u"128",
        u"Open client connections per listener; more get 503 and are closed.",
        &setInt<&C::maxConcurrentConnections, 1, MAX_CONCURRENCY> },
    { u"max-concurrent-requests", 0, u"SQLD_MAX_CONCURRENT_REQUESTS", u"N", S::Supported, u"128",
        u"Requests queued or running per worker thread; more get 503.",
        &setInt<&C::maxConcurrentRequests, 1, MAX_CONCURRENCY> },
    { u"connection-creation-timeout-sec", 0, u"SQLD_CONNECTION_CREATION_TIMEOUT_SEC", u"SECONDS", S::Supported, u"1",
        u"A request that waited longer than this for its worker gets 429.", &setSeconds<&C::connectionCreationTimeoutS> },
    { u"shutdown-timeout", 0, u"SQLD_SHUTDOWN_TIMEOUT", u"SECONDS", S::Supported, u"30",
        u"Grace period for in-flight requests at shutdown.", &setInt<&C::shutdownTimeoutS, 0, MAX_SECONDS> },
    { u"checkpoint-interval-s", 0, u"SQLD_CHECKPOINT_INTERVAL_S", u"SECONDS", S::Supported, {},
        u"Checkpoint the WAL periodically instead of automatically.", &setCheckpointInterval },
    { u"disable-metrics", 0, u"LIBSQL_DISABLE_METRICS", {}, S::Supported, u"off", u"GET /metrics on the admin port answers with no series.",
        &setSwitch<&C::disableMetrics> },
    // qsqld's own flags
    { u"disable-replication-log", 0, u"QSQLD_DISABLE_REPLICATION_LOG", {}, S::Supported, u"off",
        u"Keep no replication log: saves the disk and write cost of frame capture; embedded replicas cannot sync.",
        &setSwitch<&C::disableReplicationLog> },
    { u"page-cache-kib", 0, u"QSQLD_PAGE_CACHE_KIB", u"KiB", S::Supported, u"2000",
        u"Page cache limit of each SQLite connection (PRAGMA cache_size=-KiB); memory is taken only as pages are read.",
        &setInt<&C::pageCacheKib, 64, 1'048'576> },
    { u"worker-threads", 0, u"QSQLD_WORKER_THREADS", u"N", S::Supported, u"0 (auto)",
        u"SQLite worker threads; 0 means one per core, at least 1 and at most 8.",
        &setInt<&C::workerThreads, 0, MAX_WORKERS> },
    { u"max-request-body-size", 0, u"QSQLD_MAX_REQUEST_BODY_SIZE", u"SIZE", S::Supported, u"32MiB",
        u"Largest accepted request body; larger requests get 413.", &setByteSize<&C::maxRequestBodySize, false> },
    { u"statement-timeout-s", 0, u"QSQLD_STATEMENT_TIMEOUT_S", u"SECONDS", S::Supported, u"30",
        u"A statement running longer than this is interrupted.", &setSeconds<&C::statementTimeoutS> },
    { u"stream-expiry-s", 0, u"QSQLD_STREAM_EXPIRY_S", u"SECONDS", S::Supported, u"10",
        u"Idle time after which a Hrana-over-HTTP stream expires (fixed at 10 in sqld).",
        &setSeconds<&C::streamExpiryS> },
    { u"header-timeout-s", 0, u"QSQLD_HEADER_TIMEOUT_S", u"SECONDS", S::Supported, u"10",
        u"Time a client has to send the request headers.", &setSeconds<&C::headerTimeoutS> },
    { u"idle-connection-timeout-s", 0, u"QSQLD_IDLE_CONNECTION_TIMEOUT_S", u"SECONDS", S::Supported, u"60",
        u"Idle keep-alive connections are closed after this.", &setSeconds<&C::idleConnectionTimeoutS> },
    // RUST_LOG comes before --log-level so that QSQLD_LOG_LEVEL wins over it.
    { {}, 0, u"RUST_LOG", u"FILTER", S::Supported, u"info",
        u"sqld's log filter; qsqld reads the level of its first directive.", &setRustLog },
    { u"log-level", 0, u"QSQLD_LOG_LEVEL", u"LEVEL", S::Supported, u"info", u"One of error, warn, info, debug.",
        &setLogLevel },

    // Accepted and ignored
    { u"no-welcome", 0, {}, {}, S::Ignored, u"off", u"qsqld prints no welcome banner." },
    { u"enable-deadlock-monitor", 0, {}, {}, S::Ignored, u"off", u"Specific to sqld's async runtime." },
    { u"disable-intelligent-throttling", 0, u"SQLD_DISABLE_INTELLIGENT_THROTTLING", {}, S::Ignored, u"off",
        u"qsqld does no load-based throttling." },
    { u"force-load-wals", 0, {}, {}, S::Ignored, u"off", u"Specific to libsql-wal." },
    { u"allow-metastore-recovery", 0, u"SQLD_ALLOW_METASTORE_RECOVERY", {}, S::Ignored, u"off",
        u"Rebuilding the metadata store from dbs/*/config.json is left to the runtime." },
    { u"meta-store-destroy-on-error", 0, u"SQLD_META_STORE_DESTROY_ON_ERROR", {}, S::Ignored, u"off",
        u"qsqld never destroys the metadata store." },

    // Authentication. SQLD_ADMIN_AUTH_TOKEN (the name Fly deployments use) comes first so that
    // LIBSQL_ADMIN_AUTH_KEY and the flag win over it.
    { {}, 0, u"SQLD_ADMIN_AUTH_TOKEN", u"KEY", S::Supported, {}, u"Admin API key (alternative variable name).",
        &setText<&C::adminAuthKey> },
    { u"admin-auth-key", 0, u"LIBSQL_ADMIN_AUTH_KEY", u"KEY", S::Supported, {},
        u"Key the admin API requires: 'Authorization: Basic <key>' (sqld) or 'Bearer <key>'.",
        &setText<&C::adminAuthKey> },
    { u"auth-jwt-key-file", 0, u"SQLD_AUTH_JWT_KEY_FILE", u"FILE", S::Supported, {},
        u"Ed25519 public key(s) for JWT authentication (PEM, several for rotation, or raw base64url).",
        &setText<&C::authJwtKeyFile> },
    { {}, 0, u"SQLD_AUTH_JWT_KEY", u"KEY", S::Supported, {}, u"JWT public key text instead of a file.",
        &setText<&C::authJwtKey> },
    { u"http-auth", 0, u"SQLD_HTTP_AUTH", u"basic:CREDENTIALS", S::Supported, {},
        u"Legacy HTTP basic authentication (wins over JWT).", &setHttpAuth },

    // Small machines and auto-stopping ones (Fly.io).
    { u"max-active-namespaces", 0, u"SQLD_MAX_ACTIVE_NAMESPACES", u"N", S::Supported, u"100",
        u"Namespaces kept open (their SQLite connections and caches); the least recently used idle ones close.",
        &setInt<&C::maxActiveNamespaces, 1, 1'000'000> },
    { u"soft-heap-limit-mb", 0, u"SQLD_SOFT_HEAP_LIMIT_MB", u"MiB", S::Supported, {},
        u"SQLite frees caches to stay under this much heap (sqlite3_soft_heap_limit64).",
        &setOptionalInt<&C::softHeapLimitMb> },
    { u"hard-heap-limit-mb", 0, u"SQLD_HARD_HEAP_LIMIT_MB", u"MiB", S::Supported, {},
        u"SQLite refuses allocations past this much heap: statements fail with SQLITE_NOMEM.",
        &setOptionalInt<&C::hardHeapLimitMb> },
    { u"idle-shutdown-timeout-s", 0, u"SQLD_IDLE_SHUTDOWN_TIMEOUT_S", u"SECONDS", S::Supported, {},
        u"Shut down (exit 0) after this long without requests.", &setOptionalInt<&C::idleShutdownTimeoutS> },
    { u"initial-idle-shutdown-timeout-s", 0, u"SQLD_INITIAL_IDLE_SHUTDOWN_TIMEOUT_S", u"SECONDS", S::Supported, {},
        u"The idle timeout until the first request (a machine started for nothing stops sooner).",
        &setOptionalInt<&C::initialIdleShutdownTimeoutS> },

    { u"heartbeat-url", 0, u"SQLD_HEARTBEAT_URL", u"URL", S::Supported, {},
        u"POST each used namespace's stats to <URL>/<namespace> every period (else its own heartbeat_url).",
        &setHeartbeatUrl },
    { u"heartbeat-auth", 0, u"SQLD_HEARTBEAT_AUTH", u"VALUE", S::Supported, {},
        u"Authorization header of heartbeats, sent verbatim.", &setText<&C::heartbeatAuth> },
    { u"heartbeat-period-s", 0, u"SQLD_HEARTBEAT_PERIOD_S", u"SECONDS", S::Supported, u"30", u"Heartbeat period.",
        &setInt<&C::heartbeatPeriodS, 1, MAX_SECONDS> },

    // Embedded-replica sync: the replication log of each namespace and its snapshots.
    { u"max-log-size", 0, u"SQLD_MAX_LOG_SIZE", u"MB", S::Supported, u"200",
        u"Compact a namespace's replication log into a snapshot once it is this big.",
        &setInt<&C::maxLogSizeMb, 1, 1'000'000> },
    { u"max-log-duration", 0, u"SQLD_MAX_LOG_DURATION", u"SECONDS", S::Supported, {},
        u"... or once it is this old (checked after each write).", &setOptionalInt<&C::maxLogDurationS> },
    { u"snapshot-exec", 0, u"SQLD_SNAPSHOT_EXEC", u"COMMAND", S::Supported, {},
        u"Program run as '<COMMAND> <snapshot file> <namespace>' after each new snapshot.", &setText<&C::snapshotExec> },
    { u"snapshot-at-shutdown", 0, {}, {}, S::Supported, u"off",
        u"Compact every open namespace's replication log at shutdown.", &setSwitch<&C::snapshotAtShutdown> },

    { u"extensions-path", u'e', {}, u"DIR", S::Supported, {},
        u"Directory with trusted.lst ('<sha256> <file>' per line): extensions loaded into every connection.",
        &setText<&C::extensionsPath> },

    { u"hrana-listen-addr", u'l', u"SQLD_HRANA_LISTEN_ADDR", u"ADDR", S::Supported, {},
        u"Separate WebSocket-only Hrana listener (every path upgrades).", &setOptionalListen<&C::hranaListen> },

    // Not supported by this build yet
    { u"enable-http-console", 0, {}, {}, S::NotYet, u"off", u"Web console at /console." },

    // Out of scope: replication, gRPC, bottomless, encryption, libsql-wal storage
    { u"http-primary-url", 0, u"SQLD_HTTP_PRIMARY_URL", u"URL", S::OutOfScope, {}, u"Primary's URL (replica)." },
    { u"encryption-key", 0, u"SQLD_ENCRYPTION_KEY", u"KEY", S::OutOfScope, {}, u"Encryption at rest." },
    { u"grpc-listen-addr", 0, u"SQLD_GRPC_LISTEN_ADDR", u"ADDR", S::OutOfScope, {}, u"gRPC listener (primary)." },
    { u"grpc-tls", 0, {}, {}, S::OutOfScope, u"off", u"TLS for the gRPC listener." },
    { u"grpc-cert-file", 0, {}, u"FILE", S::OutOfScope, {}, u"gRPC server certificate." },
    { u"grpc-key-file", 0, {}, u"FILE", S::OutOfScope, {}, u"gRPC server key." },
    { u"grpc-ca-cert-file", 0, {}, u"FILE", S::OutOfScope, {}, u"gRPC CA certificate." },
    { u"primary-grpc-url", 0, u"SQLD_PRIMARY_GRPC_URL", u"URL", S::OutOfScope, {}, u"Primary's gRPC URL (replica)." },
    { u"primary-grpc-tls", 0, {}, {}, S::OutOfScope, u"off", u"TLS to the primary." },
    { u"primary-grpc-cert-file", 0, {}, u"FILE", S::OutOfScope, {}, u"Client certificate for the primary." },
    { u"primary-grpc-key-file", 0, {}, u"FILE", S::OutOfScope, {}, u"Client key for the primary." },
    { u"primary-grpc-ca-cert-file", 0, {}, u"FILE", S::OutOfScope, {}, u"CA certificate of the primary." },
    { u"enable-bottomless-replication", 0, u"SQLD_ENABLE_BOTTOMLESS_REPLICATION", {}, S::OutOfScope, u"off",
        u"S3 replication (bottomless)." },
    { u"backup-meta-store", 0, u"SQLD_BACKUP_META_STORE", {}, S::OutOfScope, u"off", u"S3 backup of the metastore." },
    { u"meta-store-access-key-id", 0, u"SQLD_META_STORE_ACCESS_KEY_ID", u"ID", S::OutOfScope, {},
        u"Metastore backup: S3 access key id." },
    { u"meta-store-secret-access-key", 0, u"SQLD_META_STORE_SECRET_ACCESS", u"KEY", S::OutOfScope, {},
        u"Metastore backup: S3 secret key." },
    { u"meta-store-session-token", 0, u"SQLD_META_STORE_SESSION_TOKEN", u"TOKEN", S::OutOfScope, {},
        u"Metastore backup: S3 session token." },
    { u"meta-store-region", 0, u"SQLD_META_STORE_REGION", u"REGION", S::OutOfScope, {},
        u"Metastore backup: S3 region." },
    { u"meta-store-backup-id", 0, u"SQLD_META_STORE_BACKUP_ID", u"ID", S::OutOfScope, {},
        u"Metastore backup: backup id." },
    { u"meta-store-bucket-name", 0, u"SQLD_META_STORE_BUCKET_NAME", u"NAME", S::OutOfScope, {},
        u"Metastore backup: S3 bucket." },
    { u"meta-store-backup-interval-s", 0, u"SQLD_META_STORE_BACKUP_INTERVAL_S", u"SECONDS", S::OutOfScope, {},
        u"Metastore backup: interval." },
    { u"meta-store-bucket-endpoint", 0, u"SQLD_META_STORE_BUCKET_ENDPOINT", u"URL", S::OutOfScope, {},
        u"Metastore backup: S3 endpoint." },
    { u"sync-from-storage", 0, u"LIBSQL_SYNC_FROM_STORAGE", {}, S::OutOfScope, u"off",
        u"Sync namespaces from the storage server (libsql-wal)." },
    { u"sync-conccurency", 0, u"LIBSQL_SYNC_CONCCURENCY", u"N", S::OutOfScope, u"8",
        u"Concurrency of --sync-from-storage (sqld's spelling)." },
    { u"migrate-bottomless", 0, u"LIBSQL_MIGRATE_BOTTOMLESS", {}, S::OutOfScope, u"off",
        u"Migrate bottomless to libsql-wal." },
    { u"storage-server-address", 0, u"LIBSQL_STORAGE_SERVER_ADDR", u"URL", S::OutOfScope, u"http://0.0.0.0:5002",
        u"libsql-wal storage server." },
    { u"use-libsql-wal", 0, {}, {}, S::OutOfScope, u"off", u"Use the libsql-wal engine." },

    { u"help", u'h', {}, {}, S::Info, {}, u"Print this help and exit." },
    { u"version", u'V', {}, {}, S::Info, {}, u"Print the version and exit." },
});

const FlagSpec *findLong(QStringView name)
{
    const auto it = std::find_if(
        FLAGS.begin(), FLAGS.end(), [name](const FlagSpec &f) { return !f.name.isEmpty() && f.name == name; });
    return it == FLAGS.end() ? nullptr : &*it;
}

const FlagSpec *findShort(QChar c)
{
    const auto it = std::find_if(
        FLAGS.begin(), FLAGS.end(), [c](const FlagSpec &f) { return f.shortName != 0 && QChar(f.shortName) == c; });
    return it == FLAGS.end() ? nullptr : &*it;
}

QString longLabel(const FlagSpec &spec)
{
    return u"--"_s + spec.name;
}

QString unsupportedMessage(const FlagSpec &spec, bool fromEnv)
{
    QString subject;
    if (!fromEnv)
        subject = longLabel(spec);
    else if (spec.name.isEmpty())
        subject = u"environment variable "_s + spec.env;
    else
        subject = u"environment variable "_s + spec.env + u" ("_s + longLabel(spec) + u')';
    const QStringView tail = spec.status == FlagStatus::NotYet ? u"is not supported by this qsqld build yet"
                                                               : u"is not supported by qsqld";
    return u"qsqld: "_s + subject + u' ' + tail;
}

QString statusText(FlagStatus status)
{
    switch (status) {
    case FlagStatus::Supported:
    case FlagStatus::Info:
        return u"supported"_s;
    case FlagStatus::Ignored:
        return u"accepted, ignored"_s;
    case FlagStatus::NotYet:
        return u"not supported yet"_s;
    case FlagStatus::OutOfScope:
        return u"out of scope"_s;
    }
    return {};
}

QString helpText()
{
    QString text = u"Usage: qsqld [OPTIONS]\n\n"
                   u"qsqld "_s
        + VERSION
        + u", a drop-in replacement for libSQL's sqld server.\n\n"
          u"Write flags as --flag VALUE or --flag=VALUE. A flag wins over its environment variable;\n"
          u"empty environment variables count as unset. Switches also take =true or =false.\n"
          u"SIZE uses bytesize syntax: 4096, 10MB, 1.5kb, 1 GiB (kb = 1000, KiB = 1024).\n"
          u"Giving a flag that is not supported or out of scope is an error, so it cannot go unnoticed.\n\n"
          u"Options:\n"_s;
    for (const FlagSpec &spec : FLAGS) {
        QString flag = spec.shortName ? u"-"_s + QChar(spec.shortName) + u", "_s : u"    "_s;
        if (spec.name.isEmpty())
            flag = u"    (environment only)"_s;
        else
            flag += longLabel(spec);
        if (!spec.isSwitch())
            flag += u" <"_s + spec.valueName + u'>';
        text += u"  "_s + flag.leftJustified(HELP_FLAG_WIDTH) + u"  "_s + statusText(spec.status) + u'\n';
        text += u"        "_s + spec.help + u'\n';
        if (spec.status == FlagStatus::Info)
            continue;
        const QStringView env = spec.env.isEmpty() ? QStringView(u"-") : spec.env;
        const QStringView def = spec.defaultText.isEmpty() ? QStringView(u"none") : spec.defaultText;
        text += u"        env: "_s + env + u"    default: "_s + def + u'\n';
    }
    text.chop(1); // no trailing newline, like the other outcome texts
    return text;
}

// A value is the next argument unless that looks like a flag. "-5" is a (negative) value.
bool looksLikeValue(const QString &arg)
{
    return !arg.startsWith(u'-') || arg.size() == 1 || arg.at(1).isDigit() || arg.at(1) == u'.';
}

// The command-line flags, resolved against the table but not applied yet.
class ArgumentScanner
{
public:
    struct Occurrence
    {
        const FlagSpec *spec;
        QString value;
    };

    explicit ArgumentScanner(const QStringList &args)
        : m_args(args)
    {
    }

    void scan()
    {
        for (qsizetype i = 1; i < m_args.size(); ++i) {
            const QString &arg = m_args.at(i);
            if (arg.startsWith(u"--") && arg.size() > 2)
                scanLong(i);
            else if (arg.startsWith(u'-') && arg.size() > 1 && arg != u"--")
                scanShort(i);
            else
                fail(u"qsqld: unexpected argument '"_s + arg + u"' (see --help)"_s);
        }
    }

    bool help = false;
    bool version = false;
    QString error; // the first one
    QList<Occurrence> occurrences;

private:
    void fail(const QString &message)
    {
        if (error.isEmpty())
            error = message;
    }

    void scanLong(qsizetype &i)
    {
        const QString &arg = m_args.at(i);
        const qsizetype eq = arg.indexOf(u'=');
        const QStringView name = QStringView(arg).mid(2, eq < 0 ? -1 : eq - 2);
        const FlagSpec *spec = findLong(name);
        if (!spec)
            return fail(u"qsqld: unknown flag --"_s + name + u" (see --help)"_s);
        take(*spec, eq < 0 ? std::nullopt : std::optional<QString>(arg.mid(eq + 1)), i);
    }

    void scanShort(qsizetype &i)
    {
        const QString &arg = m_args.at(i);
        const FlagSpec *spec = findShort(arg.at(1));
        if (!spec || (spec->isSwitch() && arg.size() > 2))
            return fail(u"qsqld: unknown flag "_s + arg + u" (see --help)"_s);
        std::optional<QString> inlineValue;
        if (arg.size() > 2) // "-dpath" or "-d=path"
            inlineValue = arg.mid(arg.at(2) == u'=' ? 3 : 2);
        take(*spec, inlineValue, i);
    }

    void take(const FlagSpec &spec, std::optional<QString> value, qsizetype &i)
    {
        if (spec.status == FlagStatus::Info) {
            (spec.name == u"help" ? help : version) = true;
            return;
        }
        if (spec.isSwitch()) {
            const std::optional<bool> on = value ? parseBool(*value) : std::optional<bool>(true);
            if (!on)
                return fail(u"qsqld: "_s + longLabel(spec) + u": "_s + notBoolean(*value));
            occurrences.append({ &spec, *on ? u"true"_s : u"false"_s });
            return;
        }
        if (!value) {
            if (i + 1 >= m_args.size() || !looksLikeValue(m_args.at(i + 1)))
                return fail(u"qsqld: "_s + longLabel(spec) + u" needs a value"_s);
            value = m_args.at(++i);
        }
        occurrences.append({ &spec, *value });
    }

    const QStringList &m_args;
};

// Applies one value from the command line or the environment. Returns the error line, or empty.
QString apply(ServerConfig &config, const FlagSpec &spec, const QString &value, bool fromEnv)
{
    switch (spec.status) {
    case FlagStatus::Ignored:
    case FlagStatus::Info:
        return {};
    case FlagStatus::NotYet:
    case FlagStatus::OutOfScope:
        // A switch that is explicitly off asks for nothing unsupported.
        if (spec.isSwitch() && value == u"false")
            return {};
        return unsupportedMessage(spec, fromEnv);
    case FlagStatus::Supported:
        break;
    }
    const QString problem = spec.set(config, value);
    if (problem.isEmpty())
        return {};
    return u"qsqld: "_s + (fromEnv ? spec.env.toString() : longLabel(spec)) + u": "_s + problem;
}

// Applies the environment to every entry the command line does not set. Returns the first error.
QString applyEnvironment(
    ServerConfig &config, const QProcessEnvironment &env, const QList<ArgumentScanner::Occurrence> &cli)
{
    QString firstError;
    for (const FlagSpec &spec : FLAGS) {
        if (spec.env.isEmpty() || spec.status == FlagStatus::Ignored)
            continue;
        const bool onCommandLine
            = std::any_of(cli.begin(), cli.end(), [&spec](const auto &o) { return o.spec == &spec; });
        QString value = env.value(spec.env.toString());
        if (onCommandLine || value.isEmpty())
            continue;
        QString error;
        if (spec.isSwitch()) {
            const std::optional<bool> on = parseBool(value);
            if (on)
                error = apply(config, spec, *on ? u"true"_s : u"false"_s, true);
            else
                error = u"qsqld: "_s + spec.env + u": "_s + notBoolean(value);
        } else {
            error = apply(config, spec, value, true);
        }
        if (firstError.isEmpty())
            firstError = error;
    }
    return firstError;
}

struct ByteUnit
{
    QStringView name;
    qint64 multiplier;
};

constexpr qint64 KB = 1000;
constexpr qint64 KIB = 1024;
constexpr ByteUnit BYTE_UNITS[] = {
    { u"b", 1 },
    { u"k", KB },
    { u"kb", KB },
    { u"ki", KIB },
    { u"kib", KIB },
    { u"m", KB *KB },
    { u"mb", KB *KB },
    { u"mi", KIB *KIB },
    { u"mib", KIB *KIB },
    { u"g", KB *KB *KB },
    { u"gb", KB *KB *KB },
    { u"gi", KIB *KIB *KIB },
    { u"gib", KIB *KIB *KIB },
    { u"t", KB *KB *KB *KB },
    { u"tb", KB *KB *KB *KB },
    { u"ti", KIB *KIB *KIB *KIB },
    { u"tib", KIB *KIB *KIB *KIB },
    { u"p", KB *KB *KB *KB *KB },
    { u"pb", KB *KB *KB *KB *KB },
    { u"pi", KIB *KIB *KIB *KIB *KIB },
    { u"pib", KIB *KIB *KIB *KIB *KIB },
};

std::optional<qint64> unitMultiplier(QStringView unit)
{
    for (const ByteUnit &u : BYTE_UNITS) {
        if (unit.compare(u.name, Qt::CaseInsensitive) == 0)
            return u.multiplier;
    }
    return std::nullopt;
}

bool isDigits(QStringView text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), [](QChar c) { return c.isDigit(); });
}

// QHostAddress also takes "127.1" and "0"; Rust's SocketAddr (and so sqld) wants four parts.
bool isDottedQuad(QStringView host)
{
    const auto parts = host.split(u'.');
    return parts.size() == 4
        && std::all_of(parts.begin(), parts.end(), [](QStringView p) { return isDigits(p) && p.size() <= 3; });
}

} // namespace

int ServerConfig::effectiveWorkerThreads() const
{
    if (workerThreads > 0)
        return workerThreads;
    return std::clamp(QThread::idealThreadCount(), 1, MAX_AUTO_WORKERS);
}

std::span<const FlagSpec> flagSpecs()
{
    return FLAGS;
}

ParseOutcome parseCommandLine(const QStringList &args, const QProcessEnvironment &env)
{
    ParseOutcome out;
    ArgumentScanner scanner(args);
    scanner.scan();
    if (scanner.help) {
        out.kind = ParseOutcome::Kind::Help;
        out.text = helpText();
        return out;
    }
    if (scanner.version) {
        out.kind = ParseOutcome::Kind::Version;
        out.text = u"qsqld "_s + VERSION;
        return out;
    }
    if (!scanner.error.isEmpty()) {
        out.kind = ParseOutcome::Kind::Error;
        out.text = scanner.error;
        return out;
    }
    // The environment first, then the command line over it; a command-line error is reported
    // in preference to an environment error.
    const QString envError = applyEnvironment(out.config, env, scanner.occurrences);
    QString cliError;
    for (const auto &occurrence : std::as_const(scanner.occurrences)) {
        const QString error = apply(out.config, *occurrence.spec, occurrence.value, false);
        if (cliError.isEmpty())
            cliError = error;
    }
    const QString error = cliError.isEmpty() ? envError : cliError;
    if (!error.isEmpty()) {
        out.kind = ParseOutcome::Kind::Error;
        out.text = error;
    }
    return out;
}

qint64 parseByteSize(QStringView text, bool *ok)
{
    *ok = false;
    const QStringView s = text.trimmed();
    if (s.isEmpty())
        return 0;
    if (isDigits(s)) {
        const qint64 n = s.toLongLong(ok);
        return *ok ? n : 0;
    }
    qsizetype end = 0;
    while (end < s.size() && (s.at(end).isDigit() || s.at(end) == u'.'))
        ++end;
    bool numberOk = false;
    const double number = s.left(end).toDouble(&numberOk);
    const std::optional<qint64> multiplier = unitMultiplier(s.mid(end).trimmed());
    if (end == 0 || !numberOk || !multiplier)
        return 0;
    const double bytes = number * double(*multiplier);
    // sqld truncates like Rust's `as u64`; refuse what does not fit instead of saturating.
    if (!(bytes < 9.2e18))
        return 0;
    *ok = true;
    return qint64(bytes);
}

std::optional<ListenAddress> parseListenAddress(QStringView text)
{
    const qsizetype colon = text.lastIndexOf(u':');
    if (colon < 0 || std::any_of(text.begin(), text.end(), [](QChar c) { return c.isSpace(); }))
        return std::nullopt;
    QStringView host = text.left(colon);
    const QStringView portText = text.mid(colon + 1);
    const bool bracketed = host.startsWith(u'[') && host.endsWith(u']');
    if (bracketed)
        host = host.mid(1, host.size() - 2);
    if (!isDigits(portText))
        return std::nullopt;
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!ok || port > 65535)
        return std::nullopt;

    QHostAddress address;
    if (!bracketed && host.compare(u"localhost", Qt::CaseInsensitive) == 0)
        address = QHostAddress(QHostAddress::LocalHost);
    else if ((!bracketed && !isDottedQuad(host)) || !address.setAddress(host.toString()))
        return std::nullopt;
    // IPv6 needs brackets (as in Rust's SocketAddr); IPv4 must not have them.
    const bool isV6 = address.protocol() == QAbstractSocket::IPv6Protocol;
    if (isV6 != bracketed)
        return std::nullopt;

    const QString hostText = isV6 ? u'[' + address.toString() + u']' : address.toString();
    // "[::]" is dual-stack, as a Rust (sqld) socket bound to it on Linux: IPv4 clients reach it too.
    if (address == QHostAddress(QHostAddress::AnyIPv6))
        address = QHostAddress(QHostAddress::Any);
    return ListenAddress { address, quint16(port), hostText + u':' + QString::number(port) };
}

} // namespace qsqld::runtime
