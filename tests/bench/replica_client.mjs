// Client side of the replication benchmarks (tests/bench/replication.sh, issue #5). Four modes, each prints one
// JSON object on stdout (progress on stderr):
//
//   fill     builds a tenant on the primary: table `big(id INTEGER PRIMARY KEY, b BLOB)` filled with --mb MiB of
//            randomblob(4000) rows (one row per 4096-byte page), one autocommit INSERT … SELECT of --txn-rows rows
//            per transaction, plus an empty table `small(id INTEGER PRIMARY KEY, v TEXT)` for the incremental part.
//            Reports rows, transactions, seconds and MiB/s.
//   replica  the embedded replica: createClient({url: "file:--file", syncUrl: --sync-url}) and one sync(), timed
//            together (cold sync); then the replica's rows are checked against the primary's (count, max id, total
//            blob length, first bytes of the last blob; PRAGMA quick_check with --check). The replica's own CPU time
//            (process.cpuUsage(): node and libsql's native threads) over the cold sync is reported too. With --incremental N:
//            N rows of `small` written on the primary in batches of --batch rows (one INSERT of --batch rows per
//            commit), then one timed sync(); with --incremental-blobs M the same with M randomblob(4000) rows (about
//            one frame per row); with --noop K: K timed sync() calls with nothing new (with --admin, the server's
//            replication RPCs per such sync, from the namespace's stats). With --pid, the server's CPU
//            time (/proc/PID/stat) over the cold sync, its peak RSS (VmHWM, reset through /proc/PID/clear_refs just
//            before when the kernel allows) and the highest VmRSS sampled every 50 ms.
//   wire     the server's side of a cold sync without the replica: the replica's gRPC-web calls (Hello, then
//            BatchLogEntries from frame 0, Snapshot after NEED_SNAPSHOT) until the tip Hello advertised, over one
//            keep-alive connection; frames are counted and dropped. Seconds, MiB/s of frames, calls, server CPU.
//   writes   write throughput over keep-alive HTTP (node:http, one connection): a sequential loop of 1-row INSERT
//            pipelines for --seconds s (after --warmup s), then --txn-reps pipelines of one --txn-rows-row
//            transaction (a batch: BEGIN, INSERT × rows, COMMIT, each step conditioned on the previous, as
//            @libsql/client builds batches). Requests/s, p50/p99, rows/s, and with --pid the server's CPU time per
//            request and per row.
//
// Usage:
//   node replica_client.mjs fill     --primary http://127.0.0.1:PORT --ns NS [--mb 100] [--txn-rows 1000]
//   node replica_client.mjs replica  --primary http://127.0.0.1:PORT --ns NS --sync-url http://NS.localhost:PORT
//                                    --file PATH [--admin http://127.0.0.1:ADMIN_PORT] [--pid PID] [--check] [--incremental 5000] [--batch 100]
//                                    [--incremental-blobs 0] [--noop 20]
//   node replica_client.mjs wire     --primary http://127.0.0.1:PORT --ns NS [--pid PID]
//   node replica_client.mjs writes   --primary http://127.0.0.1:PORT [--ns NS] [--pid PID] [--seconds 10]
//                                    [--warmup 1] [--txn-reps 20] [--txn-rows 1000]

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'compat', 'node_modules');

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
if (!['fill', 'replica', 'wire', 'writes'].includes(mode) || !opt.primary) {
    console.error('usage: node replica_client.mjs fill|replica|wire|writes --primary URL [options] (see the file header)');
    process.exit(2);
}
const log = (s) => process.stderr.write(`   ${s}\n`);
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (a, p) => {
    const s = [...a].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x, d = 3) => +x.toFixed(d);

