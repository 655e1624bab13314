// JWT authentication (spec §2.3, §3) and the admin key (§12.1) with real clients, against qsqld started with
// `harness.mjs --auth`, which sets QSQLD_JWT_PRIVATE_KEY_PEM (PKCS#8 PEM of the key whose public half the server
// trusts), QSQLD_ADMIN_KEY and QSQLD_BINARY besides QSQLD_URL and QSQLD_ADMIN_URL.
// Spec references (§) are to shared/spec/sqld-http-api.md.
//
// How the clients report HTTP failures (checked below, so a client upgrade that changes it is noticed):
// - @libsql/client 0.18 (via @libsql/hrana-client 0.10) reads an error body only when it is JSON with a "message"
//   key. sqld's auth/namespace errors are `{"error": ...}`, so the client gives a LibsqlError with code
//   SERVER_ERROR, message "SERVER_ERROR: Server returned HTTP status <n>", and an HttpServerError (`.status` = n)
//   as `cause`. The server's exact body is therefore checked with a raw fetch next to each client check.
// - @tursodatabase/serverless gives DatabaseError "HTTP error! status: <n>" for {"error"} bodies.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient, LibsqlError } from "@libsql/client";
import { connect, DatabaseError } from "@tursodatabase/serverless";

import { URL_, ADMIN, tbl, suffix, createNamespace } from "./common.mjs";

const PRIVATE_PEM = process.env.QSQLD_JWT_PRIVATE_KEY_PEM;
const ADMIN_KEY = process.env.QSQLD_ADMIN_KEY;
const BINARY = process.env.QSQLD_BINARY;
if (!PRIVATE_PEM || !ADMIN_KEY || !BINARY) {
    throw new Error("QSQLD_JWT_PRIVATE_KEY_PEM, QSQLD_ADMIN_KEY and QSQLD_BINARY must be set (run with harness.mjs --auth)");
}
const privateKey = createPrivateKey(PRIVATE_PEM);
const otherKey = generateKeyPairSync("ed25519").privateKey;

// ---------------------------------------------------------------------------------------------------------------
// A tiny EdDSA JWT signer
// ---------------------------------------------------------------------------------------------------------------

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** Signs `claims` as a compact JWS with Ed25519 (alg EdDSA). */
function signJwt(claims, { key = privateKey, header = { alg: "EdDSA", typ: "JWT" } } = {}) {
    const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${data}.${b64url(sign(null, Buffer.from(data), key))}`;
}

/** Decodes a JWT's header and payload (no verification). */
function decodeJwt(token) {
    const parts = token.split(".");
    assert.equal(parts.length, 3, `a JWT has three parts: ${token}`);
    return {
        header: JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")),
        payload: JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

const nsA = `compat-auth-a-${suffix}`;
const nsB = `compat-auth-b-${suffix}`;

/** A fetch for @libsql/client that routes to `namespace` with `x-namespace` (§2.2). */
function nsFetch(namespace) {
    return async (input, init) => {
        const req = new Request(input, init);
        req.headers.set("x-namespace", namespace);
        return fetch(req);
    };
}

const clients = [];
/** An @libsql/client on namespace `ns` with `authToken` (undefined: no Authorization header at all). */
function open(ns, authToken) {
    const c = createClient({ url: URL_, authToken, fetch: nsFetch(ns) });
    clients.push(c);
    return c;
}

/** Asserts that an @libsql/client call failed because the server answered HTTP `status` (see the header comment). */
async function expectHttpStatus(promise, status) {
    await assert.rejects(promise, (err) => {
        assert.ok(err instanceof LibsqlError, `expected LibsqlError, got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.code, "SERVER_ERROR", `error code (message: ${err.message})`);
        assert.equal(err.message, `SERVER_ERROR: Server returned HTTP status ${status}`);
        // The HTTP status travels in the cause chain (HttpServerError, possibly wrapped in a ClosedError).
        let cause = err.cause;
        while (cause && cause.name !== "HttpServerError") cause = cause.cause;
        assert.ok(cause, `an HttpServerError in the cause chain of ${err.message}`);
        assert.equal(cause.status, status);
        return true;
    });
}

