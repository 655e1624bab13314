// Turso Sync (`@tursodatabase/sync`) on the user port: POST /pull-updates (also /dev/<ns>/pull-updates) beside
// the /v2/pipeline it pushes with. Long polls wait here, on the I/O thread, holding no worker: the worker answers
// "nothing new as of frame F", the request parks until a commit after F (or its timeout), then asks again.

#include "serverruntime.h"

#include "db/sqliteworker.h"
#include "http/router.h"
#include "ns/namespacename.h"
#include "sync/pullupdates.h"

#include <QPointer>

#include <climits>

namespace qsqld::runtime {

namespace {

constexpr int MAX_LONG_POLL_MS = 30'000; // kept below the usual proxy idle timeouts

} // namespace

struct ServerRuntime::PollWaiter
{
    http::RouteContext ctx;
    QString ns;
    quint64 seenFrame = 0;
    QTimer deadline;
};

void ServerRuntime::installSyncRoutes(http::Router &r)
{
    r.add("POST", "/pull-updates", [this](http::RouteContext &&ctx) { pullUpdates(std::move(ctx), {}, true); });
    r.add("POST", "/dev/:ns/pull-updates", [this](http::RouteContext &&ctx) {
        const QByteArray name = ctx.params.value(0);
        if (QByteArray reason = ns::validateName(name); !reason.isEmpty())
            return ctx.reply(ns::invalidNamespace(name, reason));
        const QString ns = m_config.enableNamespaces ? QString::fromLatin1(name) : QStringLiteral("default");
        pullUpdates(std::move(ctx), ns, true);
    });
}

void ServerRuntime::pullUpdates(http::RouteContext &&ctx, std::optional<QString> ns, bool mayWait)
{
    QByteArray error;
    auto request = sync::decodePullRequest(ctx.request.body, &error);
    if (!request)
        return ctx.reply(http::Response::error(400, error));
    if (!ns) {
        auto resolved = ns::resolveNamespace(ctx.request, {m_config.enableNamespaces, m_config.disableDefaultNamespace});
        if (auto *resp = std::get_if<http::Response>(&resolved))
            return ctx.reply(std::move(*resp));
        ns = std::get<QString>(resolved);
    }
    // Interest is counted from before the worker looks until the request is parked (or answered), so a commit
    // racing the park is always noted: the token's last copy, wherever it ends, takes the count back.
    const bool mayPark = mayWait && request->longPollMs > 0 && !request->clientRevision.isEmpty();
    std::shared_ptr<void> interest;
    if (mayPark) {
        m_pollInterest->fetch_add(1);
        interest = std::shared_ptr<void>(nullptr, [counter = m_pollInterest](void *) { counter->fetch_sub(1); });
    }
    // The context is needed again if the request parks: keep a copy of what a second dispatch uses.
    auto again = std::make_shared<http::RouteContext>(http::RouteContext{ctx.request, ctx.reply, ctx.stream,
                                                                         ctx.cancel, ctx.params});
    http::StreamSink sink = ctx.stream;
    const QString name = *ns;
    QPointer<ServerRuntime> self(this);
    dispatch(std::move(ctx), name, [this, self, request = *request, mayPark, sink, again, name, interest](
                                       hrana::Engine &e, hrana::Job &&job) {
        db::SqliteWorker *worker = m_workers[static_cast<size_t>(workerFor(job.ns))].get();
        auto post = [worker](std::function<void()> work) { worker->postAlways(std::move(work)); };
        auto park = [self, again, name, request, interest](quint64 frame) {
            QMetaObject::invokeMethod(self, [self, again, name, request, frame, interest] {
                if (self)
                    self->parkPull(std::move(*again), name, frame, request.longPollMs);
            }, Qt::QueuedConnection);
        };
        sync::pull(e, std::move(job), request, mayPark, sink, post, park);
    });
}

void ServerRuntime::parkPull(http::RouteContext &&ctx, const QString &ns, quint64 seenFrame, quint32 timeoutMs)
{
    if (ctx.cancel && ctx.cancel->cancelled)
        return;
    // Committed while the worker was looking, or shutting down: answer now.
    if (m_stopping || m_lastFrames.value(ns, 0) > seenFrame)
        return pullUpdates(std::move(ctx), ns, false);
    auto waiter = std::make_shared<PollWaiter>();
    waiter->ctx = std::move(ctx);
    waiter->ns = ns;
    waiter->seenFrame = seenFrame;
    m_pollInterest->fetch_add(1);
    m_pollWaiters[ns].push_back(waiter);
    waiter->deadline.setSingleShot(true);
    connect(&waiter->deadline, &QTimer::timeout, this, [this, w = std::weak_ptr<PollWaiter>(waiter)] {
        if (auto waiter = w.lock())
            wakePoller(waiter);
    });
    waiter->deadline.start(std::min<int>(static_cast<int>(std::min<quint32>(timeoutMs, INT_MAX)), MAX_LONG_POLL_MS));
}

void ServerRuntime::noteCommit(const QString &ns, quint64 frame)
{
    quint64 &last = m_lastFrames[ns];
    last = std::max(last, frame);
    const auto waiters = m_pollWaiters.value(ns);
    for (const auto &w : waiters) {
        if (frame > w->seenFrame)
            wakePoller(w);
    }
}

void ServerRuntime::wakePoller(const std::shared_ptr<PollWaiter> &waiter)
{
    auto it = m_pollWaiters.find(waiter->ns);
    if (it == m_pollWaiters.end())
        return;
    auto &list = it.value();
    const auto found = std::find(list.begin(), list.end(), waiter);
    if (found == list.end())
        return; // already woken
    list.erase(found);
    if (list.empty())
        m_pollWaiters.erase(it);
    m_pollInterest->fetch_sub(1);
    waiter->deadline.stop();
    if (!(waiter->ctx.cancel && waiter->ctx.cancel->cancelled))
        pullUpdates(std::move(waiter->ctx), waiter->ns, false); // answers now: changes, or "nothing new"
}

void ServerRuntime::wakeAllPollers()
{
    const auto all = m_pollWaiters;
    for (const auto &list : all) {
        for (const auto &w : list)
            wakePoller(w);
    }
}

} // namespace qsqld::runtime
