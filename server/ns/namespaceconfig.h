#pragma once

// A namespace's configuration (sqld's DatabaseConfig) as a value, and its encodings:
// - the metastore protobuf `metadata.DatabaseConfig` (libsql-replication/proto/metadata.proto), byte-compatible
//   with sqld in both directions;
// - the admin API JSON of GET /v1/namespaces/:ns/config, and the POST bodies of .../config and .../create,
//   parsed with sqld's (serde/axum) semantics and error texts.
// Everything here is a pure function of its arguments: any thread.

#include <optional>
#include <variant>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

class QJsonValue;

namespace qsqld::ns {

// Values are the protobuf enum numbers. The JSON names are "relaxed", "strong", "extra", "off".
enum class DurabilityMode { Relaxed = 0, Strong = 1, Extra = 2, Off = 3 };

inline constexpr quint64 DB_PAGE_SIZE = 4096;
// sqld's default max_db_pages: 1000 PB / 4096. sqld means "unlimited" by it (and prints "1000.0 PB").
inline constexpr quint64 SQLD_UNLIMITED_DB_PAGES = 244'140'625'000'000ULL;
inline constexpr quint64 DEFAULT_MAX_ROW_SIZE = 5'000'000;
inline constexpr quint64 DEFAULT_TXN_TIMEOUT_S = 5;

// Field for field the protobuf message (numbers in comments). A default-constructed value equals sqld's
// `DatabaseConfig::default()`: what sqld uses for a namespace without a metastore row (in practice `default`),
// so txnTimeoutS is 5 there. A namespace created through the admin API starts from parseCreateBody() instead
// (txnTimeoutS absent unless given).
struct NamespaceConfig
{
    bool blockReads = false; // 1
    bool blockWrites = false; // 2
    std::optional<QString> blockReason; // 3
    quint64 maxDbPages = SQLD_UNLIMITED_DB_PAGES; // 4; 0 or >= SQLD_UNLIMITED_DB_PAGES: unlimited
    std::optional<QString> heartbeatUrl; // 5; normalised http(s) URL
    std::optional<QString> bottomlessDbId; // 6; kept for sqld, unused by qsqld
    std::optional<QString> jwtKey; // 7; PEM or raw base64url key text
    std::optional<quint64> txnTimeoutS = DEFAULT_TXN_TIMEOUT_S; // 8; absent means 5 s at run time
    bool allowAttach = false; // 9
    quint64 maxRowSize = DEFAULT_MAX_ROW_SIZE; // 10; proto `optional`, absent on disk means 5 000 000
    bool sharedSchema = false; // 11; proto `optional`, absent means false
    std::optional<QString> sharedSchemaName; // 12
    DurabilityMode durabilityMode = DurabilityMode::Relaxed; // 13; proto `optional`, absent means relaxed

    bool hasSizeLimit() const { return maxDbPages != 0 && maxDbPages < SQLD_UNLIMITED_DB_PAGES; }
    // The value for PRAGMA max_page_count, or nullopt when the size is unlimited.
    std::optional<quint64> pageLimit() const
    {
        return hasSizeLimit() ? std::optional<quint64>(maxDbPages) : std::nullopt;
    }
    quint64 effectiveTxnTimeoutS() const { return txnTimeoutS.value_or(DEFAULT_TXN_TIMEOUT_S); }

