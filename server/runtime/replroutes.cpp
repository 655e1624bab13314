// Embedded-replica sync on the user port (spec/replication.md): GET /info answers 404 (it keeps clients on
// the gRPC-web protocol, as sqld), and the gRPC-web methods of wal_log.ReplicationLog and proxy.Proxy, under
// any path prefix the replica's syncUrl has.

#include "serverruntime.h"

#include "db/sqliteworker.h"
#include "http/router.h"
#include "ns/namespacename.h"
#include "ns/namespaceregistry.h"
#include "repl/grpcweb.h"

#include <QDateTime>
#include <QUuid>

namespace qsqld::runtime {

namespace {

using repl::GrpcCode::FAILED_PRECONDITION;

QByteArray newUuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces).toLatin1();
}

} // namespace

void ServerRuntime::installReplicationRoutes(http::Router &r)
{
    m_replIds = {newUuid(), newUuid()};
    using Op = void (*)(hrana::Engine &, hrana::Job &&);
    auto route = [this, &r](const char *path, bool checkSession, Op op) {
        r.add("POST", QByteArray("/**") + path, [this, checkSession, op](http::RouteContext &&ctx) {
            dispatchGrpc(std::move(ctx), checkSession, op);
        });
    };
    r.add("POST", "/**/wal_log.ReplicationLog/Hello", [this](http::RouteContext &&ctx) {
        const repl::ProcessIds ids = m_replIds;
        dispatchGrpc(std::move(ctx), false, [ids](hrana::Engine &e, hrana::Job &&job) {
            repl::hello(e, std::move(job), ids);
        });
    });
    // Answers that may be large are streamed, produced on the namespace's worker as the connection drains.
    using StreamedOp = void (*)(hrana::Engine &, hrana::Job &&, http::StreamSink,
                                std::function<void(std::function<void()>)>);
    auto streamed = [this, &r](const char *path, StreamedOp op) {
        r.add("POST", QByteArray("/**") + path, [this, op](http::RouteContext &&ctx) {
            http::StreamSink sink = ctx.stream;
            dispatchGrpc(std::move(ctx), true, [this, sink, op](hrana::Engine &e, hrana::Job &&job) {
                db::SqliteWorker *worker = m_workers[static_cast<size_t>(workerFor(job.ns))].get();
                op(e, std::move(job), sink, [worker](std::function<void()> work) {
                    worker->postAlways(std::move(work));
                });
            });
        });
    };
    streamed("/wal_log.ReplicationLog/BatchLogEntries", &repl::batchLogEntries);
    streamed("/wal_log.ReplicationLog/Snapshot", &repl::snapshot);
    route("/proxy.Proxy/Describe", false, &repl::describe);
    route("/proxy.Proxy/Execute", false, &repl::execute);
    route("/proxy.Proxy/Disconnect", false, &repl::disconnect);
    // Server streaming that waits for new frames (sqld's own replicas) and bidirectional streaming: neither
    // works over HTTP/1.1 gRPC-web, and embedded replicas never call them.
    for (const char *path : {"/**/wal_log.ReplicationLog/LogEntries", "/**/proxy.Proxy/StreamExec"}) {
        r.add("POST", path, [](http::RouteContext &&ctx) {
            ctx.reply(repl::grpcError(repl::GrpcCode::UNIMPLEMENTED, "not supported over gRPC-web"));
        });
    }
}

void ServerRuntime::dispatchGrpc(http::RouteContext &&ctx, bool checkSession,
                                 std::function<void(hrana::Engine &, hrana::Job &&)> op)
{
    if (m_stopped)
        return ctx.reply(repl::grpcError(repl::GrpcCode::UNAVAILABLE, "Namespace store has shutdown"));
    // x-namespace-bin (base64 of the first label of the replica's syncUrl host) comes first, as for Hrana.
    auto resolved = ns::resolveNamespace(ctx.request, {m_config.enableNamespaces, m_config.disableDefaultNamespace});
    if (auto *resp = std::get_if<http::Response>(&resolved))
        return ctx.reply(repl::grpcError(repl::GrpcCode::INVALID_ARGUMENT, resp->body));
    const QString ns = std::get<QString>(resolved);
    if (!m_registry->exists(ns) || m_registry->busy(ns))
        return ctx.reply(repl::grpcError(FAILED_PRECONDITION, "NAMESPACE_DOESNT_EXIST"));
    if (checkSession && ctx.request.header("x-session-token") != m_replIds.sessionToken)
        return ctx.reply(repl::grpcError(FAILED_PRECONDITION, "NO_HELLO"));
    QByteArray authError;
    const auto authenticator = authenticatorFor(ns, &authError);
    if (!authenticator)
        return ctx.reply(repl::grpcError(repl::GrpcCode::INTERNAL, authError));
    auto authenticated = authenticator->authenticate(ctx.request.header("x-authorization"),
                                                     QDateTime::currentSecsSinceEpoch());
    if (auto *e = std::get_if<auth::AuthError>(&authenticated))
        return ctx.reply(repl::grpcError(repl::GrpcCode::UNAUTHENTICATED, "AuthError: " + e->message));
    auto permissions = std::get<auth::Permissions>(std::move(authenticated));
    if (!permissions.allows(auth::Right::Read, ns)) // a token for another namespace: as if it did not exist
        return ctx.reply(repl::grpcError(FAILED_PRECONDITION, "NAMESPACE_DOESNT_EXIST"));
    hrana::Job job{ns, m_registry->config(ns), hrana::AccessContext{ns, std::move(permissions), m_attachable},
                   std::move(ctx.request.body), std::move(ctx.reply), std::move(ctx.cancel)};
    const int w = workerFor(ns);
    hrana::Engine *engine = m_engines[w].get();
    http::ReplyChannel reply = job.reply;
    const bool queued = m_workers[w]->post([engine, op = std::move(op), job = std::move(job)]() mutable {
        if (job.cancel && job.cancel->cancelled)
            return; // the client is gone
        op(*engine, std::move(job));
    }, m_config.maxConcurrentRequests);
    if (!queued)
        reply(repl::grpcError(repl::GrpcCode::RESOURCE_EXHAUSTED, "Too many concurrent requests"));
}

} // namespace qsqld::runtime
