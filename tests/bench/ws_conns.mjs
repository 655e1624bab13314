// Many idle Hrana WebSocket connections to one qsqld, and what they cost it in memory (tests/bench/ws.sh).
//
// Opens CONNS WebSocket connections (the `ws` package, subprotocol hrana3, JSON), at most --parallel handshakes at
// a time. On each: hello, open_stream (stream 1), execute `SELECT 1` on it, and it then stays open. Once all are
// open (or have failed), one more `SELECT 1` is sent on every open connection at once, to show they are all still
// served. The server's memory (VmRSS, VmHWM from /proc/PID/status), threads and open descriptors are read before the
// first connection, after all are open, after the second round of statements, and after all are closed again.
// Prints one JSON object on stdout; progress on stderr.
//
// Usage: node ws_conns.mjs HTTP_OR_WS_BASE_URL SERVER_PID [--conns 1000] [--parallel 32] [--timeout-ms 20000]

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'compat', 'node_modules');
if (!existsSync(join(NODE_MODULES, 'ws', 'package.json'))) {
    console.error(`ws_conns.mjs: ws is missing from ${NODE_MODULES}; run \`npm ci\` in tests/compat first`);
    process.exit(1);
}
const { WebSocket } = await import(pathToFileURL(join(NODE_MODULES, 'ws/wrapper.mjs')));

const argv = process.argv.slice(2);
const opts = { conns: 1000, parallel: 32, 'timeout-ms': 20000 };
const positional = [];
for (let i = 0; i < argv.length; ++i) {
    if (argv[i].startsWith('--') && argv[i].slice(2) in opts && i + 1 < argv.length)
        opts[argv[i].slice(2)] = Number(argv[++i]);
    else
        positional.push(argv[i]);
}
const [base, pidArg] = positional;
const PID = Number(pidArg);
if (positional.length !== 2 || !Number.isInteger(PID) || Object.values(opts).some((v) => !(Number.isInteger(v) && v > 0))) {
    console.error('usage: node ws_conns.mjs HTTP_OR_WS_BASE_URL SERVER_PID [--conns 1000] [--parallel 32] [--timeout-ms 20000]');
    process.exit(2);
}
const CONNS = opts.conns;
const url = base.replace(/^http/, 'ws');
const log = (msg) => console.error(`   ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the server's footprint ------------------------------------------------------------------------------------
function serverState() {
    const status = readFileSync(`/proc/${PID}/status`, 'utf8');
    const kib = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    let fds = NaN;
    try {
        fds = readdirSync(`/proc/${PID}/fd`).length;
    } catch { /* not our process: leave it unknown */ }
    return {
        rss_kib: kib('VmRSS'), hwm_kib: kib('VmHWM'),
        threads: Number(status.match(/^Threads:\s+(\d+)/m)?.[1] ?? NaN), fds,
    };
}
function fdLimitOf(pid) {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/);
    return { soft: Number(soft) || soft, hard: Number(hard) || hard };
}

// ---- one connection --------------------------------------------------------------------------------------------
// A hrana3 (JSON) connection with request/response matching. `request` resolves with the response or rejects with
// the error, a close, or a timeout.
class Conn {
    constructor(ws) {
        this.ws = ws;
        this.nextId = 1;
        this.waiting = new Map(); // request_id → {resolve, reject}
        this.closed = null;
        ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
        ws.on('close', (code, reason) => this.#fail(new Error(`closed by the server: ${code} ${reason}`)));
        ws.on('error', (e) => this.#fail(e));
    }
    static open(timeoutMs) {
        return new Promise((resolve, reject) => {
            const ws = new WebSocket(url, 'hrana3');
            const timer = setTimeout(() => { ws.terminate(); reject(new Error('handshake timed out')); }, timeoutMs);
            ws.once('open', () => { clearTimeout(timer); resolve(new Conn(ws)); });
            ws.once('unexpected-response', (_req, res) => {
                clearTimeout(timer);
                reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
                ws.terminate();
            });
            ws.once('error', (e) => { clearTimeout(timer); reject(e); });
        });
    }
    hello() {
        return this.#expect((resolve, reject) => { this.hello_ = { resolve, reject }; },
            { type: 'hello', jwt: null });
    }
    request(request) {
        const id = this.nextId++;
        return this.#expect((resolve, reject) => this.waiting.set(id, { resolve, reject }),
            { type: 'request', request_id: id, request });
    }
    #expect(register, msg) {
        if (this.closed)
            return Promise.reject(this.closed);
        const p = new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no answer to ${msg.type} in ${opts['timeout-ms']} ms`)),
                opts['timeout-ms']);
            register((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
        });
        this.ws.send(JSON.stringify(msg));
        return p;
    }
    #onMessage(data, isBinary) {
        if (isBinary)
            return this.#fail(new Error('binary message on hrana3'));
        const msg = JSON.parse(data.toString());
        if (msg.type === 'hello_ok' || msg.type === 'hello_error') {
            const h = this.hello_;
            this.hello_ = null;
            if (!h)
                return this.#fail(new Error(`unexpected ${msg.type}`));
            return msg.type === 'hello_ok' ? h.resolve() : h.reject(new Error(`hello_error: ${JSON.stringify(msg.error)}`));
        }
        const w = this.waiting.get(msg.request_id);
        if (!w)
            return this.#fail(new Error(`unexpected message ${data.toString().slice(0, 200)}`));
        this.waiting.delete(msg.request_id);
        if (msg.type === 'response_ok')
            w.resolve(msg.response);
        else
            w.reject(new Error(`${msg.type}: ${JSON.stringify(msg.error)}`));
    }
    #fail(e) {
        if (this.closed)
            return;
        this.closed = e;
        this.hello_?.reject(e);
        for (const w of this.waiting.values())
            w.reject(e);
        this.waiting.clear();
    }
    async selectOne() {
        const r = await this.request({ type: 'execute', stream_id: 1, stmt: { sql: 'SELECT 1', want_rows: true } });
        const v = r?.result?.rows?.[0]?.[0];
        if (r.type !== 'execute' || v?.type !== 'integer' || String(v.value) !== '1')
            throw new Error(`SELECT 1 answered ${JSON.stringify(r).slice(0, 200)}`);
    }
}

