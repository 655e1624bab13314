#pragma once

// The console's only way to a deployment: admin API calls and Hrana pipelines over HTTP, for one Profile.
// Every call is asynchronous (QNetworkAccessManager); the callback runs later on the GUI thread, never inside
// the call, and not at all once the ApiClient is gone. Errors come back as sentences a person can act on.
// Thread rule: GUI thread only.

#include "profile.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>

#include <functional>
#include <optional>

namespace qsqld::ui {

struct TenantInfo
{
    QString name;
    qint64 sizeBytes = -1; // -1: unknown (plain sqld has no list endpoint)
    qint64 rowsRead = 0;
    qint64 rowsWritten = 0;
    qint64 queryCount = 0;
    QDateTime lastActivity; // invalid: never, or unknown
};

// One answer: ok with a JSON body, or an error message; `status` is the HTTP status (0: no answer at all).
struct ApiResult
{
    bool ok = false;
    int status = 0;
    QJsonObject body;
    QString error;
};

class ApiClient : public QObject
{
    Q_OBJECT
public:
    explicit ApiClient(Profile profile, QObject *parent = nullptr);

    const Profile &profile() const { return m_profile; }

    // Admin API. listTenants answers `supported = false` (no error) against a server without GET /v1/namespaces.
    void listTenants(std::function<void(bool supported, QList<TenantInfo> tenants, QString error)> done);
    void createTenant(const QString &ns, std::function<void(ApiResult)> done);
    void deleteTenant(const QString &ns, std::function<void(ApiResult)> done);
    void forkTenant(const QString &from, const QString &to, std::function<void(ApiResult)> done);
    void tenantConfig(const QString &ns, std::function<void(ApiResult)> done);
    void setTenantConfig(const QString &ns, const QJsonObject &config, std::function<void(ApiResult)> done);
    void tenantStats(const QString &ns, std::function<void(ApiResult)> done);

    // Hrana over HTTP: POST /v2/pipeline for tenant `ns` with `requests`, continuing `baton` if not empty.
    // The result's body is the pipeline answer ({"baton", "results": [...]}).
    void pipeline(const QString &ns, const QJsonArray &requests, const QString &baton,
                  std::function<void(ApiResult)> done);

    // Checks the user API, a token, and the admin API one after another; the message says what failed, in words.
    void testConnection(const QString &ns, std::function<void(bool ok, QString message)> done);

    // Aborts every call in flight (their callbacks then report "cancelled").
    void cancelAll();

    // The Authorization header value for tenant `ns`: a fresh short-lived token when a signing key is set.
    QByteArray authorizationFor(const QString &ns) const;

private:
    void call(const QByteArray &verb, const QUrl &url, const QByteArray &authorization, const QByteArray &routingNs,
              const QByteArray &body, std::function<void(ApiResult)> done);
    QUrl adminUrl(const QString &path) const;
    QByteArray adminAuthorization() const;

    Profile m_profile;
    QNetworkAccessManager m_net;
};

// Sentence for a failed call, e.g. "the admin key was refused (401)"; exposed for tests.
QString describeFailure(int status, const QString &serverMessage, const QString &networkError, bool admin);

} // namespace qsqld::ui
