#include "pageindex.h"

#include "fileio.h"
#include "frame.h"

#include <QFile>

#include <fcntl.h>
#include <unistd.h>

namespace qsqld::repl {

namespace {

constexpr quint64 CHUNK_FRAMES = 256;
constexpr qint32 NEVER = -2;

// Calls `visit(header, position)` for each of `frames` frames of `fd` after `headerSize` bytes, in file order.
template<typename Visit>
bool scan(int fd, qint64 headerSize, quint64 frames, Visit visit)
{
    QByteArray chunk;
    for (quint64 first = 0; first < frames; first += CHUNK_FRAMES) {
        const quint64 n = std::min(CHUNK_FRAMES, frames - first);
        chunk.resize(static_cast<qsizetype>(n) * FRAME_SIZE);
        if (!readAt(fd, chunk.data(), chunk.size(), headerSize + static_cast<qint64>(first) * FRAME_SIZE))
            return false;
        for (quint64 i = 0; i < n; ++i)
            visit(FrameHeader::read(chunk.constData() + static_cast<qsizetype>(i) * FRAME_SIZE), first + i);
    }
    return true;
}

} // namespace

std::unique_ptr<PageIndex> PageIndex::build(const std::vector<SnapshotInfo> &snapshots, int logFd,
                                            quint64 logFrames, QByteArray *error)
{
    auto index = std::make_unique<PageIndex>();
    auto note = [&index](const FrameHeader &h, qint32 source, quint64 position) {
        if (h.pageNo == 0)
            return;
        if (index->m_pages.size() < h.pageNo)
            index->m_pages.resize(h.pageNo, PageVersion{0, NEVER, 0});
        PageVersion &v = index->m_pages[h.pageNo - 1];
        if (v.source == NEVER || h.frameNo >= v.frameNo)
            v = PageVersion{h.frameNo, source, position};
    };
    for (size_t s = 0; s < snapshots.size(); ++s) {
        const int fd = ::open(QFile::encodeName(snapshots[s].path).constData(), O_RDONLY | O_CLOEXEC);
        const bool ok = fd >= 0 && scan(fd, SNAPSHOT_HEADER_SIZE, snapshots[s].frames, [&](const FrameHeader &h, quint64 p) {
                            note(h, static_cast<qint32>(s), p);
                        });
        if (fd >= 0)
            ::close(fd);
        if (!ok) {
            *error = "cannot read snapshot " + QFile::encodeName(snapshots[s].path);
            return nullptr;
        }
    }
    if (!scan(logFd, LOG_HEADER_SIZE, logFrames, [&](const FrameHeader &h, quint64 p) { note(h, -1, p); })) {
        *error = "cannot read the replication log";
        return nullptr;
    }
    return index;
}

void PageIndex::noteLogFrame(quint32 pageNo, quint64 frameNo, quint64 position)
{
    if (pageNo == 0)
        return;
    if (m_pages.size() < pageNo)
        m_pages.resize(pageNo, PageVersion{0, NEVER, 0});
    m_pages[pageNo - 1] = PageVersion{frameNo, -1, position};
}

const PageVersion *PageIndex::find(quint32 pageNo) const
{
    if (pageNo == 0 || pageNo > m_pages.size() || m_pages[pageNo - 1].source == NEVER)
        return nullptr;
    return &m_pages[pageNo - 1];
}

PageReader::PageReader(int logFd, const std::vector<SnapshotInfo> &snapshots) : m_log(::dup(logFd))
{
    m_ok = m_log >= 0;
    for (const SnapshotInfo &s : snapshots) {
        const int fd = ::open(QFile::encodeName(s.path).constData(), O_RDONLY | O_CLOEXEC);
        m_ok = m_ok && fd >= 0;
        m_snapshots.push_back(fd);
    }
}

PageReader::~PageReader()
{
    if (m_log >= 0)
        ::close(m_log);
    for (int fd : m_snapshots) {
        if (fd >= 0)
            ::close(fd);
    }
}

bool PageReader::read(const PageVersion &v, QByteArray *out) const
{
    const bool fromLog = v.source < 0;
    if (!fromLog && static_cast<size_t>(v.source) >= m_snapshots.size())
        return false;
    const int fd = fromLog ? m_log : m_snapshots[static_cast<size_t>(v.source)];
    const qint64 offset = (fromLog ? LOG_HEADER_SIZE : SNAPSHOT_HEADER_SIZE) + static_cast<qint64>(v.position) * FRAME_SIZE
        + FRAME_HEADER_SIZE;
    const qsizetype at = out->size();
    out->resize(at + PAGE_SIZE);
    return readAt(fd, out->data() + at, PAGE_SIZE, offset);
}

bool PageReader::readLogFrames(quint64 position, quint64 count, QByteArray *out) const
{
    const qsizetype at = out->size();
    out->resize(at + static_cast<qsizetype>(count) * FRAME_SIZE);
    return readAt(m_log, out->data() + at, static_cast<qint64>(count) * FRAME_SIZE,
                  LOG_HEADER_SIZE + static_cast<qint64>(position) * FRAME_SIZE);
}

} // namespace qsqld::repl
