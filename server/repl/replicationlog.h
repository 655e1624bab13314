#pragma once

// The replication log of one namespace: every committed WAL frame, renumbered from 0 forever, in libSQL's
// 4120-byte replicated-frame format (spec/replication.md sections 5, 6 and 11). Frames are captured by a
// sqlite3_wal_hook on every connection of the namespace; the hook runs inside the commit, so a write's frames
// are in the log before its response leaves.
//
// File: <dir>/qsqld-wallog (a 4096-byte header, then frames). A log always starts with a full image of the
// database. It is rebuilt under a new log id whenever its history may not match the database: no clean
// shutdown record (crash, kill -9), a database file changed while qsqld was down, or a capture failure.
// Worker thread only: all connections of a namespace live on its worker, so capture never races a commit.

#include "pageindex.h"
#include "snapshots.h"

#include <QByteArray>
#include <QString>
#include <QUuid>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

struct sqlite3;

namespace qsqld::repl {

// When a log is compacted into a snapshot (sqld's --max-log-size, --max-log-duration, --snapshot-exec).
struct CompactionPolicy
{
    qint64 maxLogBytes = 200LL * 1024 * 1024;
    std::optional<std::chrono::seconds> maxLogDuration;
    QString snapshotExec; // run as `<command> <snapshot file> <namespace>` after each new snapshot
    QString ns;
};

class ReplicationLog
{
public:
    // Opens (or builds) the log of the database `dbFile` in `dir`. No connection of this process may have
    // the database open yet. nullptr with `error` set when the database cannot be read or checkpointed.
    static std::unique_ptr<ReplicationLog> open(const QString &dir, const QString &dbFile, QByteArray *error);
    // Records a clean shutdown (call after every connection to the database is closed).
    ~ReplicationLog();
    ReplicationLog(const ReplicationLog &) = delete;
    ReplicationLog &operator=(const ReplicationLog &) = delete;

    // Installs the capture hook on a connection of this namespace. `autocheckpoint`: run a passive
    // checkpoint after a commit once the WAL holds 1000 frames (SQLite's default, which the hook replaces).
    void attach(sqlite3 *db, bool autocheckpoint);

    void setPolicy(CompactionPolicy policy) { m_policy = std::move(policy); }
    // Turns the whole log into a snapshot and starts an empty one after it (a no-op when the log is empty).
    // Runs by itself after a commit once the policy says so; --snapshot-at-shutdown calls it at shutdown.
    bool compact(QByteArray *error);
    const SnapshotStore &snapshots() const { return m_snapshots; }

    // Called after each captured commit with the new last frame (Turso Sync long polls wake on it).
    void setCommitListener(std::function<void(quint64 lastFrame)> listener) { m_onCommit = std::move(listener); }

    // Turso Sync: the database size in pages at the last frame, and at an earlier commit frame still in the log
    // (nullopt when it is not a commit frame or has moved into a snapshot).
    quint32 dbSize() const { return m_dbSize; }
    std::optional<quint32> dbSizeAt(quint64 frameNo) const;
    // Where each page's newest version is (built on first use); nullptr with `error` set on I/O failure.
    const PageIndex *pageIndex(QByteArray *error);
    // Reads page images as of now, whatever the log does later.
    std::unique_ptr<PageReader> pageReader() const { return std::make_unique<PageReader>(m_fd, m_snapshots.all()); }

    QUuid logId() const { return m_logId; }
    quint64 firstFrameNo() const { return m_start; }
    // The last committed frame (perhaps in a snapshot already); nullopt before the first frame.
    std::optional<quint64> lastFrameNo() const;
    quint64 frameCount() const { return m_count; }
    qint64 sizeBytes() const;
    // False after a capture failure: the log no longer matches the database until it is rebuilt.
    bool healthy() const { return !m_broken; }

    enum class Read { Ok, NeedSnapshot, Error };
    // How many frames to send from `from` on: at least `softMax` when there are that many, then up to the end of
    // the transaction, never past the tip; 0 when `from` is beyond the tip. Read them with pageReader().
    Read batchCount(quint64 from, int softMax, quint64 *count, QByteArray *error) const;
    quint64 positionOf(quint64 frameNo) const { return frameNo - m_start; } // in the current log file

    // Committed WAL frames up to `nFrame` (the hook's argument). Public for tests.
    bool capture(int nFrame);

private:
    ReplicationLog() = default;
    bool load(QByteArray *error);
    bool rebuild(QByteArray *error);
    bool appendFrames(const QByteArray &walFrames, int count); // SQLite WAL frames → log frames
    bool writeEmptyLog(quint64 start, quint64 checksum, QByteArray *error); // installs a log with no frames
    void compactIfDue();

    QString m_dir;
    QString m_dbFile;
    QString m_path;
    int m_fd = -1;
    QUuid m_logId;
    quint64 m_start = 0;        // frame number of the first frame in the file
    quint64 m_count = 0;        // committed frames in the file
    quint64 m_lastChecksum = 0; // checksum of the last frame (the chain continues from it)
    bool m_broken = false;
    quint32 m_dbSize = 0; // database size in pages at the last frame
    std::unique_ptr<PageIndex> m_index;
    std::function<void(quint64)> m_onCommit;
    CompactionPolicy m_policy;
    SnapshotStore m_snapshots{QString()};
    std::chrono::steady_clock::time_point m_logStartedAt = std::chrono::steady_clock::now();
    // Capture cursor into the -wal file: its salts and how many of its frames are already in the log.
    std::optional<std::pair<quint32, quint32>> m_salts;
    int m_consumed = 0;
    // sqlite3_wal_hook contexts: this log, and whether the hook also checkpoints.
    std::pair<ReplicationLog *, bool> m_hookPlain{nullptr, false};
    std::pair<ReplicationLog *, bool> m_hookWithCheckpoint{nullptr, true};
};

} // namespace qsqld::repl
