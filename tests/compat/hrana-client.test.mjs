// @libsql/hrana-client over HTTP against qsqld: Hrana 2 (/v2/pipeline, JSON) and Hrana 3 (/v3/pipeline and
// /v3/cursor, JSON; plus /v3-protobuf if the server advertises it).
// Run through harness.mjs, which sets QSQLD_URL and QSQLD_ADMIN_URL.
// Spec references (§) are to shared/spec/sqld-http-api.md.
//
// How Hrana 3 is selected with the pinned hrana-client 0.10.0:
// `openHttp(url, jwt, fetch, encKey, 3)` probes `GET <url>/v3-protobuf` and uses protobuf if it answers 2xx,
// otherwise it falls back to **v2** (its JSON-v3 endpoint entry exists in the source but is commented out of
// `checkEndpoints`). qsqld answers 404 there until protobuf is implemented (§8.3, §16.1), so to exercise JSON v3
// (the protocol of the Rust crate and @tursodatabase/serverless) the suite selects the client's own JSON-v3
// endpoint record {v3, v3/pipeline, v3/cursor, version 3, json} exactly as the client's findEndpoint() would.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as hrana from "@libsql/hrana-client";

import { URL_, ADMIN, tbl, suffix, createNamespace } from "./common.mjs";

const V3_JSON_ENDPOINT = {
    versionPath: "v3",
    pipelinePath: "v3/pipeline",
    cursorPath: "v3/cursor",
    version: 3,
    encoding: "json",
};

const clients = [];
function track(c) {
    clients.push(c);
    return c;
}
after(() => {
    for (const c of clients) c.close();
});

async function openV2() {
    const c = track(hrana.openHttp(URL_));
    assert.equal(await c.getVersion(), 2);
    return c;
}
async function openV3Json() {
    const c = track(hrana.openHttp(URL_));
    await c._endpointPromise; // let the constructor's own .then() run first
    c._endpointPromise = Promise.resolve(V3_JSON_ENDPOINT);
    c._endpoint = V3_JSON_ENDPOINT;
    assert.equal(await c.getVersion(), 3);
    return c;
}
async function openV3Protobuf() {
    const c = track(hrana.openHttp(URL_, undefined, undefined, undefined, 3));
    assert.equal(await c.getVersion(), 3);
    assert.equal(c._endpoint.encoding, "protobuf");
    return c;
}

// Which variants to run: v2 and v3-json always; v3-protobuf only when the server says it speaks it.
const probe = await fetch(`${URL_}/v3-protobuf`);
await probe.arrayBuffer();
const protobufAdvertised = probe.ok;
const variants = [
    { name: "v2 (JSON, /v2/pipeline)", version: 2, open: openV2 },
    { name: "v3 (JSON, /v3/pipeline + /v3/cursor)", version: 3, open: openV3Json },
];
if (protobufAdvertised) {
    variants.push({ name: "v3 (protobuf, /v3-protobuf/*)", version: 3, open: openV3Protobuf });
}

/** Never leaves a rejection unhandled; resolves to {ok, value} or {ok: false, error}. */
const settle = (p) => p.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));

