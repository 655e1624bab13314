#include "connection.h"

#include "db/sqlite.h"
#include "util/responsebudget.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <limits>

Q_LOGGING_CATEGORY(lcHttp, "qsqld.http", QtInfoMsg)

namespace qsqld::http {

namespace {

const char *reasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

} // namespace

Connection::Connection(QTcpSocket *socket, RequestHandler &handler, const ConnectionLimits &limits, QObject *parent)
    : QObject(parent), m_socket(socket), m_handler(handler), m_limits(limits), m_parser(limits.maxBody),
      m_ioContext(parent)
{
    Q_ASSERT(parent);
    socket->setParent(this);
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    connect(socket, &QTcpSocket::readyRead, this, &Connection::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, &Connection::close);
    connect(socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::SocketTimeoutError)
            return; // a zero-timeout poll (closeWhenIdle), not a failure
        if (e != QAbstractSocket::RemoteHostClosedError)
            qCDebug(lcHttp) << "socket error" << e;
        close();
    });
    connect(socket, &QTcpSocket::bytesWritten, this, [this](qint64 written) {
        if (m_limits.budget && m_chargedUnwritten > 0) {
            const qint64 n = std::min(written, m_chargedUnwritten);
            m_limits.budget->release(n);
            m_chargedUnwritten -= n;
        }
        if (!m_pending.empty() && m_pending.begin()->second.streaming)
            armTimer(); // the reader is making progress
        pullMore();
        if (m_socket && m_socket->bytesToWrite() == 0 && m_closing && m_pending.empty())
            close();
    });
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (m_closing && m_pending.empty()) {
            close(); // the last answers were not taken in time: a client that does not read gets no more
        } else if (m_parser.inProgress() && !m_parser.headersDone()) {
            writeError(408, "Timed out waiting for the request headers");
        } else if (m_parser.inProgress() && m_pending.empty()) {
            // The whole request must arrive within the header timeout: a body trickling in cannot hold a slot.
            writeError(408, "Timed out waiting for the request body");
        } else if (m_pending.empty() || m_pending.begin()->second.streaming) {
            close(); // idle keep-alive connection, or a reader that stopped reading
        }
    });
    armTimer();
}

Connection::~Connection()
{
    for (auto &[seq, slot] : m_pending) {
        if (slot.cancel)
            slot.cancel->cancelled = true;
    }
}

void Connection::armTimer()
{
    if (m_closed)
        return;
    if (m_parser.inProgress() && !m_parser.headersDone())
        m_timer.start(m_limits.headerTimeoutMs);
    else if (m_pending.empty() || m_pending.begin()->second.streaming)
        m_timer.start(m_limits.idleTimeoutMs); // idle, or a stream whose reader must keep reading
    else
        m_timer.stop(); // the server owes an answer; statement timeouts bound that
}

void Connection::onReadyRead()
{
    if (!m_socket || m_closed)
        return;
    if (m_closing) {
        m_socket->readAll(); // discard: we answer what we have and close
        return;
    }
    if (!m_upgradeChecked && tryUpgrade())
        return;
    const bool wasIdle = !m_parser.inProgress();
    m_buffer.append(m_socket->readAll());
    processBuffer();
    if (wasIdle && m_parser.inProgress() && !m_parser.headersDone()) {
        m_timer.start(m_limits.headerTimeoutMs);
    } else if (!m_parser.inProgress()) {
        m_bodyDeadlineSet = false;
        armTimer();
    } else if (m_parser.headersDone() && !m_bodyDeadlineSet && m_pending.empty()) {
        // A body on its way: it may take the header timeout plus its length at a slow mobile link's rate, not
        // forever (a body trickling in byte by byte must not hold a connection).
        bool known = false;
        const qint64 length = m_parser.current().header("content-length").toLongLong(&known);
        const qint64 bytes = known ? std::min<qint64>(length, m_limits.maxBody) : m_limits.maxBody;
        const qint64 ms = m_limits.headerTimeoutMs + bytes * 1000 / std::max<qint64>(1, m_limits.minBodyBytesPerSecond);
        m_timer.start(static_cast<int>(std::min<qint64>(ms, std::numeric_limits<int>::max())));
        m_bodyDeadlineSet = true;
    }
}

