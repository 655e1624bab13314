#!/usr/bin/env bash
# Regenerates the seed inputs of tests/fuzz/corpus/<target>/ (every file not named crash-*) from the test fixtures
# (tests/data/hrana, tests/data/sqllexer), the protocol examples of the wire references, and a few edge cases.
# crash-* files are inputs that once found a bug: this script never touches them. Review the diff, then commit.
# Needs protoc and openssl (both come with packaging/dev/install-deps.sh). Usage: tests/fuzz/make_corpus.sh
set -euo pipefail
export LC_ALL=C # byte lengths, not characters
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/fuzz/corpus
HRANA=$ROOT/tests/data/hrana
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for t in http_request hrana_json hrana_protobuf ws_message grpc_web pull_updates jwt namespace_name cli_env \
    sql_analyzer; do
    mkdir -p "$OUT/$t"
    find "$OUT/$t" -type f ! -name 'crash-*' -delete
done

# ---- helpers ----
fixture_headers() { awk 'NR == 1 { next } /^$/ { exit } { print }' "$1"; }
fixture_body() { awk 'found { print } /^$/ && !found { found = 1 }' "$1"; }
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# protoc text format -> binary message
encode() { # <proto dir> <proto file> <message type>
    protoc --encode="$3" -I "$1" "$1/$2"
}
hrana_http() { encode "$ROOT/server/hrana/proto" hrana_http.proto "$1"; }
hrana_ws() { encode "$ROOT/server/hrana/proto" hrana_ws.proto "$1"; }
proxy() { encode "$ROOT/server/repl/proto" proxy.proto "$1"; }
wal_log() { encode "$ROOT/server/repl/proto" wal_log.proto "$1"; }
# One gRPC-web frame: flag byte, 4-byte big-endian length, payload (stdin).
grpc_frame() { # <flag as two hex digits>
    local payload
    payload=$(mktemp -p "$TMP")
    cat > "$payload"
    local n
    n=$(stat -c %s "$payload")
    printf "\\x$1"
    for shift in 24 16 8 0; do printf "\\x$(printf %02x $((n >> shift & 255)))"; done
    cat "$payload"
}

# ---- http_request: first byte = chunk size (0: all at once), then the bytes of the connection ----
http_from_fixture() { # <chunk byte as octal escape> <fixture.in>
    local method_path body
    method_path=$(head -n1 "$2")
    body=$(fixture_body "$2")
    printf "\\$1%s HTTP/1.1\r\nHost: localhost:8080\r\n" "$method_path"
    fixture_headers "$2" | while IFS= read -r h; do printf '%s\r\n' "$h"; done
    printf 'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body"
}
d=$OUT/http_request
http_from_fixture 000 "$HRANA/spec-8.1-pipeline-example.in" > "$d/pipeline-v2"
http_from_fixture 007 "$HRANA/spec-8.4-cursor.in" > "$d/cursor-v3-chunked-by-7"
http_from_fixture 001 "$HRANA/v1-execute.in" > "$d/v1-execute-byte-by-byte"
http_from_fixture 100 "$HRANA/legacy-spec-example.in" > "$d/legacy-query"
printf '\000GET /health HTTP/1.1\r\nHost: db1.localhost\r\n\r\nGET /v2 HTTP/1.1\r\n\r\n\r\nGET /version HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' \
    > "$d/pipelined-with-stray-crlf"
printf '\003POST /v2/pipeline HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5;ext=1\r\n{"req\r\n11\r\nuests":[],"a":1}\r\n0\r\nX-Trailer: t\r\n\r\n' \
    > "$d/chunked-body-with-trailer"
printf '\000GET /v1/namespaces/db%%2D1/stats?x=1&y=%%41 HTTP/1.1\r\nConnection: close\r\n\r\n' > "$d/percent-path-and-query"
printf '\011GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: hrana3\r\n\r\n' \
    > "$d/websocket-upgrade"
printf '\002POST /v1/execute HTTP/1.1\nContent-Length: 4\n\nnullGET / HTTP/1.1\n\n' > "$d/bare-lf-lines"
printf '\000POST / HTTP/1.1\r\nContent-Length: 301\r\n\r\n' > "$d/body-too-large"
printf '\000GET / HTTP/2.0\r\n\r\n' > "$d/bad-version"

