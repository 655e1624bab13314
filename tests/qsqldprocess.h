#pragma once

// The qsqld executable as a child process (QSQLD_BINARY), for tests of the process itself: its ports are read
// from its startup log lines. Blocking waits are fine here: the server is another process.

#include "testserver.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>

#include <memory>

namespace qsqld::test {

struct QsqldProcess
{
    std::unique_ptr<QProcess> proc;
    quint16 port = 0;
    quint16 adminPort = 0; // when --admin-listen-addr was given
    QByteArray out;        // what it printed until the ports were known
};

// Starts qsqld on 127.0.0.1:0 with `dbPath` and `extra` flags; port stays 0 if it did not come up.
inline QsqldProcess launchQsqld(const QString &dbPath, const QStringList &extra = {})
{
    QsqldProcess r;
    r.proc = std::make_unique<QProcess>();
    r.proc->setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_LOGGING_RULES")); // the ports are read from the startup log lines
    r.proc->setProcessEnvironment(env);
    r.proc->start(QStringLiteral(QSQLD_BINARY),
                  QStringList{QStringLiteral("--db-path"), dbPath, QStringLiteral("--http-listen-addr"),
                              QStringLiteral("127.0.0.1:0")}
                      + extra);
    if (!r.proc->waitForStarted(10000))
        return r;
    const bool wantAdmin = extra.contains(QStringLiteral("--admin-listen-addr"));
    static const QRegularExpression userRe(QStringLiteral("listening on http://127\\.0\\.0\\.1:(\\d+)"));
    static const QRegularExpression adminRe(QStringLiteral("admin API on http://127\\.0\\.0\\.1:(\\d+)"));
    QElapsedTimer t;
    t.start();
    quint16 port = 0;
    while (t.elapsed() < 20000 && r.proc->state() == QProcess::Running) {
        r.proc->waitForReadyRead(200);
        r.out += r.proc->readAll();
        const QString text = QString::fromUtf8(r.out);
        if (const auto m = userRe.match(text); m.hasMatch())
            port = static_cast<quint16>(m.captured(1).toUInt());
        if (const auto m = adminRe.match(text); m.hasMatch())
            r.adminPort = static_cast<quint16>(m.captured(1).toUInt());
        if (port && (!wantAdmin || r.adminPort))
            break;
    }
    r.port = port;
    return r;
}

// One request to another process on a fresh connection; the response (status 0 if none came).
inline RawResponse callProcess(quint16 port, const QByteArray &method, const QByteArray &path,
                               const QByteArray &body = {}, const QByteArray &extraHeaders = {})
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!s.waitForConnected(5000))
        return {};
    s.write(method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders
            + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QByteArray buffer;
    while (s.waitForReadyRead(30000)) {
        buffer += s.readAll();
        if (auto r = takeResponse(buffer))
            return *r;
    }
    return {};
}

} // namespace qsqld::test
