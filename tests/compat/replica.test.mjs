// @libsql/client embedded replicas (`createClient({url: "file:…", syncUrl})`) against qsqld: the classic sync
// protocol (GET /info → 404, gRPC-web wal_log.ReplicationLog and proxy.Proxy over HTTP/1.1; spec
// shared/spec/replication.md). Run through harness.mjs, which sets QSQLD_BINARY; this suite starts its own servers
// (it restarts and kills them) on dual-stack [::] ports.
//
// The replica derives its namespace from the first label of the syncUrl host (x-namespace-bin), so tenants are
// addressed as http://<ns>.localhost:PORT (Debian resolves *.localhost with libnss-myhostname, which the project's
// install script installs). After every step both sides must hold the same rows and the replica must pass
// PRAGMA integrity_check.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { createClient } from "@libsql/client";

import { Server, TMP, clients, freshName, sleep } from "./qsqld-server.mjs";

let replicaCounter = 0;
function replica(server, ns, options = {}) {
    const file = path.join(TMP, `replica-${++replicaCounter}.db`);
    const c = createClient({
        url: `file:${file}`,
        syncUrl: server.syncUrl(ns),
        authToken: options.authToken ?? (server.auth ? server.token(ns) : undefined),
    });
    clients.push(c);
    return c;
}

const rowsOf = async (client, sql = "SELECT * FROM t ORDER BY id") =>
    (await client.execute(sql)).rows.map((r) => ({ ...r }));

/** Both sides hold the same rows of every listed query, and the replica's file is sound. */
async function assertSame(primary, rep, queries = ["SELECT * FROM t ORDER BY id"]) {
    for (const q of queries) assert.deepEqual(await rowsOf(rep, q), await rowsOf(primary, q), q);
    const check = await rep.execute("PRAGMA integrity_check");
    assert.equal(check.rows[0][0], "ok");
}

