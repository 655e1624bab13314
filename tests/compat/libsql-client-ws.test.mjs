// @libsql/client over WebSocket (Hrana over ws, §9) against qsqld: `createClient({url: "ws://127.0.0.1:PORT"})`.
// Run through harness.mjs, which sets QSQLD_URL and QSQLD_ADMIN_URL; the ws URL is QSQLD_URL with ws: for http:.
// The cases are those of the HTTP suite (libsql-client-cases.mjs); this file supplies the ws transport and adds
// ws-only checks at the end. Spec references (§) are to shared/spec/sqld-http-api.md.
//
// What @libsql/client 0.18 does over ws: hrana.openWs(url, authToken) with the default protocol version 2, so it
// offers the subprotocols `hrana2, hrana1` only (§16.1) and a batch is one `batch` request (no cursor).
//
// Tenants: the ws transport has no `fetch` option, and openWs() calls `new WebSocket(url, subprotocols)` (the `ws`
// package through @libsql/isomorphic-ws) with no options, so the client cannot send `x-namespace`. The cases
// therefore address a tenant by Host routing, `ws://<ns>.localhost:PORT` (§2.2 rule 3), when `*.localhost` resolves
// to this machine and the upgrade works (probed below; the outcome is printed as a diagnostic). Where it does not, they
// go through the logging relay below, which adds `x-namespace` to its own upgrade request to qsqld. Either way
// `x-namespace`, `x-namespace-bin` and Host on the upgrade request are also checked directly with raw `ws` sockets
// speaking Hrana JSON ("tenants over raw ws sockets").
//
// Wire log: the HTTP suite records requests through its custom fetch. Here a small relay (a `ws` server on a free
// loopback port, one path per client) forwards frames both ways unchanged and records them, so the cases can check
// the SQL sent and the BatchResult of a batch just as over HTTP.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createClient } from "@libsql/client";
import { WebSocket, WebSocketServer } from "ws";

import { URL_, tbl, suffix, createNamespace } from "./common.mjs";
import { defineLibsqlClientCases, collectSql, expectLibsqlError } from "./libsql-client-cases.mjs";

const WS_URL = URL_.replace(/^http/, "ws");
const PORT = new URL(WS_URL).port;

// --- raw ws helpers --------------------------------------------------------------------------------------------

/**
 * Opens a raw WebSocket to qsqld and speaks Hrana JSON on it. Resolves once the socket is open, or with
 * {refused: {status, body}} when the upgrade is answered with something other than 101.
 */
function rawConnect({ url = WS_URL, protocols = ["hrana2"], headers } = {}) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(url, protocols, { headers });
        const pending = new Map();
        const received = [];
        let nextId = 0;
        let closeInfo = null;
        const closed = new Promise((res) => {
            ws.on("close", (code, reason) => {
                closeInfo = { code, reason: String(reason) };
                for (const p of pending.values()) p.reject(new Error(`connection closed: ${code} ${reason}`));
                pending.clear();
                res(closeInfo);
            });
        });
        ws.on("error", (e) => received.push({ wsError: e.message }));
        ws.on("unexpected-response", (_req, resp) => {
            let body = "";
            resp.on("data", (d) => (body += d));
            resp.on("end", () => resolve({ refused: { status: resp.statusCode, body } }));
        });
        ws.on("message", (data) => {
            const msg = JSON.parse(String(data));
            received.push(msg);
            const id = msg.request_id;
            if (id !== undefined && pending.has(id)) {
                pending.get(id).resolve(msg);
                pending.delete(id);
            } else if (msg.type === "hello_ok" || msg.type === "hello_error") {
                const p = pending.get("hello");
                pending.delete("hello");
                p?.resolve(msg);
            }
        });
        ws.on("open", () =>
            resolve({
                ws,
                protocol: ws.protocol,
                received,
                closed,
                get closeInfo() { return closeInfo; },
                hello(jwt = null) {
                    return new Promise((res, rej) => {
                        pending.set("hello", { resolve: res, reject: rej });
                        ws.send(JSON.stringify({ type: "hello", jwt }));
                    });
                },
                /** Sends one request; resolves with the whole response message (response_ok or response_error). */
                request(request) {
                    const id = ++nextId;
                    return new Promise((res, rej) => {
                        pending.set(id, { resolve: res, reject: rej });
                        ws.send(JSON.stringify({ type: "request", request_id: id, request }));
                    });
                },
                close() {
                    ws.close();
                    return closed;
                },
            }),
        );
        ws.once("error", (e) => {
            if (ws.readyState === WebSocket.CONNECTING) reject(e);
        });
    });
}

