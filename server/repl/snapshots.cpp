#include "snapshots.h"

#include "fileio.h"
#include "frame.h"

#include <QDir>
#include <QFile>
#include <QtEndian>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <unordered_set>

namespace qsqld::repl {

namespace {

constexpr char MAGIC[8] = {'Q', 'S', 'Q', 'L', 'D', 'S', 'N', 'P'};
constexpr quint32 VERSION = 1;
constexpr qint64 HEADER_SIZE = SNAPSHOT_HEADER_SIZE;
constexpr quint64 CHUNK_FRAMES = 256;
constexpr size_t MAX_SNAPSHOTS = 32;

std::optional<SnapshotInfo> readHeader(const QString &path, const QUuid &logId)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    char h[HEADER_SIZE];
    const bool ok = fd >= 0 && readAt(fd, h, HEADER_SIZE, 0);
    if (fd >= 0)
        ::close(fd);
    if (!ok || std::memcmp(h, MAGIC, 8) != 0 || qFromLittleEndian<quint32>(h + 8) != VERSION
        || QUuid::fromRfc4122(QByteArrayView(h + 16, 16)) != logId)
        return std::nullopt;
    SnapshotInfo s;
    s.path = path;
    s.start = qFromLittleEndian<quint64>(h + 32);
    s.end = qFromLittleEndian<quint64>(h + 40);
    s.frames = qFromLittleEndian<quint64>(h + 48);
    s.sizeAfter = qFromLittleEndian<quint32>(h + 56);
    if (QFileInfo(path).size() != HEADER_SIZE + static_cast<qint64>(s.frames) * FRAME_SIZE || s.end < s.start)
        return std::nullopt;
    return s;
}

} // namespace

bool SnapshotStore::load(const QUuid &logId, quint64 logStart)
{
    m_snapshots.clear();
    const QDir dir(m_dir);
    for (const QString &name : dir.entryList({QStringLiteral("*.snap")}, QDir::Files)) {
        auto s = readHeader(dir.filePath(name), logId);
        if (!s)
            return false;
        m_snapshots.push_back(*s);
    }
    std::sort(m_snapshots.begin(), m_snapshots.end(), [](const auto &a, const auto &b) { return a.start < b.start; });
    quint64 next = 0;
    for (const SnapshotInfo &s : m_snapshots) {
        if (s.start != next)
            return false;
        next = s.end + 1;
    }
    return next == logStart;
}

void SnapshotStore::clear()
{
    QDir(m_dir).removeRecursively();
    m_snapshots.clear();
}

const SnapshotInfo *SnapshotStore::find(quint64 frameNo) const
{
    for (const SnapshotInfo &s : m_snapshots) {
        if (s.start <= frameNo && frameNo <= s.end)
            return &s;
    }
    return nullptr;
}

bool SnapshotStore::readFrames(const SnapshotInfo &s, quint64 index, quint64 max, QByteArray *out)
{
    out->clear();
    const quint64 n = index >= s.frames ? 0 : std::min(max, s.frames - index);
    if (n == 0)
        return true;
    const int fd = ::open(QFile::encodeName(s.path).constData(), O_RDONLY | O_CLOEXEC);
    out->resize(static_cast<qsizetype>(n) * FRAME_SIZE);
    const bool ok = fd >= 0
        && readAt(fd, out->data(), out->size(), HEADER_SIZE + static_cast<qint64>(index) * FRAME_SIZE);
    if (fd >= 0)
        ::close(fd);
    return ok;
}

