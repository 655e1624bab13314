// Hrana over one WebSocket against Hrana over HTTP pipelines, with @libsql/hrana-client (tests/bench/ws.sh).
//
// Four transports, each one client with one stream (client.openStream()):
//   ws_protobuf    openWs(url, undefined, 3): offers hrana3-protobuf, hrana3, hrana2, hrana1; qsqld picks protobuf
//   ws_json        openWs(url, undefined, 2): offers hrana2, hrana1 (JSON text frames)
//   http_protobuf  openHttp(url, undefined, undefined, undefined, 3): GET /v3-protobuf, then /v3-protobuf/pipeline
//   http_json      openHttp(url, undefined, undefined, undefined, 2): /v2/pipeline (JSON)
// (openHttp's signature is (url, jwt, customFetch, remoteEncryptionKey, protocolVersion): the version is the fifth
// argument.) Every statement is its own awaited round trip, as an application issuing one query at a time does;
// over HTTP the stream keeps its baton between pipelines.
//
// Cases, each run ROUNDS times with the transports taking turns within a round:
//   select  N x `SELECT ?` with an integer argument (after WARMUP untimed)
//   insert  N x `INSERT INTO t(v) VALUES (?)` with a text argument, autocommit (after WARMUP untimed)
//   large   LARGE_REPS x `SELECT i, r, t, b FROM big`: LARGE_ROWS rows of integer, real, 40-character text and
//           32-byte blob (after 3 untimed), timed from the call until the client hands back the decoded rows
// Reported per transport: statements/s (all rounds' statements over all rounds' time) and p50/p99 round trip for
// select and insert, median and minimum ms per result for large; with a server PID, also the server's CPU time
// (user + system from /proc/PID/stat, coarse: 10 ms ticks) per statement or result, and the client's own CPU time.
// Then the WebSocket/HTTP ratios per encoding. One JSON object on stdout; progress on stderr.
//
// Usage: node ws_client.mjs HTTP_BASE_URL [--pid SERVER_PID] [--n 2000] [--warmup 200] [--rounds 3]
//                                        [--large-reps 50] [--large-rows 1000]

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'compat', 'node_modules');
for (const pkg of ['@libsql/hrana-client', 'ws']) {
    if (!existsSync(join(NODE_MODULES, pkg, 'package.json'))) {
        console.error(`ws_client.mjs: ${pkg} is missing from ${NODE_MODULES}; run \`npm ci\` in tests/compat first`);
        process.exit(1);
    }
}
const hrana = await import(pathToFileURL(join(NODE_MODULES, '@libsql/hrana-client/lib-esm/index.js')));
const { WebSocket } = await import(pathToFileURL(join(NODE_MODULES, 'ws/wrapper.mjs')));

// ---- arguments -------------------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opts = { pid: null, n: 2000, warmup: 200, rounds: 3, 'large-reps': 50, 'large-rows': 1000 };
let base = null;
for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a.startsWith('--') && a.slice(2) in opts && i + 1 < argv.length)
        opts[a.slice(2)] = Number(argv[++i]);
    else if (!a.startsWith('--') && base === null)
        base = a;
    else {
        console.error(`ws_client.mjs: unexpected argument ${a}`);
        base = null;
        break;
    }
}
if (!base || Object.values(opts).some((v) => v !== null && !(Number.isInteger(v) && v >= 0)) || opts.n < 1
    || opts.rounds < 1 || opts['large-reps'] < 1 || opts['large-rows'] < 1) {
    console.error('usage: node ws_client.mjs HTTP_BASE_URL [--pid SERVER_PID] [--n 2000] [--warmup 200] [--rounds 3] '
                  + '[--large-reps 50] [--large-rows 1000]');
    process.exit(2);
}
const { n: N, warmup: WARMUP, rounds: ROUNDS, pid: PID } = opts;
const LARGE_REPS = opts['large-reps'];
const LARGE_ROWS = opts['large-rows'];
const LARGE_WARMUP = 3;
const httpUrl = new URL(base).toString();
const wsUrl = httpUrl.replace(/^http/, 'ws');
const log = (msg) => console.error(`   ${msg}`);