# ---- hrana_json: request bodies ----
for f in spec-8.1-pipeline-example-v3 spec-8.4-cursor batch-and-or-not args-named-forms values-blob values-floats \
    values-integers values-text spec-5-stmt-sql-id v1-execute v1-batch sequence get-autocommit-v3; do
    fixture_body "$HRANA/$f.in" > "$OUT/hrana_json/$f"
done
d=$OUT/hrana_json
printf '{"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[{"type":"float","value":-0.0},{"type":"float","value":1e308},{"type":"float","value":5e-324},{"type":"integer","value":"-9223372036854775808"},{"type":"text","value":"\\u0000\\ud83d\\ude00\\"\\\\"},{"type":"blob","base64":"AAE="},{"type":"null"}],"want_rows":false,"sql_id":2147483647}}]}' \
    > "$d/edge-values"
printf '{"batch":{"steps":[{"condition":{"type":"not","cond":{"type":"and","conds":[{"type":"ok","step":0},{"type":"or","conds":[{"type":"error","step":4294967295},{"type":"is_autocommit"}]}]}},"stmt":{"sql":"SELECT 1"}}]}}' \
    > "$d/nested-conditions"

# ---- hrana_protobuf: /v3-protobuf pipeline and cursor bodies ----
d=$OUT/hrana_protobuf
hrana_http hrana.http.PipelineReqBody > "$d/pipeline-every-request" <<'EOF'
baton: "b1"
requests { execute { stmt { sql: "SELECT ?, ?, ?, ?, ?, :a" args { integer: -5 } args { float: 1.5 } args { text: "h\303\251llo" } args { blob: "\001\002" } args { null {} } named_args { name: ":a" value { text: "x" } } want_rows: true } } }
requests { batch { batch { steps { stmt { sql: "INSERT INTO t VALUES (1)" } } steps { condition { and { conds { step_ok: 0 } conds { not { step_error: 0 } } } } stmt { sql_id: 3 } } steps { condition { or { conds { is_autocommit {} } } } stmt { sql: "COMMIT" want_rows: false } } } } }
requests { sequence { sql: "CREATE TABLE t(x); INSERT INTO t VALUES(1)" } }
requests { describe { sql: "SELECT * FROM t WHERE x = ?" } }
requests { store_sql { sql_id: 3 sql: "SELECT 1" } }
requests { close_sql { sql_id: 3 } }
requests { get_autocommit {} }
requests { close {} }
EOF
hrana_http hrana.http.PipelineReqBody > "$d/pipeline-execute" <<'EOF'
requests { execute { stmt { sql: "SELECT 1" } } }
EOF
hrana_http hrana.http.PipelineReqBody > "$d/pipeline-sql-id" <<'EOF'
requests { store_sql { sql_id: -1 sql: "SELECT 1" } }
requests { execute { stmt { sql_id: -1 args { integer: -9223372036854775808 } args { float: -0 } } } }
requests { sequence { sql_id: -1 } }
EOF
hrana_http hrana.http.CursorReqBody > "$d/cursor" <<'EOF'
baton: "c1"
batch { steps { stmt { sql: "SELECT n FROM t" } } steps { condition { step_ok: 0 } stmt { sql: "SELECT ?" args { blob: "" } } } }
EOF
printf '\x12\x00' > "$d/request-type-not-set"
printf '\x12\x04\x12\x02\x0a\x00' > "$d/stmt-without-sql"

# ---- ws_message: WebSocket frames, JSON (hrana1-3) and protobuf (hrana3-protobuf) ----
d=$OUT/ws_message
printf '{"type":"hello","jwt":null}' > "$d/json-hello"
printf '{"type":"request","request_id":1,"request":{"type":"open_stream","stream_id":1}}' > "$d/json-open-stream"
printf '{"type":"request","request_id":2,"request":{"type":"execute","stream_id":1,"stmt":{"sql":"SELECT ?","args":[{"type":"integer","value":"42"}],"want_rows":true}}}' \
    > "$d/json-execute"
printf '{"type":"request","request_id":3,"request":{"type":"batch","stream_id":1,"batch":{"steps":[{"stmt":{"sql":"BEGIN"}},{"condition":{"type":"ok","step":0},"stmt":{"sql":"COMMIT"}}]}}}' \
    > "$d/json-batch"
