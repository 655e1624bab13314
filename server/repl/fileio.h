#pragma once

// Whole-buffer POSIX reads and writes for the replication files (retrying short transfers and EINTR).
// Any thread.

#include <QtGlobal>

#include <cerrno>
#include <unistd.h>

namespace qsqld::repl {

// File layouts: a log is a 4096-byte header then frames; a snapshot a 64-byte header then frames.
inline constexpr qint64 LOG_HEADER_SIZE = 4096;
inline constexpr qint64 SNAPSHOT_HEADER_SIZE = 64;

// Reads exactly `size` bytes at `offset`; false on an error or end of file.
inline bool readAt(int fd, char *buf, qint64 size, qint64 offset)
{
    while (size > 0) {
        const ssize_t n = ::pread(fd, buf, static_cast<size_t>(size), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        size -= n;
        offset += n;
    }
    return true;
}

// Writes all of `buf` at `offset` (or at the current position when `offset` is negative).
inline bool writeAt(int fd, const char *buf, qint64 size, qint64 offset = -1)
{
    while (size > 0) {
        const ssize_t n = offset < 0 ? ::write(fd, buf, static_cast<size_t>(size))
                                     : ::pwrite(fd, buf, static_cast<size_t>(size), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        size -= n;
        if (offset >= 0)
            offset += n;
    }
    return true;
}

} // namespace qsqld::repl