// ---- helpers ---------------------------------------------------------------------------------------------------
const CLK_TCK = 100; // Linux USER_HZ; /proc/PID/stat reports utime and stime in these ticks
function serverCpuMs() {
    if (PID === null)
        return 0;
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${PID}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 1000 / CLK_TCK;
}
const clientCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const now = () => process.hrtime.bigint();
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
function median(values) {
    const s = [...values].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const round = (x, digits) => +x.toFixed(digits);

// What qsqld picks for a list of offered subprotocols (the hrana-client keeps its socket's choice private).
function negotiatedSubprotocol(protocols) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl, protocols);
        ws.on('open', () => { const p = ws.protocol; ws.close(); resolve(p); });
        ws.on('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
        ws.on('error', reject);
    });
}

// ---- transports ------------------------------------------------------------------------------------------------
const TRANSPORTS = [
    { name: 'ws_protobuf', encoding: 'protobuf', kind: 'ws', open: () => hrana.openWs(wsUrl, undefined, 3),
      offers: ['hrana3-protobuf', 'hrana3', 'hrana2', 'hrana1'], expect: 'hrana3-protobuf' },
    { name: 'ws_json', encoding: 'json', kind: 'ws', open: () => hrana.openWs(wsUrl, undefined, 2),
      offers: ['hrana2', 'hrana1'], expect: 'hrana2' },
    { name: 'http_protobuf', encoding: 'protobuf', kind: 'http',
      open: () => hrana.openHttp(httpUrl, undefined, undefined, undefined, 3), expect: 'v3-protobuf/pipeline' },
    { name: 'http_json', encoding: 'json', kind: 'http',
      open: () => hrana.openHttp(httpUrl, undefined, undefined, undefined, 2), expect: 'v2/pipeline' },
];

for (const t of TRANSPORTS) {
    t.client = t.open();
    t.version = await t.client.getVersion(); // waits for the socket to open or the HTTP endpoint probe to finish
    if (t.kind === 'ws') {
        t.via = await negotiatedSubprotocol(t.offers);
    } else {
        t.via = t.client._endpoint?.pipelinePath; // private field of hrana-client 0.10's HttpClient
    }
    if (t.via !== t.expect)
        throw new Error(`${t.name}: expected ${t.expect}, got ${t.via} (version ${t.version})`);
    t.stream = t.client.openStream();
    t.results = { select: [], insert: [], large: [] };
    t.cpu = { select: [0, 0], insert: [0, 0], large: [0, 0] }; // [server ms, client ms], summed over rounds
    log(`${t.name}: protocol version ${t.version} via ${t.via}`);
}

