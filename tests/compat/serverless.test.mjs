// @tursodatabase/serverless against qsqld. The client speaks Hrana 3 JSON: /v3/cursor for statements and batches
// (each with a trailing `is_autocommit` probe step) and /v3/pipeline for describe, sequence, get_autocommit and close.
// Run through harness.mjs, which sets QSQLD_URL and QSQLD_ADMIN_URL.
// Spec references (§) are to shared/spec/sqld-http-api.md.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect, DatabaseError } from "@tursodatabase/serverless";
import { createClient as createCompatClient, LibsqlError as CompatLibsqlError } from "@tursodatabase/serverless/compat";

import { URL_, ADMIN, tbl, suffix, createNamespace } from "./common.mjs";

async function expectDbError(promise, { code, message, messagePrefix }) {
    await assert.rejects(promise, (err) => {
        assert.ok(err instanceof DatabaseError, `expected DatabaseError, got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.code, code, `code (message: ${err.message})`);
        if (message !== undefined) assert.equal(err.message, message);
        if (messagePrefix !== undefined) {
            assert.ok(err.message.startsWith(messagePrefix), `${JSON.stringify(err.message)} should start with ${JSON.stringify(messagePrefix)}`);
        }
        return true;
    });
}

const conns = [];
function open(extra = {}) {
    const c = connect({ url: URL_, ...extra });
    conns.push(c);
    return c;
}
let db;
before(() => {
    db = open();
});
after(async () => {
    for (const c of conns) await c.close();
});

describe("prepared statements", () => {
    let t;
    before(async () => {
        t = tbl("prep");
        await db.exec(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB)`);
    });

    test("prepare().run returns changes and lastInsertRowid", async () => {
        const ins = await db.prepare(`INSERT INTO ${t} (name, score, data) VALUES (?, ?, ?)`);
        assert.equal(ins.reader, false);
        assert.deepEqual(await ins.run(["ann", 1.5, Buffer.from([1, 2, 3])]), { changes: 1, lastInsertRowid: 1 });
        assert.deepEqual(await ins.run(["bob", 2, new Uint8Array([4])]), { changes: 1, lastInsertRowid: 2 });
        assert.deepEqual(await ins.run(["cy", null, null]), { changes: 1, lastInsertRowid: 3 });
    });

    test("prepare() describes the columns; get and all return objects", async () => {
        const sel = await db.prepare(`SELECT id, name, score, data FROM ${t} WHERE id >= ? ORDER BY id`);
        assert.equal(sel.reader, true);
        assert.deepEqual(sel.columns(), [
            { name: "id", type: "INTEGER" },
            { name: "name", type: "TEXT" },
            { name: "score", type: "REAL" },
            { name: "data", type: "BLOB" },
        ]);
        const first = await sel.get([1]);
        assert.equal(first.id, 1);
        assert.equal(first.name, "ann");
        assert.equal(first.score, 1.5);
        assert.deepEqual([...first.data], [1, 2, 3]);
        const all = await sel.all([2]);
        assert.equal(all.length, 2);
        assert.equal(all[0].name, "bob");
        assert.equal(all[0].score, 2);
        assert.deepEqual([...all[0].data], [4]);
        assert.equal(all[1].score, null);
        assert.equal(all[1].data, null);
        assert.equal(await sel.get([99]), undefined);
    });

    test("raw, pluck and safeIntegers modes", async () => {
        const sel = await db.prepare(`SELECT id, name FROM ${t} ORDER BY id`);
        assert.deepEqual(await sel.raw().all(), [[1, "ann"], [2, "bob"], [3, "cy"]]);
        assert.deepEqual(await sel.pluck().all(), [1, 2, 3]);
        assert.deepEqual(await sel.pluck().safeIntegers().all(), [1n, 2n, 3n]);
        const big = await db.prepare("SELECT 9223372036854775807 AS mx, -9223372036854775808 AS mn");
        assert.deepEqual(await big.safeIntegers().raw().get(), [9223372036854775807n, -9223372036854775808n]);
    });

    test("named parameters :a @a $a and numeric-key objects", async () => {
        const st = await db.prepare("SELECT :a AS a, @b AS b, $c AS c");
        assert.deepEqual(await st.get({ a: 1, b: "x", c: null }), { a: 1, b: "x", c: null });
        const pos = await db.prepare("SELECT ?1 AS one, ?2 AS two");
        assert.deepEqual(await pos.get({ 1: "first", 2: "second" }), { one: "first", two: "second" });
        const d = await db.prepare(`SELECT name FROM ${t} WHERE id = :id`);
        assert.deepEqual(await d.get({ id: 2 }), { name: "bob" });
    });

    test("iterate streams the rows of a large result", async () => {
        const st = await db.prepare(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) SELECT x, 'r' || x AS s FROM c",
        );
        let n = 0;
        let sum = 0;
        for await (const row of st.iterate()) {
            n++;
            sum += row.x;
            if (row.x === 5000) assert.equal(row.s, "r5000");
        }
        assert.equal(n, 5000);
        assert.equal(sum, (5000 * 5001) / 2);
    });
});