printf '{"type":"request","request_id":4,"request":{"type":"open_cursor","stream_id":1,"cursor_id":7,"batch":{"steps":[{"stmt":{"sql":"SELECT 1"}}]}}}' \
    > "$d/json-open-cursor"
printf '{"type":"request","request_id":-2147483648,"request":{"type":"fetch_cursor","cursor_id":7,"max_count":10}}' \
    > "$d/json-fetch-cursor"
printf '{"type":"request","request_id":6,"request":{"type":"store_sql","sql_id":1,"sql":"SELECT 1"}}' > "$d/json-store-sql"
printf '{"type":"request","request_id":7,"request":{"type":"describe","stream_id":1,"sql_id":1}}' > "$d/json-describe"
hrana_ws hrana.ws.ClientMsg > "$d/proto-hello" <<'EOF'
hello { jwt: "eyJhbGciOiJFZERTQSJ9.e30.sig" }
EOF
hrana_ws hrana.ws.ClientMsg > "$d/proto-execute" <<'EOF'
request { request_id: 2 execute { stream_id: 1 stmt { sql: "SELECT ?" args { integer: 42 } } } }
EOF
hrana_ws hrana.ws.ClientMsg > "$d/proto-open-cursor" <<'EOF'
request { request_id: -1 open_cursor { stream_id: 1 cursor_id: 7 batch { steps { stmt { sql: "SELECT 1" } } steps { condition { not { step_ok: 0 } } stmt { sql: "SELECT 2" } } } } }
EOF
hrana_ws hrana.ws.ClientMsg > "$d/proto-fetch-cursor" <<'EOF'
request { request_id: 5 fetch_cursor { cursor_id: 7 max_count: 100 } }
EOF
hrana_ws hrana.ws.ClientMsg > "$d/proto-get-autocommit" <<'EOF'
request { request_id: 9 get_autocommit { stream_id: 1 } }
EOF
hrana_http hrana.http.StreamResult > "$d/engine-stream-result-ok" <<'EOF'
ok { execute { result { cols { name: "x" decltype: "INTEGER" } rows { values { integer: 1 } } affected_row_count: 0 } } }
EOF
hrana_http hrana.http.StreamResult > "$d/engine-stream-result-error" <<'EOF'
error { message: "no such table: t" code: "SQLITE_ERROR" }
EOF

# ---- grpc_web: unary gRPC-web bodies of the replication RPCs, and bincode values ----
d=$OUT/grpc_web
proxy proxy.ProgramReq <<'EOF' | grpc_frame 00 > "$d/proxy-execute"
client_id: "5f1a0c46-6c9b-4d2f-9f5e-3a4a1f2b7c01"
pgm { steps { query { stmt: "INSERT INTO t VALUES (?, ?)" positional { values { data: "\001\000\000\000\052\000\000\000\000\000\000\000" } values { data: "\003\000\000\000\002\000\000\000\000\000\000\000hi" } } } }
      steps { cond { ok { step: 0 } } query { stmt: "SELECT :a" named { names: ":a" values { data: "\000\000\000\000" } } skip_rows: true } }
      steps { cond { and { conds { is_autocommit {} } conds { not { cond { err { step: 1 } } } } } } query { stmt: "COMMIT" positional {} } } }
EOF
{ wal_log wal_log.HelloRequest <<< 'handshake_version: 1' | grpc_frame 00; printf '' | grpc_frame 80; } > "$d/hello-with-trailer"
wal_log wal_log.LogOffset <<< 'next_offset: 1 wal_flavor: SQLITE' | grpc_frame 00 > "$d/batch-log-entries"
proxy proxy.DescribeRequest <<< 'client_id: "c" stmt: "SELECT ?"' | grpc_frame 00 > "$d/proxy-describe"
printf '' | grpc_frame 00 > "$d/empty-message"
printf 'x' | grpc_frame 01 > "$d/compressed-flag"
printf '\x00\x00\x00\x00' > "$d/bincode-null"
printf '\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80' > "$d/bincode-integer-min"
printf '\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf8\x7f' > "$d/bincode-real-nan"
printf '\x03\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\xe2\x82\xac' > "$d/bincode-text"
printf '\x04\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\xff' > "$d/bincode-blob"

