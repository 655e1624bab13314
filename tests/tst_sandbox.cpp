// Tenant isolation inside SQL: every escape a tenant could try through the pipeline is refused with an error and
// leaves no trace (no file written, the journal still WAL, the other tenant untouched); the SQLite authorizer
// (sql::Sandbox) refuses the same operations on its own, for statements that would get past the analyzer; namespace
// folders that are symbolic links are never followed.

#include "testserver.h"

#include "sql/sandbox.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <sqlite3.h>

using namespace qsqld::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int TIMEOUT = 10000;

RawResponse request(quint16 port, const QByteArray &bytes)
{
    return oneRequest(port, bytes, TIMEOUT);
}

QByteArray jsonString(const QByteArray &text)
{
    return QJsonDocument(QJsonArray{QString::fromUtf8(text)}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
}

// The first result of one statement on `ns`: {"type":"ok"|"error", ...}.
QJsonObject run(const TestServer &srv, const QByteArray &ns, const QByteArray &sql)
{
    const QByteArray body = R"({"requests":[{"type":"execute","stmt":{"sql":)" + jsonString(sql) + R"(}},{"type":"close"}]})";
    const RawResponse r = request(srv.port(), post("/v2/pipeline", body, "x-namespace: " + ns + "\r\n"));
    if (r.status != 200)
        return QJsonObject{{u"type"_s, u"http"_s}, {u"status"_s, r.status}, {u"body"_s, QString::fromUtf8(r.body)}};
    return QJsonDocument::fromJson(r.body).object()[u"results"_s].toArray().at(0).toObject();
}

QString firstValue(const QJsonObject &result)
{
    const QJsonValue v = result[u"response"_s][u"result"_s][u"rows"_s].toArray().at(0).toArray().at(0)[u"value"_s];
    return v.isString() ? v.toString() : QString::number(v.toDouble());
}

} // namespace

class TestSandbox : public QObject
{
    Q_OBJECT

    TestServer m_srv;
    QTemporaryDir m_outside; // a folder of the host that no tenant may write to

    RawResponse admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        return request(m_srv.adminPort(), method + ' ' + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                              + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    }
    QString dbs() const { return m_srv.dir.path() + u"/data/dbs"_s; }

private slots:
    void initTestCase()
    {
        QVERIFY(m_srv.start());
        QCOMPARE(admin("POST", "/v1/namespaces/alice/create", "{}").status, 200);
        QCOMPARE(admin("POST", "/v1/namespaces/bob/create", "{}").status, 200);
        QCOMPARE(run(m_srv, "alice", "CREATE TABLE t(x)")[u"type"_s].toString(), u"ok"_s);
        QCOMPARE(run(m_srv, "bob", "CREATE TABLE secrets(s)")[u"type"_s].toString(), u"ok"_s);
        QCOMPARE(run(m_srv, "bob", "INSERT INTO secrets VALUES ('bob only')")[u"type"_s].toString(), u"ok"_s);
    }

