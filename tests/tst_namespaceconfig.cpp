#include <limits>

#include <sqlite3.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonValue>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "ns/metastore.h"
#include "ns/namespaceconfig.h"

using namespace Qt::StringLiterals;
using namespace qsqld::ns;

Q_DECLARE_METATYPE(NamespaceConfig)

namespace {

constexpr int FIELD_COUNT = 13;

// Proto3 defaults: what an empty blob decodes to.
NamespaceConfig protoZero()
{
    NamespaceConfig c;
    c.maxDbPages = 0;
    c.txnTimeoutS.reset();
    return c;
}

// Every field away from its default.
NamespaceConfig everything()
{
    NamespaceConfig c;
    c.blockReads = true;
    c.blockWrites = true;
    c.blockReason = u"maintenance \u2603"_s;
    c.maxDbPages = 2441; // 10 MB
    c.heartbeatUrl = u"http://hb.example/beat"_s;
    c.bottomlessDbId = u"bk-1"_s;
    c.jwtKey = u"abc"_s;
    c.txnTimeoutS = 30;
    c.allowAttach = true;
    c.maxRowSize = 1000;
    c.sharedSchema = true;
    c.sharedSchemaName = u"schema1"_s;
    c.durabilityMode = DurabilityMode::Extra;
    return c;
}

// Copies field `index` (0-based: proto field index + 1) from `from` into `to`.
void copyField(int index, const NamespaceConfig &from, NamespaceConfig *to)
{
    switch (index) {
    case 0:
        to->blockReads = from.blockReads;
        break;
    case 1:
        to->blockWrites = from.blockWrites;
        break;
    case 2:
        to->blockReason = from.blockReason;
        break;
    case 3:
        to->maxDbPages = from.maxDbPages;
        break;
    case 4:
        to->heartbeatUrl = from.heartbeatUrl;
        break;
    case 5:
        to->bottomlessDbId = from.bottomlessDbId;
        break;
    case 6:
        to->jwtKey = from.jwtKey;
        break;
    case 7:
        to->txnTimeoutS = from.txnTimeoutS;
        break;
    case 8:
        to->allowAttach = from.allowAttach;
        break;
    case 9:
        to->maxRowSize = from.maxRowSize;
        break;
    case 10:
        to->sharedSchema = from.sharedSchema;
        break;
    case 11:
        to->sharedSchemaName = from.sharedSchemaName;
        break;
    case 12:
        to->durabilityMode = from.durabilityMode;
        break;
    }
}

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text).replace(' ', ""));
}

// The GET JSON of `everything()`.
const QByteArray EVERYTHING_JSON
    = R"({"block_reads":true,"block_writes":true,"block_reason":"maintenance )"
      "\xe2\x98\x83"
      R"(","max_db_size":"10.0 MB","heartbeat_url":"http://hb.example/beat",)"
      R"("jwt_key":"abc","allow_attach":true,"txn_timeout_s":30,"durability_mode":"extra",)"
      R"("max_row_size":1000,"max_db_size_bytes":9998336})";

// sqld's tables (libsql-server/src/namespace/meta_store.rs), to build a metastore "as sqld left it".
constexpr const char *SQLD_SCHEMA
    = "CREATE TABLE IF NOT EXISTS namespace_configs (namespace TEXT NOT NULL PRIMARY KEY, config BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS shared_schema_links (shared_schema_name TEXT NOT NULL, namespace TEXT NOT NULL,"
      " PRIMARY KEY (shared_schema_name, namespace),"
      " FOREIGN KEY (shared_schema_name) REFERENCES namespace_configs (namespace)"
      " ON DELETE RESTRICT ON UPDATE RESTRICT,"
      " FOREIGN KEY (namespace) REFERENCES namespace_configs (namespace) ON DELETE RESTRICT ON UPDATE RESTRICT);";

// One text result of `sql` on the SQLite file `path` (opened independently of MetaStore).
QByteArray queryText(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    QByteArray result;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
            result = QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return result;
}

} // namespace

class TestNamespaceConfig : public QObject
{
    Q_OBJECT

private slots:
    void protoRoundTripAllCombinations();
    void protoEdgeValues_data();
    void protoEdgeValues();
    void decodeHandWritten_data();
    void decodeHandWritten();
    void encodeMatchesSqld();
    void decodeMalformed_data();
    void decodeMalformed();
    void decodeTruncated();
    void decodeFuzz();

    void toJsonGolden_data();
    void toJsonGolden();
    void maxDbSizeFormat_data();
    void maxDbSizeFormat();
    void maxDbSizeRoundTrip();
    void parseMaxDbSizeJson_data();
    void parseMaxDbSizeJson();

    void postSemantics_data();
    void postSemantics();
    void postLeavesCreateOnlyFields();
    void postErrors_data();
    void postErrors();
    void createBody_data();
    void createBody();
    void createErrors_data();
    void createErrors();
    void jsonFuzz();
    void normalizeUrl_data();
    void normalizeUrl();
    void configErrorBody();

    void metaStoreRoundTrip();
    void metaStoreSharedSchemaLinks();
    void metaStoreReadsSqldVolume();
    void metaStoreOpenErrors();
};

// ---- protobuf ----

void TestNamespaceConfig::protoRoundTripAllCombinations()
{
    const NamespaceConfig full = everything();
    for (int mask = 0; mask < (1 << FIELD_COUNT); ++mask) {
        NamespaceConfig c = protoZero();
        for (int f = 0; f < FIELD_COUNT; ++f) {
            if (mask & (1 << f))
                copyField(f, full, &c);
        }
        const std::optional<NamespaceConfig> back = decodeProto(encodeProto(c));
        QVERIFY2(back.has_value(), qPrintable(QString::number(mask)));
        QVERIFY2(*back == c, qPrintable(QString::number(mask)));
    }
}