// ---- run -------------------------------------------------------------------------------------------------------
const errors = new Map(); // message → count
const noteError = (e) => errors.set(e.message, (errors.get(e.message) ?? 0) + 1);
const fdLimit = fdLimitOf(PID);
const before = serverState();
log(`server ${PID}: open-files limit ${fdLimit.soft} (hard ${fdLimit.hard}), RSS ${before.rss_kib} KiB, `
    + `${before.threads} threads, ${before.fds} fds`);

const conns = [];
let next = 0, attempted = 0;
const t0 = performance.now();
async function opener() {
    while (next < CONNS) {
        next++;
        try {
            const c = await Conn.open(opts['timeout-ms']);
            conns.push(c);
            await c.hello();
            await c.request({ type: 'open_stream', stream_id: 1 });
            await c.selectOne();
            c.ready = true;
        } catch (e) {
            noteError(e);
        }
        if (++attempted % 250 === 0)
            log(`${attempted} connections attempted, ${conns.length} open`);
    }
}
await Promise.all(Array.from({ length: Math.min(opts.parallel, CONNS) }, opener));
const openMs = performance.now() - t0;
const opened = conns.filter((c) => c.ready && !c.closed).length; // hello, open_stream and SELECT 1 all ok
log(`${opened} of ${CONNS} open and answered SELECT 1 in ${openMs.toFixed(0)} ms`);
await sleep(500); // let the server finish any deferred work before reading its memory
const afterOpen = serverState();

// One more statement on every connection, all at once.
const t1 = performance.now();
const second = await Promise.allSettled(conns.map((c) => c.selectOne()));
const secondMs = performance.now() - t1;
const alive = second.filter((r) => r.status === 'fulfilled').length;
for (const r of second)
    if (r.status === 'rejected')
        noteError(r.reason);
log(`second SELECT 1 answered on ${alive} of ${conns.length} connections in ${secondMs.toFixed(0)} ms`);
const afterSecond = serverState();

// Close everything and see what the server gives back.
await Promise.all(conns.map((c) => new Promise((resolve) => {
    if (c.ws.readyState === WebSocket.CLOSED)
        return resolve();
    c.ws.once('close', resolve);
    c.ws.close(1000);
    setTimeout(() => { c.ws.terminate(); resolve(); }, 5000);
})));
await sleep(1000);
const afterClose = serverState();

const perConnKiB = (s) => (opened ? +((s.rss_kib - before.rss_kib) / opened).toFixed(1) : null);
console.log(JSON.stringify({
    conns: CONNS, opened, alive, open_ms: Math.round(openMs), second_round_ms: Math.round(secondMs),
    server_fd_limit: fdLimit, client_fd_limit: fdLimitOf('self'),
    before, after_open: afterOpen, after_second: afterSecond, after_close: afterClose,
    per_conn_kib_open: perConnKiB(afterOpen), per_conn_kib_second: perConnKiB(afterSecond),
    errors: Object.fromEntries(errors),
}));
