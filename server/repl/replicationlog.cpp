#include "replicationlog.h"

#include "crc64.h"
#include "fileio.h"
#include "frame.h"

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QProcess>
#include <QSaveFile>
#include <QtEndian>

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcRepl, "qsqld.repl", QtInfoMsg)

namespace {
// The namespace field of a log line ("ns=<name>"): a namespace's folder is named after it.
QString nsField(const QString &dir)
{
    return QStringLiteral("ns=") + QFileInfo(dir).fileName();
}
} // namespace

namespace qsqld::repl {

namespace {

constexpr qint64 HEADER_SIZE = LOG_HEADER_SIZE;
constexpr char MAGIC[8] = {'Q', 'S', 'Q', 'L', 'D', 'L', 'O', 'G'};
constexpr quint32 VERSION = 1;
constexpr qint64 WAL_HEADER = 32;
constexpr qint64 WAL_FRAME = 24 + PAGE_SIZE;
constexpr int CHUNK_FRAMES = 256; // frames read or written per system call (1 MiB)

QByteArray fileState(const QString &path)
{
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return "-";
    return QByteArray::number(static_cast<qint64>(st.st_size)) + ':' + QByteArray::number(st.st_mtim.tv_sec) + '.'
        + QByteArray::number(st.st_mtim.tv_nsec);
}

// What the database and its WAL look like on disk, recorded at a clean shutdown and compared at the next start.
QByteArray diskState(const QString &dbFile, quint64 frames)
{
    return "v1 " + fileState(dbFile) + ' ' + fileState(dbFile + QStringLiteral("-wal")) + ' '
        + QByteArray::number(frames) + '\n';
}

// Makes the WAL empty with a TRUNCATE checkpoint on a connection of its own; returns the page count and page size.
bool checkpointEmpty(const QString &dbFile, qint64 *pages, qint64 *pageSize, QByteArray *error)
{
    sqlite3 *db = nullptr;
    const int rc = sqlite3_open_v2(QFile::encodeName(dbFile).constData(), &db, SQLITE_OPEN_READWRITE, nullptr);
    auto fail = [&](const QByteArray &what) {
        *error = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return false;
    };
    if (rc != SQLITE_OK)
        return fail("cannot open " + QFile::encodeName(dbFile));
    sqlite3_busy_timeout(db, 5000);
    int walFrames = -1, checkpointed = -1;
    if (sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, &walFrames, &checkpointed) != SQLITE_OK)
        return fail("cannot checkpoint the WAL (is another process using the database?)");
    auto pragma = [db](const char *sql) {
        sqlite3_stmt *st = nullptr;
        qint64 v = -1;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
    };
    *pageSize = pragma("PRAGMA page_size");
    *pages = pragma("PRAGMA page_count");
    if (*pageSize < 0 || *pages < 0)
        return fail("cannot read the database size");
    sqlite3_close(db);
    return true;
}

QByteArray logHeader(const QUuid &logId, quint64 start, quint64 checksum)
{
    QByteArray header(HEADER_SIZE, '\0');
    std::memcpy(header.data(), MAGIC, 8);
    qToLittleEndian<quint32>(VERSION, header.data() + 8);
    qToLittleEndian<quint32>(PAGE_SIZE, header.data() + 12);
    std::memcpy(header.data() + 16, logId.toRfc4122().constData(), 16);
    qToLittleEndian<quint64>(start, header.data() + 32);
    qToLittleEndian<quint64>(checksum, header.data() + 40);
    return header;
}

int walHook(void *ctx, sqlite3 *db, const char *schema, int nFrame)
{
    auto *hook = static_cast<std::pair<ReplicationLog *, bool> *>(ctx);
    if (std::strcmp(schema, "main") != 0)
        return SQLITE_OK;
    hook->first->capture(nFrame);
    // The hook replaces SQLite's auto-checkpoint; a passive checkpoint never waits for readers.
    if (hook->second && nFrame >= 1000)
        sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
}

} // namespace

