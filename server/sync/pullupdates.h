#pragma once

// Turso Sync (`@tursodatabase/sync`) pulls: POST /pull-updates (spec/turso-sync.md section 4). The answer is a
// header (revision, database size) and then raw 4096-byte pages, each length-prefixed protobuf: every page on a
// bootstrap, the pages written since the client's revision otherwise. Pages come from the namespace's
// replication history (repl::PageIndex), so one pull is one consistent moment without holding SQLite.
// A revision is "<log id>.<frame number>": a revision of another log (a rebuilt history, another server) or one
// that does not parse gets every page, which the client applies safely.

#include "hrana/engine.h"

#include <QByteArray>

#include <functional>
#include <optional>
#include <vector>

namespace qsqld::sync {

struct PullRequest
{
    quint32 encoding = 0;       // 0 raw (1 zstd is refused)
    QByteArray serverRevision;  // read pages as of this revision (chunked bootstrap); empty = latest
    QByteArray clientRevision;  // what the client has; empty = nothing
    quint32 longPollMs = 0;     // wait this long for a change when there is none
    QByteArray pagesSelector;   // portable RoaringBitmap of 0-based page ids; empty = all
    quint32 streamKind = 0;     // 0 pages (1, the MVCC logical log, is refused)
};

// Proto3 wire decoding (unknown fields skipped); nullopt with `error` on malformed input.
std::optional<PullRequest> decodePullRequest(const QByteArray &body, QByteArray *error);
// The 0-based page ids below `limit` of a portable-format RoaringBitmap (both cookies), ascending; nullopt with
// `error` if malformed. The ids are the bits actually present, whatever counts the bitmap declares.
std::optional<std::vector<quint32>> decodeSelector(const QByteArray &bitmap, QByteArray *error,
                                                   quint32 limit = 0xffffffffu);
// Length-prefixed PullUpdatesResponse header and PageData messages.
QByteArray encodeHeader(const QByteArray &revision, quint64 dbSize);
QByteArray encodePage(quint32 pageId, const char *page4096);

using Poster = std::function<void(std::function<void()>)>;

// Answers a pull on the namespace's worker, streaming through `sink` (`post` runs the next chunk on the worker).
// When the client is up to date, may wait (`mayWait`) and asked for a long poll, calls `park(lastFrame)` instead
// of answering: the caller waits for a commit after `lastFrame` (or the timeout) and asks again without waiting.
void pull(hrana::Engine &e, hrana::Job &&job, const PullRequest &request, bool mayWait, http::StreamSink sink,
          Poster post, std::function<void(quint64 lastFrame)> park);

} // namespace qsqld::sync