function assertResponseError(err, code, { message, messagePrefix } = {}) {
    assert.ok(err instanceof hrana.ResponseError, `expected ResponseError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof hrana.ClientError, "ResponseError is a ClientError");
    assert.equal(err.code, code, `code (message: ${err.message})`);
    assert.equal(err.proto.code, code);
    if (message !== undefined) assert.equal(err.message, message);
    if (messagePrefix !== undefined) {
        assert.ok(err.message.startsWith(messagePrefix), `${JSON.stringify(err.message)} should start with ${JSON.stringify(messagePrefix)}`);
    }
}
async function expectResponseError(promise, code, opts) {
    await assert.rejects(promise, (err) => {
        assertResponseError(err, code, opts);
        return true;
    });
}

describe("protocol version negotiation", () => {
    test("GET /v2 and GET /v3 answer 200 (§2.1)", async () => {
        for (const p of ["/v2", "/v3"]) {
            const r = await fetch(`${URL_}${p}`);
            assert.equal(r.status, 200, p);
            assert.equal(await r.text(), "Hello, this is HTTP API v2 (Hrana over HTTP)");
        }
    });

    test("openHttp() without a version uses Hrana 2 on /v2/pipeline", async (t) => {
        const c = await openV2();
        const s = c.openStream();
        const v = await s.queryValue("SELECT 'v2 works'");
        assert.equal(v.value, "v2 works");
        s.close();
        t.diagnostic("default: negotiated Hrana 2 (JSON)");
    });

    test("openHttp(..., 3) probes GET /v3-protobuf and picks protobuf v3 or falls back to v2", async (t) => {
        const c = track(hrana.openHttp(URL_, undefined, undefined, undefined, 3));
        const version = await c.getVersion();
        const encoding = c._endpoint.encoding;
        t.diagnostic(
            `protocolVersion 3 requested: GET /v3-protobuf answered ${probe.status}; negotiated Hrana ${version} (${encoding})`,
        );
        if (protobufAdvertised) {
            assert.deepEqual([version, encoding], [3, "protobuf"]);
        } else {
            assert.equal(probe.status, 404, "qsqld must answer 404 on GET /v3-protobuf while protobuf is not implemented (§8.3)");
            assert.deepEqual([version, encoding], [2, "json"]);
        }
        const s = c.openStream();
        assert.equal((await s.queryValue("SELECT 40 + 2")).value, 42);
        s.close();
    });

    test("forced JSON v3 endpoint", async (t) => {
        const c = await openV3Json();
        const s = c.openStream();
        assert.equal((await s.queryValue("SELECT 'v3 json'")).value, "v3 json");
        s.close();
        t.diagnostic("forced: Hrana 3 over JSON (/v3/pipeline, /v3/cursor)");
    });

    test("Hrana-3-only requests on /v2/pipeline are a 400 protocol error (§7)", async () => {
        const r = await fetch(`${URL_}/v2/pipeline`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ baton: null, requests: [{ type: "get_autocommit" }] }),
        });
        const body = await r.text();
        assert.equal(r.status, 400, body);
        assert.equal(r.headers.get("content-type"), "text/plain");
        assert.match(body, /is only supported in protocol version/);
    });
});

describe("stream expiry (§8.2, §16.4)", () => {
    test("a stream idle for more than 10-11 s answers STREAM_EXPIRED", async () => {
        const c = await openV2();
        const s = c.openStream();
        await s.run("BEGIN");
        assert.equal((await s.queryValue("SELECT 'alive'")).value, "alive");
        await new Promise((r) => setTimeout(r, 12_500));
        await expectResponseError(s.queryValue("SELECT 1"), "STREAM_EXPIRED", {
            message: "The stream has expired due to inactivity",
        });
        assert.equal(s.closed, true);
        const s2 = c.openStream();
        assert.equal(await s2.queryValue("SELECT 2").then((r) => r.value), 2, "the client goes on with a new stream");
        s2.close();
    });
});

for (const variant of variants) {
    describe(`hrana ${variant.name}`, () => {
        let client;
        before(async () => {
            client = await variant.open();
        });

        test("stream execute: run, query, queryRow, queryValue", async () => {
            const t = tbl("exec");
            const s = client.openStream();
            try {
                const created = await s.run(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT, score REAL)`);
                assert.equal(created.affectedRowCount, 0);
                assert.equal(created.lastInsertRowid, undefined);

                const ins = await s.run([`INSERT INTO ${t} (name, score) VALUES (?, ?)`, ["ann", 1.5]]);
                assert.equal(ins.affectedRowCount, 1);
                assert.equal(ins.lastInsertRowid, 1n);
                const ins2 = await s.run(new hrana.Stmt(`INSERT INTO ${t} (name, score) VALUES (:n, :s)`).bindName("n", "bob").bindName(":s", 2.25));
                assert.equal(ins2.lastInsertRowid, 2n);

                const rows = await s.query(`SELECT id, name, score, score * 2 AS dbl FROM ${t} ORDER BY id`);
                assert.deepEqual(rows.columnNames, ["id", "name", "score", "dbl"]);
                assert.deepEqual(rows.columnDecltypes, ["INTEGER", "TEXT", "REAL", undefined]);
                assert.equal(rows.affectedRowCount, 0);
                assert.equal(rows.rows.length, 2);
                assert.deepEqual(Array.from(rows.rows[0]), [1, "ann", 1.5, 3]);
                assert.equal(rows.rows[1].name, "bob");
                assert.equal(rows.rows[1].dbl, 4.5);

                const row = await s.queryRow([`SELECT name FROM ${t} WHERE id = ?`, [2n]]);
                assert.equal(row.row.name, "bob");
                const none = await s.queryRow([`SELECT name FROM ${t} WHERE id = ?`, [99n]]);
                assert.equal(none.row, undefined);
                const val = await s.queryValue(`SELECT count(*) FROM ${t}`);
                assert.equal(val.value, 2);
            } finally {
                s.close();
            }
        });

        test("values and intMode", async () => {
            const s = client.openStream();
            try {
                const rs = await s.query([
                    "SELECT ? AS n, ? AS i, ? AS f, ? AS t, ? AS b, ? AS e, typeof(?) AS te",
                    [null, -42n, 0.1 + 0.2, "日本 🎉", Uint8Array.of(0, 255, 0xfb), new Uint8Array(0), new Uint8Array(0)],
                ]);
                const r = rs.rows[0];
                assert.equal(r.n, null);
                assert.equal(r.i, -42);
                assert.ok(Object.is(r.f, 0.1 + 0.2));
                assert.equal(r.t, "日本 🎉");
                assert.deepEqual(new Uint8Array(r.b), Uint8Array.of(0, 255, 0xfb));
                assert.ok(r.e instanceof ArrayBuffer);
                assert.equal(r.e.byteLength, 0);
                assert.equal(r.te, "blob", "an empty blob is a zero-length blob, not NULL");
                // -2^63 cannot be a JS number: the default intMode "number" refuses it (proves exact transport).
                await assert.rejects(s.queryValue(["SELECT ?", [-9223372036854775808n]]), RangeError);
            } finally {
                s.close();
            }
            const old = client.intMode;
            client.intMode = "bigint";
            const s2 = client.openStream();
            try {
                const v = await s2.queryValue(["SELECT ?", [-9223372036854775808n]]);
                assert.equal(v.value, -9223372036854775808n);
                const row = await s2.queryRow("SELECT 9223372036854775807 AS mx, typeof(x'00') AS t, 7 AS seven");
                assert.equal(row.row.mx, 9223372036854775807n);
                assert.equal(row.row.t, "blob");
                assert.equal(row.row.seven, 7n);
            } finally {
                s2.close();
                client.intMode = old;
            }
            client.intMode = "string";
            const s3 = client.openStream();
            try {
                assert.equal((await s3.queryValue("SELECT 9007199254740993")).value, "9007199254740993");
            } finally {
                s3.close();
                client.intMode = old;
            }
        });

        test("batch with ok / error / not / and / or conditions", async () => {
            const t = tbl("cond");
            const s = client.openStream();
            try {
                await s.run(`CREATE TABLE ${t} (a INTEGER UNIQUE)`);
                const b = s.batch(false);
                const steps = [];
                const add = (cond, sql, kind = "queryValue") => {
                    const st = b.step();
                    if (cond) st.condition(cond(st));
                    const p = settle(st[kind](sql));
                    steps.push({ st, p });
                    return st;
                };
                const C = hrana.BatchCond;
                const s0 = add(null, `INSERT INTO ${t} VALUES (1)`, "run"); // 0 ok
                const s1 = add(null, `INSERT INTO ${t} VALUES (1)`, "run"); // 1 error (UNIQUE)
                add(() => C.ok(s0), "SELECT 2"); // 2 runs
                const s3 = add(() => C.ok(s1), "SELECT 3"); // 3 skipped
                add(() => C.error(s1), "SELECT 4"); // 4 runs
                add(() => C.error(s0), "SELECT 5"); // 5 skipped
                add(() => C.not(C.ok(s1)), "SELECT 6"); // 6 runs
                add(() => C.and(b, [C.ok(s0), C.error(s1)]), "SELECT 7"); // 7 runs
                add(() => C.and(b, [C.ok(s0), C.ok(s1)]), "SELECT 8"); // 8 skipped
                add(() => C.or(b, [C.ok(s1), C.ok(s0)]), "SELECT 9"); // 9 runs
                add(() => C.or(b, [C.ok(s1), C.ok(s3)]), "SELECT 10"); // 10 skipped
                add(() => C.error(s3), "SELECT 11"); // 11 runs: error(k) is true for a skipped k (sqld, §4.4)
                const s12 = add(() => C.and(b, []), "SELECT 12"); // 12 runs: empty AND is true
                add(() => C.or(b, []), "SELECT 13"); // 13 skipped: empty OR is false
                add(() => C.not(C.or(b, [])), "SELECT 14"); // 14 runs
                add(() => C.ok(s12), "SELECT 15"); // 15 runs
                await b.execute();

                const outcomes = await Promise.all(steps.map((x) => x.p));
                // step 0
                assert.equal(outcomes[0].ok, true);
                assert.equal(outcomes[0].value.affectedRowCount, 1);
                assert.equal(outcomes[0].value.lastInsertRowid, 1n);
                // step 1
                assert.equal(outcomes[1].ok, false);
                assertResponseError(outcomes[1].error, "SQLITE_CONSTRAINT", {
                    message: `SQLite error: UNIQUE constraint failed: ${t}.a`,
                });
                const ran = [2, 4, 6, 7, 9, 11, 12, 14, 15];
                const skipped = [3, 5, 8, 10, 13];
                for (const i of ran) {
                    assert.equal(outcomes[i].ok, true, `step ${i}: ${outcomes[i].error}`);
                    assert.ok(outcomes[i].value !== undefined, `step ${i} should have run`);
                    assert.equal(outcomes[i].value.value, i, `step ${i} value`);
                }
                for (const i of skipped) {
                    assert.equal(outcomes[i].ok, true, `step ${i}: ${outcomes[i].error}`);
                    assert.equal(outcomes[i].value, undefined, `step ${i} should have been skipped`);
                }
                assert.equal((await s.queryValue(`SELECT count(*) FROM ${t}`)).value, 1);
            } finally {
                s.close();
            }
        });

        test("BEGIN/COMMIT/ROLLBACK chain in one batch (what @libsql/client sends)", async () => {
            const t = tbl("chain");
            const s = client.openStream();
            try {
                await s.run(`CREATE TABLE ${t} (a INTEGER UNIQUE)`);
                const C = hrana.BatchCond;
                const b = s.batch(false);
                const begin = b.step();
                const pBegin = settle(begin.run("BEGIN IMMEDIATE"));
                const i1 = b.step().condition(C.ok(begin));
                const p1 = settle(i1.run(`INSERT INTO ${t} VALUES (1)`));
                const i2 = b.step().condition(C.ok(i1));
                const p2 = settle(i2.run(`INSERT INTO ${t} VALUES (1)`));
                const commit = b.step().condition(C.ok(i2));
                const pCommit = settle(commit.run("COMMIT"));
                const rollback = b.step().condition(C.not(C.ok(commit)));
                const pRollback = settle(rollback.run("ROLLBACK"));
                await b.execute();
                assert.equal((await pBegin).ok, true);
                assert.equal((await p1).ok, true);
                assert.equal((await p2).ok, false);
                assert.deepEqual(await pCommit, { ok: true, value: undefined });
                assert.equal((await pRollback).ok, true);
                assert.notEqual((await pRollback).value, undefined, "ROLLBACK ran");
                assert.equal((await s.queryValue(`SELECT count(*) FROM ${t}`)).value, 0);
            } finally {
                s.close();
            }
        });

        test("is_autocommit condition", async () => {
            const s = client.openStream();
            try {
                const b = s.batch(false);
                if (variant.version < 3) {
                    assert.throws(() => hrana.BatchCond.isAutocommit(b), hrana.ProtocolVersionError);
                    return;
                }
                const t = tbl("autoc");
                await s.run(`CREATE TABLE ${t} (x INTEGER)`);
                const C = hrana.BatchCond;
                const outs = [];
                const add = (cond, sql, kind = "queryValue") => {
                    const st = b.step();
                    if (cond) st.condition(cond);
                    outs.push(settle(st[kind](sql)));
                };
                add(C.isAutocommit(b), "SELECT 0"); // runs
                add(null, "BEGIN", "run"); // 1
                add(C.isAutocommit(b), "SELECT 2"); // skipped: inside a transaction
                add(C.not(C.isAutocommit(b)), "SELECT 3"); // runs
                add(C.not(C.isAutocommit(b)), `INSERT INTO ${t} VALUES (1)`, "run"); // 4 runs
                add(null, "ROLLBACK", "run"); // 5
                add(C.isAutocommit(b), "SELECT 6"); // runs again
                await b.execute();
                const o = await Promise.all(outs);
                assert.ok(o.every((x) => x.ok), JSON.stringify(o.map((x) => x.error?.message)));
                assert.equal(o[0].value.value, 0);
                assert.equal(o[2].value, undefined);
                assert.equal(o[3].value.value, 3);
                assert.equal(o[4].value.affectedRowCount, 1);
                assert.equal(o[6].value.value, 6);
                assert.equal((await s.queryValue(`SELECT count(*) FROM ${t}`)).value, 0, "the insert was rolled back");
            } finally {
                s.close();
            }
        });

        test("getAutocommit", async () => {
            const s = client.openStream();
            try {
                if (variant.version < 3) {
                    assert.throws(() => s.getAutocommit(), hrana.ProtocolVersionError);
                    return;
                }
                assert.equal(await s.getAutocommit(), true);
                await s.run("BEGIN");
                assert.equal(await s.getAutocommit(), false);
                await s.run("SELECT 1");
                assert.equal(await s.getAutocommit(), false);
                await s.run("ROLLBACK");
                assert.equal(await s.getAutocommit(), true);
            } finally {
                s.close();
            }
        });

        test("sequence", async () => {
            const t = tbl("seq");
            const s = client.openStream();
            try {
                await s.sequence(`CREATE TABLE ${t} (v TEXT); INSERT INTO ${t} VALUES ('a'); INSERT INTO ${t} VALUES ('b');`);
                assert.equal((await s.queryValue(`SELECT group_concat(v, ',') FROM ${t}`)).value, "a,b");
                await s.sequence(""); // an empty text is fine (§8.1)
                await expectResponseError(
                    s.sequence(`INSERT INTO ${t} VALUES ('c'); SELECT zzz; INSERT INTO ${t} VALUES ('d');`),
                    "SQL_INPUT_ERROR",
                    { message: "SQL input error: no such column: zzz (at offset 7)" },
                );
                // It stopped at the failure; the stream is still usable.
                assert.equal((await s.queryValue(`SELECT group_concat(v, ',') FROM ${t}`)).value, "a,b,c");
            } finally {
                s.close();
            }
        });

        test("describe", async () => {
            const t = tbl("desc");
            const s = client.openStream();
            try {
                await s.run(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name varchar(20))`);
                const d = await s.describe(`SELECT id, name, id + 1 AS nxt FROM ${t} WHERE id = :id OR name = @n OR name = $m OR id = ?`);
                assert.deepEqual(d.paramNames, [":id", "@n", "$m", undefined]);
                assert.deepEqual(d.columns.map((c) => [c.name, c.decltype]), [
                    ["id", "INTEGER"],
                    ["name", "varchar(20)"],
                    ["nxt", undefined],
                ]);
                assert.equal(d.isExplain, false);
                assert.equal(d.isReadonly, true);

                const w = await s.describe(`INSERT INTO ${t} (name) VALUES (?)`);
                assert.deepEqual(w.paramNames, [undefined]);
                assert.deepEqual(w.columns, []);
                assert.equal(w.isReadonly, false);
                assert.equal(w.isExplain, false);

                const e = await s.describe("EXPLAIN SELECT 1");
                assert.equal(e.isExplain, true);

                const n = await s.describe("SELECT ?3");
                assert.deepEqual(n.paramNames, [undefined, undefined, "?3"]);

                await expectResponseError(s.describe(`SELECT zzz FROM ${t}`), "SQL_INPUT_ERROR", {
                    message: "SQL input error: no such column: zzz (at offset 7)",
                });
            } finally {
                s.close();
            }
        });

        test("store_sql / close_sql (sql_id, starting at 0)", async () => {
            const t = tbl("store");
            const s = client.openStream();
            try {
                await s.run(`CREATE TABLE ${t} (v TEXT)`);
                const ins = s.storeSql(`INSERT INTO ${t} VALUES (?)`);
                const r1 = await s.run([ins, ["a"]]);
                assert.equal(r1.affectedRowCount, 1);
                await s.run(new hrana.Stmt(ins).bindIndexes(["b"]));
                const b = s.batch(false);
                const p = [settle(b.step().run([ins, ["c"]])), settle(b.step().run([ins, ["d"]]))];
                await b.execute();
                for (const x of await Promise.all(p)) assert.equal(x.ok, true, String(x.error));

                const sel = s.storeSql(`SELECT group_concat(v, '') AS all_v FROM ${t}`);
                assert.equal((await s.queryValue(sel)).value, "abcd");
                const d = await s.describe(sel);
                assert.deepEqual(d.columns.map((c) => c.name), ["all_v"]);

                const seq = s.storeSql(`INSERT INTO ${t} VALUES ('e'); INSERT INTO ${t} VALUES ('f')`);
                await s.sequence(seq);
                assert.equal((await s.queryValue(sel)).value, "abcdef");

                // Close the texts; the ids are then reused by new texts, which the server must accept.
                ins.close();
                sel.close();
                seq.close();
                await s.run("SELECT 1"); // flushes the close_sql requests
                const again = s.storeSql(`SELECT count(*) FROM ${t}`);
                assert.equal((await s.queryValue(again)).value, 6);
                assert.throws(() => s.run(ins), hrana.ClosedError);
            } finally {
                s.close();
            }
        });

        test("cursor over a batch", async () => {
            const s = client.openStream();
            try {
                const b = s.batch(true);
                if (variant.version < 3) {
                    const p = settle(b.step().queryValue("SELECT 1"));
                    await assert.rejects(b.execute(), hrana.ProtocolVersionError);
                    void p;
                    return;
                }
                const t = tbl("cur");
                const C = hrana.BatchCond;
                const pCreate = settle(b.step().run(`CREATE TABLE ${t} (x INTEGER, s TEXT)`));
                const ins = b.step();
                const pIns = settle(
                    ins.run(`INSERT INTO ${t} WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) SELECT x, 'row ' || x FROM c`),
                );
                const sel = b.step().condition(C.ok(ins));
                const pSel = settle(sel.query(`SELECT x, s FROM ${t} ORDER BY x`));
                const bad = b.step();
                const pBad = settle(bad.query(`SELECT zzz FROM ${t}`));
                const pSkipped = settle(b.step().condition(C.ok(bad)).queryValue("SELECT 'never'"));
                const pAfter = settle(b.step().condition(C.error(bad)).queryValue("SELECT 'after error'"));
                await b.execute();

                assert.equal((await pCreate).ok, true);
                const insR = await pIns;
                assert.equal(insR.ok, true, String(insR.error));
                assert.equal(insR.value.affectedRowCount, 2000);
                // hrana-client 0.10.0 decodes protobuf step_end.last_insert_rowid as a plain uint64, while the
                // field is sint64 (zigzag) in sqld and in the spec (§10): 2000 then reads as 4000. The server is
                // right; pin the client's known reading so that a change on either side shows up here.
                const expectedRowid = variant.name.includes("protobuf") ? 4000n : 2000n;
                assert.equal(insR.value.lastInsertRowid, expectedRowid, "step_end carries last_insert_rowid");
                const selR = await pSel;
                assert.equal(selR.ok, true, String(selR.error));
                assert.deepEqual(selR.value.columnNames, ["x", "s"]);
                assert.deepEqual(selR.value.columnDecltypes, ["INTEGER", "TEXT"]);
                assert.equal(selR.value.rows.length, 2000);
                assert.deepEqual(Array.from(selR.value.rows[1999]), [2000, "row 2000"]);
                const badR = await pBad;
                assert.equal(badR.ok, false);
                assertResponseError(badR.error, "SQL_INPUT_ERROR", { message: "SQL input error: no such column: zzz (at offset 7)" });
                assert.deepEqual(await pSkipped, { ok: true, value: undefined });
                assert.equal((await pAfter).value.value, "after error");

                // The stream goes on after the cursor (the baton came in the cursor's first line).
                assert.equal((await s.queryValue(`SELECT count(*) FROM ${t}`)).value, 2000);
            } finally {
                s.close();
            }
        });

        const v3only = { skip: variant.version < 3 ? "cursors need Hrana 3" : false };
        test("raw cursor entries (step_begin, row, step_end, step_error; nothing else)", v3only, async () => {
            const s = client.openStream();
            try {
                const stmt = (sql) => ({ sql, args: [], namedArgs: [], wantRows: true });
                // Stream._openCursor() is what Batch.execute() uses for cursors; it hands out the raw entries.
                const cursor = await s._openCursor({
                    steps: [
                        { stmt: stmt("SELECT 1 AS a UNION ALL SELECT 2") },
                        { stmt: stmt("SELECT zzz") },
                        { stmt: stmt("SELECT 'skipped'"), condition: { type: "ok", step: 1 } },
                        { stmt: stmt("SELECT x'0102' AS b") },
                    ],
                });
                const entries = [];
                for (;;) {
                    const e = await cursor.next(); // throws ProtoError on an unknown entry type (§5)
                    if (e === undefined) break;
                    entries.push(e);
                }
                cursor.close();
                const types = entries.map((e) => e.type);
                assert.deepEqual(types, ["step_begin", "row", "row", "step_end", "step_error", "step_begin", "row", "step_end"]);
                assert.equal(entries[0].step, 0);
                assert.deepEqual(entries[0].cols.map((c) => [c.name, c.decltype]), [["a", undefined]]);
                assert.deepEqual(entries[1].row, [1n]);
                assert.deepEqual(entries[2].row, [2n]);
                assert.equal(entries[3].affectedRowCount, 0);
                assert.equal(entries[3].lastInsertRowid, undefined);
                assert.equal(entries[4].step, 1);
                assert.equal(entries[4].error.code, "SQL_INPUT_ERROR");
                assert.equal(entries[5].step, 3);
                assert.deepEqual(entries[6].row, [Uint8Array.of(1, 2)]);
                assert.equal((await s.queryValue("SELECT 'still open'")).value, "still open");
            } finally {
                s.close();
            }
        });

        test("cursor: a step that does not parse gives a step_error (qsqld recommendation, §8.4)", v3only, async () => {
            const s = client.openStream();
            try {
                const b = s.batch(true);
                const p = settle(b.step().query("SELEC 1"));
                await b.execute();
                const r = await p;
                assert.equal(r.ok, false);
                assertResponseError(r.error, "SQL_PARSE_ERROR", { messagePrefix: "SQL string could not be parsed: " });
            } finally {
                s.close();
            }
        });

        describe("errors are ResponseError (a ClientError) with the right code", () => {
            let s;
            let t;
            before(async () => {
                t = tbl("errs");
                s = client.openStream();
                await s.run(`CREATE TABLE ${t} (a INTEGER UNIQUE)`);
                await s.run(`INSERT INTO ${t} VALUES (1)`);
            });
            after(() => s.close());

            test("syntax error: SQL_PARSE_ERROR", async () => {
                await expectResponseError(s.run("SELEC 1"), "SQL_PARSE_ERROR", { messagePrefix: "SQL string could not be parsed: " });
            });
            test("no such table: SQL_INPUT_ERROR with the offset", async () => {
                const missing = tbl("missing");
                await expectResponseError(s.query(`SELECT * FROM ${missing}`), "SQL_INPUT_ERROR", {
                    message: `SQL input error: no such table: ${missing} (at offset 14)`,
                });
            });
            test("no such column: SQL_INPUT_ERROR with the offset", async () => {
                await expectResponseError(s.query(`SELECT zzz FROM ${t}`), "SQL_INPUT_ERROR", {
                    message: "SQL input error: no such column: zzz (at offset 7)",
                });
            });
            test("UNIQUE constraint: SQLITE_CONSTRAINT", async () => {
                await expectResponseError(s.run(`INSERT INTO ${t} VALUES (1)`), "SQLITE_CONSTRAINT", {
                    message: `SQLite error: UNIQUE constraint failed: ${t}.a`,
                });
            });
            test("empty or comment-only SQL: SQL_NO_STATEMENT", async () => {
                await expectResponseError(s.run(""), "SQL_NO_STATEMENT", { message: "SQL string does not contain any statement" });
                await expectResponseError(s.run("-- just a comment"), "SQL_NO_STATEMENT", {
                    message: "SQL string does not contain any statement",
                });
            });
            test("two statements: SQL_MANY_STATEMENTS", async () => {
                await expectResponseError(s.run("SELECT 1; SELECT 2"), "SQL_MANY_STATEMENTS", {
                    message: "SQL string contains more than one statement",
                });
            });
            test("argument mismatch: ARGS_INVALID", async () => {
                await expectResponseError(s.run(["SELECT ?", [1n, 2n]]), "ARGS_INVALID", {
                    messagePrefix: "Arguments do not match SQL parameters: ",
                });
                await expectResponseError(s.run("SELECT :missing"), "ARGS_INVALID", {
                    messagePrefix: "Arguments do not match SQL parameters: ",
                });
            });
            test("positional and named together: ARGS_BOTH_POSITIONAL_AND_NAMED", async () => {
                await expectResponseError(
                    s.run(new hrana.Stmt("SELECT ?, :a").bindIndexes([1n]).bindName("a", 2n)),
                    "ARGS_BOTH_POSITIONAL_AND_NAMED",
                    { message: "Specifying both positional and named arguments is not supported" },
                );
            });
            test("per-request errors keep the stream and its transaction alive (§8.2)", async () => {
                await s.run("BEGIN");
                await expectResponseError(s.run(`INSERT INTO ${t} VALUES (1)`), "SQLITE_CONSTRAINT");
                await assert.rejects(s.run("SELEC"), hrana.ResponseError);
                await s.run(`INSERT INTO ${t} VALUES (2)`);
                await s.run("COMMIT");
                assert.equal((await s.queryValue(`SELECT count(*) FROM ${t}`)).value, 2);
            });
        });

        test("a batch with an unparsable step fails as a whole before anything runs (§4.4)", async () => {
            const t = tbl("bparse");
            const s = client.openStream();
            try {
                await s.run(`CREATE TABLE ${t} (a INTEGER)`);
                const b = s.batch(false);
                const p0 = settle(b.step().run(`INSERT INTO ${t} VALUES (1)`));
                const p1 = settle(b.step().run("SELEC 2"));
                await expectResponseError(b.execute(), "SQL_PARSE_ERROR", { messagePrefix: "SQL string could not be parsed: " });
                void p0;
                void p1;
                assert.equal((await s.queryValue(`SELECT count(*) FROM ${t}`)).value, 0);
            } finally {
                s.close();
            }
        });

        test("a closed stream refuses further use; the client goes on", async () => {
            const s = client.openStream();
            assert.equal((await s.queryValue("SELECT 1")).value, 1);
            s.close();
            assert.equal(s.closed, true);
            await assert.rejects(s.run("SELECT 1"), hrana.ClosedError);
            const s2 = client.openStream();
            assert.equal((await s2.queryValue("SELECT 2")).value, 2);
            s2.closeGracefully();
            assert.equal(s2.closed, true);
        });
    });
}