std::unique_ptr<ReplicationLog> ReplicationLog::open(const QString &dir, const QString &dbFile, QByteArray *error)
{
    std::unique_ptr<ReplicationLog> log(new ReplicationLog());
    log->m_dir = dir;
    log->m_dbFile = dbFile;
    log->m_path = dir + QStringLiteral("/qsqld-wallog");
    log->m_snapshots = SnapshotStore(dir + QStringLiteral("/qsqld-snapshots"));
    // A log is trusted only if the last run closed it cleanly and the database has not changed since.
    QFile record(log->m_path + QStringLiteral(".clean"));
    QByteArray recorded;
    if (record.open(QIODevice::ReadOnly))
        recorded = record.readAll();
    record.close();
    const QByteArray now = QFile::exists(log->m_path) ? diskState(dbFile, 0) : QByteArray();
    qint64 pages = 0, pageSize = 0;
    if (!checkpointEmpty(dbFile, &pages, &pageSize, error))
        return nullptr;
    if (pageSize != PAGE_SIZE) {
        *error = "replication needs 4096-byte pages; this database has " + QByteArray::number(pageSize) + "-byte pages";
        return nullptr;
    }
    // The record is "<database> <wal> <frames>": the files must be as they were, the log as long as it was.
    const auto files = [](const QByteArray &state) { return state.first(std::max<qsizetype>(0, state.lastIndexOf(' '))); };
    bool ok = false;
    if (!recorded.isEmpty() && !now.isEmpty() && files(recorded) == files(now) && log->load(error)) {
        ok = recorded.trimmed().endsWith(QByteArray(' ' + QByteArray::number(log->m_start + log->m_count)))
            && log->m_snapshots.load(log->m_logId, log->m_start);
        if (!ok)
            qCWarning(lcRepl).noquote() << nsField(dir) << "replication log does not match its shutdown record; rebuilding it";
    } else if (QFile::exists(log->m_path)) {
        qCWarning(lcRepl).noquote() << nsField(dir) << "replication log was not closed cleanly or the database changed;"
                          << "rebuilding it under a new log id (replicas will download the database again)";
    }
    if (!ok && !log->rebuild(error))
        return nullptr;
    if (log->m_count == 0 && !log->m_snapshots.all().empty())
        log->m_dbSize = log->m_snapshots.all().back().sizeAfter; // everything is in snapshots
    // From here on the log is "open": only a clean close writes the record again.
    if (QFile::exists(record.fileName()) && !QFile::remove(record.fileName())) {
        *error = "cannot remove " + QFile::encodeName(record.fileName());
        return nullptr;
    }
    return log;
}

ReplicationLog::~ReplicationLog()
{
    if (m_fd < 0)
        return;
    const bool synced = ::fdatasync(m_fd) == 0;
    ::close(m_fd);
    if (m_broken || !synced)
        return; // no record: the next start rebuilds
    QSaveFile record(m_path + QStringLiteral(".clean"));
    if (record.open(QIODevice::WriteOnly)) {
        record.write(diskState(m_dbFile, m_start + m_count));
        record.commit();
    }
}

void ReplicationLog::attach(sqlite3 *db, bool autocheckpoint)
{
    auto &ctx = autocheckpoint ? m_hookWithCheckpoint : m_hookPlain;
    ctx = {this, autocheckpoint};
    sqlite3_wal_hook(db, &walHook, &ctx);
}

std::optional<quint64> ReplicationLog::lastFrameNo() const
{
    if (m_start + m_count == 0)
        return std::nullopt;
    return m_start + m_count - 1;
}

qint64 ReplicationLog::sizeBytes() const
{
    return HEADER_SIZE + static_cast<qint64>(m_count) * FRAME_SIZE;
}

bool ReplicationLog::load(QByteArray *error)
{
    m_fd = ::open(QFile::encodeName(m_path).constData(), O_RDWR | O_CLOEXEC);
    char header[48];
    if (m_fd < 0 || !readAt(m_fd, header, sizeof header, 0) || std::memcmp(header, MAGIC, 8) != 0
        || qFromLittleEndian<quint32>(header + 8) != VERSION || qFromLittleEndian<quint32>(header + 12) != PAGE_SIZE) {
        *error = "unreadable replication log " + QFile::encodeName(m_path);
        return false;
    }
    m_logId = QUuid::fromRfc4122(QByteArrayView(header + 16, 16));
    m_start = qFromLittleEndian<quint64>(header + 32);
    m_lastChecksum = qFromLittleEndian<quint64>(header + 40);
    struct stat st = {};
    ::fstat(m_fd, &st);
    quint64 frames = static_cast<quint64>(std::max<qint64>(0, st.st_size - HEADER_SIZE) / FRAME_SIZE);
    // Only whole transactions count: drop anything after the last commit frame.
    char fh[FRAME_HEADER_SIZE];
    while (frames > 0) {
        if (!readAt(m_fd, fh, FRAME_HEADER_SIZE, HEADER_SIZE + static_cast<qint64>(frames - 1) * FRAME_SIZE))
            return false;
        const FrameHeader h = FrameHeader::read(fh);
        if (h.frameNo != m_start + frames - 1)
            return false;
        if (h.sizeAfter != 0) {
            m_lastChecksum = h.checksum;
            m_dbSize = h.sizeAfter;
            break;
        }
        --frames;
    }
    m_count = frames;
    return ::ftruncate(m_fd, HEADER_SIZE + static_cast<qint64>(m_count) * FRAME_SIZE) == 0;
}

