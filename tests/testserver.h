#pragma once

// Test helpers: an in-process ServerRuntime on loopback port 0 in a temporary folder, plus a tiny raw
// HTTP/1.1 client for the cases QNetworkAccessManager cannot express (pipelining, half-sent requests).

#include "runtime/serverruntime.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

namespace qsqld::test {

struct TestServer
{
    QTemporaryDir dir;
    std::unique_ptr<runtime::ServerRuntime> runtime;

    static runtime::ServerConfig defaultConfig()
    {
        runtime::ServerConfig c;
        c.httpListen = {QHostAddress(QHostAddress::LocalHost), 0, QStringLiteral("127.0.0.1:0")};
        c.adminListen = runtime::ListenAddress{QHostAddress(QHostAddress::LocalHost), 0, QStringLiteral("127.0.0.1:0")};
        c.enableNamespaces = true;
        c.workerThreads = 2;
        return c;
    }

    bool start(runtime::ServerConfig c = defaultConfig())
    {
        c.dbPath = dir.path() + QStringLiteral("/data");
        runtime = std::make_unique<runtime::ServerRuntime>(c);
        QString error;
        if (!runtime->start(&error)) {
            qWarning() << error;
            return false;
        }
        return true;
    }
    quint16 port() const { return runtime->httpPort(); }
    quint16 adminPort() const { return runtime->adminPort(); }
};

struct RawResponse
{
    int status = 0;
    QByteArray head;
    QByteArray body;
    QByteArray header(const QByteArray &name) const
    {
        for (const QByteArray &line : head.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().toLower() == name)
                return line.mid(colon + 1).trimmed();
        }
        return {};
    }
};

// Reads one response from `buffer` (Content-Length framed, or chunked: then `body` is the de-chunked body).
// Returns nullopt if incomplete.
inline std::optional<RawResponse> takeResponse(QByteArray &buffer, bool headRequest = false)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return std::nullopt;
    RawResponse r;
    r.head = buffer.left(end);
    r.status = r.head.mid(9, 3).toInt();
    if (r.status == 100) {
        buffer.remove(0, end + 4);
        r.body.clear();
        return r;
    }
    if (!headRequest && r.header("transfer-encoding").toLower() == "chunked") {
        qsizetype at = end + 4;
        for (;;) {
            const qsizetype lineEnd = buffer.indexOf("\r\n", at);
            if (lineEnd < 0)
                return std::nullopt;
            bool ok = false;
            const qsizetype size = buffer.mid(at, lineEnd - at).toLongLong(&ok, 16);
            if (!ok || buffer.size() < lineEnd + 2 + size + 2)
                return std::nullopt;
            r.body += buffer.mid(lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
            if (size == 0)
                break;
        }
        buffer.remove(0, at);
        return r;
    }
    const qsizetype len = headRequest ? 0 : r.header("content-length").toLongLong();
    if (buffer.size() < end + 4 + len)
        return std::nullopt;
    r.body = buffer.mid(end + 4, len);
    buffer.remove(0, end + 4 + len);
    return r;
}

// Reads `count` responses from the socket, waiting up to `timeoutMs` in total. Waits run the event loop,
// because the server under test lives on this thread too.
inline QList<RawResponse> readResponses(QTcpSocket &s, int count, int timeoutMs = 10000, bool head = false)
{
    QList<RawResponse> out;
    QByteArray buffer;
    QElapsedTimer t;
    t.start();
    QSignalSpy ready(&s, &QTcpSocket::readyRead);
    while (out.size() < count && t.elapsed() < timeoutMs) {
        buffer += s.readAll();
        while (out.size() < count) {
            auto r = takeResponse(buffer, head);
            if (!r)
                break;
            out.append(*r);
        }
        if (out.size() >= count || s.state() == QAbstractSocket::UnconnectedState)
            break;
        ready.wait(std::max<int>(1, timeoutMs - static_cast<int>(t.elapsed())));
    }
    return out;
}

// True if nothing arrives on `s` within `ms` (runs the event loop meanwhile).
inline bool staysSilent(QTcpSocket &s, int ms)
{
    QSignalSpy ready(&s, &QTcpSocket::readyRead);
    return s.bytesAvailable() == 0 && !ready.wait(ms);
}

// Connects `s` to the loopback `port`; false if that did not happen within `timeoutMs`.
inline bool connectTo(QTcpSocket &s, quint16 port, int timeoutMs = 10000)
{
    QSignalSpy connected(&s, &QTcpSocket::connected);
    s.connectToHost(QHostAddress::LocalHost, port);
    return s.state() == QAbstractSocket::ConnectedState || connected.wait(timeoutMs);
}

// One request on a fresh connection; the first response (an empty one if none came within `timeoutMs`).
inline RawResponse oneRequest(quint16 port, const QByteArray &bytes, int timeoutMs = 10000)
{
    QTcpSocket s;
    if (!connectTo(s, port, timeoutMs))
        return {};
    s.write(bytes);
    return readResponses(s, 1, timeoutMs).value(0);
}

inline QByteArray post(const QByteArray &path, const QByteArray &body, const QByteArray &extraHeaders = {})
{
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + extraHeaders
        + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

inline QByteArray executeBody(const QByteArray &sql, const QByteArray &baton = {}, bool close = true)
{
    QByteArray escaped = sql;
    escaped.replace('\\', "\\\\").replace('"', "\\\"");
    return "{\"baton\":" + (baton.isEmpty() ? QByteArray("null") : "\"" + baton + "\"")
        + ",\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"" + escaped + "\"}}"
        + (close ? ",{\"type\":\"close\"}" : "") + "]}";
}

// A /v2/pipeline body: each statement as an `execute`, then `close` if asked, on `baton` (none if empty).
inline QByteArray pipelineBody(const QList<QByteArray> &statements, const QByteArray &baton = {}, bool close = true)
{
    QJsonArray requests;
    for (const QByteArray &sql : statements)
        requests.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("execute")},
                                    {QStringLiteral("stmt"), QJsonObject{{QStringLiteral("sql"), QString::fromUtf8(sql)}}}});
    if (close)
        requests.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("close")}});
    QJsonObject body{{QStringLiteral("requests"), requests}};
    body[QStringLiteral("baton")] = baton.isEmpty() ? QJsonValue() : QJsonValue(QString::fromUtf8(baton));
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

// A query that keeps SQLite busy for a long time (until interrupted).
inline const QByteArray SLOW_SQL = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) "
                                   "SELECT count(*) FROM c WHERE x < 0";

} // namespace qsqld::test
