#pragma once

// Hrana over WebSocket (hrana1, hrana2, hrana3 and hrana3-protobuf): upgrades handed over by the user listener,
// or every connection of --hrana-listen-addr. One WsSession per socket: hello/authentication, streams (each a
// pinned engine stream on the namespace's worker), connection-scoped stored SQL, cursors, and sqld's close codes
// for protocol errors. The subprotocol's encoding lives in hrana/wscodec.h.
// Thread rule: I/O thread only; SQL runs on the workers through WsBackend::post.

#include "auth/authenticator.h"
#include "http/request.h"
#include "http/response.h"
#include "ns/namespaceconfig.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <QWebSocketServer>

#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <variant>

class QWebSocket;

namespace qsqld::hrana {
class Engine;
}

namespace qsqld::runtime {

// What the gateway needs from the server, as functions (so it does not depend on ServerRuntime).
struct WsBackend
{
    std::function<std::variant<QString, http::Response>(const http::Request &)> resolveNamespace;
    std::function<std::variant<auth::Permissions, auth::AuthError>(const QString &ns, std::optional<QByteArray> jwt)>
        authenticate;
    std::function<ns::NamespaceConfig(const QString &ns)> config;
    std::function<std::shared_ptr<const QSet<QString>>()> attachable;
    // Runs `work` on the worker of `ns`; false when the server is stopping (nothing runs).
    std::function<bool(const QString &ns, std::function<void(hrana::Engine &)> work)> post;
    int idleTimeoutMs = 600'000;
    std::function<void()> activity; // every client message (the idle-shutdown clock); may be empty
    qint64 maxFetchBytes = 1'250'000; // a fetch_cursor response stops growing past this (max_response_size / 8)
};

class WsSession;

class WsGateway : public QObject
{
    Q_OBJECT
public:
    explicit WsGateway(WsBackend backend, QObject *parent = nullptr);
    ~WsGateway() override;

    // A socket whose first request is an upgrade, its handshake still unread (from the user listener or the
    // WebSocket-only --hrana-listen-addr listener).
    void takeUpgrade(const http::Request &request, QTcpSocket *socket);
    void closeAll();
    int sessionCount() const { return static_cast<int>(m_sessions.size()); }

private:
    void onNewConnection(QWebSocketServer *server);

    WsBackend m_backend;
    // One handshake server per subprotocol, each supporting only it: Qt would pick the client's favourite, while
    // sqld's own preference (hrana3, then hrana2, then hrana1) must win, so the choice is made before handing over.
    QWebSocketServer *serverFor(const QString &spelling);
    std::map<QString, std::unique_ptr<QWebSocketServer>> m_servers; // by the client's spelling of the protocol
    QSet<WsSession *> m_sessions;
};

} // namespace qsqld::runtime
