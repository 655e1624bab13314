#pragma once

// One client TCP connection: reads and parses requests, hands each to the handler with a sequence number,
// and writes the answers strictly in request order (HTTP/1.1 pipelining), whenever they arrive.
// Thread rule: lives on the I/O thread. Answers from other threads come in through Connection::deliver,
// which the ReplyChannel calls via a queued hop; a connection that is gone simply drops them.

#include "request.h"
#include "requestparser.h"
#include "response.h"

#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <map>
#include <memory>

namespace qsqld::db {
struct CancelToken;
}
namespace qsqld::util {
class ResponseBudget;
}

namespace qsqld::http {

struct ConnectionLimits
{
    qsizetype maxBody = 32 * 1024 * 1024;
    int headerTimeoutMs = 10'000;
    int idleTimeoutMs = 60'000;
    // A request body must arrive within headerTimeoutMs plus its length at this rate (a chunked body: maxBody's).
    qint64 minBodyBytesPerSecond = 64 * 1024;
    int maxPipelined = 32; // requests in flight per connection before we stop reading
    util::ResponseBudget *budget = nullptr;
};

class Connection;

// The handler sees each complete request once. It must answer exactly once through `reply`.
class RequestHandler
{
public:
    virtual ~RequestHandler() = default;
    // `stream` may be used instead of `reply` to send a chunked body.
    virtual void handle(Request request, ReplyChannel reply, StreamSink stream,
                        std::shared_ptr<db::CancelToken> cancel) = 0;
    // A WebSocket upgrade as the first request of a connection. If acceptsUpgrade(), upgrade() takes `socket`
    // (its handshake bytes still unread, no parent) and owns it from then on, errors included.
    virtual bool acceptsUpgrade() const { return false; }
    virtual void upgrade(const Request &, QTcpSocket *) { }
};

class Connection : public QObject
{
    Q_OBJECT
public:
    Connection(QTcpSocket *socket, RequestHandler &handler, const ConnectionLimits &limits, QObject *parent);
    ~Connection() override;

    void deliver(quint64 seq, Response response); // I/O thread
    void beginStream(quint64 seq, const Response &head);                     // I/O thread
    void streamChunk(quint64 seq, QByteArray chunk, bool last, std::function<void()> more); // I/O thread
    void closeWhenIdle();                          // graceful shutdown: finish what is in flight, then close
    void abort() { close(); }                      // close now
    bool idle() const { return m_pending.empty() && !m_parser.inProgress(); }

signals:
    void finished(); // the socket is closed; the connection deletes itself later

private:
    struct Slot
    {
        bool done = false;
        bool keepAlive = true;
        bool head = false;
        QByteArray bytes;
        qint64 charged = 0;
        bool streaming = false;
        std::function<void()> more; // a streamed body's producer, waiting for the socket to drain
        std::shared_ptr<db::CancelToken> cancel;
    };

    void onReadyRead();
    bool tryUpgrade(); // true when the socket was handed over
    void processBuffer();
    void flush();
    void writeError(int status, const QByteArray &text);
    void close();
    void armTimer();
    void releaseCharge(qint64 bytes);
    void pullMore();
    QByteArray serialize(const Response &r, bool keepAlive, bool head) const;

    QPointer<QTcpSocket> m_socket;
    RequestHandler &m_handler;
    ConnectionLimits m_limits;
    RequestParser m_parser;
    QByteArray m_buffer;
    std::map<quint64, Slot> m_pending;
    quint64 m_nextSeq = 0;
    QTimer m_timer;
    QObject *m_ioContext; // the listener: lives on the I/O thread until every worker has stopped
    bool m_closing = false;    // no more requests are read
    bool m_closed = false;
    bool m_continueSent = false;
    bool m_bodyDeadlineSet = false; // the current request's body deadline is running
    bool m_upgradeChecked = false; // only the first request of a connection may be a WebSocket upgrade
    qint64 m_chargedUnwritten = 0; // budget bytes handed to the socket but not yet written
};

} // namespace qsqld::http
