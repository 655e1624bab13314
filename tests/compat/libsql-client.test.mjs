// @libsql/client over HTTP (Hrana 2 JSON on /v2/pipeline) against qsqld.
// Run through harness.mjs, which sets QSQLD_URL and QSQLD_ADMIN_URL.
// The cases live in libsql-client-cases.mjs and are shared with the WebSocket suite (libsql-client-ws.test.mjs); this
// file supplies the HTTP transport: tenants through `x-namespace` added by a custom `fetch` (§2.2), and the wire
// log from that same fetch. Spec references (§) are to shared/spec/sqld-http-api.md.

import assert from "node:assert/strict";
import { createClient } from "@libsql/client";

import { URL_ } from "./common.mjs";
import { defineLibsqlClientCases, collectSql, expectLibsqlError } from "./libsql-client-cases.mjs";

/**
 * A fetch for the client's `fetch` option: optionally adds `x-namespace` (§2.2) and records each exchange
 * ({url, status, request, response}) in `log` so tests can check what went over the wire.
 */
function makeFetch({ namespace, log } = {}) {
    return async (input, init) => {
        const req = new Request(input, init);
        if (namespace !== undefined) req.headers.set("x-namespace", namespace);
        const reqText = log && req.method === "POST" ? await req.clone().text() : null;
        const resp = await fetch(req);
        if (log) {
            const respText = await resp.clone().text();
            let request = null;
            let response = null;
            try { request = reqText ? JSON.parse(reqText) : null; } catch { request = reqText; }
            try { response = JSON.parse(respText); } catch { response = respText; }
            log.push({ url: req.url, status: resp.status, request, response });
        }
        return resp;
    };
}

defineLibsqlClientCases({
    protocol: "http",
    makeClient(config = {}, { namespace, log } = {}) {
        const fetchOpt = namespace !== undefined || log !== undefined ? { fetch: makeFetch({ namespace, log }) } : {};
        return createClient({ url: URL_, ...fetchOpt, ...config });
    },
    sentSql: (log) => collectSql(log.map((e) => e.request)),
    batchExchange(log) {
        const entry = log.find((e) => e.request?.requests?.some((r) => r.type === "batch"));
        assert.ok(entry, "a batch was sent");
        const idx = entry.request.requests.findIndex((r) => r.type === "batch");
        const result = entry.response.results[idx];
        assert.equal(result.type, "ok", JSON.stringify(result));
        return { steps: entry.request.requests[idx].batch.steps, result: result.response.result };
    },
    checkWire(log) {
        assert.ok(log.length > 0, "something went over the wire");
        assert.ok(log.every((e) => new URL(e.url).pathname === "/v2/pipeline"), "client uses /v2/pipeline (§16.1)");
    },
    namespaceRouting: "x-namespace via a custom fetch",
    async expectUnknownNamespace(client, ghost) {
        await expectLibsqlError(client.execute("SELECT 1"), {
            code: "SERVER_ERROR",
            message: "SERVER_ERROR: Server returned HTTP status 404",
        });
        // What the client saw, at the HTTP level (§2.2, §6.3).
        const r = await fetch(`${URL_}/v2/pipeline`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-namespace": ghost },
            body: JSON.stringify({ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] }),
        });
        assert.equal(r.status, 404);
        assert.equal(r.headers.get("content-type"), "application/json");
        assert.deepEqual(await r.json(), { error: `Namespace \`${ghost}\` doesn't exist` });
    },
});
