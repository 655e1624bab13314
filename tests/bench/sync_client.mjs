// Client side of the Turso Sync benchmark (tests/bench/sync.sh, issue #6). Two modes, each prints one JSON object
// on stdout (progress on stderr). The tenant itself is built by `replica_client.mjs fill` (table
// `big(id INTEGER PRIMARY KEY, b BLOB)`, one randomblob(4000) row per 4096-byte page).
//
//   raw  the server's side of a pull alone: POST {url}/pull-updates with node's fetch, --reps times (after --warmup
//        untimed), the answer read to its end and dropped. The body is empty (a bootstrap: every page), or carries
//        client_revision (--client-revision REV: the pages written since). The stream is parsed as it arrives
//        (length-prefixed PullUpdatesResponse header, then PageData messages, each checked to hold a 4096-byte page)
//        without keeping the pages. Per request: seconds, bytes, pages (and distinct page ids), db_size, revision;
//        with --pid the server's CPU time (/proc/PID/stat) and its peak RSS (VmHWM, reset through
//        /proc/PID/clear_refs just before each request). With --curl, then the same request --reps times from curl
//        (answer to /dev/null; curl's own time_total), the server's pace without node's stream reading.
//   sdk  the real SDK (@tursodatabase/sync, from tests/compat/node_modules): --reps bootstraps, each `connect()` on a
//        fresh local path (--path-prefix + number) timed until it returns; after each, untimed, the local `big` is
//        compared with the primary's (row count, max id, total blob length, first bytes of the last blob), and all
//        but the last local database are closed and deleted. With the last one: a timed pull() with nothing new,
//        then --incr-rounds rounds of: one UPDATE on the primary giving --incr-pages rows spread over the table
//        (ids step, 2·step, …: one row per page, so that many distinct pages) a new randomblob(4000); the raw
//        endpoint asked, with client_revision = the client's revision (stats().revision), for what changed: timed,
//        pages counted; then a timed pull(), its result checked against the primary (every updated row's first
//        bytes, and the signature above). Server CPU and VmHWM as for raw, around every timed call; with --curl the
//        raw request is also made by curl in every round.
//
// Usage:
//   node sync_client.mjs raw --url http://127.0.0.1:PORT/dev/NS [--client-revision REV] [--pid PID] [--reps 3] [--warmup 0] [--curl]
//   node sync_client.mjs sdk --url http://127.0.0.1:PORT/dev/NS --primary http://127.0.0.1:PORT --ns NS
//                            --path-prefix /tmp/dir/phone [--pid PID] [--reps 3] [--incr-pages 1000] [--incr-rounds 3] [--curl]

import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'compat', 'node_modules');
const PAGE = 4096;

// ---- arguments -------------------------------------------------------------------------------------------------
const [mode, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i < rest.length; ++i) {
    const m = /^--([a-z-]+)$/.exec(rest[i]);
    if (!m) throw new Error(`unexpected argument ${rest[i]}`);
    if (rest[i + 1] === undefined || rest[i + 1].startsWith('--')) opt[m[1]] = true;
    else opt[m[1]] = rest[++i];
}
const num = (name, def) => (opt[name] === undefined ? def : Number(opt[name]));
if (!['raw', 'sdk'].includes(mode) || !opt.url) {
    console.error('usage: node sync_client.mjs raw|sdk --url http://127.0.0.1:PORT/dev/NS [options] (see the file header)');
    process.exit(2);
}
const log = (s) => process.stderr.write(`   ${s}\n`);
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, d = 3) => +x.toFixed(d);

