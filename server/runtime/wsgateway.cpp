#include "wsgateway.h"

#include "db/sqlite.h"
#include "hrana/engine.h"
#include "hrana/jsondecode.h"
#include "util/jsonwriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkRequest>
#include <QPointer>
#include <QWebSocket>

Q_LOGGING_CATEGORY(lcWs, "qsqld.ws", QtInfoMsg)

namespace qsqld::runtime {

using namespace Qt::StringLiterals;

namespace {

constexpr int MAX_SQL_TEXTS = 150;      // stored SQL per connection, as sqld
constexpr int MAX_IN_FLIGHT = 256;      // unanswered requests per connection before it is closed
constexpr int DEFAULT_FETCH = 100;
constexpr qint64 MAX_UNSENT_BYTES = 32 * 1024 * 1024; // a client that lets more pile up is disconnected
const QStringList SUBPROTOCOLS = {u"hrana3"_s, u"hrana2"_s, u"hrana1"_s};

hrana::Version versionOf(QString subprotocol)
{
    subprotocol = subprotocol.toLower();
    if (subprotocol == u"hrana3")
        return hrana::Version::V3;
    if (subprotocol == u"hrana2")
        return hrana::Version::V2;
    return hrana::Version::V1;
}

} // namespace

// One WebSocket client. Owns its QWebSocket; deletes itself when the socket closes.
class WsSession : public QObject
{
public:
    WsSession(QWebSocket *ws, QString ns, WsBackend &backend, WsGateway *gateway)
        : QObject(gateway), m_ws(ws), m_ns(std::move(ns)), m_backend(backend),
          m_version(versionOf(ws->subprotocol())), m_cancel(std::make_shared<db::CancelToken>())
    {
        ws->setParent(this);
        ws->setMaxAllowedIncomingMessageSize(64 * 1024 * 1024); // sqld's (tungstenite's) limits
        ws->setMaxAllowedIncomingFrameSize(16 * 1024 * 1024);
        connect(ws, &QWebSocket::textMessageReceived, this, &WsSession::onText);
        connect(ws, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
            fail(QWebSocketProtocol::CloseCodeDatatypeNotSupported,
                 "Received a binary WebSocket message, which is not supported in this encoding");
        });
        connect(ws, &QWebSocket::disconnected, this, &WsSession::finish);
        connect(ws, &QWebSocket::bytesWritten, this, [this](qint64 n) { m_unsent = std::max<qint64>(0, m_unsent - n); });
        m_idle.setSingleShot(true);
        connect(&m_idle, &QTimer::timeout, this, [this] {
            m_ws->close(QWebSocketProtocol::CloseCodeNormal, u"Idle timeout"_s);
        });
        m_idle.start(m_backend.idleTimeoutMs);
    }

    void closeNow() { m_ws->close(QWebSocketProtocol::CloseCodeGoingAway, u"Server shutting down"_s); }

private:
    struct Stream
    {
        quint64 engineId = 0;   // 0 until open_stream has run on the worker
        bool failed = false;    // open_stream failed: requests answer STREAM_NOT_OPEN
        bool busy = false;      // a request is running on the worker
        std::deque<std::function<void()>> queue; // requests in arrival order
        std::optional<qint32> cursorId;
    };
    struct Cursor
    {
        qint32 streamId = 0;
        bool ready = false;
        QList<QByteArray> entries; // JSON CursorEntry objects
        qsizetype next = 0;
        std::deque<std::pair<qint32, int>> waitingFetches; // request id, max count
        QByteArray error;          // the cursor failed to open
    };

