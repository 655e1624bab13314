#pragma once

// The rolling checksum in the header of a replicated frame (wire reference: section 5 of replication.md).
// CRC-64/GO-ISO (polynomial 0x1B, reflected, final XOR ~0) over the page bytes, with the register seeded
// from the bit-reversed previous checksum instead of all ones; that is what sqld's `crc` crate does with a
// custom initial value. No consumer verifies it; qsqld computes it for byte fidelity with sqld.
// Pure function over a table built at compile time: any thread.

#include <QByteArrayView>
#include <QtGlobal>

namespace qsqld::repl {

// The checksum of a frame whose page is `page`, following a frame with checksum `previous`.
// The first frame of a fresh log uses previous = 0.
quint64 frameChecksum(quint64 previous, QByteArrayView page);

} // namespace qsqld::repl
