// A qsqld process of a suite's own (started, restarted, killed by the suite), for suites that need more control
// than the harness's server gives: replicas across restarts, Turso Sync. Listens dual-stack on [::] so that
// http://<ns>.localhost:PORT (libnss-myhostname) addresses a tenant by its host name.

import assert from "node:assert/strict";
import { after } from "node:test";
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createClient } from "@libsql/client";

const BINARY = process.env.QSQLD_BINARY;
if (!BINARY) throw new Error("QSQLD_BINARY must be set (run this suite through harness.mjs)");

export const TMP = mkdtempSync(path.join(os.tmpdir(), "qsqld-suite-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const suffix = randomBytes(3).toString("hex");
let nsCounter = 0;
/** A namespace name unique to this run. */
export const freshName = (base) => `${base}-${suffix}-${++nsCounter}`;

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** Clients to close when the suite ends. */
export const clients = [];
after(() => {
    for (const c of clients) c.close();
});

/** One qsqld process on its own data directory; restartable on the same ports. */
export class Server {
    constructor(name, { auth = false, args = [] } = {}) {
        this.dir = path.join(TMP, name);
        this.auth = auth;
        this.extraArgs = args;
        this.log = [];
        if (auth) {
            const { publicKey, privateKey } = generateKeyPairSync("ed25519");
            this.privateKey = privateKey;
            this.keyFile = path.join(TMP, `${name}-jwt.pem`);
            writeFileSync(this.keyFile, publicKey.export({ type: "spki", format: "pem" }));
        }
    }
    async start() {
        this.port ??= await freePort();
        this.adminPort ??= await freePort();
        const args = ["--db-path", path.join(this.dir, "data"), "--http-listen-addr", `[::]:${this.port}`,
            "--admin-listen-addr", `127.0.0.1:${this.adminPort}`, "--enable-namespaces"];
        if (this.auth) args.push("--auth-jwt-key-file", this.keyFile);
        args.push(...this.extraArgs);
        this.proc = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
        for (const s of [this.proc.stdout, this.proc.stderr]) s.on("data", (d) => this.log.push(d.toString()));
        this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
        for (let i = 0; i < 100; i++) {
            try {
                const r = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(1000) });
                if (r.status === 200) return;
            } catch {
                // not up yet
            }
            await sleep(100);
        }
        throw new Error(`qsqld did not start:\n${this.log.join("")}`);
    }
    async stop() {
        this.proc.kill("SIGTERM");
        const { code } = await this.exited;
        assert.equal(code, 0, `qsqld exit code after SIGTERM:\n${this.log.join("")}`);
    }
    async kill9() {
        this.proc.kill("SIGKILL");
        await this.exited;
    }
    syncUrl(ns) {
        return `http://${ns}.localhost:${this.port}`;
    }
    token(ns, access = "rw") {
        const claims = { a: access, exp: Math.floor(Date.now() / 1000) + 3600 };
        if (ns) claims.id = ns;
        const data = `${b64url(JSON.stringify({ alg: "EdDSA", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
        return `${data}.${b64url(sign(null, Buffer.from(data), this.privateKey))}`;
    }
    async admin(method, p, body) {
        const r = await fetch(`http://127.0.0.1:${this.adminPort}${p}`, {
            method,
            headers: { "content-type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await r.text();
        assert.equal(r.status, 200, `${method} ${p}: ${r.status} ${text}`);
        return text;
    }
    async stats(ns) {
        return JSON.parse(await this.admin("GET", `/v1/namespaces/${ns}/stats`));
    }
    async createNamespace(ns) {
        await this.admin("POST", `/v1/namespaces/${ns}/create`, {});
    }
    /** The base URL of the user API (Hrana, /pull-updates) of namespace `ns`. */
    url(ns) {
        return this.syncUrl(ns);
    }
    /** A remote (Hrana over HTTP) client of the primary for namespace `ns`. */
    primary(ns, authToken = this.auth ? this.token(ns) : undefined) {
        const c = createClient({ url: this.syncUrl(ns), authToken });
        clients.push(c);
        return c;
    }
}