    void send(const QByteArray &json)
    {
        if (!m_ws || m_ws->state() != QAbstractSocket::ConnectedState)
            return;
        // Backpressure: answers a client does not read stay in memory; past a bound the client is let go.
        m_unsent += json.size();
        if (m_unsent > MAX_UNSENT_BYTES)
            return fail(QWebSocketProtocol::CloseCodePolicyViolated, "The client does not read its responses");
        m_ws->sendTextMessage(QString::fromUtf8(json));
    }
    void respondOk(qint32 requestId, const QByteArray &responseJson)
    {
        --m_inFlight;
        send("{\"type\":\"response_ok\",\"request_id\":" + QByteArray::number(requestId) + ",\"response\":"
             + responseJson + "}");
    }
    void respondError(qint32 requestId, const QByteArray &errorJson)
    {
        --m_inFlight;
        send("{\"type\":\"response_error\",\"request_id\":" + QByteArray::number(requestId) + ",\"error\":"
             + errorJson + "}");
    }
    void fail(QWebSocketProtocol::CloseCode code, const QByteArray &message)
    {
        qCDebug(lcWs) << "closing WebSocket:" << message;
        m_ws->close(code, QString::fromUtf8(message.left(120))); // a close reason must fit in a control frame
    }
    void onText(const QString &text)
    {
        m_idle.start(m_backend.idleTimeoutMs);
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &pe);
        if (pe.error != QJsonParseError::NoError || !doc.isObject())
            return fail(QWebSocketProtocol::CloseCodeWrongDatatype,
                        "Cannot deserialize client message from JSON: " + pe.errorString().toUtf8());
        const QJsonObject msg = doc.object();
        const QString type = msg.value(QLatin1StringView("type")).toString();
        if (type == u"hello")
            return hello(msg);
        if (type != u"request")
            return fail(QWebSocketProtocol::CloseCodePolicyViolated, "ClientMsg type not recognized");
        if (!m_helloSeen)
            return fail(QWebSocketProtocol::CloseCodePolicyViolated, "Received a request before hello message");
        if (++m_inFlight > MAX_IN_FLIGHT)
            return fail(QWebSocketProtocol::CloseCodePolicyViolated, "Too many requests in flight");
        request(msg.value(QLatin1StringView("request_id")).toInt(),
                msg.value(QLatin1StringView("request")).toObject());
    }

    void hello(const QJsonObject &msg)
    {
        if (m_helloSeen && m_version == hrana::Version::V1)
            return fail(QWebSocketProtocol::CloseCodePolicyViolated, "Hello message can only be sent once in hrana1");
        const QJsonValue jwt = msg.value(QLatin1StringView("jwt"));
        std::optional<QByteArray> token;
        if (jwt.isString())
            token = jwt.toString().toUtf8();
        auto result = m_backend.authenticate(m_ns, token);
        if (auto *e = std::get_if<auth::AuthError>(&result)) {
            util::JsonWriter w;
            w.beginObject();
            w.key("type"); w.string("hello_error");
            w.key("error");
            w.beginObject();
            w.key("message"); w.string(auth::helloErrorMessage(*e));
            w.key("code"); w.string(e->code);
            w.endObject();
            w.endObject();
            send(w.take());
            m_ws->close(QWebSocketProtocol::CloseCodeNormal, u"Thank you for using sqld"_s);
            return;
        }
        m_permissions = std::get<auth::Permissions>(std::move(result)); // a later hello replaces the identity
        m_helloSeen = true;
        send("{\"type\":\"hello_ok\"}");
    }

    hrana::Job job() const
    {
        return hrana::Job{m_ns, m_backend.config(m_ns),
                          hrana::AccessContext{m_ns, m_permissions, m_backend.attachable()}, {}, {}, m_cancel};
    }

    // Replaces a connection-scoped sql_id by its text; false after closing the socket for an unknown id.
    bool resolveSql(std::optional<QByteArray> &sql, std::optional<qint32> &sqlId)
    {
        if (!sqlId || sql)
            return true;
        const auto it = m_sqls.constFind(*sqlId);
        if (it == m_sqls.cend()) {
            fail(QWebSocketProtocol::CloseCodePolicyViolated, "SQL text " + QByteArray::number(*sqlId) + " not found");
            return false;
        }
        sql = *it;
        sqlId.reset();
        return true;
    }

    void request(qint32 id, const QJsonObject &req)
    {
        const QString type = req.value(QLatin1StringView("type")).toString();
        const qint32 streamId = req.value(QLatin1StringView("stream_id")).toInt();
        const bool v2 = m_version >= hrana::Version::V2, v3 = m_version >= hrana::Version::V3;
        auto needs = [this](bool ok, const char *what) {
            if (!ok)
                fail(QWebSocketProtocol::CloseCodePolicyViolated,
                     QByteArray(what) + " is only supported in protocol version hrana"
                         + (QByteArray(what).contains("cursor") || QByteArray(what).contains("autocommit") ? "3" : "2")
                         + " and higher");
            return ok;
        };
        if (type == u"open_stream")
            return openStream(id, streamId);
        if (type == u"close_stream")
            return closeStream(id, streamId);
        if (type == u"store_sql") {
            if (!needs(v2, "The `store_sql` request"))
                return;
            const qint32 sqlId = req.value(QLatin1StringView("sql_id")).toInt();
            if (m_sqls.contains(sqlId))
                return fail(QWebSocketProtocol::CloseCodePolicyViolated,
                            "SQL text " + QByteArray::number(sqlId) + " already exists");
            if (m_sqls.size() >= MAX_SQL_TEXTS)
                return respondError(id, "{\"message\":\"The server already stores " + QByteArray::number(MAX_SQL_TEXTS)
                                            + " SQL texts, it cannot store more\",\"code\":\"SQL_STORE_TOO_MANY\"}");
            m_sqls.insert(sqlId, req.value(QLatin1StringView("sql")).toString().toUtf8());
            return respondOk(id, "{\"type\":\"store_sql\"}");
        }
        if (type == u"close_sql") {
            if (!needs(v2, "The `close_sql` request"))
                return;
            m_sqls.remove(req.value(QLatin1StringView("sql_id")).toInt());
            return respondOk(id, "{\"type\":\"close_sql\"}");
        }
        if (type == u"fetch_cursor") {
            if (!needs(v3, "The `fetch_cursor` request"))
                return;
            return fetchCursor(id, req.value(QLatin1StringView("cursor_id")).toInt(),
                               req.value(QLatin1StringView("max_count")).toInt(DEFAULT_FETCH));
        }
        if (type == u"close_cursor") {
            if (!needs(v3, "The `close_cursor` request"))
                return;
            return closeCursor(id, req.value(QLatin1StringView("cursor_id")).toInt());
        }

        // Requests that run SQL on a stream.
        hrana::StreamRequest sr;
        std::optional<hrana::Batch> cursorBatch;
        std::optional<qint32> cursorId;
        QByteArray error;
        if (type == u"execute") {
            sr.type = hrana::StreamRequest::Type::Execute;
            if (!hrana::decodeStmt(req.value(QLatin1StringView("stmt")), &sr.stmt, &error))
                return fail(QWebSocketProtocol::CloseCodeWrongDatatype, error);
            if (!resolveSql(sr.stmt.sql, sr.stmt.sqlId))
                return;
        } else if (type == u"batch" || type == u"open_cursor") {
            const bool isCursor = type == u"open_cursor";
            if (isCursor && !needs(v3, "The `open_cursor` request"))
                return;
            hrana::Batch batch;
            if (!hrana::decodeBatch(req.value(QLatin1StringView("batch")), &batch, m_version, &error))
                return fail(QWebSocketProtocol::CloseCodeWrongDatatype, error);
            for (hrana::BatchStep &step : batch.steps) {
                if (!resolveSql(step.stmt.sql, step.stmt.sqlId))
                    return;
            }
            if (isCursor) {
                cursorId = req.value(QLatin1StringView("cursor_id")).toInt();
                if (m_cursors.contains(*cursorId))
                    return fail(QWebSocketProtocol::CloseCodePolicyViolated,
                                "Cursor " + QByteArray::number(*cursorId) + " already exists");
                cursorBatch = std::move(batch);
            } else {
                sr.type = hrana::StreamRequest::Type::Batch;
                sr.batch = std::move(batch);
            }
        } else if (type == u"sequence" || type == u"describe") {
            if (!needs(v2, type == u"sequence" ? "The `sequence` request" : "The `describe` request"))
                return;
            sr.type = type == u"sequence" ? hrana::StreamRequest::Type::Sequence : hrana::StreamRequest::Type::Describe;
            if (req.value(QLatin1StringView("sql")).isString())
                sr.sql = req.value(QLatin1StringView("sql")).toString().toUtf8();
            if (req.value(QLatin1StringView("sql_id")).isDouble())
                sr.sqlId = req.value(QLatin1StringView("sql_id")).toInt();
            if (!resolveSql(sr.sql, sr.sqlId))
                return;
        } else if (type == u"get_autocommit") {
            if (!needs(v3, "The `get_autocommit` request"))
                return;
            sr.type = hrana::StreamRequest::Type::GetAutocommit;
        } else {
            return fail(QWebSocketProtocol::CloseCodePolicyViolated, "Request type not recognized");
        }
        auto it = m_streams.find(streamId);
        if (it == m_streams.end())
            return fail(QWebSocketProtocol::CloseCodePolicyViolated,
                        "Stream " + QByteArray::number(streamId) + " not found");
        if (cursorId) {
            if (it->cursorId)
                return fail(QWebSocketProtocol::CloseCodePolicyViolated,
                            "Stream " + QByteArray::number(streamId) + " already has an open cursor");
            it->cursorId = cursorId;
            Cursor c;
            c.streamId = streamId;
            m_cursors.insert(*cursorId, std::move(c));
            respondOk(id, "{\"type\":\"open_cursor\"}");
        }
        const QString typeName = type;
        enqueue(streamId, [this, id, streamId, sr = std::move(sr), cursorBatch = std::move(cursorBatch), cursorId,
                           typeName]() mutable {
            runOnStream(id, streamId, std::move(sr), std::move(cursorBatch), cursorId);
        });
    }

    void enqueue(qint32 streamId, std::function<void()> work)
    {
        Stream &s = m_streams[streamId];
        s.queue.push_back(std::move(work));
        pump(streamId);
    }
    void pump(qint32 streamId)
    {
        auto it = m_streams.find(streamId);
        if (it == m_streams.end() || it->busy || it->queue.empty())
            return;
        it->busy = true;
        auto work = std::move(it->queue.front());
        it->queue.pop_front();
        work();
    }
    void done(qint32 streamId)
    {
        auto it = m_streams.find(streamId);
        if (it == m_streams.end())
            return;
        it->busy = false;
        pump(streamId);
    }
    // Runs work on the worker and `then` with its result back here, unless this session is gone.
    template<typename Result>
    void onWorker(std::function<Result(hrana::Engine &)> work, std::function<void(Result)> then)
    {
        QPointer<WsSession> self(this);
        QObject *io = parent(); // the gateway: on the I/O thread until every worker has stopped
        const bool posted = m_backend.post(m_ns, [self, io, work = std::move(work), then = std::move(then)](
                                                      hrana::Engine &e) mutable {
            Result r = work(e);
            QMetaObject::invokeMethod(io, [self, then = std::move(then), r = std::move(r)]() mutable {
                if (self)
                    then(std::move(r));
            }, Qt::QueuedConnection);
        });
        if (!posted)
            fail(QWebSocketProtocol::CloseCodeGoingAway, "Namespace store has shutdown");
    }

    void openStream(qint32 id, qint32 streamId)
    {
        if (m_streams.contains(streamId))
            return fail(QWebSocketProtocol::CloseCodePolicyViolated,
                        "Stream " + QByteArray::number(streamId) + " already exists");
        if (!m_permissions.allows(auth::Right::Read, m_ns))
            return fail(QWebSocketProtocol::CloseCodeBadOperation,
                        "Namespace `" + m_ns.toUtf8() + "` doesn't exist");
        m_streams.insert(streamId, Stream());
        const hrana::Job j = job();
        enqueue(streamId, [this, id, streamId, j] {
            onWorker<std::pair<quint64, QByteArray>>(
                [j](hrana::Engine &e) {
                    QByteArray error;
                    const quint64 engineId = e.openPinnedStream(j.ns, j.config, &error);
                    return std::pair{engineId, error};
                },
                [this, id, streamId](std::pair<quint64, QByteArray> r) {
                    auto it = m_streams.find(streamId);
                    if (it == m_streams.end()) {
                        closeEngineStream(r.first); // closed meanwhile
                        return;
                    }
                    it->engineId = r.first;
                    it->failed = r.first == 0;
                    if (r.first)
                        respondOk(id, "{\"type\":\"open_stream\"}");
                    else
                        respondError(id, "{\"message\":\"Stream " + QByteArray::number(streamId)
                                             + " has failed to open\",\"code\":\"STREAM_NOT_OPEN\"}");
                    done(streamId);
                });
        });
    }

    void closeEngineStream(quint64 engineId)
    {
        if (engineId)
            m_backend.post(m_ns, [engineId](hrana::Engine &e) { e.closePinnedStream(engineId); });
    }

    void closeStream(qint32 id, qint32 streamId)
    {
        auto it = m_streams.find(streamId);
        if (it == m_streams.end())
            return fail(QWebSocketProtocol::CloseCodePolicyViolated,
                        "Stream " + QByteArray::number(streamId) + " not found");
        enqueue(streamId, [this, id, streamId] {
            auto s = m_streams.find(streamId);
            if (s->cursorId)
                m_cursors.remove(*s->cursorId);
            closeEngineStream(s->engineId);
            m_streams.erase(s);
            respondOk(id, "{\"type\":\"close_stream\"}");
        });
    }

    void runOnStream(qint32 id, qint32 streamId, hrana::StreamRequest sr, std::optional<hrana::Batch> cursorBatch,
                     std::optional<qint32> cursorId)
    {
        Stream &s = m_streams[streamId];
        if (s.failed || !s.engineId) {
            if (!cursorId)
                respondError(id, "{\"message\":\"Stream " + QByteArray::number(streamId)
                                     + " has failed to open\",\"code\":\"STREAM_NOT_OPEN\"}");
            return done(streamId);
        }
        const quint64 engineId = s.engineId;
        const hrana::Version version = m_version;
        const hrana::Job j = job();
        QPointer<WsSession> self(this);
        QObject *io = parent();
        const bool posted = m_backend.post(m_ns, [self, io, j, engineId, version, sr = std::move(sr),
                                                  cursorBatch = std::move(cursorBatch), id, streamId,
                                                  cursorId](hrana::Engine &e) mutable {
            std::vector<hrana::StreamRequest> requests;
            if (!cursorBatch)
                requests.push_back(std::move(sr));
            e.runOnStream(j, engineId, version, std::move(requests), std::move(cursorBatch),
                          [self, io, id, streamId, cursorId](std::vector<QByteArray> results, QByteArray fatal) {
                              QMetaObject::invokeMethod(io, [self, id, streamId, cursorId, results = std::move(results),
                                                               fatal = std::move(fatal)] {
                                  if (self)
                                      self->finished(id, streamId, cursorId, results, fatal);
                              }, Qt::QueuedConnection);
                          });
        });
        if (!posted)
            fail(QWebSocketProtocol::CloseCodeGoingAway, "Namespace store has shutdown");
    }

    void finished(qint32 id, qint32 streamId, std::optional<qint32> cursorId, const std::vector<QByteArray> &results,
                  const QByteArray &fatal)
    {
        if (!fatal.isEmpty()) {
            // Whole-request failures (protocol errors, 403) end the connection, with the reason (spec 9.5).
            QByteArray reason = fatal;
            const QJsonObject o = QJsonDocument::fromJson(fatal).object();
            if (o.contains(QLatin1StringView("error")))
                reason = o.value(QLatin1StringView("error")).toString().toUtf8();
            return fail(fatal.contains("Authorization forbidden") ? QWebSocketProtocol::CloseCodePolicyViolated
                                                                  : QWebSocketProtocol::CloseCodeBadOperation,
                        reason);
        }
        if (cursorId) {
            auto c = m_cursors.find(*cursorId);
            if (c != m_cursors.end()) {
                c->ready = true;
                for (const QByteArray &line : results.front().split('\n')) {
                    if (!line.isEmpty())
                        c->entries.append(line);
                }
                while (!c->waitingFetches.empty()) {
                    const auto [fid, max] = c->waitingFetches.front();
                    c->waitingFetches.pop_front();
                    fetchCursor(fid, *cursorId, max);
                    c = m_cursors.find(*cursorId);
                    if (c == m_cursors.end())
                        break;
                }
            }
            return done(streamId);
        }
        // `{"type":"ok","response":R}` or `{"type":"error","error":E}`, produced by the engine.
        static const QByteArray OK = "{\"type\":\"ok\",\"response\":";
        static const QByteArray ERR = "{\"type\":\"error\",\"error\":";
        const QByteArray &r = results.front();
        if (r.startsWith(OK))
            respondOk(id, r.mid(OK.size(), r.size() - OK.size() - 1));
        else
            respondError(id, r.mid(ERR.size(), r.size() - ERR.size() - 1));
        done(streamId);
    }

    void fetchCursor(qint32 id, qint32 cursorId, int maxCount)
    {
        auto c = m_cursors.find(cursorId);
        if (c == m_cursors.end())
            return fail(QWebSocketProtocol::CloseCodePolicyViolated,
                        "Cursor " + QByteArray::number(cursorId) + " not found");
        if (!c->ready) {
            c->waitingFetches.emplace_back(id, maxCount);
            return;
        }
        QByteArray entries = "[";
        int n = 0;
        for (; c->next < c->entries.size() && n < std::max(1, maxCount); ++c->next, ++n) {
            if (n)
                entries += ',';
            entries += c->entries[c->next];
        }
        entries += ']';
        const bool finished = c->next >= c->entries.size();
        respondOk(id, "{\"type\":\"fetch_cursor\",\"entries\":" + entries + ",\"done\":"
                          + (finished ? QByteArray("true") : QByteArray("false")) + "}");
    }

    void closeCursor(qint32 id, qint32 cursorId)
    {
        auto c = m_cursors.find(cursorId);
        if (c != m_cursors.end()) {
            auto s = m_streams.find(c->streamId);
            if (s != m_streams.end())
                s->cursorId.reset();
            m_cursors.erase(c);
        }
        respondOk(id, "{\"type\":\"close_cursor\"}");
    }

    void finish()
    {
        m_cancel->cancelled = true;
        for (const Stream &s : std::as_const(m_streams))
            closeEngineStream(s.engineId);
        m_streams.clear();
        m_idle.stop();
        deleteLater();
    }

    QWebSocket *m_ws;
    QString m_ns;
    WsBackend &m_backend;
    hrana::Version m_version;
    std::shared_ptr<db::CancelToken> m_cancel;
    bool m_helloSeen = false;
    auth::Permissions m_permissions;
    QHash<qint32, Stream> m_streams;
    QHash<qint32, QByteArray> m_sqls;
    QHash<qint32, Cursor> m_cursors;
    int m_inFlight = 0;
    qint64 m_unsent = 0; // bytes handed to the socket and not yet written
    QTimer m_idle;
};

