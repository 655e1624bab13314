#pragma once

// Encodes Hrana results as sqld's JSON (same keys, same order, same value forms). Any thread.

#include "protocol.h"

#include "util/jsonwriter.h"

namespace qsqld::hrana {

void writeValue(util::JsonWriter &w, const Value &v);
void writeCols(util::JsonWriter &w, const std::vector<Column> &cols);
void writeError(util::JsonWriter &w, const Error &e);
void writeStmtResult(util::JsonWriter &w, const StmtResult &r);
void writeBatchResult(util::JsonWriter &w, const BatchResult &r);
void writeDescribeResult(util::JsonWriter &w, const DescribeResult &r);

QByteArray errorJson(const Error &e); // {"message":...,"code":...}

} // namespace qsqld::hrana