// ---- server process figures ------------------------------------------------------------------------------------
const CLK_TCK = 100; // Linux USER_HZ
const pid = opt.pid ? Number(opt.pid) : null;
function cpuMs() {
    if (!pid) return 0;
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime, stime (fields 14, 15)
}
function status(key) {
    if (!pid) return null;
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
}
function resetHwm() { // VmHWM back to the current RSS; false when the kernel does not allow it
    if (!pid) return false;
    try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
    } catch {
        return false;
    }
}
// Runs `fn` timed, with the server's CPU time and peak RSS over it.
async function measured(fn) {
    const hwmReset = resetHwm();
    const rssBefore = status('VmRSS');
    const c0 = cpuMs(), u0 = process.cpuUsage(), t0 = now();
    const value = await fn();
    const ms = now() - t0, cpu = cpuMs() - c0, u = process.cpuUsage(u0);
    return {
        value, ms, server_cpu_ms: pid ? cpu : null, client_cpu_ms: (u.user + u.system) / 1000,
        server_rss_before_kib: rssBefore, server_vmhwm_kib: status('VmHWM'), server_rss_after_kib: status('VmRSS'),
        vmhwm_reset: hwmReset,
    };
}

// ---- POST /pull-updates, the stream parsed as it arrives ----------------------------------------------------------
function putVarint(out, v) {
    for (; v >= 0x80; v = Math.floor(v / 128)) out.push((v % 128) | 0x80);
    out.push(v);
}
function pullRequest(clientRevision) { // PullUpdatesRequest { 3: client_revision }; empty for a bootstrap
    if (!clientRevision) return new Uint8Array(0);
    const rev = Buffer.from(clientRevision);
    const out = [0x1a];
    putVarint(out, rev.length);
    return Buffer.concat([Buffer.from(out), rev]);
}
function readVarint(buf, o) {
    let v = 0, mul = 1, b;
    do {
        if (o >= buf.length) throw new Error('truncated varint');
        b = buf[o++];
        v += (b & 0x7f) * mul;
        mul *= 128;
    } while (b & 0x80);
    return [v, o];
}
// Streaming parser: keeps the header whole and only the first bytes of each PageData (its page id).
class PullParser {
    constructor(keepIds) {
        this.keepIds = keepIds;
        this.ids = keepIds ? [] : null;
        this.messages = 0;
        this.pages = 0;
        this.header = null;
        this.len = -1; // length of the current message, -1 while reading its length varint
        this.varint = 0;
        this.mul = 1;
        this.read = 0;
        this.head = [];
        this.headLen = 0;
    }
    push(chunk) {
        for (let o = 0; o < chunk.length;) {
            if (this.len < 0) {
                const b = chunk[o++];
                this.varint += (b & 0x7f) * this.mul;
                this.mul *= 128;
                if (!(b & 0x80)) {
                    this.len = this.varint;
                    this.varint = 0;
                    this.mul = 1;
                    this.read = 0;
                    this.head = [];
                    this.headLen = 0;
                    if (this.len === 0) this.finish();
                }
                continue;
            }
            const take = Math.min(this.len - this.read, chunk.length - o);
            const want = this.messages === 0 ? take : Math.max(0, Math.min(take, 8 - this.headLen));
            if (want > 0) {
                this.head.push(chunk.subarray(o, o + want));
                this.headLen += want;
            }
            this.read += take;
            o += take;
            if (this.read === this.len) this.finish();
        }
    }
    finish() {
        const head = Buffer.concat(this.head);
        if (this.messages++ === 0) {
            this.header = { revision: '', db_size: 0, protocol: 0, raw_encoding: false };
            for (let o = 0; o < head.length;) {
                let tag, v;
                [tag, o] = readVarint(head, o);
                const f = Math.floor(tag / 8), t = tag % 8;
                if (t === 0) {
                    [v, o] = readVarint(head, o);
                    if (f === 2) this.header.db_size = v;
                    if (f === 8) this.header.protocol = v;
                } else if (t === 2) {
                    [v, o] = readVarint(head, o);
                    if (f === 1) this.header.revision = head.subarray(o, o + v).toString();
                    if (f === 3) this.header.raw_encoding = true;
                    o += v;
                } else throw new Error(`unexpected wire type ${t} in the header`);
            }
        } else {
            // PageData { 1: page_id (absent for 0), 2: encoded_page (4096 bytes) }
            let o = 0, id = 0;
            if (head[0] === 0x08) [id, o] = readVarint(head, 1);
            if (head[o] !== 0x12 || head[o + 1] !== 0x80 || head[o + 2] !== 0x20 || this.len !== o + 3 + PAGE)
                throw new Error(`PageData ${this.messages - 1} (page id ${id}) does not hold a ${PAGE}-byte page (message of ${this.len} bytes)`);
            ++this.pages;
            if (this.keepIds) this.ids.push(id);
        }
        this.len = -1;
    }
}
async function rawPull(url, clientRevision, keepIds) {
    const r = await fetch(`${url}/pull-updates`, {
        method: 'POST', body: pullRequest(clientRevision),
        headers: { 'content-type': 'application/protobuf', 'accept-encoding': 'application/protobuf' },
    });
    if (r.status !== 200) throw new Error(`pull-updates: HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`);
    const parser = new PullParser(keepIds);
    let bytes = 0;
    for await (const chunk of r.body) {
        bytes += chunk.length;
        parser.push(chunk);
    }
    if (parser.len >= 0) throw new Error('the answer ends inside a message');
    if (!parser.header) throw new Error('the answer has no header');
    const out = { bytes, pages: parser.pages, db_size: parser.header.db_size, revision: parser.header.revision,
        protocol: parser.header.protocol, raw_encoding: parser.header.raw_encoding };
    if (keepIds) {
        const distinct = new Set(parser.ids);
        out.distinct_pages = distinct.size;
        out.max_page_id = parser.ids.length ? Math.max(...parser.ids) : null;
    }
    return out;
}
// The same request made by curl, its answer written to /dev/null: the server's pace without node's stream reading.
// Seconds are curl's own time_total (connection to last byte), not counting the process start.
function curlPull(url, clientRevision) {
    const r = spawnSync('curl', ['-sS', '-f', '-X', 'POST', '-H', 'content-type: application/protobuf', '--data-binary', '@-',
        '-o', '/dev/null', '-w', '%{size_download} %{time_starttransfer} %{time_total}', `${url}/pull-updates`],
    { input: pullRequest(clientRevision), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`curl: ${r.stderr || r.error}`);
    const [bytes, ttfb, total] = r.stdout.trim().split(' ').map(Number);
    return { bytes, ttfb_s: ttfb, curl_s: total };
}
async function curlMeasured(url, clientRevision) {
    const m = await measured(async () => curlPull(url, clientRevision));
    return { ...figures(m, m.value), seconds: m.value.curl_s, client_cpu_s: null }; // (curl's CPU is not node's)
}
const figures = (m, extra = {}) => ({
    seconds: round(m.ms / 1000, 4), ...extra, server_cpu_s: m.server_cpu_ms === null ? null : round(m.server_cpu_ms / 1000, 2),
    client_cpu_s: round(m.client_cpu_ms / 1000, 3), server_rss_before_kib: m.server_rss_before_kib,
    server_vmhwm_kib: m.server_vmhwm_kib, server_rss_after_kib: m.server_rss_after_kib, vmhwm_reset: m.vmhwm_reset,
});

async function raw() {
    const reps = num('reps', 3), warmup = num('warmup', 0), rev = opt['client-revision'] || '';
    for (let i = 0; i < warmup; ++i) await rawPull(opt.url, rev, false);
    const runs = [];
    for (let i = 0; i < reps; ++i) {
        const m = await measured(() => rawPull(opt.url, rev, true));
        const r = figures(m, m.value);
        r.mib_per_s = round(m.value.bytes / 1048576 / (m.ms / 1000), 1);
        log(`raw pull-updates${rev ? ` since ${rev}` : ''}: ${JSON.stringify(r)}`);
        runs.push(r);
    }
    const curl = [];
    if (opt.curl) {
        curlPull(opt.url, rev); // untimed
        for (let i = 0; i < reps; ++i) {
            const r = await curlMeasured(opt.url, rev);
            log(`curl pull-updates${rev ? ` since ${rev}` : ''}: ${JSON.stringify(r)}`);
            curl.push(r);
        }
    }
    return { runs, median_s: round(median(runs.map((r) => r.seconds)), 4),
        curl, curl_median_s: curl.length ? round(median(curl.map((r) => r.seconds)), 4) : null };
}

// ---- the primary over keep-alive HTTP (Hrana /v2/pipeline with x-namespace) ---------------------------------------
let agent = null;
function post(path, body) {
    const primary = new URL(opt.primary);
    agent ??= new http.Agent({ keepAlive: true, maxSockets: 1 });
    return new Promise((resolve, reject) => {
        const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
        if (opt.ns) headers['x-namespace'] = opt.ns;
        const req = http.request({ host: primary.hostname, port: primary.port, path, method: 'POST', agent, headers }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString();
                if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
                else resolve(text);
            });
            res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
    });
}
const stmt = (sql) => ({ type: 'execute', stmt: { sql } });
async function pipeline(requests, what) {
    const json = JSON.parse(await post('/v2/pipeline', JSON.stringify({ baton: null, requests: [...requests, { type: 'close' }] })));
    for (const r of json.results)
        if (r.type !== 'ok') throw new Error(`${what}: ${JSON.stringify(r).slice(0, 300)}`);
    return json.results;
}
const value = (v) => (v.type === 'null' ? null : v.type === 'integer' ? Number(v.value) : v.value);
async function primaryRows(sql) {
    const [r] = await pipeline([stmt(sql)], sql);
    return r.response.result.rows.map((row) => row.map(value));
}

