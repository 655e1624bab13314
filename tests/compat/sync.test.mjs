// @tursodatabase/sync 0.7.2 (the Turso Sync SDK, native build) against qsqld: bootstrap and pulls through
// POST /pull-updates, pushes through /v2/pipeline (spec shared/spec/turso-sync.md). Run through harness.mjs
// (QSQLD_BINARY); this suite starts its own servers, since it restarts and kills them.
//
// A tenant is addressed three ways, all tested: a path prefix (url http://host:port/dev/<ns>), the Host name
// (http://<ns>.localhost:port) and an x-namespace header added by the app's fetch wrapper.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { connect } from "@tursodatabase/sync";

import { Server, TMP, freshName, sleep } from "./qsqld-server.mjs";

const opened = [];
after(async () => {
    for (const db of opened) await db.close().catch(() => {});
});

let phoneCounter = 0;
/** A phone's database: a fresh local file synced with tenant `ns`. */
async function phone(server, ns, options = {}) {
    const db = await connect({
        path: path.join(TMP, `phone-${++phoneCounter}.db`),
        url: options.url ?? `http://127.0.0.1:${server.port}/dev/${ns}`,
        clientName: `phone${phoneCounter}`,
        authToken: options.authToken ?? (server.auth ? server.token(ns) : undefined),
        ...options.extra,
    });
    opened.push(db);
    return db;
}

const all = async (db, sql) => (await db.prepare(sql)).all();
const rowsOf = async (db) => (await all(db, "SELECT id, name, qty FROM items ORDER BY id")).map((r) => ({ ...r }));
const serverRows = async (primary) =>
    (await primary.execute("SELECT id, name, qty FROM items ORDER BY id")).rows.map((r) => ({
        id: Number(r.id), name: r.name, qty: r.qty === null ? null : Number(r.qty),
    }));
const normalize = (rows) => rows.map((r) => ({ id: Number(r.id), name: r.name, qty: r.qty === null ? null : Number(r.qty) }));

async function tenant(server, base) {
    const ns = freshName(base);
    await server.createNamespace(ns);
    const primary = server.primary(ns);
    await primary.batch(["CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INTEGER)",
        "INSERT INTO items(name, qty) VALUES ('a', 1), ('b', 2), ('c', 3)"], "write");
    return { ns, primary };
}