void TestNamespaceConfig::protoEdgeValues_data()
{
    QTest::addColumn<NamespaceConfig>("config");
    NamespaceConfig c = protoZero();
    QTest::addRow("proto zero") << c;
    c.blockReason = QString(u""_s); // optional and set: written although empty
    c.heartbeatUrl = QString();
    c.bottomlessDbId = u""_s;
    c.jwtKey = u""_s;
    c.sharedSchemaName = u""_s;
    c.txnTimeoutS = 0;
    QTest::addRow("optional fields set to zero values") << c;
    c = protoZero();
    c.maxDbPages = std::numeric_limits<quint64>::max();
    c.txnTimeoutS = std::numeric_limits<quint64>::max();
    c.maxRowSize = std::numeric_limits<quint64>::max();
    QTest::addRow("max uint64") << c;
    c = protoZero();
    c.maxRowSize = 0;
    c.durabilityMode = DurabilityMode::Off;
    c.jwtKey = u"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"_s;
    c.blockReason = QString(300, u'\u00e9'); // a multi-byte length prefix
    QTest::addRow("long and non-ASCII strings") << c;
    QTest::addRow("sqld default") << NamespaceConfig();
}

void TestNamespaceConfig::protoEdgeValues()
{
    QFETCH(NamespaceConfig, config);
    const QByteArray blob = encodeProto(config);
    const std::optional<NamespaceConfig> back = decodeProto(blob);
    QVERIFY(back.has_value());
    QCOMPARE(*back, config);
    QCOMPARE(encodeProto(*back), blob);
}

void TestNamespaceConfig::decodeHandWritten_data()
{
    QTest::addColumn<QByteArray>("blob");
    QTest::addColumn<NamespaceConfig>("expected");

    // Written from the wire format: tag = field << 3 | wire type (0 varint, 2 length-delimited).
    NamespaceConfig c = protoZero();
    c.blockWrites = true;
    c.maxDbPages = 2441;
    c.jwtKey = u"abc"_s;
    c.durabilityMode = DurabilityMode::Strong;
    // 10 01: field 2 = 1 | 20 89 13: field 4 = 2441 (0x09|0x80, 0x13) | 3a 03 "abc": field 7 | 68 01: field 13 = 1
    QTest::addRow("spec example, minimal") << hex("1001 208913 3a03616263 6801") << c;
    // ... plus what sqld always writes: 50 c096b102: field 10 = 5 000 000; 58 00: field 11 = false
    QTest::addRow("spec example, as sqld writes it") << hex("1001 208913 3a03616263 50c096b102 5800 6801") << c;
    // fields out of order are fine
    QTest::addRow("fields out of order") << hex("6801 3a03616263 208913 1001") << c;

    QTest::addRow("empty blob") << QByteArray() << protoZero();

    // sqld's DatabaseConfig::default(): max_db_pages 244 140 625 000 000 (c0 ec e9 d9 b6 c1 37), txn 5.
    QTest::addRow("sqld default config") << hex("20c0ece9d9b6c137 4005 50c096b102 5800 6800") << NamespaceConfig();

    // Unknown fields of every wire type are skipped: 99 varint (98 06), 50 fixed32 (95 03), 51 fixed64 (99 03),
    // 20 length-delimited (a2 01), 30 group (f3 01 ... f4 01) with a nested varint field 1 inside.
    NamespaceConfig attach = protoZero();
    attach.allowAttach = true;
    QTest::addRow("unknown fields skipped")
        << hex("9806 7f 9503 01020304 4801 9903 0102030405060708 a201 03 616263 f301 0805 f401") << attach;

    NamespaceConfig last = protoZero();
    last.blockReason = u"second"_s;
    QTest::addRow("last value wins") << hex("0801 0800 1a0566697273741a067365636f6e64") << last;

    NamespaceConfig truthy = protoZero();
    truthy.blockReads = true;
    QTest::addRow("bool from varint 2") << hex("0802") << truthy;
    QTest::addRow("unknown durability is relaxed") << hex("6807") << protoZero();
    QTest::addRow("negative durability is relaxed") << hex("68ffffffffffffffffff01") << protoZero();

    NamespaceConfig big = protoZero();
    big.maxDbPages = std::numeric_limits<quint64>::max();
    QTest::addRow("10-byte varint") << hex("20ffffffffffffffffff01") << big;
}

void TestNamespaceConfig::decodeHandWritten()
{
    QFETCH(QByteArray, blob);
    QFETCH(NamespaceConfig, expected);
    const std::optional<NamespaceConfig> decoded = decodeProto(blob);
    QVERIFY(decoded.has_value());
    QCOMPARE(*decoded, expected);
}

void TestNamespaceConfig::encodeMatchesSqld()
{
    // What sqld (prost) writes for the same values, field by field in number order.
    NamespaceConfig c = protoZero();
    c.blockWrites = true;
    c.maxDbPages = 2441;
    c.jwtKey = u"abc"_s;
    c.durabilityMode = DurabilityMode::Strong;
    QCOMPARE(encodeProto(c).toHex(' '), hex("1001 208913 3a03616263 50c096b102 5800 6801").toHex(' '));
    QCOMPARE(encodeProto(NamespaceConfig()).toHex(' '), hex("20c0ece9d9b6c137 4005 50c096b102 5800 6800").toHex(' '));
}

void TestNamespaceConfig::decodeMalformed_data()
{
    QTest::addColumn<QByteArray>("blob");
    QTest::addRow("tag without value") << hex("08");
    QTest::addRow("unterminated tag") << hex("80");
    QTest::addRow("field 0") << hex("0000");
    QTest::addRow("known bool as length-delimited") << hex("0a00");
    QTest::addRow("known string as varint") << hex("1801");
    QTest::addRow("length past the end") << hex("1a05616263");
    QTest::addRow("huge length") << hex("1affffffffffffffffff01");
    QTest::addRow("string not UTF-8") << hex("1a02c328");
    QTest::addRow("11-byte varint") << hex("08ffffffffffffffffffff01");
    QTest::addRow("10th varint byte above 1") << hex("08ffffffffffffffffff02");
    QTest::addRow("end group without start") << hex("a401");
    QTest::addRow("group never ended") << hex("f301 0801");
    QTest::addRow("group ended by another field") << hex("f301 fc01");
    QTest::addRow("wire type 6") << hex("a601");
    QTest::addRow("wire type 7") << hex("a701");
    QTest::addRow("truncated fixed32") << hex("a5010000");
    QTest::addRow("truncated fixed64") << hex("a10100000000");
    QTest::addRow("tag above 32 bits") << hex("8080808080808080800108");
    QByteArray deep;
    for (int i = 0; i < 200; ++i)
        deep += hex("f301");
    for (int i = 0; i < 200; ++i)
        deep += hex("f401");
    QTest::addRow("groups nested too deep") << deep;
}