/** POSTs a Hrana 2 pipeline straight to the server; returns {status, contentType, body (parsed JSON or text)}. */
async function rawPipeline(ns, headers, requests, baton = null) {
    const r = await fetch(`${URL_}/v2/pipeline`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-namespace": ns, ...headers },
        body: JSON.stringify({ baton, requests }),
    });
    const text = await r.text();
    let body = text;
    try { body = JSON.parse(text); } catch { /* keep the text */ }
    return { status: r.status, contentType: r.headers.get("content-type"), body };
}
const selectOne = [{ type: "execute", stmt: { sql: "SELECT 1" } }, { type: "close" }];

/** Asserts the exact 401 answer of §3.5 for `headers`. */
async function expect401(headers, reason, ns = nsA) {
    const r = await rawPipeline(ns, headers, selectOne);
    assert.equal(r.status, 401, `HTTP status, body ${JSON.stringify(r.body)}`);
    assert.equal(r.contentType, "application/json");
    assert.deepEqual(r.body, { error: `Unauthorized: \`${reason}\`` });
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });
const rwA = () => signJwt({ id: nsA, a: "rw", exp: now() + 3600 });
const roA = () => signJwt({ id: nsA, a: "ro", exp: now() + 3600 });

before(async () => {
    await createNamespace(nsA);
    await createNamespace(nsB);
});
after(() => {
    for (const c of clients) c.close();
});

// ---------------------------------------------------------------------------------------------------------------
// Tokens signed here
// ---------------------------------------------------------------------------------------------------------------

