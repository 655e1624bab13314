// Fuzz target: Turso Sync pulls (server/sync/pullupdates.h): the PullUpdatesRequest protobuf (decoded by hand) and the
// portable RoaringBitmap page selector it may carry (CRoaring, then the server's walk of the bits); the whole input
// is also tried as a selector. A decoded request written again must decode to itself; a decoded selector must be
// ascending and below its limit, survive being serialized again, and a lower limit must give a prefix of it.

#include <cstdint>
#include <vector>

#include <roaring/roaring.h>

#include "fuzzsupport.h"
#include "sync/pullupdates.h"

using namespace qsqld;
using namespace qsqld::sync;

namespace {

// Page ids above this are never asked for (it bounds the work per input; a real limit is the database's size).
constexpr quint32 LIMIT = 1u << 16;

void putVarint(QByteArray &out, quint64 v)
{
    while (v >= 0x80) {
        out.append(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.append(static_cast<char>(v));
}

// proto3: fields at their default value are left out.
QByteArray encode(const PullRequest &r)
{
    QByteArray out;
    const auto varint = [&out](quint32 field, quint64 v) {
        if (v) {
            putVarint(out, field << 3);
            putVarint(out, v);
        }
    };
    const auto bytes = [&out](quint32 field, const QByteArray &v) {
        if (!v.isEmpty()) {
            putVarint(out, (field << 3) | 2);
            putVarint(out, static_cast<quint64>(v.size()));
            out.append(v);
        }
    };
    varint(1, r.encoding);
    bytes(2, r.serverRevision);
    bytes(3, r.clientRevision);
    varint(4, r.longPollMs);
    bytes(5, r.pagesSelector);
    varint(8, r.streamKind);
    return out;
}

bool sameRequest(const PullRequest &a, const PullRequest &b)
{
    return a.encoding == b.encoding && a.serverRevision == b.serverRevision && a.clientRevision == b.clientRevision
        && a.longPollMs == b.longPollMs && a.pagesSelector == b.pagesSelector && a.streamKind == b.streamKind;
}

void checkSelector(const QByteArray &bitmap)
{
    QByteArray error;
    const auto ids = decodeSelector(bitmap, &error, LIMIT);
    if (!ids) {
        QSQLD_FUZZ_CHECK(!error.isEmpty());
        return;
    }
    for (size_t i = 0; i < ids->size(); ++i)
        QSQLD_FUZZ_CHECK((*ids)[i] < LIMIT && (i == 0 || (*ids)[i - 1] < (*ids)[i]));

    roaring_bitmap_t *b = roaring_bitmap_of_ptr(ids->size(), ids->data());
    roaring_bitmap_run_optimize(b);
    QByteArray again(static_cast<qsizetype>(roaring_bitmap_portable_size_in_bytes(b)), Qt::Uninitialized);
    roaring_bitmap_portable_serialize(b, again.data());
    roaring_bitmap_free(b);
    QSQLD_FUZZ_CHECK(decodeSelector(again, &error, LIMIT) == ids);

    if (!ids->empty()) {
        const size_t half = ids->size() / 2;
        const std::vector<quint32> prefix(ids->begin(), ids->begin() + static_cast<std::ptrdiff_t>(half));
        QSQLD_FUZZ_CHECK(decodeSelector(bitmap, &error, (*ids)[half]) == prefix);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body = fuzz::bytes(data, size);
    QByteArray error;
    const std::optional<PullRequest> request = decodePullRequest(body, &error);
    if (request) {
        const std::optional<PullRequest> again = decodePullRequest(encode(*request), &error);
        QSQLD_FUZZ_CHECK(again && sameRequest(*again, *request));
        if (!request->pagesSelector.isEmpty())
            checkSelector(request->pagesSelector);
    } else {
        QSQLD_FUZZ_CHECK(!error.isEmpty());
    }
    checkSelector(body);
    return 0;
}
