#include "wsgateway.h"

#include "db/sqlite.h"
#include "hrana/engine.h"
#include "hrana/jsondecode.h"
#include "hrana/wscodec.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkRequest>
#include <QPointer>
#include <QWebSocket>

#include <unordered_map>

Q_LOGGING_CATEGORY(lcWs, "qsqld.ws", QtInfoMsg)

namespace qsqld::runtime {

using namespace Qt::StringLiterals;

namespace {

constexpr int MAX_SQL_TEXTS = 150;      // stored SQL per connection, as sqld
constexpr int MAX_IN_FLIGHT = 256;      // unanswered requests per connection before it is closed
constexpr qint64 MAX_UNSENT_BYTES = 32 * 1024 * 1024; // a client that lets more pile up is disconnected
// sqld's preference, best first.
const QStringList SUBPROTOCOLS = {u"hrana3-protobuf"_s, u"hrana3"_s, u"hrana2"_s, u"hrana1"_s};

hrana::Version versionOf(QString subprotocol)
{
    subprotocol = subprotocol.toLower();
    if (subprotocol.startsWith(u"hrana3"))
        return hrana::Version::V3;
    if (subprotocol == u"hrana2")
        return hrana::Version::V2;
    return hrana::Version::V1;
}

QByteArray streamError(const char *what, qint32 id, const char *problem)
{
    return QByteArray(what) + ' ' + QByteArray::number(id) + ' ' + problem;
}

} // namespace

// One WebSocket client. Owns its QWebSocket; deletes itself when the socket closes.
class WsSession : public QObject
{
    using Type = hrana::WsRequest::Type;

public:
    WsSession(QWebSocket *ws, QString ns, WsBackend &backend, WsGateway *gateway)
        : QObject(gateway), m_ws(ws), m_ns(std::move(ns)), m_backend(backend),
          m_version(versionOf(ws->subprotocol())),
          m_codec(hrana::makeWsCodec(ws->subprotocol().compare(u"hrana3-protobuf"_s, Qt::CaseInsensitive) == 0)),
          m_cancel(std::make_shared<db::CancelToken>())
    {
        ws->setParent(this);
        ws->setMaxAllowedIncomingMessageSize(64 * 1024 * 1024); // sqld's (tungstenite's) limits
        ws->setMaxAllowedIncomingFrameSize(16 * 1024 * 1024);
        connect(ws, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            if (m_codec->binaryFrames())
                return fail(QWebSocketProtocol::CloseCodeDatatypeNotSupported,
                            "Received a text WebSocket message, which is not supported in this encoding");
            onFrame(text.toUtf8());
        });
        connect(ws, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &data) {
            if (!m_codec->binaryFrames())
                return fail(QWebSocketProtocol::CloseCodeDatatypeNotSupported,
                            "Received a binary WebSocket message, which is not supported in this encoding");
            onFrame(data);
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
        std::vector<QByteArray> entries; // encoded CursorEntry messages
        size_t next = 0;
        std::deque<std::pair<qint32, quint32>> waitingFetches; // request id, max count
    };

    void send(const QByteArray &message)
    {
        if (!m_ws || m_ws->state() != QAbstractSocket::ConnectedState)
            return;
        // Backpressure: answers a client does not read stay in memory; past a bound the client is let go.
        m_unsent += message.size();
        if (m_unsent > MAX_UNSENT_BYTES)
            return fail(QWebSocketProtocol::CloseCodePolicyViolated, "The client does not read its responses");
        if (m_codec->binaryFrames())
            m_ws->sendBinaryMessage(message);
        else
            m_ws->sendTextMessage(QString::fromUtf8(message));
    }
    void respond(const QByteArray &message)
    {
        --m_inFlight;
        send(message);
    }
    void respondOk(qint32 requestId, Type type) { respond(m_codec->emptyResponse(requestId, type)); }
    void respondError(qint32 requestId, const hrana::Error &e) { respond(m_codec->responseError(requestId, e)); }
    void fail(QWebSocketProtocol::CloseCode code, const QByteArray &message)
    {
        qCDebug(lcWs) << "closing WebSocket:" << message;
        m_ws->close(code, QString::fromUtf8(message.left(120))); // a close reason must fit in a control frame
    }
    void protocolError(const QByteArray &message) { fail(QWebSocketProtocol::CloseCodePolicyViolated, message); }

