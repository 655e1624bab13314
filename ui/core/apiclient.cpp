#include "apiclient.h"

#include "auth/tokens.h"

#include <QJsonDocument>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QUrlQuery>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 TOKEN_LIFETIME_S = 600; // tokens the console mints for itself
constexpr int TIMEOUT_MS = 30'000;

TenantInfo tenantFromJson(const QJsonObject &o)
{
    TenantInfo t;
    t.name = o.value("name"_L1).toString();
    t.sizeBytes = o.value("size_bytes"_L1).toInteger(-1);
    t.rowsRead = o.value("rows_read"_L1).toInteger();
    t.rowsWritten = o.value("rows_written"_L1).toInteger();
    t.queryCount = o.value("query_count"_L1).toInteger();
    t.lastActivity = QDateTime::fromString(o.value("last_activity"_L1).toString(), Qt::ISODateWithMs);
    return t;
}

} // namespace

QString describeFailure(int status, const QString &serverMessage, const QString &networkError, bool admin)
{
    const QString api = admin ? u"the admin API"_s : u"the server"_s;
    const QString detail = serverMessage.isEmpty() ? QString() : u" (%1)"_s.arg(serverMessage);
    switch (status) {
    case 0:
        return u"Cannot reach %1: %2"_s.arg(api, networkError);
    case 400:
        return u"%1 refused the request as malformed%2"_s.arg(api, detail);
    case 401:
        return admin ? u"The admin key was refused (401)%1"_s.arg(detail)
                     : u"The token was refused (401)%1"_s.arg(detail);
    case 403:
        return u"The token may not do this (403)%1"_s.arg(detail);
    case 404:
        return u"Not found on %1 (404)%2"_s.arg(api, detail);
    default:
        return u"%1 answered %2%3"_s.arg(api).arg(status).arg(detail);
    }
}

ApiClient::ApiClient(Profile profile, QObject *parent) : QObject(parent), m_profile(std::move(profile))
{
    m_net.setTransferTimeout(TIMEOUT_MS);
}

QByteArray ApiClient::authorizationFor(const QString &ns) const
{
    if (!m_profile.signingKeyPem.isEmpty()) {
        auth::TokenRequest req;
        if (!ns.isEmpty())
            req.ns = ns;
        req.expiresInSeconds = TOKEN_LIFETIME_S;
        auto token = auth::mintToken(m_profile.signingKeyPem, req);
        if (auto *t = std::get_if<QByteArray>(&token))
            return "Bearer " + *t;
    }
    if (!m_profile.fixedToken.isEmpty())
        return "Bearer " + m_profile.fixedToken;
    return {};
}

QByteArray ApiClient::adminAuthorization() const
{
    return m_profile.adminKey.isEmpty() ? QByteArray() : "Bearer " + m_profile.adminKey;
}

QUrl ApiClient::adminUrl(const QString &path) const
{
    QUrl url = m_profile.adminUrl;
    QString base = url.path();
    while (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path);
    return url;
}

void ApiClient::call(const QByteArray &verb, const QUrl &url, const QByteArray &authorization,
                     const QByteArray &routingNs, const QByteArray &body, std::function<void(ApiResult)> done)
{
    const bool admin = !m_profile.adminUrl.isEmpty() && url.host() == m_profile.adminUrl.host()
        && url.port() == m_profile.adminUrl.port();
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!authorization.isEmpty())
        req.setRawHeader("Authorization", authorization);
    if (!routingNs.isEmpty())
        req.setRawHeader("x-namespace", routingNs);
    QNetworkReply *reply = m_net.sendCustomRequest(req, verb, body);
    connect(reply, &QNetworkReply::finished, this, [reply, admin, done = std::move(done)] {
        reply->deleteLater();
        ApiResult r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray data = reply->readAll();
        const QJsonDocument doc = QJsonDocument::fromJson(data);
        r.body = doc.object();
        r.ok = reply->error() == QNetworkReply::NoError && r.status >= 200 && r.status < 300;
        if (!r.ok) {
            QString message = r.body.value("error"_L1).toString();
            if (message.isEmpty() && r.body.value("error"_L1).isObject())
                message = r.body.value("error"_L1).toObject().value("message"_L1).toString();
            if (message.isEmpty())
                message = QString::fromUtf8(data.left(300)).trimmed();
            const QString networkError = reply->error() == QNetworkReply::OperationCanceledError
                ? u"cancelled"_s
                : reply->errorString();
            r.error = describeFailure(r.status, message, networkError, admin);
        }
        done(std::move(r));
    });
}

