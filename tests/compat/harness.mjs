#!/usr/bin/env node
// Runs one real-client compatibility suite against a freshly started qsqld.
//
//   node harness.mjs --server /path/to/qsqld --suite libsql-client.test.mjs [--auth]
//
// 1. Checks that tests/compat/node_modules holds the pinned clients (else fails: run `npm install --no-save`).
// 2. Picks two free loopback ports, makes a fresh temp dir and starts
//    qsqld --db-path <tmp>/data --http-listen-addr 127.0.0.1:<p1> --admin-listen-addr 127.0.0.1:<p2> --enable-namespaces
// 3. Waits (bounded) for GET /health == 200 and for the admin listener to answer.
// 4. Runs `node --test <suite>` with QSQLD_URL and QSQLD_ADMIN_URL in the environment.
// 5. Sends SIGTERM and requires the server to exit with status 0 within 30 s.
// 6. Removes the temp dir and exits non-zero if anything failed.
// Every suite also gets QSQLD_BINARY (the server path), for suites that start servers of their own.
// With --auth, the harness also generates an Ed25519 key pair, starts qsqld with
// --auth-jwt-key-file <tmp>/jwt_public.pem and --admin-auth-key <random hex>, and gives the suite
// QSQLD_JWT_PRIVATE_KEY_PEM (PKCS#8 PEM) and QSQLD_ADMIN_KEY.
// The server's stdout/stderr are captured and printed whenever something fails.

import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, accessSync, writeFileSync, constants as fsConstants } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REQUIRED_PACKAGES = ["@libsql/client", "@libsql/hrana-client", "@tursodatabase/serverless", "@tursodatabase/sync"];
const HEALTH_POLL_INTERVAL_MS = 100;
const HEALTH_POLL_TRIES = 100; // ~10 s in total
const SHUTDOWN_TIMEOUT_MS = 30_000;
const SUITE_TIMEOUT_MS = 270_000; // below the ctest TIMEOUT of 300 s
const PER_TEST_TIMEOUT_MS = 60_000;
const LOG_CAP_BYTES = 4 * 1024 * 1024;

function log(msg) {
    process.stderr.write(`[compat-harness] ${msg}\n`);
}

function usage(msg) {
    if (msg) log(msg);
    log("usage: node harness.mjs --server /path/to/qsqld --suite <file.test.mjs> [--auth]");
    process.exit(2);
}

function parseArgs(argv) {
    const out = { auth: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--server" || a === "--suite") {
            if (i + 1 >= argv.length) usage(`missing value after ${a}`);
            out[a.slice(2)] = argv[++i];
        } else if (a.startsWith("--server=")) {
            out.server = a.slice("--server=".length);
        } else if (a.startsWith("--suite=")) {
            out.suite = a.slice("--suite=".length);
        } else if (a === "--auth") {
            out.auth = true;
        } else if (a === "-h" || a === "--help") {
            usage();
        } else {
            usage(`unknown argument: ${a}`);
        }
    }
    if (!out.server) usage("--server is required");
    if (!out.suite) usage("--suite is required");
    return out;
}

function checkNodeModules() {
    const missing = REQUIRED_PACKAGES.filter(
        (p) => !existsSync(path.join(HERE, "node_modules", ...p.split("/"), "package.json")),
    );
    if (missing.length > 0) {
        log(`FAIL: node_modules is missing or incomplete in ${HERE} (missing: ${missing.join(", ")}).`);
        log(`Install the pinned client libraries first:  cd ${HERE} && npm install --no-save`);
        process.exit(1);
    }
}

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

