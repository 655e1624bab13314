#pragma once

// Loads a SQL dump into a new, empty namespace with sqld's rules (spec §12.4): no ATTACH anywhere, everything
// from the third statement on inside a transaction that the dump commits, `libsql_wasm_func_table` skipped.
// Worker thread only.

#include "executor.h"

#include <QByteArray>

namespace qsqld::hrana {

struct DumpLoadError
{
    int status = 400;
    QByteArray message; // sqld's text
};

// Empty optional on success. The session is left in autocommit mode either way.
std::optional<DumpLoadError> loadDump(Session &session, const QByteArray &sql);

} // namespace qsqld::hrana