void ApiClient::listTenants(std::function<void(bool, QList<TenantInfo>, QString)> done)
{
    if (m_profile.adminUrl.isEmpty())
        return done(false, {}, QString());
    auto all = std::make_shared<QList<TenantInfo>>();
    // Pages of 1,000 (qsqld's GET /v1/namespaces); plain sqld answers 404: no list, not an error.
    auto next = std::make_shared<std::function<void(QString)>>();
    QPointer<ApiClient> self(this);
    // The recursion holds itself weakly; each call in flight holds it strongly until it answers.
    *next = [self, all, weak = std::weak_ptr(next), done](const QString &after) {
        auto next = weak.lock();
        if (!self || !next)
            return;
        QUrl url = self->adminUrl(u"/v1/namespaces"_s);
        QUrlQuery q;
        q.addQueryItem(u"limit"_s, u"1000"_s);
        if (!after.isEmpty())
            q.addQueryItem(u"after"_s, after);
        url.setQuery(q);
        self->call("GET", url, self->adminAuthorization(), {}, {}, [self, all, next, done](ApiResult r) {
                       if (r.status == 404 || r.status == 405)
                           return done(false, {}, QString());
                       if (!r.ok)
                           return done(true, {}, r.error);
                       for (const QJsonValue &v : r.body.value("namespaces"_L1).toArray())
                           all->append(tenantFromJson(v.toObject()));
                       const QString cursor = r.body.value("next"_L1).toString();
                       if (cursor.isEmpty())
                           return done(true, *all, QString());
                       (*next)(cursor);
                   });
    };
    (*next)(QString());
}

void ApiClient::createTenant(const QString &ns, std::function<void(ApiResult)> done)
{
    call("POST", adminUrl(u"/v1/namespaces/%1/create"_s.arg(ns)), adminAuthorization(), {}, "{}",
         std::move(done));
}

void ApiClient::deleteTenant(const QString &ns, std::function<void(ApiResult)> done)
{
    call("DELETE", adminUrl(u"/v1/namespaces/%1"_s.arg(ns)), adminAuthorization(), {}, {},
         std::move(done));
}

void ApiClient::forkTenant(const QString &from, const QString &to, std::function<void(ApiResult)> done)
{
    call("POST", adminUrl(u"/v1/namespaces/%1/fork/%2"_s.arg(from, to)), adminAuthorization(), {}, "{}",
         std::move(done));
}

void ApiClient::tenantConfig(const QString &ns, std::function<void(ApiResult)> done)
{
    call("GET", adminUrl(u"/v1/namespaces/%1/config"_s.arg(ns)), adminAuthorization(), {}, {},
         std::move(done));
}

void ApiClient::setTenantConfig(const QString &ns, const QJsonObject &config, std::function<void(ApiResult)> done)
{
    call("POST", adminUrl(u"/v1/namespaces/%1/config"_s.arg(ns)), adminAuthorization(), {},
         QJsonDocument(config).toJson(QJsonDocument::Compact), std::move(done));
}

void ApiClient::tenantStats(const QString &ns, std::function<void(ApiResult)> done)
{
    call("GET", adminUrl(u"/v1/namespaces/%1/stats"_s.arg(ns)), adminAuthorization(), {}, {},
         std::move(done));
}

void ApiClient::pipeline(const QString &ns, const QJsonArray &requests, const QString &baton,
                         std::function<void(ApiResult)> done)
{
    QJsonObject body{{u"baton"_s, baton.isEmpty() ? QJsonValue() : QJsonValue(baton)}, {u"requests"_s, requests}};
    const bool header = m_profile.routing == Profile::Routing::Header && !ns.isEmpty();
    call("POST", m_profile.tenantUrl(ns, u"/v2/pipeline"_s), authorizationFor(ns), header ? ns.toUtf8() : QByteArray(),
         QJsonDocument(body).toJson(QJsonDocument::Compact), std::move(done));
}

void ApiClient::testConnection(const QString &ns, std::function<void(bool, QString)> done)
{
    QPointer<ApiClient> self(this);
    // 1. The user API answers at all; 2. a statement runs with the token; 3. the admin API takes the key.
    call("GET", m_profile.tenantUrl(ns, u"/health"_s), {}, {}, {}, [self, ns, done](ApiResult health) {
        if (!self)
            return;
        if (health.status == 0)
            return done(false, u"Cannot reach the user API at %1: %2"_s.arg(self->m_profile.userUrl.toString(),
                                                                             health.error));
        const QJsonArray requests{QJsonObject{{u"type"_s, u"execute"_s},
                                              {u"stmt"_s, QJsonObject{{u"sql"_s, u"SELECT 1"_s}}}},
                                  QJsonObject{{u"type"_s, u"close"_s}}};
        self->pipeline(ns, requests, {}, [self, done](ApiResult sql) {
            if (!self)
                return;
            if (!sql.ok)
                return done(false, sql.status == 401 ? u"The user API refused the token: "_s + sql.error
                                                     : u"The user API failed: "_s + sql.error);
            if (self->m_profile.adminUrl.isEmpty())
                return done(true, u"The user API works; no admin URL is set, so tenants cannot be managed."_s);
            self->listTenants([done](bool supported, QList<TenantInfo> tenants, QString error) {
                if (!error.isEmpty())
                    return done(false, u"The user API works, but "_s + error);
                if (!supported)
                    return done(true, u"Connected. The admin API has no tenant list (plain sqld): keep your "
                                      "tenants in the list by hand."_s);
                done(true, u"Connected: %1 tenant(s)."_s.arg(tenants.size()));
            });
        });
    });
}

void ApiClient::cancelAll()
{
    for (QNetworkReply *reply : m_net.findChildren<QNetworkReply *>())
        reply->abort();
}

} // namespace qsqld::ui