    void escapesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("sql");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("mentions");
        const QByteArray out = m_outside.path().toUtf8();
        const QByteArray bobFile = dbs().toUtf8() + "/bob/data";
        const auto row = [](const char *name, const QByteArray &sql, const char *code, const char *mentions) {
            QTest::newRow(name) << sql << QString::fromLatin1(code) << QString::fromLatin1(mentions);
        };
        // Files of the host and other tenants
        row("vacuum into", "VACUUM INTO '" + out + "/stolen.db'", "SQL_PARSE_ERROR", "unsupported statement");
        row("attach a path", "ATTACH '" + bobFile + "' AS b", "SQL_PARSE_ERROR", "unsupported statement");
        row("attach a file uri", "ATTACH 'file:" + bobFile + "?mode=ro' AS b", "SQL_PARSE_ERROR", "unsupported statement");
        row("attach a relative path", "ATTACH '../bob/data' AS b", "SQL_PARSE_ERROR", "unsupported statement");
        row("attach a new file", "ATTACH DATABASE '" + out + "/new.db' AS n", "SQL_PARSE_ERROR", "unsupported statement");
        row("attach a dotted name", "ATTACH \"../bob\" AS b", "HTTP 403", "doesn't allow attach");
        row("attach without allow_attach", "ATTACH bob AS b", "HTTP 403", "doesn't allow attach");
        // Extensions
        row("load_extension", "SELECT load_extension('" + out + "/evil.so')", "SQL_INPUT_ERROR", "load_extension");
        row("fts3_tokenizer", "SELECT fts3_tokenizer('simple')", "SQL_INPUT_ERROR", "fts3_tokenizer");
        // Pragmas that would break the database, replication or the server
        row("writable_schema", "PRAGMA writable_schema=1", "SQL_PARSE_ERROR", "unsupported statement");
        row("journal_mode", "PRAGMA journal_mode=DELETE", "SQL_PARSE_ERROR", "unsupported statement");
        row("wal_checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)", "SQL_PARSE_ERROR", "unsupported statement");
        row("wal_autocheckpoint", "PRAGMA wal_autocheckpoint=0", "SQL_PARSE_ERROR", "unsupported statement");
        row("mmap_size", "PRAGMA mmap_size=268435456", "SQL_PARSE_ERROR", "unsupported statement");
        row("temp_store_directory", "PRAGMA temp_store_directory='" + out + "'", "SQL_PARSE_ERROR", "unsupported statement");
        row("max_page_count", "PRAGMA max_page_count=2147483646", "SQL_PARSE_ERROR", "unsupported statement");
        row("page_size", "PRAGMA page_size=65536", "SQL_PARSE_ERROR", "unsupported statement");
        row("synchronous", "PRAGMA synchronous=OFF", "SQL_PARSE_ERROR", "unsupported statement");
        row("locking_mode", "PRAGMA locking_mode=EXCLUSIVE", "SQL_PARSE_ERROR", "unsupported statement");
        row("hard_heap_limit", "PRAGMA hard_heap_limit=1", "SQL_PARSE_ERROR", "unsupported statement");
        row("schema pragma in a select", "SELECT * FROM pragma_mmap_size(268435456)", "", "");
        row("temp table", "CREATE TEMP TABLE tt(x)", "SQL_PARSE_ERROR", "unsupported statement");
    }
    void escapesAreRefused()
    {
        QFETCH(QByteArray, sql);
        QFETCH(QString, code);
        QFETCH(QString, mentions);
        const QJsonObject r = run(m_srv, "alice", sql);
        if (code == u"HTTP 403"_s) { // sqld refuses a forbidden ATTACH for the whole request
            QCOMPARE(r[u"status"_s].toInt(), 403);
            QVERIFY2(r[u"body"_s].toString().contains(mentions), qPrintable(r[u"body"_s].toString()));
        } else {
            QVERIFY2(r[u"type"_s].toString() == u"error"_s, QJsonDocument(r).toJson().constData());
            const QJsonObject e = r[u"error"_s].toObject();
            if (!code.isEmpty())
                QCOMPARE(e[u"code"_s].toString(), code);
            QVERIFY2(e[u"message"_s].toString().contains(mentions), qPrintable(e[u"message"_s].toString()));
        }
        // No trace: nothing written outside, alice still in WAL mode and working, bob untouched.
        QCOMPARE(QDir(m_outside.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
        QCOMPARE(firstValue(run(m_srv, "alice", "PRAGMA journal_mode")), u"wal"_s);
        QCOMPARE(run(m_srv, "alice", "INSERT INTO t VALUES (1)")[u"type"_s].toString(), u"ok"_s);
        QCOMPARE(firstValue(run(m_srv, "bob", "SELECT s FROM secrets")), u"bob only"_s);
    }

    // A view or trigger created now cannot smuggle a refused function into a later statement.
    void storedSqlCannotCallRefusedFunctions()
    {
        QCOMPARE(run(m_srv, "alice", "CREATE VIEW sneaky AS SELECT load_extension('x') AS v")[u"type"_s].toString(),
                 u"ok"_s);
        const QJsonObject r = run(m_srv, "alice", "SELECT * FROM sneaky");
        QCOMPARE(r[u"type"_s].toString(), u"error"_s);
        QVERIFY2(r[u"error"_s][u"message"_s].toString().contains(u"load_extension"_s),
                 qPrintable(r[u"error"_s][u"message"_s].toString()));
        QCOMPARE(run(m_srv, "alice", "DROP VIEW sneaky")[u"type"_s].toString(), u"ok"_s);
    }

    // What tenants legitimately do still works under the sandbox.
    void ordinarySqlStillWorks()
    {
        for (const QByteArray &sql : {"PRAGMA foreign_keys=ON"_ba, "PRAGMA table_info(t)"_ba, "PRAGMA journal_mode"_ba,
                                      "SELECT * FROM pragma_table_info('t')"_ba, "PRAGMA user_version = 7"_ba,
                                      "CREATE INDEX ti ON t(x)"_ba, "SELECT count(*) FROM t"_ba}) {
            const QJsonObject r = run(m_srv, "alice", sql);
            QVERIFY2(r[u"type"_s].toString() == u"ok"_s, QByteArray(sql + " → " + QJsonDocument(r).toJson()).constData());
        }
        // An allowed attach (bob allows it) goes through the sandbox's one permitted file, read-only.
        QCOMPARE(admin("POST", "/v1/namespaces/bob/config", R"({"block_reads":false,"block_writes":false,"allow_attach":true})").status, 200);
        const QByteArray body = R"({"requests":[{"type":"execute","stmt":{"sql":"ATTACH bob AS b"}},)"
                                R"({"type":"execute","stmt":{"sql":"SELECT s FROM b.secrets"}},)"
                                R"x({"type":"execute","stmt":{"sql":"INSERT INTO b.secrets VALUES ('from alice')"}},)x"
                                R"({"type":"close"}]})";
        const RawResponse r = request(m_srv.port(), post("/v2/pipeline", body, "x-namespace: alice\r\n"));
        QCOMPARE(r.status, 200);
        const QJsonArray results = QJsonDocument::fromJson(r.body).object()[u"results"_s].toArray();
        QCOMPARE(results.at(0)[u"type"_s].toString(), u"ok"_s);
        QCOMPARE(firstValue(results.at(1).toObject()), u"bob only"_s);
        QCOMPARE(results.at(2)[u"type"_s].toString(), u"error"_s); // read-only
        QCOMPARE(admin("POST", "/v1/namespaces/bob/config", R"({"block_reads":false,"block_writes":false})").status, 200);
    }

    // durability_mode (admin config) is what the tenant's connection runs with; the tenant cannot change it.
    void durabilityModeSetsSynchronous()
    {
        const QList<QPair<QByteArray, QString>> modes = {{"strong", u"2"_s}, {"extra", u"3"_s}, {"relaxed", u"1"_s}};
        for (const auto &[mode, level] : modes) {
            QCOMPARE(admin("POST", "/v1/namespaces/alice/config",
                           "{\"block_reads\":false,\"block_writes\":false,\"durability_mode\":\"" + mode + "\"}").status,
                     200);
            QCOMPARE(firstValue(run(m_srv, "alice", "PRAGMA synchronous")), level);
        }
        QCOMPARE(run(m_srv, "alice", "PRAGMA synchronous=OFF")[u"type"_s].toString(), u"error"_s);
        QCOMPARE(firstValue(run(m_srv, "alice", "PRAGMA synchronous")), u"1"_s);
    }

    // The authorizer on its own, for statements the analyzer would have stopped first.
    void authorizerRefusesOnItsOwn_data()
    {
        QTest::addColumn<QByteArray>("sql");
        QTest::addColumn<QByteArray>("reason");
        QTest::newRow("writable_schema") << "PRAGMA writable_schema=ON"_ba << "PRAGMA writable_schema is not allowed"_ba;
        QTest::newRow("writable_schema read") << "PRAGMA writable_schema"_ba << "PRAGMA writable_schema is not allowed"_ba;
        QTest::newRow("wal_checkpoint") << "PRAGMA wal_checkpoint(TRUNCATE)"_ba << "PRAGMA wal_checkpoint is not allowed"_ba;
        QTest::newRow("temp_store_directory") << "PRAGMA temp_store_directory='/tmp'"_ba
                                              << "PRAGMA temp_store_directory is not allowed"_ba;
        QTest::newRow("journal_mode") << "PRAGMA journal_mode=DELETE"_ba << "PRAGMA journal_mode cannot be set"_ba;
        QTest::newRow("mixed case") << "PRAGMA Journal_Mode=off"_ba << "PRAGMA journal_mode cannot be set"_ba;
        QTest::newRow("schema-qualified") << "PRAGMA main.journal_mode=memory"_ba << "PRAGMA journal_mode cannot be set"_ba;
        QTest::newRow("wal_autocheckpoint") << "PRAGMA wal_autocheckpoint=0"_ba << "PRAGMA wal_autocheckpoint cannot be set"_ba;
        QTest::newRow("mmap_size") << "PRAGMA mmap_size=1000000"_ba << "PRAGMA mmap_size cannot be set"_ba;
        QTest::newRow("max_page_count") << "PRAGMA max_page_count=99999999"_ba << "PRAGMA max_page_count cannot be set"_ba;
        QTest::newRow("page_size") << "PRAGMA page_size=8192"_ba << "PRAGMA page_size cannot be set"_ba;
        QTest::newRow("synchronous") << "PRAGMA synchronous=OFF"_ba << "PRAGMA synchronous cannot be set"_ba;
        QTest::newRow("locking_mode") << "PRAGMA locking_mode=EXCLUSIVE"_ba << "PRAGMA locking_mode cannot be set"_ba;
        QTest::newRow("soft_heap_limit") << "PRAGMA soft_heap_limit=1"_ba << "PRAGMA soft_heap_limit cannot be set"_ba;
        QTest::newRow("schema_version") << "PRAGMA schema_version=1"_ba << "PRAGMA schema_version cannot be set"_ba;
        QTest::newRow("attach a file") << "ATTACH 'other.db' AS o"_ba << "ATTACH takes a namespace name"_ba;
        QTest::newRow("attach memory") << "ATTACH ':memory:' AS m"_ba << "ATTACH takes a namespace name"_ba;
        QTest::newRow("load_extension") << "SELECT load_extension('x.so')"_ba << "load_extension() is not allowed"_ba;
        QTest::newRow("fts3_tokenizer") << "SELECT fts3_tokenizer('simple')"_ba << "fts3_tokenizer() is not allowed"_ba;
    }
    void authorizerRefusesOnItsOwn()
    {
        QFETCH(QByteArray, sql);
        QFETCH(QByteArray, reason);
        QTemporaryDir dir;
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(dir.filePath(u"t.db"_s)).constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
        qsqld::sql::Sandbox sandbox;
        sandbox.install(db);
        sqlite3_stmt *st = nullptr;
        {
            qsqld::sql::Sandbox::UserScope tenant(sandbox, "file:/allowed/data?mode=ro");
            QVERIFY(sqlite3_prepare_v2(db, sql.constData(), -1, &st, nullptr) != SQLITE_OK);
        }
        QVERIFY(!st);
        QVERIFY2(sandbox.refusal().startsWith(reason), sandbox.refusal().constData());
        // The server's own statements (outside a user scope) are not the tenant's and pass.
        if (!sql.contains("load_extension") && !sql.contains("fts3_tokenizer")) {
            QCOMPARE(sqlite3_prepare_v2(db, sql.constData(), -1, &st, nullptr), SQLITE_OK);
            sqlite3_finalize(st);
        }
        // Inside a scope, ordinary statements and the scope's one attach pass.
        {
            qsqld::sql::Sandbox::UserScope tenant(sandbox, "file:" + QFile::encodeName(dir.filePath(u"o.db"_s)));
            for (const QByteArray &ok : {"SELECT * FROM t"_ba, "PRAGMA journal_mode"_ba, "PRAGMA foreign_keys=ON"_ba,
                                         QByteArray("ATTACH 'file:" + QFile::encodeName(dir.filePath(u"o.db"_s)) + "' AS o")}) {
                QVERIFY2(sqlite3_prepare_v2(db, ok.constData(), -1, &st, nullptr) == SQLITE_OK, ok.constData());
                sqlite3_finalize(st);
            }
            QVERIFY(sandbox.refusal().isEmpty());
        }
        // Defensive mode: even the server's own writable_schema cannot rewrite the schema table.
        QCOMPARE(sqlite3_exec(db, "PRAGMA writable_schema=ON", nullptr, nullptr, nullptr), SQLITE_OK);
        QVERIFY(sqlite3_exec(db, "UPDATE sqlite_schema SET sql = 'x'", nullptr, nullptr, nullptr) != SQLITE_OK);
        sqlite3_close(db);
    }

    void pathTricksInNamespaceNames_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::newRow("dot dot") << "..%2Fbob"_ba;
        QTest::newRow("dots") << "alice.bob"_ba;
        QTest::newRow("slash") << "a%2Fb"_ba;
        QTest::newRow("nul") << "alice%00"_ba;
        QTest::newRow("cyrillic a") << "%D0%B0lice"_ba; // "аlice" with U+0430
        QTest::newRow("fullwidth") << "%EF%BC%A1lice"_ba;
        QTest::newRow("backslash") << "..%5Cbob"_ba;
    }
    void pathTricksInNamespaceNames()
    {
        QFETCH(QByteArray, name);
        const RawResponse created = admin("POST", "/v1/namespaces/" + name + "/create", "{}");
        QCOMPARE(created.status, 400);
        QVERIFY2(created.body.contains("Invalid namespace"), created.body.constData());
        const QByteArray decoded = QByteArray::fromPercentEncoding(name);
        if (!decoded.contains('\0')) {
            const RawResponse r = request(m_srv.port(), post("/v2/pipeline", executeBody("SELECT 1"),
                                                             "x-namespace: " + decoded + "\r\n"));
            QCOMPARE(r.status, 400);
        }
        QCOMPARE(QDir(dbs()).entryList(QDir::Dirs | QDir::NoDotAndDotDot), (QStringList{u"alice"_s, u"bob"_s}));
    }

    // A namespace folder that is a symbolic link (to another tenant or elsewhere on the host) is never served.
    void symbolicLinksAreNotFollowed()
    {
        TestServer srv;
        QVERIFY(srv.start());
        QCOMPARE(request(srv.adminPort(), "POST /v1/namespaces/real/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}").status,
                 200);
        QCOMPARE(run(srv, "real", "CREATE TABLE t(x)")[u"type"_s].toString(), u"ok"_s);
        QSignalSpy stopped(srv.runtime.get(), &qsqld::runtime::ServerRuntime::stopped);
        srv.runtime->stop();
        QVERIFY(stopped.count() || stopped.wait(TIMEOUT));
        const QString root = srv.dir.path() + u"/data/dbs/"_s;
        QVERIFY(QFile::link(root + u"real"_s, root + u"alias"_s));
        QVERIFY(QDir().mkpath(root + u"filelink"_s));
        QVERIFY(QFile::link(root + u"real/data"_s, root + u"filelink/data"_s));
        QVERIFY(srv.start());
        for (const QByteArray &ns : {"alias"_ba, "filelink"_ba}) {
            const QJsonObject r = run(srv, ns, "SELECT count(*) FROM t");
            QCOMPARE(r[u"type"_s].toString(), u"http"_s);
            QCOMPARE(r[u"status"_s].toInt(), 404);
        }
        const RawResponse list = request(srv.adminPort(), "GET /v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY2(!list.body.contains("alias") && !list.body.contains("filelink"), list.body.constData());
        QCOMPARE(run(srv, "real", "SELECT count(*) FROM t")[u"type"_s].toString(), u"ok"_s);
    }

    // --extensions-path: the listed, checked extensions are in every tenant connection, and a tenant still cannot
    // load anything itself (not even a trusted file).
    void trustedExtensionsAreLoaded()
    {
        QTemporaryDir ext;
        const QString lib = ext.path() + u"/hello.so"_s;
        QVERIFY(QFile::copy(QStringLiteral(QSQLD_TEST_EXTENSION), lib));
        writeTrustedList(ext.path(), sha256Of(lib) + "  hello.so\n");

        TestServer srv;
        auto config = TestServer::defaultConfig();
        config.extensionsPath = ext.path();
        QVERIFY(srv.start(config));
        QCOMPARE(request(srv.adminPort(), "POST /v1/namespaces/carol/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
                     .status, 200);
        const QJsonObject hello = run(srv, "carol", "SELECT qsqld_ext_hello('carol')");
        QVERIFY2(hello[u"type"_s] == u"ok"_s, QJsonDocument(hello).toJson().constData());
        QCOMPARE(firstValue(hello), u"hello, carol"_s);
        // In a view too, read by a later connection (the extension's function is there in each one).
        QCOMPARE(run(srv, "carol", "CREATE VIEW greet AS SELECT qsqld_ext_hello('view') AS g")[u"type"_s].toString(), u"ok"_s);
        QCOMPARE(firstValue(run(srv, "carol", "SELECT g FROM greet")), u"hello, view"_s);

        const QJsonObject self = run(srv, "carol", "SELECT load_extension('" + lib.toUtf8() + "')");
        QCOMPARE(self[u"type"_s].toString(), u"error"_s);
        QVERIFY2(self[u"error"_s][u"message"_s].toString().contains(u"load_extension"_s),
                 QJsonDocument(self).toJson().constData());
    }

    void untrustedExtensionsStopTheStart_data()
    {
        QTest::addColumn<QByteArray>("list"); // trusted.lst; "<sha>" stands for the real digest of hello.so
        QTest::addColumn<QString>("mentions");
        QTest::newRow("no trusted.lst") << QByteArray() << u"cannot read"_s;
        QTest::newRow("wrong digest") << QByteArray(64, 'a') + " hello.so\n" << u"not the listed"_s;
        QTest::newRow("not a digest") << "abc123 hello.so\n"_ba << u"is not a SHA-256 digest"_s;
        QTest::newRow("a space in the name") << "<sha> hello .so\n"_ba << u"cannot contain spaces"_s;
        QTest::newRow("missing file") << "<sha> gone.so\n"_ba << u"no extension file"_s;
        QTest::newRow("path outside") << "<sha> ../hello.so\n"_ba << u"is not a file of"_s;
        QTest::newRow("absolute path") << "<sha> /etc/passwd\n"_ba << u"is not a file of"_s;
        QTest::newRow("not a library") << "<notlib> notlib.so\n"_ba << u"cannot load extension"_s;
        QTest::newRow("a bad second line") << "<sha> hello.so\nnonsense\n"_ba << u"line 2"_s;
    }
    void untrustedExtensionsStopTheStart()
    {
        QFETCH(QByteArray, list);
        QFETCH(QString, mentions);
        QTemporaryDir parent;
        const QString dir = parent.path() + u"/ext"_s;
        QVERIFY(QDir().mkpath(dir));
        const QString lib = dir + u"/hello.so"_s;
        QVERIFY(QFile::copy(QStringLiteral(QSQLD_TEST_EXTENSION), lib));
        QVERIFY(QFile::copy(QStringLiteral(QSQLD_TEST_EXTENSION), parent.path() + u"/hello.so"_s));
        QFile text(dir + u"/notlib.so"_s);
        QVERIFY(text.open(QIODevice::WriteOnly) && text.write("not an ELF file\n") > 0);
        text.close();
        if (!list.isNull())
            writeTrustedList(dir, list.replace("<sha>", sha256Of(lib)).replace("<notlib>", sha256Of(text.fileName())));

        auto config = TestServer::defaultConfig();
        config.extensionsPath = dir;
        config.dbPath = parent.path() + u"/data"_s;
        qsqld::runtime::ServerRuntime runtime(config);
        QString error;
        QVERIFY(!runtime.start(&error));
        QVERIFY2(error.startsWith(u"qsqld: --extensions-path: "_s) && error.contains(mentions), qPrintable(error));
        QVERIFY2(!error.contains(u'\n'), qPrintable(error));
        QVERIFY(!QFile::exists(config.dbPath)); // nothing created for a server that did not start
    }

private:
    static QByteArray sha256Of(const QString &path)
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return {};
        return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex();
    }
    static void writeTrustedList(const QString &dir, const QByteArray &text)
    {
        QFile f(dir + u"/trusted.lst"_s);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QCOMPARE(f.write(text), text.size());
    }
};

QTEST_GUILESS_MAIN(TestSandbox)
#include "tst_sandbox.moc"
