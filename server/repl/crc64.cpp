#include "crc64.h"

#include <array>

namespace qsqld::repl {

namespace {

// 0x1B with its bits reversed, for the right-shifting (reflected) form of the algorithm.
constexpr quint64 REFLECTED_POLY = 0xD800000000000000ULL;
constexpr quint64 FINAL_XOR = ~quint64(0);

constexpr std::array<quint64, 256> makeTable()
{
    std::array<quint64, 256> table {};
    for (quint64 i = 0; i < 256; ++i) {
        quint64 crc = i;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 1) ? (crc >> 1) ^ REFLECTED_POLY : crc >> 1;
        table[i] = crc;
    }
    return table;
}

constexpr std::array<quint64, 256> TABLE = makeTable();

constexpr quint64 reverseBits(quint64 v)
{
    quint64 r = 0;
    for (int i = 0; i < 64; ++i) {
        r = (r << 1) | (v & 1);
        v >>= 1;
    }
    return r;
}

static_assert(reverseBits(1) == 0x8000000000000000ULL, "reverseBits maps bit 0 to bit 63");
static_assert(TABLE[1] == REFLECTED_POLY >> 7, "table entry 1 is the polynomial shifted by the other 7 bits");

} // namespace

quint64 frameChecksum(quint64 previous, QByteArrayView page)
{
    quint64 crc = reverseBits(previous);
    for (const char c : page)
        crc = TABLE[(crc ^ static_cast<quint8>(c)) & 0xFF] ^ (crc >> 8);
    return crc ^ FINAL_XOR;
}

} // namespace qsqld::repl
