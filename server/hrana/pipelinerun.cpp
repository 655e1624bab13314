#include "pipelinerun.h"

#include "engine.h"
#include "jsondecode.h"
#include "jsonencode.h"
#include "legacy.h"
#include "namespacedb.h"
#include "protobufcodec.h"

namespace qsqld::hrana {

using namespace std::chrono;

namespace {

constexpr int MAX_STORED_SQL = 50;          // per HTTP stream, as sqld
constexpr qsizetype MAX_STORED_SQL_BYTES = 64 * 1024; // sqld: 5000 bytes; raised (spec §16.5)

bool usesIsAutocommit(const BatchCond &c)
{
    if (c.type == BatchCond::Type::IsAutocommit)
        return true;
    for (const BatchCond &sub : c.conds) {
        if (usesIsAutocommit(sub))
            return true;
    }
    return false;
}

http::Response protocolErrorResponse(const ProtocolError &pe)
{
    return pe.jsonError ? http::Response::error(pe.status, pe.message) : http::Response::text(pe.status, pe.message);
}

bool condRefsValid(const BatchCond &c, size_t current)
{
    switch (c.type) {
    case BatchCond::Type::Ok:
    case BatchCond::Type::Error:
        return c.step < current;
    case BatchCond::Type::IsAutocommit:
        return true;
    default:
        for (const BatchCond &sub : c.conds) {
            if (!condRefsValid(sub, current))
                return false;
        }
        return true;
    }
}

bool evalCond(const BatchCond &c, const std::vector<bool> &ok, bool autocommit)
{
    switch (c.type) {
    case BatchCond::Type::Ok: return ok[c.step];
    case BatchCond::Type::Error: return !ok[c.step]; // true for a skipped step too, as sqld
    case BatchCond::Type::Not: return !evalCond(c.conds.front(), ok, autocommit);
    case BatchCond::Type::And:
        for (const BatchCond &sub : c.conds) {
            if (!evalCond(sub, ok, autocommit))
                return false;
        }
        return true;
    case BatchCond::Type::Or:
        for (const BatchCond &sub : c.conds) {
            if (evalCond(sub, ok, autocommit))
                return true;
        }
        return false;
    case BatchCond::Type::IsAutocommit: return autocommit;
    }
    return false;
}

// v1 endpoints answer statement errors with an HTTP status that depends on the error (spec §11.2).
int v1Status(const Error &e)
{
    if (e.code == "ARGS_BOTH_POSITIONAL_AND_NAMED")
        return 501;
    if (e.code == "TRANSACTION_TIMEOUT" || e.code == "TRANSACTION_BUSY")
        return 503;
    if (e.code.startsWith("SQLITE_"))
        return 500;
    return 400;
}

} // namespace

std::variant<BatchProgress, Error, ProtocolError> prepareBatch(const Batch &batch, const Executor &exec,
                                                              Version version, const AccessContext &access,
                                                              size_t *failedStep)
{
    BatchProgress p;
    p.infos.reserve(batch.steps.size());
    for (size_t i = 0; i < batch.steps.size(); ++i) {
        const BatchStep &step = batch.steps[i];
        if (step.condition && !condRefsValid(*step.condition, i))
            return ProtocolError{"Invalid reference to step in a batch condition"};
        if (step.condition && version < Version::V3 && usesIsAutocommit(*step.condition))
            return ProtocolError{notSupported("BatchCond of type `is_autocommit`", Version::V3)};
        auto text = exec.resolveSql(step.stmt.sql, step.stmt.sqlId);
        if (auto *pe = std::get_if<ProtocolError>(&text))
            return *pe;
        auto info = exec.analyze(std::get<QByteArray>(text));
        if (failedStep)
            *failedStep = i;
        if (auto *err = std::get_if<Error>(&info))
            return *err;
        if (!step.stmt.args.empty() && !step.stmt.namedArgs.empty())
            return Error{"Specifying both positional and named arguments is not supported",
                         "ARGS_BOTH_POSITIONAL_AND_NAMED"};
        if (auto forbidden = forbiddenStatement(std::get<sql::StatementInfo>(info), access))
            return *forbidden;
        p.infos.push_back(std::get<sql::StatementInfo>(std::move(info)));
    }
    p.ok.assign(batch.steps.size(), false);
    p.result.stepResults.resize(batch.steps.size());
    p.result.stepErrors.resize(batch.steps.size());
    return p;
}

namespace {

QByteArray normalizedSql(const Stmt &stmt)
{
    QByteArray sql = stmt.sql.value_or(QByteArray()).trimmed().toUpper();
    while (sql.endsWith(';'))
        sql.chop(1);
    return sql.trimmed();
}

// The push batch of @tursodatabase/sync: BEGIN, the changes, the upsert into turso_sync_last_change_id, COMMIT.
bool isSyncPush(const Batch &batch)
{
    for (const BatchStep &step : batch.steps) {
        const QByteArray sql = normalizedSql(step.stmt);
        if (sql.startsWith("INSERT") && sql.contains("TURSO_SYNC_LAST_CHANGE_ID"))
            return true;
    }
    return false;
}

// A push may re-add a column it added before; SQLite's refusal of the duplicate is harmless.
bool toleratedPushError(const Stmt &stmt, const Error &e)
{
    return normalizedSql(stmt).startsWith("ALTER TABLE") && e.message.contains("duplicate column name");
}

} // namespace

BatchState advanceBatch(BatchProgress &p, const Batch &batch, Executor &exec, qint64 maxResponseSize,
                        const std::function<void(size_t, StmtOutcome &)> &onStep)
{
    if (!p.syncPush)
        p.syncPush = isSyncPush(batch);
    for (; p.step < batch.steps.size(); ++p.step) {
        const BatchStep &step = batch.steps[p.step];
        if (step.condition && !evalCond(*step.condition, p.ok, exec.connection().isAutocommit()))
            continue;
        StmtOutcome out;
        if (p.timedOut) {
            out.status = StepStatus::Error;
            out.error = errors::transactionTimeout();
        } else if (*p.syncPush && p.pushFailure && normalizedSql(step.stmt) == "COMMIT") {
            exec.connection().exec("ROLLBACK");
            out.status = StepStatus::Error;
            out.error = Error("The push was rolled back, nothing of it is applied: " + p.pushFailure->message,
                              p.pushFailure->code);
        } else {
            out = exec.run(p.infos[p.step], step.stmt, step.stmt.wantRows);
            if (out.status == StepStatus::Busy && exec.connection().isAutocommit())
                return BatchState::Park;
            if (out.status == StepStatus::Error && out.error.code == "RESPONSE_TOO_LARGE")
                return BatchState::TooLarge;
            p.totalSize += out.result.estimatedSize;
            if (p.totalSize > maxResponseSize)
                return BatchState::TooLarge;
        }
        if (onStep)
            onStep(p.step, out);
        if (out.status == StepStatus::Ok) {
            p.ok[p.step] = true;
            p.result.stepResults[p.step] = std::move(out.result);
        } else {
            if (*p.syncPush && !p.pushFailure && !toleratedPushError(step.stmt, out.error))
                p.pushFailure = out.error;
            p.result.stepErrors[p.step] = std::move(out.error);
        }
    }
    return BatchState::Done;
}

// ---- Entry points -------------------------------------------------------------------------------------------

namespace {

// A run for `job`, or nullptr after answering a decode failure (a 400 text protocol error).
template<typename T>
std::unique_ptr<PipelineRun> startRun(Job &job, Decoded<T> &decoded, PipelineRun::Kind kind, Version version,
                                      T **payload)
{
    if (auto *err = std::get_if<DecodeError>(&decoded)) {
        job.reply(http::Response::text(400, err->message));
        return nullptr;
    }
    auto run = std::make_unique<PipelineRun>();
    run->kind = kind;
    run->version = version;
    run->ns = job.ns;
    run->config = std::move(job.config);
    run->access = std::move(job.access);
    run->reply = std::move(job.reply);
    run->cancel = std::move(job.cancel);
    *payload = &std::get<T>(decoded);
    return run;
}

} // namespace

void Engine::pipeline(Job job, Version version, Encoding encoding)
{
    auto decoded = encoding == Encoding::Protobuf ? decodePipelineProto(job.body) : decodePipeline(job.body, version);
    PipelineRequest *req = nullptr;
    if (auto run = startRun(job, decoded, PipelineRun::Kind::Pipeline, version, &req)) {
        run->encoder = makeEncoder(encoding);
        run->req = std::move(*req);
        runPipeline(std::move(run));
    }
}

void Engine::cursor(Job job, Encoding encoding)
{
    auto decoded = encoding == Encoding::Protobuf ? decodeCursorProto(job.body) : decodeCursor(job.body);
    CursorRequest *req = nullptr;
    if (auto run = startRun(job, decoded, PipelineRun::Kind::Cursor, Version::V3, &req)) {
        run->encoder = makeEncoder(encoding);
        run->req.baton = std::move(req->baton);
        run->cursorBatch = std::move(req->batch);
        runPipeline(std::move(run));
    }
}

void Engine::v1Execute(Job job)
{
    auto decoded = decodeV1Execute(job.body);
    Stmt *stmt = nullptr;
    if (auto run = startRun(job, decoded, PipelineRun::Kind::V1Execute, Version::V1, &stmt)) {
        run->v1Stmt = std::move(*stmt);
        runPipeline(std::move(run));
    }
}

void Engine::v1Batch(Job job)
{
    auto decoded = decodeV1Batch(job.body);
    Batch *batch = nullptr;
    if (auto run = startRun(job, decoded, PipelineRun::Kind::V1Batch, Version::V1, &batch)) {
        run->v1Batch = std::move(*batch);
        runPipeline(std::move(run));
    }
}

void Engine::legacyQuery(Job job)
{
    auto parsed = legacy::decode(job.body, job.access);
    if (auto *resp = std::get_if<http::Response>(&parsed)) {
        job.reply(std::move(*resp));
        return;
    }
    auto run = std::make_unique<PipelineRun>();
    run->kind = PipelineRun::Kind::Legacy;
    run->ns = job.ns;
    run->config = std::move(job.config);
    run->access = std::move(job.access);
    run->reply = std::move(job.reply);
    run->cancel = std::move(job.cancel);
    run->legacy = std::get<std::vector<LegacyStatement>>(std::move(parsed));
    runPipeline(std::move(run));
}

quint64 Engine::openPinnedStream(const QString &ns, const ns::NamespaceConfig &config, QByteArray *error)
{
    if (NamespaceDb *db = namespaceDb(ns, true, error))
        db->config = config;
    else
        return 0;
    Stream *s = newStream(ns, error);
    if (!s)
        return 0;
    s->pinned = true;
    return s->id;
}

void Engine::closePinnedStream(quint64 id)
{
    destroyStream(id, false);
}

bool Engine::streamAutocommit(quint64 id) const
{
    const auto it = m_streams.find(id);
    return it == m_streams.end() || !it->second.session || it->second.session->conn.isAutocommit();
}

quint64 Engine::proxyStream(const QString &ns, const QByteArray &clientId, const ns::NamespaceConfig &config,
                            QByteArray *error)
{
    constexpr int MAX_PROXY_STREAMS = 1024; // per worker; idle ones expire after 30 s
    const QByteArray key = ns.toUtf8() + '\0' + clientId;
    if (const quint64 id = m_proxyStreams.value(key); id && m_streams.count(id))
        return id;
    if (m_proxyStreams.size() >= MAX_PROXY_STREAMS) {
        *error = "too many replica connections are open; retry in 30 seconds";
        return 0;
    }
    const quint64 id = openPinnedStream(ns, config, error);
    if (id) {
        m_streams[id].proxyClient = key;
        m_proxyStreams.insert(key, id);
    }
    return id;
}

void Engine::closeProxyStream(const QString &ns, const QByteArray &clientId)
{
    if (const quint64 id = m_proxyStreams.value(ns.toUtf8() + '\0' + clientId))
        destroyStream(id, false);
}

repl::ReplicationLog *Engine::replicationLog(const QString &ns, QByteArray *error)
{
    NamespaceDb *db = namespaceDb(ns, ns == u"default", error);
    if (db && !db->log)
        *error = db->logError;
    return db ? db->log.get() : nullptr;
}

void Engine::runOnStream(Job job, quint64 id, Version version, std::unique_ptr<ResultEncoder> encoder,
                         std::vector<StreamRequest> requests, WsDone done)
{
    runOnStream(std::move(job), id, version, Encoding::Json, std::move(requests), std::nullopt, std::move(done),
                std::move(encoder));
}

void Engine::runOnStream(Job job, quint64 id, Version version, Encoding encoding,
                         std::vector<StreamRequest> requests, std::optional<Batch> cursor, WsDone done,
                         std::unique_ptr<ResultEncoder> encoder)
{
    auto run = std::make_unique<PipelineRun>();
    if (encoder)
        run->encoder = std::move(encoder);
    else if (encoding != Encoding::Json)
        run->encoder = makeEncoder(encoding);
    run->kind = cursor ? PipelineRun::Kind::Cursor : PipelineRun::Kind::Pipeline;
    run->version = version;
    run->ns = job.ns;
    run->config = std::move(job.config);
    run->access = std::move(job.access);
    run->cancel = std::move(job.cancel);
    run->wsDone = std::move(done);
    auto it = m_streams.find(id);
    if (it == m_streams.end() || !it->second.pinned || it->second.inUse) {
        run->wsDone({}, "Stream " + QByteArray::number(id) + " is not open");
        return;
    }
    it->second.inUse = true;
    run->streamId = id;
    run->req.requests = std::move(requests);
    if (cursor)
        run->cursorBatch = std::move(*cursor);
    runPipeline(std::move(run));
}

// ---- Running ------------------------------------------------------------------------------------------------

ExecLimits Engine::limitsFor(const PipelineRun &run) const
{
    ExecLimits limits = m_limits;
    limits.cancel = run.cancel;
    if (NamespaceDb *db = m_namespaces.value(run.ns)) {
        limits.stats = &db->stats;
        limits.config = &db->config;
        limits.dbRoot = m_config.dbRoot;
        limits.analysis = &m_analysis;
        db->activitySent = false;
    }
    return limits;
}

void Engine::failPipeline(PipelineRun &run, http::Response response)
{
    if (run.wsDone) {
        // On a WebSocket a whole-request failure ends the connection (which closes its streams).
        if (run.streamId && m_streams.count(run.streamId))
            m_streams[run.streamId].inUse = false;
        run.wsDone({}, response.body.isEmpty() ? QByteArray("Internal server error") : response.body);
        run.wsDone = nullptr;
        run.reply = nullptr;
        return;
    }
    if (run.streamId)
        destroyStream(run.streamId, false);
    run.streamId = 0;
    if (run.ownSession)
        returnSession(run.ns, std::move(run.ownSession));
    if (run.reply)
        run.reply(std::move(response));
    run.reply = nullptr;
}

void Engine::park(std::unique_ptr<PipelineRun> run)
{
    run->parkedSince = steady_clock::now();
    m_waiting.push_back(std::move(run));
}

void Engine::resumeWaiters(const QString &ns)
{
    if (m_waiting.empty() || namespaceWriteLocked(ns, nullptr))
        return;
    std::deque<std::unique_ptr<PipelineRun>> mine;
    for (auto it = m_waiting.begin(); it != m_waiting.end();) {
        if ((*it)->ns == ns) {
            mine.push_back(std::move(*it));
            it = m_waiting.erase(it);
        } else {
            ++it;
        }
    }
    for (auto &run : mine) {
        const auto since = run->parkedSince;
        runPipeline(std::move(run));
        // A run that parks again keeps its original waiting time, so the lock holder's timeout still applies.
        if (!m_waiting.empty() && m_waiting.back()->ns == ns && m_waiting.back()->parkedSince > since)
            m_waiting.back()->parkedSince = since;
    }
}

void Engine::runPipeline(std::unique_ptr<PipelineRun> run)
{
    using K = PipelineRun::Kind;
    QByteArray error;
    // The registry vouched for the namespace; its folder may still be missing (created lazily, as sqld does).
    NamespaceDb *nsdb = namespaceDb(run->ns, true, &error);
    if (!nsdb)
        return failPipeline(*run, http::Response::error(500, error));
    nsdb->config = run->config;

    // v1 and legacy: a stateless session of their own.
    if (run->kind == K::V1Execute || run->kind == K::V1Batch || run->kind == K::Legacy) {
        if (!run->ownSession) {
            run->ownSession = takeSession(run->ns, &error);
            if (!run->ownSession) {
                failPipeline(*run, http::Response::error(error.contains("doesn't exist") ? 404 : 500, error));
                return;
            }
        }
        configure(*run->ownSession, nsdb->config);
        Executor exec(*run->ownSession, limitsFor(*run));
        if (run->kind == K::Legacy) {
            if (legacy::run(*run, exec) == BatchState::Park)
                return park(std::move(run));
            http::Response resp = legacy::encode(*run);
            returnSession(run->ns, std::move(run->ownSession));
            run->reply(std::move(resp));
            return;
        }
        if (run->kind == K::V1Execute) {
            if (!run->v1Info) {
                if (run->v1Stmt.sqlId) // Hrana 1 has no stored SQL
                    return failPipeline(*run, http::Response::text(400, "Either `sql` or `sql_id` are required"));
                auto text = exec.resolveSql(run->v1Stmt.sql, std::nullopt);
                if (auto *pe = std::get_if<ProtocolError>(&text))
                    return failPipeline(*run, protocolErrorResponse(*pe));
                auto info = exec.analyze(std::get<QByteArray>(text));
                if (auto *e = std::get_if<Error>(&info))
                    return failPipeline(*run, http::Response::json(v1Status(*e), errorJson(*e)));
                if (auto forbidden = forbiddenStatement(std::get<sql::StatementInfo>(info), run->access))
                    return failPipeline(*run, protocolErrorResponse(*forbidden));
                run->v1Info = std::get<sql::StatementInfo>(std::move(info));
            }
            StmtOutcome out = exec.run(*run->v1Info, run->v1Stmt, run->v1Stmt.wantRows);
            if (out.status == StepStatus::Busy && exec.connection().isAutocommit())
                return park(std::move(run));
            if (out.status != StepStatus::Ok)
                return failPipeline(*run, http::Response::json(v1Status(out.error), errorJson(out.error)));
            util::JsonWriter w;
            w.beginObject();
            w.key("result");
            writeStmtResult(w, out.result);
            w.endObject();
            returnSession(run->ns, std::move(run->ownSession));
            run->reply(http::Response::json(200, w.take()));
            return;
        }
        // V1Batch
        if (!run->batch) {
            auto prepared = prepareBatch(run->v1Batch, exec, Version::V1, run->access);
            if (auto *pe = std::get_if<ProtocolError>(&prepared))
                return failPipeline(*run, protocolErrorResponse(*pe));
            if (auto *e = std::get_if<Error>(&prepared))
                return failPipeline(*run, http::Response::json(v1Status(*e), errorJson(*e)));
            run->batch = std::get<BatchProgress>(std::move(prepared));
        }
        switch (advanceBatch(*run->batch, run->v1Batch, exec, m_limits.maxResponseSize, {})) {
        case BatchState::Park: return park(std::move(run));
        case BatchState::TooLarge:
            return failPipeline(*run, http::Response::json(400, errorJson(errors::responseTooLarge())));
        case BatchState::Done: break;
        }
        util::JsonWriter w;
        w.beginObject();
        w.key("result");
        writeBatchResult(w, run->batch->result);
        w.endObject();
        returnSession(run->ns, std::move(run->ownSession));
        run->reply(http::Response::json(200, w.take()));
        return;
    }

    // Pipeline and cursor: acquire the stream on first entry.
    if (!run->streamId && !run->streamClosed) {
        if (run->req.baton) {
            Stream *s = nullptr;
            switch (lookupBaton(*run->req.baton, run->ns, &s)) {
            case BatonStatus::Ok: break;
            case BatonStatus::Invalid:
                return failPipeline(*run, http::Response::text(400, "Received an invalid baton"));
            case BatonStatus::Reused:
                return failPipeline(*run, http::Response::text(400, "Received a baton that has already been used"));
            case BatonStatus::WrongNamespace:
                return failPipeline(*run, http::Response::text(400, "The baton belongs to a stream of another namespace"));
            case BatonStatus::Expired:
                return failPipeline(*run, run->encoder->streamExpired());
            }
            run->streamId = s->id;
        } else {
            Stream *s = newStream(run->ns, &error);
            if (!s)
                return failPipeline(*run, http::Response::error(error.contains("doesn't exist") ? 404 : 500, error));
            run->streamId = s->id;
        }
        m_streams[run->streamId].inUse = true;
    }
    if (run->streamId)
        configure(*m_streams[run->streamId].session, nsdb->config);

    if (run->kind == K::Cursor) {
        Stream &stream = m_streams[run->streamId];
        Executor exec(*stream.session, limitsFor(*run));
        if (!run->batch) {
            size_t failedStep = 0;
            auto prepared = prepareBatch(run->cursorBatch, exec, Version::V3, run->access, &failedStep);
            if (auto *pe = std::get_if<ProtocolError>(&prepared))
                return failPipeline(*run, protocolErrorResponse(*pe));
            if (auto *e = std::get_if<Error>(&prepared)) {
                // qsqld: a step sqld's parser refuses gets a clean step_error entry instead of a 500.
                run->encoder->stepError(failedStep, *e);
                run->batch.emplace();
                run->batch->step = run->cursorBatch.steps.size();
            } else {
                run->batch = std::get<BatchProgress>(std::move(prepared));
                run->batch->timedOut = std::exchange(stream.session->txnTimedOut, false);
            }
        }
        const auto state = advanceBatch(*run->batch, run->cursorBatch, exec, m_limits.maxResponseSize,
                                        [&run](size_t step, StmtOutcome &out) {
            // An error before the statement started is only a step_error; one while stepping follows the
            // step_begin and the rows produced so far (sqld's entry order).
            ResultEncoder &enc = *run->encoder;
            if (out.status != StepStatus::Ok && !out.started)
                return enc.stepError(step, out.error);
            enc.stepBegin(step, out.result.cols);
            for (const auto &row : out.result.rows)
                enc.row(row);
            if (out.status != StepStatus::Ok)
                enc.stepError(step, out.error);
            else
                enc.stepEnd(out.result.affectedRowCount, out.result.lastInsertRowid);
            out.result.rows.clear(); // already written; keep memory flat
        });
        if (state == BatchState::Park)
            return park(std::move(run));
        if (state == BatchState::TooLarge)
            run->encoder->cursorError(errors::responseTooLarge());
        finishPipeline(*run);
        return;
    }

    // Pipeline requests, from where the run stopped.
    for (; run->next < run->req.requests.size(); ++run->next) {
        const StreamRequest &r = run->req.requests[run->next];
        using T = StreamRequest::Type;
        if (r.type == T::Close) {
            if (run->streamId && m_streams.count(run->streamId))
                run->closedSql = m_streams[run->streamId].session->storedSql;
            if (run->streamId)
                destroyStream(run->streamId, false);
            run->streamId = 0;
            run->streamClosed = true;
            run->encoder->close();
            continue;
        }
        if (run->streamClosed && (r.type == T::StoreSql || r.type == T::CloseSql)) {
            // These touch no database, so they still work after close (sqld keeps the texts with the stream).
            if (r.type == T::StoreSql && run->closedSql.contains(*r.sqlId))
                return failPipeline(*run, http::Response::text(400, "SQL text " + QByteArray::number(*r.sqlId)
                                                                      + " already exists"));
            if (r.type == T::StoreSql)
                run->closedSql.insert(*r.sqlId, *r.sql);
            else
                run->closedSql.remove(*r.sqlId);
            r.type == T::StoreSql ? run->encoder->storeSql() : run->encoder->closeSql();
            continue;
        }
        if (run->streamClosed)
            return failPipeline(*run, http::Response::text(400, "Stream for this baton was closed"));
        Stream &stream = m_streams[run->streamId];
        Session &session = *stream.session;
        Executor exec(session, limitsFor(*run));

        switch (r.type) {
        case T::Execute: {
            auto text = exec.resolveSql(r.stmt.sql, r.stmt.sqlId);
            if (auto *pe = std::get_if<ProtocolError>(&text))
                return failPipeline(*run, protocolErrorResponse(*pe));
            auto info = exec.analyze(std::get<QByteArray>(text));
            if (auto *e = std::get_if<Error>(&info)) {
                run->encoder->error(*e);
                break;
            }
            if (auto forbidden = forbiddenStatement(std::get<sql::StatementInfo>(info), run->access))
                return failPipeline(*run, protocolErrorResponse(*forbidden));
            if (std::exchange(session.txnTimedOut, false)) {
                run->encoder->error(errors::transactionTimeout());
                break;
            }
            StmtOutcome out = exec.run(std::get<sql::StatementInfo>(info), r.stmt, r.stmt.wantRows);
            if (out.status == StepStatus::Busy && session.conn.isAutocommit())
                return park(std::move(run));
            if (out.status != StepStatus::Ok) {
                run->encoder->error(out.error);
                break;
            }
            run->encoder->execute(out.result);
            break;
        }
        case T::Batch: {
            if (!run->batch) {
                // Over HTTP, is_autocommit conditions are accepted on /v2/pipeline too: @tursodatabase/sync pushes
                // there with `not is_autocommit` (sqld answers 400). WebSocket hrana2 stays strict.
                const Version condVersion = run->wsDone ? run->version : std::max(run->version, Version::V3);
                auto prepared = prepareBatch(r.batch, exec, condVersion, run->access);
                if (auto *pe = std::get_if<ProtocolError>(&prepared))
                    return failPipeline(*run, protocolErrorResponse(*pe));
                if (auto *e = std::get_if<Error>(&prepared)) {
                    run->encoder->error(*e);
                    break;
                }
                run->batch = std::get<BatchProgress>(std::move(prepared));
                run->batch->timedOut = std::exchange(session.txnTimedOut, false);
            }
            const auto state = advanceBatch(*run->batch, r.batch, exec, m_limits.maxResponseSize, {});
            if (state == BatchState::Park)
                return park(std::move(run));
            if (state == BatchState::TooLarge)
                run->encoder->error(errors::responseTooLarge());
            else
                run->encoder->batch(run->batch->result);
            run->batch.reset();
            break;
        }
        case T::Sequence: {
            if (run->seqIndex < 0) {
                auto text = exec.resolveSql(r.sql, r.sqlId);
                if (auto *pe = std::get_if<ProtocolError>(&text))
                    return failPipeline(*run, protocolErrorResponse(*pe));
                auto analyzed = sql::analyze(std::get<QByteArray>(text));
                if (auto *ae = std::get_if<sql::AnalysisError>(&analyzed)) {
                    run->encoder->error(errors::parse(ae->message));
                    break;
                }
                run->seqStmts = std::get<QList<sql::StatementInfo>>(std::move(analyzed));
                for (const sql::StatementInfo &st : std::as_const(run->seqStmts)) {
                    if (auto forbidden = forbiddenStatement(st, run->access))
                        return failPipeline(*run, protocolErrorResponse(*forbidden));
                }
                run->seqIndex = 0;
            }
            std::optional<Error> failed;
            for (; run->seqIndex < run->seqStmts.size(); ++run->seqIndex) {
                StmtOutcome out = exec.run(run->seqStmts[run->seqIndex], Stmt{}, false);
                if (out.status == StepStatus::Busy && session.conn.isAutocommit())
                    return park(std::move(run));
                if (out.status != StepStatus::Ok) {
                    failed = std::move(out.error);
                    break;
                }
            }
            run->seqIndex = -1;
            run->seqStmts.clear();
            failed ? run->encoder->error(*failed) : run->encoder->sequence();
            break;
        }
        case T::Describe: {
            auto text = exec.resolveSql(r.sql, r.sqlId);
            if (auto *pe = std::get_if<ProtocolError>(&text))
                return failPipeline(*run, protocolErrorResponse(*pe));
            Error err;
            DescribeResult d = exec.describe(std::get<QByteArray>(text), &err);
            if (!err.code.isEmpty())
                run->encoder->error(err);
            else
                run->encoder->describe(d);
            break;
        }
        case T::StoreSql: {
            if (session.storedSql.contains(*r.sqlId))
                return failPipeline(*run, http::Response::text(400, "SQL text " + QByteArray::number(*r.sqlId)
                                                                      + " already exists"));
            if (session.storedSql.size() >= MAX_STORED_SQL) {
                run->encoder->error({"The server already stores " + QByteArray::number(MAX_STORED_SQL)
                                                        + " SQL texts, it cannot store more",
                                                    "SQL_STORE_TOO_MANY"});
                break;
            }
            if (r.sql->size() > MAX_STORED_SQL_BYTES) {
                run->encoder->error({"The statement is too large to be stored: "
                                                        + QByteArray::number(r.sql->size()) + "/"
                                                        + QByteArray::number(MAX_STORED_SQL_BYTES) + " bytes",
                                                    "SQL_STORE_TOO_LARGE"});
                break;
            }
            session.storedSql.insert(*r.sqlId, *r.sql);
            run->encoder->storeSql();
            break;
        }
        case T::CloseSql:
            session.storedSql.remove(*r.sqlId);
            run->encoder->closeSql();
            break;
        case T::GetAutocommit: {
            if (run->version < Version::V3)
                return failPipeline(*run, http::Response::text(400, notSupported("The `get_autocommit` request",
                                                                                 Version::V3)));
            const bool autocommit = session.conn.isAutocommit();
            run->encoder->getAutocommit(autocommit);
            break;
        }
        case T::Close:
            break;
        }
    }
    finishPipeline(*run);
}

void Engine::finishPipeline(PipelineRun &run)
{
    if (run.wsDone) {
        if (run.streamId && m_streams.count(run.streamId)) {
            Stream &s = m_streams[run.streamId];
            s.inUse = false;
            s.lastUsed = steady_clock::now();
        }
        run.wsDone(run.encoder->takeResults(), {});
        run.wsDone = nullptr;
        resumeWaiters(run.ns);
        return;
    }
    std::optional<QByteArray> baton;
    if (run.streamId) {
        Stream &s = m_streams[run.streamId];
        s.inUse = false;
        s.seq += 1;
        s.lastUsed = steady_clock::now();
        baton = makeBaton(s);
    }
    const std::optional<QByteArray> baseUrl = m_config.baseUrl.isEmpty() ? std::nullopt
                                                                         : std::optional<QByteArray>(m_config.baseUrl);
    run.reply(run.kind == PipelineRun::Kind::Cursor ? run.encoder->finishCursor(baton, baseUrl)
                                                    : run.encoder->finishPipeline(baton, baseUrl));
    run.reply = nullptr;
    if (run.streamId)
        resumeWaiters(run.ns);
}

} // namespace qsqld::hrana
