#pragma once

// The embedded-replica RPCs (gRPC-web over HTTP/1.1, spec/replication.md sections 3, 4 and 9), run on the
// namespace's worker: wal_log.ReplicationLog (Hello, BatchLogEntries, Snapshot) and proxy.Proxy (Describe,
// Execute, Disconnect). The I/O side (runtime/replroutes.cpp) has already resolved the namespace, checked the
// token and the session token; `job.body` is the request body as received. Each answers through `job.reply`.

#include "hrana/engine.h"

#include <QByteArray>

namespace qsqld::repl {

// Identities of this server process: replicas re-handshake when the session token changes.
struct ProcessIds
{
    QByteArray generationId; // a UUID per process start, as sqld (clients ignore it)
    QByteArray sessionToken; // a UUID per process start
};

// A unary gRPC-web answer with one message, or a "trailers-only" error (HTTP 200, grpc-status headers).
http::Response grpcOk(const QByteArray &message);
http::Response grpcError(int code, const QByteArray &message);

void hello(hrana::Engine &e, hrana::Job &&job, const ProcessIds &ids);
// A large answer (a big transaction) is streamed a chunk at a time, so memory stays bounded.
void batchLogEntries(hrana::Engine &e, hrana::Job &&job, http::StreamSink sink,
                     std::function<void(std::function<void()>)> post);
// Server streaming: the frames of the snapshot covering the offset, newest first, through `sink`; `post` runs
// work on this namespace's worker (each chunk is produced there).
void snapshot(hrana::Engine &e, hrana::Job &&job, http::StreamSink sink,
              std::function<void(std::function<void()>)> post);
void describe(hrana::Engine &e, hrana::Job &&job);
void execute(hrana::Engine &e, hrana::Job &&job);
void disconnect(hrana::Engine &e, hrana::Job &&job);

} // namespace qsqld::repl