void TestNamespaceConfig::decodeMalformed()
{
    QFETCH(QByteArray, blob);
    QVERIFY(!decodeProto(blob).has_value());
}

void TestNamespaceConfig::decodeTruncated()
{
    // field boundaries of "10 01 | 20 89 13 | 3a 03 61 62 63 | 68 01": a cut anywhere else is malformed
    const QByteArray blob = hex("1001 208913 3a03616263 6801");
    const QList<qsizetype> boundaries { 0, 2, 5, 10, 12 };
    for (qsizetype n = 0; n <= blob.size(); ++n) {
        const bool valid = decodeProto(blob.first(n)).has_value();
        QVERIFY2(valid == boundaries.contains(n), qPrintable(QString::number(n)));
    }
    const QByteArray full = encodeProto(everything());
    int valid = 0;
    for (qsizetype n = 0; n < full.size(); ++n)
        valid += decodeProto(full.first(n)).has_value() ? 1 : 0;
    QCOMPARE(valid, FIELD_COUNT); // exactly one valid prefix per field boundary, from the empty one on
}

void TestNamespaceConfig::decodeFuzz()
{
    QRandomGenerator rng(20240611);
    const QByteArray seed = encodeProto(everything());
    int decoded = 0;
    for (int i = 0; i < 40000; ++i) {
        QByteArray blob;
        if (i % 2 == 0) {
            blob.resize(rng.bounded(48));
            for (char &b : blob)
                b = static_cast<char>(rng.bounded(256));
        } else {
            blob = seed;
            for (int k = rng.bounded(1, 4); k > 0; --k) {
                const auto pos = rng.bounded(int(blob.size()));
                switch (rng.bounded(3)) {
                case 0:
                    blob[pos] = static_cast<char>(rng.bounded(256));
                    break;
                case 1:
                    blob.insert(pos, static_cast<char>(rng.bounded(256)));
                    break;
                default:
                    blob.truncate(pos);
                    break;
                }
                if (blob.isEmpty())
                    break;
            }
        }
        const std::optional<NamespaceConfig> c = decodeProto(blob);
        if (!c)
            continue;
        ++decoded;
        const std::optional<NamespaceConfig> again = decodeProto(encodeProto(*c));
        QVERIFY(again.has_value());
        QCOMPARE(*again, *c);
    }
    QVERIFY(decoded > 0); // the mutations do produce valid blobs too
}

// ---- JSON ----

void TestNamespaceConfig::toJsonGolden_data()
{
    QTest::addColumn<NamespaceConfig>("config");
    QTest::addColumn<QByteArray>("json");
    QTest::addRow("default namespace (no metastore row)")
        << NamespaceConfig()
        << R"({"block_reads":false,"block_writes":false,"block_reason":null,"max_db_size":null,"heartbeat_url":null,)"
           R"("jwt_key":null,"allow_attach":false,"txn_timeout_s":5,"durability_mode":"relaxed",)"
           R"("max_row_size":5000000,"max_db_size_bytes":null})"_ba;
    QTest::addRow("created without options")
        << std::get<CreateOptions>(parseCreateBody("{}")).config
        << R"({"block_reads":false,"block_writes":false,"block_reason":null,"max_db_size":null,"heartbeat_url":null,)"
           R"("jwt_key":null,"allow_attach":false,"txn_timeout_s":null,"durability_mode":"relaxed",)"
           R"("max_row_size":5000000,"max_db_size_bytes":null})"_ba;
    QTest::addRow("everything set") << everything() << EVERYTHING_JSON;
    NamespaceConfig c = protoZero();
    c.blockReason = u"say \"hi\"\n\\"_s;
    c.maxDbPages = 262144;
    c.durabilityMode = DurabilityMode::Strong;
    QTest::addRow("escapes, binary size")
        << c
        << R"({"block_reads":false,"block_writes":false,"block_reason":)"
           "\"say \\\"hi\\\"\\n\\\\\""
           R"(,"max_db_size":"1 GiB",)"
           R"("heartbeat_url":null,"jwt_key":null,"allow_attach":false,"txn_timeout_s":null,)"
           R"("durability_mode":"strong","max_row_size":5000000,"max_db_size_bytes":1073741824})"_ba;
}

void TestNamespaceConfig::toJsonGolden()
{
    QFETCH(NamespaceConfig, config);
    QFETCH(QByteArray, json);
    QCOMPARE(toJson(config), json);
}

void TestNamespaceConfig::maxDbSizeFormat_data()
{
    QTest::addColumn<quint64>("pages");
    QTest::addColumn<QByteArray>("text");
    QTest::addRow("unlimited 0") << quint64(0) << QByteArray();
    QTest::addRow("sqld unlimited") << SQLD_UNLIMITED_DB_PAGES << QByteArray();
    QTest::addRow("above sqld unlimited") << std::numeric_limits<quint64>::max() << QByteArray();
    QTest::addRow("10MB, as sqld prints it") << quint64(2441) << "10.0 MB"_ba;
    QTest::addRow("500MB, as sqld") << quint64(122070) << "500.0 MB"_ba;
    QTest::addRow("1GB, as sqld") << quint64(244140) << "1000.0 MB"_ba;
    QTest::addRow("2GB, as sqld") << quint64(488281) << "2.0 GB"_ba;
    QTest::addRow("one page") << quint64(1) << "4.1 KB"_ba;
    QTest::addRow("1 GiB (sqld: 1073.7 MB)") << quint64(262144) << "1 GiB"_ba;
    QTest::addRow("16 MiB") << quint64(4096) << "16 MiB"_ba;
    QTest::addRow("2500 pages") << quint64(2500) << "10000 KiB"_ba;
    QTest::addRow("1 TiB") << quint64(268435456) << "1 TiB"_ba;
}

void TestNamespaceConfig::maxDbSizeFormat()
{
    QFETCH(quint64, pages);
    QFETCH(QByteArray, text);
    QCOMPARE(formatMaxDbSize(pages), text);
    if (!text.isEmpty())
        QCOMPARE(parseMaxDbSize(QJsonValue(QString::fromLatin1(text))), std::optional<quint64>(pages));
}

