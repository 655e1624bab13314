// The route tables of the user and admin listeners: the whole HTTP API on one screen each.
// Handlers are thin: cross-cutting work (namespace, queueing, CORS) happens in dispatch and the Router.

#include "serverruntime.h"

#include "db/sqliteworker.h"
#include "hrana/engine.h"
#include "http/router.h"
#include "ns/namespacename.h"
#include "ns/namespaceregistry.h"
#include "util/jsonwriter.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace qsqld::runtime {

namespace {

constexpr qsizetype LEGACY_BODY_LIMIT = 2 * 1024 * 1024; // sqld's JSON extractor limit on POST /
const QByteArray HRANA_HELLO = "Hello, this is HTTP API v2 (Hrana over HTTP)";

// Create-time fields sqld knows that qsqld does not implement yet: refused, never silently ignored.
const char *const UNSUPPORTED_CREATE_FIELDS[] = {"dump_url", "max_db_size", "heartbeat_url", "bottomless_db_id",
                                                 "jwt_key", "txn_timeout_s", "max_row_size", "shared_schema",
                                                 "shared_schema_name", "allow_attach", "durability_mode"};

} // namespace

using http::Response;
using http::RouteContext;
using Job = hrana::Job;
using Engine = hrana::Engine;

void ServerRuntime::installUserRoutes(http::Router &r)
{
    auto pipeline = [this](hrana::Version v) {
        return [this, v](RouteContext &&ctx) {
            dispatchUser(std::move(ctx), [v](Engine &e, Job &&job) { e.pipeline(std::move(job), v); });
        };
    };
    r.add("POST", "/v2/pipeline", pipeline(hrana::Version::V2));
    r.add("POST", "/v3/pipeline", pipeline(hrana::Version::V3));
    r.add("POST", "/v3/cursor", [this](RouteContext &&ctx) {
        dispatchUser(std::move(ctx), [](Engine &e, Job &&job) { e.cursor(std::move(job)); });
    });
    // "turso dev" form: the namespace comes from the path.
    for (auto [path, version] : {std::pair{"/dev/:ns/v2/pipeline", hrana::Version::V2},
                                 std::pair{"/dev/:ns/v3/pipeline", hrana::Version::V3}}) {
        r.add("POST", path, [this, version](RouteContext &&ctx) {
            const QByteArray name = ctx.params.value(0);
            if (QByteArray reason = ns::validateName(name); !reason.isEmpty())
                return ctx.reply(ns::invalidNamespace(name, reason));
            const QString ns = m_config.enableNamespaces ? QString::fromLatin1(name) : QStringLiteral("default");
            dispatch(std::move(ctx), ns, [version](Engine &e, Job &&job) { e.pipeline(std::move(job), version); });
        });
    }
    r.add("POST", "/v1/execute", [this](RouteContext &&ctx) {
        dispatchUser(std::move(ctx), [](Engine &e, Job &&job) { e.v1Execute(std::move(job)); });
    });
    r.add("POST", "/v1/batch", [this](RouteContext &&ctx) {
        dispatchUser(std::move(ctx), [](Engine &e, Job &&job) { e.v1Batch(std::move(job)); });
    });
    r.add("POST", "/", [this](RouteContext &&ctx) {
        if (ctx.request.body.size() > LEGACY_BODY_LIMIT)
            return ctx.reply(Response::text(413, "Failed to buffer the request body: length limit exceeded"));
        dispatchUser(std::move(ctx), [](Engine &e, Job &&job) { e.legacyQuery(std::move(job)); });
    });
    // A plain GET / is 404 as in sqld (the WebSocket upgrade on this path arrives with Hrana over WebSocket).
    r.add("GET", "/", [](RouteContext &&ctx) { ctx.reply(Response::empty(404)); });
    r.add("GET", "/v1", [](RouteContext &&ctx) { ctx.reply(Response::text(200, "This is sqld HTTP API v1")); });
    r.add("GET", "/v2", [](RouteContext &&ctx) { ctx.reply(Response::text(200, HRANA_HELLO)); });
    r.add("GET", "/v3", [](RouteContext &&ctx) { ctx.reply(Response::text(200, HRANA_HELLO)); });
    r.add("GET", "/health", [](RouteContext &&ctx) { ctx.reply(Response::empty(200)); });
    r.add("GET", "/version", [](RouteContext &&ctx) {
        ctx.reply(Response{200, {}, "qsqld " QSQLD_VERSION " (sqld-compatible 0.24.33)", {}, false});
    });
}

