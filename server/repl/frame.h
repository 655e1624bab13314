#pragma once

// A replicated frame as carried in wal_log.Frame.data (wire reference: section 5 of replication.md):
// a 24-byte little-endian header, then one 4096-byte page image. This is not SQLite's WAL frame header
// (big-endian, with salts); the replication log builds its own. Plain values: any thread.

#include <QtEndian>
#include <QtGlobal>

namespace qsqld::repl {

inline constexpr qsizetype FRAME_HEADER_SIZE = 24;
inline constexpr qsizetype PAGE_SIZE = 4096; // fixed: the client rejects frames of any other size
inline constexpr qsizetype FRAME_SIZE = FRAME_HEADER_SIZE + PAGE_SIZE;
static_assert(FRAME_SIZE == 4120, "a replicated frame is 4120 bytes");

struct FrameHeader
{
    quint64 frameNo = 0; // position in the replication log, from 0, never reset by checkpoints
    quint64 checksum = 0; // frameChecksum() of the page, chained from the previous frame (crc64.h)
    quint32 pageNo = 0; // 1-based database page number
    quint32 sizeAfter = 0; // 0 inside a transaction; database size in pages on its commit frame

    bool isCommit() const { return sizeAfter != 0; }

    // Reads the header at `src`, which must hold at least FRAME_HEADER_SIZE bytes.
    static FrameHeader read(const char *src)
    {
        FrameHeader h;
        h.frameNo = qFromLittleEndian<quint64>(src);
        h.checksum = qFromLittleEndian<quint64>(src + 8);
        h.pageNo = qFromLittleEndian<quint32>(src + 16);
        h.sizeAfter = qFromLittleEndian<quint32>(src + 20);
        return h;
    }

    // Writes the header to `dst`, which must have room for FRAME_HEADER_SIZE bytes.
    void write(char *dst) const
    {
        qToLittleEndian<quint64>(frameNo, dst);
        qToLittleEndian<quint64>(checksum, dst + 8);
        qToLittleEndian<quint32>(pageNo, dst + 16);
        qToLittleEndian<quint32>(sizeAfter, dst + 20);
    }
};

} // namespace qsqld::repl