void TestNamespaceConfig::maxDbSizeRoundTrip()
{
    QList<quint64> pages;
    for (quint64 p = 1; p <= 5000; ++p)
        pages << p;
    for (int shift = 0; shift < 48; ++shift)
        pages << (quint64(1) << shift) << (quint64(1) << shift) + 1 << (quint64(1) << shift) - 1;
    pages << SQLD_UNLIMITED_DB_PAGES - 1 << SQLD_UNLIMITED_DB_PAGES / 1000 << 244140625 << 244140626;
    QRandomGenerator rng(7);
    for (int i = 0; i < 20000; ++i)
        pages << 1 + rng.bounded(SQLD_UNLIMITED_DB_PAGES - 1);
    for (const quint64 p : pages) {
        if (p == 0)
            continue;
        const QByteArray text = formatMaxDbSize(p);
        QVERIFY2(!text.isEmpty(), qPrintable(QString::number(p)));
        const std::optional<quint64> back = parseMaxDbSize(QJsonValue(QString::fromLatin1(text)));
        QVERIFY2(back == p, qPrintable(QString::number(p) + u" -> "_s + QString::fromLatin1(text)));
    }
}

void TestNamespaceConfig::parseMaxDbSizeJson_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<std::optional<quint64>>("pages");
    QTest::addRow("bytes") << QJsonValue(4096000) << std::optional<quint64>(1000);
    QTest::addRow("bytes, rounded down") << QJsonValue(8191) << std::optional<quint64>(1);
    QTest::addRow("500MB") << QJsonValue(u"500MB"_s) << std::optional<quint64>(122070);
    QTest::addRow("1 GiB") << QJsonValue(u"1 GiB"_s) << std::optional<quint64>(262144);
    QTest::addRow("plain digits") << QJsonValue(u"4096"_s) << std::optional<quint64>(1);
    QTest::addRow("sqld's unlimited text")
        << QJsonValue(u"1000.0 PB"_s) << std::optional<quint64>(SQLD_UNLIMITED_DB_PAGES);
    QTest::addRow("negative") << QJsonValue(-1) << std::optional<quint64>();
    QTest::addRow("fraction") << QJsonValue(1.5) << std::optional<quint64>();
    QTest::addRow("garbage") << QJsonValue(u"lots"_s) << std::optional<quint64>();
    QTest::addRow("null") << QJsonValue() << std::optional<quint64>();
    QTest::addRow("bool") << QJsonValue(true) << std::optional<quint64>();
}

void TestNamespaceConfig::parseMaxDbSizeJson()
{
    QFETCH(QJsonValue, value);
    QFETCH(std::optional<quint64>, pages);
    QCOMPARE(parseMaxDbSize(value), pages);
}

void TestNamespaceConfig::postSemantics_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("json"); // toJson of the result, applied to everything()

    const auto replaceIn = [](QByteArray json, std::initializer_list<std::pair<QByteArray, QByteArray>> edits) {
        for (const auto &[from, to] : edits)
            json.replace(from, to);
        return json;
    };
    // The pitfall: posting only the block flags drops jwt_key, allow_attach, block_reason and txn_timeout_s.
    const QByteArray flagsOnly = replaceIn(EVERYTHING_JSON,
        { { "\"block_reads\":true", "\"block_reads\":false" },
            { "\"block_reason\":\"maintenance \xe2\x98\x83\"", "\"block_reason\":null" },
            { "\"jwt_key\":\"abc\"", "\"jwt_key\":null" }, { "\"allow_attach\":true", "\"allow_attach\":false" },
            { "\"txn_timeout_s\":30", "\"txn_timeout_s\":null" } });
    QTest::addRow("pitfall: only block flags") << R"({"block_reads":false,"block_writes":true})"_ba << flagsOnly;
    QTest::addRow("GET output posted back is a no-op") << EVERYTHING_JSON << EVERYTHING_JSON;
    QTest::addRow("whitespace and trailing data (axum 0.6 ignores it)")
        << " \n{ \"block_reads\" : false ,\r\n\t\"block_writes\":true }  trailing garbage"_ba << flagsOnly;
    QTest::addRow("unknown keys of any shape are ignored") << R"({"foo":{"bar":[1,-2.5e3,{"x":null}],"y":)"
                                                              "\"\\u00e9\\ud83d\\ude00\""
                                                              R"(},"block_reads":false,"block_writes":true,"z":[]})"_ba
                                                           << flagsOnly;

    const QByteArray flags = R"("block_reads":false,"block_writes":true)"_ba;
    const auto post = [&flags](const char *more) -> QByteArray { return "{" + flags + "," + QByteArray(more) + "}"; };
    QTest::addRow("max_db_size number") << post(R"("max_db_size":4096000)")
                                        << replaceIn(flagsOnly,
                                               { { "\"10.0 MB\"", "\"4.1 MB\"" }, { "9998336", "4096000" } });
    QTest::addRow("max_db_size binary string")
        << post(R"("max_db_size":"1 GiB")")
        << replaceIn(flagsOnly, { { "\"10.0 MB\"", "\"1 GiB\"" }, { "9998336", "1073741824" } });
    QTest::addRow("max_db_size sqld's unlimited text") << post(
        R"("max_db_size":"1000.0 PB")") << replaceIn(flagsOnly, { { "\"10.0 MB\"", "null" }, { "9998336", "null" } });
    QTest::addRow("max_db_size 0 is unlimited")
        << post(R"("max_db_size":0)") << replaceIn(flagsOnly, { { "\"10.0 MB\"", "null" }, { "9998336", "null" } });
    QTest::addRow("max_db_size null: unchanged") << post(R"("max_db_size":null)") << flagsOnly;
    QTest::addRow("heartbeat_url normalised")
        << post(R"("heartbeat_url":"HTTP://Example.COM:80")")
        << replaceIn(flagsOnly, { { "http://hb.example/beat", "http://example.com/" } });
    QTest::addRow("heartbeat_url \"\" clears (qsqld)")
        << post(R"("heartbeat_url":"")") << replaceIn(flagsOnly, { { "\"http://hb.example/beat\"", "null" } });
    QTest::addRow("heartbeat_url null: unchanged") << post(R"("heartbeat_url":null)") << flagsOnly;
    QTest::addRow("jwt_key replaced") << post(R"("jwt_key":"k2")")
                                      << replaceIn(flagsOnly, { { "\"jwt_key\":null", "\"jwt_key\":\"k2\"" } });
    QTest::addRow("txn_timeout_s set") << post(R"("txn_timeout_s":0)")
                                       << replaceIn(flagsOnly, { { "\"txn_timeout_s\":null", "\"txn_timeout_s\":0" } });
    QTest::addRow("allow_attach set") << post(
        R"("allow_attach":true)") << replaceIn(flagsOnly, { { "\"allow_attach\":false", "\"allow_attach\":true" } });
    QTest::addRow("durability_mode set") << post(R"("durability_mode":"off")")
                                         << replaceIn(flagsOnly, { { "\"extra\"", "\"off\"" } });
    QTest::addRow("durability_mode null: unchanged") << post(R"("durability_mode":null)") << flagsOnly;
    QTest::addRow("max_row_size set (qsqld)") << post(
        R"("max_row_size":123)") << replaceIn(flagsOnly, { { "\"max_row_size\":1000", "\"max_row_size\":123" } });
    QTest::addRow("max_db_size_bytes is output only") << post(R"("max_db_size_bytes":1)") << flagsOnly;
}

