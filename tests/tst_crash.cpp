// Crash consistency: qsqld runs under a write load from several clients (autocommit pipelines, interactive
// transactions across requests, and embedded-replica writes through proxy.Proxy/Execute, on two namespaces) and is killed with SIGKILL at a random moment, then restarted,
// round after round. After each restart: every acknowledged write is there, no transaction is half-applied (both
// of its rows or neither), nothing that was never sent appears, PRAGMA integrity_check is ok for every tenant, and
// the replication history did not go back under the same log id (a replica either continues or, on a new log id,
// downloads again: histories never mix).
//
// Rounds: QSQLD_CRASH_ROUNDS (default 3 under ctest; the long mode is 100). The random seed is printed and can be
// set with QSQLD_CRASH_SEED to replay a run.

#include "qsqldprocess.h"

#include "repl/grpcweb.h"

#include "proxy.pb.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QtEndian>

#include <csignal>

using namespace qsqld::test;
using namespace Qt::StringLiterals;

namespace {

const QList<QByteArray> NAMESPACES = {"crash1"_ba, "crash2"_ba};

// An embedded replica's write (what @libsql/client sends for a write on a replica): proxy.Proxy/Execute over
// gRPC-web, as a raw HTTP request.
QByteArray replicaInsert(const QByteArray &ns, qint64 id)
{
    proxy::ProgramReq req;
    req.set_client_id("crash-test-" + ns.toStdString());
    proxy::Query *q = req.mutable_pgm()->add_steps()->mutable_query();
    q->set_stmt("INSERT INTO t VALUES (" + std::to_string(id) + ", randomblob(300))");
    q->mutable_positional();
    const std::string bytes = req.SerializeAsString();
    const QByteArray body = qsqld::repl::dataFrame(QByteArray(bytes.data(), qsizetype(bytes.size())));
    return "POST /proxy.Proxy/Execute HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/grpc-web\r\n"
           "te: trailers\r\nx-authorization: Bearer x\r\nx-namespace-bin: "
        + ns.toBase64(QByteArray::OmitTrailingEquals) + "\r\ncontent-length: " + QByteArray::number(body.size())
        + "\r\n\r\n" + body;
}

// True when the answer to replicaInsert is a result row with one row changed (acknowledged).
bool replicaAcked(const RawResponse &r)
{
    if (r.status != 200 || (!r.header("grpc-status").isEmpty() && r.header("grpc-status") != "0"))
        return false;
    bool ok = false;
    for (qsizetype at = 0; at + 5 <= r.body.size();) {
        const quint8 flags = quint8(r.body.at(at));
        const qsizetype len = qFromBigEndian<quint32>(r.body.constData() + at + 1);
        const QByteArray payload = r.body.mid(at + 5, len);
        at += 5 + len;
        proxy::ExecuteResults res;
        if (flags & 0x80)
            ok = ok && payload.contains("grpc-status:0");
        else
            ok = res.ParseFromArray(payload.constData(), int(payload.size())) && res.results_size() == 1
                && res.results(0).has_row() && res.results(0).row().affected_row_count() == 1;
    }
    return ok;
}

bool allOk(const QJsonObject &reply)
{
    const QJsonArray results = reply[u"results"_s].toArray();
    for (const QJsonValue &r : results) {
        if (r[u"type"_s].toString() != u"ok"_s)
            return false;
    }
    return !results.isEmpty();
}

// One client connection with its own work: autocommit inserts, or two-request transactions.
struct Client
{
    enum class Kind { Autocommit, Transaction, Replica } kind;
    QByteArray ns;
    std::unique_ptr<QTcpSocket> socket;
    QByteArray buffer;
    qint64 inFlightId = 0; // Autocommit: the row being inserted; Transaction: the transaction
    int step = 0;          // Transaction: 0 = BEGIN + first row sent, 1 = second row + COMMIT sent
    QByteArray baton;
};

struct Ledger
{
    QSet<qint64> sentRows, ackedRows;
    QSet<qint64> sentTxns, ackedTxns;
};

} // namespace

class TestCrash : public QObject
{
    Q_OBJECT

    QHash<QByteArray, Ledger> m_ledger;
    qint64 m_nextId = 1;
    int m_replicaWrites = 0;

    static QJsonObject sqlOn(quint16 port, const QByteArray &ns, const QList<QByteArray> &statements)
    {
        const RawResponse r = callProcess(port, "POST", "/v2/pipeline", pipelineBody(statements, {}, true),
                                          "x-namespace: " + ns + "\r\n");
        return QJsonDocument::fromJson(r.body).object();
    }
    static QString firstValue(const QJsonObject &reply, int result = 0)
    {
        const QJsonValue v = reply[u"results"_s][result][u"response"_s][u"result"_s][u"rows"_s][0][0][u"value"_s];
        return v.isString() ? v.toString() : v.isNull() ? QString() : QString::number(v.toDouble());
    }
    static QSet<qint64> idSet(const QString &csv)
    {
        QSet<qint64> out;
        for (const QString &s : csv.split(u',', Qt::SkipEmptyParts))
            out.insert(s.toLongLong());
        return out;
    }
    static QJsonObject stats(quint16 adminPort, const QByteArray &ns)
    {
        return QJsonDocument::fromJson(callProcess(adminPort, "GET", "/v1/namespaces/" + ns + "/stats").body).object();
    }