describe("embedded replicas (@libsql/client file: + syncUrl)", () => {
    const server = new Server("plain");
    before(() => server.start());
    after(() => server.stop());

    test("GET /info answers 404, which keeps replicas on the gRPC-web protocol", async () => {
        const r = await fetch(`http://127.0.0.1:${server.port}/info`);
        assert.equal(r.status, 404);
    });

    test("cold sync of an existing tenant, reads from the local file", async () => {
        const ns = freshName("cold");
        await server.createNamespace(ns);
        const p = server.primary(ns);
        await p.batch(["CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)",
            ...Array.from({ length: 100 }, (_, i) => `INSERT INTO t(name, score, data) VALUES ('n${i}', ${i} + 0.5, randomblob(64))`)],
            "write");
        const r = replica(server, ns);
        const s = await r.sync();
        assert.ok(s.frames_synced > 0, JSON.stringify(s));
        assert.equal((await r.execute("SELECT count(*) FROM t")).rows[0][0], 100);
        await assertSame(p, r);
    });

    test("writes through the replica: statements, batches, interactive transactions", async () => {
        const ns = freshName("writes");
        await server.createNamespace(ns);
        const p = server.primary(ns);
        await p.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)");
        const r = replica(server, ns);
        await r.sync();

        const w = await r.execute({ sql: "INSERT INTO t(name, score, data) VALUES (?, ?, ?)",
            args: ["from-replica", 7.25, new Uint8Array([1, 2, 3])] });
        assert.equal(w.rowsAffected, 1);
        assert.equal(Number(w.lastInsertRowid), 1);
        // Read-your-writes: the replica synced after the write.
        assert.deepEqual((await r.execute("SELECT name FROM t")).rows.map((x) => x.name), ["from-replica"]);

        const b = await r.batch(["INSERT INTO t(name) VALUES ('b1')", "INSERT INTO t(name) VALUES ('b2')"], "write");
        assert.deepEqual(b.map((x) => x.rowsAffected), [1, 1]);

        const tx = await r.transaction("write");
        await tx.execute({ sql: "INSERT INTO t(name) VALUES (?)", args: ["tx1"] });
        await tx.execute({ sql: "UPDATE t SET score = :s WHERE name = :n", args: { s: 42.5, n: "tx1" } });
        await tx.commit();
        const rolledBack = await r.transaction("write");
        await rolledBack.execute("INSERT INTO t(name) VALUES ('never')");
        await rolledBack.rollback();

        await assert.rejects(r.execute("INSERT INTO t(id, name) VALUES (1, 'dup')"), /UNIQUE constraint failed/);
        const ret = await r.execute("INSERT INTO t(name) VALUES ('ret') RETURNING id, name");
        assert.equal(ret.rows[0].name, "ret");

        await r.sync();
        await assertSame(p, r);
        const names = (await rowsOf(p)).map((x) => x.name);
        assert.deepEqual(names, ["from-replica", "b1", "b2", "tx1", "ret"]);
        assert.equal((await p.execute("SELECT score FROM t WHERE name = 'tx1'")).rows[0][0], 42.5);
    });

    test("a 5,000-row transaction on the primary, then more primary writes, then sync", async () => {
        const ns = freshName("big");
        await server.createNamespace(ns);
        const p = server.primary(ns);
        await p.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB)");
        const r = replica(server, ns);
        await r.sync();
        const stmts = Array.from({ length: 5000 }, (_, i) => ({
            sql: "INSERT INTO t(name, data) VALUES (?, randomblob(300))", args: [`row-${i}`] }));
        await p.batch(stmts, "write");
        const s1 = await r.sync();
        assert.ok(s1.frames_synced > 100, JSON.stringify(s1));
        await assertSame(p, r, ["SELECT count(*), sum(length(data)), max(name) FROM t", "SELECT * FROM t ORDER BY id"]);
        await p.execute("DELETE FROM t WHERE id % 2 = 0");
        await p.execute("INSERT INTO t(name) VALUES ('late')");
        await r.sync();
        await assertSame(p, r);
    });

    test("checkpoint on the server between writes, then sync", async () => {
        const ns = freshName("ckpt");
        await server.createNamespace(ns);
        const p = server.primary(ns);
        await p.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)");
        const r = replica(server, ns);
        await r.execute("INSERT INTO t(name) VALUES ('before')");
        await server.admin("POST", `/v1/namespaces/${ns}/checkpoint`);
        await p.execute("INSERT INTO t(name) VALUES ('after-checkpoint')");
        await server.admin("POST", `/v1/namespaces/${ns}/checkpoint`);
        await r.execute("INSERT INTO t(name) VALUES ('after-second')");
        await r.sync();
        await assertSame(p, r);
        assert.equal((await rowsOf(r)).length, 3);
    });

    test("namespace deleted and recreated: the replica takes the new history, never a mix", async () => {
        const ns = freshName("recreate");
        await server.createNamespace(ns);
        const p = server.primary(ns);
        await p.batch(["CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)",
            "INSERT INTO t(name) VALUES ('old-1'), ('old-2'), ('old-3')",
            "CREATE TABLE old_only(x)", "INSERT INTO old_only VALUES (randomblob(20000))"], "write");
        const r = replica(server, ns);
        await r.sync();
        await assertSame(p, r);

        await server.admin("DELETE", `/v1/namespaces/${ns}`);
        await server.createNamespace(ns);
        const p2 = server.primary(ns);
        await p2.batch(["CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO t(name) VALUES ('new')"],
            "write");
        await r.sync();
        await assertSame(p2, r, ["SELECT * FROM t ORDER BY id",
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"]);
        assert.deepEqual((await rowsOf(r)).map((x) => x.name), ["new"]);
    });
});