void TestNamespaceConfig::postSemantics()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, json);
    const auto result = applyConfigPost(everything(), body);
    if (const auto *error = std::get_if<ConfigError>(&result))
        QFAIL(error->message.constData());
    QCOMPARE(toJson(std::get<NamespaceConfig>(result)), json);
}

void TestNamespaceConfig::postLeavesCreateOnlyFields()
{
    const auto result = applyConfigPost(everything(), R"({"block_reads":false,"block_writes":false})");
    const NamespaceConfig &c = std::get<NamespaceConfig>(result);
    QCOMPARE(c.bottomlessDbId, everything().bottomlessDbId);
    QCOMPARE(c.sharedSchema, true);
    QCOMPARE(c.sharedSchemaName, everything().sharedSchemaName);
    QCOMPARE(c.maxRowSize, quint64(1000));
}

void TestNamespaceConfig::postErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<bool>("plainText");

    const QByteArray shape = "Failed to deserialize the JSON body into the target type: ";
    const QByteArray syntax = "Failed to parse the request body as JSON: ";
    const QByteArray flags = R"({"block_reads":true,"block_writes":false,)";
    QTest::addRow("empty object") << "{}"_ba << 422 << shape + "missing field `block_reads` at line 1 column 2" << true;
    QTest::addRow("block_writes missing")
        << R"({"block_reads":true})"_ba << 422 << shape + "missing field `block_writes` at line 1 column 20" << true;
    QTest::addRow("empty body") << QByteArray() << 400 << syntax + "EOF while parsing a value at line 1 column 0"
                                << true;
    QTest::addRow("bad literal") << R"({"block_reads":tru})"_ba << 400
                                 << syntax + "block_reads: expected ident at line 1 column 19" << true;
    QTest::addRow("EOF in object") << R"({"block_reads":true)"_ba << 400
                                   << syntax + "EOF while parsing an object at line 1 column 19" << true;
    QTest::addRow("trailing comma") << R"({"block_reads":true,})"_ba << 400
                                    << syntax + "trailing comma at line 1 column 21" << true;
    QTest::addRow("missing colon") << R"({"block_reads" true})"_ba << 400
                                   << syntax + "block_reads: expected `:` at line 1 column 16" << true;
    QTest::addRow("unquoted key") << "{block_reads:true}"_ba << 400
                                  << syntax + "key must be a string at line 1 column 2" << true;
    QTest::addRow("broken ignored value")
        << R"({"x":[1 2]})"_ba << 400 << syntax + "x: expected `,` or `]` at line 1 column 9" << true;
    QTest::addRow("not an object") << R"("x")"_ba << 422
                                   << shape
            + R"(invalid type: string "x", expected struct HttpDatabaseConfig at line 1 column 3)"
                                   << true;
    QTest::addRow("string for bool") << R"({"block_reads":"yes","block_writes":true})"_ba << 422
                                     << shape
            + R"(block_reads: invalid type: string "yes", expected a boolean at line 1 column 20)"
                                     << true;
    QTest::addRow("position on line 2") << "{\n  \"block_reads\": 1\n}"_ba << 422
                                        << shape
            + "block_reads: invalid type: integer `1`, expected a boolean at line 2 column 18"
                                        << true;
    QTest::addRow("duplicate field") << R"({"block_reads":true,"block_reads":false})"_ba << 422
                                     << shape + "duplicate field `block_reads` at line 1 column 33" << true;
    QTest::addRow("unknown durability") << flags + R"("durability_mode":"fast"})" << 422
                                        << shape
            + "durability_mode: unknown variant `fast`, expected one of `extra`, `strong`, `relaxed`, `off` "
              "at line 1 column 65" << true;
    QTest::addRow("durability as a number (serde: a syntax error)")
        << flags + R"("durability_mode":1})" << 400 << syntax + "durability_mode: expected value at line 1 column 60"
        << true;
    QTest::addRow("unparsable max_db_size")
        << flags + R"("max_db_size":"lots"})" << 422
        << shape + R"(max_db_size: invalid value: string "lots", expected parsable string at line 1 column 61)" << true;
    QTest::addRow("negative max_db_size")
        << flags + R"("max_db_size":-5})" << 422
        << shape + "max_db_size: invalid value: integer `-5`, expected integer overflow at line 1 column 57" << true;
    QTest::addRow("fractional max_db_size")
        << flags + R"("max_db_size":1.5})" << 422
        << shape + "max_db_size: invalid type: floating point `1.5`, expected an integer or string at line 1 column 58"
        << true;
    QTest::addRow("txn_timeout_s as string")
        << flags + R"("txn_timeout_s":"5"})" << 422
        << shape + R"(txn_timeout_s: invalid type: string "5", expected u64 at line 1 column 60)" << true;
    QTest::addRow("negative txn_timeout_s")
        << flags + R"("txn_timeout_s":-1})" << 422
        << shape + "txn_timeout_s: invalid value: integer `-1`, expected u64 at line 1 column 59" << true;
    QTest::addRow("allow_attach null") << flags + R"("allow_attach":null})" << 422
                                       << shape
            + "allow_attach: invalid type: null, expected a boolean at line 1 column 60"
                                       << true;
    QTest::addRow("jwt_key array") << flags + R"("jwt_key":["k"]})" << 422
                                   << shape + "jwt_key: invalid type: sequence, expected a string at line 1 column 51"
                                   << true;
    QTest::addRow("bad string escape") << flags + "\"block_reason\":\"\\q\"}" << 400
                                       << syntax + "block_reason: invalid escape at line 1 column 59" << true;
    QTest::addRow("bad hex escape") << flags + "\"block_reason\":\"\\u12G4\"}" << 400
                                    << syntax + "block_reason: invalid escape at line 1 column 63" << true;
    QTest::addRow("ignored number cut short")
        << R"({"x":-)"_ba << 400 << syntax + "x: invalid number at line 1 column 6" << true;
    QTest::addRow("lone surrogate") << flags + "\"block_reason\":\"\\udc00\"}" << 400
                                    << syntax + "block_reason: lone leading surrogate in hex escape at line 1 column 63"
                                    << true;

    QTest::addRow("heartbeat_url not a URL")
        << flags + R"("heartbeat_url":"not a url"})" << 400 << "Wrong URL: relative URL without a base"_ba << false;
    QTest::addRow("heartbeat_url not http")
        << flags + R"("heartbeat_url":"ftp://x/"})" << 400
        << "Wrong URL: unsupported scheme `ftp`, expected `http` or `https`"_ba << false;
    QTest::addRow("heartbeat_url without host")
        << flags + R"("heartbeat_url":"http://"})" << 400 << "Wrong URL: empty host"_ba << false;
    QTest::addRow("blank jwt_key") << flags + R"("jwt_key":" "})" << 500
                                   << "Internal Error: `Could not decode Ed25519 public key: the key is empty`"_ba
                                   << false;
}

