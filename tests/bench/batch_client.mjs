// HTTP side of the 1,000-row batch benchmark (tests/bench/run.sh).
//
// Sends REPS times (after WARMUP untimed ones) one Hrana pipeline holding a `batch` of BEGIN, ROWS x
// `INSERT INTO b(v) VALUES (?)` with a text argument, COMMIT, followed by `close`, and times each round trip from
// the start of fetch() until the whole response body is in (parsing and checking come after the clock stops).
// Steps are chained with `ok` conditions the way @libsql/client builds a batch. Keep-alive is on (fetch reuses the
// connection), so this measures the server's work plus one loopback round trip, not connection setup.
// Prints one JSON line with the median and other statistics in ms.
//
// Usage: node batch_client.mjs BASE_URL [REPS=30] [ROWS=1000] [WARMUP=3]

const [base, repsArg, rowsArg, warmupArg] = process.argv.slice(2);
if (!base) {
    console.error('usage: node batch_client.mjs BASE_URL [REPS=30] [ROWS=1000] [WARMUP=3]');
    process.exit(2);
}
const reps = Number(repsArg ?? 30);
const rows = Number(rowsArg ?? 1000);
const warmup = Number(warmupArg ?? 3);
const url = new URL('/v2/pipeline', base).toString();

async function pipeline(body) {
    const res = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json'}, body});
    const text = await res.text();
    if (res.status !== 200)
        throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
    return text;
}

function check(text, what) {
    const json = JSON.parse(text);
    for (const r of json.results)
        if (r.type !== 'ok')
            throw new Error(`${what}: ${JSON.stringify(r).slice(0, 300)}`);
    return json;
}

const execute = (sql) => ({type: 'execute', stmt: {sql}});
check(await pipeline(JSON.stringify({
    baton: null,
    requests: [execute('DROP TABLE IF EXISTS b'), execute('CREATE TABLE b(id INTEGER PRIMARY KEY, v TEXT)'),
               {type: 'close'}],
})), 'setup');

// The same values as tests/bench/inproc_sqlite.cpp.
const steps = [{stmt: {sql: 'BEGIN'}}];
for (let i = 0; i < rows; ++i)
    steps.push({
        stmt: {sql: 'INSERT INTO b(v) VALUES (?)', args: [{type: 'text', value: `row-${i}-abcdefghijklmnopqrstuvwxyz`}]},
        condition: {type: 'ok', step: steps.length - 1},
    });
steps.push({stmt: {sql: 'COMMIT'}, condition: {type: 'ok', step: steps.length - 1}});
const body = JSON.stringify({baton: null, requests: [{type: 'batch', batch: {steps}}, {type: 'close'}]});

const ms = [];
for (let r = 0; r < warmup + reps; ++r) {
    const t0 = process.hrtime.bigint();
    const text = await pipeline(body);
    const t1 = process.hrtime.bigint();
    const result = check(text, 'batch').results[0].response.result;
    const failed = result.step_errors.findIndex((e) => e !== null);
    if (failed >= 0 || result.step_results.length !== rows + 2 || result.step_results[rows + 1] === null)
        throw new Error(`batch step ${failed} failed: ${JSON.stringify(result.step_errors[failed])}`);
    if (r >= warmup)
        ms.push(Number(t1 - t0) / 1e6);
}

const count = check(await pipeline(JSON.stringify({
    baton: null, requests: [execute('SELECT count(*) FROM b'), {type: 'close'}],
})), 'count').results[0].response.result.rows[0][0].value;
if (Number(count) !== (warmup + reps) * rows)
    throw new Error(`expected ${(warmup + reps) * rows} rows in b, found ${count}`);

ms.sort((a, b) => a - b);
const median = ms.length % 2 ? ms[(ms.length - 1) / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
console.log(JSON.stringify({
    reps, rows, request_bytes: body.length, median_ms: +median.toFixed(3), min_ms: +ms[0].toFixed(3),
    max_ms: +ms[ms.length - 1].toFixed(3),
}));