    void send(Client &c)
    {
        QByteArray body;
        if (c.kind == Client::Kind::Replica) {
            c.inFlightId = m_nextId++;
            m_ledger[c.ns].sentRows.insert(c.inFlightId);
            c.socket->write(replicaInsert(c.ns, c.inFlightId));
            return;
        }
        if (c.kind == Client::Kind::Autocommit) {
            c.inFlightId = m_nextId++;
            m_ledger[c.ns].sentRows.insert(c.inFlightId);
            body = pipelineBody({"INSERT INTO t VALUES (" + QByteArray::number(c.inFlightId) + ", randomblob(300))"}, {}, true);
        } else if (c.step == 0) {
            c.inFlightId = m_nextId++;
            m_ledger[c.ns].sentTxns.insert(c.inFlightId);
            body = pipelineBody({"BEGIN", "INSERT INTO pairs(txn, part) VALUES (" + QByteArray::number(c.inFlightId) + ", 1)"},
                                {}, false);
        } else {
            body = pipelineBody({"INSERT INTO pairs(txn, part) VALUES (" + QByteArray::number(c.inFlightId) + ", 2)",
                                 "COMMIT"}, c.baton, true);
        }
        c.socket->write(post("/v2/pipeline", body, "x-namespace: " + c.ns + "\r\n"));
    }
    // Handles one response; false if it was not what the load expects.
    bool receive(Client &c, const RawResponse &r, int *acked)
    {
        if (c.kind == Client::Kind::Replica) {
            if (!replicaAcked(r)) {
                qWarning() << "replica write refused:" << r.status << r.head << r.body.toHex();
                return false;
            }
            m_ledger[c.ns].ackedRows.insert(c.inFlightId);
            ++m_replicaWrites;
            ++*acked;
            return true;
        }
        if (r.status != 200) {
            qWarning() << "HTTP" << r.status << r.body;
            return false;
        }
        const QJsonObject reply = QJsonDocument::fromJson(r.body).object();
        if (!allOk(reply)) {
            qWarning() << "refused:" << r.body;
            return false;
        }
        if (c.kind == Client::Kind::Autocommit) {
            m_ledger[c.ns].ackedRows.insert(c.inFlightId);
            ++*acked;
        } else if (c.step == 0) {
            c.baton = reply[u"baton"_s].toString().toUtf8();
            c.step = 1;
        } else {
            m_ledger[c.ns].ackedTxns.insert(c.inFlightId);
            c.step = 0;
            c.baton.clear();
            ++*acked;
        }
        return true;
    }