    void onFrame(const QByteArray &frame)
    {
        m_idle.start(m_backend.idleTimeoutMs);
        if (m_backend.activity)
            m_backend.activity();
        auto decoded = m_codec->decode(frame, m_version);
        if (auto *e = std::get_if<hrana::WsDecodeError>(&decoded))
            return fail(e->kind == hrana::WsDecodeError::Kind::Malformed ? QWebSocketProtocol::CloseCodeWrongDatatype
                                                                         : QWebSocketProtocol::CloseCodePolicyViolated,
                        e->message);
        hrana::WsClientMsg &msg = std::get<hrana::WsClientMsg>(decoded);
        if (msg.kind == hrana::WsClientMsg::Kind::Hello)
            return hello(std::move(msg.jwt));
        if (!m_helloSeen)
            return protocolError("Received a request before hello message");
        if (++m_inFlight > MAX_IN_FLIGHT)
            return protocolError("Too many requests in flight");
        request(msg.requestId, std::move(msg.request));
    }

    void hello(std::optional<QByteArray> jwt)
    {
        if (m_helloSeen && m_version == hrana::Version::V1)
            return protocolError("Hello message can only be sent once in hrana1");
        auto result = m_backend.authenticate(m_ns, std::move(jwt));
        if (auto *e = std::get_if<auth::AuthError>(&result)) {
            send(m_codec->helloError({auth::helloErrorMessage(*e), e->code}));
            m_ws->close(QWebSocketProtocol::CloseCodeNormal, u"Thank you for using sqld"_s);
            return;
        }
        m_permissions = std::get<auth::Permissions>(std::move(result)); // a later hello replaces the identity
        m_helloSeen = true;
        send(m_codec->helloOk());
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
            protocolError(streamError("SQL text", *sqlId, "not found"));
            return false;
        }
        sql = *it;
        sqlId.reset();
        return true;
    }

    // Requests newer than the negotiated protocol are protocol errors.
    bool supported(Type type)
    {
        auto gate = [this](const char *name, hrana::Version min) {
            if (m_version >= min)
                return true;
            protocolError(hrana::notSupported(name, min));
            return false;
        };
        using V = hrana::Version;
        switch (type) {
        case Type::StoreSql: return gate("The `store_sql` request", V::V2);
        case Type::CloseSql: return gate("The `close_sql` request", V::V2);
        case Type::Sequence: return gate("The `sequence` request", V::V2);
        case Type::Describe: return gate("The `describe` request", V::V2);
        case Type::OpenCursor: return gate("The `open_cursor` request", V::V3);
        case Type::FetchCursor: return gate("The `fetch_cursor` request", V::V3);
        case Type::CloseCursor: return gate("The `close_cursor` request", V::V3);
        case Type::GetAutocommit: return gate("The `get_autocommit` request", V::V3);
        default: return true;
        }
    }

    void request(qint32 id, hrana::WsRequest req)
    {
        if (!supported(req.type))
            return;
        switch (req.type) {
        case Type::OpenStream:
            return openStream(id, req.streamId);
        case Type::CloseStream:
            return closeStream(id, req.streamId);
        case Type::StoreSql:
            return storeSql(id, req.sqlId.value_or(0), req.sql.value_or(QByteArray()));
        case Type::CloseSql:
            m_sqls.remove(req.sqlId.value_or(0));
            return respondOk(id, Type::CloseSql);
        case Type::FetchCursor:
            return fetchCursor(id, req.cursorId, req.maxCount);
        case Type::CloseCursor:
            return closeCursor(id, req.cursorId);
        case Type::Execute:
        case Type::Batch:
        case Type::OpenCursor:
        case Type::Sequence:
        case Type::Describe:
        case Type::GetAutocommit:
            return sqlRequest(id, std::move(req));
        }
    }