describe("replicas across server restarts", () => {
    const server = new Server("restart");
    before(() => server.start());
    after(() => server.stop());

    test("clean restart keeps the history; reads work while the server is down", async () => {
        const ns = freshName("restart");
        await server.createNamespace(ns);
        let p = server.primary(ns);
        await p.batch(["CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO t(name) VALUES ('a')"],
            "write");
        const r = replica(server, ns);
        const first = await r.sync();

        await server.stop();
        assert.equal((await r.execute("SELECT count(*) FROM t")).rows[0][0], 1, "local reads need no server");
        await server.start();

        p = server.primary(ns);
        await p.execute("INSERT INTO t(name) VALUES ('b')");
        const second = await r.sync();
        // The same log: only the new write's frames travel, numbered after the old ones.
        assert.ok(second.frame_no > first.frame_no, `${JSON.stringify(first)} then ${JSON.stringify(second)}`);
        assert.ok(second.frames_synced < 5, JSON.stringify(second));
        await assertSame(p, r);
    });

    test("kill -9 under writes: the log is rebuilt and the replica re-downloads", async () => {
        const ns = freshName("kill");
        await server.createNamespace(ns);
        let p = server.primary(ns);
        await p.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)");
        const r = replica(server, ns);
        for (let i = 0; i < 20; i++) await r.execute({ sql: "INSERT INTO t(name) VALUES (?)", args: [`w${i}`] });
        const writes = Array.from({ length: 50 }, (_, i) => p.execute({ sql: "INSERT INTO t(name) VALUES (?)",
            args: [`p${i}`] }).catch(() => null));
        await sleep(5);
        await server.kill9();
        await Promise.all(writes);
        await server.start();
        p = server.primary(ns);
        await p.execute("INSERT INTO t(name) VALUES ('after-kill')");
        await r.sync();
        await assertSame(p, r);
        const names = (await rowsOf(r)).map((x) => x.name);
        for (let i = 0; i < 20; i++) assert.ok(names.includes(`w${i}`), `acknowledged write w${i} kept`);
    });
});

describe("replicas of a compacted log (--max-log-size 1)", () => {
    const server = new Server("compact", { args: ["--max-log-size", "1"] });
    before(() => server.start());
    after(() => server.stop());

    test("fresh and lagging replicas catch up through snapshots", async () => {
        const ns = freshName("snap");
        await server.createNamespace(ns);
        const p = server.primary(ns);
        await p.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB)");
        await p.execute("INSERT INTO t(name, data) VALUES ('first', randomblob(1000))");
        const lagging = replica(server, ns);
        await lagging.sync();

        // About 3 MiB of new pages: the 1 MiB log is compacted into snapshots several times.
        for (let i = 0; i < 30; i++)
            await p.execute({ sql: "INSERT INTO t(name, data) VALUES (?, randomblob(100000))", args: [`big-${i}`] });
        const stats = await server.stats(ns);
        assert.ok(stats.replication.snapshot_count >= 1, JSON.stringify(stats.replication));
        assert.ok(stats.replication.log_size_bytes < 2 * 1024 * 1024, JSON.stringify(stats.replication));

        const fresh = replica(server, ns);
        await fresh.sync();
        await assertSame(p, fresh, ["SELECT id, name, length(data), hex(substr(data, 1, 16)) FROM t ORDER BY id"]);
        await lagging.sync();
        await assertSame(p, lagging, ["SELECT id, name, length(data), hex(substr(data, 1, 16)) FROM t ORDER BY id"]);
        // Writes through a replica keep working on top of snapshots.
        await fresh.execute("INSERT INTO t(name) VALUES ('after-snapshot')");
        await lagging.sync();
        await assertSame(p, lagging, ["SELECT id, name FROM t ORDER BY id"]);
    });

    test("many compactions of the same pages are merged, replicas stay exact", async () => {
        const ns = freshName("merge");
        await server.createNamespace(ns);
        const p = server.primary(ns);
        await p.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, data BLOB)");
        await p.execute("INSERT INTO t(data) SELECT randomblob(3000) FROM generate_series(1, 100)"
            .replace("FROM generate_series(1, 100)", "FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT i FROM n)"));
        const early = replica(server, ns);
        await early.sync();
        // Rewrite the same ~100 pages over and over: snapshots outgrow twice the database and get merged.
        for (let i = 0; i < 12; i++) await p.execute("UPDATE t SET data = randomblob(3000)");
        const stats = await server.stats(ns);
        assert.ok(stats.replication.snapshot_count >= 1 && stats.replication.snapshot_count <= 2,
            JSON.stringify(stats.replication));
        const late = replica(server, ns);
        await late.sync();
        await early.sync();
        for (const r of [late, early]) await assertSame(p, r, ["SELECT id, hex(data) FROM t ORDER BY id"]);
    });

    test("a clean restart keeps the snapshots; --snapshot-at-shutdown compacts the rest", async () => {
        const ns = freshName("keep");
        await server.createNamespace(ns);
        let p = server.primary(ns);
        await p.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, data BLOB)");
        for (let i = 0; i < 15; i++) await p.execute("INSERT INTO t(data) VALUES (randomblob(100000))");
        const before = (await server.stats(ns)).replication;
        await server.stop();
        await server.start();
        p = server.primary(ns);
        const after = (await server.stats(ns)).replication;
        assert.equal(after.log_id, before.log_id);
        assert.equal(after.snapshot_count, before.snapshot_count);
        assert.equal(after.current_frame_no, before.current_frame_no);

        // With --snapshot-at-shutdown the log is compacted as the server stops: it comes back empty.
        server.extraArgs.push("--snapshot-at-shutdown");
        await server.stop();
        await server.start();
        await server.stats(ns); // opens the namespace: the flag compacts the namespaces open at shutdown
        await server.stop();
        server.extraArgs.pop();
        await server.start();
        p = server.primary(ns);
        const compacted = (await server.stats(ns)).replication;
        assert.equal(compacted.log_size_bytes, 4096, JSON.stringify(compacted));
        assert.equal(compacted.current_frame_no, before.current_frame_no);
        assert.ok(compacted.snapshot_count >= 1);
        const r = replica(server, ns);
        await r.sync();
        await assertSame(p, r, ["SELECT id, hex(data) FROM t ORDER BY id"]);
    });
});