void ServerRuntime::installAdminRoutes(http::Router &r)
{
    r.add("GET", "/", [](RouteContext &&ctx) { ctx.reply(Response::text(200, "Welcome to the sqld admin API")); });

    r.add("POST", "/v1/namespaces/:ns/create", [this](RouteContext &&ctx) {
        const QByteArray name = ctx.params.value(0);
        if (QByteArray reason = ns::validateName(name); !reason.isEmpty())
            return ctx.reply(ns::invalidNamespace(name, reason));
        if (!ctx.request.body.trimmed().isEmpty()) {
            QJsonParseError pe;
            const QJsonDocument doc = QJsonDocument::fromJson(ctx.request.body, &pe);
            if (pe.error != QJsonParseError::NoError || !doc.isObject())
                return ctx.reply(Response::text(400, "Failed to parse the request body as JSON: expected an object"));
            for (const char *field : UNSUPPORTED_CREATE_FIELDS) {
                const QJsonValue v = doc.object().value(QLatin1StringView(field));
                if (!v.isUndefined() && !v.isNull())
                    return ctx.reply(Response::error(400, "Field `" + QByteArray(field)
                                                              + "` is not supported by this qsqld version yet"));
            }
        }
        const QString ns = QString::fromLatin1(name);
        if (m_registry->busy(ns))
            return ctx.reply(Response::error(409, "Namespace `" + name + "` is being created or deleted"));
        if (ns == u"default" || m_registry->exists(ns)) {
            if (ns == u"default")
                return ctx.reply(Response::empty(200)); // sqld: creating default never fails
            return ctx.reply(Response::error(400, "Namespace `" + name + "` already exists"));
        }
        m_registry->setBusy(ns, true);
        const int w = workerFor(ns);
        Engine *engine = m_engines[w].get();
        m_workers[w]->postAlways([this, engine, ns, reply = ctx.reply] {
            const QByteArray error = engine->createNamespace(ns);
            QMetaObject::invokeMethod(this, [this, ns, error, reply] {
                m_registry->setBusy(ns, false);
                if (error.isEmpty())
                    m_registry->add(ns);
                reply(error.isEmpty() ? Response::empty(200)
                                      : Response::error(error.contains("already exists") ? 400 : 500, error));
            }, Qt::QueuedConnection);
        });
    });

    r.add("DELETE", "/v1/namespaces/:ns", [this](RouteContext &&ctx) {
        const QByteArray name = ctx.params.value(0);
        if (QByteArray reason = ns::validateName(name); !reason.isEmpty())
            return ctx.reply(ns::invalidNamespace(name, reason));
        const QString ns = QString::fromLatin1(name);
        const bool hasDefaultFile = ns == u"default" && m_registry->names().contains(ns);
        if ((!m_registry->exists(ns) || (ns == u"default" && !hasDefaultFile)) || m_registry->busy(ns))
            return ctx.reply(Response::error(404, "Namespace `" + name + "` doesn't exist"));
        // From now on new requests get 404; requests already queued on the worker finish first.
        m_registry->remove(ns);
        m_registry->setBusy(ns, true);
        const int w = workerFor(ns);
        Engine *engine = m_engines[w].get();
        m_workers[w]->postAlways([this, engine, ns, reply = ctx.reply] {
            const QByteArray error = engine->dropNamespace(ns);
            QMetaObject::invokeMethod(this, [this, ns, error, reply] {
                m_registry->setBusy(ns, false);
                reply(error.isEmpty() ? Response::empty(200) : Response::error(500, error));
            }, Qt::QueuedConnection);
        });
    });

    // qsqld extension (sqld lacks it): every namespace with its size on disk.
    r.add("GET", "/v1/namespaces", [this](RouteContext &&ctx) {
        util::JsonWriter w(4096);
        w.beginObject();
        w.key("namespaces");
        w.beginArray();
        for (const QString &name : m_registry->names()) {
            if (m_registry->busy(name))
                continue;
            const auto usage = m_registry->usage(name);
            w.beginObject();
            w.key("name");
            w.string(name.toUtf8());
            w.key("size_bytes");
            w.integer(usage.sizeBytes);
            w.endObject();
        }
        w.endArray();
        w.endObject();
        ctx.reply(Response::json(200, w.take()));
    });

    r.add("GET", "/v1/diagnostics", [this](RouteContext &&ctx) {
        // Gathered from each engine on its own thread, then answered from the I/O thread.
        auto states = std::make_shared<QList<QByteArray>>();
        auto remaining = std::make_shared<int>(static_cast<int>(m_workers.size()));
        for (size_t i = 0; i < m_workers.size(); ++i) {
            Engine *engine = m_engines[i].get();
            m_workers[i]->postAlways([this, engine, states, remaining, reply = ctx.reply] {
                QList<QByteArray> mine = engine->streamStates();
                QMetaObject::invokeMethod(this, [states, remaining, reply, mine] {
                    states->append(mine);
                    if (--*remaining > 0)
                        return;
                    util::JsonWriter w;
                    w.beginArray();
                    for (const QByteArray &s : *states)
                        w.string(s);
                    w.endArray();
                    reply(Response::json(200, w.take()));
                }, Qt::QueuedConnection);
            });
        }
    });
}

} // namespace qsqld::runtime
