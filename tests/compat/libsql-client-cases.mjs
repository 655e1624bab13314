// The @libsql/client cases shared by the HTTP suite (libsql-client.test.mjs: Hrana 2 JSON on /v2/pipeline) and the
// WebSocket suite (libsql-client-ws.test.mjs: subprotocol hrana2, the only Hrana version @libsql/client 0.18 offers
// over ws). Each suite calls defineLibsqlClientCases() once with a description of its transport.
// Spec references (§) are to shared/spec/sqld-http-api.md.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { LibsqlError, LibsqlBatchError } from "@libsql/client";

import { ADMIN, tbl, suffix, createNamespace } from "./common.mjs";

/** Collects every "sql" text found anywhere in a JSON value (stmt.sql, store_sql.sql, sequence.sql). */
export function collectSql(value, out = []) {
    if (Array.isArray(value)) {
        for (const v of value) collectSql(v, out);
    } else if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            if (k === "sql" && typeof v === "string") out.push(v);
            else collectSql(v, out);
        }
    }
    return out;
}

/**
 * Asserts that `promise` rejects with a LibsqlError (or subclass `cls`) with the given code.
 * `message` is the client's whole message ("CODE: ..."). `serverMessage` / `serverMessagePrefix` check the
 * server's message verbatim, which the client keeps as `cause` (a hrana ResponseError); use those for errors
 * from batches and transactions, where @libsql/client 0.18 wraps the message a second time
 * ("SQLITE_CONSTRAINT: SQLITE_CONSTRAINT: ...").
 */
export async function expectLibsqlError(promise, { code, message, serverMessage, serverMessagePrefix, cls = LibsqlError }) {
    await assert.rejects(promise, (err) => {
        assert.ok(err instanceof cls, `expected ${cls.name}, got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.code, code, `error code (message: ${err.message})`);
        if (message !== undefined) assert.equal(err.message, message);
        if (serverMessage !== undefined || serverMessagePrefix !== undefined) {
            const cause = err.cause;
            assert.ok(cause instanceof Error, `error has the server's error as cause: ${err.message}`);
            assert.equal(cause.code, code, "cause code");
            if (serverMessage !== undefined) assert.equal(cause.message, serverMessage);
            if (serverMessagePrefix !== undefined) {
                assert.ok(
                    cause.message.startsWith(serverMessagePrefix),
                    `server message ${JSON.stringify(cause.message)} should start with ${JSON.stringify(serverMessagePrefix)}`,
                );
            }
        }
        return true;
    });
}

/**
 * Registers every case (as top-level describe() groups, plus before/after hooks) for one transport.
 *
 * @param {object} transport
 * @param {"http"|"ws"} transport.protocol  what `client.protocol` must say
 * @param {(config?: object, opts?: {namespace?: string, log?: object[]}) => object} transport.makeClient
 *        a new @libsql/client for `config` (merged over the transport's URL). With `namespace` it addresses that
 *        tenant; with `log` it records what goes over the wire into that array (in the transport's own format).
 * @param {(log: object[]) => string[]} transport.sentSql  every SQL text the client sent, from a `log`
 * @param {(log: object[]) => {steps: object[], result: object}} transport.batchExchange  the first `batch` request in a
 *        `log`: its steps and its BatchResult ({step_results, step_errors}); asserts that the request itself succeeded
 * @param {(log: object[]) => void} transport.checkWire  asserts the transport's own framing in a `log` (endpoint, subprotocol)
 * @param {string} transport.namespaceRouting  how tenants are addressed (for the group's title)
 * @param {(client: object, ghost: string) => Promise<void>} transport.expectUnknownNamespace  asserts how a client that
 *        addresses a namespace that does not exist fails
 */
