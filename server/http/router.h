#pragma once

// One explicit route table per listener. Matches method and path (":name" segments capture one
// percent-decoded segment; a leading "/**" accepts any path prefix), answers 404 for unknown paths and 405
// for a known path with another method, treats HEAD as GET, and adds sqld's CORS headers when enabled.
// Thread rule: I/O thread only.

#include "connection.h"

#include <functional>
#include <optional>
#include <vector>

namespace qsqld::http {

struct RouteContext
{
    Request request;
    ReplyChannel reply;
    StreamSink stream; // for chunked answers (cursor-free streaming such as /dump)
    std::shared_ptr<db::CancelToken> cancel;
    QList<QByteArray> params; // captured ":name" segments, in order
};

using RouteHandler = std::function<void(RouteContext &&)>;

class Router : public RequestHandler
{
public:
    explicit Router(bool cors) : m_cors(cors) { }

    void add(QByteArray method, QByteArray pattern, RouteHandler handler);
    // Runs before routing; a Response it returns is sent instead (e.g. the admin API's key check).
    void setGuard(std::function<std::optional<Response>(const Request &)> guard) { m_guard = std::move(guard); }
    // Unknown paths and wrong methods answer {"error": ...} instead of an empty body (the admin API).
    void setJsonErrors(bool on) { m_jsonErrors = on; }
    // Called for every request before routing (the idle-shutdown clock).
    void setActivityHook(std::function<void()> hook) { m_activity = std::move(hook); }
    // Where WebSocket upgrades go (the user listener's Hrana-over-WebSocket gateway).
    void setUpgradeHandler(std::function<void(const Request &, QTcpSocket *)> h) { m_upgrade = std::move(h); }
    bool acceptsUpgrade() const override { return bool(m_upgrade); }
    void upgrade(const Request &request, QTcpSocket *socket) override { m_upgrade(request, socket); }
    void handle(Request request, ReplyChannel reply, StreamSink stream,
                std::shared_ptr<db::CancelToken> cancel) override;

private:
    struct Route
    {
        QByteArray method;
        QList<QByteArray> segments;
        RouteHandler handler;
    };
    static bool match(const Route &route, const QList<QByteArray> &segments, QList<QByteArray> *params);

    bool m_cors;
    bool m_jsonErrors = false;
    std::function<std::optional<Response>(const Request &)> m_guard;
    std::function<void(const Request &, QTcpSocket *)> m_upgrade;
    std::function<void()> m_activity;
    std::vector<Route> m_routes;
};

} // namespace qsqld::http