# ---- pull_updates: PullUpdatesRequest bodies and portable RoaringBitmaps ----
d=$OUT/pull_updates
# Page ids {0,1,2,5,100}: no-run cookie 12346, one array container.
array_bitmap='\x3a\x30\x00\x00\x01\x00\x00\x00\x00\x00\x04\x00\x10\x00\x00\x00\x00\x00\x01\x00\x02\x00\x05\x00\x64\x00'
# Page ids 0..9 and 20..29: run cookie 12347, one run container.
run_bitmap='\x3b\x30\x00\x00\x01\x00\x00\x13\x00\x02\x00\x00\x00\x09\x00\x14\x00\x09\x00'
# Page ids {3, 65543}: two array containers (the second is above the target's limit).
two_containers='\x3a\x30\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x18\x00\x00\x00\x1a\x00\x00\x00\x03\x00\x07\x00'
printf "$array_bitmap" > "$d/selector-array"
printf "$run_bitmap" > "$d/selector-runs"
printf "$two_containers" > "$d/selector-two-containers"
{ printf '\x3a\x30\x00\x00\x01\x00\x00\x00\x00\x00\xff\xff\x10\x00\x00\x00'; head -c 8192 /dev/zero | tr '\0' '\377'; } \
    > "$d/selector-bitmap-container-full"
: > "$d/bootstrap-empty-body"
revision=0123456789abcdef0123456789abcdef.42 # "<log id>.<frame>"
revision_field() { printf "\\x$1\\x$(printf %02x ${#revision})%s" "$revision"; } # <tag>
{ revision_field 1a; printf '\x20\xb0\xea\x01'; } > "$d/pull-long-poll"
{ revision_field 12; printf '\x2a\x1a'"$array_bitmap"; } > "$d/chunked-bootstrap-with-selector"
printf '\x08\x01\x40\x01\x31\x00\x00\x00\x00\x00\x00\x00\x00\x35\x00\x00\x00\x00\x32\x00\x3a\x01x' > "$d/zstd-mvcc-unknown-fields"

# ---- jwt: 0 token | 1 header JSON \n payload JSON (signed by the target) | 2 key text ----
d=$OUT/jwt
key_pem() { # <first seed byte>: PKCS#8 PEM of the Ed25519 key whose seed is 32 bytes counting up from there
    { printf '\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20'
      for i in $(seq 0 31); do printf "\\x$(printf %02x $(($1 + i)))"; done; } \
        | openssl pkey -inform DER -outform PEM
}
key_pem 64 > "$TMP/test.pem" # the key of fuzz_jwt.cpp (seed 0x40 0x41 ...)
key_pem 96 > "$TMP/other.pem"
sign_token() { # <header JSON> <payload JSON>
    local input
    input=$(printf '%s' "$1" | b64url).$(printf '%s' "$2" | b64url)
    printf '%s' "$input" > "$TMP/input"
    openssl pkeyutl -sign -inkey "$TMP/test.pem" -rawin -in "$TMP/input" -out "$TMP/sig"
    printf '%s.%s' "$input" "$(b64url < "$TMP/sig")"
}
{ printf '\000'; sign_token '{"alg":"EdDSA","typ":"JWT"}' '{"iat":1700000000,"a":"ro","id":"db1"}'; } > "$d/token-legacy-claims"
{ printf '\000'; sign_token '{"alg":"EdDSA"}' '{"p":{"rw":{"ns":["db1"]},"roa":{"tags":["fuzz-gid"]}},"exp":1700000100}'; } \
    > "$d/token-p-claim"
{ printf '\000'; sign_token '{"alg":"EdDSA"}' '{"exp":1600000000}'; } > "$d/token-expired"
printf '\000eyJhbGciOiJIUzI1NiJ9.e30.AAAA' > "$d/token-wrong-alg"
printf '\001{"alg":"EdDSA","typ":"JWT","kid":"k1"}\n{"id":"db1","a":"rw","exp":1700000030,"nbf":1,"sub":"x"}' \
    > "$d/signed-legacy"
printf '\001{"alg":"EdDSA"}\n{"p":{"ro":{"ns":["a","b"]},"rw":{"ns":["db1"],"tags":["t"]},"ddl":{"tags":["fuzz-gid"]}}}' \
    > "$d/signed-grants"