bool Connection::tryUpgrade()
{
    constexpr qint64 MAX_HEAD = 64 * 1024;
    const QByteArray head = m_socket->peek(MAX_HEAD);
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0) {
        // Wait for the whole head of a possible upgrade; anything that cannot be one is parsed as usual.
        if (head.size() < MAX_HEAD && QByteArrayView("GET ").startsWith(QByteArrayView(head).first(std::min<qsizetype>(4, head.size()))))
            return true; // not consumed: readyRead fires again when more arrives (the header timeout still runs)
        m_upgradeChecked = true;
        return false;
    }
    m_upgradeChecked = true;
    RequestParser parser(0);
    QByteArray copy = head.left(end + 4);
    if (parser.feed(copy) != RequestParser::State::Complete)
        return false;
    const Request req = parser.takeRequest();
    if (req.method != "GET" || !req.header("upgrade").toLower().contains("websocket") || !m_handler.acceptsUpgrade())
        return false;
    // Hand the socket over with its handshake unread; this connection ends without touching it again.
    QTcpSocket *socket = m_socket.data();
    socket->disconnect(this);
    socket->setParent(nullptr);
    m_socket.clear();
    m_handler.upgrade(req, socket);
    m_closed = true;
    m_timer.stop();
    emit finished();
    deleteLater();
    return true;
}

void Connection::processBuffer()
{
    while (!m_closing && !m_closed && static_cast<int>(m_pending.size()) < m_limits.maxPipelined) {
        const auto state = m_parser.feed(m_buffer);
        if (state == RequestParser::State::Failed) {
            writeError(m_parser.errorStatus(), m_parser.errorText());
            return;
        }
        if (m_parser.expectsContinue() && m_parser.headersDone() && state != RequestParser::State::Complete
            && !m_continueSent && m_pending.empty()) {
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            m_continueSent = true;
        }
        if (state != RequestParser::State::Complete)
            return;
        m_continueSent = false;
        Request req = m_parser.takeRequest();
        const quint64 seq = m_nextSeq++;
        Slot &slot = m_pending[seq];
        slot.keepAlive = req.keepAlive;
        slot.head = req.method == "HEAD";
        slot.cancel = std::make_shared<db::CancelToken>();
        if (!req.keepAlive)
            m_closing = true;
        QPointer<Connection> self(this);
        QObject *io = m_ioContext;
        ReplyChannel reply = [io, self, seq](Response r) {
            // Any thread → I/O thread. `self` is only dereferenced there; `io` outlives every worker.
            QMetaObject::invokeMethod(
                io,
                [self, seq, r = std::move(r)]() mutable {
                    if (self)
                        self->deliver(seq, std::move(r));
                },
                Qt::QueuedConnection);
        };
        StreamSink stream;
        stream.begin = [io, self, seq](Response head) {
            QMetaObject::invokeMethod(io, [self, seq, head = std::move(head)] {
                if (self)
                    self->beginStream(seq, head);
            }, Qt::QueuedConnection);
        };
        stream.send = [io, self, seq](QByteArray chunk, bool last, std::function<void()> more) {
            QMetaObject::invokeMethod(io, [self, seq, chunk = std::move(chunk), last, more = std::move(more)]() mutable {
                if (self)
                    self->streamChunk(seq, std::move(chunk), last, std::move(more));
            }, Qt::QueuedConnection);
        };
        m_handler.handle(std::move(req), std::move(reply), std::move(stream), slot.cancel);
        m_timer.stop();
    }
}

void Connection::deliver(quint64 seq, Response response)
{
    auto it = m_pending.find(seq);
    if (it == m_pending.end() || it->second.done)
        return;
    Slot &slot = it->second;
    slot.done = true;
    slot.charged = response.charged;
    if (response.closeConnection)
        slot.keepAlive = false;
    slot.bytes = serialize(response, slot.keepAlive && !m_closing, slot.head);
    if (!slot.keepAlive) {
        // Nothing after this request is answered; drop anything parsed later.
        m_closing = true;
        for (auto later = std::next(it); later != m_pending.end(); ++later)
            releaseCharge(later->second.charged);
        m_pending.erase(std::next(it), m_pending.end());
    }
    flush();
}

void Connection::beginStream(quint64 seq, const Response &head)
{
    auto it = m_pending.find(seq);
    if (it == m_pending.end() || it->second.done || it->second.streaming)
        return;
    Slot &slot = it->second;
    slot.streaming = true;
    QByteArray bytes = serialize(head, slot.keepAlive && !m_closing, slot.head);
    // Replace the Content-Length framing by chunked transfer coding.
    const qsizetype cl = bytes.indexOf("content-length: ");
    const qsizetype eol = bytes.indexOf("\r\n", cl);
    bytes.replace(cl, eol - cl, "transfer-encoding: chunked");
    slot.bytes += bytes;
    flush();
}