    void storeSql(qint32 id, qint32 sqlId, QByteArray sql)
    {
        if (m_sqls.contains(sqlId))
            return protocolError(streamError("SQL text", sqlId, "already exists"));
        if (m_sqls.size() >= MAX_SQL_TEXTS)
            return respondError(id, {"The server already stores " + QByteArray::number(MAX_SQL_TEXTS)
                                         + " SQL texts, it cannot store more",
                                     "SQL_STORE_TOO_MANY"});
        m_sqls.insert(sqlId, std::move(sql));
        respondOk(id, Type::StoreSql);
    }

    // Requests that run SQL on a stream, in its queue.
    void sqlRequest(qint32 id, hrana::WsRequest req)
    {
        using SR = hrana::StreamRequest::Type;
        hrana::StreamRequest sr;
        std::optional<hrana::Batch> cursorBatch;
        std::optional<qint32> cursorId;
        switch (req.type) {
        case Type::Execute:
            sr.type = SR::Execute;
            sr.stmt = std::move(req.stmt);
            if (!resolveSql(sr.stmt.sql, sr.stmt.sqlId))
                return;
            break;
        case Type::Batch:
        case Type::OpenCursor:
            for (hrana::BatchStep &step : req.batch.steps) {
                if (!resolveSql(step.stmt.sql, step.stmt.sqlId))
                    return;
            }
            if (req.type == Type::Batch) {
                sr.type = SR::Batch;
                sr.batch = std::move(req.batch);
                break;
            }
            if (m_cursors.contains(req.cursorId))
                return protocolError(streamError("Cursor", req.cursorId, "already exists"));
            cursorId = req.cursorId;
            cursorBatch = std::move(req.batch);
            break;
        case Type::Sequence:
        case Type::Describe:
            sr.type = req.type == Type::Sequence ? SR::Sequence : SR::Describe;
            sr.sql = std::move(req.sql);
            sr.sqlId = req.sqlId;
            if (!resolveSql(sr.sql, sr.sqlId))
                return;
            break;
        default:
            sr.type = SR::GetAutocommit;
            break;
        }
        auto it = m_streams.find(req.streamId);
        if (it == m_streams.end())
            return protocolError(streamError("Stream", req.streamId, "not found"));
        if (cursorId) {
            if (it->cursorId)
                return protocolError(streamError("Stream", req.streamId, "already has an open cursor"));
            it->cursorId = cursorId;
            m_cursors.emplace(*cursorId, Cursor{req.streamId, false, {}, 0, {}});
            respondOk(id, Type::OpenCursor);
        }
        const qint32 streamId = req.streamId;
        enqueue(streamId, [this, id, streamId, sr = std::move(sr), cursorBatch = std::move(cursorBatch),
                           cursorId]() mutable {
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
            return protocolError(streamError("Stream", streamId, "already exists"));
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
                        respondOk(id, Type::OpenStream);
                    else
                        respondError(id, streamNotOpen(streamId));
                    done(streamId);
                });
        });
    }
    static hrana::Error streamNotOpen(qint32 streamId)
    {
        return {streamError("Stream", streamId, "has failed to open"), "STREAM_NOT_OPEN"};
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
            return protocolError(streamError("Stream", streamId, "not found"));
        enqueue(streamId, [this, id, streamId] {
            auto s = m_streams.find(streamId);
            if (s->cursorId)
                m_cursors.erase(*s->cursorId);
            closeEngineStream(s->engineId);
            m_streams.erase(s);
            respondOk(id, Type::CloseStream);
        });
    }

    void runOnStream(qint32 id, qint32 streamId, hrana::StreamRequest sr, std::optional<hrana::Batch> cursorBatch,
                     std::optional<qint32> cursorId)
    {
        Stream &s = m_streams[streamId];
        if (s.failed || !s.engineId) {
            if (!cursorId)
                respondError(id, streamNotOpen(streamId));
            return done(streamId);
        }
        const quint64 engineId = s.engineId;
        const hrana::Version version = m_version;
        const hrana::Encoding encoding = m_codec->resultEncoding();
        const hrana::Job j = job();
        QPointer<WsSession> self(this);
        QObject *io = parent();
        const bool posted = m_backend.post(m_ns, [self, io, j, engineId, version, encoding, sr = std::move(sr),
                                                  cursorBatch = std::move(cursorBatch), id, streamId,
                                                  cursorId](hrana::Engine &e) mutable {
            std::vector<hrana::StreamRequest> requests;
            if (!cursorBatch)
                requests.push_back(std::move(sr));
            e.runOnStream(j, engineId, version, encoding, std::move(requests), std::move(cursorBatch),
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
            cursorReady(*cursorId, results.empty() ? QByteArray() : results.front());
            return done(streamId);
        }
        const QByteArray message = results.empty() ? QByteArray() : m_codec->streamResult(id, results.front());
        if (message.isEmpty()) {
            qCCritical(lcWs, "unreadable result for WebSocket request %d", id);
            return fail(QWebSocketProtocol::CloseCodeBadOperation, "Internal server error");
        }
        respond(message);
        done(streamId);
    }

    void cursorReady(qint32 cursorId, const QByteArray &encodedEntries)
    {
        auto c = m_cursors.find(cursorId);
        if (c == m_cursors.end())
            return; // closed meanwhile
        c->second.ready = true;
        c->second.entries = m_codec->splitCursorEntries(encodedEntries);
        while (!c->second.waitingFetches.empty()) {
            const auto [fid, max] = c->second.waitingFetches.front();
            c->second.waitingFetches.pop_front();
            fetchCursor(fid, cursorId, max);
            c = m_cursors.find(cursorId);
            if (c == m_cursors.end())
                break;
        }
    }

    void fetchCursor(qint32 id, qint32 cursorId, quint32 maxCount)
    {
        auto it = m_cursors.find(cursorId);
        if (it == m_cursors.end())
            return protocolError(streamError("Cursor", cursorId, "not found"));
        Cursor &c = it->second;
        if (!c.ready) {
            c.waitingFetches.emplace_back(id, maxCount);
            return;
        }
        // Up to max_count entries (at least one), and no more once the response reaches max_response_size / 8.
        const size_t first = c.next;
        qint64 bytes = 0;
        while (c.next < c.entries.size() && c.next - first < std::max<quint32>(1, maxCount)
               && bytes < m_backend.maxFetchBytes) {
            bytes += c.entries[c.next].size();
            ++c.next;
        }
        const bool finishedAll = c.next >= c.entries.size();
        respond(m_codec->fetchCursor(id, c.entries.data() + first, static_cast<qsizetype>(c.next - first), finishedAll));
        for (size_t i = first; i < c.next; ++i)
            c.entries[i] = QByteArray(); // sent: no need to keep it
    }

    void closeCursor(qint32 id, qint32 cursorId)
    {
        auto c = m_cursors.find(cursorId);
        if (c != m_cursors.end()) {
            auto s = m_streams.find(c->second.streamId);
            if (s != m_streams.end())
                s->cursorId.reset();
            m_cursors.erase(c);
        }
        respondOk(id, Type::CloseCursor);
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
    std::unique_ptr<hrana::WsCodec> m_codec;
    std::shared_ptr<db::CancelToken> m_cancel;
    bool m_helloSeen = false;
    auth::Permissions m_permissions;
    QHash<qint32, Stream> m_streams;
    QHash<qint32, QByteArray> m_sqls;
    std::unordered_map<qint32, Cursor> m_cursors;
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
