// --heartbeat-url / --heartbeat-auth / --heartbeat-period-s (spec 13.2): every period, each namespace used since its
// last beat POSTs its stats JSON to <url>/<namespace>, where url is the flag's or else the namespace's own
// heartbeat_url. Idle namespaces send nothing (a deployment with 10,000 tenants does not send 10,000 requests every
// 30 s for nothing). Failures are logged, never retried within a period.

#include "serverruntime.h"

#include "db/sqliteworker.h"
#include "hrana/engine.h"
#include "ns/namespaceregistry.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>

Q_LOGGING_CATEGORY(lcHeartbeat, "qsqld.heartbeat", QtInfoMsg)

namespace qsqld::runtime {

using namespace Qt::StringLiterals;

void ServerRuntime::startHeartbeat()
{
    m_heartbeatNet = new QNetworkAccessManager(this);
    m_heartbeatNet->setTransferTimeout(10'000);
    m_startedMs = QDateTime::currentMSecsSinceEpoch(); // counters from before this run were reported already
    connect(&m_heartbeat, &QTimer::timeout, this, &ServerRuntime::beat);
    m_heartbeat.start(m_config.heartbeatPeriodS * 1000);
}

void ServerRuntime::beat()
{
    for (const QString &ns : m_registry->names()) {
        QString url = m_config.heartbeatUrl;
        if (url.isEmpty())
            url = m_registry->config(ns).heartbeatUrl.value_or(QString());
        // Only namespaces used since their last beat (activity reaches the registry about once a second).
        const qint64 active = m_registry->usage(ns).activity.lastActivityMs;
        if (url.isEmpty() || active <= m_beatActivity.value(ns, m_startedMs))
            continue;
        m_beatActivity.insert(ns, active);
        while (url.endsWith(u'/'))
            url.chop(1);
        const QUrl target(url + u'/' + ns);
        onWorker(ns, [ns](hrana::Engine &e) {
            QByteArray error;
            const QByteArray json = e.statsJson(ns, &error);
            return json.isEmpty() ? http::Response::error(500, error) : http::Response::json(200, json);
        }, [this, target, ns](http::Response stats) {
            if (stats.status != 200 || !m_heartbeatNet)
                return;
            QNetworkRequest req(target);
            req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
            if (!m_config.heartbeatAuth.isEmpty())
                req.setRawHeader("Authorization", m_config.heartbeatAuth.toUtf8());
            QNetworkReply *reply = m_heartbeatNet->post(req, stats.body);
            connect(reply, &QNetworkReply::finished, reply, [reply, target, ns] {
                reply->deleteLater();
                const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                if (reply->error() != QNetworkReply::NoError && status == 0)
                    qCWarning(lcHeartbeat).noquote() << QStringLiteral("ns=") + ns << "heartbeat to" << target.toString() << "failed:"
                                                     << reply->errorString();
                else if (status >= 300)
                    qCWarning(lcHeartbeat).noquote() << QStringLiteral("ns=") + ns << "heartbeat to" << target.toString() << "answered"
                                                     << status;
            });
        });
    }
}

} // namespace qsqld::runtime