void TestNamespaceConfig::postErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QByteArray, message);
    QFETCH(bool, plainText);
    const auto result = applyConfigPost(everything(), body);
    QVERIFY(std::holds_alternative<ConfigError>(result));
    const ConfigError &error = std::get<ConfigError>(result);
    QCOMPARE(error.message, message);
    QCOMPARE(error.status, status);
    QCOMPARE(error.plainText, plainText);
}

void TestNamespaceConfig::createBody_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<NamespaceConfig>("expected");
    QTest::addColumn<QByteArray>("dumpUrl");

    NamespaceConfig defaults;
    defaults.txnTimeoutS.reset();
    QTest::addRow("empty body (qsqld)") << QByteArray() << defaults << QByteArray();
    QTest::addRow("blank body (qsqld)") << " \n"_ba << defaults << QByteArray();
    QTest::addRow("{}") << "{}"_ba << defaults << QByteArray();
    QTest::addRow("nulls are absent")
        << R"({"dump_url":null,"max_db_size":null,"heartbeat_url":null,"bottomless_db_id":null,"jwt_key":null,)"
           R"("txn_timeout_s":null,"max_row_size":null,"shared_schema_name":null,"durability_mode":null})"_ba
        << defaults << QByteArray();
    QTest::addRow("unknown keys ignored") << R"({"block_reads":true,"nope":[{}]})"_ba << defaults << QByteArray();

    NamespaceConfig c = defaults;
    c.maxDbPages = 2441;
    c.heartbeatUrl = u"https://hb.example/"_s;
    c.bottomlessDbId = u"b1"_s;
    c.jwtKey = u"abc"_s;
    c.txnTimeoutS = 7;
    c.maxRowSize = 100;
    c.sharedSchema = true;
    c.allowAttach = true;
    c.durabilityMode = DurabilityMode::Off;
    QTest::addRow("every field")
        << R"({"dump_url":"file:///tmp/d.sql","max_db_size":"10MB","heartbeat_url":"https://hb.example",)"
           R"("bottomless_db_id":"b1","jwt_key":"abc","txn_timeout_s":7,"max_row_size":100,"shared_schema":true,)"
           R"("allow_attach":true,"durability_mode":"off"})"_ba
        << c << "file:///tmp/d.sql"_ba;

    NamespaceConfig linked = defaults;
    linked.sharedSchemaName = u"schema1"_s;
    linked.maxDbPages = 1000;
    QTest::addRow("linked to a shared schema")
        << R"({"shared_schema_name":"schema1","max_db_size":4096000})"_ba << linked << QByteArray();
    QTest::addRow("http dump") << R"({"dump_url":"https://example.com/dump.sql"})"_ba << defaults
                               << "https://example.com/dump.sql"_ba;
}

void TestNamespaceConfig::createBody()
{
    QFETCH(QByteArray, body);
    QFETCH(NamespaceConfig, expected);
    QFETCH(QByteArray, dumpUrl);
    const auto result = parseCreateBody(body);
    if (const auto *error = std::get_if<ConfigError>(&result))
        QFAIL(error->message.constData());
    const CreateOptions &options = std::get<CreateOptions>(result);
    QCOMPARE(options.config, expected);
    QCOMPARE(options.dumpUrl.value_or(QByteArray()), dumpUrl);
    QCOMPARE(options.dumpUrl.has_value(), !dumpUrl.isEmpty());
}

void TestNamespaceConfig::createErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<bool>("plainText");
    const QByteArray shape = "Failed to deserialize the JSON body into the target type: ";
    QTest::addRow("shared schema referencing a shared schema")
        << R"({"shared_schema":true,"shared_schema_name":"s"})"_ba << 400
        << "Shared schema error: shared schema database cannot reference another shared schema"_ba << false;
    QTest::addRow("shared schema link with a dump")
        << R"({"shared_schema_name":"s","dump_url":"http://x/d"})"_ba << 400
        << "Shared schema usage error: database using shared schema database cannot be created from a dump"_ba << false;
    QTest::addRow("dump scheme") << R"({"dump_url":"ftp://x/d"})"_ba << 400
                                 << "Unsupported dump url scheme `ftp`, supported schemes are: `http`, `file`"_ba
                                 << false;
    QTest::addRow("dump_url not a URL") << R"({"dump_url":"nope"})"_ba << 422
                                        << shape
            + R"(dump_url: invalid value: string "nope", expected relative URL without a base at line 1 column 18)"
                                        << true;
    QTest::addRow("empty shared_schema_name")
        << R"({"shared_schema_name":""})"_ba << 422
        << shape + "shared_schema_name: Invalid namespace at line 1 column 24" << true;
    QTest::addRow("shared_schema not a bool")
        << R"({"shared_schema":1})"_ba << 422
        << shape + "shared_schema: invalid type: integer `1`, expected a boolean at line 1 column 18" << true;
    QTest::addRow("heartbeat") << R"({"heartbeat_url":"x"})"_ba << 400 << "Wrong URL: relative URL without a base"_ba
                               << false;
    QTest::addRow("blank jwt_key") << R"({"jwt_key":""})"_ba << 500
                                   << "Internal Error: `Could not decode Ed25519 public key: the key is empty`"_ba
                                   << false;
    QTest::addRow("array body") << "[1"_ba << 422
                                << shape
            + "invalid type: sequence, expected struct CreateNamespaceReq at line 1 column 0"
                                << true;
    QTest::addRow("syntax") << "{\"a\":}"_ba << 400
                            << "Failed to parse the request body as JSON: a: expected value at line 1 column 6"_ba
                            << true;
}

