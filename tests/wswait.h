#pragma once

// Waiting on a QWebSocket in tests: spins the event loop (the server under test runs on it) and wakes on every
// socket event, never a sleep or a poll.

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <QWebSocket>

#include <functional>

namespace qsqld::test {

// Runs the event loop until `done()` holds (true) or `timeoutMs` passes (false).
inline bool spinUntil(QWebSocket &ws, const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer elapsed;
    elapsed.start();
    while (!done()) {
        const qint64 left = timeoutMs - elapsed.elapsed();
        if (left <= 0)
            return false;
        QEventLoop loop;
        QTimer timer;
        timer.setSingleShot(true);
        QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
        QObject::connect(&ws, &QWebSocket::textMessageReceived, &loop, &QEventLoop::quit, Qt::QueuedConnection);
        QObject::connect(&ws, &QWebSocket::binaryMessageReceived, &loop, &QEventLoop::quit, Qt::QueuedConnection);
        QObject::connect(&ws, &QWebSocket::connected, &loop, &QEventLoop::quit, Qt::QueuedConnection);
        QObject::connect(&ws, &QWebSocket::disconnected, &loop, &QEventLoop::quit, Qt::QueuedConnection);
        QObject::connect(&ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), &loop, &QEventLoop::quit,
                         Qt::QueuedConnection);
        timer.start(static_cast<int>(left));
        loop.exec();
    }
    return true;
}

} // namespace qsqld::test