async function twoFreePorts() {
    // Two different ports; listening on both at once guarantees that they differ.
    for (let attempt = 0; attempt < 10; attempt++) {
        const a = await freePort();
        const b = await freePort();
        if (a !== b) return [a, b];
    }
    throw new Error("could not find two distinct free ports");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class CappedLog {
    constructor(cap) {
        this.cap = cap;
        this.chunks = [];
        this.size = 0;
        this.dropped = 0;
    }
    push(buf) {
        this.chunks.push(buf);
        this.size += buf.length;
        while (this.size > this.cap && this.chunks.length > 1) {
            const c = this.chunks.shift();
            this.size -= c.length;
            this.dropped += c.length;
        }
    }
    text() {
        const head = this.dropped > 0 ? `... (${this.dropped} earlier bytes dropped)\n` : "";
        return head + Buffer.concat(this.chunks).toString("utf8");
    }
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    checkNodeModules();

    const server = path.resolve(args.server);
    const suite = path.resolve(HERE, args.suite);
    try {
        accessSync(server, fsConstants.X_OK);
    } catch {
        log(`FAIL: server binary ${server} does not exist or is not executable`);
        process.exit(1);
    }
    if (!existsSync(suite)) {
        log(`FAIL: suite ${suite} does not exist`);
        process.exit(1);
    }

    const [httpPort, adminPort] = await twoFreePorts();
    const tmp = mkdtempSync(path.join(os.tmpdir(), "qsqld-compat-"));
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    const serverArgs = [
        "--db-path", path.join(tmp, "data"),
        "--http-listen-addr", `127.0.0.1:${httpPort}`,
        "--admin-listen-addr", `127.0.0.1:${adminPort}`,
        "--enable-namespaces",
    ];
    const suiteEnv = { QSQLD_URL: httpUrl, QSQLD_ADMIN_URL: adminUrl, QSQLD_BINARY: server };
    if (args.auth) {
        // JWT auth (spec §3): the server gets the public key, the suite the private key to sign tokens.
        const { publicKey, privateKey } = generateKeyPairSync("ed25519");
        const publicPemPath = path.join(tmp, "jwt_public.pem");
        writeFileSync(publicPemPath, publicKey.export({ type: "spki", format: "pem" }));
        const adminKey = randomBytes(16).toString("hex");
        serverArgs.push("--auth-jwt-key-file", publicPemPath, "--admin-auth-key", adminKey);
        suiteEnv.QSQLD_JWT_PRIVATE_KEY_PEM = privateKey.export({ type: "pkcs8", format: "pem" });
        suiteEnv.QSQLD_ADMIN_KEY = adminKey;
    }

    const serverLog = new CappedLog(LOG_CAP_BYTES);
    let serverExit = null; // {code, signal}
    let runner = null;
    let failed = false;
    let exitCode = 0;

    log(`starting ${server} ${serverArgs.join(" ")}`);
    const srv = spawn(server, serverArgs, { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
    srv.stdout.on("data", (d) => serverLog.push(d));
    srv.stderr.on("data", (d) => serverLog.push(d));
    const srvExited = new Promise((resolve) => {
        srv.on("exit", (code, signal) => {
            serverExit = { code, signal };
            resolve(serverExit);
        });
        srv.on("error", (err) => {
            serverLog.push(Buffer.from(`[harness] spawn error: ${err.message}\n`));
            serverExit = { code: null, signal: null, error: err };
            resolve(serverExit);
        });
    });

    const cleanupAndExit = (code) => {
        try {
            rmSync(tmp, { recursive: true, force: true });
        } catch (e) {
            log(`warning: could not remove ${tmp}: ${e.message}`);
        }
        process.exit(code);
    };
    const onSignal = (sig) => {
        log(`received ${sig}, stopping`);
        if (runner && runner.exitCode === null) runner.kill("SIGTERM");
        if (serverExit === null) srv.kill("SIGKILL");
        cleanupAndExit(1);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    // --- wait for readiness -------------------------------------------------------------------
    let ready = false;
    let lastProblem = "no attempt made";
    for (let i = 0; i < HEALTH_POLL_TRIES && serverExit === null; i++) {
        try {
            const r = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(1000) });
            await r.arrayBuffer();
            if (r.status === 200) {
                ready = true;
                break;
            }
            lastProblem = `GET /health answered ${r.status}`;
        } catch (e) {
            lastProblem = `GET /health failed: ${e.cause?.code ?? e.message}`;
        }
        await sleep(HEALTH_POLL_INTERVAL_MS);
    }
    if (ready) {
        // The admin listener must be up as well (any HTTP answer will do).
        ready = false;
        for (let i = 0; i < HEALTH_POLL_TRIES && serverExit === null; i++) {
            try {
                const r = await fetch(`${adminUrl}/`, { signal: AbortSignal.timeout(1000) });
                await r.arrayBuffer();
                ready = true;
                break;
            } catch (e) {
                lastProblem = `admin GET / failed: ${e.cause?.code ?? e.message}`;
            }
            await sleep(HEALTH_POLL_INTERVAL_MS);
        }
    }
    if (!ready) {
        failed = true;
        exitCode = 1;
        if (serverExit !== null) {
            log(`FAIL: server exited before becoming ready (code=${serverExit.code}, signal=${serverExit.signal})`);
        } else {
            log(`FAIL: server not ready after ${(HEALTH_POLL_TRIES * HEALTH_POLL_INTERVAL_MS) / 1000}s (${lastProblem})`);
        }
    }

    // --- run the suite ------------------------------------------------------------------------
    if (ready) {
        log(`server ready: QSQLD_URL=${httpUrl} QSQLD_ADMIN_URL=${adminUrl}; running ${suite}`);
        runner = spawn(
            process.execPath,
            ["--test", `--test-timeout=${PER_TEST_TIMEOUT_MS}`, suite],
            {
                cwd: HERE,
                stdio: "inherit",
                env: { ...process.env, ...suiteEnv },
            },
        );
        const runnerTimer = setTimeout(() => {
            log(`FAIL: suite did not finish within ${SUITE_TIMEOUT_MS / 1000}s, killing it`);
            runner.kill("SIGKILL");
        }, SUITE_TIMEOUT_MS);
        const { code, signal } = await new Promise((resolve) => {
            runner.on("exit", (code, signal) => resolve({ code, signal }));
        });
        clearTimeout(runnerTimer);
        if (code !== 0) {
            failed = true;
            exitCode = code ?? 1;
            log(`FAIL: test runner exited with code=${code} signal=${signal}`);
        }
    }

    // --- shut the server down -----------------------------------------------------------------
    if (serverExit !== null) {
        failed = true;
        if (exitCode === 0) exitCode = 1;
        if (ready) log(`FAIL: server exited on its own during the run (code=${serverExit.code}, signal=${serverExit.signal})`);
    } else {
        srv.kill("SIGTERM");
        const t0 = Date.now();
        const result = await Promise.race([srvExited, sleep(SHUTDOWN_TIMEOUT_MS).then(() => null)]);
        if (result === null) {
            failed = true;
            if (exitCode === 0) exitCode = 1;
            log(`FAIL: server did not exit within ${SHUTDOWN_TIMEOUT_MS / 1000}s of SIGTERM; killing it`);
            srv.kill("SIGKILL");
            await srvExited;
        } else if (result.code !== 0) {
            failed = true;
            if (exitCode === 0) exitCode = 1;
            log(`FAIL: server exited after SIGTERM with code=${result.code} signal=${result.signal} (expected 0)`);
        } else {
            log(`server exited cleanly ${Date.now() - t0} ms after SIGTERM`);
        }
    }

    if (failed) {
        process.stderr.write("----- qsqld stdout/stderr -----\n");
        process.stderr.write(serverLog.text());
        process.stderr.write("\n----- end of qsqld output -----\n");
    }
    cleanupAndExit(exitCode);
}

main().catch((e) => {
    log(`FAIL: harness error: ${e.stack ?? e}`);
    process.exit(1);
});