bool ReplicationLog::rebuild(QByteArray *error)
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    // The database as it is now (its WAL is empty), pages 1..n as frames 0..n-1 of a new history.
    const QString tmp = m_path + QStringLiteral(".new");
    const int in = ::open(QFile::encodeName(m_dbFile).constData(), O_RDONLY | O_CLOEXEC);
    const int out = ::open(QFile::encodeName(tmp).constData(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    auto fail = [&](const QByteArray &what) {
        *error = what + ": " + std::strerror(errno);
        if (in >= 0)
            ::close(in);
        if (out >= 0)
            ::close(out);
        QFile::remove(tmp);
        return false;
    };
    if (in < 0 || out < 0)
        return fail("cannot build the replication log of " + QFile::encodeName(m_dbFile));
    struct stat st = {};
    ::fstat(in, &st);
    const quint32 pages = static_cast<quint32>(st.st_size / PAGE_SIZE);
    m_logId = QUuid::createUuid();
    m_snapshots.clear(); // they belong to the old history
    const QByteArray header = logHeader(m_logId, 0, 0);
    if (!writeAt(out, header.constData(), HEADER_SIZE, 0))
        return fail("cannot write " + QFile::encodeName(tmp));
    QByteArray frames(static_cast<qsizetype>(CHUNK_FRAMES) * FRAME_SIZE, Qt::Uninitialized);
    quint64 checksum = 0;
    for (quint32 first = 0; first < pages; first += CHUNK_FRAMES) {
        const quint32 n = std::min<quint32>(CHUNK_FRAMES, pages - first);
        for (quint32 i = 0; i < n; ++i) {
            char *f = frames.data() + static_cast<qsizetype>(i) * FRAME_SIZE;
            if (!readAt(in, f + FRAME_HEADER_SIZE, PAGE_SIZE, static_cast<qint64>(first + i) * PAGE_SIZE))
                return fail("cannot read " + QFile::encodeName(m_dbFile));
            checksum = frameChecksum(checksum, QByteArrayView(f + FRAME_HEADER_SIZE, PAGE_SIZE));
            const quint32 pageNo = first + i + 1;
            FrameHeader{first + i, checksum, pageNo, pageNo == pages ? pages : 0}.write(f);
        }
        if (!writeAt(out, frames.constData(), static_cast<qint64>(n) * FRAME_SIZE,
                       HEADER_SIZE + static_cast<qint64>(first) * FRAME_SIZE))
            return fail("cannot write " + QFile::encodeName(tmp));
    }
    ::close(in);
    if (::fdatasync(out) != 0 || ::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(m_path).constData()) != 0)
        return fail("cannot install the replication log " + QFile::encodeName(m_path));
    m_fd = out;
    m_start = 0;
    m_count = pages;
    m_dbSize = pages;
    m_index.reset();
    m_lastChecksum = checksum;
    m_salts.reset();
    m_consumed = 0;
    m_broken = false;
    qCInfo(lcRepl).noquote() << nsField(m_dir) << "replication log started with" << pages << "pages, log id"
                   << m_logId.toString(QUuid::WithoutBraces);
    return true;
}