void TestNamespaceConfig::createErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QByteArray, message);
    QFETCH(bool, plainText);
    const auto result = parseCreateBody(body);
    QVERIFY(std::holds_alternative<ConfigError>(result));
    const ConfigError &error = std::get<ConfigError>(result);
    QCOMPARE(error.message, message);
    QCOMPARE(error.status, status);
    QCOMPARE(error.plainText, plainText);
}

void TestNamespaceConfig::jsonFuzz()
{
    // Random bytes and mutations of valid bodies: every outcome is a config or a well-formed error.
    QRandomGenerator rng(99);
    const QList<QByteArray> seeds { EVERYTHING_JSON,
        R"({"dump_url":"file:///d","max_db_size":"10MB","shared_schema":true,"x":[1,{"y":"\u00e9"}]})"_ba };
    const QByteArray alphabet = "{}[],:\"\\ -+.eE0123456789tfnulrsabu\n";
    for (int i = 0; i < 20000; ++i) {
        QByteArray body = seeds.at(i % 2);
        for (int k = rng.bounded(1, 6); k > 0 && !body.isEmpty(); --k) {
            const auto pos = rng.bounded(int(body.size()));
            const char c
                = i % 3 == 0 ? static_cast<char>(rng.bounded(256)) : alphabet.at(rng.bounded(int(alphabet.size())));
            switch (rng.bounded(3)) {
            case 0:
                body[pos] = c;
                break;
            case 1:
                body.insert(pos, c);
                break;
            default:
                body.remove(pos, rng.bounded(1, 8));
                break;
            }
        }
        for (const auto &result :
            { applyConfigPost(everything(), body), [&body]() -> std::variant<NamespaceConfig, ConfigError> {
                 auto created = parseCreateBody(body);
                 if (auto *error = std::get_if<ConfigError>(&created))
                     return *error;
                 return std::get<CreateOptions>(created).config;
             }() }) {
            if (const auto *error = std::get_if<ConfigError>(&result)) {
                QVERIFY(error->status == 400 || error->status == 422 || error->status == 500);
                QVERIFY(!error->message.isEmpty());
                QVERIFY(!error->plainText || error->message.contains(" at line "));
            } else {
                QVERIFY(!toJson(std::get<NamespaceConfig>(result)).isEmpty());
            }
        }
    }
}

void TestNamespaceConfig::normalizeUrl_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("output"); // empty: rejected
    QTest::addColumn<QByteArray>("reason");
    QTest::addRow("adds the root path") << u"http://example.com"_s << u"http://example.com/"_s << QByteArray();
    QTest::addRow("lower-cases scheme and host")
        << u"HTTPS://Example.COM/Path"_s << u"https://example.com/Path"_s << QByteArray();
    QTest::addRow("drops the default port") << u"http://x:80/a"_s << u"http://x/a"_s << QByteArray();
    QTest::addRow("keeps another port") << u"https://x:8443/a?b=1"_s << u"https://x:8443/a?b=1"_s << QByteArray();
    QTest::addRow("dot segments") << u"http://x/a/../b"_s << u"http://x/b"_s << QByteArray();
    QTest::addRow("IPv6") << u"http://[::1]:9000/"_s << u"http://[::1]:9000/"_s << QByteArray();
    QTest::addRow("surrounding spaces") << u"  http://x/  "_s << u"http://x/"_s << QByteArray();
    QTest::addRow("relative") << u"example.com/beat"_s << QString() << "relative URL without a base"_ba;
    QTest::addRow("empty") << QString() << QString() << "relative URL without a base"_ba;
    QTest::addRow("other scheme") << u"mailto:a@b"_s << QString()
                                  << "unsupported scheme `mailto`, expected `http` or `https`"_ba;
    QTest::addRow("no host") << u"http:///path"_s << QString() << "empty host"_ba;
    QTest::addRow("bad port") << u"http://x:99999/"_s << QString() << "invalid port number"_ba;
}

void TestNamespaceConfig::normalizeUrl()
{
    QFETCH(QString, input);
    QFETCH(QString, output);
    QFETCH(QByteArray, reason);
    QByteArray why;
    const std::optional<QString> url = normalizeHttpUrl(input, &why);
    QCOMPARE(url.value_or(QString()), output);
    QCOMPARE(why, reason);
}

void TestNamespaceConfig::configErrorBody()
{
    const ConfigError json { 400, "Wrong URL: \"x\"", false };
    QCOMPARE(json.body(), "{\"error\":\"Wrong URL: \\\"x\\\"\"}"_ba);
    QCOMPARE(json.contentType(), "application/json"_ba);
    const ConfigError text { 422, "Failed to deserialize", true };
    QCOMPARE(text.body(), "Failed to deserialize"_ba);
    QCOMPARE(text.contentType(), "text/plain; charset=utf-8"_ba);
}

// ---- MetaStore ----

