#include "pullupdates.h"

#include "repl/frame.h"
#include "repl/replicationlog.h"

#include <roaring/roaring.h>

#include <memory>

namespace qsqld::sync {

namespace {

constexpr size_t CHUNK_PAGES = 256; // pages per streamed chunk (about 1 MiB)

// ---- proto3 wire helpers ----

bool readVarint(const QByteArray &in, qsizetype &at, quint64 *out)
{
    quint64 v = 0;
    for (int shift = 0; shift < 64 && at < in.size(); shift += 7) {
        const auto byte = static_cast<quint8>(in[at++]);
        v |= static_cast<quint64>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

void putVarint(QByteArray &out, quint64 v)
{
    while (v >= 0x80) {
        out.append(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.append(static_cast<char>(v));
}

QByteArray lengthPrefixed(const QByteArray &message)
{
    QByteArray out;
    out.reserve(message.size() + 5);
    putVarint(out, static_cast<quint64>(message.size()));
    out.append(message);
    return out;
}

// "<log id>.<frame>"
QByteArray revision(const QUuid &logId, quint64 frame)
{
    return logId.toByteArray(QUuid::Id128) + '.' + QByteArray::number(frame);
}

// The frame of a revision of this log, or nullopt (another log, garbage).
std::optional<quint64> frameOf(const QByteArray &rev, const QUuid &logId)
{
    const qsizetype dot = rev.indexOf('.');
    if (dot < 0 || rev.first(dot) != logId.toByteArray(QUuid::Id128))
        return std::nullopt;
    bool ok = false;
    const quint64 frame = rev.sliced(dot + 1).toULongLong(&ok);
    return ok ? std::optional<quint64>(frame) : std::nullopt;
}

void replyError(const hrana::Job &job, int status, const QByteArray &message)
{
    job.reply(http::Response::error(status, message));
}

// One pull's pages, read and sent a chunk at a time as the connection drains.
struct PullStream : std::enable_shared_from_this<PullStream>
{
    std::unique_ptr<repl::PageReader> reader;
    std::vector<std::pair<quint32, repl::PageVersion>> pages; // 0-based id, where its image is
    size_t next = 0;
    http::StreamSink sink;
    Poster post;
    std::shared_ptr<db::CancelToken> cancel;

    void produce(QByteArray out) // worker thread
    {
        if (cancel && cancel->cancelled)
            return;
        QByteArray page;
        for (size_t end = std::min(pages.size(), next + CHUNK_PAGES); next < end; ++next) {
            page.clear();
            if (!reader->read(pages[next].second, &page)) {
                // Headers are gone: cutting the body short makes the client fail the pull, and retry later.
                sink.send(std::move(out), true, nullptr);
                return;
            }
            out += encodePage(pages[next].first, page.constData());
        }
        if (next >= pages.size()) {
            sink.send(std::move(out), true, nullptr);
            return;
        }
        sink.send(std::move(out), false, [self = shared_from_this()] {
            self->post([self] { self->produce({}); });
        });
    }
};

} // namespace

std::optional<PullRequest> decodePullRequest(const QByteArray &body, QByteArray *error)
{
    PullRequest r;
    qsizetype at = 0;
    while (at < body.size()) {
        quint64 key = 0, v = 0;
        if (!readVarint(body, at, &key)) {
            *error = "malformed PullUpdatesRequest: truncated field key";
            return std::nullopt;
        }
        const quint64 field = key >> 3;
        switch (key & 7) {
        case 0:
            if (!readVarint(body, at, &v)) {
                *error = "malformed PullUpdatesRequest: truncated varint";
                return std::nullopt;
            }
            if (field == 1)
                r.encoding = static_cast<quint32>(v);
            else if (field == 4)
                r.longPollMs = static_cast<quint32>(std::min<quint64>(v, 0xffffffffu));
            else if (field == 8)
                r.streamKind = static_cast<quint32>(v);
            break;
        case 2: {
            if (!readVarint(body, at, &v) || v > static_cast<quint64>(body.size() - at)) {
                *error = "malformed PullUpdatesRequest: truncated bytes field";
                return std::nullopt;
            }
            const QByteArray bytes = body.sliced(at, static_cast<qsizetype>(v));
            at += static_cast<qsizetype>(v);
            if (field == 2)
                r.serverRevision = bytes;
            else if (field == 3)
                r.clientRevision = bytes;
            else if (field == 5)
                r.pagesSelector = bytes;
            break;
        }
        case 1:
        case 5: {
            const qsizetype width = (key & 7) == 1 ? 8 : 4;
            if (body.size() - at < width) {
                *error = "malformed PullUpdatesRequest: truncated fixed field";
                return std::nullopt;
            }
            at += width;
            break;
        }
        default:
            *error = "malformed PullUpdatesRequest: unsupported wire type";
            return std::nullopt;
        }
    }
    return r;
}

std::optional<std::vector<quint32>> decodeSelector(const QByteArray &bitmap, QByteArray *error, quint32 limit)
{
    roaring_bitmap_t *b = roaring_bitmap_portable_deserialize_safe(bitmap.constData(), static_cast<size_t>(bitmap.size()));
    if (!b || roaring_bitmap_portable_size_in_bytes(b) != static_cast<size_t>(bitmap.size())) {
        if (b)
            roaring_bitmap_free(b);
        *error = "malformed server_pages_selector: not a portable RoaringBitmap";
        return std::nullopt;
    }
    // Walk the bits rather than trusting the cardinality the bitmap declares (CRoaring 0.2 keeps a bitmap
    // container's declared count unchecked: sizing an array from it let a crafted selector overflow the heap).
    // Nor does it check the order of containers and of array values: ids that do not ascend make the selector
    // malformed, rather than cutting it short at the limit or sending a page twice.
    struct Collect
    {
        std::vector<quint32> ids;
        quint32 limit;
        bool ascending = true;
    } collect{{}, limit};
    roaring_iterate(b, [](uint32_t value, void *param) {
        auto *c = static_cast<Collect *>(param);
        if (!c->ids.empty() && value <= c->ids.back()) {
            c->ascending = false;
            return false;
        }
        if (value >= c->limit)
            return false; // ascending: nothing further is wanted
        c->ids.push_back(value);
        return true;
    }, &collect);
    roaring_bitmap_free(b);
    if (!collect.ascending) {
        *error = "malformed server_pages_selector: page ids out of order";
        return std::nullopt;
    }
    return std::move(collect.ids);
}

QByteArray encodeHeader(const QByteArray &rev, quint64 dbSize)
{
    QByteArray m;
    m.append('\x0a'); // 1 server_revision
    putVarint(m, static_cast<quint64>(rev.size()));
    m.append(rev);
    if (dbSize) {
        m.append('\x10'); // 2 db_size
        putVarint(m, dbSize);
    }
    m.append("\x1a\x00", 2); // 3 raw_encoding: an empty message, which must be present
    m.append("\x40\x01", 2); // 8 protocol = pages
    return lengthPrefixed(m);
}

QByteArray encodePage(quint32 pageId, const char *page4096)
{
    QByteArray m;
    m.reserve(repl::PAGE_SIZE + 12);
    if (pageId) {
        m.append('\x08'); // 1 page_id
        putVarint(m, pageId);
    }
    m.append("\x12\x80\x20", 3); // 2 encoded_page, 4096 bytes
    m.append(page4096, repl::PAGE_SIZE);
    return lengthPrefixed(m);
}

void pull(hrana::Engine &e, hrana::Job &&job, const PullRequest &req, bool mayWait, http::StreamSink sink,
          Poster post, std::function<void(quint64 lastFrame)> park)
{
    if (req.encoding != 0)
        return replyError(job, 400, "Only the raw page encoding is served (zstd was requested)");
    if (req.streamKind != 0)
        return replyError(job, 400, "Only page streams are served (this server has no MVCC logical log)");
    QByteArray error;
    repl::ReplicationLog *log = e.replicationLog(job.ns, &error);
    const repl::PageIndex *index = log && log->healthy() ? log->pageIndex(&error) : nullptr;
    if (!index)
        return replyError(job, log ? 503 : 400, "Turso Sync is not available for namespace `" + job.ns.toUtf8()
                                                    + "`: " + (error.isEmpty() ? "the replication log is being rebuilt" : error));
    const quint64 tip = *log->lastFrameNo();
    // A pinned revision (a chunked bootstrap) reads pages as of that moment: possible while no page it asks for
    // has changed since and the moment is still in the log.
    const bool pinned = !req.serverRevision.isEmpty();
    const std::optional<quint64> pinnedFrame = pinned ? frameOf(req.serverRevision, log->logId()) : std::nullopt;
    const std::optional<quint32> pinnedSize = pinnedFrame && pinnedFrame.value() <= tip
        ? log->dbSizeAt(pinnedFrame.value()) : std::nullopt;
    if (pinned && !pinnedSize)
        return replyError(job, 409, "Server revision " + req.serverRevision
                                         + " is no longer available: start the download again");
    const quint64 pinnedAt = pinned ? pinnedFrame.value_or(0) : 0;
    const quint32 dbSize = pinned ? pinnedSize.value_or(0) : log->dbSize();
    // Plain values rather than optionals: GCC's -Wmaybe-uninitialized misreads optionals at -O2.
    const std::optional<quint64> clientFrame = frameOf(req.clientRevision, log->logId());
    const bool incremental = clientFrame.has_value() && clientFrame.value() <= tip; // a future one: everything
    const quint64 since = incremental ? clientFrame.value() : 0;
    std::vector<quint32> ids;
    if (!req.pagesSelector.isEmpty()) {
        auto selected = decodeSelector(req.pagesSelector, &error, dbSize);
        if (!selected)
            return replyError(job, 400, error);
        ids = std::move(*selected);
    } else {
        ids.resize(dbSize);
        for (quint32 i = 0; i < dbSize; ++i)
            ids[i] = i;
    }
    auto stream = std::make_shared<PullStream>();
    for (quint32 id : ids) {
        if (id >= dbSize)
            continue;
        const repl::PageVersion *v = index->find(id + 1);
        if (!v)
            return replyError(job, 500, "page " + QByteArray::number(id + 1) + " is missing from the replication log");
        if (pinned && v->frameNo > pinnedAt)
            return replyError(job, 409, "The database changed since revision " + req.serverRevision
                                             + ": start the download again");
        if (!incremental || v->frameNo > since)
            stream->pages.emplace_back(id, *v);
    }
    if (incremental && stream->pages.empty() && req.longPollMs > 0 && !pinned && mayWait)
        return park(tip);
    stream->reader = log->pageReader();
    stream->sink = std::move(sink);
    stream->post = std::move(post);
    stream->cancel = std::move(job.cancel);
    e.noteReplication(job.ns, stream->pages.size(), false);
    stream->sink.begin(http::Response{200, "application/protobuf", {}, {}, false});
    stream->produce(encodeHeader(pinned ? req.serverRevision : revision(log->logId(), tip), dbSize));
}

} // namespace qsqld::sync
