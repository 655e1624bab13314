#pragma once

// A listening socket that turns accepted sockets into Connections, with a cap on open connections
// (over the cap, the client gets 503 and is closed). Thread rule: I/O thread only.

#include "connection.h"

#include <QHostAddress>
#include <QSet>
#include <QTcpServer>

namespace qsqld::http {

class Listener : public QTcpServer
{
    Q_OBJECT
public:
    Listener(RequestHandler &handler, const ConnectionLimits &limits, int maxConnections, QObject *parent = nullptr);

    bool start(const QHostAddress &host, quint16 port, QString *error);
    void stopAccepting();             // close the listening socket; open connections finish
    void closeAllWhenIdle();          // graceful shutdown of open connections
    void abortAll();                  // close every connection now (pending answers and streams are dropped)
    int connectionCount() const { return static_cast<int>(m_connections.size()); }

signals:
    void allConnectionsClosed();

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    RequestHandler &m_handler;
    ConnectionLimits m_limits;
    int m_maxConnections;
    QSet<Connection *> m_connections;
};

} // namespace qsqld::http