bool ReplicationLog::capture(int nFrame)
{
    if (m_broken || m_fd < 0)
        return false;
    const QByteArray walPath = QFile::encodeName(m_dbFile + QStringLiteral("-wal"));
    const int fd = ::open(walPath.constData(), O_RDONLY | O_CLOEXEC);
    char wh[WAL_HEADER];
    bool ok = fd >= 0 && readAt(fd, wh, WAL_HEADER, 0) && qFromBigEndian<quint32>(wh + 8) == PAGE_SIZE;
    if (ok) {
        const std::pair salts{qFromBigEndian<quint32>(wh + 16), qFromBigEndian<quint32>(wh + 20)};
        if (m_salts != salts) { // a new WAL generation (after a checkpoint reset): its frames start at 0
            m_salts = salts;
            m_consumed = 0;
        }
        ok = nFrame >= m_consumed;
    }
    QByteArray chunk;
    const quint64 countBefore = m_count;
    const quint64 checksumBefore = m_lastChecksum;
    for (int first = m_consumed; ok && first < nFrame; first += CHUNK_FRAMES) {
        const int n = std::min(CHUNK_FRAMES, nFrame - first);
        chunk.resize(static_cast<qsizetype>(n) * WAL_FRAME);
        ok = readAt(fd, chunk.data(), chunk.size(), WAL_HEADER + static_cast<qint64>(first) * WAL_FRAME)
            && appendFrames(chunk, n);
    }
    if (fd >= 0)
        ::close(fd);
    // The log must end on a commit frame; anything else means it no longer mirrors the database.
    if (ok && m_count > countBefore) {
        char fh[FRAME_HEADER_SIZE];
        ok = readAt(m_fd, fh, FRAME_HEADER_SIZE, HEADER_SIZE + static_cast<qint64>(m_count - 1) * FRAME_SIZE)
            && FrameHeader::read(fh).sizeAfter != 0;
    }
    if (!ok) {
        m_broken = true;
        m_count = countBefore;
        m_lastChecksum = checksumBefore;
        [[maybe_unused]] int rc = ::ftruncate(m_fd, sizeBytes());
        qCCritical(lcRepl).noquote() << nsField(m_dir) << "cannot capture committed frames into the replication log ("
                           << std::strerror(errno) << "); replication of this namespace stops until the next start,"
                           << "which rebuilds the log";
        return false;
    }
    m_consumed = nFrame;
    compactIfDue();
    if (m_onCommit && m_count + m_start > 0)
        m_onCommit(m_start + m_count - 1);
    return true;
}

std::optional<quint32> ReplicationLog::dbSizeAt(quint64 frameNo) const
{
    if (lastFrameNo() == frameNo)
        return m_dbSize;
    if (frameNo < m_start || frameNo >= m_start + m_count)
        return std::nullopt;
    char fh[FRAME_HEADER_SIZE];
    if (!readAt(m_fd, fh, FRAME_HEADER_SIZE, HEADER_SIZE + static_cast<qint64>(frameNo - m_start) * FRAME_SIZE))
        return std::nullopt;
    const FrameHeader h = FrameHeader::read(fh);
    return h.sizeAfter ? std::optional<quint32>(h.sizeAfter) : std::nullopt;
}

const PageIndex *ReplicationLog::pageIndex(QByteArray *error)
{
    if (!m_index)
        m_index = PageIndex::build(m_snapshots.all(), m_fd, m_count, error);
    return m_index.get();
}

void ReplicationLog::compactIfDue()
{
    const bool tooBig = sizeBytes() > m_policy.maxLogBytes;
    const bool tooOld = m_policy.maxLogDuration
        && std::chrono::steady_clock::now() - m_logStartedAt > *m_policy.maxLogDuration;
    QByteArray error;
    if ((tooBig || tooOld) && !compact(&error))
        qCCritical(lcRepl).noquote() << nsField(m_dir) << "cannot compact the replication log:" << error;
}

