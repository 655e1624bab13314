// The qsqld executable as a process: CLI errors (one line, exit 1), graceful SIGTERM (in-flight work
// finishes, WAL checkpointed, exit 0), and kill -9 under write load (no acknowledged write lost).

#include "qsqldprocess.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>

#include <csignal>
#include <sys/resource.h>

using namespace qsqld::test;

class TestProcess : public QObject
{
    Q_OBJECT

    using Running = QsqldProcess;
    static Running launch(const QString &dbPath, const QStringList &extra = {}) { return launchQsqld(dbPath, extra); }

    static QByteArray roundTrip(quint16 port, const QByteArray &body)
    {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        if (!s.waitForConnected(5000))
            return {};
        s.write(post("/v2/pipeline", body));
        // The server is another process: blocking waits are fine here.
        QByteArray buffer;
        while (s.waitForReadyRead(30000)) {
            buffer += s.readAll();
            if (auto r = takeResponse(buffer))
                return r->body;
        }
        return {};
    }

    static int call(quint16 port, const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        return callProcess(port, method, path, body).status;
    }

    static QByteArray firstValue(const QByteArray &body)
    {
        const QJsonObject o = QJsonDocument::fromJson(body).object();
        return o[u"results"][0][u"response"][u"result"][u"rows"][0][0][u"value"].toString().toUtf8();
    }

private slots:
    void cliErrorsAreOneLineAndExit1_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::addRow("unknown flag") << QStringList{QStringLiteral("--bogus")} << QStringLiteral("--bogus");
        QTest::addRow("bad address") << QStringList{QStringLiteral("--http-listen-addr"), QStringLiteral("nope")} << QStringLiteral("--http-listen-addr");
        QTest::addRow("missing value") << QStringList{QStringLiteral("--db-path")} << QStringLiteral("--db-path");
        QTest::addRow("unreadable key file") << QStringList{QStringLiteral("--auth-jwt-key-file"), QStringLiteral("k.pem")}
                                             << QStringLiteral("--auth-jwt-key-file");
        QTest::addRow("not yet implemented") << QStringList{QStringLiteral("--enable-http-console")}
                                             << QStringLiteral("--enable-http-console");
        QTest::addRow("no trusted.lst") << QStringList{QStringLiteral("--extensions-path"), QStringLiteral("ext")}
                                        << QStringLiteral("--extensions-path");
        QTest::addRow("out of scope") << QStringList{QStringLiteral("--primary-grpc-url"), QStringLiteral("http://x")}
                                      << QStringLiteral("--primary-grpc-url");
    }
    void cliErrorsAreOneLineAndExit1()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        QTemporaryDir dir;
        QProcess p;
        p.setWorkingDirectory(dir.path());
        p.start(QStringLiteral(QSQLD_BINARY), args);
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 1);
        const QByteArray err = p.readAllStandardError().trimmed();
        QCOMPARE(err.count('\n'), 0);
        QVERIFY2(err.contains(mentions.toUtf8()), err.constData());
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("data.sqld")))); // nothing was created
    }

    void unwritableDbPathNamesTheFolder()
    {
        QTemporaryDir dir;
        QFile blocker(dir.filePath(QStringLiteral("file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        QProcess p;
        p.start(QStringLiteral(QSQLD_BINARY), {QStringLiteral("--db-path"), dir.filePath(QStringLiteral("file/data.sqld")),
                                               QStringLiteral("--http-listen-addr"), QStringLiteral("127.0.0.1:0")});
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 1);
        const QByteArray err = p.readAllStandardError().trimmed();
        QCOMPARE(err.count('\n'), 0);
        QVERIFY2(err.contains("data folder") && err.contains("Fix:"), err.constData());
    }

    // A soft descriptor limit below the hard one would cap connections and namespaces; the server lifts it.
    void raisesItsFileLimit()
    {
        struct rlimit own = {};
        QVERIFY(::getrlimit(RLIMIT_NOFILE, &own) == 0);
        if (own.rlim_max <= 256)
            QSKIP("the hard descriptor limit is too low to tell a raised soft limit");
        struct rlimit lowered = own;
        lowered.rlim_cur = 256; // inherited by the child
        QVERIFY(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
        QTemporaryDir dir;
        Running r = launch(dir.filePath(QStringLiteral("data.sqld")));
        QVERIFY(::setrlimit(RLIMIT_NOFILE, &own) == 0);
        QVERIFY(r.port != 0);
        QFile limits(QStringLiteral("/proc/%1/limits").arg(r.proc->processId()));
        QVERIFY(limits.open(QIODevice::ReadOnly));
        QByteArray line;
        for (const QByteArray &l : limits.readAll().split('\n')) {
            if (l.startsWith("Max open files"))
                line = l.simplified();
        }
        const QList<QByteArray> parts = line.split(' '); // Max open files SOFT HARD files
        QVERIFY2(parts.size() >= 5, line.constData());
        QCOMPARE(parts[3], parts[4]);
        r.proc->terminate();
        QVERIFY(r.proc->waitForFinished(30000));
    }

    // --initial-idle-shutdown-timeout-s stops a server nobody used; after a request, --idle-shutdown-timeout-s
    // counts from that request. Both exit 0, like SIGTERM (Fly restarts the machine on the next request).
    void idleShutdown()
    {
        QTemporaryDir dir;
        Running unused = launch(dir.filePath(QStringLiteral("a.sqld")),
                                {QStringLiteral("--initial-idle-shutdown-timeout-s"), QStringLiteral("1")});
        QVERIFY(unused.port != 0);
        QVERIFY(unused.proc->waitForFinished(15000));
        QCOMPARE(unused.proc->exitStatus(), QProcess::NormalExit);
        QCOMPARE(unused.proc->exitCode(), 0);

        Running used = launch(dir.filePath(QStringLiteral("b.sqld")),
                              {QStringLiteral("--initial-idle-shutdown-timeout-s"), QStringLiteral("1"),
                               QStringLiteral("--idle-shutdown-timeout-s"), QStringLiteral("3"),
                               // a small machine's SQLite limits: queries still run under them
                               QStringLiteral("--soft-heap-limit-mb"), QStringLiteral("8"),
                               QStringLiteral("--hard-heap-limit-mb"), QStringLiteral("64")});
        QVERIFY(used.port != 0);
        QCOMPARE(firstValue(roundTrip(used.port, executeBody("SELECT 7"))), QByteArray("7"));
        // Used: the 1 s initial limit no longer applies; the 3 s one counts from the request.
        QVERIFY(!used.proc->waitForFinished(1500));
        QVERIFY(used.proc->waitForFinished(15000));
        QCOMPARE(used.proc->exitCode(), 0);
    }

    void helpListsFlags()
    {
        QProcess p;
        p.start(QStringLiteral(QSQLD_BINARY), {QStringLiteral("--help")});
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 0);
        const QByteArray out = p.readAllStandardOutput();
        for (const char *flag : {"--db-path", "--http-listen-addr", "--admin-listen-addr", "--enable-namespaces",
                                 "SQLD_HTTP_LISTEN_ADDR", "--max-concurrent-requests", "--shutdown-timeout"})
            QVERIFY2(out.contains(flag), flag);
    }

    // Every log line is "<time> <LEVEL> <category>: <text>", and a line about one namespace starts its text with
    // "ns=<name>": admin changes (create, fork, config, delete) each leave one INFO line.
    void logLinesCarryLevelAndNamespace()
    {
        QTemporaryDir dir;
        auto srv = launch(dir.filePath(QStringLiteral("data")),
                          {QStringLiteral("--enable-namespaces"), QStringLiteral("--admin-listen-addr"),
                           QStringLiteral("127.0.0.1:0")});
        QVERIFY(srv.port);
        const quint16 adminPort = srv.adminPort;
        QVERIFY(adminPort);
        QCOMPARE(call(adminPort, "POST", "/v1/namespaces/shop-1/create", "{}"), 200);
        QCOMPARE(call(adminPort, "POST", "/v1/namespaces/shop-1/config", R"({"block_reads":false,"block_writes":true,"block_reason":"x"})"),
                 200);
        QCOMPARE(call(adminPort, "POST", "/v1/namespaces/shop-1/fork/shop-2"), 200);
        QCOMPARE(call(adminPort, "DELETE", "/v1/namespaces/shop-2"), 200);
        QCOMPARE(call(adminPort, "DELETE", "/v1/namespaces/nope"), 404); // a failed change logs nothing
        ::kill(static_cast<pid_t>(srv.proc->processId()), SIGTERM);
        QVERIFY(srv.proc->waitForFinished(40000));
        QCOMPARE(srv.proc->exitCode(), 0);
        const QByteArray all = srv.out + srv.proc->readAll();
        static const QRegularExpression lineRe(
            QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (DEBUG|INFO|WARN|ERROR|CRITICAL) "
                           "qsqld\\.[a-z]+: \\S.*$"));
        QStringList text; // the lines without their time stamps
        for (const QByteArray &line : all.trimmed().split('\n')) {
            QVERIFY2(lineRe.match(QString::fromUtf8(line)).hasMatch(), line.constData());
            text << QString::fromUtf8(line.mid(24));
        }
        const QStringList expected = {
            QStringLiteral("INFO qsqld.admin: ns=shop-1 created"),
            QStringLiteral("INFO qsqld.admin: ns=shop-1 config changed: block_reads, block_reason, block_writes"),
            QStringLiteral("INFO qsqld.admin: ns=shop-2 created as a fork of shop-1"),
            QStringLiteral("INFO qsqld.admin: ns=shop-2 deleted"),
        };
        for (const QString &line : expected)
            QVERIFY2(text.contains(line), qPrintable(line + u"\n  not in:\n" + text.join(u'\n')));
        QCOMPARE(text.filter(QStringLiteral("qsqld.admin")).size(), expected.size());
        QVERIFY(text.filter(QStringLiteral("INFO qsqld.repl: ns=shop-1 replication log started")).size() == 1);
    }

    void sigtermDrainsCheckpointsAndExits0()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("data"));
        auto srv = launch(db);
        QVERIFY(srv.port);
        QCOMPARE(firstValue(roundTrip(srv.port, executeBody("CREATE TABLE t(x)"))), QByteArray());
        QVERIFY(!roundTrip(srv.port, executeBody("INSERT INTO t VALUES (1),(2),(3)")).isEmpty());

        // A request in flight when SIGTERM arrives is still answered.
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, srv.port);
        QVERIFY(s.waitForConnected(5000));
        s.write(post("/v2/pipeline",
                     executeBody("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1500000) "
                                 "SELECT count(*) FROM c")));
        QVERIFY(s.waitForBytesWritten(5000));
        ::kill(static_cast<pid_t>(srv.proc->processId()), SIGTERM);
        QByteArray buffer;
        std::optional<RawResponse> answer;
        while (!answer && s.waitForReadyRead(30000)) {
            buffer += s.readAll();
            answer = takeResponse(buffer);
        }
        if (!answer)
            qWarning() << "server output:" << srv.proc->readAll() << "client got:" << buffer << s.errorString();
        QVERIFY(answer);
        QCOMPARE(answer->status, 200);
        QCOMPARE(firstValue(answer->body), QByteArray("1500000"));

        QVERIFY(srv.proc->waitForFinished(40000));
        QCOMPARE(srv.proc->exitStatus(), QProcess::NormalExit);
        QCOMPARE(srv.proc->exitCode(), 0);
        // The WAL was checkpointed (TRUNCATE) into the database file.
        const QString wal = db + QStringLiteral("/dbs/default/data-wal");
        QVERIFY(!QFileInfo::exists(wal) || QFileInfo(wal).size() == 0);
        QVERIFY(QFileInfo::exists(db + QStringLiteral("/dbs/default/.sentinel")));

        auto again = launch(db);
        QVERIFY(again.port);
        QCOMPARE(firstValue(roundTrip(again.port, executeBody("SELECT sum(x) FROM t"))), QByteArray("6"));
        ::kill(static_cast<pid_t>(again.proc->processId()), SIGINT);
        QVERIFY(again.proc->waitForFinished(40000));
        QCOMPARE(again.proc->exitCode(), 0);
    }

    void killNineLosesNoAcknowledgedWrite()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("data"));
        auto srv = launch(db);
        QVERIFY(srv.port);
        QVERIFY(!roundTrip(srv.port, executeBody("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")).isEmpty());

        // Four clients write continuously; every acknowledged id is remembered. Kill -9 mid-flight.
        constexpr int CLIENTS = 4;
        QList<qint64> acked;
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        std::vector<QByteArray> buffers(CLIENTS);
        std::vector<qint64> inFlight(CLIENTS, -1);
        qint64 nextId = 1;
        auto send = [&](int i) {
            inFlight[i] = nextId++;
            sockets[i]->write(post("/v2/pipeline", executeBody("INSERT INTO t VALUES (" + QByteArray::number(inFlight[i])
                                                               + ", randomblob(200))")));
        };
        for (int i = 0; i < CLIENTS; ++i) {
            sockets.push_back(std::make_unique<QTcpSocket>());
            sockets[i]->connectToHost(QHostAddress::LocalHost, srv.port);
            QVERIFY(sockets[i]->waitForConnected(5000));
            send(i);
        }
        while (acked.size() < 400) {
            bool progressed = false;
            for (int i = 0; i < CLIENTS; ++i) {
                if (!sockets[i]->waitForReadyRead(5))
                    continue;
                buffers[i] += sockets[i]->readAll();
                while (auto r = takeResponse(buffers[i])) {
                    QCOMPARE(r->status, 200);
                    QVERIFY2(r->body.contains("\"affected_row_count\":1"), r->body.constData());
                    acked.append(inFlight[i]);
                    progressed = true;
                    send(i);
                }
            }
            QVERIFY(progressed || srv.proc->state() == QProcess::Running);
        }
        ::kill(static_cast<pid_t>(srv.proc->processId()), SIGKILL);
        QVERIFY(srv.proc->waitForFinished(10000));

        auto again = launch(db);
        QVERIFY(again.port);
        QCOMPARE(firstValue(roundTrip(again.port, executeBody("PRAGMA integrity_check"))), QByteArray("ok"));
        QByteArray ids;
        for (qint64 id : acked)
            ids += QByteArray::number(id) + ",";
        ids.chop(1);
        QCOMPARE(firstValue(roundTrip(again.port, executeBody("SELECT count(*) FROM t WHERE id IN (" + ids + ")"))),
                 QByteArray::number(acked.size()));
        ::kill(static_cast<pid_t>(again.proc->processId()), SIGTERM);
        QVERIFY(again.proc->waitForFinished(40000));
        QCOMPARE(again.proc->exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestProcess)
#include "tst_process.moc"
