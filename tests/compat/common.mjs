// Shared setup of the compatibility suites: the server URLs from harness.mjs, unique table names, and
// namespace creation through the admin API (spec §12.2).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

export const URL_ = process.env.QSQLD_URL;
export const ADMIN = process.env.QSQLD_ADMIN_URL;
if (!URL_ || !ADMIN) {
    throw new Error("QSQLD_URL and QSQLD_ADMIN_URL must be set (run this suite through harness.mjs)");
}

export const suffix = randomBytes(4).toString("hex");
let tableCounter = 0;
/** A table name unique to this run. */
export const tbl = (name) => `${name}_${suffix}_${++tableCounter}`;

/** Creates a namespace with the admin API (with the admin key when the harness runs with --auth). */
export async function createNamespace(ns, config = {}) {
    const headers = { "content-type": "application/json" };
    if (process.env.QSQLD_ADMIN_KEY) headers.authorization = `Bearer ${process.env.QSQLD_ADMIN_KEY}`;
    const r = await fetch(`${ADMIN}/v1/namespaces/${encodeURIComponent(ns)}/create`, {
        method: "POST",
        headers,
        body: JSON.stringify(config),
    });
    const body = await r.text();
    assert.equal(r.status, 200, `creating namespace ${ns}: HTTP ${r.status} ${body}`);
}