// The signature compared between the local database and the primary (as replication.sh's).
const SIGNATURE_SQL = `SELECT count(*), coalesce(max(id), 0), coalesce(sum(length(b)), 0),
    coalesce((SELECT hex(substr(b, 1, 16)) FROM big ORDER BY id DESC LIMIT 1), '') FROM big`;

// ---- sdk ---------------------------------------------------------------------------------------------------------
async function sdk() {
    const { connect } = await import(pathToFileURL(join(NODE_MODULES, '@tursodatabase/sync/dist/promise.js')));
    const prefix = opt['path-prefix'];
    if (!prefix || !opt.primary || !opt.ns) throw new Error('sdk: --path-prefix, --primary and --ns are needed');
    const reps = num('reps', 3), incrPages = num('incr-pages', 1000), incrRounds = num('incr-rounds', 3);
    const localRow = async (db, sql) => Object.values((await (await db.prepare(sql)).all())[0])
        .map((x) => (typeof x === 'bigint' ? Number(x) : x));
    const localFiles = (path) => { // the SDK's files: the database and its side files (-info, -wal, -changes, …)
        const out = {};
        for (const f of readdirSync(dirname(path)))
            if (f === basename(path) || f.startsWith(`${basename(path)}-`)) out[f.slice(basename(path).length) || 'db'] = statSync(join(dirname(path), f)).size;
        return out;
    };
    const removeLocal = (path) => {
        for (const f of readdirSync(dirname(path)))
            if (f === basename(path) || f.startsWith(`${basename(path)}-`)) rmSync(join(dirname(path), f), { force: true });
    };
    const primarySig = (await primaryRows(SIGNATURE_SQL))[0];
    const out = { bootstraps: [] };
    let db = null, dbPath = null;
    for (let i = 1; i <= reps; ++i) {
        dbPath = `${prefix}-${i}.db`;
        const m = await measured(() => connect({ path: dbPath, url: opt.url, clientName: `bench${i}` }));
        db = m.value;
        const stats = await db.stats();
        const r = figures(m, { revision: stats.revision, network_received_bytes: stats.networkReceivedBytes });
        const t = now();
        const sig = await localRow(db, SIGNATURE_SQL);
        r.verify_s = round((now() - t) / 1000, 2);
        r.rows_local = sig[0];
        r.rows_primary = primarySig[0];
        r.match = JSON.stringify(sig) === JSON.stringify(primarySig);
        if (!r.match) log(`MISMATCH after bootstrap ${i}: primary ${JSON.stringify(primarySig)} local ${JSON.stringify(sig)}`);
        r.local_files = localFiles(dbPath);
        log(`SDK bootstrap ${i}: ${JSON.stringify(r)}`);
        out.bootstraps.push(r);
        if (i < reps) {
            await db.close();
            removeLocal(dbPath);
        }
    }
    out.bootstrap_median_s = round(median(out.bootstraps.map((b) => b.seconds)), 4);

    // A pull with nothing new.
    {
        const m = await measured(() => db.pull());
        out.noop_pull = figures(m, { changed: m.value });
        log(`pull() with nothing new: ${JSON.stringify(out.noop_pull)}`);
    }

    // Incremental: incrPages rows, one per page, spread over the table, get new contents; then pull().
    const rows = primarySig[0];
    const n = Math.min(incrPages, rows);
    const step = Math.max(1, Math.floor(rows / n));
    const ids = `WITH RECURSIVE c(i) AS (SELECT ${step} UNION ALL SELECT i + ${step} FROM c WHERE i < ${step * n}) SELECT i FROM c`;
    // (The SDK's engine has no recursive CTEs, so the check selects the same ids arithmetically.)
    const CHECK_SQL = `SELECT id, hex(substr(b, 1, 16)) FROM big WHERE id % ${step} = 0 AND id <= ${step * n} ORDER BY id`;
    out.incremental = { rows_updated: n, id_step: step, rounds: [] };
    for (let round_ = 1; round_ <= incrRounds; ++round_) {
        const rev = (await db.stats()).revision;
        const w0 = now();
        const [res] = await pipeline([stmt(`UPDATE big SET b = randomblob(4000) WHERE id IN (${ids})`)], 'update');
        const writeMs = now() - w0;
        const changed = res.response.result.affected_row_count;
        if (changed !== n) throw new Error(`the UPDATE changed ${changed} rows, not ${n}`);
        // The server's answer alone, to the same request the SDK is about to make.
        const rm = await measured(() => rawPull(opt.url, rev, true));
        const rawR = figures(rm, rm.value);
        if (opt.curl) rawR.curl = await curlMeasured(opt.url, rev);
        // The SDK's pull.
        const recv0 = (await db.stats()).networkReceivedBytes;
        const m = await measured(() => db.pull());
        const stats = await db.stats();
        const r = figures(m, { changed: m.value, revision_before: rev, revision_after: stats.revision,
            network_received_bytes: stats.networkReceivedBytes - recv0 });
        r.write_ms = round(writeMs, 1);
        r.raw = rawR;
        // Verification (untimed): every updated row's first bytes, and the table's signature.
        const [p, l] = [await primaryRows(CHECK_SQL), (await (await db.prepare(CHECK_SQL)).all()).map((x) => Object.values(x).map((v) => (typeof v === 'bigint' ? Number(v) : v)))];
        const sigP = (await primaryRows(SIGNATURE_SQL))[0], sigL = await localRow(db, SIGNATURE_SQL);
        r.match = JSON.stringify(p) === JSON.stringify(l) && JSON.stringify(sigP) === JSON.stringify(sigL);
        if (!r.match) log(`MISMATCH after incremental pull ${round_}: ${p.length} vs ${l.length} updated rows; signature primary ${JSON.stringify(sigP)} local ${JSON.stringify(sigL)}`);
        r.local_files = localFiles(dbPath);
        log(`incremental ${round_}: ${JSON.stringify(r)}`);
        out.incremental.rounds.push(r);
    }
    if (out.incremental.rounds.length) {
        out.incremental.pull_median_s = round(median(out.incremental.rounds.map((r) => r.seconds)), 4);
        out.incremental.raw_median_s = round(median(out.incremental.rounds.map((r) => r.raw.seconds)), 4);
        if (opt.curl) out.incremental.curl_median_s = round(median(out.incremental.rounds.map((r) => r.raw.curl.seconds)), 4);
    }
    await db.close();
    out.server_rss_end_kib = status('VmRSS');
    return out;
}

const result = mode === 'raw' ? await raw() : await sdk();
agent?.destroy();
console.log(JSON.stringify(result));
