// Fuzz target: qsqld's command line and environment (server/runtime/serverconfig.h). The input is NUL-separated
// words: the arguments after argv[0], then, after an empty word, NAME=value environment entries. A configuration
// that parses must hold only values the server can start with; its listen addresses, written out as text, must parse
// back to themselves; parseByteSize and parseListenAddress also get the first word on its own.

#include <cstdint>

#include "fuzzsupport.h"
#include "runtime/serverconfig.h"

using namespace Qt::StringLiterals;
using namespace qsqld;
using namespace qsqld::runtime;

namespace {

void checkAddress(const ListenAddress &a)
{
    const std::optional<ListenAddress> again = parseListenAddress(a.text);
    QSQLD_FUZZ_CHECK(again && *again == a);
}

void checkConfig(const ServerConfig &c)
{
    checkAddress(c.httpListen);
    if (c.adminListen)
        checkAddress(*c.adminListen);
    if (c.hranaListen)
        checkAddress(*c.hranaListen);
    QSQLD_FUZZ_CHECK(c.logLevel == u"error" || c.logLevel == u"warn" || c.logLevel == u"info"
                     || c.logLevel == u"debug");
    QSQLD_FUZZ_CHECK(c.maxResponseSize >= 0 && c.maxTotalResponseSize >= 0 && c.maxRequestBodySize >= 0);
    QSQLD_FUZZ_CHECK(c.maxConcurrentConnections > 0 && c.maxConcurrentRequests > 0);
    QSQLD_FUZZ_CHECK(c.workerThreads >= 0 && c.effectiveWorkerThreads() > 0 && c.maxActiveNamespaces > 0);
    QSQLD_FUZZ_CHECK(c.pageCacheKib >= 64 && c.heartbeatPeriodS > 0 && c.maxLogSizeMb > 0 && c.shutdownTimeoutS >= 0);
    QSQLD_FUZZ_CHECK(c.statementTimeoutS > 0 && c.streamExpiryS > 0 && c.headerTimeoutS > 0
                     && c.idleConnectionTimeoutS > 0 && c.connectionCreationTimeoutS > 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QList<QByteArray> words = fuzz::bytes(data, size).split('\0');
    QStringList args{ u"qsqld"_s };
    QProcessEnvironment env;
    bool inEnvironment = false;
    for (const QByteArray &word : words) {
        if (word.isEmpty() && !inEnvironment) {
            inEnvironment = true;
        } else if (!inEnvironment) {
            args.append(QString::fromUtf8(word));
        } else if (const qsizetype eq = word.indexOf('='); eq > 0) {
            env.insert(QString::fromUtf8(word.first(eq)), QString::fromUtf8(word.sliced(eq + 1)));
        }
    }

    const ParseOutcome outcome = parseCommandLine(args, env);
    QSQLD_FUZZ_CHECK(outcome.kind == ParseOutcome::Kind::Run || !outcome.text.isEmpty());
    if (outcome.kind == ParseOutcome::Kind::Run)
        checkConfig(outcome.config);

    const QString first = QString::fromUtf8(words.value(0));
    bool ok = false;
    const qint64 bytes = parseByteSize(first, &ok);
    QSQLD_FUZZ_CHECK(ok ? bytes >= 0 : bytes == 0);
    if (const std::optional<ListenAddress> address = parseListenAddress(first))
        checkAddress(*address);
    return 0;
}
