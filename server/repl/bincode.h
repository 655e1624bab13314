#pragma once

// SQL values as the proxy.Proxy service carries them in Value.data: bincode 1.x with its default options
// (wire reference: section 9.2 of replication.md). A u32 little-endian variant tag, then the payload:
//   0 Null | 1 Integer: i64 LE | 2 Real: f64 LE | 3 Text: u64 LE length + UTF-8 | 4 Blob: u64 LE length + bytes
// Pure functions: any thread.

#include <QByteArray>
#include <QByteArrayView>

#include "hrana/protocol.h"

namespace qsqld::repl {

QByteArray encodeBincodeValue(const hrana::Value &value);

// Decodes exactly one value that fills the whole input. On failure returns false, leaves *out untouched
// and sets *error (if given): truncated input, an unknown tag, a length beyond the input, bytes after the
// value, or Text that is not valid UTF-8.
bool decodeBincodeValue(QByteArrayView data, hrana::Value *out, QByteArray *error);

} // namespace qsqld::repl
