#include "router.h"

namespace qsqld::http {

namespace {

QList<QByteArray> splitPath(const QByteArray &target, bool *ok)
{
    const qsizetype q = target.indexOf('?');
    const QByteArray raw = q < 0 ? target : target.left(q);
    QList<QByteArray> out;
    *ok = true;
    const QList<QByteArray> parts = raw.split('/');
    for (qsizetype i = 1; i < parts.size(); ++i) {
        if (i == parts.size() - 1 && parts[i].isEmpty() && parts.size() > 2)
            break; // tolerate one trailing slash
        out.append(percentDecode(parts[i], ok));
        if (!*ok)
            return {};
    }
    return out;
}

ReplyChannel withCors(ReplyChannel inner)
{
    return [inner = std::move(inner)](Response r) {
        r.addHeader("access-control-allow-origin", "*");
        r.addHeader("vary", "origin, access-control-request-method, access-control-request-headers");
        inner(std::move(r));
    };
}

} // namespace

void Router::add(QByteArray method, QByteArray pattern, RouteHandler handler)
{
    bool ok = true;
    QList<QByteArray> segments = pattern == "/" ? QList<QByteArray>{} : splitPath(pattern, &ok);
    if (pattern == "/")
        segments = {QByteArray()};
    m_routes.push_back({std::move(method), std::move(segments), std::move(handler)});
}

bool Router::match(const Route &route, const QList<QByteArray> &segments, QList<QByteArray> *params)
{
    // A leading "**" takes any number of leading segments (a path prefix, as in an embedded replica's syncUrl).
    const bool wildcard = !route.segments.isEmpty() && route.segments.first() == "**";
    const qsizetype fixed = route.segments.size() - (wildcard ? 1 : 0);
    if (wildcard ? segments.size() < fixed : segments.size() != fixed)
        return false;
    const qsizetype offset = segments.size() - fixed;
    params->clear();
    for (qsizetype i = 0; i < fixed; ++i) {
        const QByteArray &want = route.segments[i + (wildcard ? 1 : 0)];
        const QByteArray &got = segments[offset + i];
        if (want.startsWith(':'))
            params->append(got);
        else if (want != got)
            return false;
    }
    return true;
}

void Router::handle(Request request, ReplyChannel reply, StreamSink stream, std::shared_ptr<db::CancelToken> cancel)
{
    if (m_activity)
        m_activity();
    if (m_guard) {
        if (auto refused = m_guard(request)) {
            reply(std::move(*refused));
            return;
        }
    }
    bool ok = true;
    QList<QByteArray> segments = splitPath(request.target, &ok);
    if (segments.isEmpty())
        segments = {QByteArray()};
    if (!ok) {
        reply(Response::error(400, "Invalid path in URI: `" + request.target + "`"));
        return;
    }
    const QByteArray method = request.method == "HEAD" ? QByteArray("GET") : request.method;
    QList<QByteArray> params;
    QByteArrayList allowed;
    for (const Route &route : m_routes) {
        if (!match(route, segments, &params))
            continue;
        if (route.method == method) {
            if (m_cors) {
                stream.begin = [begin = std::move(stream.begin)](Response head) {
                    head.addHeader("access-control-allow-origin", "*");
                    begin(std::move(head));
                };
            }
            RouteContext ctx{std::move(request), m_cors ? withCors(std::move(reply)) : std::move(reply),
                             std::move(stream), std::move(cancel), std::move(params)};
            route.handler(std::move(ctx));
            return;
        }
        allowed.append(route.method);
    }
    if (allowed.isEmpty()) {
        reply(m_jsonErrors ? Response::error(404, "No such route: " + request.method + ' ' + request.path)
                           : Response::empty(404));
        return;
    }
    if (m_cors && method == "OPTIONS") {
        // CORS preflight: answered for any existing route. Echo the requested headers, since `*` does not
        // cover Authorization in the Fetch standard.
        const QByteArray requested = request.header("access-control-request-headers");
        Response r = Response::empty(200);
        r.addHeader("access-control-allow-methods", "*");
        r.addHeader("access-control-allow-headers", requested.isEmpty() ? QByteArray("*") : requested);
        withCors(std::move(reply))(std::move(r));
        return;
    }
    Response r = m_jsonErrors ? Response::error(405, "Method " + request.method + " is not allowed on " + request.path)
                              : Response::empty(405);
    if (allowed.contains("GET"))
        allowed.append("HEAD");
    r.addHeader("allow", allowed.join(", "));
    (m_cors ? withCors(std::move(reply)) : std::move(reply))(std::move(r));
}

} // namespace qsqld::http
