#include "builtinserver.h"

#include "runtime/serverruntime.h"

#include <QEventLoop>
#include <QTimer>

#include <memory>

namespace qsqld::ui {

// Owns the ServerRuntime on the server thread.
class ServerHost : public QObject
{
    Q_OBJECT
public:
    void start(const runtime::ServerConfig &config)
    {
        m_runtime = std::make_unique<runtime::ServerRuntime>(config);
        QString error;
        if (!m_runtime->start(&error)) {
            m_runtime.reset();
            emit failed(error);
            return;
        }
        connect(m_runtime.get(), &runtime::ServerRuntime::stopped, this, [this] {
            m_runtime.reset();
            emit stopped();
        }, Qt::QueuedConnection);
        emit started(m_runtime->httpPort(), m_runtime->adminPort());
    }
    void stop()
    {
        if (m_runtime)
            m_runtime->stop();
        else
            emit stopped();
    }

signals:
    void started(quint16 userPort, quint16 adminPort);
    void failed(const QString &error);
    void stopped();

private:
    std::unique_ptr<runtime::ServerRuntime> m_runtime;
};

BuiltinServer::BuiltinServer(QObject *parent) : QObject(parent), m_host(new ServerHost)
{
    m_thread.setObjectName(QStringLiteral("qsqld-builtin-server"));
    m_host->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_host, &QObject::deleteLater);
    connect(m_host, &ServerHost::started, this, [this](quint16 user, quint16 admin) {
        m_running = true;
        emit started(user, admin);
    });
    connect(m_host, &ServerHost::failed, this, [this](const QString &error) {
        m_running = false;
        emit failed(error);
    });
    connect(m_host, &ServerHost::stopped, this, [this] {
        m_running = false;
        m_stopping = false;
        emit stopped();
    });
    m_thread.start();
}

BuiltinServer::~BuiltinServer()
{
    if (m_running) {
        // Stop on the server thread and let its event loop finish the graceful shutdown.
        QEventLoop loop;
        connect(m_host, &ServerHost::stopped, &loop, &QEventLoop::quit);
        stop();
        QTimer::singleShot(60'000, &loop, &QEventLoop::quit);
        loop.exec();
    }
    m_thread.quit();
    m_thread.wait();
}

void BuiltinServer::start(const runtime::ServerConfig &config)
{
    if (m_running)
        return;
    QMetaObject::invokeMethod(m_host, [host = m_host, config] { host->start(config); }, Qt::QueuedConnection);
}

void BuiltinServer::stop()
{
    if (!m_running || m_stopping)
        return;
    m_stopping = true;
    QMetaObject::invokeMethod(m_host, [host = m_host] { host->stop(); }, Qt::QueuedConnection);
}

} // namespace qsqld::ui

#include "builtinserver.moc"