/** execute on a fresh stream of a raw connection; returns the response message. */
async function rawExecute(conn, streamId, sql) {
    return conn.request({ type: "execute", stream_id: streamId, stmt: { sql, args: [], named_args: [], want_rows: true } });
}

// --- the logging relay -----------------------------------------------------------------------------------------

/**
 * A ws relay on a free loopback port. Each registered route (a URL path) forwards to qsqld's ws URL with the route's
 * extra upgrade headers, negotiates the subprotocol qsqld chose, forwards frames both ways unchanged and pushes
 * {dir: "open", protocol} / {dir: "out" | "in", msg} entries into the route's log. Close codes are passed on.
 */
async function startRelay() {
    const routes = new Map();
    const live = new Set();
    let nextRoute = 0;
    const wss = new WebSocketServer({
        noServer: true,
        handleProtocols: (_offered, req) => req.qsqldChosen || false,
    });
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    const parse = (data) => {
        try {
            return JSON.parse(String(data));
        } catch {
            return String(data);
        }
    };
    const passClose = (target, code, reason) => {
        if (target.readyState === WebSocket.CLOSED || target.readyState === WebSocket.CLOSING) return;
        try {
            if (code === 1005) target.close();
            else target.close(code, reason);
        } catch {
            target.terminate(); // 1006 and other codes that may not be sent
        }
    };
    server.on("upgrade", (req, socket, head) => {
        const route = routes.get(new URL(req.url, "http://relay").pathname);
        if (!route) {
            socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            return;
        }
        const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
        const up = new WebSocket(WS_URL, offered, { headers: route.headers });
        live.add(up);
        route.upstreams.add(up);
        up.once("unexpected-response", (_r, resp) => {
            let body = "";
            resp.on("data", (d) => (body += d));
            resp.on("end", () => {
                route.log?.push({ dir: "refused", status: resp.statusCode, body });
                socket.end(
                    `HTTP/1.1 ${resp.statusCode} Refused\r\ncontent-type: text/plain\r\n` +
                        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
                );
            });
        });
        up.on("error", () => socket.destroy());
        up.once("open", () => {
            req.qsqldChosen = up.protocol;
            route.log?.push({ dir: "open", protocol: up.protocol });
            wss.handleUpgrade(req, socket, head, (down) => {
                live.add(down);
                down.on("error", () => undefined);
                down.on("message", (data, isBinary) => {
                    route.log?.push({ dir: "out", msg: parse(data) });
                    up.send(data, { binary: isBinary });
                });
                up.on("message", (data, isBinary) => {
                    route.log?.push({ dir: "in", msg: parse(data) });
                    down.send(data, { binary: isBinary });
                });
                up.on("close", (code, reason) => passClose(down, code, reason));
                down.on("close", (code, reason) => passClose(up, code, reason));
            });
        });
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address();
    return {
        /** A ws URL for a client whose traffic goes to `log` (if given) and whose upgrade carries `headers`. */
        url({ log, headers = {} } = {}) {
            const path = `/route-${++nextRoute}`;
            routes.set(path, { log, headers, upstreams: new Set() });
            return `ws://127.0.0.1:${port}${path}`;
        },
        /** Drops the relay's connections to qsqld for `url` without a close frame, as a crashed client would. */
        drop(url) {
            for (const up of routes.get(new URL(url).pathname).upstreams) up.terminate();
        },
        async close() {
            for (const s of live) s.terminate();
            wss.close();
            await new Promise((resolve) => server.close(resolve));
        },
    };
}

const relay = await startRelay();

// --- can tenants be addressed by Host (`<ns>.localhost`)? ------------------------------------------------------

async function probeHostRouting() {
    // A real upgrade through the name, for the default namespace: proves resolution and connection both work.
    try {
        const conn = await rawConnect({ url: `ws://default.localhost:${PORT}` });
        if (conn.refused) return { ok: false, why: `upgrade via default.localhost answered ${conn.refused.status}` };
        const hello = await conn.hello();
        await conn.close();
        return hello.type === "hello_ok" ? { ok: true } : { ok: false, why: JSON.stringify(hello) };
    } catch (e) {
        return { ok: false, why: `ws://default.localhost:${PORT} failed: ${e.code ?? e.message}` };
    }
}
// QSQLD_COMPAT_WS_NO_HOST_ROUTING=1 forces the relay path (to exercise it where *.localhost does resolve).
const hostRouting = process.env.QSQLD_COMPAT_WS_NO_HOST_ROUTING
    ? { ok: false, why: "QSQLD_COMPAT_WS_NO_HOST_ROUTING is set" }
    : await probeHostRouting();
const routingNote = hostRouting.ok
    ? "Host routing: ws://<ns>.localhost:PORT (the client cannot send x-namespace over ws)"
    : `x-namespace added by the relay (*.localhost is unusable here: ${hostRouting.why})`;

// --- the shared cases ------------------------------------------------------------------------------------------

/** The messages of a relay log in one direction. */
const msgs = (log, dir) => log.filter((e) => e.dir === dir).map((e) => e.msg);

defineLibsqlClientCases({
    protocol: "ws",
    makeClient(config = {}, { namespace, log } = {}) {
        let url = WS_URL;
        if (log !== undefined || (namespace !== undefined && !hostRouting.ok)) {
            url = relay.url({ log, headers: namespace !== undefined ? { "x-namespace": namespace } : {} });
        } else if (namespace !== undefined) {
            url = `ws://${namespace}.localhost:${PORT}`;
        }
        return createClient({ url, ...config });
    },
    sentSql: (log) => collectSql(msgs(log, "out")),
    batchExchange(log) {
        const req = msgs(log, "out").find((m) => m?.type === "request" && m.request?.type === "batch");
        assert.ok(req, "a batch was sent");
        const resp = msgs(log, "in").find((m) => m?.request_id === req.request_id);
        assert.ok(resp, "the batch was answered");
        assert.equal(resp.type, "response_ok", JSON.stringify(resp));
        assert.equal(resp.response.type, "batch");
        return { steps: req.request.batch.steps, result: resp.response.result };
    },
    checkWire(log) {
        const opens = log.filter((e) => e.dir === "open");
        assert.ok(opens.length > 0, "a WebSocket was opened");
        // @libsql/client offers hrana2, hrana1 (§16.1); the server's preference picks hrana2 (§9.1).
        assert.ok(opens.every((e) => e.protocol === "hrana2"), JSON.stringify(opens));
        const first = msgs(log, "out")[0];
        assert.equal(first?.type, "hello", "hello is the first message");
        assert.equal(msgs(log, "in")[0]?.type, "hello_ok");
    },
    namespaceRouting: routingNote,
    async expectUnknownNamespace(client) {
        // The socket fails (qsqld refuses the upgrade; sqld accepts it and closes at hello): a ws error either way.
        await expectLibsqlError(client.execute("SELECT 1"), { code: "HRANA_WEBSOCKET_ERROR" });
    },
});

// --- ws-only checks --------------------------------------------------------------------------------------------

after(() => relay.close());

describe("ws transport specifics", () => {
    test("how tenants are addressed in this run", (t) => {
        t.diagnostic(`tenant routing for @libsql/client over ws: ${routingNote}`);
        assert.ok(true);
    });

    test("many concurrent requests share one connection and all succeed", async () => {
        const log = [];
        const c = createClient({ url: relay.url({ log }) });
        try {
            const t = tbl("wsconc");
            await c.execute(`CREATE TABLE ${t} (i INTEGER)`);
            const results = await Promise.all(
                Array.from({ length: 40 }, (_, i) =>
                    i % 2 === 0
                        ? c.execute({ sql: `INSERT INTO ${t} VALUES (?)`, args: [BigInt(i)] })
                        : c.execute({ sql: "SELECT ? AS v", args: [BigInt(i)] }),
                ),
            );
            results.forEach((rs, i) => {
                if (i % 2 === 0) assert.equal(rs.rowsAffected, 1, `insert ${i}`);
                else assert.equal(rs.rows[0].v, i, `select ${i}`);
            });
            assert.equal((await c.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 20);
            assert.equal(log.filter((e) => e.dir === "open").length, 1, "one WebSocket for all of it");
            const opened = msgs(log, "out").filter((m) => m?.request?.type === "open_stream").length;
            assert.ok(opened >= 40, `one stream per execute (${opened})`);
        } finally {
            c.close();
        }
    });

    test("a transaction idle for longer than the HTTP stream expiry (10 s) survives on ws", async () => {
        // Streams over ws belong to the connection and do not expire (§8.2 is about HTTP batons).
        const c = createClient({ url: WS_URL });
        const t = tbl("wsidle");
        try {
            await c.execute(`CREATE TABLE ${t} (x INTEGER)`);
            const tx = await c.transaction("write");
            try {
                await tx.execute(`INSERT INTO ${t} VALUES (1)`);
                await new Promise((r) => setTimeout(r, 11_500));
                await tx.execute(`INSERT INTO ${t} VALUES (2)`);
                await tx.commit();
            } finally {
                tx.close();
            }
            assert.equal((await c.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 2);
        } finally {
            c.close();
        }
    });

    test("a connection lost inside a write transaction rolls it back and frees the write lock", async () => {
        const t = tbl("wsdrop");
        const other = createClient({ url: WS_URL });
        const url = relay.url({});
        const c = createClient({ url });
        try {
            await other.execute(`CREATE TABLE ${t} (who TEXT)`);
            const tx = await c.transaction("write");
            await tx.execute(`INSERT INTO ${t} VALUES ('lost')`);
            relay.drop(url); // the TCP connection to qsqld goes away with the transaction open
            await assert.rejects(tx.execute(`INSERT INTO ${t} VALUES ('never')`));
            tx.close();
            // Another writer gets the lock (well within the 5 s txn_timeout that would otherwise force it, §4.5).
            const t0 = Date.now();
            await other.batch([`INSERT INTO ${t} VALUES ('other')`], "write");
            assert.ok(Date.now() - t0 < 3000, `the write lock was released promptly (${Date.now() - t0} ms)`);
            const rs = await other.execute(`SELECT who FROM ${t} ORDER BY rowid`);
            assert.deepEqual(rs.rows.map((r) => r.who), ["other"], "the lost transaction was rolled back");
            // The same client reconnects for its next statement.
            assert.equal((await c.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 1);
        } finally {
            c.close();
            other.close();
        }
    });
});

describe("tenants over raw ws sockets (headers @libsql/client cannot send over ws)", () => {
    const nsA = `compat-wsraw-a-${suffix}`;
    const nsB = `compat-wsraw-b-${suffix}`;
    const t = tbl("wsraw");
    before(async () => {
        await createNamespace(nsA);
        await createNamespace(nsB);
        const a = await rawConnect({ headers: { "x-namespace": nsA } });
        assert.equal(a.refused, undefined, JSON.stringify(a.refused));
        assert.equal((await a.hello()).type, "hello_ok");
        assert.equal((await a.request({ type: "open_stream", stream_id: 1 })).type, "response_ok");
        for (const sql of [`CREATE TABLE ${t} (v TEXT)`, `INSERT INTO ${t} VALUES ('from A')`]) {
            const r = await rawExecute(a, 1, sql);
            assert.equal(r.type, "response_ok", JSON.stringify(r));
        }
        await a.close();
    });

    /** What `SELECT v FROM t` answers on a fresh connection made with these options. */
    async function readT(opts) {
        const conn = await rawConnect(opts);
        assert.equal(conn.refused, undefined, `upgrade refused: ${JSON.stringify(conn.refused)}`);
        try {
            assert.equal((await conn.hello()).type, "hello_ok");
            assert.equal((await conn.request({ type: "open_stream", stream_id: 1 })).type, "response_ok");
            const r = await rawExecute(conn, 1, `SELECT v FROM ${t}`);
            if (r.type === "response_ok") return { rows: r.response.result.rows.map((row) => row[0].value) };
            return { error: r.error };
        } finally {
            await conn.close();
        }
    }
    const noSuchTable = (r) => {
        assert.equal(r.error?.code, "SQL_INPUT_ERROR", JSON.stringify(r));
        assert.equal(r.error.message, `SQL input error: no such table: ${t} (at offset 14)`);
    };

    test("x-namespace on the upgrade request selects the tenant (§2.2, §9.1)", async () => {
        assert.deepEqual(await readT({ headers: { "x-namespace": nsA } }), { rows: ["from A"] });
        noSuchTable(await readT({ headers: { "x-namespace": nsB } }));
        noSuchTable(await readT({})); // ws://127.0.0.1:PORT is `default`, not a namespace called "127"
        noSuchTable(await readT({ headers: { "x-namespace": "default" } }));
    });

    test("x-namespace-bin (base64 without padding) selects the tenant", async () => {
        const bin = Buffer.from(nsA, "utf8").toString("base64").replace(/=+$/, "");
        assert.deepEqual(await readT({ headers: { "x-namespace-bin": bin } }), { rows: ["from A"] });
    });

    test("Host <ns>.localhost selects the tenant; x-namespace wins over Host", async () => {
        // The Host header is set explicitly here, so this works whether or not *.localhost resolves.
        assert.deepEqual(await readT({ headers: { host: `${nsA}.localhost:${PORT}` } }), { rows: ["from A"] });
        noSuchTable(await readT({ headers: { host: `${nsB}.localhost:${PORT}` } }));
        assert.deepEqual(
            await readT({ headers: { host: `${nsB}.localhost:${PORT}`, "x-namespace": nsA } }),
            { rows: ["from A"] },
        );
    });

    test("an unknown namespace fails the connection before any statement runs", async (t) => {
        const ghost = `compat-wsghost-${suffix}`;
        const conn = await rawConnect({ headers: { "x-namespace": ghost } });
        if (conn.refused) {
            // qsqld: the upgrade is refused (sqld answers 503 only when the namespace cannot be resolved at all, §6.3).
            t.diagnostic(`upgrade refused: HTTP ${conn.refused.status} ${JSON.stringify(conn.refused.body)}`);
            assert.ok(conn.refused.status >= 400, `status ${conn.refused.status}`);
            return;
        }
        // sqld: the upgrade succeeds and hello fails the session with close code 1011 (§9.4).
        conn.ws.send(JSON.stringify({ type: "hello", jwt: null }));
        const { code, reason } = await conn.closed;
        t.diagnostic(`upgrade accepted, then closed with ${code} ${JSON.stringify(reason)}`);
        assert.ok(!conn.received.some((m) => m.type === "hello_ok"), "no hello_ok for a namespace that does not exist");
        assert.equal(code, 1011);
    });
});