std::optional<SnapshotInfo> SnapshotStore::write(const QUuid &logId, quint64 start, quint64 end,
                                                 std::optional<quint32> sizeAfter, const FrameSource &source,
                                                 QByteArray *error)
{
    if (!QDir().mkpath(m_dir)) {
        *error = "cannot create " + QFile::encodeName(m_dir);
        return std::nullopt;
    }
    SnapshotInfo s;
    s.start = start;
    s.end = end;
    s.path = m_dir + u'/' + QString::number(start) + u'-' + QString::number(end) + QStringLiteral(".snap");
    const QString tmp = s.path + QStringLiteral(".tmp");
    const int fd = ::open(QFile::encodeName(tmp).constData(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && ::lseek(fd, HEADER_SIZE, SEEK_SET) == HEADER_SIZE;
    // Newest first: the first frame seen of a page is its newest version. The first frame of all is the commit
    // frame `end`, which carries the database size; pages beyond that size are dropped by the replica anyway.
    std::unordered_set<quint32> seen;
    QByteArray buffer;
    bool first = true;
    ok = ok && source([&](const char *frame) {
        FrameHeader h = FrameHeader::read(frame);
        if (first) {
            s.sizeAfter = sizeAfter.value_or(h.sizeAfter);
            first = false;
        } else if (h.pageNo > s.sizeAfter || seen.count(h.pageNo)) {
            return true;
        }
        seen.insert(h.pageNo);
        h.sizeAfter = 0; // set on the last frame streamed instead
        const qsizetype at = buffer.size();
        buffer.append(frame, FRAME_SIZE);
        h.write(buffer.data() + at);
        ++s.frames;
        if (buffer.size() < static_cast<qsizetype>(CHUNK_FRAMES) * FRAME_SIZE)
            return true;
        const bool written = writeAt(fd, buffer.constData(), buffer.size());
        buffer.clear();
        return written;
    });
    ok = ok && writeAt(fd, buffer.constData(), buffer.size());
    char header[HEADER_SIZE] = {};
    std::memcpy(header, MAGIC, 8);
    qToLittleEndian<quint32>(VERSION, header + 8);
    std::memcpy(header + 16, logId.toRfc4122().constData(), 16);
    qToLittleEndian<quint64>(s.start, header + 32);
    qToLittleEndian<quint64>(s.end, header + 40);
    qToLittleEndian<quint64>(s.frames, header + 48);
    qToLittleEndian<quint32>(s.sizeAfter, header + 56);
    ok = ok && ::pwrite(fd, header, HEADER_SIZE, 0) == HEADER_SIZE && ::fdatasync(fd) == 0
        && ::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(s.path).constData()) == 0;
    if (fd >= 0)
        ::close(fd);
    if (!ok) {
        *error = "cannot write snapshot " + QFile::encodeName(s.path) + ": " + std::strerror(errno);
        QFile::remove(tmp);
        return std::nullopt;
    }
    return s;
}

std::optional<SnapshotInfo> SnapshotStore::create(const QUuid &logId, int fd, qint64 offset, quint64 start,
                                                  quint64 count, QByteArray *error)
{
    // The log holds frames in ascending order: read it backwards, a chunk at a time.
    const FrameSource source = [fd, offset, count](const FrameVisitor &visit) {
        QByteArray chunk;
        for (quint64 remaining = count; remaining > 0;) {
            const quint64 n = std::min(CHUNK_FRAMES, remaining);
            remaining -= n;
            chunk.resize(static_cast<qsizetype>(n) * FRAME_SIZE);
            if (!readAt(fd, chunk.data(), chunk.size(), offset + static_cast<qint64>(remaining) * FRAME_SIZE))
                return false;
            for (quint64 i = n; i-- > 0;) {
                if (!visit(chunk.constData() + static_cast<qsizetype>(i) * FRAME_SIZE))
                    return false;
            }
        }
        return true;
    };
    auto s = write(logId, start, start + count - 1, std::nullopt, source, error);
    if (s)
        m_snapshots.push_back(*s);
    return s;
}

bool SnapshotStore::mergeIfDue(const QUuid &logId, QByteArray *error)
{
    if (m_snapshots.size() < 2)
        return true;
    quint64 frames = 0;
    for (const SnapshotInfo &s : m_snapshots)
        frames += s.frames;
    if (m_snapshots.size() <= MAX_SNAPSHOTS && frames <= 2ULL * m_snapshots.back().sizeAfter)
        return true;
    // Every snapshot is already newest-first, and newer snapshots hold higher frame numbers: walking them from the
    // newest keeps the merged file in descending order.
    const std::vector<SnapshotInfo> old = m_snapshots;
    const FrameSource source = [&old](const FrameVisitor &visit) {
        QByteArray chunk;
        for (auto it = old.rbegin(); it != old.rend(); ++it) {
            for (quint64 index = 0; index < it->frames; index += CHUNK_FRAMES) {
                if (!readFrames(*it, index, CHUNK_FRAMES, &chunk))
                    return false;
                for (qsizetype at = 0; at < chunk.size(); at += FRAME_SIZE) {
                    if (!visit(chunk.constData() + at))
                        return false;
                }
            }
        }
        return true;
    };
    auto merged = write(logId, old.front().start, old.back().end, old.back().sizeAfter, source, error);
    if (!merged)
        return false;
    m_snapshots = {*merged};
    for (const SnapshotInfo &s : old) {
        if (s.path != merged->path)
            QFile::remove(s.path);
    }
    return true;
}

} // namespace qsqld::repl
