#pragma once

// A test-only SQLite VFS that fails writes or syncs on cue: it wraps the default VFS, becomes the default itself
// (so every connection the in-process server opens uses it), and while a fault is armed for a path fragment
// (e.g. "/dbs/tenant/"), each xWrite/xTruncate of a matching file returns SQLITE_FULL, or each xSync returns
// SQLITE_IOERR_FSYNC. Everything else is passed through.

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>

namespace qsqld::test {

class FaultVfs
{
public:
    enum class Fault { None, DiskFull, SyncError };

    // Installs the VFS as the default (once per process).
    static void install()
    {
        static std::once_flag once;
        std::call_once(once, [] {
            state().base = sqlite3_vfs_find(nullptr);
            sqlite3_vfs &v = state().vfs;
            v = *state().base;
            v.zName = "qsqld-fault";
            v.szOsFile = static_cast<int>(sizeof(File)) + state().base->szOsFile;
            v.xOpen = &open;
            sqlite3_vfs_register(&v, 1);
        });
    }
    // Arms `fault` for files whose path contains `fragment` (Fault::None disarms).
    static void arm(Fault fault, const std::string &fragment = {})
    {
        std::lock_guard lock(state().mutex);
        state().fragment = fragment;
        state().fault = fault;
    }
    static int hits() { return state().hits.load(); } // failures injected so far

private:
    struct File
    {
        sqlite3_file base;    // our methods
        sqlite3_file *real;   // the wrapped file, allocated right after this struct
        char path[512];
    };
    struct State
    {
        sqlite3_vfs *base = nullptr;
        sqlite3_vfs vfs{};
        sqlite3_io_methods methods{};
        std::mutex mutex;
        std::string fragment;
        Fault fault = Fault::None;
        std::atomic<int> hits{0};
    };
    static State &state()
    {
        static State s;
        return s;
    }
    static File *self(sqlite3_file *f) { return reinterpret_cast<File *>(f); }
    static bool armed(sqlite3_file *f, Fault fault)
    {
        std::lock_guard lock(state().mutex);
        if (state().fault != fault || state().fragment.empty() || !std::strstr(self(f)->path, state().fragment.c_str()))
            return false;
        ++state().hits;
        return true;
    }

    static int open(sqlite3_vfs *, sqlite3_filename name, sqlite3_file *out, int flags, int *outFlags)
    {
        File *f = self(out);
        f->real = reinterpret_cast<sqlite3_file *>(f + 1);
        std::memset(f->path, 0, sizeof f->path);
        if (name)
            std::strncpy(f->path, name, sizeof f->path - 1);
        const int rc = state().base->xOpen(state().base, name, f->real, flags, outFlags);
        if (rc != SQLITE_OK || !f->real->pMethods) {
            f->base.pMethods = nullptr;
            return rc;
        }
        sqlite3_io_methods &m = state().methods;
        // The unix VFS gives every file the same methods; fill the pass-through table once.
        static std::once_flag filled;
        std::call_once(filled, [&m, r = f->real->pMethods] { m.iVersion = r->iVersion; fill(m); });
        f->base.pMethods = &m;
        return SQLITE_OK;
    }

    static void fill(sqlite3_io_methods &m)
    {
        m.xClose = [](sqlite3_file *x) { return self(x)->real->pMethods->xClose(self(x)->real); };
        m.xRead = [](sqlite3_file *x, void *b, int n, sqlite3_int64 o) {
            return self(x)->real->pMethods->xRead(self(x)->real, b, n, o);
        };
        m.xWrite = [](sqlite3_file *x, const void *b, int n, sqlite3_int64 o) {
            return armed(x, Fault::DiskFull) ? SQLITE_FULL : self(x)->real->pMethods->xWrite(self(x)->real, b, n, o);
        };
        m.xTruncate = [](sqlite3_file *x, sqlite3_int64 s) {
            return armed(x, Fault::DiskFull) ? SQLITE_FULL : self(x)->real->pMethods->xTruncate(self(x)->real, s);
        };
        m.xSync = [](sqlite3_file *x, int fl) {
            return armed(x, Fault::SyncError) ? SQLITE_IOERR_FSYNC : self(x)->real->pMethods->xSync(self(x)->real, fl);
        };
        m.xFileSize = [](sqlite3_file *x, sqlite3_int64 *s) { return self(x)->real->pMethods->xFileSize(self(x)->real, s); };
        m.xLock = [](sqlite3_file *x, int l) { return self(x)->real->pMethods->xLock(self(x)->real, l); };
        m.xUnlock = [](sqlite3_file *x, int l) { return self(x)->real->pMethods->xUnlock(self(x)->real, l); };
        m.xCheckReservedLock = [](sqlite3_file *x, int *o) {
            return self(x)->real->pMethods->xCheckReservedLock(self(x)->real, o);
        };
        m.xFileControl = [](sqlite3_file *x, int op, void *a) {
            return self(x)->real->pMethods->xFileControl(self(x)->real, op, a);
        };
        m.xSectorSize = [](sqlite3_file *x) { return self(x)->real->pMethods->xSectorSize(self(x)->real); };
        m.xDeviceCharacteristics = [](sqlite3_file *x) {
            return self(x)->real->pMethods->xDeviceCharacteristics(self(x)->real);
        };
        m.xShmMap = [](sqlite3_file *x, int pg, int sz, int ext, void volatile **p) {
            return self(x)->real->pMethods->xShmMap(self(x)->real, pg, sz, ext, p);
        };
        m.xShmLock = [](sqlite3_file *x, int o, int n, int fl) {
            return self(x)->real->pMethods->xShmLock(self(x)->real, o, n, fl);
        };
        m.xShmBarrier = [](sqlite3_file *x) { self(x)->real->pMethods->xShmBarrier(self(x)->real); };
        m.xShmUnmap = [](sqlite3_file *x, int d) { return self(x)->real->pMethods->xShmUnmap(self(x)->real, d); };
        m.xFetch = [](sqlite3_file *x, sqlite3_int64 o, int n, void **p) {
            return self(x)->real->pMethods->xFetch(self(x)->real, o, n, p);
        };
        m.xUnfetch = [](sqlite3_file *x, sqlite3_int64 o, void *p) {
            return self(x)->real->pMethods->xUnfetch(self(x)->real, o, p);
        };
    }
};

} // namespace qsqld::test
