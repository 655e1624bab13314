#pragma once

// The same server runtime as `qsqld`, hosted in the console on a thread of its own, so that the window never
// waits for it. start() and stop() return at once; started/failed/stopped report back on the GUI thread.
// Thread rule: GUI thread (the runtime itself lives on the server thread and is only touched there).

#include "runtime/serverconfig.h"

#include <QObject>
#include <QThread>

namespace qsqld::ui {

class ServerHost;

class BuiltinServer : public QObject
{
    Q_OBJECT
public:
    explicit BuiltinServer(QObject *parent = nullptr);
    ~BuiltinServer() override; // stops the server and waits for its thread (bounded by the shutdown timeout)

    bool isRunning() const { return m_running; }
    void start(const runtime::ServerConfig &config);
    void stop();

signals:
    void started(quint16 userPort, quint16 adminPort);
    void failed(const QString &error);
    void stopped();

private:
    QThread m_thread;
    ServerHost *m_host = nullptr; // lives on m_thread
    bool m_running = false;
    bool m_stopping = false;
};

} // namespace qsqld::ui
