// Touches many tenants of a running qsqld (tenants.sh): creates each namespace through the admin API, writes to it
// and reads it back, then (second pass) reads and writes every tenant again, so that namespaces closed by
// --max-active-namespaces are reopened. Prints one JSON line per pass: {"pass", "ms", "requests", "errors"}.
//   node tenants_client.mjs <userPort> <adminPort> <tenants> <concurrency> <rowsPerWrite>
const [userPort, adminPort, tenants, concurrency, rowsPerWrite] = process.argv.slice(2).map(Number);

async function post(url, body, headers = {}) {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await r.text();
    if (r.status !== 200)
        throw new Error(`${url}: HTTP ${r.status} ${text}`);
    return JSON.parse(text || '{}');
}

function pipeline(ns, statements) {
    const requests = statements.map(([sql, args]) => ({ type: 'execute', stmt: { sql, args: args ?? [] } }));
    requests.push({ type: 'close' });
    return post(`http://127.0.0.1:${userPort}/v2/pipeline`, JSON.stringify({ baton: null, requests }),
                { 'x-namespace': ns }).then((reply) => {
        for (const r of reply.results) {
            if (r.type !== 'ok')
                throw new Error(`${ns}: ${JSON.stringify(r.error)}`);
        }
        return reply;
    });
}

const text = (s) => ({ type: 'text', value: s });
const values = Array.from({ length: rowsPerWrite }, () => '(?)').join(',');

async function touch(i, first) {
    const ns = `tenant${i}`;
    if (first)
        await post(`http://127.0.0.1:${adminPort}/v1/namespaces/${ns}/create`, '{}');
    const args = Array.from({ length: rowsPerWrite }, (_, k) => text(`row ${k} of ${ns}, pass ${first ? 1 : 2}`));
    const reply = await pipeline(ns, [
        ['CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, body TEXT NOT NULL)'],
        [`INSERT INTO items(body) VALUES ${values}`, args],
        ['SELECT count(*), sum(length(body)) FROM items'],
    ]);
    const count = Number(reply.results[2].response.result.rows[0][0].value);
    if (count !== rowsPerWrite * (first ? 1 : 2))
        throw new Error(`${ns}: ${count} rows after pass ${first ? 1 : 2}`);
    return first ? 2 : 1; // HTTP requests made
}

for (const first of [true, false]) {
    const start = performance.now();
    let next = 0, requests = 0, errors = 0;
    const worker = async () => {
        while (next < tenants) {
            const i = next++;
            try {
                requests += await touch(i, first);
            } catch (e) {
                ++errors;
                if (errors <= 3)
                    console.error(String(e));
            }
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    console.log(JSON.stringify({ pass: first ? 1 : 2, ms: Math.round(performance.now() - start), requests, errors }));
}
