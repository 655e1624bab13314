#pragma once

// Snapshots of a compacted replication log (spec/replication.md section 8): when the log grows past its limit,
// its frames become a snapshot holding the newest version of each page, and the log starts again after them.
// Snapshots chain: [0, a], [a+1, b], ... up to the log's first frame, so a replica at any offset below the log
// gets NEED_SNAPSHOT and catches up snapshot by snapshot. When there are more than 32, or they hold more than
// twice the database's pages, they are merged into one (newest page wins).
//
// Files: <ns dir>/qsqld-snapshots/<start>-<end>.snap: a 64-byte header (magic, log id, start, end, frame count,
// database size in pages at `end`), then frames in descending frame number, as they are streamed.
// Worker thread only (owned by the namespace's ReplicationLog).

#include <QByteArray>
#include <QString>
#include <QUuid>

#include <functional>
#include <optional>
#include <vector>

namespace qsqld::repl {

struct SnapshotInfo
{
    QString path;
    quint64 start = 0;     // first frame number covered
    quint64 end = 0;       // last frame number covered (a commit frame): the first frame in the file
    quint64 frames = 0;    // frames in the file
    quint32 sizeAfter = 0; // database size in pages at `end`: goes on the last frame streamed
};

class SnapshotStore
{
public:
    explicit SnapshotStore(QString dir) : m_dir(std::move(dir)) { }

    // Loads the snapshots of `logId`. False unless they chain from frame 0 to `logStart` - 1 (none when the
    // log starts at 0).
    bool load(const QUuid &logId, quint64 logStart);
    void clear(); // deletes every snapshot file (a new history begins)

    // Turns the log frames [start, start + count), stored in ascending order from `offset` of `fd`, into a
    // snapshot. nullopt with `error` set on I/O failure (nothing is left behind).
    std::optional<SnapshotInfo> create(const QUuid &logId, int fd, qint64 offset, quint64 start, quint64 count,
                                       QByteArray *error);
    // Merges all snapshots into one when there are too many or they outgrow the database. False on I/O failure.
    bool mergeIfDue(const QUuid &logId, QByteArray *error);

    const SnapshotInfo *find(quint64 frameNo) const; // the snapshot covering `frameNo`, or nullptr
    const std::vector<SnapshotInfo> &all() const { return m_snapshots; }

    // Frames [index, index + max) of `s` in file order (4120 bytes each); false on I/O failure.
    static bool readFrames(const SnapshotInfo &s, quint64 index, quint64 max, QByteArray *out);

private:
    // Calls the visitor with each frame, newest first; false on I/O failure or when the visitor says stop.
    using FrameVisitor = std::function<bool(const char *frame)>;
    using FrameSource = std::function<bool(const FrameVisitor &)>;
    // Writes the newest version of each page among the frames of `source` (newest first) to a new file.
    // `sizeAfter`: the database size at `end`; by default the first frame's (the commit frame `end` of a log).
    std::optional<SnapshotInfo> write(const QUuid &logId, quint64 start, quint64 end,
                                      std::optional<quint32> sizeAfter, const FrameSource &source, QByteArray *error);

    QString m_dir;
    std::vector<SnapshotInfo> m_snapshots; // ascending by start
};

} // namespace qsqld::repl
