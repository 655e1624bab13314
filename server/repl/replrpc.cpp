#include "replrpc.h"

#include "bincode.h"
#include "frame.h"
#include "grpcweb.h"
#include "replicationlog.h"

#include "proxy.pb.h"
#include "wal_log.pb.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QtEndian>

#include <fcntl.h>
#include <unistd.h>

namespace qsqld::repl {

namespace {

constexpr int BATCH_SOFT_MAX = 1024; // frames per BatchLogEntries answer, extended to the end of a transaction

// Replica statements are Hrana statements; conditions may use is_autocommit, a Hrana 3 feature.
constexpr hrana::Version VERSION = hrana::Version::V3;

template<typename Message>
bool parse(const hrana::Job &job, Message *msg, http::Response *error)
{
    QByteArray why;
    const std::optional<QByteArray> body = decodeUnaryRequest(job.body, &why);
    if (!body) {
        *error = grpcError(GrpcCode::INVALID_ARGUMENT, why);
        return false;
    }
    if (!msg->ParseFromArray(body->constData(), static_cast<int>(body->size()))) {
        *error = grpcError(GrpcCode::INVALID_ARGUMENT, "invalid protobuf message");
        return false;
    }
    return true;
}

QByteArray serialize(const google::protobuf::MessageLite &m)
{
    QByteArray out(static_cast<qsizetype>(m.ByteSizeLong()), Qt::Uninitialized);
    m.SerializeToArray(out.data(), static_cast<int>(out.size()));
    return out;
}

ReplicationLog *logOf(hrana::Engine &e, const hrana::Job &job)
{
    QByteArray error;
    ReplicationLog *log = e.replicationLog(job.ns, &error);
    if (!log)
        job.reply(grpcError(GrpcCode::UNAVAILABLE, "replication is not available: " + error));
    else if (!log->healthy())
        job.reply(grpcError(GrpcCode::UNAVAILABLE, "the replication log is being rebuilt; retry after a restart"));
    return log && log->healthy() ? log : nullptr;
}

void putVarint(QByteArray &out, quint64 v)
{
    while (v >= 0x80) {
        out.append(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.append(static_cast<char>(v));
}

// ---- proxy.Proxy: replica statements as a Hrana batch on the client's own stream ----

bool toCond(const proxy::Cond &in, hrana::BatchCond *out)
{
    using T = hrana::BatchCond::Type;
    auto list = [out](const auto &conds) {
        out->conds.resize(static_cast<size_t>(conds.size()));
        for (int i = 0; i < conds.size(); ++i) {
            if (!toCond(conds.Get(i), &out->conds[static_cast<size_t>(i)]))
                return false;
        }
        return true;
    };
    switch (in.cond_case()) {
    case proxy::Cond::kOk:
        out->type = T::Ok;
        out->step = static_cast<quint32>(in.ok().step());
        return in.ok().step() >= 0;
    case proxy::Cond::kErr:
        out->type = T::Error;
        out->step = static_cast<quint32>(in.err().step());
        return in.err().step() >= 0;
    case proxy::Cond::kNot:
        out->type = T::Not;
        out->conds.resize(1);
        return toCond(in.not_().cond(), &out->conds[0]);
    case proxy::Cond::kAnd:
        out->type = T::And;
        return list(in.and_().conds());
    case proxy::Cond::kOr:
        out->type = T::Or;
        return list(in.or_().conds());
    case proxy::Cond::kIsAutocommit:
        out->type = T::IsAutocommit;
        return true;
    case proxy::Cond::COND_NOT_SET:
        break;
    }
    return false;
}

bool toBatch(const proxy::Program &pgm, hrana::Batch *out, QByteArray *error)
{
    out->steps.resize(static_cast<size_t>(pgm.steps_size()));
    for (int i = 0; i < pgm.steps_size(); ++i) {
        const proxy::Step &in = pgm.steps(i);
        hrana::BatchStep &step = out->steps[static_cast<size_t>(i)];
        if (in.has_cond()) {
            hrana::BatchCond cond;
            if (!toCond(in.cond(), &cond)) {
                *error = "invalid condition in step " + QByteArray::number(i);
                return false;
            }
            step.condition = std::move(cond);
        }
        const proxy::Query &q = in.query();
        step.stmt.sql = QByteArray::fromStdString(q.stmt());
        step.stmt.wantRows = !q.skip_rows();
        if (q.has_positional()) {
            for (const proxy::Value &v : q.positional().values()) {
                if (!decodeBincodeValue(QByteArrayView(v.data().data(), static_cast<qsizetype>(v.data().size())),
                                        &step.stmt.args.emplace_back(), error))
                    return false;
            }
        } else if (q.has_named()) {
            if (q.named().names_size() != q.named().values_size()) {
                *error = "named parameters: " + QByteArray::number(q.named().names_size()) + " names for "
                    + QByteArray::number(q.named().values_size()) + " values";
                return false;
            }
            for (int k = 0; k < q.named().names_size(); ++k) {
                hrana::NamedArg &arg = step.stmt.namedArgs.emplace_back();
                arg.name = QByteArray::fromStdString(q.named().names(k));
                const std::string &data = q.named().values(k).data();
                if (!decodeBincodeValue(QByteArrayView(data.data(), static_cast<qsizetype>(data.size())), &arg.value,
                                        error))
                    return false;
            }
        } else {
            *error = "step " + QByteArray::number(i) + " has no parameters"; // sqld's rule: one kind is required
            return false;
        }
    }
    return true;
}

void fillError(proxy::Error *out, const hrana::Error &e)
{
    // SQLite failures carry SQLite's own text and extended code, as sqld sends them; others are SQL errors.
    out->set_code(e.extendedCode ? proxy::Error::INTERNAL : proxy::Error::SQL_ERROR);
    out->set_message((e.sqliteMessage.isEmpty() ? e.message : e.sqliteMessage).toStdString());
    out->set_extended_code(e.extendedCode);
}

void fillColumns(google::protobuf::RepeatedPtrField<proxy::Column> *out, const std::vector<hrana::Column> &cols)
{
    for (const hrana::Column &c : cols) {
        proxy::Column *col = out->Add();
        col->set_name(c.name.toStdString());
        if (c.decltype_)
            col->set_decltype_(c.decltype_->toStdString());
    }
}

// Encodes what the engine reports for a replica's Execute (a batch) or Describe (a describe) as proxy messages.
class ProxyEncoder final : public hrana::ResultEncoder
{
public:
    void batch(const hrana::BatchResult &r) override
    {
        proxy::ExecuteResults out;
        const size_t n = std::max(r.stepResults.size(), r.stepErrors.size());
        for (size_t i = 0; i < n; ++i) {
            proxy::QueryResult *q = out.add_results();
            if (i < r.stepErrors.size() && r.stepErrors[i]) {
                fillError(q->mutable_error(), *r.stepErrors[i]);
                continue;
            }
            proxy::ResultRows *rows = q->mutable_row(); // a skipped step still gets an (empty) row
            if (i >= r.stepResults.size() || !r.stepResults[i])
                continue;
            const hrana::StmtResult &s = *r.stepResults[i];
            fillColumns(rows->mutable_column_descriptions(), s.cols);
            for (const auto &row : s.rows) {
                proxy::Row *pr = rows->add_rows();
                for (const hrana::Value &v : row)
                    pr->add_values()->set_data(encodeBincodeValue(v).toStdString());
            }
            rows->set_affected_row_count(s.affectedRowCount);
            if (s.lastInsertRowid)
                rows->set_last_insert_rowid(*s.lastInsertRowid);
        }
        m_result = serialize(out);
    }
    void describe(const hrana::DescribeResult &r) override
    {
        proxy::DescribeResult out;
        proxy::Description *d = out.mutable_description();
        fillColumns(d->mutable_column_descriptions(), r.cols);
        // One name per parameter in SQLite's 1-based order, after an empty first entry ("" for anonymous ones).
        // sqld sends only the named ones, 0-based; the replica client indexes this list with SQLite's 1-based
        // index and aborts the process on named arguments (spec/replication.md 9.1).
        d->add_param_names();
        for (const auto &name : r.params)
            d->add_param_names(name.value_or(QByteArray()).toStdString());
        d->set_param_count(r.params.size());
        m_result = serialize(out);
    }
    void error(const hrana::Error &e) override { m_error = e; }

    // Unused by the replica path.
    void close() override { }
    void execute(const hrana::StmtResult &) override { }
    void sequence() override { }
    void storeSql() override { }
    void closeSql() override { }
    void getAutocommit(bool) override { }
    void stepBegin(size_t, const std::vector<hrana::Column> &) override { }
    void row(const std::vector<hrana::Value> &) override { }
    void stepEnd(quint64, std::optional<qint64>) override { }
    void stepError(size_t, const hrana::Error &) override { }
    void cursorError(const hrana::Error &) override { }
    http::Response finishPipeline(const std::optional<QByteArray> &, const std::optional<QByteArray> &) override
    {
        return {};
    }
    http::Response finishCursor(const std::optional<QByteArray> &, const std::optional<QByteArray> &) override
    {
        return {};
    }
    http::Response streamExpired() override { return {}; }
    // The encoded message, or the request's error as "\0<message>".
    std::vector<QByteArray> takeResults() override
    {
        if (m_error)
            return {'\0' + (m_error->sqliteMessage.isEmpty() ? m_error->message : m_error->sqliteMessage)};
        return {m_result};
    }

private:
    QByteArray m_result;
    std::optional<hrana::Error> m_error;
};

// Runs `request` on the replica client's stream and answers with the encoded result, `finish` adding to it.
void runForClient(hrana::Engine &e, hrana::Job &&job, const std::string &clientId, hrana::StreamRequest request,
                  std::function<QByteArray(QByteArray, quint64 stream)> finish)
{
    QByteArray error;
    const quint64 id = e.proxyStream(job.ns, QByteArray::fromStdString(clientId), job.config, &error);
    if (!id) {
        job.reply(grpcError(GrpcCode::RESOURCE_EXHAUSTED, error));
        return;
    }
    http::ReplyChannel reply = job.reply;
    std::vector<hrana::StreamRequest> requests;
    requests.push_back(std::move(request));
    e.runOnStream(std::move(job), id, VERSION, std::make_unique<ProxyEncoder>(), std::move(requests),
                  [reply, finish = std::move(finish), id](std::vector<QByteArray> results, QByteArray fatal) {
                      if (!fatal.isEmpty()) {
                          // A whole-request failure, as Hrana's {"error": "..."} body: a statement the token may
                          // not run (PERMISSION_DENIED, as sqld) or a malformed program (INVALID_ARGUMENT).
                          const QJsonObject o = QJsonDocument::fromJson(fatal).object();
                          const QByteArray text = o.contains(QLatin1StringView("error"))
                              ? o.value(QLatin1StringView("error")).toString().toUtf8() : fatal;
                          return reply(grpcError(text.startsWith("Authorization forbidden")
                                                     ? GrpcCode::PERMISSION_DENIED : GrpcCode::INVALID_ARGUMENT,
                                                 text));
                      }
                      const QByteArray r = results.empty() ? QByteArray() : results.front();
                      if (r.startsWith('\0'))
                          return reply(grpcError(GrpcCode::PERMISSION_DENIED, r.sliced(1)));
                      reply(grpcOk(finish(r, id)));
                  });
}

// Frames { repeated Frame frames = 1 }, Frame { bytes data = 1 }, written directly without protobuf objects
// (a reply can hold thousands of frames): 3 + 3 bytes of tags and lengths before each 4120-byte frame.
QByteArray framesMessage(const QByteArray &frames)
{
    QByteArray msg;
    msg.reserve(frames.size() / FRAME_SIZE * (FRAME_SIZE + 6));
    for (qsizetype at = 0; at < frames.size(); at += FRAME_SIZE) {
        msg.append('\x0a');
        putVarint(msg, FRAME_SIZE + 3); // the inner field: tag (1 byte), length (2 bytes), data
        msg.append('\x0a');
        putVarint(msg, FRAME_SIZE);
        msg.append(frames.constData() + at, FRAME_SIZE);
    }
    return msg;
}

// A large BatchLogEntries answer, read and sent a chunk at a time on the worker as the connection drains.
struct LogStream : std::enable_shared_from_this<LogStream>
{
    static constexpr quint64 CHUNK = 256; // frames per chunk (about 1 MiB)

    std::unique_ptr<PageReader> reader; // its own descriptor: compaction meanwhile does not move these frames
    quint64 position = 0;               // next frame's position in that file
    quint64 remaining = 0;
    http::StreamSink sink;
    std::function<void(std::function<void()>)> post;
    std::shared_ptr<db::CancelToken> cancel;

    void produce(QByteArray out) // worker thread
    {
        if (cancel && cancel->cancelled)
            return;
        const quint64 n = std::min(CHUNK, remaining);
        QByteArray frames;
        if (!reader->readLogFrames(position, n, &frames)) {
            sink.send(out + trailerFrame({GrpcCode::INTERNAL, "cannot read the replication log"}), true, nullptr);
            return;
        }
        out += framesMessage(frames);
        position += n;
        remaining -= n;
        if (remaining == 0) {
            out += trailerFrame({});
            sink.send(std::move(out), true, nullptr);
            return;
        }
        sink.send(std::move(out), false, [self = shared_from_this()] {
            self->post([self] { self->produce({}); });
        });
    }
};

// One Snapshot call's answer, produced a chunk at a time on the worker as the connection drains: frames with a
// number at or above the offset, in the file's (descending) order, the last one carrying the database size.
// Keeps its own descriptor, so a merge that deletes the file meanwhile does not cut the stream.
struct SnapshotStream : std::enable_shared_from_this<SnapshotStream>
{
    static constexpr quint64 CHUNK = 256; // frames per chunk (about 1 MiB)

    SnapshotStream(SnapshotInfo info_, int fd_, quint64 offset_, http::StreamSink sink_,
                   std::function<void(std::function<void()>)> post_, std::shared_ptr<db::CancelToken> cancel_)
        : info(std::move(info_)), fd(fd_), offset(offset_), sink(std::move(sink_)), post(std::move(post_)),
          cancel(std::move(cancel_))
    {
    }
    ~SnapshotStream() { ::close(fd); }
    SnapshotStream(const SnapshotStream &) = delete;
    SnapshotStream &operator=(const SnapshotStream &) = delete;

    void appendFrame(QByteArray &out, QByteArray frame)
    {
        QByteArray msg;
        msg.reserve(FRAME_SIZE + 3);
        msg.append('\x0a');
        putVarint(msg, FRAME_SIZE);
        msg.append(frame);
        out += dataFrame(msg);
    }
    void produce() // worker thread
    {
        if (cancel && cancel->cancelled)
            return;
        QByteArray out, chunk;
        bool finished = next >= info.frames;
        if (!finished) {
            const quint64 n = std::min(CHUNK, info.frames - next);
            chunk.resize(static_cast<qsizetype>(n) * FRAME_SIZE);
            if (::pread(fd, chunk.data(), static_cast<size_t>(chunk.size()),
                        64 + static_cast<qint64>(next) * FRAME_SIZE) != chunk.size()) {
                sink.send(trailerFrame({GrpcCode::INTERNAL, "cannot read the snapshot"}), true, nullptr);
                return;
            }
            next += n;
            for (qsizetype at = 0; at < chunk.size(); at += FRAME_SIZE) {
                if (FrameHeader::read(chunk.constData() + at).frameNo < offset) {
                    finished = true; // descending order: nothing further qualifies
                    break;
                }
                if (!pending.isEmpty())
                    appendFrame(out, std::move(pending));
                pending = chunk.sliced(at, FRAME_SIZE);
            }
            finished = finished || next >= info.frames;
        }
        if (finished) {
            if (!pending.isEmpty()) { // the last frame commits the snapshot on the replica
                FrameHeader h = FrameHeader::read(pending.constData());
                h.sizeAfter = info.sizeAfter;
                h.write(pending.data());
                appendFrame(out, std::move(pending));
            }
            out += trailerFrame({});
            sink.send(std::move(out), true, nullptr);
            return;
        }
        sink.send(std::move(out), false, [self = shared_from_this()] {
            self->post([self] { self->produce(); });
        });
    }

    SnapshotInfo info;
    int fd;
    quint64 offset;
    http::StreamSink sink;
    std::function<void(std::function<void()>)> post;
    std::shared_ptr<db::CancelToken> cancel;
    quint64 next = 0;   // next frame of the file to read
    QByteArray pending; // the frame held back until we know whether it is the last
};

} // namespace

http::Response grpcOk(const QByteArray &message)
{
    return http::Response{200, "application/grpc-web", dataFrame(message) + trailerFrame({}), {}, false};
}

http::Response grpcError(int code, const QByteArray &message)
{
    http::Response r{200, "application/grpc-web", {}, {}, false};
    r.addHeader("grpc-status", QByteArray::number(code));
    r.addHeader("grpc-message", percentEncodeGrpcMessage(message));
    return r;
}

void hello(hrana::Engine &e, hrana::Job &&job, const ProcessIds &ids)
{
    wal_log::HelloRequest req;
    http::Response bad;
    if (!parse(job, &req, &bad))
        return job.reply(std::move(bad));
    ReplicationLog *log = logOf(e, job);
    if (!log)
        return;
    wal_log::HelloResponse resp;
    resp.set_generation_id(ids.generationId.toStdString());
    resp.set_generation_start_index(0);
    resp.set_log_id(log->logId().toString(QUuid::WithoutBraces).toStdString());
    resp.set_session_token(ids.sessionToken.toStdString());
    if (const auto last = log->lastFrameNo())
        resp.set_current_replication_index(*last);
    resp.mutable_config();
    e.noteReplication(job.ns, 0, false);
    job.reply(grpcOk(serialize(resp)));
}

void batchLogEntries(hrana::Engine &e, hrana::Job &&job, http::StreamSink sink,
                     std::function<void(std::function<void()>)> post)
{
    wal_log::LogOffset req;
    http::Response bad;
    if (!parse(job, &req, &bad))
        return job.reply(std::move(bad));
    if (req.has_wal_flavor() && req.wal_flavor() == wal_log::LogOffset::LIBSQL)
        return job.reply(grpcError(GrpcCode::INVALID_ARGUMENT, "libsql wal not supported"));
    ReplicationLog *log = logOf(e, job);
    if (!log)
        return;
    quint64 count = 0;
    QByteArray error;
    switch (log->batchCount(req.next_offset(), BATCH_SOFT_MAX, &count, &error)) {
    case ReplicationLog::Read::NeedSnapshot:
        return job.reply(grpcError(GrpcCode::FAILED_PRECONDITION, "NEED_SNAPSHOT"));
    case ReplicationLog::Read::Error:
        return job.reply(grpcError(GrpcCode::INTERNAL, error));
    case ReplicationLog::Read::Ok:
        break;
    }
    e.noteReplication(job.ns, count, false);
    auto stream = std::make_shared<LogStream>();
    stream->reader = log->pageReader();
    stream->position = count ? log->positionOf(req.next_offset()) : 0;
    stream->remaining = count;
    if (count <= LogStream::CHUNK) { // small: one plain answer
        QByteArray frames;
        if (count && !stream->reader->readLogFrames(stream->position, count, &frames))
            return job.reply(grpcError(GrpcCode::INTERNAL, "cannot read the replication log"));
        return job.reply(grpcOk(framesMessage(frames)));
    }
    stream->sink = std::move(sink);
    stream->post = std::move(post);
    stream->cancel = std::move(job.cancel);
    stream->sink.begin(http::Response{200, "application/grpc-web", {}, {}, false});
    // One data frame holding the whole Frames message, whose size is known: 4126 bytes per frame.
    QByteArray head(5, '\0');
    qToBigEndian<quint32>(static_cast<quint32>(count * (FRAME_SIZE + 6)), head.data() + 1);
    stream->produce(std::move(head));
}

void snapshot(hrana::Engine &e, hrana::Job &&job, http::StreamSink sink,
              std::function<void(std::function<void()>)> post)
{
    wal_log::LogOffset req;
    http::Response bad;
    if (!parse(job, &req, &bad))
        return job.reply(std::move(bad));
    ReplicationLog *log = logOf(e, job);
    if (!log)
        return;
    const SnapshotInfo *found = log->snapshots().find(req.next_offset());
    const int fd = found ? ::open(QFile::encodeName(found->path).constData(), O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return job.reply(grpcError(GrpcCode::UNAVAILABLE, "snapshot not found"));
    auto stream = std::make_shared<SnapshotStream>(*found, fd, req.next_offset(), std::move(sink), std::move(post),
                                                   std::move(job.cancel));
    e.noteReplication(job.ns, found->frames, false);
    http::Response head{200, "application/grpc-web", {}, {}, false};
    stream->sink.begin(std::move(head));
    stream->produce();
}

void describe(hrana::Engine &e, hrana::Job &&job)
{
    proxy::DescribeRequest req;
    http::Response bad;
    if (!parse(job, &req, &bad))
        return job.reply(std::move(bad));
    hrana::StreamRequest r;
    r.type = hrana::StreamRequest::Type::Describe;
    r.sql = QByteArray::fromStdString(req.stmt());
    runForClient(e, std::move(job), req.client_id(), std::move(r), [](QByteArray msg, quint64) { return msg; });
}

void execute(hrana::Engine &e, hrana::Job &&job)
{
    proxy::ProgramReq req;
    http::Response bad;
    if (!parse(job, &req, &bad))
        return job.reply(std::move(bad));
    hrana::StreamRequest r;
    r.type = hrana::StreamRequest::Type::Batch;
    QByteArray error;
    if (!toBatch(req.pgm(), &r.batch, &error))
        return job.reply(grpcError(GrpcCode::INVALID_ARGUMENT, error));
    const QString ns = job.ns;
    e.noteReplication(ns, 0, true);
    runForClient(e, std::move(job), req.client_id(), std::move(r), [&e, ns](QByteArray msg, quint64 stream) {
        // ExecuteResults fields 2 (state) and 3 (current_frame_no) after the results: the write's frames are
        // already in the log (captured inside the commit), so the replica's next sync sees them.
        msg.append('\x10');
        putVarint(msg, e.streamAutocommit(stream) ? proxy::INIT : proxy::TXN);
        QByteArray ignored;
        if (ReplicationLog *log = e.replicationLog(ns, &ignored); log && log->lastFrameNo()) {
            msg.append('\x18');
            putVarint(msg, *log->lastFrameNo());
        }
        return msg;
    });
}

void disconnect(hrana::Engine &e, hrana::Job &&job)
{
    proxy::DisconnectMessage req;
    http::Response bad;
    if (!parse(job, &req, &bad))
        return job.reply(std::move(bad));
    e.closeProxyStream(job.ns, QByteArray::fromStdString(req.client_id()));
    job.reply(grpcOk(serialize(proxy::Ack())));
}

} // namespace qsqld::repl
