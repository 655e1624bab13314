#pragma once

// Shared by the fuzz targets (fuzz_<name>.cpp): the input as Qt bytes, and a consistency check that fails in
// every build type. Q_ASSERT is compiled out of release builds, but a failed check must reach libFuzzer (and the
// fuzz_replay_<name> ctest) as a crash.

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <QByteArray>

#define QSQLD_FUZZ_CHECK(cond)                                                                                    \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);                     \
            std::abort();                                                                                          \
        }                                                                                                          \
    } while (false)

namespace qsqld::fuzz {

// A deep copy: decoders may keep or modify what they are given.
inline QByteArray bytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
}

} // namespace qsqld::fuzz