describe("tokens signed with node:crypto, used by @libsql/client", () => {
    test("an rw token for A creates, inserts and selects in A", async () => {
        const c = open(nsA, rwA());
        const t = tbl("rw");
        await c.execute(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v TEXT)`);
        const ins = await c.execute({ sql: `INSERT INTO ${t} (v) VALUES (?)`, args: ["a"] });
        assert.equal(ins.rowsAffected, 1);
        const rs = await c.execute(`SELECT id, v FROM ${t}`);
        assert.deepEqual(rs.columns, ["id", "v"]);
        assert.equal(rs.rows.length, 1);
        assert.equal(rs.rows[0].v, "a");
    });

    test("the same token on namespace B is a 404 (§2.3 step 4)", async () => {
        const token = rwA();
        await expectHttpStatus(open(nsB, token).execute("SELECT 1"), 404);
        const r = await rawPipeline(nsB, bearer(token), selectOne);
        assert.equal(r.status, 404);
        assert.equal(r.contentType, "application/json");
        assert.deepEqual(r.body, { error: `Namespace \`${nsB}\` doesn't exist` });
    });

    test("an ro token reads, but a write is a 403 for the whole request", async () => {
        const t = tbl("ro");
        const w = open(nsA, rwA());
        await w.execute(`CREATE TABLE ${t} (v TEXT)`);
        await w.execute(`INSERT INTO ${t} VALUES ('x')`);

        const token = roA();
        const c = open(nsA, token);
        const rs = await c.execute(`SELECT v FROM ${t}`);
        assert.deepEqual(rs.rows.map((r) => r.v), ["x"]);
        // The client does not surface the {"error"} body, only the status ...
        await expectHttpStatus(c.execute(`INSERT INTO ${t} VALUES ('y')`), 403);
        await expectHttpStatus(c.execute(`CREATE TABLE ${t}_2 (v TEXT)`), 403);
        // ... so the body is checked at the HTTP level (§2.3 step 5).
        const r = await rawPipeline(nsA, bearer(token), [
            { type: "execute", stmt: { sql: `INSERT INTO ${t} VALUES ('y')` } },
            { type: "close" },
        ]);
        assert.equal(r.status, 403);
        assert.equal(r.contentType, "application/json");
        assert.ok(
            typeof r.body?.error === "string" && r.body.error.startsWith("Authorization forbidden"),
            `403 body ${JSON.stringify(r.body)} should start with "Authorization forbidden"`,
        );
        assert.deepEqual(r.body, {
            error: `Authorization forbidden: Current session doesn't not have Write permission to namespace ${nsA}`,
        });
        // Nothing was written, and reads still work with the same client.
        assert.deepEqual((await c.execute(`SELECT v FROM ${t}`)).rows.map((r) => r.v), ["x"]);
        const noTable = await open(nsA, rwA()).execute(
            `SELECT count(*) AS n FROM sqlite_master WHERE name = '${t}_2'`,
        );
        assert.equal(noTable.rows[0].n, 0);
    });

    test("a token without `id` works on every namespace", async () => {
        const token = signJwt({ exp: now() + 3600 });
        for (const ns of [nsA, nsB]) {
            const c = open(ns, token);
            const t = tbl("anyns");
            await c.execute(`CREATE TABLE ${t} (v TEXT)`);
            await c.execute({ sql: `INSERT INTO ${t} VALUES (?)`, args: [ns] });
            assert.equal((await c.execute(`SELECT v FROM ${t}`)).rows[0].v, ns);
        }
        // No claims at all is read-write everywhere too (§3.4).
        const bare = signJwt({});
        assert.equal((await open(nsB, bare).execute("SELECT 7 AS n")).rows[0].n, 7);
    });

    test("an expired token (exp 120 s ago) is a 401 `The JWT has expired`", async () => {
        const token = signJwt({ id: nsA, a: "rw", exp: now() - 120 });
        await expectHttpStatus(open(nsA, token).execute("SELECT 1"), 401);
        await expect401(bearer(token), "The JWT has expired");
    });

    test("a token inside the 60 s leeway (exp 30 s ago) still works", async () => {
        const token = signJwt({ id: nsA, a: "rw", exp: now() - 30 });
        assert.equal((await open(nsA, token).execute("SELECT 1 AS one")).rows[0].one, 1);
    });

    test("a token signed by another key is a 401 `The JWT is invalid`", async () => {
        const token = signJwt({ id: nsA, a: "rw", exp: now() + 3600 }, { key: otherKey });
        await expectHttpStatus(open(nsA, token).execute("SELECT 1"), 401);
        await expect401(bearer(token), "The JWT is invalid");
    });

    test("a tampered token (payload changed after signing) is a 401 `The JWT is invalid`", async () => {
        const [h, , s] = signJwt({ id: nsA, a: "ro", exp: now() + 3600 }).split(".");
        const forged = `${h}.${b64url(JSON.stringify({ id: nsA, a: "rw", exp: now() + 3600 }))}.${s}`;
        await expectHttpStatus(open(nsA, forged).execute("SELECT 1"), 401);
        await expect401(bearer(forged), "The JWT is invalid");
        // A flipped signature byte as well.
        const good = rwA();
        const sig = Buffer.from(good.split(".")[2], "base64url");
        sig[0] ^= 0x01;
        const badSig = `${good.split(".").slice(0, 2).join(".")}.${b64url(sig)}`;
        await expectHttpStatus(open(nsA, badSig).execute("SELECT 1"), 401);
        await expect401(bearer(badSig), "The JWT is invalid");
    });

    test("no token at all is a 401 `Expected authorization header but none given`", async () => {
        await expectHttpStatus(open(nsA, undefined).execute("SELECT 1"), 401);
        await expect401({}, "Expected authorization header but none given");
    });

    test("an `alg: none` token is a 401 `The JWT is invalid`", async () => {
        const header = b64url(JSON.stringify({ alg: "none", typ: "JWT" }));
        const payload = b64url(JSON.stringify({ id: nsA, a: "rw", exp: now() + 3600 }));
        const token = `${header}.${payload}.`;
        await expectHttpStatus(open(nsA, token).execute("SELECT 1"), 401);
        await expect401(bearer(token), "The JWT is invalid");
        // An EdDSA signature under a header that claims another alg is not accepted either (§3.3).
        const hs = signJwt({ id: nsA, a: "rw" }, { header: { alg: "HS256", typ: "JWT" } });
        await expect401(bearer(hs), "The JWT is invalid");
    });
});