void Connection::streamChunk(quint64 seq, QByteArray chunk, bool last, std::function<void()> more)
{
    auto it = m_pending.find(seq);
    if (it == m_pending.end() || !it->second.streaming || it->second.done)
        return;
    Slot &slot = it->second;
    if (!slot.head && !chunk.isEmpty()) {
        slot.bytes += QByteArray::number(chunk.size(), 16) + "\r\n";
        slot.bytes += chunk;
        slot.bytes += "\r\n";
    }
    if (last) {
        if (!slot.head)
            slot.bytes += "0\r\n\r\n";
        slot.done = true;
    } else {
        slot.more = std::move(more);
    }
    flush();
}

void Connection::pullMore()
{
    // The head-of-line stream gets its next chunk once the socket has (nearly) drained.
    constexpr qint64 LOW_WATER = 64 * 1024;
    if (m_pending.empty() || !m_socket || m_closed || m_socket->bytesToWrite() > LOW_WATER)
        return;
    Slot &head = m_pending.begin()->second;
    if (head.streaming && head.more)
        std::exchange(head.more, nullptr)();
}

void Connection::flush()
{
    while (!m_pending.empty()) {
        auto node = m_pending.begin();
        if (!node->second.done) {
            // A stream in progress at the head of the line: send what it has so far.
            if (node->second.streaming && !node->second.bytes.isEmpty() && m_socket && !m_closed)
                m_socket->write(std::exchange(node->second.bytes, QByteArray()));
            break;
        }
        if (m_socket && !m_closed) {
            m_socket->write(node->second.bytes);
            m_chargedUnwritten += node->second.charged;
        } else {
            releaseCharge(node->second.charged);
        }
        const bool keep = node->second.keepAlive;
        m_pending.erase(node);
        if (!keep) {
            m_closing = true;
            for (auto &[seq, slot] : m_pending)
                releaseCharge(slot.charged);
            m_pending.clear();
            break;
        }
    }
    if (m_closed)
        return;
    if (m_closing && m_pending.empty()) {
        if (m_socket && m_socket->bytesToWrite() == 0)
            close();
        else if (m_socket) {
            m_socket->disconnectFromHost(); // flushes, then closes
            m_timer.start(m_limits.idleTimeoutMs); // unless the client does not read: then abort
        }
        return;
    }
    // Room for more pipelined requests already buffered.
    if (!m_buffer.isEmpty() && static_cast<int>(m_pending.size()) < m_limits.maxPipelined)
        processBuffer();
    pullMore();
    armTimer();
}

QByteArray Connection::serialize(const Response &r, bool keepAlive, bool head) const
{
    QByteArray out;
    out.reserve(192 + r.body.size());
    out.append("HTTP/1.1 ");
    out.append(QByteArray::number(r.status));
    out.append(' ');
    out.append(reasonPhrase(r.status));
    out.append("\r\n");
    if (!r.contentType.isEmpty()) {
        out.append("content-type: ");
        out.append(r.contentType);
        out.append("\r\n");
    }
    for (const auto &h : r.headers) {
        out.append(h.first);
        out.append(": ");
        out.append(h.second);
        out.append("\r\n");
    }
    out.append("content-length: ");
    out.append(QByteArray::number(r.body.size()));
    out.append("\r\n");
    if (!keepAlive)
        out.append("connection: close\r\n");
    out.append("\r\n");
    if (!head)
        out.append(r.body);
    return out;
}

void Connection::writeError(int status, const QByteArray &text)
{
    // A request we cannot parse ends the connection: answer it after everything before it, then close.
    const quint64 seq = m_nextSeq++;
    Slot &slot = m_pending[seq];
    slot.done = true;
    slot.keepAlive = false;
    slot.bytes = serialize(Response::text(status, text), false, false);
    m_closing = true;
    m_buffer.clear();
    flush();
}

void Connection::releaseCharge(qint64 bytes)
{
    if (m_limits.budget && bytes > 0)
        m_limits.budget->release(bytes);
}

void Connection::closeWhenIdle()
{
    // Requests the client already sent are still answered; nothing after them is read.
    if (m_socket && !m_closed && m_socket->bytesAvailable() == 0)
        m_socket->waitForReadyRead(0); // pull what the kernel already holds (a just-accepted socket has read nothing)
    if (m_socket && !m_closed && m_socket->bytesAvailable() > 0) {
        m_buffer.append(m_socket->readAll());
        processBuffer();
    }
    m_closing = true;
    if (m_pending.empty() && !m_closed)
        close();
}

void Connection::close()
{
    if (m_closed)
        return;
    m_closed = true;
    m_timer.stop();
    for (auto &[seq, slot] : m_pending) {
        if (slot.cancel)
            slot.cancel->cancelled = true; // the worker stops the statement (progress handler)
        releaseCharge(slot.charged);
    }
    m_pending.clear();
    releaseCharge(m_chargedUnwritten);
    m_chargedUnwritten = 0;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
    emit finished();
    deleteLater();
}

} // namespace qsqld::http