// ---- the primary over keep-alive HTTP (node:http: far less client CPU per request than fetch) -----------------
const primary = new URL(opt.primary);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(path, body) {
    return new Promise((resolve, reject) => {
        const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
        if (opt.ns) headers['x-namespace'] = opt.ns;
        const req = http.request({ host: primary.hostname, port: primary.port, path, method: 'POST', agent, headers },
            (res) => {
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
const stmt = (sql, args) => ({ type: 'execute', stmt: args ? { sql, args } : { sql } });
async function pipeline(requests, what) {
    const json = JSON.parse(await post('/v2/pipeline', JSON.stringify({ baton: null, requests: [...requests, { type: 'close' }] })));
    for (const r of json.results)
        if (r.type !== 'ok') throw new Error(`${what}: ${JSON.stringify(r).slice(0, 300)}`);
    return json.results;
}
const value = (v) => (v.type === 'null' ? null : v.type === 'integer' ? Number(v.value) : v.value);
async function primaryRow(sql) {
    const [r] = await pipeline([stmt(sql)], sql);
    return r.response.result.rows[0].map(value);
}

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

// The signature compared between replica and primary.
const SIGNATURE_SQL = `SELECT count(*), coalesce(max(id), 0), coalesce(sum(length(b)), 0),
    coalesce((SELECT hex(substr(b, 1, 16)) FROM big ORDER BY id DESC LIMIT 1), '') FROM big`;
const SMALL_SQL = `SELECT count(*), coalesce(max(id), 0), coalesce(sum(length(v)), 0), '' FROM small`;

// ---- fill ------------------------------------------------------------------------------------------------------
async function fill() {
    const mb = num('mb', 100), txnRows = num('txn-rows', 1000);
    const rows = Math.round((mb * 1024 * 1024) / 4096);
    await pipeline([stmt('CREATE TABLE IF NOT EXISTS big(id INTEGER PRIMARY KEY, b BLOB)'),
        stmt('CREATE TABLE IF NOT EXISTS small(id INTEGER PRIMARY KEY, v TEXT)')], 'create');
    const t0 = now(), c0 = cpuMs();
    let done = 0, txns = 0;
    while (done < rows) {
        const n = Math.min(txnRows, rows - done);
        await pipeline([stmt(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n})
            INSERT INTO big(b) SELECT randomblob(4000) FROM c`)], 'fill');
        done += n;
        ++txns;
    }
    const ms = now() - t0;
    return { rows, transactions: txns, seconds: round(ms / 1000), mib_per_s: round((rows * 4096) / 1048576 / (ms / 1000), 1),
        server_cpu_s: round((cpuMs() - c0) / 1000, 2) };
}

// The namespace's replication RPC counter from the admin API (--admin URL), or null.
async function replicationRequests() {
    if (!opt.admin || !opt.ns) return null;
    const r = await fetch(new URL(`/v1/namespaces/${opt.ns}/stats`, opt.admin));
    return r.status === 200 ? (await r.json()).replication?.replication_requests ?? null : null;
}

// ---- replica ---------------------------------------------------------------------------------------------------
async function replica() {
    const { createClient } = await import(pathToFileURL(join(NODE_MODULES, '@libsql/client/lib-esm/node.js')));
    const file = opt.file;
    if (!file || !opt['sync-url']) throw new Error('replica: --file and --sync-url are needed');
    const out = {};

    // Cold sync.
    let rssMax = 0;
    if (pid) {
        try {
            writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
            out.hwm_reset = true;
        } catch {
            out.hwm_reset = false;
        }
    }
    const rssBefore = status('VmRSS');
    const rq0 = await replicationRequests();
    const sampler = pid ? setInterval(() => { rssMax = Math.max(rssMax, status('VmRSS') ?? 0); }, 50) : null;
    const c0 = cpuMs(), u0 = process.cpuUsage(), t0 = now();
    const client = createClient({ url: `file:${file}`, syncUrl: opt['sync-url'] });
    const s = await client.sync();
    const t1 = now(), c1 = cpuMs(), u1 = process.cpuUsage(u0);
    if (sampler) clearInterval(sampler);
    const rq1 = await replicationRequests();
    out.cold = {
        seconds: round((t1 - t0) / 1000), frames_synced: s?.frames_synced ?? null, frame_no: s?.frame_no ?? null,
        server_cpu_s: round((c1 - c0) / 1000, 2), client_cpu_s: round((u1.user + u1.system) / 1e6, 2),
        client_user_s: round(u1.user / 1e6, 2), client_sys_s: round(u1.system / 1e6, 2), server_rss_before_kib: rssBefore,
        server_rss_max_sampled_kib: pid ? Math.max(rssMax, status('VmRSS')) : null, server_vmhwm_kib: status('VmHWM'),
        server_vmhwm_reset: out.hwm_reset ?? false, replication_requests: rq0 !== null && rq1 !== null ? rq1 - rq0 : null,
    };
    log(`cold sync: ${JSON.stringify(out.cold)}`);

    // Verification (untimed).
    const repRow = async (sql) => Array.from((await client.execute(sql)).rows[0], (x) => (typeof x === 'bigint' ? Number(x) : x));
    const verify = async (what, sql) => {
        const [p, r] = [await primaryRow(sql), await repRow(sql)];
        const same = JSON.stringify(p) === JSON.stringify(r);
        if (!same) log(`MISMATCH after ${what}: primary ${JSON.stringify(p)} replica ${JSON.stringify(r)}`);
        return { same, primary: p, replica: r };
    };
    const v = await verify('cold sync', SIGNATURE_SQL);
    out.cold.rows_primary = v.primary[0];
    out.cold.rows_replica = v.replica[0];
    out.cold.match = v.same;
    out.cold.replica_file_bytes = existsSync(file) ? statSync(file).size : null;
    out.cold.replica_wal_bytes = existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0;
    if (opt.check) {
        const t = now();
        out.cold.quick_check = (await client.execute('PRAGMA quick_check')).rows[0][0];
        log(`quick_check: ${out.cold.quick_check} (${round((now() - t) / 1000, 1)} s)`);
    }

    // Incremental sync: rows written on the primary in commits of --batch rows, then one timed sync().
    const batch = num('batch', 100);
    async function incremental(label, n, valuesSql) {
        let commits = 0;
        const w0 = now();
        for (let done = 0; done < n; done += batch, ++commits) {
            const k = Math.min(batch, n - done);
            await pipeline([stmt(valuesSql(k, done))], label);
        }
        const writeMs = now() - w0;
        const c2 = cpuMs(), t2 = now();
        const r = await client.sync();
        const t3 = now(), c3 = cpuMs();
        const ms = t3 - t2;
        const res = {
            rows: n, commits, write_ms: round(writeMs, 1), sync_ms: round(ms, 2), frames_synced: r?.frames_synced ?? null,
            frame_no: r?.frame_no ?? null, frames_per_s: r?.frames_synced ? Math.round(r.frames_synced / (ms / 1000)) : null,
            rows_per_s: Math.round(n / (ms / 1000)), server_cpu_ms: round(c3 - c2, 0),
        };
        const vs = await verify(label, SMALL_SQL);
        const vb = await verify(label, SIGNATURE_SQL);
        res.match = vs.same && vb.same;
        log(`${label}: ${JSON.stringify(res)}`);
        return res;
    }
    if (num('incremental', 0) > 0) {
        out.incremental = await incremental('incremental (small rows)', num('incremental', 0), (k, base) =>
            `INSERT INTO small(v) VALUES ${Array.from({ length: k }, (_, i) => `('incremental-row-${base + i}-abcdefghij')`).join(', ')}`);
    }
    if (num('incremental-blobs', 0) > 0) {
        out.incremental_blobs = await incremental('incremental (4000-byte blob rows)', num('incremental-blobs', 0), (k) =>
            `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${k}) INSERT INTO big(b) SELECT randomblob(4000) FROM c`);
    }

    // Sync with nothing new.
    const noop = num('noop', 0);
    if (noop > 0) {
        const rq0 = await replicationRequests();
        const ms = [];
        const frames = [];
        for (let i = 0; i < noop + 2; ++i) {
            const t = now();
            const r = await client.sync();
            if (i >= 2) ms.push(now() - t), frames.push(r?.frames_synced ?? 0);
        }
        out.noop = { syncs: noop, median_ms: round(median(ms), 2), p90_ms: round(pct(ms, 90), 2), min_ms: round(Math.min(...ms), 2),
            frames_synced_max: Math.max(...frames) };
        const rq1 = await replicationRequests();
        if (rq0 !== null && rq1 !== null) out.noop.server_replication_requests_per_sync = round((rq1 - rq0) / (noop + 2), 2);
        log(`no-op sync: ${JSON.stringify(out.noop)}`);
    }
    client.close();
    return out;
}

// ---- wire: the server's side of a cold sync alone --------------------------------------------------------------
// Speaks the replica's gRPC-web protocol (shared/spec/replication.md): Hello, then BatchLogEntries from frame 0,
// following NEED_SNAPSHOT with Snapshot, until the index Hello advertised; frames are counted and dropped.
function grpc(method, message, token) {
    return new Promise((resolve, reject) => {
        const frame = Buffer.alloc(5 + message.length);
        frame.writeUInt32BE(message.length, 1);
        message.copy(frame, 5);
        const headers = { 'content-type': 'application/grpc-web', te: 'trailers', 'content-length': frame.length,
            'x-namespace-bin': Buffer.from(opt.ns ?? 'default').toString('base64').replace(/=+$/, '') };
        if (token) headers['x-session-token'] = token;
        const req = http.request({ host: primary.hostname, port: primary.port, path: `/wal_log.ReplicationLog/${method}`,
            method: 'POST', agent, headers }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const body = Buffer.concat(chunks);
                const messages = [];
                let trailer = `grpc-status:${res.headers['grpc-status'] ?? ''}\r\ngrpc-message:${res.headers['grpc-message'] ?? ''}`;
                for (let o = 0; o + 5 <= body.length;) {
                    const len = body.readUInt32BE(o + 1);
                    if (body[o] & 0x80) trailer = body.subarray(o + 5, o + 5 + len).toString();
                    else messages.push(body.subarray(o + 5, o + 5 + len));
                    o += 5 + len;
                }
                const status = /grpc-status:\s*(\d+)/.exec(trailer)?.[1];
                if (res.statusCode !== 200 || (status && status !== '0'))
                    resolve({ error: `${res.statusCode} ${trailer.replace(/\r\n/g, ' ')}`, messages });
                else resolve({ messages, bytes: body.length });
            });
            res.on('error', reject);
        });
        req.on('error', reject);
        req.end(frame);
    });
}
function varint(buf, o) {
    let v = 0n, shift = 0n, b;
    do { b = buf[o++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    return [v, o];
}
function* fields(buf) { // → [field number, wire type, value (bigint or Buffer)]
    for (let o = 0; o < buf.length;) {
        let tag, v;
        [tag, o] = varint(buf, o);
        const f = Number(tag >> 3n), t = Number(tag & 7n);
        if (t === 0) { [v, o] = varint(buf, o); yield [f, t, v]; }
        else if (t === 2) { let n; [n, o] = varint(buf, o); yield [f, t, buf.subarray(o, o + Number(n))]; o += Number(n); }
        else if (t === 1) { yield [f, t, buf.subarray(o, o + 8)]; o += 8; }
        else if (t === 5) { yield [f, t, buf.subarray(o, o + 4)]; o += 4; }
        else throw new Error(`unexpected wire type ${t}`);
    }
}
const frameData = (frameMsg) => { for (const [f, , v] of fields(frameMsg)) if (f === 1) return v; return null; };
const logOffset = (n) => { // LogOffset { next_offset = n } (empty for 0)
    if (n === 0n) return Buffer.alloc(0);
    const out = [0x08];
    for (let v = n; ; v >>= 7n) { if (v < 0x80n) { out.push(Number(v)); break; } out.push(Number(v & 0x7fn) | 0x80); }
    return Buffer.from(out);
};
async function wire() {
    const c0 = cpuMs(), t0 = now();
    const hello = await grpc('Hello', Buffer.from([0x08, 0x01]));
    if (hello.error) throw new Error(`Hello: ${hello.error}`);
    let token = null, tip = null;
    for (const [f, , v] of fields(hello.messages[0])) {
        if (f === 4) token = v.toString();
        if (f === 5) tip = v;
    }
    let next = 0n, frames = 0, bytes = 0, batches = 0, snapshots = 0, snapshotFrames = 0;
    while (tip !== null && next <= tip) {
        const r = await grpc('BatchLogEntries', logOffset(next), token);
        if (r.error && r.error.includes('NEED_SNAPSHOT')) {
            const s = await grpc('Snapshot', logOffset(next), token);
            if (s.error) throw new Error(`Snapshot(${next}): ${s.error}`);
            let first = null;
            for (const m of s.messages) {
                const d = frameData(m);
                if (first === null) first = d.readBigUInt64LE(0);
                ++frames, ++snapshotFrames, (bytes += d.length);
            }
            ++snapshots;
            next = first + 1n;
            continue;
        }
        if (r.error) throw new Error(`BatchLogEntries(${next}): ${r.error}`);
        let last = null;
        for (const [f, , v] of fields(r.messages[0] ?? Buffer.alloc(0))) {
            if (f !== 1) continue;
            const d = frameData(v);
            last = d.readBigUInt64LE(0);
            ++frames, (bytes += d.length);
        }
        ++batches;
        if (last === null) break;
        next = last + 1n;
    }
    const ms = now() - t0;
    return { seconds: round(ms / 1000), frames, frame_bytes: bytes, mib_per_s: round(bytes / 1048576 / (ms / 1000), 1),
        batch_calls: batches, snapshot_calls: snapshots, snapshot_frames: snapshotFrames, tip: tip === null ? null : Number(tip),
        server_cpu_s: round((cpuMs() - c0) / 1000, 2) };
}

// ---- writes ----------------------------------------------------------------------------------------------------
async function writes() {
    const seconds = num('seconds', 10), warmup = num('warmup', 1), txnReps = num('txn-reps', 20), txnRows = num('txn-rows', 1000);
    await pipeline([stmt('DROP TABLE IF EXISTS t'), stmt('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)'),
        stmt('DROP TABLE IF EXISTS b'), stmt('CREATE TABLE b(id INTEGER PRIMARY KEY, v TEXT)')], 'setup');

    // The same body as run.sh's 1-row INSERT pipeline.
    const one = JSON.stringify({ baton: null, requests: [stmt('INSERT INTO t(v) VALUES (?)', [{ type: 'text', value: 'benchmark-row-0123456789' }]), { type: 'close' }] });
    const checkOk = (text) => {
        if (text.includes('"type":"error"')) throw new Error(`write failed: ${text.slice(0, 300)}`);
    };
    let end = now() + warmup * 1000;
    while (now() < end) checkOk(await post('/v2/pipeline', one));
    const lat = [];
    const c0 = cpuMs(), u0 = process.cpuUsage(), t0 = now();
    end = t0 + seconds * 1000;
    for (let t = t0; t < end;) {
        checkOk(await post('/v2/pipeline', one));
        const t1 = now();
        lat.push(t1 - t);
        t = t1;
    }
    const ms = now() - t0, cpu = cpuMs() - c0, u = process.cpuUsage(u0);
    const single = {
        requests: lat.length, seconds: round(ms / 1000, 2), req_per_s: Math.round(lat.length / (ms / 1000)),
        p50_us: Math.round(median(lat) * 1000), p99_us: Math.round(pct(lat, 99) * 1000),
        server_cpu_us_per_req: pid ? round((cpu * 1000) / lat.length, 1) : null,
        client_cpu_us_per_req: round((u.user + u.system) / lat.length, 1),
    };
    log(`1-row INSERT: ${JSON.stringify(single)}`);

    // Transactions of txnRows rows, the way @libsql/client sends a batch.
    const steps = [{ stmt: { sql: 'BEGIN' } }];
    for (let i = 0; i < txnRows; ++i)
        steps.push({ stmt: { sql: 'INSERT INTO b(v) VALUES (?)', args: [{ type: 'text', value: `row-${i}-abcdefghijklmnopqrstuvwxyz` }] },
            condition: { type: 'ok', step: steps.length - 1 } });
    steps.push({ stmt: { sql: 'COMMIT' }, condition: { type: 'ok', step: steps.length - 1 } });
    const body = JSON.stringify({ baton: null, requests: [{ type: 'batch', batch: { steps } }, { type: 'close' }] });
    const tms = [];
    let tcpu = 0;
    for (let r = 0; r < txnReps + 2; ++r) {
        const cc = cpuMs(), t = now();
        const text = await post('/v2/pipeline', body);
        const dt = now() - t, dc = cpuMs() - cc;
        const res = JSON.parse(text).results[0].response.result;
        if (res.step_errors.some((e) => e !== null)) throw new Error(`transaction failed: ${text.slice(0, 300)}`);
        if (r >= 2) tms.push(dt), (tcpu += dc);
    }
    const count = (await primaryRow('SELECT count(*) FROM b'))[0];
    if (count !== (txnReps + 2) * txnRows) throw new Error(`expected ${(txnReps + 2) * txnRows} rows in b, found ${count}`);
    const txn = {
        reps: txnReps, rows: txnRows, median_ms: round(median(tms), 2), min_ms: round(Math.min(...tms), 2),
        rows_per_s: Math.round(txnRows / (median(tms) / 1000)),
        server_cpu_us_per_row: pid ? round((tcpu * 1000) / (txnReps * txnRows), 2) : null,
    };
    log(`${txnRows}-row transactions: ${JSON.stringify(txn)}`);
    return { single, txn };
}

const result = mode === 'fill' ? await fill() : mode === 'replica' ? await replica() : mode === 'wire' ? await wire() : await writes();
agent.destroy();
console.log(JSON.stringify(result));