export function defineLibsqlClientCases(transport) {
    const { protocol, makeClient, sentSql, batchExchange, checkWire } = transport;

    const clients = [];
    function open(config = {}, opts = {}) {
        const c = makeClient(config, opts);
        clients.push(c);
        return c;
    }

    let client;
    before(() => {
        client = open();
        assert.equal(client.protocol, protocol);
    });
    after(() => {
        for (const c of clients) c.close();
        for (const c of clients) assert.equal(c.closed, true);
    });

    describe("execute and arguments", () => {
        test("positional arguments: ?, ?NNN, rowsAffected, lastInsertRowid", async () => {
            const t = tbl("pos");
            const created = await client.execute(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)`);
            assert.equal(created.rowsAffected, 0);
            assert.deepEqual(created.columns, []);
            assert.equal(created.rows.length, 0);

            const ins1 = await client.execute({ sql: `INSERT INTO ${t} (name, qty) VALUES (?, ?)`, args: ["apple", 3n] });
            assert.equal(ins1.rowsAffected, 1);
            assert.equal(ins1.lastInsertRowid, 1n);
            assert.equal(typeof ins1.lastInsertRowid, "bigint");

            // ?NNN takes positional value NNN (§4.2).
            const ins2 = await client.execute(`INSERT INTO ${t} (name, qty) VALUES (?2, ?1)`, [7n, "pear"]);
            assert.equal(ins2.rowsAffected, 1);
            assert.equal(ins2.lastInsertRowid, 2n);

            const rs = await client.execute({ sql: `SELECT id, name, qty FROM ${t} WHERE qty >= ? ORDER BY id`, args: [3n] });
            assert.deepEqual(rs.columns, ["id", "name", "qty"]);
            assert.equal(rs.rows.length, 2);
            assert.equal(rs.rows[0].id, 1);
            assert.equal(rs.rows[0].name, "apple");
            assert.equal(rs.rows[0].qty, 3);
            assert.equal(rs.rows[1][0], 2);
            assert.equal(rs.rows[1][1], "pear");
            assert.equal(rs.rows[1][2], 7);
            assert.equal(rs.rows[1].length, 3);
            assert.equal(rs.rowsAffected, 0);
            assert.equal(rs.lastInsertRowid, undefined, "a SELECT has no last_insert_rowid (§4.3)");
        });

        test("named arguments with :a, @a and $a, with and without the prefix in the key", async () => {
            const rs1 = await client.execute({
                sql: "SELECT :a AS a, @b AS b, $c AS c, :a + :a AS twice",
                args: { a: 21n, b: "two", c: null },
            });
            assert.deepEqual(rs1.columns, ["a", "b", "c", "twice"]);
            assert.deepEqual(Array.from(rs1.rows[0]), [21, "two", null, 42]);

            const rs2 = await client.execute({
                sql: "SELECT :a AS a, @b AS b, $c AS c",
                args: { ":a": "x", "@b": 2.5, $c: 9n },
            });
            assert.equal(rs2.rows[0].a, "x");
            assert.equal(rs2.rows[0].b, 2.5);
            assert.equal(rs2.rows[0].c, 9);

            const t = tbl("named");
            await client.execute(`CREATE TABLE ${t} (k TEXT PRIMARY KEY, v INTEGER)`);
            const ins = await client.execute({ sql: `INSERT INTO ${t} VALUES ($k, $v)`, args: { k: "key", v: 5n } });
            assert.equal(ins.rowsAffected, 1);
            const upd = await client.execute({ sql: `UPDATE ${t} SET v = v + @inc WHERE k = @k`, args: { inc: 10n, k: "key" } });
            assert.equal(upd.rowsAffected, 1);
            assert.equal(upd.lastInsertRowid, undefined, "an UPDATE has no last_insert_rowid (§4.3)");
            const rs3 = await client.execute({ sql: `SELECT v FROM ${t} WHERE k = :k`, args: { k: "key" } });
            assert.equal(rs3.rows[0].v, 15);
        });

        test("columns and columnTypes come from the declared types (decltype), '' for expressions", async () => {
            const t = tbl("decl");
            await client.execute(
                `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name varchar(20), score REAL, data BLOB, note, flag BOOLEAN)`,
            );
            await client.execute(`INSERT INTO ${t} VALUES (1, 'n', 1.5, x'00', 'x', 1)`);
            const rs = await client.execute(`SELECT id, name, score, data, note, flag, id + 1 AS next, count(*) AS c FROM ${t}`);
            assert.deepEqual(rs.columns, ["id", "name", "score", "data", "note", "flag", "next", "c"]);
            assert.deepEqual(rs.columnTypes, ["INTEGER", "varchar(20)", "REAL", "BLOB", "", "BOOLEAN", "", ""]);
        });

        test("rowsAffected for INSERT/UPDATE/DELETE, 0 for DDL and SELECT", async () => {
            const t = tbl("affected");
            assert.equal((await client.execute(`CREATE TABLE ${t} (a INTEGER, b TEXT)`)).rowsAffected, 0);
            const ins = await client.execute(`INSERT INTO ${t} VALUES (1, 'x'), (2, 'y'), (3, 'z')`);
            assert.equal(ins.rowsAffected, 3);
            assert.equal(ins.lastInsertRowid, 3n);
            assert.equal((await client.execute(`UPDATE ${t} SET b = 'w' WHERE a >= 2`)).rowsAffected, 2);
            assert.equal((await client.execute(`DELETE FROM ${t} WHERE a = 1`)).rowsAffected, 1);
            assert.equal((await client.execute(`SELECT * FROM ${t}`)).rowsAffected, 0);
            assert.equal((await client.execute(`CREATE INDEX ${t}_idx ON ${t}(a)`)).rowsAffected, 0);
            assert.equal((await client.execute(`DROP INDEX ${t}_idx`)).rowsAffected, 0);
        });

        test("lastInsertRowid is an exact bigint beyond 2^53", async () => {
            const t = tbl("rowid");
            await client.execute(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v TEXT)`);
            const big = 9007199254740993n; // 2^53 + 1: not representable as a double
            const rs = await client.execute({ sql: `INSERT INTO ${t} VALUES (?, 'a')`, args: [big] });
            assert.equal(rs.lastInsertRowid, big);
            const max = 9223372036854775807n;
            const rs2 = await client.execute({ sql: `INSERT INTO ${t} VALUES (?, 'b')`, args: [max] });
            assert.equal(rs2.lastInsertRowid, max);
        });
    });

    describe("value types round-trip", () => {
        let t;
        before(async () => {
            t = tbl("vals");
            // No declared type on v: no affinity, so SQLite keeps the storage class that was bound.
            await client.execute(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v)`);
        });
        let nextId = 0;
        async function roundTrip(input, c = client) {
            const id = BigInt(++nextId);
            await c.execute({ sql: `INSERT INTO ${t} (id, v) VALUES (?, ?)`, args: [id, input] });
            const rs = await c.execute({ sql: `SELECT v, typeof(v) AS ty FROM ${t} WHERE id = ?`, args: [id] });
            assert.equal(rs.rows.length, 1);
            return { v: rs.rows[0].v, ty: rs.rows[0].ty };
        }

        test("null", async () => {
            assert.deepEqual(await roundTrip(null), { v: null, ty: "null" });
        });

        test("integers (bigint in, number out in the default intMode)", async () => {
            assert.deepEqual(await roundTrip(42n), { v: 42, ty: "integer" });
            assert.deepEqual(await roundTrip(-7n), { v: -7, ty: "integer" });
            assert.deepEqual(await roundTrip(0n), { v: 0, ty: "integer" });
            assert.deepEqual(await roundTrip(9007199254740991n), { v: 9007199254740991, ty: "integer" });
        });

        test("floats (a JS number is sent as a float)", async () => {
            for (const f of [3.25, -0.5, 2, 1e300, -1.234e-6, 5e-324, 0.1 + 0.2, 1.7976931348623157e308, 123456789.123456789]) {
                const r = await roundTrip(f);
                assert.equal(r.ty, "real", `typeof for ${f}`);
                assert.ok(Object.is(r.v, f), `float ${f} came back as ${r.v}`);
            }
        });

        test("text including unicode, escapes and control characters", async () => {
            for (const s of [
                "hello",
                "",
                "héllo wörld — 日本語 — Ελληνικά",
                "emoji 🎉👩‍👩‍👧 (astral plane, surrogate pairs in JSON)",
                'quote " backslash \\ slash / newline \n cr \r tab \t',
                "controls \u0001\u0008\u000b\u000c\u001f and DEL \u007f",
                "\u2028\u2029 line/paragraph separators",
                "x".repeat(100_000),
            ]) {
                assert.deepEqual(await roundTrip(s), { v: s, ty: "text" }, `text ${JSON.stringify(s.slice(0, 40))}`);
            }
        });

        test("blobs from Uint8Array and ArrayBuffer come back as ArrayBuffer", async () => {
            const all = Uint8Array.from({ length: 256 }, (_, i) => i);
            for (const bytes of [
                Uint8Array.of(0, 1, 2, 253, 254, 255),
                all,
                Uint8Array.of(0xfb, 0xff), // base64 "+/8": needs the standard alphabet
                Uint8Array.of(1), // base64 needs padding: "AQ==" / "AQ"
                Uint8Array.of(1, 2), // "AQI=" / "AQI"
            ]) {
                const r = await roundTrip(bytes);
                assert.equal(r.ty, "blob");
                assert.ok(r.v instanceof ArrayBuffer, "blob comes back as ArrayBuffer");
                assert.deepEqual(new Uint8Array(r.v), bytes);
            }
            const ab = Uint8Array.of(9, 8, 7).buffer;
            const r2 = await roundTrip(ab);
            assert.equal(r2.ty, "blob");
            assert.deepEqual(new Uint8Array(r2.v), Uint8Array.of(9, 8, 7));
        });

        test("empty blob stays a zero-length blob (not NULL)", async () => {
            const r = await roundTrip(new Uint8Array(0));
            assert.equal(r.ty, "blob");
            assert.ok(r.v instanceof ArrayBuffer);
            assert.equal(r.v.byteLength, 0);
        });

        test("booleans are sent as integers 1/0", async () => {
            assert.deepEqual(await roundTrip(true), { v: 1, ty: "integer" });
            assert.deepEqual(await roundTrip(false), { v: 0, ty: "integer" });
        });

        test("Date is sent as its millisecond timestamp (a float)", async () => {
            const d = new Date("2024-01-02T03:04:05.678Z");
            assert.deepEqual(await roundTrip(d), { v: d.valueOf(), ty: "real" });
        });

        test("SQL literals of each type decode correctly", async () => {
            const rs = await client.execute(
                "SELECT NULL AS n, -9 AS i, 1.0 AS f, 1e16 AS big_f, 'ünï' AS s, x'DEADBEEF' AS b, 1.5e-7 AS tiny",
            );
            const row = rs.rows[0];
            assert.equal(row.n, null);
            assert.equal(row.i, -9);
            assert.ok(Object.is(row.f, 1));
            assert.equal(row.big_f, 1e16);
            assert.equal(row.s, "ünï");
            assert.deepEqual(new Uint8Array(row.b), Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
            assert.equal(row.tiny, 1.5e-7);
        });

        test('64-bit integers with intMode "bigint"', async () => {
            const c = open({ intMode: "bigint" });
            for (const n of [9223372036854775807n, -9223372036854775808n, 9007199254740993n, -9007199254740993n, 1n]) {
                const r = await roundTrip(n, c);
                assert.equal(r.ty, "integer");
                assert.equal(r.v, n);
                assert.equal(typeof r.v, "bigint");
            }
            const rs = await c.execute("SELECT 9223372036854775807 AS mx, -9223372036854775808 AS mn");
            assert.equal(rs.rows[0].mx, 9223372036854775807n);
            assert.equal(rs.rows[0].mn, -9223372036854775808n);
        });

        test('64-bit integers with intMode "string"', async () => {
            const c = open({ intMode: "string" });
            const r = await roundTrip(9223372036854775807n, c);
            assert.deepEqual(r, { v: "9223372036854775807", ty: "integer" });
            const rs = await c.execute("SELECT -9223372036854775808 AS mn, 9007199254740993 AS odd, 5 AS small");
            assert.equal(rs.rows[0].mn, "-9223372036854775808");
            assert.equal(rs.rows[0].odd, "9007199254740993");
            assert.equal(rs.rows[0].small, "5");
        });

        test('intMode "number" refuses integers beyond 2^53 (proves they arrive exactly)', async () => {
            await assert.rejects(client.execute("SELECT 9007199254740993 AS x"), RangeError);
            const rs = await client.execute("SELECT 9007199254740991 AS x");
            assert.equal(rs.rows[0].x, 9007199254740991);
        });
    });

    describe("batch", () => {
        test('"write" batch commits all statements and returns one ResultSet each', async () => {
            const t = tbl("bw");
            const log = [];
            const c = open({}, { log });
            const rss = await c.batch(
                [
                    `CREATE TABLE ${t} (a INTEGER UNIQUE, b TEXT)`,
                    { sql: `INSERT INTO ${t} VALUES (?, ?)`, args: [1n, "one"] },
                    { sql: `INSERT INTO ${t} VALUES (:a, :b)`, args: { a: 2n, b: "two" } },
                    [`INSERT INTO ${t} VALUES (?, ?)`, [3n, "three"]],
                    `SELECT a, b FROM ${t} ORDER BY a`,
                ],
                "write",
            );
            assert.equal(rss.length, 5);
            assert.equal(rss[1].rowsAffected, 1);
            assert.equal(rss[1].lastInsertRowid, 1n);
            assert.equal(rss[3].lastInsertRowid, 3n);
            assert.deepEqual(rss[4].columns, ["a", "b"]);
            assert.deepEqual(rss[4].columnTypes, ["INTEGER", "TEXT"]);
            assert.deepEqual(rss[4].rows.map((r) => [r.a, r.b]), [[1, "one"], [2, "two"], [3, "three"]]);
            const sqls = sentSql(log);
            assert.ok(sqls.includes("BEGIN IMMEDIATE"), `BEGIN IMMEDIATE was sent (${JSON.stringify(sqls)})`);
            checkWire(log);
            const count = await client.execute(`SELECT count(*) AS n FROM ${t}`);
            assert.equal(count.rows[0].n, 3);
        });

        test('"write" batch is atomic: a failing statement rolls back the whole batch', async () => {
            const t = tbl("batom");
            await client.execute(`CREATE TABLE ${t} (a INTEGER UNIQUE)`);
            await expectLibsqlError(
                client.batch(
                    [
                        `INSERT INTO ${t} VALUES (1)`,
                        `INSERT INTO ${t} VALUES (2)`,
                        `INSERT INTO ${t} VALUES (1)`, // UNIQUE violation
                        `INSERT INTO ${t} VALUES (3)`,
                    ],
                    "write",
                ),
                {
                    cls: LibsqlBatchError,
                    code: "SQLITE_CONSTRAINT",
                    serverMessage: `SQLite error: UNIQUE constraint failed: ${t}.a`,
                },
            );
            const count = await client.execute(`SELECT count(*) AS n FROM ${t}`);
            assert.equal(count.rows[0].n, 0, "nothing from the failed batch was committed");
            // The statement index is reported.
            await assert.rejects(
                client.batch([`INSERT INTO ${t} VALUES (5)`, `INSERT INTO ${t} VALUES (5)`], "write"),
                (e) => e instanceof LibsqlBatchError && e.statementIndex === 1,
            );
            assert.equal((await client.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 0);
        });

        test('"read" batch (BEGIN TRANSACTION READONLY) returns the rows', async () => {
            const t = tbl("br");
            await client.batch([`CREATE TABLE ${t} (x INTEGER)`, `INSERT INTO ${t} VALUES (10), (20)`], "write");
            const log = [];
            const c = open({}, { log });
            const rss = await c.batch([`SELECT sum(x) AS s FROM ${t}`, `SELECT x FROM ${t} ORDER BY x DESC`], "read");
            assert.equal(rss[0].rows[0].s, 30);
            assert.deepEqual(rss[1].rows.map((r) => r.x), [20, 10]);
            const sqls = sentSql(log);
            assert.ok(sqls.includes("BEGIN TRANSACTION READONLY"), `read mode sends BEGIN TRANSACTION READONLY (${JSON.stringify(sqls)})`);
            // The BEGIN step itself must have succeeded (stock SQLite rejects the statement unless rewritten, §4.1).
            const { result } = batchExchange(log);
            assert.deepEqual(result.step_errors.filter((e) => e !== null), []);
        });

        test('"deferred" batch (the default mode)', async () => {
            const t = tbl("bd");
            const rss = await client.batch([
                `CREATE TABLE ${t} (x TEXT)`,
                { sql: `INSERT INTO ${t} VALUES (?)`, args: ["d"] },
                `SELECT x FROM ${t}`,
            ]);
            assert.equal(rss[2].rows[0].x, "d");
            const rss2 = await client.batch([`SELECT count(*) AS n FROM ${t}`], "deferred");
            assert.equal(rss2[0].rows[0].n, 1);
        });

        test("a batch that repeats one statement many times (SQL cache via store_sql)", async () => {
            const t = tbl("bcache");
            await client.execute(`CREATE TABLE ${t} (i INTEGER)`);
            const stmts = Array.from({ length: 60 }, (_, i) => ({ sql: `INSERT INTO ${t} VALUES (?)`, args: [BigInt(i)] }));
            const rss = await client.batch(stmts, "write");
            assert.equal(rss.length, 60);
            const rs = await client.execute(`SELECT count(*) AS n, sum(i) AS s FROM ${t}`);
            assert.equal(rs.rows[0].n, 60);
            assert.equal(rs.rows[0].s, (59 * 60) / 2);
        });
    });

    describe("interactive transactions", () => {
        test('transaction("write") with commit', async () => {
            const t = tbl("txc");
            await client.execute(`CREATE TABLE ${t} (x INTEGER)`);
            const tx = await client.transaction("write");
            try {
                const ins = await tx.execute({ sql: `INSERT INTO ${t} VALUES (?)`, args: [1n] });
                assert.equal(ins.rowsAffected, 1);
                await tx.batch([`INSERT INTO ${t} VALUES (2)`, `INSERT INTO ${t} VALUES (3)`]);
                const inside = await tx.execute(`SELECT count(*) AS n FROM ${t}`);
                assert.equal(inside.rows[0].n, 3, "the transaction sees its own writes");
                const outside = await client.execute(`SELECT count(*) AS n FROM ${t}`);
                assert.equal(outside.rows[0].n, 0, "other connections do not see uncommitted writes");
                await tx.commit();
                assert.equal(tx.closed, true);
            } finally {
                tx.close();
            }
            assert.equal((await client.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 3);
        });

        test('transaction("write") with rollback', async () => {
            const t = tbl("txr");
            await client.execute(`CREATE TABLE ${t} (x INTEGER)`);
            await client.execute(`INSERT INTO ${t} VALUES (100)`);
            const tx = await client.transaction("write");
            try {
                await tx.execute(`INSERT INTO ${t} VALUES (1)`);
                await tx.execute(`DELETE FROM ${t} WHERE x = 100`);
                assert.equal((await tx.execute(`SELECT count(*) AS n FROM ${t} WHERE x = 100`)).rows[0].n, 0);
                await tx.rollback();
                assert.equal(tx.closed, true);
            } finally {
                tx.close();
            }
            const rs = await client.execute(`SELECT x FROM ${t}`);
            assert.deepEqual(rs.rows.map((r) => r.x), [100]);
        });

        test("a failing statement inside a transaction does not end it", async () => {
            const t = tbl("txe");
            await client.execute(`CREATE TABLE ${t} (x INTEGER UNIQUE)`);
            const tx = await client.transaction("write");
            try {
                await tx.execute(`INSERT INTO ${t} VALUES (1)`);
                await expectLibsqlError(tx.execute(`INSERT INTO ${t} VALUES (1)`), {
                    code: "SQLITE_CONSTRAINT",
                    serverMessage: `SQLite error: UNIQUE constraint failed: ${t}.x`,
                });
                await tx.execute(`INSERT INTO ${t} VALUES (2)`);
                await tx.commit();
            } finally {
                tx.close();
            }
            assert.deepEqual((await client.execute(`SELECT x FROM ${t} ORDER BY x`)).rows.map((r) => r.x), [1, 2]);
        });

        test('transaction("read") sends BEGIN TRANSACTION READONLY and reads', async () => {
            const t = tbl("txread");
            await client.execute(`CREATE TABLE ${t} (x INTEGER)`);
            await client.execute(`INSERT INTO ${t} VALUES (7)`);
            const log = [];
            const c = open({}, { log });
            const tx = await c.transaction("read");
            try {
                const rs = await tx.execute(`SELECT x FROM ${t}`);
                assert.equal(rs.rows[0].x, 7);
                const rs2 = await tx.execute(`SELECT count(*) AS n FROM ${t}`);
                assert.equal(rs2.rows[0].n, 1);
                await tx.commit();
            } finally {
                tx.close();
            }
            const sqls = sentSql(log);
            assert.ok(sqls.includes("BEGIN TRANSACTION READONLY"), JSON.stringify(sqls));
        });

        test('transaction("deferred") and executeMultiple inside a transaction', async () => {
            const t = tbl("txd");
            await client.execute(`CREATE TABLE ${t} (x INTEGER)`);
            const tx = await client.transaction("deferred");
            try {
                await tx.executeMultiple(`INSERT INTO ${t} VALUES (1); INSERT INTO ${t} VALUES (2);`);
                assert.equal((await tx.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 2);
                await tx.commit();
            } finally {
                tx.close();
            }
            assert.equal((await client.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 2);
        });
    });

    describe("concurrent writers queue instead of failing with SQLITE_BUSY (§4.5)", () => {
        test("a second write transaction waits for the first to commit", async () => {
            const t = tbl("queue");
            await client.execute(`CREATE TABLE ${t} (who TEXT)`);
            const tx1 = await client.transaction("write");
            const tx2 = await client.transaction("write");
            try {
                await tx1.execute(`INSERT INTO ${t} VALUES ('tx1')`);
                let tx2Done = false;
                // BEGIN IMMEDIATE of tx2 must wait for tx1's write lock (well past SQLite's 100 ms busy_timeout).
                const p2 = tx2.execute(`INSERT INTO ${t} VALUES ('tx2')`).then((r) => {
                    tx2Done = true;
                    return r;
                });
                await new Promise((r) => setTimeout(r, 600));
                assert.equal(tx2Done, false, "tx2 must not get the write lock while tx1 holds it");
                await tx1.commit();
                const r2 = await p2;
                assert.equal(r2.rowsAffected, 1);
                await tx2.commit();
            } finally {
                tx1.close();
                tx2.close();
            }
            const rs = await client.execute(`SELECT who FROM ${t} ORDER BY rowid`);
            assert.deepEqual(rs.rows.map((r) => r.who), ["tx1", "tx2"]);
        });

        test("parallel write batches all succeed", async () => {
            const t = tbl("par");
            await client.execute(`CREATE TABLE ${t} (i INTEGER)`);
            const batches = Array.from({ length: 12 }, (_, i) =>
                client.batch(
                    [
                        { sql: `INSERT INTO ${t} VALUES (?)`, args: [BigInt(i)] },
                        { sql: `INSERT INTO ${t} VALUES (?)`, args: [BigInt(i + 100)] },
                    ],
                    i % 2 === 0 ? "write" : "deferred",
                ),
            );
            const results = await Promise.allSettled(batches);
            const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
            assert.deepEqual(failures, []);
            const rs = await client.execute(`SELECT count(*) AS n FROM ${t}`);
            assert.equal(rs.rows[0].n, 24);
        });
    });

    describe("executeMultiple and migrate", () => {
        test("executeMultiple runs a script", async () => {
            const t = tbl("em");
            await client.executeMultiple(`
                CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v TEXT);
                INSERT INTO ${t} (v) VALUES ('a');
                -- a comment between statements
                INSERT INTO ${t} (v) VALUES ('b; not a separator');
            `);
            const rs = await client.execute(`SELECT v FROM ${t} ORDER BY id`);
            assert.deepEqual(rs.rows.map((r) => r.v), ["a", "b; not a separator"]);
        });

        test("executeMultiple stops at the first failing statement", async () => {
            const t = tbl("emfail");
            await client.execute(`CREATE TABLE ${t} (v TEXT NOT NULL)`);
            await expectLibsqlError(
                client.executeMultiple(`INSERT INTO ${t} VALUES ('before'); INSERT INTO ${t} VALUES (NULL); INSERT INTO ${t} VALUES ('after');`),
                { code: "SQLITE_CONSTRAINT", serverMessage: `SQLite error: NOT NULL constraint failed: ${t}.v` },
            );
            const rs = await client.execute(`SELECT v FROM ${t}`);
            assert.deepEqual(rs.rows.map((r) => r.v), ["before"]);
        });

        test("migrate wraps the statements in PRAGMA foreign_keys=off/on and a transaction", async () => {
            assert.equal(typeof client.migrate, "function", "migrate() exists in the pinned @libsql/client");
            const parent = tbl("mig_parent");
            const child = tbl("mig_child");
            const log = [];
            const c = open({}, { log });
            const rss = await c.migrate([
                `CREATE TABLE ${parent} (id INTEGER PRIMARY KEY)`,
                `CREATE TABLE ${child} (id INTEGER PRIMARY KEY, p INTEGER REFERENCES ${parent}(id))`,
                { sql: `INSERT INTO ${parent} VALUES (?)`, args: [1n] },
                { sql: `INSERT INTO ${child} VALUES (?, ?)`, args: [10n, 1n] },
            ]);
            assert.equal(rss.length, 4);
            assert.equal(rss[3].rowsAffected, 1);

            const { steps, result: br } = batchExchange(log); // asserts that migrate sent a batch and that it succeeded
            for (const pragma of ["PRAGMA foreign_keys=off", "PRAGMA foreign_keys=on"]) {
                const i = steps.findIndex((s) => s.stmt.sql === pragma);
                assert.ok(i >= 0, `${pragma} was sent`);
                assert.equal(br.step_errors[i], null, `${pragma} must be accepted (§16.6): ${JSON.stringify(br.step_errors[i])}`);
                assert.notEqual(br.step_results[i], null, `${pragma} ran`);
            }
            const rs = await client.execute(`SELECT c.id, c.p FROM ${child} c JOIN ${parent} p ON p.id = c.p`);
            assert.deepEqual(rs.rows.map((r) => [r.id, r.p]), [[10, 1]]);
        });

        test("a failing migrate rolls back", async () => {
            const t = tbl("migfail");
            await expectLibsqlError(
                client.migrate([`CREATE TABLE ${t} (a INTEGER UNIQUE)`, `INSERT INTO ${t} VALUES (1)`, `INSERT INTO ${t} VALUES (1)`]),
                { cls: LibsqlBatchError, code: "SQLITE_CONSTRAINT", serverMessage: `SQLite error: UNIQUE constraint failed: ${t}.a` },
            );
            const rs = await client.execute({ sql: "SELECT name FROM sqlite_master WHERE name = ?", args: [t] });
            assert.equal(rs.rows.length, 0, "the CREATE TABLE of the failed migrate was rolled back");
        });
    });

    describe("errors", () => {
        test("syntax error is SQL_PARSE_ERROR", async () => {
            await expectLibsqlError(client.execute("SELEC 1"), {
                code: "SQL_PARSE_ERROR",
                serverMessagePrefix: "SQL string could not be parsed: ",
            });
        });

        test("no such table is SQL_INPUT_ERROR with the offset", async () => {
            const t = tbl("nope");
            await expectLibsqlError(client.execute(`SELECT * FROM ${t}`), {
                code: "SQL_INPUT_ERROR",
                serverMessage: `SQL input error: no such table: ${t} (at offset 14)`,
            });
        });

        test("no such column is SQL_INPUT_ERROR", async () => {
            const t = tbl("nocol");
            await client.execute(`CREATE TABLE ${t} (a)`);
            await expectLibsqlError(client.execute(`SELECT zzz FROM ${t}`), {
                code: "SQL_INPUT_ERROR",
                serverMessage: "SQL input error: no such column: zzz (at offset 7)",
            });
        });

        test("UNIQUE and NOT NULL constraints are SQLITE_CONSTRAINT with SQLite's message", async () => {
            const t = tbl("uniq");
            await client.execute(`CREATE TABLE ${t} (email TEXT UNIQUE, name TEXT NOT NULL)`);
            await client.execute({ sql: `INSERT INTO ${t} VALUES (?, ?)`, args: ["a@x.io", "A"] });
            await expectLibsqlError(client.execute({ sql: `INSERT INTO ${t} VALUES (?, ?)`, args: ["a@x.io", "B"] }), {
                code: "SQLITE_CONSTRAINT",
                message: `SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: ${t}.email`,
                serverMessage: `SQLite error: UNIQUE constraint failed: ${t}.email`,
            });
            await expectLibsqlError(client.execute({ sql: `INSERT INTO ${t} VALUES (?, ?)`, args: ["b@x.io", null] }), {
                code: "SQLITE_CONSTRAINT",
                serverMessage: `SQLite error: NOT NULL constraint failed: ${t}.name`,
            });
            // The cause is the hrana ResponseError; its own message is the server's message verbatim.
            await assert.rejects(client.execute({ sql: `INSERT INTO ${t} VALUES (?, ?)`, args: ["a@x.io", "C"] }), (e) => {
                assert.equal(e.cause?.message, `SQLite error: UNIQUE constraint failed: ${t}.email`);
                assert.equal(e.rawCode, undefined);
                return true;
            });
        });

        test("more than one statement in execute is SQL_MANY_STATEMENTS", async () => {
            await expectLibsqlError(client.execute("SELECT 1; SELECT 2"), {
                code: "SQL_MANY_STATEMENTS",
                serverMessage: "SQL string contains more than one statement",
            });
        });

        test("argument mismatches are ARGS_INVALID", async () => {
            await expectLibsqlError(client.execute({ sql: "SELECT ?", args: [1n, 2n] }), {
                code: "ARGS_INVALID",
                serverMessagePrefix: "Arguments do not match SQL parameters: ",
            });
            // Positional values never fill named parameters (§4.2).
            await expectLibsqlError(client.execute({ sql: "SELECT :a", args: [1n] }), {
                code: "ARGS_INVALID",
                serverMessagePrefix: "Arguments do not match SQL parameters: ",
            });
        });

        test("the client keeps working after errors", async () => {
            await assert.rejects(client.execute("SELEC 1"));
            const rs = await client.execute("SELECT 1 AS one");
            assert.equal(rs.rows[0].one, 1);
        });
    });

    describe(`namespaces (${transport.namespaceRouting})`, () => {
        const nsA = `compat-a-${suffix}`;
        const nsB = `compat-b-${suffix}`;
        let a;
        let b;
        before(async () => {
            await createNamespace(nsA);
            await createNamespace(nsB);
            a = open({}, { namespace: nsA });
            b = open({}, { namespace: nsB });
        });

        test("creating an existing namespace is a 400", async () => {
            const r = await fetch(`${ADMIN}/v1/namespaces/${nsA}/create`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: "{}",
            });
            assert.equal(r.status, 400);
            assert.deepEqual(await r.json(), { error: `Namespace \`${nsA}\` already exists` });
        });

        test("a table created in tenant A is not visible in tenant B or in default", async () => {
            const t = tbl("tenant");
            await a.execute(`CREATE TABLE ${t} (v TEXT)`);
            await a.execute({ sql: `INSERT INTO ${t} VALUES (?)`, args: ["from A"] });
            assert.equal((await a.execute(`SELECT v FROM ${t}`)).rows[0].v, "from A");

            // (The exact code of "no such table" is checked in the "errors" group; here only isolation matters.)
            const noSuchTable = (e) => e instanceof LibsqlError && e.cause?.message?.includes(`no such table: ${t}`);
            await assert.rejects(b.execute(`SELECT v FROM ${t}`), noSuchTable);
            await assert.rejects(client.execute(`SELECT v FROM ${t}`), noSuchTable);
            const inB = await b.execute({ sql: "SELECT count(*) AS n FROM sqlite_master WHERE name = ?", args: [t] });
            assert.equal(inB.rows[0].n, 0);

            // The same name in B is an independent table.
            await b.batch([`CREATE TABLE ${t} (v TEXT)`, `INSERT INTO ${t} VALUES ('from B'), ('again B')`], "write");
            assert.deepEqual((await b.execute(`SELECT v FROM ${t} ORDER BY v`)).rows.map((r) => r.v), ["again B", "from B"]);
            assert.deepEqual((await a.execute(`SELECT v FROM ${t}`)).rows.map((r) => r.v), ["from A"]);
        });

        test("interactive transaction in a tenant", async () => {
            const t = tbl("tenant_tx");
            await a.execute(`CREATE TABLE ${t} (x INTEGER)`);
            const tx = await a.transaction("write");
            try {
                await tx.execute(`INSERT INTO ${t} VALUES (1)`);
                await tx.commit();
            } finally {
                tx.close();
            }
            assert.equal((await a.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 1);
            await assert.rejects(b.execute(`SELECT count(*) FROM ${t}`), (e) => e.cause?.message?.includes(`no such table: ${t}`));
        });

        test("the plain 127.0.0.1 URL and the namespace `default` are the same database", async () => {
            const t = tbl("dflt");
            await client.execute(`CREATE TABLE ${t} (v TEXT)`);
            await client.execute(`INSERT INTO ${t} VALUES ('d')`);
            const d = open({}, { namespace: "default" });
            assert.equal((await d.execute(`SELECT v FROM ${t}`)).rows[0].v, "d");
        });

        test("an unknown namespace is an error", async () => {
            const ghost = `compat-ghost-${suffix}`;
            const g = open({}, { namespace: ghost });
            await transport.expectUnknownNamespace(g, ghost);
            // Other clients are not affected.
            assert.equal((await a.execute("SELECT 'a ok' AS v")).rows[0].v, "a ok");
        });
    });
}
