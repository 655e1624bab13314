// The route tables of the user and admin listeners: the whole HTTP API on one screen each.
// Handlers are thin: cross-cutting work (namespace, queueing, CORS) happens in dispatch and the Router.

#include "serverruntime.h"

#include "db/sqliteworker.h"
#include "hrana/engine.h"
#include "http/router.h"
#include "dumpfetcher.h"
#include "auth/keyset.h"
#include "ns/metastore.h"
#include "ns/namespaceconfig.h"
#include "ns/namespacename.h"
#include "ns/namespaceregistry.h"
#include "util/jsonwriter.h"

#include "util/responsebudget.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QUrlQuery>

Q_DECLARE_LOGGING_CATEGORY(lcAdmin) // serverruntime.cpp

namespace qsqld::runtime {

using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype LEGACY_BODY_LIMIT = 2 * 1024 * 1024; // sqld's JSON extractor limit on POST /
const QByteArray HRANA_HELLO = "Hello, this is HTTP API v2 (Hrana over HTTP)";


// sqld validates a namespace's jwt_key when it is set: a bad key is a 500 naming the problem.
std::optional<http::Response> badJwtKey(const ns::NamespaceConfig &config)
{
    if (!config.jwtKey)
        return std::nullopt;
    auto keys = auth::KeySet::parse(config.jwtKey->toUtf8());
    if (auto *e = std::get_if<QString>(&keys))
        return http::Response::error(500, "Internal Error: `Could not decode Ed25519 public key: " + e->toUtf8() + "`");
    return std::nullopt;
}

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
    // Hrana 3 over protobuf: clients that probe GET /v3-protobuf switch to it when it answers 2xx.
    r.add("POST", "/v3-protobuf/pipeline", [this](RouteContext &&ctx) {
        dispatchUser(std::move(ctx), [](Engine &e, Job &&job) {
            e.pipeline(std::move(job), hrana::Version::V3, hrana::Encoding::Protobuf);
        });
    });
    r.add("POST", "/v3-protobuf/cursor", [this](RouteContext &&ctx) {
        dispatchUser(std::move(ctx), [](Engine &e, Job &&job) { e.cursor(std::move(job), hrana::Encoding::Protobuf); });
    });
    r.add("GET", "/v3-protobuf", [](RouteContext &&ctx) { ctx.reply(Response::text(200, HRANA_HELLO)); });
    // "turso dev" form: the namespace comes from the path.
    for (auto [path, version] : {std::pair{"/dev/:ns/v2/pipeline", hrana::Version::V2},
                                 std::pair{"/dev/:ns/v3/pipeline", hrana::Version::V3}}) {
        r.add("POST", path, [this, version = version](RouteContext &&ctx) { // clang < 16 cannot capture a binding
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
    r.add("GET", "/dump", [this](RouteContext &&ctx) {
        const bool preserve = QUrlQuery(QString::fromUtf8(ctx.request.query)).queryItemValue(u"preserve_row_ids"_s)
            == u"true";
        http::StreamSink sink = ctx.stream;
        dispatchUser(std::move(ctx), [this, preserve, sink](Engine &e, Job &&job) {
            db::SqliteWorker *worker = m_workers[static_cast<size_t>(workerFor(job.ns))].get();
            e.dump(std::move(job), preserve, sink, [worker](std::function<void()> work) {
                worker->postAlways(std::move(work));
            });
        });
    });
    r.add("GET", "/health", [](RouteContext &&ctx) { ctx.reply(Response::empty(200)); });
    r.add("GET", "/version", [](RouteContext &&ctx) {
        ctx.reply(Response{200, {}, "qsqld " QSQLD_VERSION " (sqld-compatible 0.24.33)", {}, false});
    });
}

void ServerRuntime::installAdminRoutes(http::Router &r)
{
    if (!m_config.adminAuthKey.isEmpty()) {
        // sqld: `Authorization: Basic <key>` with the key literally (not base64 of user:password); qsqld also
        // takes `Bearer <key>`. Anything else is 401 with an empty body.
        r.setGuard([key = m_config.adminAuthKey.toUtf8()](const http::Request &req) -> std::optional<Response> {
            const QList<QByteArray> parts = req.header("authorization").simplified().split(' ');
            const QByteArray scheme = parts.value(0).toLower();
            if (parts.size() == 2 && (scheme == "basic" || scheme == "bearer") && parts[1] == key)
                return std::nullopt;
            // sqld answers with an empty body; qsqld says what is missing (every admin error is JSON).
            return Response::error(401, "Unauthorized: the admin API needs 'Authorization: Bearer <key>' "
                                        "(or sqld's 'Basic <key>') with the --admin-auth-key");
        });
    }

    r.add("GET", "/", [](RouteContext &&ctx) { ctx.reply(Response::text(200, "Welcome to the sqld admin API")); });

    // The `:ns` of every namespace route is checked once here: a valid name, and (unless `mustExist` is false)
    // an existing, settled namespace. Otherwise the answer is sent and nullopt returned.
    auto namespaceParam = [this](RouteContext &ctx, bool mustExist) -> std::optional<QString> {
        const QByteArray name = ctx.params.value(0);
        if (QByteArray reason = ns::validateName(name); !reason.isEmpty()) {
            ctx.reply(ns::invalidNamespace(name, reason));
            return std::nullopt;
        }
        const QString ns = QString::fromLatin1(name);
        if (mustExist && (!m_registry->exists(ns) || m_registry->busy(ns))) {
            ctx.reply(Response::error(404, "Namespace `" + name + "` doesn't exist"));
            return std::nullopt;
        }
        return ns;
    };

    r.add("POST", "/v1/namespaces/:ns/create", [this, namespaceParam](RouteContext &&ctx) {
        const auto ns = namespaceParam(ctx, false);
        if (!ns)
            return;
        const QByteArray name = ns->toLatin1();
        // qsqld extension: a dump uploaded as the body (Content-Type application/sql or text/plain).
        const QByteArray type = ctx.request.header("content-type").toLower();
        const bool sqlBody = type.startsWith("application/sql") || type.startsWith("text/plain");
        ns::CreateOptions options;
        if (!sqlBody) {
            auto parsed = ns::parseCreateBody(ctx.request.body);
            if (auto *e = std::get_if<ns::ConfigError>(&parsed))
                return ctx.reply(Response::error(e->status, e->message)); // JSON, with sqld's status
            options = std::get<ns::CreateOptions>(std::move(parsed));
            if (auto bad = badJwtKey(options.config))
                return ctx.reply(std::move(*bad));
            if (options.config.sharedSchema || options.config.sharedSchemaName)
                return ctx.reply(Response::error(400, "Shared schema error: shared schemas are not supported by qsqld"));
        }
        if (m_registry->busy(*ns))
            return ctx.reply(Response::error(409, "Namespace `" + name + "` is being created or deleted"));
        if (*ns == u"default" && !sqlBody && !options.dumpUrl) {
            // sqld: creating default never fails; it overwrites default's config.
            QString error;
            if (!m_metastore->put(*ns, options.config, &error))
                return ctx.reply(Response::error(500, "Internal Error: `" + error.toUtf8() + "`"));
            m_registry->setConfig(*ns, options.config);
            refreshAttachable();
            qCInfo(lcAdmin) << "ns=default config replaced (create of default)";
            return ctx.reply(Response::empty(200));
        }
        if (m_registry->exists(*ns) && (*ns != u"default" || m_registry->names().contains(*ns)))
            return ctx.reply(Response::error(400, "Namespace `" + name + "` already exists"));
        if (sqlBody)
            return createNamespace(*ns, options.config, ctx.request.body, {}, false, ctx.reply);
        if (!options.dumpUrl)
            return createNamespace(*ns, options.config, {}, {}, false, ctx.reply);
        const QUrl url(QString::fromUtf8(*options.dumpUrl));
        if (url.scheme() == u"file") {
            // sqld's checks of a file:// dump, with its messages.
            const QString path = url.path();
            if (!QDir::isAbsolutePath(path))
                return ctx.reply(Response::error(400, "The passed dump file path is not absolute: " + path.toUtf8()));
            if (!QFileInfo::exists(path))
                return ctx.reply(Response::error(400, "The passed dump file path doesn't exist: " + path.toUtf8()));
            if (!QFileInfo(path).isFile())
                return ctx.reply(Response::error(400, "Path is not a file: " + path.toUtf8()));
            return createNamespace(*ns, options.config, {}, path, false, ctx.reply);
        }
        if (!m_fetcher)
            m_fetcher = new DumpFetcher(QDir(m_config.dbPath).absolutePath() + u"/.tmp"_s, this);
        m_registry->setBusy(*ns, true); // reserve the name while downloading
        m_fetcher->fetch(url, [this, ns = *ns, config = options.config, reply = ctx.reply](QString path,
                                                                                          QByteArray error) {
            m_registry->setBusy(ns, false);
            if (!error.isEmpty())
                return reply(Response::error(400, "Cannot load the dump: " + error));
            createNamespace(ns, config, {}, path, true, reply);
        });
    });

    r.add("DELETE", "/v1/namespaces/:ns", [this, namespaceParam](RouteContext &&ctx) {
        const auto ns = namespaceParam(ctx, true);
        if (!ns)
            return;
        if (*ns == u"default" && !m_registry->names().contains(*ns))
            return ctx.reply(Response::error(404, "Namespace `default` doesn't exist"));
        QString error;
        if (!m_metastore->remove(*ns, &error))
            return ctx.reply(Response::error(400, error.toUtf8()));
        // From now on new requests get 404; requests already queued on the worker finish first.
        m_registry->remove(*ns);
        refreshAttachable();
        m_registry->setBusy(*ns, true);
        onWorker(*ns, [ns = *ns](Engine &e) {
            const QByteArray error = e.dropNamespace(ns);
            return error.isEmpty() ? Response::empty(200) : Response::error(500, error);
        }, [this, ns = *ns, reply = ctx.reply](Response resp) {
            m_registry->setBusy(ns, false);
            if (resp.status == 200)
                qCInfo(lcAdmin).noquote() << QStringLiteral("ns=") + ns << "deleted";
            reply(std::move(resp));
        });
    });

    r.add("POST", "/v1/namespaces/:from/fork/:to", [this, namespaceParam](RouteContext &&ctx) {
        const auto from = namespaceParam(ctx, true);
        if (!from)
            return;
        const QByteArray toName = ctx.params.value(1);
        if (QByteArray reason = ns::validateName(toName); !reason.isEmpty())
            return ctx.reply(ns::invalidNamespace(toName, reason));
        const QString to = QString::fromLatin1(toName);
        if (m_registry->exists(to) && (to != u"default" || m_registry->names().contains(to)))
            return ctx.reply(Response::error(400, "Namespace `" + toName + "` already exists"));
        if (m_registry->busy(to))
            return ctx.reply(Response::error(409, "Namespace `" + toName + "` is being created or deleted"));
        // A point-in-time fork needs sqld's S3 backups (bottomless), which qsqld does not have.
        const QJsonObject body = QJsonDocument::fromJson(ctx.request.body).object();
        if (!body.value(QLatin1StringView("timestamp")).toString().isEmpty()
            && QDateTime::fromString(body.value(QLatin1StringView("timestamp")).toString(), Qt::ISODate).isValid())
            return ctx.reply(Response::error(500, "backup service not configured"));
        const ns::NamespaceConfig config = m_registry->config(*from); // the fork inherits all of it, as in sqld
        m_registry->setBusy(to, true);
        onWorker(*from, [from = *from, to](Engine &e) { return e.forkNamespace(from, to); },
                 [this, from = *from, to, config, reply = ctx.reply](Response resp) {
                     m_registry->setBusy(to, false);
                     if (resp.status == 200) {
                         QString error;
                         if (!m_metastore->put(to, config, &error)) {
                             onWorker(to, [to](Engine &e) {
                                 e.dropNamespace(to);
                                 return Response::empty(200);
                             }, [](Response) {});
                             return reply(Response::error(500, "Internal Error: `" + error.toUtf8() + "`"));
                         }
                         m_registry->add(to);
                         m_registry->setConfig(to, config);
                         refreshAttachable();
                         qCInfo(lcAdmin).noquote() << QStringLiteral("ns=") + to << "created as a fork of" << from;
                     }
                     reply(std::move(resp));
                 });
    });

    r.add("GET", "/v1/namespaces/:ns/config", [this, namespaceParam](RouteContext &&ctx) {
        const auto ns = namespaceParam(ctx, true);
        if (!ns)
            return;
        ctx.reply(Response::json(200, ns::toJson(m_registry->config(*ns))));
    });

    r.add("POST", "/v1/namespaces/:ns/config", [this, namespaceParam](RouteContext &&ctx) {
        const auto ns = namespaceParam(ctx, true);
        if (!ns)
            return;
        auto updated = ns::applyConfigPost(m_registry->config(*ns), ctx.request.body);
        if (auto *e = std::get_if<ns::ConfigError>(&updated))
            return ctx.reply(Response::error(e->status, e->message)); // JSON, with sqld's status
        const ns::NamespaceConfig config = std::get<ns::NamespaceConfig>(updated);
        if (auto bad = badJwtKey(config))
            return ctx.reply(std::move(*bad));
        QString error;
        if (!m_metastore->put(*ns, config, &error))
            return ctx.reply(Response::error(500, "Internal Error: `" + error.toUtf8() + "`"));
        m_registry->setConfig(*ns, config); // requests from now on carry it
        refreshAttachable();
        qCInfo(lcAdmin).noquote() << QStringLiteral("ns=") + *ns << "config changed:"
                                  << QJsonDocument::fromJson(ctx.request.body).object().keys().join(u", "_s);
        ctx.reply(Response::empty(200));
    });

    r.add("GET", "/v1/namespaces/:ns/stats", [this, namespaceParam](RouteContext &&ctx) {
        const auto ns = namespaceParam(ctx, true);
        if (!ns)
            return;
        onWorker(*ns, [ns = *ns](Engine &e) {
            QByteArray error;
            const QByteArray json = e.statsJson(ns, &error);
            return error.isEmpty() ? Response::json(200, json) : Response::error(500, error);
        }, ctx.reply);
    });

    r.add("DELETE", "/v1/namespaces/:ns/stats/:kind", [this, namespaceParam](RouteContext &&ctx) {
        const auto ns = namespaceParam(ctx, true);
        if (!ns)
            return;
        const QByteArray kind = ctx.params.value(1);
        if (kind != "top" && kind != "slowest")
            return ctx.reply(Response::error(500, "Internal Error: `Invalid stats type`")); // sqld's answer
        onWorker(*ns, [ns = *ns, kind](Engine &e) {
            e.resetStats(ns, kind);
            return Response::empty(200);
        }, ctx.reply);
    });

    r.add("POST", "/v1/namespaces/:ns/checkpoint", [this, namespaceParam](RouteContext &&ctx) {
        const auto ns = namespaceParam(ctx, true);
        if (!ns)
            return;
        onWorker(*ns, [ns = *ns](Engine &e) {
            const QByteArray error = e.checkpoint(ns);
            return error.isEmpty() ? Response::empty(200) : Response::error(500, "Internal Error: `" + error + "`");
        }, ctx.reply);
    });

    // qsqld extension (sqld lacks it): namespaces with size and usage, in name order, paged with
    // ?limit=N (default 1000, at most 10000) and ?after=<last name of the previous page>.
    r.add("GET", "/v1/namespaces", [this](RouteContext &&ctx) {
        const QUrlQuery query(QString::fromUtf8(ctx.request.query));
        bool ok = true;
        int limit = 1000;
        if (query.hasQueryItem(u"limit"_s)) {
            limit = query.queryItemValue(u"limit"_s).toInt(&ok);
            if (!ok || limit < 1 || limit > 10000)
                return ctx.reply(Response::error(400, "`limit` must be a number from 1 to 10000"));
        }
        const QString after = query.queryItemValue(u"after"_s, QUrl::FullyDecoded);
        const QStringList names = m_registry->names();
        auto it = after.isEmpty() ? names.cbegin() : std::upper_bound(names.cbegin(), names.cend(), after);
        util::JsonWriter w(4096);
        w.beginObject();
        w.key("namespaces");
        w.beginArray();
        QString last;
        int count = 0;
        for (; it != names.cend() && count < limit; ++it) {
            if (m_registry->busy(*it))
                continue;
            const auto usage = m_registry->usage(*it);
            w.beginObject();
            w.key("name");
            w.string(it->toUtf8());
            w.key("size_bytes");
            w.integer(usage.sizeBytes);
            w.key("rows_read");
            w.unsignedInteger(usage.activity.rowsRead);
            w.key("rows_written");
            w.unsignedInteger(usage.activity.rowsWritten);
            w.key("query_count");
            w.unsignedInteger(usage.activity.queryCount);
            w.key("last_activity");
            if (usage.activity.lastActivityMs > 0)
                w.string(QDateTime::fromMSecsSinceEpoch(usage.activity.lastActivityMs, Qt::UTC)
                             .toString(Qt::ISODateWithMs)
                             .toUtf8());
            else
                w.null();
            w.endObject();
            last = *it;
            ++count;
        }
        w.endArray();
        w.key("next");
        if (it != names.cend() && !last.isEmpty())
            w.string(last.toUtf8());
        else
            w.null();
        w.endObject();
        ctx.reply(Response::json(200, w.take()));
    });

    // Prometheus text exposition; per-namespace series named as sqld's (libsql_server_*).
    r.add("GET", "/metrics", [this](RouteContext &&ctx) {
        if (m_config.disableMetrics)
            return ctx.reply(Response{200, "text/plain; version=0.0.4", {}, {}, false});
        QByteArray out;
        auto family = [&out](const char *name, const char *type, const char *help) {
            out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
        };
        const QStringList names = m_registry->names();
        struct Series
        {
            const char *name;
            const char *type;
            const char *help;
            std::function<qint64(const ns::NamespaceRegistry::Usage &)> value;
        };
        const Series series[] = {
            {"libsql_server_rows_read", "counter", "Rows read by statements (sqld's billing rule).",
             [](const auto &u) { return static_cast<qint64>(u.activity.rowsRead); }},
            {"libsql_server_rows_written", "counter", "Rows written by statements.",
             [](const auto &u) { return static_cast<qint64>(u.activity.rowsWritten); }},
            {"libsql_server_query_count", "counter", "Statements executed.",
             [](const auto &u) { return static_cast<qint64>(u.activity.queryCount); }},
            {"libsql_server_storage", "gauge", "Bytes on disk (database and WAL).",
             [](const auto &u) { return u.sizeBytes; }},
            {"libsql_server_embedded_replica_frames_replicated", "counter", "Frames sent to embedded replicas.",
             [](const auto &u) { return static_cast<qint64>(u.activity.framesReplicated); }},
            {"libsql_server_write_requests_delegated", "counter", "Writes run for embedded replicas.",
             [](const auto &u) { return static_cast<qint64>(u.activity.writesDelegated); }},
            {"qsqld_replication_requests", "counter", "Embedded-replica sync and write requests.",
             [](const auto &u) { return static_cast<qint64>(u.activity.replicationRequests); }},
        };
        std::vector<ns::NamespaceRegistry::Usage> usages;
        usages.reserve(names.size());
        for (const QString &n : names)
            usages.push_back(m_registry->usage(n));
        for (const Series &s : series) {
            family(s.name, s.type, s.help);
            for (const auto &u : usages)
                out += QByteArray(s.name) + "{namespace=\"" + u.name.toUtf8() + "\"} " + QByteArray::number(s.value(u))
                    + '\n';
        }
        family("libsql_server_namespaces", "gauge", "Namespaces on disk.");
        out += "libsql_server_namespaces " + QByteArray::number(names.size()) + '\n';
        family("qsqld_response_bytes_in_flight", "gauge", "Response bytes built but not yet written.");
        out += "qsqld_response_bytes_in_flight " + QByteArray::number(m_budget->used()) + '\n';
        family("qsqld_worker_queue_length", "gauge", "Jobs queued or running per SQLite worker thread.");
        for (size_t i = 0; i < m_workers.size(); ++i)
            out += "qsqld_worker_queue_length{worker=\"" + QByteArray::number(static_cast<qint64>(i)) + "\"} "
                + QByteArray::number(m_workers[i]->queued()) + '\n';
        ctx.reply(Response{200, "text/plain; version=0.0.4", std::move(out), {}, false});
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
