#pragma once

// A thread that runs SQLite jobs one after another. Namespaces are pinned to one worker by hash, so a
// namespace's connections are only ever touched by that worker's thread and need no locks.
// Thread rule: post() may be called from any thread; jobs run on the worker thread.

#include <QObject>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace qsqld::db {

class SqliteWorker : public QObject
{
    Q_OBJECT
public:
    explicit SqliteWorker(int index);
    ~SqliteWorker() override;

    int index() const { return m_index; }
    // Queues `job`. Returns false (and runs nothing) when `limit` jobs are already queued or running.
    bool post(std::function<void()> job, int limit);
    // Queues `job` regardless of the limit (shutdown, admin work, timers).
    void postAlways(std::function<void()> job);
    int queued() const { return m_queued.load(std::memory_order_relaxed); }

    void start();
    void stop(); // finishes queued jobs, then joins the thread

private:
    const int m_index;
    std::atomic<int> m_queued{0};
    std::unique_ptr<QThread> m_thread;
    QObject *m_context = nullptr; // lives on the worker thread; the target of queued calls
};

} // namespace qsqld::db
