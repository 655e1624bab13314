#pragma once

#include <optional>
#include <span>

#include <QHostAddress>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QStringView>

namespace qsqld::runtime {

using namespace Qt::StringLiterals;

// A resolved "host:port" listen address. Port 0 asks the OS for an ephemeral port.
// `text` is the canonical form ("127.0.0.1:8080", "[::1]:8080"), suitable for logs.
struct ListenAddress
{
    QHostAddress host;
    quint16 port = 0;
    QString text;

    bool operator==(const ListenAddress &) const = default;
};

// Everything qsqld reads from its command line and environment, as plain values.
// Built once at startup by parseCommandLine(); cheap to copy; any thread may read a copy.
struct ServerConfig
{
    // sqld flags implemented now
    QString dbPath = u"data.sqld"_s;
    ListenAddress httpListen { QHostAddress(QHostAddress::LocalHost), 8080, u"127.0.0.1:8080"_s };
    std::optional<ListenAddress> adminListen;
    std::optional<ListenAddress> hranaListen; // --hrana-listen-addr
    bool enableNamespaces = false;
    bool disableDefaultNamespace = false;
    QString httpSelfUrl;
    qint64 maxResponseSize = 10'000'000;
    qint64 maxTotalResponseSize = 32'000'000;
    int maxConcurrentConnections = 128;
    int maxConcurrentRequests = 128;
    double connectionCreationTimeoutS = 1.0;
    int shutdownTimeoutS = 30;
    std::optional<int> checkpointIntervalS;
    bool disableMetrics = false;
    int maxLogSizeMb = 200;                // --max-log-size: compact a namespace's replication log past this
    std::optional<int> maxLogDurationS;    // --max-log-duration: ... or when it is this old
    QString snapshotExec;                  // --snapshot-exec: run with <snapshot file> <namespace>
    QString extensionsPath;                // --extensions-path: directory with trusted.lst
    bool snapshotAtShutdown = false;       // --snapshot-at-shutdown
    int maxActiveNamespaces = 100;         // --max-active-namespaces (all workers together)
    std::optional<int> softHeapLimitMb;    // --soft-heap-limit-mb
    std::optional<int> hardHeapLimitMb;    // --hard-heap-limit-mb
    std::optional<int> idleShutdownTimeoutS;        // --idle-shutdown-timeout-s
    std::optional<int> initialIdleShutdownTimeoutS; // --initial-idle-shutdown-timeout-s
    QString heartbeatUrl;                  // --heartbeat-url (else each namespace's heartbeat_url)
    QString heartbeatAuth;                 // --heartbeat-auth
    int heartbeatPeriodS = 30;             // --heartbeat-period-s
    QString authJwtKeyFile;   // --auth-jwt-key-file
    QString authJwtKey;       // SQLD_AUTH_JWT_KEY: the key text itself
    QString httpAuth;         // --http-auth basic:<base64(user:password)>
    QString adminAuthKey;     // --admin-auth-key, LIBSQL_ADMIN_AUTH_KEY, SQLD_ADMIN_AUTH_TOKEN

    // qsqld's own flags (environment QSQLD_<UPPER_SNAKE>)
    int workerThreads = 0; // 0 = auto, see effectiveWorkerThreads()
    bool disableReplicationLog = false;
    int pageCacheKib = 2000; // --page-cache-kib: each SQLite connection's page cache limit
    qint64 maxRequestBodySize = 32LL * 1024 * 1024;
    double statementTimeoutS = 30.0;
    double streamExpiryS = 10.0;
    double headerTimeoutS = 10.0;
    double idleConnectionTimeoutS = 60.0;
    QString logLevel = u"info"_s; // always one of "error", "warn", "info", "debug"

    // workerThreads, or when it is 0 the number of cores clamped to 1..8.
    int effectiveWorkerThreads() const;

    bool operator==(const ServerConfig &) const = default;
};

struct ParseOutcome
{
    enum class Kind { Run, Help, Version, Error } kind = Kind::Run;
    ServerConfig config;
    QString text; // help text, version text, or one line of error without a trailing newline
};

// What qsqld does with a flag. The flag table is the single source for parsing, --help and errors.
enum class FlagStatus {
    Supported, // parsed into ServerConfig
    Ignored, // accepted and ignored: irrelevant to qsqld
    NotYet, // parsed, but giving it is an error: not supported by this build yet
    OutOfScope, // parsed, but giving it is an error: replication, gRPC, bottomless, encryption...
    Info, // --help, --version
};

using FlagSetter = QString (*)(ServerConfig &config, QStringView value); // returns the problem, or empty

struct FlagSpec
{
    QStringView name; // long name without "--"; empty for an environment-only entry
    char16_t shortName; // 0 if none
    QStringView env; // environment variable, empty if none
    QStringView valueName; // placeholder in --help; empty for a switch (boolean flag)
    FlagStatus status;
    QStringView defaultText; // for --help; empty means "none"
    QStringView help; // one line for --help
    FlagSetter set = nullptr; // Supported entries only; a switch receives "true" or "false"

    bool isSwitch() const { return valueName.isEmpty(); }
};

// The flag table, in --help order within each status group.
std::span<const FlagSpec> flagSpecs();

// Parses qsqld's arguments (args includes argv[0]). The command line wins over the environment;
// environment variables that are set but empty count as unset. Never exits and never prints.
// Does not touch the file system or the network.
ParseOutcome parseCommandLine(const QStringList &args, const QProcessEnvironment &env);

// bytesize syntax: a plain integer, or a number, optional spaces and a case-insensitive unit:
// b, k/kb, m/mb, g/gb, t/tb, p/pb (x1000^n) and ki/kib ... pi/pib (x1024^n). Fractions are
// truncated to whole bytes, as sqld does ("1.5kb" is 1500). Returns 0 and *ok = false on error.
qint64 parseByteSize(QStringView text, bool *ok);

// "127.0.0.1:8080", "0.0.0.0:8080", "[::1]:8080", "localhost:8080" (127.0.0.1, no DNS).
// The port is required and must be 0..65535; other host names are rejected.
std::optional<ListenAddress> parseListenAddress(QStringView text);

} // namespace qsqld::runtime
