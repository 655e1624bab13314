#pragma once

// sqld's legacy "HTTP API v0" (`POST /`): a list of statements with plain JSON parameters and results.
// Worker thread (decode may run anywhere).

#include "pipelinerun.h"

#include "http/response.h"

#include <variant>
#include <vector>

namespace qsqld::hrana::legacy {

// Validates the whole request before anything runs; a Response is the error to send as is.
std::variant<std::vector<LegacyStatement>, http::Response> decode(const QByteArray &body, const AccessContext &access);
// Runs from run.legacyNext on. Park when the write lock is taken by another stream.
BatchState run(PipelineRun &run, Executor &exec);
http::Response encode(const PipelineRun &run);

} // namespace qsqld::hrana::legacy
