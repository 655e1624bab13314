#pragma once

// An HTTP response as a value. Built anywhere (workers build them too), serialised on the I/O thread.

#include <QByteArray>
#include <QList>
#include <QPair>

#include <functional>

namespace qsqld::http {

struct Response
{
    int status = 200;
    QByteArray contentType; // empty: no Content-Type header
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    bool closeConnection = false;
    qint64 charged = 0; // bytes charged to the ResponseBudget for this body; released once written

    static Response json(int status, QByteArray body)
    {
        return Response{status, "application/json", std::move(body), {}, false};
    }
    static Response text(int status, QByteArray body)
    {
        return Response{status, "text/plain", std::move(body), {}, false};
    }
    static Response empty(int status) { return Response{status, {}, {}, {}, false}; }
    void addHeader(const QByteArray &name, const QByteArray &value) { headers.append(qMakePair(name, value)); }
    // {"error":"<message>"}: sqld's generic error shape.
    static Response error(int status, const QByteArray &message);
};

// A streamed (chunked) answer, pulled by the connection: the producer sends one chunk with `send` and passes
// `more`, which the connection calls (on the I/O thread) once that chunk has mostly left the socket. So at most
// one chunk per stream is buffered, whatever the size of the whole body. `last` ends the body. Any thread.
struct StreamSink
{
    std::function<void(Response head)> begin;                                   // status and headers
    std::function<void(QByteArray chunk, bool last, std::function<void()> more)> send;
};

// Where a worker delivers its answer, exactly once. Callable from any thread: the implementation hops to the
// I/O thread and drops the answer if the client has gone.
using ReplyChannel = std::function<void(Response)>;

} // namespace qsqld::http