WsGateway::WsGateway(WsBackend backend, QObject *parent) : QObject(parent), m_backend(std::move(backend))
{
}

QWebSocketServer *WsGateway::serverFor(const QString &spelling)
{
    // Qt matches subprotocols exactly; one handshake server per spelling a client uses makes the match
    // case-insensitive (as sqld's) while echoing the client's own spelling, as RFC 6455 requires.
    auto &server = m_servers[spelling];
    if (!server) {
        server = std::make_unique<QWebSocketServer>(u"qsqld"_s, QWebSocketServer::NonSecureMode);
        if (!spelling.isEmpty())
            server->setSupportedSubprotocols({spelling});
        QWebSocketServer *raw = server.get();
        connect(raw, &QWebSocketServer::newConnection, this, [this, raw] { onNewConnection(raw); });
    }
    return server.get();
}

WsGateway::~WsGateway() = default;

void WsGateway::takeUpgrade(const http::Request &request, QTcpSocket *socket)
{
    auto refuse = [socket](int status, const QByteArray &body) {
        socket->write("HTTP/1.1 " + QByteArray::number(status) + " Error\r\ncontent-type: text/plain\r\ncontent-length: "
                      + QByteArray::number(body.size()) + "\r\nconnection: close\r\n\r\n" + body);
        socket->disconnectFromHost();
        QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    };
    // Subprotocols: sqld's preference wins; no header means hrana1 (and none is echoed); offering only
    // unknown ones is sqld's 400.
    const QByteArray offered = request.header("sec-websocket-protocol");
    QString spelling; // empty: no header, hrana1 without an echoed subprotocol
    if (!offered.isEmpty()) {
        QStringList offers;
        for (const QByteArray &p : offered.split(','))
            offers.append(QString::fromLatin1(p.trimmed()));
        for (const QString &preferred : SUBPROTOCOLS) {
            for (const QString &offer : std::as_const(offers)) {
                if (spelling.isEmpty() && offer.compare(preferred, Qt::CaseInsensitive) == 0)
                    spelling = offer;
            }
        }
        if (spelling.isEmpty())
            return refuse(400, "Only these WebSocket subprotocols are supported: " + SUBPROTOCOLS.join(u' ').toLatin1());
    }
    auto ns = m_backend.resolveNamespace(request);
    if (std::holds_alternative<http::Response>(ns))
        return refuse(503, "sqld was not able to process the HTTP upgrade");
    serverFor(spelling)->handleConnection(socket);
}

void WsGateway::onNewConnection(QWebSocketServer *server)
{
    while (QWebSocket *ws = server->nextPendingConnection()) {
        // The namespace comes from the upgrade request's headers (2.2), as for HTTP requests.
        http::Request req;
        const QNetworkRequest nr = ws->request();
        for (const QByteArray &name : nr.rawHeaderList())
            req.headers.append({name.toLower(), nr.rawHeader(name)});
        auto ns = m_backend.resolveNamespace(req);
        if (auto *err = std::get_if<http::Response>(&ns)) {
            ws->close(QWebSocketProtocol::CloseCodeBadOperation, QString::fromUtf8(err->body.left(120)));
            ws->deleteLater();
            continue;
        }
        auto *session = new WsSession(ws, std::get<QString>(ns), m_backend, this);
        m_sessions.insert(session);
        connect(session, &QObject::destroyed, this, [this, session] { m_sessions.remove(session); });
    }
}

void WsGateway::closeAll()
{
    const auto sessions = m_sessions;
    for (WsSession *s : sessions)
        s->closeNow();
}

} // namespace qsqld::runtime