    bool operator==(const NamespaceConfig &) const = default;
};

// ---- protobuf (metastore `namespace_configs.config`) ----

// Encodes exactly as sqld (prost) does: fields in number order; proto3 scalars omitted when zero/false;
// `optional` fields written when set. Like sqld, fields 10 (max_row_size), 11 (shared_schema) and
// 13 (durability_mode) are always written, so a blob sqld wrote decodes and re-encodes byte for byte.
QByteArray encodeProto(const NamespaceConfig &config);

// nullopt for a malformed blob (bad varint, truncated field, wrong wire type for a known field, invalid UTF-8,
// stray end-group). Unknown fields are skipped. An empty blob is valid (all proto defaults: no size limit,
// no transaction timeout). An unknown durability number decodes as relaxed, as in sqld.
std::optional<NamespaceConfig> decodeProto(QByteArrayView blob);

// ---- JSON (admin API) ----

QByteArrayView durabilityName(DurabilityMode mode); // "relaxed", ...
std::optional<DurabilityMode> parseDurability(QByteArrayView name);
QByteArrayView synchronousPragmaValue(DurabilityMode mode); // "NORMAL", "FULL", "EXTRA", "OFF" (sqld's mapping)

// The GET /v1/namespaces/:ns/config body. sqld's keys in sqld's order, then qsqld's extras:
// {"block_reads","block_writes","block_reason","max_db_size","heartbeat_url","jwt_key","allow_attach",
//  "txn_timeout_s","durability_mode","max_row_size","max_db_size_bytes"}.
// max_db_size is formatMaxDbSize() or null when unlimited; max_db_size_bytes the exact byte count or null.
QByteArray toJson(const NamespaceConfig &config);

// The max_db_size text for a page count, or an empty (null) QByteArray when unlimited (qsqld answers null where
// sqld prints its bytesize bug "1000.0 PB"). The text always parses back (runtime::parseByteSize, then
// bytes / 4096) to exactly `maxDbPages`:
// 1. sqld's style, one decimal and decimal units chosen by powers of 1000 ("10.0 MB", "500.0 MB", "2.0 GB"),
//    when that text denotes exactly this page count. This is the case whenever the size was set in decimal units,
//    and it is then the same text sqld prints.
// 2. Otherwise the exact size in the largest binary unit that divides it: "1 GiB", "16 MiB", "9764 KiB"
//    (a page is 4 KiB, so this always exists).
QByteArray formatMaxDbSize(quint64 maxDbPages);

// max_db_size as a page count: a number is bytes, a string is bytesize syntax ("500MB", "1 GiB", "4096");
// pages = bytes / 4096 rounded down. nullopt for anything else (null, negative, fractional, unparsable).
std::optional<quint64> parseMaxDbSize(const QJsonValue &value);

// A rejected admin request. sqld answers JSON extraction errors in plain text (400 syntax, 422 shape) and
// everything else as {"error": message}.
struct ConfigError
{
    int status = 400;
    QByteArray message;
    bool plainText = false;

    QByteArray body() const; // message, or {"error":"<message>"}
    QByteArray contentType() const; // "text/plain; charset=utf-8" (axum's) or "application/json"
};

// POST /v1/namespaces/:ns/config with sqld's replace semantics applied to `current`:
// block_reads, block_writes required (422); block_reason, jwt_key, txn_timeout_s replaced (missing or null
// clears them); allow_attach replaced (missing means false); max_db_size, heartbeat_url, durability_mode changed
// only when present and not null. qsqld extensions: max_row_size changed when present and not null;
// "heartbeat_url": "" clears the URL. heartbeat_url must be an absolute http(s) URL (400 "Wrong URL: ...").
// jwt_key is only checked to be non-blank here (500 like sqld's other invalid keys); the caller validates the
// key format. Untouched: bottomless_db_id, shared_schema, shared_schema_name.
std::variant<NamespaceConfig, ConfigError> applyConfigPost(const NamespaceConfig &current, QByteArrayView jsonBody);

struct CreateOptions
{
    NamespaceConfig config;
    std::optional<QByteArray> dumpUrl; // as given; scheme checked (http, https, file), nothing else
};

// POST /v1/namespaces/:ns/create. An empty (or blank) body means "{}" (qsqld: sqld demands a body). Unknown keys
// are ignored. Checked here, in sqld's order: JSON shape (400/422 plain text); blank jwt_key (500); shared_schema
// with shared_schema_name, or shared_schema_name with dump_url (400); dump_url scheme (400); heartbeat_url (400).
// Left to the caller: the jwt_key format, whether shared_schema_name exists (404), loading the dump.
std::variant<CreateOptions, ConfigError> parseCreateBody(QByteArrayView jsonBody);

// An absolute http(s) URL normalised like sqld's Url::to_string ("http://Example.com" -> "http://example.com/"),
// or nullopt with the reason ("relative URL without a base", "empty host", ...) in *reason.
std::optional<QString> normalizeHttpUrl(const QString &text, QByteArray *reason);

} // namespace qsqld::ns
