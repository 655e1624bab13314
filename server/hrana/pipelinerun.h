#pragma once

// A request in progress on a worker: a Hrana pipeline, a cursor, a v1 call or a legacy query.
// Runs can stop when a namespace's write lock is held by another stream and resume where they stopped,
// so nothing already executed runs twice. Worker thread only.

#include "executor.h"
#include "protocol.h"
#include "resultencoder.h"

#include "http/response.h"
#include "ns/namespaceconfig.h"

#include <QHash>
#include <QString>

#include <chrono>
#include <functional>
#include <optional>
#include <variant>

namespace qsqld::hrana {

// Progress through one batch; shared by pipeline batches, cursors and /v1/batch.
struct BatchProgress
{
    std::vector<sql::StatementInfo> infos;
    size_t step = 0;
    std::vector<bool> ok;
    BatchResult result;
    qsizetype totalSize = 0;
    bool timedOut = false; // every step fails with TRANSACTION_TIMEOUT
    // A Turso Sync push (its batch acknowledges into turso_sync_last_change_id): once a step fails, the COMMIT
    // step rolls back instead, so a phone's changes are never half applied and then dropped by the client.
    std::optional<bool> syncPush;
    std::optional<Error> pushFailure;
};

enum class BatchState { Done, Park, TooLarge };

// Resolves and analyzes every step before anything runs (sqld's rule). A ProtocolError is a whole-request 400;
// an Error fails the batch request.
// `failedStep` (optional) receives the index of the step an Error belongs to.
std::variant<BatchProgress, Error, ProtocolError> prepareBatch(const Batch &batch, const Executor &exec,
                                                              Version version, const AccessContext &access,
                                                              size_t *failedStep = nullptr);

// Runs steps from `p.step` on. `onStep(step, outcome)` sees each executed step (cursor output), `onSkip` skipped ones.
BatchState advanceBatch(BatchProgress &p, const Batch &batch, Executor &exec, qint64 maxResponseSize,
                        const std::function<void(size_t, StmtOutcome &)> &onStep);

struct LegacyStatement
{
    sql::StatementInfo info;
    Stmt stmt; // arguments
};

struct PipelineRun
{
    enum class Kind { Pipeline, Cursor, V1Execute, V1Batch, Legacy };
    Kind kind = Kind::Pipeline;
    Version version = Version::V2;
    QString ns;
    ns::NamespaceConfig config;
    AccessContext access;
    http::ReplyChannel reply;
    std::shared_ptr<db::CancelToken> cancel;
    std::chrono::steady_clock::time_point parkedSince;
    std::unique_ptr<Session> ownSession; // v1 and legacy: a session of their own, returned when done

    // Pipeline and cursor
    PipelineRequest req;
    Batch cursorBatch;
    quint64 streamId = 0;
    bool streamClosed = false;
    size_t next = 0;
    std::unique_ptr<ResultEncoder> encoder = makeEncoder(Encoding::Json); // results, as they are produced
    QHash<qint32, QByteArray> closedSql; // stored SQL texts after `close` (store_sql/close_sql still work)
    std::optional<BatchProgress> batch;  // the batch in progress
    QList<sql::StatementInfo> seqStmts;  // the sequence in progress
    qsizetype seqIndex = -1;
    bool cursorHeaderDone = false;

    // v1
    Stmt v1Stmt;
    Batch v1Batch;
    std::optional<sql::StatementInfo> v1Info;

    // WebSocket: the stream is given, and the results go to `wsDone` instead of an HTTP body
    std::function<void(std::vector<QByteArray>, QByteArray)> wsDone;

    // legacy POST /
    std::vector<LegacyStatement> legacy;
    std::vector<QByteArray> legacyOut;
    size_t legacyNext = 0;
};

} // namespace qsqld::hrana