describe("--disable-replication-log", () => {
    const server = new Server("nolog", { args: ["--disable-replication-log"] });
    before(() => server.start());
    after(() => server.stop());

    test("no log is kept and replicas get a clear refusal; Hrana is unaffected", async () => {
        const ns = freshName("nolog");
        await server.createNamespace(ns);
        const p = server.primary(ns);
        await p.batch(["CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO t(name) VALUES ('x')"], "write");
        assert.equal((await rowsOf(p)).length, 1);
        assert.ok(!existsSync(path.join(server.dir, "data", "dbs", ns, "qsqld-wallog")));
        const r = replica(server, ns);
        await assert.rejects(r.sync());
    });
});

describe("replicas with JWT authentication", () => {
    const server = new Server("auth", { auth: true });
    let ns;
    before(async () => {
        await server.start();
        ns = freshName("auth");
        await server.createNamespace(ns);
        await server.primary(ns).batch(["CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)",
            "INSERT INTO t(name) VALUES ('x')"], "write");
    });
    after(() => server.stop());

    test("a read-write token syncs and writes", async () => {
        const r = replica(server, ns);
        await r.sync();
        await r.execute("INSERT INTO t(name) VALUES ('rw')");
        await assertSame(server.primary(ns), r);
    });

    test("a read-only token syncs but cannot write", async () => {
        const r = replica(server, ns, { authToken: server.token(ns, "ro") });
        await r.sync();
        assert.ok((await rowsOf(r)).length >= 1);
        await assert.rejects(r.execute("INSERT INTO t(name) VALUES ('ro')"));
        const names = (await rowsOf(server.primary(ns))).map((x) => x.name);
        assert.ok(!names.includes("ro"));
    });

    test("a token for another namespace gets nothing", async () => {
        const other = freshName("other");
        await server.createNamespace(other);
        const r = replica(server, ns, { authToken: server.token(other) });
        await assert.rejects(r.sync());
        await assert.rejects(r.execute("SELECT * FROM t"));
    });
});