printf '\001{"alg":"EdDSA"}\n{"aud":"x","exp":-1}' > "$d/signed-audience"
printf '\001{"alg":"EdDSA","alg":"EdDSA"}\n{"exp":1.0,"exp":2}' > "$d/signed-repeated-fields"
{ printf '\002'; openssl pkey -in "$TMP/test.pem" -pubout; } > "$d/key-pem"
{ printf '\002'; openssl pkey -in "$TMP/test.pem" -pubout; openssl pkey -in "$TMP/other.pem" -pubout; } > "$d/key-pem-two"
{ printf '\002  '; openssl pkey -in "$TMP/test.pem" -pubout -outform DER | tail -c 32 | b64url; printf '\n'; } \
    > "$d/key-raw"
{ printf '\002'; openssl pkey -in "$TMP/other.pem" -pubout -outform DER | tail -c 32 | base64 -w0; } > "$d/key-raw-standard-base64"
{ printf '\002'; cat "$TMP/other.pem"; } > "$d/key-private-pem"

# ---- namespace_name: options byte (1 namespaces on, 2 no default), then header lines ----
d=$OUT/namespace_name
printf '\001x-namespace: db1' > "$d/x-namespace"
printf '\001x-namespace-bin: %s' "$(printf 'db-1' | base64 -w0)" > "$d/x-namespace-bin"
printf '\001host: db_2.turso.example:8080\nx-other: 1' > "$d/host-subdomain"
printf '\003host: 127.0.0.1:8080' > "$d/host-ip-no-default"
printf '\003host: [::1]:8080' > "$d/host-ipv6"
printf '\001x-namespace: ../etc' > "$d/invalid-name"
printf '\000x-namespace: ignored' > "$d/namespaces-off"

# ---- cli_env: NUL-separated arguments, an empty word, then NAME=value environment entries ----
d=$OUT/cli_env
printf -- '--http-listen-addr\0[::]:0\0--admin-listen-addr\0127.0.0.1:9090\0--enable-namespaces\0\0SQLD_MAX_RESPONSE_SIZE=1.5kb\0QSQLD_LOG_LEVEL=trace' \
    > "$d/listen-and-env"
printf -- '--db-path=/tmp/x\0-d\0data\0--max-request-body-size\0 2 GiB\0--statement-timeout-s\00.5' > "$d/values"
printf -- '--help' > "$d/help"
printf -- '--version' > "$d/version"
printf -- '\0RUST_LOG=libsql_server=debug,hyper=warn\0SQLD_HTTP_AUTH=basic:dXNlcjpwYXNz\0QSQLD_ENABLE_NAMESPACES=yes' > "$d/env-only"
printf -- '--heartbeat-url\0https://example.com/hb\0--max-log-duration\0600\0--worker-threads\0256' > "$d/heartbeat-and-workers"
printf -- '--enable-bottomless-replication\0--no-welcome\0--unknown-flag' > "$d/unsupported-flags"
printf -- '1.5 KiB' > "$d/bytesize"

# ---- sql_analyzer: SQL text ----
d=$OUT/sql_analyzer
for f in "$ROOT"/tests/data/sqllexer/*.in; do cp "$f" "$d/lexer-$(basename "$f" .in)"; done
printf 'BEGIN READONLY; SELECT 1; END' > "$d/begin-readonly"
printf 'ATTACH "db2" AS other; SELECT * FROM other.t; DETACH other' > "$d/attach-detach"
printf 'WITH c(x) AS (SELECT 1) INSERT INTO t SELECT x FROM c RETURNING *; REPLACE INTO t VALUES (1)' > "$d/with-insert"
printf 'SAVEPOINT s; RELEASE s; ROLLBACK TO s; PRAGMA table_info(t); PRAGMA foreign_keys = ON' > "$d/savepoint-pragma"
printf 'EXPLAIN QUERY PLAN SELECT 1; VACUUM; VACUUM INTO '"'"'x.db'"'"'; CREATE TEMP TABLE t(x)' > "$d/refused"
printf "SELECT 'a;b', \"c;d\", [e;f], \`g;h\`, x'00', -- c;\n 1 /* ;; */ ;;; ;" > "$d/separators-in-tokens"

echo "make_corpus: $(find "$OUT" -type f | wc -l) files, $(du -sh --apparent-size "$OUT" | cut -f1)"
