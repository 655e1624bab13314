#include "historystore.h"

#include <QDir>
#include <QFileInfo>
#include <QMetaObject>
#include <QPointer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QThread>
#include <QUuid>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

// The database side; every member runs on the store's thread.
class HistoryWorker : public QObject
{
public:
    explicit HistoryWorker(QString path)
        : m_path(std::move(path))
        , m_connection(u"qsqld-history-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces))
    {
    }
    ~HistoryWorker() override
    {
        if (!m_opened)
            return;
        {
            QSqlDatabase db = QSqlDatabase::database(m_connection, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_connection);
    }

    // Opens the file on first use; returns an error sentence or an empty string.
    QString open()
    {
        if (m_opened)
            return m_error;
        m_opened = true;
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connection);
        QDir().mkpath(QFileInfo(m_path).absolutePath());
        db.setDatabaseName(m_path);
        if (!db.open())
            return m_error = u"Cannot open the query history %1: %2"_s.arg(m_path, db.lastError().text());
        QSqlQuery q(db);
        if (!q.exec(u"CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
                    "tenant TEXT NOT NULL, sql TEXT NOT NULL, ok INTEGER NOT NULL, elapsed_ms INTEGER NOT NULL, "
                    "message TEXT NOT NULL)"_s))
            m_error = u"Cannot prepare the query history: %1"_s.arg(q.lastError().text());
        return m_error;
    }

    QString add(HistoryEntry *e)
    {
        if (QString error = open(); !error.isEmpty())
            return error;
        QSqlQuery q(QSqlDatabase::database(m_connection));
        q.prepare(u"INSERT INTO history (at, tenant, sql, ok, elapsed_ms, message) VALUES (?, ?, ?, ?, ?, ?)"_s);
        q.addBindValue(e->at.toUTC().toString(Qt::ISODateWithMs));
        q.addBindValue(e->tenant);
        q.addBindValue(e->sql);
        q.addBindValue(e->ok ? 1 : 0);
        q.addBindValue(e->elapsedMs);
        q.addBindValue(e->message);
        if (!q.exec())
            return u"Cannot write the query history: %1"_s.arg(q.lastError().text());
        e->id = q.lastInsertId().toLongLong();
        return {};
    }

    QString load(int limit, QList<HistoryEntry> *out)
    {
        if (QString error = open(); !error.isEmpty())
            return error;
        QSqlQuery q(QSqlDatabase::database(m_connection));
        q.prepare(u"SELECT id, at, tenant, sql, ok, elapsed_ms, message FROM history ORDER BY id DESC LIMIT ?"_s);
        q.addBindValue(limit);
        if (!q.exec())
            return u"Cannot read the query history: %1"_s.arg(q.lastError().text());
        while (q.next()) {
            out->append(HistoryEntry { q.value(0).toLongLong(),
                QDateTime::fromString(q.value(1).toString(), Qt::ISODateWithMs), q.value(2).toString(),
                q.value(3).toString(), q.value(4).toInt() != 0, q.value(5).toLongLong(), q.value(6).toString() });
        }
        return {};
    }

    QString clear()
    {
        if (QString error = open(); !error.isEmpty())
            return error;
        QSqlQuery q(QSqlDatabase::database(m_connection));
        return q.exec(u"DELETE FROM history"_s) ? QString() : q.lastError().text();
    }

private:
    QString m_path;
    QString m_connection;
    bool m_opened = false;
    QString m_error;
};

void HistoryStore::ThreadStopper::operator()(QThread *thread) const
{
    thread->quit();
    thread->wait();
    delete thread;
}

HistoryStore::HistoryStore(const QString &directory, QObject *parent)
    : QObject(parent)
    , m_directory(directory)
    , m_thread(new QThread)
{
    m_thread->setObjectName(u"qsqld-history"_s);
    m_worker = new HistoryWorker(QDir(directory).filePath(u"query-history.sqlite"_s));
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
}

HistoryStore::~HistoryStore() = default; // the stopper quits the thread; the worker closes the file as it goes

QString HistoryStore::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

void HistoryStore::add(const HistoryEntry &entry)
{
    QPointer<HistoryStore> self(this);
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, self, e = entry] {
            HistoryEntry entry = e;
            const QString error = worker->add(&entry); // on the store's thread
            QMetaObject::invokeMethod(
                self,
                [self, entry, error] {
                    if (!self)
                        return;
                    if (error.isEmpty())
                        emit self->added(entry);
                    else
                        emit self->failed(error);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void HistoryStore::load(int limit)
{
    QPointer<HistoryStore> self(this);
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, self, limit] {
            QList<HistoryEntry> entries;
            const QString error = worker->load(limit, &entries); // on the store's thread
            QMetaObject::invokeMethod(
                self,
                [self, entries, error] {
                    if (!self)
                        return;
                    if (error.isEmpty())
                        emit self->loaded(entries);
                    else
                        emit self->failed(error);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void HistoryStore::clear()
{
    QPointer<HistoryStore> self(this);
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, self] {
            const QString error = worker->clear(); // on the store's thread
            QMetaObject::invokeMethod(
                self,
                [self, error] {
                    if (self && error.isEmpty())
                        emit self->loaded({});
                    else if (self)
                        emit self->failed(error);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

} // namespace qsqld::ui
