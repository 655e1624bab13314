#include "listener.h"

namespace qsqld::http {

Listener::Listener(RequestHandler &handler, const ConnectionLimits &limits, int maxConnections, QObject *parent)
    : QTcpServer(parent), m_handler(handler), m_limits(limits), m_maxConnections(maxConnections)
{
}

bool Listener::start(const QHostAddress &host, quint16 port, QString *error)
{
    if (!listen(host, port)) {
        *error = errorString();
        return false;
    }
    return true;
}

void Listener::stopAccepting()
{
    // Connections the kernel already accepted are still taken in, so that their requests are answered.
    while (isListening() && waitForNewConnection(0)) {
    }
    close();
}

void Listener::closeAllWhenIdle()
{
    const auto conns = m_connections;
    for (Connection *c : conns)
        c->closeWhenIdle();
    if (m_connections.isEmpty())
        emit allConnectionsClosed();
}

void Listener::abortAll()
{
    const auto conns = m_connections;
    for (Connection *c : conns)
        c->abort();
}

void Listener::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }
    if (static_cast<int>(m_connections.size()) >= m_maxConnections) {
        socket->write("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 37\r\n"
                      "connection: close\r\n\r\n{\"error\":\"Too many open connections\"}");
        socket->disconnectFromHost();
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        return;
    }
    auto *conn = new Connection(socket, m_handler, m_limits, this);
    m_connections.insert(conn);
    connect(conn, &Connection::finished, this, [this, conn] {
        m_connections.remove(conn);
        if (m_connections.isEmpty() && !isListening())
            emit allConnectionsClosed();
    });
}

} // namespace qsqld::http