// ---- setup (over the JSON HTTP stream) -------------------------------------------------------------------------
{
    const s = TRANSPORTS.find((t) => t.name === 'http_json').stream;
    await s.run('DROP TABLE IF EXISTS t');
    await s.run('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
    await s.run('DROP TABLE IF EXISTS big');
    await s.run('CREATE TABLE big(i INTEGER, r REAL, t TEXT, b BLOB)');
    // The same shapes as tests/bench/encoding.cpp: k * 7919, k + 1/3, 'row-NNNNNN-abc...' cut to 40 characters,
    // 32 random bytes.
    await s.run([`WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < ?)
                  INSERT INTO big SELECT x * 7919, x + 1.0 / 3, substr(printf('row-%06d-', x)
                  || 'abcdefghijklmnopqrstuvwxyz0123456789', 1, 40), randomblob(32) FROM k`, [BigInt(LARGE_ROWS)]]);
}

// ---- cases -----------------------------------------------------------------------------------------------------
const TEXT_ARG = 'benchmark-row-0123456789';
const CASES = {
    select: {
        count: N, warmup: WARMUP,
        async once(stream, i) {
            const r = await stream.query(['SELECT ?', [BigInt(i)]]);
            if (r.rows.length !== 1 || r.rows[0][0] !== i)
                throw new Error(`SELECT ${i} returned ${JSON.stringify(r.rows)}`);
        },
    },
    insert: {
        count: N, warmup: WARMUP,
        async once(stream) {
            const r = await stream.run(['INSERT INTO t(v) VALUES (?)', [TEXT_ARG]]);
            if (r.affectedRowCount !== 1)
                throw new Error(`INSERT affected ${r.affectedRowCount} rows`);
        },
    },
    large: {
        count: LARGE_REPS, warmup: LARGE_WARMUP,
        async once(stream) {
            const r = await stream.query('SELECT i, r, t, b FROM big');
            if (r.rows.length !== LARGE_ROWS || r.columnNames.length !== 4 || r.rows[0][3].byteLength !== 32
                || r.rows[0][2].length !== 40)
                throw new Error(`large SELECT returned ${r.rows.length} rows`);
        },
    },
};

async function runCase(t, name) {
    const c = CASES[name];
    for (let i = 0; i < c.warmup; ++i)
        await c.once(t.stream, i);
    const s0 = serverCpuMs(), c0 = clientCpuMs();
    const times = new Array(c.count);
    for (let i = 0; i < c.count; ++i) {
        const t0 = now();
        await c.once(t.stream, i);
        times[i] = Number(now() - t0) / 1e3; // µs
    }
    t.cpu[name][0] += serverCpuMs() - s0;
    t.cpu[name][1] += clientCpuMs() - c0;
    t.results[name].push(times);
}

for (let r = 1; r <= ROUNDS; ++r) {
    for (const name of Object.keys(CASES)) {
        for (const t of TRANSPORTS) {
            await runCase(t, name);
            const last = t.results[name].at(-1);
            const ms = last.reduce((a, b) => a + b, 0) / 1e3;
            log(`round ${r}/${ROUNDS} ${name.padEnd(6)} ${t.name.padEnd(13)} ${last.length} in ${ms.toFixed(1)} ms`);
        }
    }
}

// ---- report ----------------------------------------------------------------------------------------------------
const insertedRows = (await TRANSPORTS.find((t) => t.name === 'http_json').stream.query('SELECT count(*) FROM t')).rows[0][0];
const expectedRows = TRANSPORTS.length * ROUNDS * (N + WARMUP);
if (insertedRows !== expectedRows)
    throw new Error(`expected ${expectedRows} rows in t, found ${insertedRows}`);

const out = {
    n: N, warmup: WARMUP, rounds: ROUNDS, large_reps: LARGE_REPS, large_rows: LARGE_ROWS, server_pid: PID,
    transports: {}, ratios: {},
};
for (const t of TRANSPORTS) {
    const o = { version: t.version, via: t.via };
    for (const name of ['select', 'insert']) {
        const all = t.results[name].flat().sort((a, b) => a - b);
        const totalS = all.reduce((a, b) => a + b, 0) / 1e6;
        const perRound = t.results[name].map((times) => times.length / (times.reduce((a, b) => a + b, 0) / 1e6));
        o[name] = {
            stmts_per_s: round(all.length / totalS, 0),
            stmts_per_s_rounds: perRound.map((x) => round(x, 0)),
            p50_us: round(quantile(all, 0.5), 1),
            p99_us: round(quantile(all, 0.99), 1),
            server_cpu_us: round(t.cpu[name][0] * 1e3 / all.length, 1),
            client_cpu_us: round(t.cpu[name][1] * 1e3 / all.length, 1),
        };
    }
    const large = t.results.large.flat();
    o.large = {
        median_ms: round(median(large) / 1e3, 3),
        min_ms: round(Math.min(...large) / 1e3, 3),
        server_cpu_ms: round(t.cpu.large[0] / large.length, 3),
        client_cpu_ms: round(t.cpu.large[1] / large.length, 3),
    };
    out.transports[t.name] = o;
}
for (const enc of ['protobuf', 'json']) {
    const ws = out.transports[`ws_${enc}`], http = out.transports[`http_${enc}`];
    out.ratios[enc] = {
        select_ws_over_http: round(ws.select.stmts_per_s / http.select.stmts_per_s, 3),
        insert_ws_over_http: round(ws.insert.stmts_per_s / http.insert.stmts_per_s, 3),
        large_http_ms_over_ws_ms: round(http.large.median_ms / ws.large.median_ms, 3),
    };
}
for (const t of TRANSPORTS) {
    t.stream.close();
    t.client.close();
}
console.log(JSON.stringify(out));
