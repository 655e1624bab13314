#include "sqliteworker.h"

using namespace Qt::StringLiterals;

namespace qsqld::db {

SqliteWorker::SqliteWorker(int index) : m_index(index), m_thread(std::make_unique<QThread>())
{
    m_thread->setObjectName(u"sqlite-worker-"_s + QString::number(index));
    m_context = new QObject;
    m_context->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_context, &QObject::deleteLater);
}

SqliteWorker::~SqliteWorker()
{
    stop();
}

void SqliteWorker::start()
{
    m_thread->start();
}

void SqliteWorker::stop()
{
    if (m_thread && m_thread->isRunning()) {
        // Quit from inside, after every job queued so far has run.
        QThread *thread = m_thread.get();
        QMetaObject::invokeMethod(m_context, [thread] { thread->quit(); }, Qt::QueuedConnection);
        m_thread->wait();
    }
}

bool SqliteWorker::post(std::function<void()> job, int limit)
{
    if (m_queued.fetch_add(1, std::memory_order_relaxed) >= limit) {
        m_queued.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    QMetaObject::invokeMethod(m_context, [this, job = std::move(job)] {
        job();
        m_queued.fetch_sub(1, std::memory_order_relaxed);
    }, Qt::QueuedConnection);
    return true;
}

void SqliteWorker::postAlways(std::function<void()> job)
{
    m_queued.fetch_add(1, std::memory_order_relaxed);
    QMetaObject::invokeMethod(m_context, [this, job = std::move(job)] {
        job();
        m_queued.fetch_sub(1, std::memory_order_relaxed);
    }, Qt::QueuedConnection);
}

} // namespace qsqld::db