describe("connection shortcuts and values", () => {
    test("run / get / all without prepare", async () => {
        const t = tbl("short");
        await db.exec(`CREATE TABLE ${t} (k TEXT PRIMARY KEY, v INTEGER)`);
        assert.deepEqual(await db.run(`INSERT INTO ${t} VALUES (?, ?)`, ["a", 1]), { changes: 1, lastInsertRowid: 1 });
        assert.deepEqual(await db.run(`INSERT INTO ${t} VALUES (?, ?)`, "b", 2), { changes: 1, lastInsertRowid: 2 });
        const upd = await db.run(`UPDATE ${t} SET v = v * 10`);
        assert.equal(upd.changes, 2);
        assert.equal(upd.lastInsertRowid, undefined, "UPDATE has no last_insert_rowid (§4.3)");
        assert.deepEqual(await db.get(`SELECT v FROM ${t} WHERE k = ?`, "b"), { v: 20 });
        assert.deepEqual(await db.all(`SELECT k, v FROM ${t} ORDER BY k`), [{ k: "a", v: 10 }, { k: "b", v: 20 }]);
    });

    test("every value type round-trips with the right storage class", async () => {
        const t = tbl("vals");
        await db.exec(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v)`);
        const cases = [
            [null, "null", null],
            [42, "integer", 42], // a safe-integer number is sent as an integer
            [-7, "integer", -7],
            [2.5, "real", 2.5],
            [0.1 + 0.2, "real", 0.1 + 0.2],
            [1e300, "real", 1e300],
            [-1.5e-7, "real", -1.5e-7],
            [9007199254740993n, "integer", 9007199254740993n],
            [-9223372036854775808n, "integer", -9223372036854775808n],
            [true, "integer", 1],
            [false, "integer", 0],
            ["", "text", ""],
            ["héllo — 日本語 🎉 \"q\" \\ \n\t \u0001", "text", "héllo — 日本語 🎉 \"q\" \\ \n\t \u0001"],
            [Uint8Array.of(0xfb, 0xff, 0), "blob", [0xfb, 0xff, 0]], // padded base64 "+/8A" is sent (§5)
            [Uint8Array.of(7), "blob", [7]], // "Bw=="
            [new Uint8Array(0), "blob", []],
        ];
        let id = 0;
        for (const [input, ty, expected] of cases) {
            id++;
            await db.run(`INSERT INTO ${t} (id, v) VALUES (?, ?)`, [id, input]);
            const st = await db.prepare(`SELECT v, typeof(v) AS ty FROM ${t} WHERE id = ?`);
            if (typeof expected === "bigint") st.safeIntegers();
            const row = await st.get([id]);
            assert.equal(row.ty, ty, `storage class of ${String(input)}`);
            if (ty === "blob") {
                assert.ok(Buffer.isBuffer(row.v));
                assert.deepEqual([...row.v], expected);
            } else if (typeof expected === "number") {
                assert.ok(Object.is(row.v, expected), `${String(input)} came back as ${row.v}`);
            } else {
                assert.equal(row.v, expected);
            }
        }
    });

    test("pragma", async () => {
        const t = tbl("prag");
        await db.exec(`CREATE TABLE ${t} (a INTEGER, b TEXT)`);
        const info = await db.pragma(`table_info(${t})`);
        assert.deepEqual(info.columns, ["cid", "name", "type", "notnull", "dflt_value", "pk"]);
        assert.deepEqual(info.rows.map((r) => [r[1], r[2]]), [["a", "INTEGER"], ["b", "TEXT"]]);
    });
});

describe("exec and batch", () => {
    test("exec runs a multi-statement script (sequence)", async () => {
        const t = tbl("exec");
        await db.exec(`CREATE TABLE ${t} (v TEXT); INSERT INTO ${t} VALUES ('a'); INSERT INTO ${t} VALUES ('b');`);
        assert.deepEqual(await db.all(`SELECT v FROM ${t} ORDER BY v`), [{ v: "a" }, { v: "b" }]);
        await expectDbError(db.exec(`INSERT INTO ${t} VALUES ('c'); SELECT zzz; INSERT INTO ${t} VALUES ('d')`), {
            code: "SQL_INPUT_ERROR",
            message: "SQL input error: no such column: zzz (at offset 7)",
        });
        assert.equal((await db.get(`SELECT count(*) AS n FROM ${t}`)).n, 3, "stopped at the failing statement");
    });

    test("batch without a mode returns one result per statement", async () => {
        const t = tbl("batch");
        const res = await db.batch([
            `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT)`,
            { sql: `INSERT INTO ${t} (name) VALUES (?)`, args: ["x"] },
            { sql: `INSERT INTO ${t} (name) VALUES (:n)`, args: { n: "y" } },
            `SELECT id, name FROM ${t} ORDER BY id`,
        ]);
        assert.equal(res.length, 4);
        assert.equal(res[1].rowsAffected, 1);
        assert.deepEqual(res[3].columns, ["id", "name"]);
        assert.deepEqual(res[3].columnTypes, ["INTEGER", "TEXT"]);
        assert.deepEqual(res[3].rows, [{ id: 1, name: "x" }, { id: 2, name: "y" }]);
        const raw = await db.batch([`SELECT name FROM ${t} ORDER BY id`], { raw: true });
        assert.deepEqual(raw[0].rows, [["x"], ["y"]]);
    });

    test("batch without a mode is not atomic", async () => {
        const t = tbl("nonatomic");
        await db.exec(`CREATE TABLE ${t} (a INTEGER UNIQUE)`);
        await expectDbError(
            db.batch([`INSERT INTO ${t} VALUES (1)`, `INSERT INTO ${t} VALUES (1)`, `INSERT INTO ${t} VALUES (2)`]),
            { code: "SQLITE_CONSTRAINT", message: `SQLite error: UNIQUE constraint failed: ${t}.a` },
        );
        const rows = await db.all(`SELECT a FROM ${t} ORDER BY a`);
        assert.deepEqual(rows, [{ a: 1 }, { a: 2 }], "each step ran in autocommit");
    });

    for (const mode of ["write", "immediate", "deferred", "exclusive"]) {
        test(`batch in mode "${mode}" is atomic`, async () => {
            const t = tbl(`atomic_${mode}`);
            await db.exec(`CREATE TABLE ${t} (a INTEGER UNIQUE)`);
            await expectDbError(
                db.batch([`INSERT INTO ${t} VALUES (1)`, `INSERT INTO ${t} VALUES (2)`, `INSERT INTO ${t} VALUES (1)`], mode),
                { code: "SQLITE_CONSTRAINT", message: `SQLite error: UNIQUE constraint failed: ${t}.a` },
            );
            assert.equal((await db.get(`SELECT count(*) AS n FROM ${t}`)).n, 0, "nothing committed");
            assert.equal(db.inTransaction, false, "the ROLLBACK step ended the transaction");
            const ok = await db.batch([`INSERT INTO ${t} VALUES (1)`, `INSERT INTO ${t} VALUES (2)`, `SELECT count(*) AS n FROM ${t}`], mode);
            assert.deepEqual(ok[2].rows, [{ n: 2 }]);
            assert.equal(db.inTransaction, false);
            assert.equal((await db.get(`SELECT count(*) AS n FROM ${t}`)).n, 2);
        });
    }
});

describe("transactions", () => {
    test("inTransaction follows BEGIN/COMMIT on the connection's stream (get_autocommit, is_autocommit)", async () => {
        const t = tbl("intx");
        await db.exec(`CREATE TABLE ${t} (x INTEGER)`);
        assert.equal(db.inTransaction, false);
        await db.exec("BEGIN");
        assert.equal(db.inTransaction, true);
        await db.run(`INSERT INTO ${t} VALUES (1)`);
        assert.equal(db.inTransaction, true, "the is_autocommit probe step was skipped");
        const other = open();
        assert.equal((await other.get(`SELECT count(*) AS n FROM ${t}`)).n, 0, "uncommitted row is invisible elsewhere");
        assert.equal((await db.get(`SELECT count(*) AS n FROM ${t}`)).n, 1);
        await db.exec("COMMIT");
        assert.equal(db.inTransaction, false);
        assert.equal((await other.get(`SELECT count(*) AS n FROM ${t}`)).n, 1);
    });

    test("transaction(fn) commits, and rolls back when fn throws", async () => {
        const t = tbl("txfn");
        await db.exec(`CREATE TABLE ${t} (x TEXT)`);
        const insert = db.transaction(async (a, b) => {
            await db.run(`INSERT INTO ${t} VALUES (?)`, [a]);
            await db.run(`INSERT INTO ${t} VALUES (?)`, [b]);
        });
        await insert.immediate("a", "b");
        const failing = db.transaction(async () => {
            await db.run(`INSERT INTO ${t} VALUES ('c')`);
            throw new Error("boom");
        });
        await assert.rejects(failing.deferred(), /boom/);
        assert.deepEqual(await db.all(`SELECT x FROM ${t} ORDER BY x`), [{ x: "a" }, { x: "b" }]);
        assert.equal(db.inTransaction, false);
    });

    test("transactionAsync runs on its own stream; commit and rollback", async () => {
        const t = tbl("txasync");
        await db.exec(`CREATE TABLE ${t} (x INTEGER)`);
        const result = await db
            .transactionAsync(async (tx, n) => {
                await tx.run(`INSERT INTO ${t} VALUES (?)`, [n]);
                const st = await tx.prepare(`INSERT INTO ${t} VALUES (?)`);
                await st.run([n + 1]);
                await tx.batch([`INSERT INTO ${t} VALUES (100)`]);
                const inside = await tx.get(`SELECT count(*) AS n FROM ${t}`);
                const outside = await db.get(`SELECT count(*) AS n FROM ${t}`);
                const r = await tx.execute(`SELECT sum(x) AS s FROM ${t}`);
                return [inside.n, outside.n, r.rows[0].s];
            })
            .immediate(1);
        assert.deepEqual(result, [3, 0, 103]);
        assert.equal((await db.get(`SELECT count(*) AS n FROM ${t}`)).n, 3);

        await assert.rejects(
            db
                .transactionAsync(async (tx) => {
                    await tx.run(`DELETE FROM ${t}`);
                    throw new Error("rollback please");
                })
                .deferred(),
            /rollback please/,
        );
        assert.equal((await db.get(`SELECT count(*) AS n FROM ${t}`)).n, 3);
    });
});

describe("errors", () => {
    test("syntax error: SQL_PARSE_ERROR as a step_error of the cursor (§8.4 qsqld)", async () => {
        await expectDbError(db.all("SELEC 1"), { code: "SQL_PARSE_ERROR", messagePrefix: "SQL string could not be parsed: " });
    });

    test("no such table: SQL_INPUT_ERROR", async () => {
        const t = tbl("nope");
        await expectDbError(db.all(`SELECT * FROM ${t}`), {
            code: "SQL_INPUT_ERROR",
            message: `SQL input error: no such table: ${t} (at offset 14)`,
        });
        // prepare() goes through describe on /v3/pipeline
        await expectDbError(db.prepare(`SELECT * FROM ${t}`), {
            code: "SQL_INPUT_ERROR",
            message: `SQL input error: no such table: ${t} (at offset 14)`,
        });
    });

    test("no such column: SQL_INPUT_ERROR", async () => {
        await expectDbError(db.all("SELECT zzz"), {
            code: "SQL_INPUT_ERROR",
            message: "SQL input error: no such column: zzz (at offset 7)",
        });
    });

    test("UNIQUE constraint: SQLITE_CONSTRAINT with SQLite's message", async () => {
        const t = tbl("uniq");
        await db.exec(`CREATE TABLE ${t} (email TEXT UNIQUE)`);
        await db.run(`INSERT INTO ${t} VALUES (?)`, ["a@x.io"]);
        await expectDbError(db.run(`INSERT INTO ${t} VALUES (?)`, ["a@x.io"]), {
            code: "SQLITE_CONSTRAINT",
            message: `SQLite error: UNIQUE constraint failed: ${t}.email`,
        });
        // The connection is still usable after errors.
        assert.deepEqual(await db.get(`SELECT count(*) AS n FROM ${t}`), { n: 1 });
    });

    test("an unknown namespace is an HTTP 404", async () => {
        const ghost = open({ requestHeaders: { "x-namespace": `compat-ghost-${suffix}` } });
        await assert.rejects(ghost.all("SELECT 1"), (e) => {
            assert.ok(e instanceof DatabaseError);
            assert.equal(e.message, "HTTP error! status: 404");
            return true;
        });
    });
});

describe("namespaces via requestHeaders x-namespace", () => {
    test("tenant isolation", async () => {
        const nsA = `compat-sl-a-${suffix}`;
        const nsB = `compat-sl-b-${suffix}`;
        await createNamespace(nsA);
        await createNamespace(nsB);
        const a = open({ requestHeaders: { "x-namespace": nsA } });
        const b = open({ requestHeaders: { "x-namespace": nsB } });
        const t = tbl("tenant");
        await a.exec(`CREATE TABLE ${t} (v TEXT); INSERT INTO ${t} VALUES ('A')`);
        assert.deepEqual(await a.all(`SELECT v FROM ${t}`), [{ v: "A" }]);
        // (The exact code of "no such table" is checked in "errors"; here only isolation matters.)
        const noSuchTable = (e) => e instanceof DatabaseError && e.message.includes(`no such table: ${t}`);
        await assert.rejects(b.all(`SELECT v FROM ${t}`), noSuchTable);
        await assert.rejects(db.all(`SELECT v FROM ${t}`), noSuchTable);
        assert.deepEqual(await b.all("SELECT count(*) AS n FROM sqlite_master WHERE name = ?", [t]), [{ n: 0 }]);
        await b.batch([`CREATE TABLE ${t} (v TEXT)`, `INSERT INTO ${t} VALUES ('B')`], "write");
        assert.deepEqual(await b.all(`SELECT v FROM ${t}`), [{ v: "B" }]);
        assert.deepEqual(await a.all(`SELECT v FROM ${t}`), [{ v: "A" }]);
    });
});

describe("libsql-compatible createClient (/compat)", () => {
    let c;
    before(() => {
        c = createCompatClient({ url: URL_ });
    });
    after(() => c.close());

    test("execute, batch and errors", async () => {
        const t = tbl("compat");
        await c.execute(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v TEXT UNIQUE)`);
        const ins = await c.execute({ sql: `INSERT INTO ${t} (v) VALUES (?)`, args: ["one"] });
        assert.equal(ins.rowsAffected, 1);
        assert.equal(ins.lastInsertRowid, 1n);
        const rs = await c.execute(`SELECT id, v FROM ${t}`);
        assert.deepEqual(rs.columns, ["id", "v"]);
        assert.deepEqual(rs.columnTypes, ["INTEGER", "TEXT"]);
        assert.equal(rs.rows[0].v, "one");
        const res = await c.batch([`INSERT INTO ${t} (v) VALUES ('two')`, `SELECT count(*) AS n FROM ${t}`], "write");
        assert.deepEqual(res[1].rows, [{ n: 2 }]);
        await assert.rejects(c.execute({ sql: `INSERT INTO ${t} (v) VALUES (?)`, args: ["one"] }), (e) => {
            assert.ok(e instanceof CompatLibsqlError);
            assert.equal(e.code, "SQLITE_CONSTRAINT");
            assert.equal(e.message, `SQLite error: UNIQUE constraint failed: ${t}.v`);
            return true;
        });
    });

    test("interactive transaction with rollback", async () => {
        const t = tbl("compat_tx");
        await c.execute(`CREATE TABLE ${t} (x INTEGER)`);
        const tx = await c.transaction("write");
        await tx.execute(`INSERT INTO ${t} VALUES (1)`);
        assert.equal((await tx.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 1);
        await tx.rollback();
        assert.equal((await c.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 0);
    });
});

test("close() ends the stream; a closed connection refuses work", async () => {
    const c = connect({ url: URL_ });
    assert.deepEqual(await c.get("SELECT 1 AS one"), { one: 1 });
    await c.close();
    await assert.rejects(c.all("SELECT 1"), TypeError);
});