void TestNamespaceConfig::metaStoreRoundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString dbPath = dir.filePath(u"data.sqld"_s); // does not exist yet
    NamespaceConfig a = everything();
    a.sharedSchemaName.reset();
    const NamespaceConfig b;
    {
        QString error;
        std::unique_ptr<MetaStore> store = MetaStore::open(dbPath, &error);
        QVERIFY2(store, qPrintable(error));
        QVERIFY(store->loadAll().isEmpty());
        QVERIFY2(store->put(u"a"_s, a, &error), qPrintable(error));
        QVERIFY2(store->put(u"b \u00e9"_s, b, &error), qPrintable(error));
        const QHash<QString, NamespaceConfig> all = store->loadAll();
        QCOMPARE(all.size(), 2);
        QCOMPARE(all.value(u"a"_s), a);
        QCOMPARE(all.value(u"b \u00e9"_s), b);
    }
    const QString file = dbPath + u"/metastore/data"_s;
    QVERIFY(QFileInfo::exists(file));
    QCOMPARE(queryText(file, "PRAGMA journal_mode"), "wal"_ba);
    QCOMPARE(queryText(file, "PRAGMA page_size"), "4096"_ba);
    QCOMPARE(queryText(file, "SELECT typeof(namespace) || ',' || typeof(config) FROM namespace_configs LIMIT 1"),
        "text,blob"_ba);
    QCOMPARE(queryText(file, "SELECT hex(config) FROM namespace_configs WHERE namespace = 'a'"),
        encodeProto(a).toHex().toUpper());
    {
        QString error;
        std::unique_ptr<MetaStore> store = MetaStore::open(dbPath, &error);
        QVERIFY2(store, qPrintable(error));
        QStringList warnings;
        QHash<QString, NamespaceConfig> all = store->loadAll(&warnings);
        QVERIFY(warnings.isEmpty());
        QCOMPARE(all.size(), 2);
        QCOMPARE(all.value(u"a"_s), a);
        a.blockReads = false;
        a.jwtKey.reset();
        QVERIFY2(store->put(u"a"_s, a, &error), qPrintable(error)); // upsert
        QVERIFY2(store->remove(u"b \u00e9"_s, &error), qPrintable(error));
        QVERIFY2(store->remove(u"never existed"_s, &error), qPrintable(error));
    }
    {
        QString error;
        std::unique_ptr<MetaStore> store = MetaStore::open(dbPath, &error);
        QVERIFY2(store, qPrintable(error));
        const QHash<QString, NamespaceConfig> all = store->loadAll();
        QCOMPARE(all.keys(), QStringList { u"a"_s });
        QCOMPARE(all.value(u"a"_s), a);
    }
}

void TestNamespaceConfig::metaStoreSharedSchemaLinks()
{
    QTemporaryDir dir;
    QString error;
    std::unique_ptr<MetaStore> store = MetaStore::open(dir.path(), &error);
    QVERIFY2(store, qPrintable(error));
    NamespaceConfig child;
    child.sharedSchemaName = u"schema"_s;
    QVERIFY(!store->put(u"child"_s, child, &error)); // the schema namespace has no row yet
    QVERIFY(error.contains(u"FOREIGN KEY"_s));
    QVERIFY(store->loadAll().isEmpty()); // rolled back
    NamespaceConfig schema;
    schema.sharedSchema = true;
    QVERIFY2(store->put(u"schema"_s, schema, &error), qPrintable(error));
    QVERIFY2(store->put(u"child"_s, child, &error), qPrintable(error));
    QCOMPARE(queryText(store->filePath(), "SELECT shared_schema_name || '/' || namespace FROM shared_schema_links"),
        "schema/child"_ba);
    QVERIFY(!store->remove(u"schema"_s, &error)); // still linked
    QVERIFY2(store->remove(u"child"_s, &error), qPrintable(error));
    QVERIFY2(store->remove(u"schema"_s, &error), qPrintable(error));
    QVERIFY(store->loadAll().isEmpty());
}

void TestNamespaceConfig::metaStoreReadsSqldVolume()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(u"metastore"_s));
    const QString file = dir.filePath(u"metastore/data"_s);
    {
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(file.toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, SQLD_SCHEMA, nullptr, nullptr, nullptr), SQLITE_OK);
        // sqld's blob for block_writes, 10 MB, jwt_key "abc", durability strong; and a row that is not protobuf.
        const char *insert = "INSERT INTO namespace_configs VALUES "
                             "('tenant1', X'1001208913' || X'3a03616263' || X'50c096b10258006801'), "
                             "('broken', X'ffffffff')";
        QCOMPARE(sqlite3_exec(db, insert, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    QString error;
    std::unique_ptr<MetaStore> store = MetaStore::open(dir.path(), &error);
    QVERIFY2(store, qPrintable(error));
    QStringList warnings;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"broken"_s));
    const QHash<QString, NamespaceConfig> all = store->loadAll(&warnings);
    QCOMPARE(all.size(), 1);
    const NamespaceConfig c = all.value(u"tenant1"_s);
    QVERIFY(c.blockWrites && !c.blockReads);
    QCOMPARE(c.maxDbPages, quint64(2441));
    QCOMPARE(c.jwtKey, std::optional<QString>(u"abc"_s));
    QCOMPARE(c.durabilityMode, DurabilityMode::Strong);
    QCOMPARE(c.maxRowSize, DEFAULT_MAX_ROW_SIZE);
    QCOMPARE(c.txnTimeoutS, std::optional<quint64>());
    QCOMPARE(warnings.size(), 1);
    QVERIFY(warnings.first().contains(u"`broken`"_s));
    // and our write of the same config is what sqld wrote
    QVERIFY2(store->put(u"tenant2"_s, c, &error), qPrintable(error));
    QCOMPARE(queryText(file, "SELECT hex(config) FROM namespace_configs WHERE namespace = 'tenant2'"),
        "1001208913"
        "3A03616263"
        "50C096B10258006801"_ba);
}

void TestNamespaceConfig::metaStoreOpenErrors()
{
    QTemporaryDir dir;
    QFile blocker(dir.filePath(u"file"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    QString error;
    QVERIFY(!MetaStore::open(blocker.fileName(), &error)); // <db-path> is a regular file
    QVERIFY(!error.isEmpty());

    QVERIFY(QDir(dir.path()).mkpath(u"notsqlite/metastore"_s));
    QFile garbage(dir.filePath(u"notsqlite/metastore/data"_s));
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    garbage.write(QByteArray(8192, 'x'));
    garbage.close();
    error.clear();
    QVERIFY(!MetaStore::open(dir.filePath(u"notsqlite"_s), &error));
    QVERIFY2(error.contains(u"not a database"_s), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestNamespaceConfig)
#include "tst_namespaceconfig.moc"