bool ReplicationLog::compact(QByteArray *error)
{
    if (m_broken || m_count == 0)
        return !m_broken;
    const auto snapshot = m_snapshots.create(m_logId, m_fd, HEADER_SIZE, m_start, m_count, error);
    if (!snapshot)
        return false; // the log is unchanged: compaction is tried again after the next commit
    if (!writeEmptyLog(m_start + m_count, m_lastChecksum, error)) {
        m_broken = true; // the snapshot and the log now overlap: rebuild at the next start
        return false;
    }
    m_start += m_count;
    m_count = 0;
    m_index.reset(); // its log positions moved into a snapshot
    m_logStartedAt = std::chrono::steady_clock::now();
    qCInfo(lcRepl).noquote().nospace() << nsField(m_dir) << " replication log compacted into " << snapshot->path
                                        << " (" << snapshot->frames << " frames)";
    if (!m_policy.snapshotExec.isEmpty()
        && !QProcess::startDetached(m_policy.snapshotExec, {snapshot->path, m_policy.ns}))
        qCWarning(lcRepl).noquote() << nsField(m_dir) << "cannot run --snapshot-exec" << m_policy.snapshotExec;
    QByteArray mergeError;
    if (!m_snapshots.mergeIfDue(m_logId, &mergeError))
        qCWarning(lcRepl).noquote() << nsField(m_dir) << "cannot merge the snapshots:" << mergeError;
    return true;
}

bool ReplicationLog::writeEmptyLog(quint64 start, quint64 checksum, QByteArray *error)
{
    const QString tmp = m_path + QStringLiteral(".new");
    const int fd = ::open(QFile::encodeName(tmp).constData(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const QByteArray header = logHeader(m_logId, start, checksum);
    if (fd < 0 || !writeAt(fd, header.constData(), header.size(), 0) || ::fdatasync(fd) != 0
        || ::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(m_path).constData()) != 0) {
        *error = "cannot start a new replication log: " + QByteArray(std::strerror(errno));
        if (fd >= 0)
            ::close(fd);
        QFile::remove(tmp);
        return false;
    }
    ::close(m_fd);
    m_fd = fd;
    return true;
}

bool ReplicationLog::appendFrames(const QByteArray &walFrames, int count)
{
    QByteArray out(static_cast<qsizetype>(count) * FRAME_SIZE, Qt::Uninitialized);
    quint64 checksum = m_lastChecksum;
    for (int i = 0; i < count; ++i) {
        const char *w = walFrames.constData() + static_cast<qsizetype>(i) * WAL_FRAME;
        if (std::pair{qFromBigEndian<quint32>(w + 8), qFromBigEndian<quint32>(w + 12)} != *m_salts)
            return false; // a frame of an older WAL generation: never committed in this one
        char *f = out.data() + static_cast<qsizetype>(i) * FRAME_SIZE;
        std::memcpy(f + FRAME_HEADER_SIZE, w + 24, PAGE_SIZE);
        checksum = frameChecksum(checksum, QByteArrayView(f + FRAME_HEADER_SIZE, PAGE_SIZE));
        FrameHeader{m_start + m_count + static_cast<quint64>(i), checksum, qFromBigEndian<quint32>(w),
                    qFromBigEndian<quint32>(w + 4)}
            .write(f);
    }
    if (!writeAt(m_fd, out.constData(), out.size(), sizeBytes()))
        return false;
    for (int i = 0; i < count; ++i) {
        const FrameHeader h = FrameHeader::read(out.constData() + static_cast<qsizetype>(i) * FRAME_SIZE);
        if (m_index)
            m_index->noteLogFrame(h.pageNo, h.frameNo, m_count + static_cast<quint64>(i));
        if (h.sizeAfter)
            m_dbSize = h.sizeAfter;
    }
    m_count += static_cast<quint64>(count);
    m_lastChecksum = checksum;
    return true;
}

ReplicationLog::Read ReplicationLog::batchCount(quint64 from, int softMax, quint64 *count, QByteArray *error) const
{
    *count = 0;
    if (from < m_start)
        return Read::NeedSnapshot;
    const quint64 end = m_start + m_count; // one past the tip
    if (from >= end)
        return Read::Ok;
    // Extend to the transaction's commit frame: a transaction is never split (the tip is always a commit).
    quint64 last = std::min(end - 1, from + static_cast<quint64>(std::max(softMax, 1)) - 1);
    char fh[FRAME_HEADER_SIZE];
    for (;; ++last) {
        if (!readAt(m_fd, fh, FRAME_HEADER_SIZE, HEADER_SIZE + static_cast<qint64>(last - m_start) * FRAME_SIZE)) {
            *error = "cannot read the replication log: " + QByteArray(std::strerror(errno));
            return Read::Error;
        }
        if (FrameHeader::read(fh).sizeAfter != 0 || last + 1 >= end)
            break;
    }
    *count = last - from + 1;
    return Read::Ok;
}

} // namespace qsqld::repl