describe("Turso Sync (@tursodatabase/sync 0.7.2)", () => {
    const server = new Server("sync");
    before(() => server.start());
    after(() => server.stop());

    test("bootstrap, pull, push, pull after push", async () => {
        const { ns, primary } = await tenant(server, "basic");
        const db = await phone(server, ns);
        assert.deepEqual(normalize(await rowsOf(db)), await serverRows(primary), "bootstrap");
        assert.equal(await db.pull(), false, "nothing new yet");

        await primary.execute("INSERT INTO items(name, qty) VALUES ('server', 10)");
        assert.equal(await db.pull(), true);
        assert.deepEqual(normalize(await rowsOf(db)), await serverRows(primary), "after pull");

        await db.exec("INSERT INTO items(name, qty) VALUES ('phone', 20)");
        await db.exec("UPDATE items SET qty = 99 WHERE name = 'a'");
        await db.exec("DELETE FROM items WHERE name = 'c'");
        await db.push();
        const names = (await serverRows(primary)).map((r) => `${r.name}:${r.qty}`);
        assert.deepEqual(names, ["a:99", "b:2", "server:10", "phone:20"]);
        await db.pull();
        assert.deepEqual(normalize(await rowsOf(db)), await serverRows(primary), "after push and pull");
    });

    test("two phones converge", async () => {
        const { ns, primary } = await tenant(server, "two");
        const a = await phone(server, ns);
        const b = await phone(server, ns);
        await a.exec("INSERT INTO items(name, qty) VALUES ('from-a', 1)");
        await a.push();
        assert.equal(await b.pull(), true);
        await b.exec("UPDATE items SET qty = 2 WHERE name = 'from-a'");
        await b.exec("INSERT INTO items(name, qty) VALUES ('from-b', 3)");
        await b.push();
        await a.pull();
        const server_ = await serverRows(primary);
        assert.deepEqual(normalize(await rowsOf(a)), server_);
        assert.deepEqual(normalize(await rowsOf(b)), server_);
        assert.ok(server_.some((r) => r.name === "from-a" && r.qty === 2));
    });

    test("a conflicting push: the last pusher wins the row", async () => {
        const { ns, primary } = await tenant(server, "conflict");
        const db = await phone(server, ns);
        await primary.execute("UPDATE items SET qty = 500 WHERE name = 'b'");
        await db.exec("UPDATE items SET qty = 7 WHERE name = 'b'");
        await db.pull(); // the phone's pending edit stays on top of the server's
        assert.equal((await all(db, "SELECT qty FROM items WHERE name = 'b'"))[0].qty, 7);
        await db.push();
        assert.equal((await serverRows(primary)).find((r) => r.name === "b").qty, 7);
        await db.pull();
        assert.deepEqual(normalize(await rowsOf(db)), await serverRows(primary));
    });

    test("a push that fails leaves both sides unchanged (qsqld rolls it back whole)", async () => {
        const { ns, primary } = await tenant(server, "failpush");
        const db = await phone(server, ns);
        // The phone has not seen this row; its own 'taken' below gets another id, so only UNIQUE(name) clashes
        // (rows are matched by primary key: the same id would simply be overwritten, Turso Sync's rule).
        await primary.execute("INSERT INTO items(id, name, qty) VALUES (100, 'taken', 1)");
        await db.exec("INSERT INTO items(name, qty) VALUES ('fine', 5)");
        await db.exec("INSERT INTO items(name, qty) VALUES ('taken', 2)"); // UNIQUE clash on the server
        const before = await serverRows(primary);
        await assert.rejects(db.push(), /rolled back|UNIQUE/);
        assert.deepEqual(await serverRows(primary), before, "nothing of the push applied on the server");
        const local = (await rowsOf(db)).map((r) => r.name);
        assert.ok(local.includes("fine") && local.includes("taken"), "the phone keeps its changes: " + local);
        // The phone's changes are replayed in order, so the clash stays until the server's row moves out of the
        // way; then the very same push goes through whole, and pulls work again.
        await primary.execute("UPDATE items SET name = 'taken-old' WHERE id = 100");
        await db.push();
        const names = (await serverRows(primary)).map((r) => r.name);
        assert.ok(names.includes("fine") && names.includes("taken") && names.includes("taken-old"), names.join(","));
        await db.pull();
        assert.deepEqual(normalize(await rowsOf(db)), await serverRows(primary));
    });

    test("long poll: a pull waits and is woken by a server write", async () => {
        const { ns, primary } = await tenant(server, "poll");
        const db = await phone(server, ns, { extra: { longPollTimeoutMs: 20_000 } });
        const started = Date.now();
        const pulled = db.pull();
        await sleep(400);
        await primary.execute("INSERT INTO items(name, qty) VALUES ('wake', 1)");
        assert.equal(await pulled, true);
        const waited = Date.now() - started;
        assert.ok(waited >= 300 && waited < 10_000, `woke after ${waited} ms`);
        assert.ok((await rowsOf(db)).some((r) => r.name === "wake"));
    });

    test("a tenant by Host name, and by an x-namespace header from the app's fetch", async () => {
        const { ns, primary } = await tenant(server, "host");
        const byHost = await phone(server, ns, { url: server.url(ns) });
        const byHeader = await phone(server, ns, {
            url: `http://127.0.0.1:${server.port}`,
            extra: { fetch: (input, init = {}) => fetch(input, { ...init, headers: { ...init.headers, "x-namespace": ns } }) },
        });
        for (const db of [byHost, byHeader]) assert.deepEqual(normalize(await rowsOf(db)), await serverRows(primary));
        await byHeader.exec("INSERT INTO items(name, qty) VALUES ('hdr', 1)");
        await byHeader.push();
        assert.equal(await byHost.pull(), true);
        assert.ok((await rowsOf(byHost)).some((r) => r.name === "hdr"));
    });

    test("a chunked bootstrap (pullBytesThreshold) of a larger tenant", async () => {
        const { ns, primary } = await tenant(server, "chunked");
        await primary.execute("CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB)");
        await primary.batch(Array.from({ length: 40 }, () => "INSERT INTO blobs(data) VALUES (randomblob(3000))"), "write");
        const db = await phone(server, ns, { extra: { pullBytesThreshold: 16384 } });
        const local = await all(db, "SELECT count(*) AS n, sum(length(data)) AS s FROM blobs");
        const remote = (await primary.execute("SELECT count(*) AS n, sum(length(data)) AS s FROM blobs")).rows[0];
        assert.equal(Number(local[0].n), Number(remote.n));
        assert.equal(Number(local[0].s), Number(remote.s));
    });
});

