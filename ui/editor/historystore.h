#pragma once

// HistoryStore: the console's query history in a local SQLite file (QtSql's QSQLITE driver) under
// QStandardPaths::AppDataLocation, or a folder the caller names (tests use a temporary one). The database lives
// on the store's own thread, so the GUI never waits on the disk: add() and load() return at once and load()
// answers with the loaded signal. Each store uses its own connection name, so several may coexist.
// Thread rule: create and call on the GUI thread; signals arrive there.

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>

class QThread;

namespace qsqld::ui {

struct HistoryEntry
{
    qint64 id = 0;
    QDateTime at;
    QString tenant;
    QString sql;
    bool ok = true;
    qint64 elapsedMs = 0;
    QString message; // the outcome line shown after the run
};

class HistoryWorker;

class HistoryStore : public QObject
{
    Q_OBJECT
public:
    // Opens (creating if needed) <directory>/query-history.sqlite on the store's thread.
    explicit HistoryStore(const QString &directory, QObject *parent = nullptr);
    ~HistoryStore() override;

    static QString defaultDirectory(); // QStandardPaths::AppDataLocation
    QString directory() const { return m_directory; }

    void add(const HistoryEntry &entry); // appends; answers with added (the entry with its id)
    void load(int limit = 500); // newest first; answers with loaded
    void clear(); // deletes every entry; answers with loaded({})

signals:
    void added(const qsqld::ui::HistoryEntry &entry);
    void loaded(const QList<qsqld::ui::HistoryEntry> &entries);
    void failed(const QString &message); // the file could not be opened or written

private:
    struct ThreadStopper
    {
        void operator()(QThread *thread) const;
    };

    QString m_directory;
    std::unique_ptr<QThread, ThreadStopper> m_thread;
    HistoryWorker *m_worker = nullptr; // lives on m_thread, deleted when it finishes
};

} // namespace qsqld::ui
