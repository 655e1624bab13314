#pragma once

// Where the newest version of every database page lives in a namespace's replication history, and the frame
// number that wrote it: the basis of Turso Sync pulls ("pages changed since revision R", and the page images,
// read from files that never change once written, so a pull is one consistent snapshot without holding SQLite).
// Built from the snapshots and the log on first use, then kept up to date by the log's capture.
// Worker thread only; a PageReader (below) may be used from any thread.

#include "snapshots.h"

#include <QByteArray>

#include <memory>
#include <vector>

namespace qsqld::repl {

struct PageVersion
{
    quint64 frameNo = 0;  // the frame that wrote this version
    qint32 source = -1;   // -1: the log; otherwise an index into the snapshot list
    quint64 position = 0; // frame index within that file
};

class PageIndex
{
public:
    // Reads the frame headers of every snapshot (oldest first) and of the log's `logFrames` frames.
    static std::unique_ptr<PageIndex> build(const std::vector<SnapshotInfo> &snapshots, int logFd, quint64 logFrames,
                                            QByteArray *error);

    void noteLogFrame(quint32 pageNo, quint64 frameNo, quint64 position);
    // Version of page `pageNo` (1-based); nullptr if it never appeared.
    const PageVersion *find(quint32 pageNo) const;
    quint32 pageCount() const { return static_cast<quint32>(m_pages.size()); }

private:
    std::vector<PageVersion> m_pages; // index pageNo - 1; frameNo 0 with source -2 = never written
};

// Reads page images of one moment: holds its own descriptors on the log and the snapshots, so later compaction
// (which replaces the log file and may delete snapshots) does not disturb it.
class PageReader
{
public:
    PageReader(int logFd, const std::vector<SnapshotInfo> &snapshots);
    ~PageReader();
    PageReader(const PageReader &) = delete;
    PageReader &operator=(const PageReader &) = delete;

    bool ok() const { return m_ok; }
    // The 4096-byte image of `v`, appended to `out`.
    bool read(const PageVersion &v, QByteArray *out) const;
    // `count` whole frames of the log from file position `position`, appended to `out`.
    bool readLogFrames(quint64 position, quint64 count, QByteArray *out) const;

private:
    int m_log = -1;
    std::vector<int> m_snapshots;
    bool m_ok = true;
};

} // namespace qsqld::repl