describe("Turso Sync across server restarts", () => {
    const server = new Server("sync-restart");
    before(() => server.start());
    after(() => server.stop());

    test("clean restart: the old revision still counts; kill -9: a full resend, local changes kept", async () => {
        const { ns } = await tenant(server, "restart");
        const db = await phone(server, ns);
        await server.stop();
        await server.start();
        let primary = server.primary(ns);
        await primary.execute("INSERT INTO items(name, qty) VALUES ('after-restart', 1)");
        assert.equal(await db.pull(), true);
        assert.deepEqual(normalize(await rowsOf(db)), await serverRows(primary));

        await db.exec("INSERT INTO items(name, qty) VALUES ('unpushed', 2)");
        await server.kill9();
        await server.start();
        primary = server.primary(ns);
        await primary.execute("INSERT INTO items(id, name, qty) VALUES (100, 'after-kill', 3)"); // not the phone's id
        await db.pull(); // a revision of the old log: every page comes again
        const local = (await rowsOf(db)).map((r) => r.name);
        assert.ok(local.includes("after-kill") && local.includes("unpushed"), local.join(","));
        await db.push();
        assert.deepEqual(normalize(await rowsOf(db)), await serverRows(primary));
    });
});

describe("Turso Sync with JWT authentication", () => {
    const server = new Server("sync-auth", { auth: true });
    let ns;
    before(async () => {
        await server.start();
        ns = freshName("auth");
        await server.createNamespace(ns);
        await server.primary(ns).batch(["CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INTEGER)",
            "INSERT INTO items(name, qty) VALUES ('x', 1)"], "write");
    });
    after(() => server.stop());

    test("a read-write token pulls and pushes", async () => {
        const db = await phone(server, ns);
        await db.exec("INSERT INTO items(name, qty) VALUES ('rw', 1)");
        await db.push();
        assert.ok((await serverRows(server.primary(ns))).some((r) => r.name === "rw"));
    });

    test("a read-only token pulls but cannot push", async () => {
        const db = await phone(server, ns, { authToken: server.token(ns, "ro") });
        assert.ok((await rowsOf(db)).length >= 1);
        await db.exec("INSERT INTO items(name, qty) VALUES ('ro', 1)");
        await assert.rejects(db.push());
        assert.ok(!(await serverRows(server.primary(ns))).some((r) => r.name === "ro"));
    });

    test("no token, or a token for another tenant, cannot even bootstrap", async () => {
        await assert.rejects(phone(server, ns, { authToken: "" }).then((db) => db.pull()));
        const other = freshName("other");
        await server.createNamespace(other);
        await assert.rejects(phone(server, ns, { authToken: server.token(other) }));
    });
});