// ---------------------------------------------------------------------------------------------------------------
// Header parsing at the HTTP level (§3.1, §3.5)
// ---------------------------------------------------------------------------------------------------------------

describe("Authorization header forms (raw HTTP)", () => {
    test("`x-authorization` instead of `authorization` is accepted", async () => {
        const r = await rawPipeline(nsA, { "x-authorization": `Bearer ${rwA()}` }, selectOne);
        assert.equal(r.status, 200, `body ${JSON.stringify(r.body)}`);
        assert.equal(r.body.results[0].type, "ok");
        assert.deepEqual(r.body.results[0].response.result.rows, [[{ type: "integer", value: "1" }]]);
        // and it carries the same rights: an ro token in x-authorization cannot write.
        const w = await rawPipeline(nsA, { "x-authorization": `Bearer ${roA()}` }, [
            { type: "execute", stmt: { sql: `CREATE TABLE ${tbl("xauth")} (v)` } },
            { type: "close" },
        ]);
        assert.equal(w.status, 403, `body ${JSON.stringify(w.body)}`);
    });

    test("the scheme is matched case-insensitively", async () => {
        const r = await rawPipeline(nsA, { authorization: `bearer ${rwA()}` }, selectOne);
        assert.equal(r.status, 200, `body ${JSON.stringify(r.body)}`);
    });

    test("a non-Bearer scheme and a header without a token are 401 with their reasons", async () => {
        await expect401(
            { authorization: `Basic ${rwA()}` },
            "The authentication scheme in the `Authorization` HTTP header is not supported",
        );
        await expect401({ authorization: "Bearer" }, "Auth string does not conform to '<scheme> <token>' form");
    });

    test("a token with an `aud` claim is rejected (`Authentication failed`)", async () => {
        await expect401(bearer(signJwt({ id: nsA, aud: "qsqld" })), "Authentication failed");
    });

    test("a request for a missing namespace is a 404 before any auth check (§2.3 step 2)", async () => {
        const r = await rawPipeline(`compat-auth-ghost-${suffix}`, {}, selectOne);
        assert.equal(r.status, 404);
        assert.deepEqual(r.body, { error: `Namespace \`compat-auth-ghost-${suffix}\` doesn't exist` });
    });

    test("auth is re-checked on every request of a stream; a 401 leaves the stream alive (§8.2, §8.3)", async () => {
        const t = tbl("stream");
        const first = await rawPipeline(nsA, bearer(rwA()), [
            { type: "execute", stmt: { sql: "BEGIN" } },
            { type: "execute", stmt: { sql: `CREATE TABLE ${t} (v)` } },
        ]);
        assert.equal(first.status, 200, `body ${JSON.stringify(first.body)}`);
        const baton = first.body.baton;
        assert.equal(typeof baton, "string");
        // Same baton, no token: refused before the stream is touched.
        const noAuth = await rawPipeline(nsA, {}, [{ type: "execute", stmt: { sql: `INSERT INTO ${t} VALUES (1)` } }], baton);
        assert.equal(noAuth.status, 401);
        assert.deepEqual(noAuth.body, { error: "Unauthorized: `Expected authorization header but none given`" });
        // Same baton, valid token: the transaction is still open.
        const next = await rawPipeline(nsA, bearer(rwA()), [
            { type: "execute", stmt: { sql: `INSERT INTO ${t} VALUES (1)` } },
            { type: "execute", stmt: { sql: "COMMIT" } },
            { type: "close" },
        ], baton);
        assert.equal(next.status, 200, `body ${JSON.stringify(next.body)}`);
        // COMMIT succeeding shows that the BEGIN of the first request was still in force.
        assert.deepEqual(next.body.results.map((r) => r.type), ["ok", "ok", "ok"], JSON.stringify(next.body));
        assert.equal((await open(nsA, rwA()).execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 1);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// Streams: interactive transactions and batches
// ---------------------------------------------------------------------------------------------------------------

describe("transactions and batches with an rw token", () => {
    test("interactive transaction: commit and rollback", async () => {
        const c = open(nsA, rwA());
        const t = tbl("tx");
        await c.execute(`CREATE TABLE ${t} (x INTEGER)`);

        const tx = await c.transaction("write");
        await tx.execute(`INSERT INTO ${t} VALUES (1)`);
        await tx.execute({ sql: `INSERT INTO ${t} VALUES (?)`, args: [2] });
        assert.equal((await tx.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 2);
        await tx.commit();
        assert.equal((await c.execute(`SELECT sum(x) AS s FROM ${t}`)).rows[0].s, 3);

        const tx2 = await c.transaction("write");
        await tx2.execute(`INSERT INTO ${t} VALUES (100)`);
        await tx2.rollback();
        assert.equal((await c.execute(`SELECT sum(x) AS s FROM ${t}`)).rows[0].s, 3);
    });

    test("batch in write mode", async () => {
        const c = open(nsA, rwA());
        const t = tbl("batch");
        const res = await c.batch([
            `CREATE TABLE ${t} (x INTEGER)`,
            { sql: `INSERT INTO ${t} VALUES (?)`, args: [5] },
            `SELECT x FROM ${t}`,
        ], "write");
        assert.equal(res.length, 3);
        assert.equal(res[1].rowsAffected, 1);
        assert.equal(res[2].rows[0].x, 5);
    });

    test("an ro token: a read transaction works, a write batch is a 403 and changes nothing", async () => {
        const t = tbl("robatch");
        await open(nsA, rwA()).execute(`CREATE TABLE ${t} (x INTEGER)`);
        const c = open(nsA, roA());
        const tx = await c.transaction("read");
        assert.equal((await tx.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 0);
        await tx.commit();
        await expectHttpStatus(c.batch([`SELECT 1`, `INSERT INTO ${t} VALUES (1)`], "write"), 403);
        assert.equal((await c.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 0);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// Tokens minted by `qsqld token mint`
// ---------------------------------------------------------------------------------------------------------------

describe("tokens minted by `qsqld token mint`", () => {
    let dir;
    let keyFile;
    before(() => {
        dir = mkdtempSync(path.join(os.tmpdir(), "qsqld-compat-auth-"));
        keyFile = path.join(dir, "jwt_private.pem");
        writeFileSync(keyFile, PRIVATE_PEM, { mode: 0o600 });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const mint = (...args) =>
        execFileSync(BINARY, ["token", "mint", "--key", keyFile, ...args], {
            encoding: "utf8",
            timeout: 20_000,
            stdio: ["ignore", "pipe", "pipe"],
        }).trim();

    test("--access ro: reads work, writes get 403", async () => {
        const before_ = now();
        const token = mint("--ns", nsA, "--access", "ro", "--expires", "1h");
        const { header, payload } = decodeJwt(token);
        assert.equal(header.alg, "EdDSA");
        assert.equal(payload.id, nsA);
        assert.equal(payload.a, "ro");
        assert.equal(typeof payload.exp, "number");
        assert.ok(payload.exp >= before_ + 3600 - 5 && payload.exp <= now() + 3600 + 5, `exp ${payload.exp} is about now + 1h`);

        const t = tbl("mint_ro");
        await open(nsA, rwA()).execute(`CREATE TABLE ${t} (v TEXT)`);
        const c = open(nsA, token);
        assert.equal((await c.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 0);
        await expectHttpStatus(c.execute(`INSERT INTO ${t} VALUES ('no')`), 403);
        // Scoped to A: B is a 404.
        await expectHttpStatus(open(nsB, token).execute("SELECT 1"), 404);
    });

    test("--access rw: writes work", async () => {
        const token = mint("--ns", nsA, "--access", "rw", "--expires", "1h");
        const { payload } = decodeJwt(token);
        assert.equal(payload.id, nsA);
        assert.equal(payload.a ?? "rw", "rw");
        const c = open(nsA, token);
        const t = tbl("mint_rw");
        await c.execute(`CREATE TABLE ${t} (v TEXT)`);
        assert.equal((await c.execute(`INSERT INTO ${t} VALUES ('yes')`)).rowsAffected, 1);
        assert.equal((await c.execute(`SELECT v FROM ${t}`)).rows[0].v, "yes");
    });
});

// ---------------------------------------------------------------------------------------------------------------
// Admin API key (§12.1)
// ---------------------------------------------------------------------------------------------------------------

describe("admin API key", () => {
    const createNs = (ns, headers) =>
        fetch(`${ADMIN}/v1/namespaces/${encodeURIComponent(ns)}/create`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body: "{}",
        });

    test("without the key (or with a wrong one) the admin API is a 401 with a JSON reason", async () => {
        const ns = `compat-auth-adm0-${suffix}`;
        for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: `Basic ${ADMIN_KEY}x` }]) {
            const r = await createNs(ns, headers);
            assert.equal(r.status, 401, `headers ${JSON.stringify(headers)}`);
            // sqld sends an empty body; qsqld explains (its admin errors are all JSON).
            assert.match((await r.json()).error, /^Unauthorized: the admin API needs/);
        }
        const cfg = await fetch(`${ADMIN}/v1/namespaces/${nsA}/config`);
        assert.equal(cfg.status, 401);
        await cfg.arrayBuffer();
        // The namespace was not created: a token valid for every namespace gets 404 there.
        const q = await rawPipeline(ns, bearer(signJwt({})), selectOne);
        assert.equal(q.status, 404);
    });

    test("`Bearer <key>` and `Basic <key>` both work", async () => {
        for (const [i, scheme] of ["Bearer", "Basic", "basic"].entries()) {
            const ns = `compat-auth-adm${i + 1}-${suffix}`;
            const r = await createNs(ns, { authorization: `${scheme} ${ADMIN_KEY}` });
            assert.equal(r.status, 200, `${scheme}: ${await r.text()}`);
            const cfg = await fetch(`${ADMIN}/v1/namespaces/${encodeURIComponent(ns)}/config`, {
                headers: { authorization: `${scheme} ${ADMIN_KEY}` },
            });
            assert.equal(cfg.status, 200);
            assert.equal(typeof (await cfg.json()), "object");
            // and the new namespace is usable with a token for it.
            const c = open(ns, signJwt({ id: ns, a: "rw" }));
            assert.equal((await c.execute("SELECT 2 AS n")).rows[0].n, 2);
        }
    });
});

// ---------------------------------------------------------------------------------------------------------------
// @tursodatabase/serverless
// ---------------------------------------------------------------------------------------------------------------

describe("@tursodatabase/serverless with authToken", () => {
    const conns = [];
    after(async () => {
        for (const c of conns) await c.close();
    });
    const sl = (ns, authToken) => {
        const c = connect({ url: URL_, authToken, requestHeaders: { "x-namespace": ns } });
        conns.push(c);
        return c;
    };

    test("an rw token for A: queries work", async () => {
        const db = sl(nsA, rwA());
        const t = tbl("sl");
        await db.exec(`CREATE TABLE ${t} (v TEXT)`);
        await db.run(`INSERT INTO ${t} VALUES (?)`, ["s"]);
        assert.deepEqual(await db.all(`SELECT v FROM ${t}`), [{ v: "s" }]);
    });

    test("a token for another namespace fails with HTTP 404", async () => {
        const db = sl(nsB, rwA());
        await assert.rejects(db.all("SELECT 1"), (e) => {
            assert.ok(e instanceof DatabaseError, `expected DatabaseError, got ${e?.constructor?.name}: ${e?.message}`);
            assert.equal(e.message, "HTTP error! status: 404");
            return true;
        });
    });

    test("an expired token fails with HTTP 401", async () => {
        const db = sl(nsA, signJwt({ id: nsA, exp: now() - 120 }));
        await assert.rejects(db.all("SELECT 1"), (e) => {
            assert.ok(e instanceof DatabaseError, `expected DatabaseError, got ${e?.constructor?.name}: ${e?.message}`);
            assert.equal(e.message, "HTTP error! status: 401");
            return true;
        });
    });
});