    void verify(quint16 port, int round)
    {
        for (const QByteArray &ns : NAMESPACES) {
            const Ledger &l = m_ledger[ns];
            const QJsonObject reply = sqlOn(port, ns, {
                "PRAGMA integrity_check",
                "SELECT group_concat(id) FROM t",
                "SELECT group_concat(txn) FROM (SELECT DISTINCT txn FROM pairs)",
                "SELECT count(*) FROM (SELECT txn FROM pairs GROUP BY txn HAVING count(*) != 2 OR count(DISTINCT part) != 2)",
            });
            QVERIFY2(allOk(reply), QJsonDocument(reply).toJson().constData());
            QCOMPARE(firstValue(reply, 0), u"ok"_s);
            const QSet<qint64> rows = idSet(firstValue(reply, 1));
            const QSet<qint64> txns = idSet(firstValue(reply, 2));
            const QString where = u"round %1, namespace %2"_s.arg(round).arg(QString::fromLatin1(ns));
            QVERIFY2(rows.contains(l.ackedRows), qPrintable(where + u": an acknowledged row is missing"_s));
            QVERIFY2(l.sentRows.contains(rows), qPrintable(where + u": a row that was never sent exists"_s));
            QVERIFY2(txns.contains(l.ackedTxns), qPrintable(where + u": an acknowledged transaction is missing"_s));
            QVERIFY2(l.sentTxns.contains(txns), qPrintable(where + u": a transaction that was never sent exists"_s));
            QVERIFY2(firstValue(reply, 3) == u"0"_s, qPrintable(where + u": a transaction is half-applied"_s));
        }
    }

private slots:
    void killNineRounds()
    {
        const int rounds = qEnvironmentVariableIntValue("QSQLD_CRASH_ROUNDS") > 0
            ? qEnvironmentVariableIntValue("QSQLD_CRASH_ROUNDS") : 3;
        const quint32 seed = qEnvironmentVariableIsSet("QSQLD_CRASH_SEED")
            ? quint32(qEnvironmentVariableIntValue("QSQLD_CRASH_SEED")) : QRandomGenerator::global()->generate();
        qInfo("crash rounds: %d, seed %u (QSQLD_CRASH_SEED=%u replays it)", rounds, seed, seed);
        QRandomGenerator rng(seed);
        QTemporaryDir dir;
        const QString db = dir.filePath(u"data"_s);
        const QStringList flags = {u"--enable-namespaces"_s, u"--admin-listen-addr"_s, u"127.0.0.1:0"_s};
        QHash<QByteArray, QPair<QString, double>> history; // namespace → (log id, frame) seen before the kill

        for (int round = 0; round < rounds; ++round) {
            QsqldProcess srv = launchQsqld(db, flags);
            QVERIFY2(srv.port && srv.adminPort, srv.out.constData());
            if (round == 0) {
                for (const QByteArray &ns : NAMESPACES) {
                    QCOMPARE(callProcess(srv.adminPort, "POST", "/v1/namespaces/" + ns + "/create", "{}").status, 200);
                    QVERIFY(allOk(sqlOn(srv.port, ns, {"CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)",
                                                       "CREATE TABLE pairs(txn INTEGER, part INTEGER)"})));
                }
            } else {
                verify(srv.port, round);
                if (QTest::currentTestFailed())
                    return;
                // The replication history: same log id → it did not go back; else replicas download again.
                for (const QByteArray &ns : NAMESPACES) {
                    const QJsonObject repl = stats(srv.adminPort, ns)[u"replication"_s].toObject();
                    const auto [logId, frame] = history.value(ns);
                    if (repl[u"log_id"_s].toString() == logId)
                        QVERIFY2(repl[u"current_frame_no"_s].toDouble() >= frame,
                                 qPrintable(u"round %1: %2's history went back under the same log id"_s.arg(round)
                                                .arg(QString::fromLatin1(ns))));
                }
            }

            // The load: per namespace two autocommit writers, one transaction client and one replica.
            std::vector<Client> clients;
            for (const QByteArray &ns : NAMESPACES) {
                for (const auto kind : {Client::Kind::Autocommit, Client::Kind::Autocommit, Client::Kind::Transaction,
                                         Client::Kind::Replica})
                    clients.push_back(Client{kind, ns, std::make_unique<QTcpSocket>(), {}, 0, 0, {}});
            }
            for (Client &c : clients) {
                c.socket->connectToHost(QHostAddress::LocalHost, srv.port);
                QVERIFY(c.socket->waitForConnected(5000));
                send(c);
            }
            const int target = 50 + int(rng.bounded(250));
            int acked = 0;
            QElapsedTimer t;
            t.start();
            while (acked < target) {
                QVERIFY2(t.elapsed() < 60000, "the load made no progress");
    
                for (Client &c : clients) {
                    if (!c.socket->waitForReadyRead(2))
                        continue;
                    c.buffer += c.socket->readAll();
                    while (auto r = takeResponse(c.buffer)) {
                        QVERIFY(receive(c, *r, &acked));
                        send(c);
                    }
                }
            }
            for (const QByteArray &ns : NAMESPACES) {
                const QJsonObject repl = stats(srv.adminPort, ns)[u"replication"_s].toObject();
                history.insert(ns, {repl[u"log_id"_s].toString(), repl[u"current_frame_no"_s].toDouble()});
            }
            // Some more requests go out and the server dies with them in flight.
            for (Client &c : clients) {
                if (c.socket->waitForReadyRead(int(rng.bounded(3)))) {
                    c.buffer += c.socket->readAll();
                    while (auto r = takeResponse(c.buffer)) {
                        QVERIFY(receive(c, *r, &acked));
                        send(c);
                    }
                }
            }
            ::kill(static_cast<pid_t>(srv.proc->processId()), SIGKILL);
            QVERIFY(srv.proc->waitForFinished(10000));
            // Answers that arrived before the kill count as acknowledged.
            for (Client &c : clients) {
                c.buffer += c.socket->readAll();
                while (auto r = takeResponse(c.buffer))
                    receive(c, *r, &acked);
            }
        }
        QsqldProcess last = launchQsqld(db, flags);
        QVERIFY(last.port);
        verify(last.port, rounds);
        for (const QByteArray &ns : NAMESPACES) {
            const Ledger &l = m_ledger[ns];
            qInfo("%s: %lld of %lld rows and %lld of %lld transactions acknowledged, all present", ns.constData(),
                  qint64(l.ackedRows.size()), qint64(l.sentRows.size()), qint64(l.ackedTxns.size()),
                  qint64(l.sentTxns.size()));
            QVERIFY(!l.ackedRows.isEmpty() && !l.ackedTxns.isEmpty());
        }
        qInfo("%d of the acknowledged rows were embedded-replica writes", m_replicaWrites);
        QVERIFY(m_replicaWrites > 0);
        ::kill(static_cast<pid_t>(last.proc->processId()), SIGTERM);
        QVERIFY(last.proc->waitForFinished(40000));
        QCOMPARE(last.proc->exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCrash)
#include "tst_crash.moc"
