// qsqld: the headless server. Parses flags and SQLD_* variables, runs a ServerRuntime until SIGTERM/SIGINT.

#include "tokencommands.h"

#include "runtime/serverconfig.h"
#include "runtime/serverruntime.h"

#include <csignal>
#include <cstdio>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QProcessEnvironment>
#include <QSocketNotifier>

using namespace Qt::StringLiterals;

namespace {

int g_signalFds[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] auto n = ::write(g_signalFds[0], &c, 1); // async-signal-safe hand-off to the event loop
}

void applyLogLevel(const QString &level)
{
    QString rules = u"qsqld.*.debug=false\n"_s;
    if (level == u"debug")
        rules = u"qsqld.*.debug=true\n"_s;
    else if (level == u"warn")
        rules += u"qsqld.*.info=false\n"_s;
    else if (level == u"error")
        rules += u"qsqld.*.info=false\nqsqld.*.warning=false\n"_s;
    QLoggingCategory::setFilterRules(rules);
}

// Every client socket and every open SQLite file (database, WAL, shm per namespace) is a descriptor; the usual soft
// limit of 1024 would cap a server far below --max-concurrent-connections, so take the hard limit.
void raiseFileLimit()
{
    struct rlimit lim = {};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"qsqld"_s);
    qSetMessagePattern(u"%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-debug}DEBUG%{endif}%{if-info}INFO%{endif}"
                       "%{if-warning}WARN%{endif}%{if-critical}ERROR%{endif}%{if-fatal}FATAL%{endif} "
                       "%{category}: %{message}"_s);

    if (qsqld::app::isToolCommand(QCoreApplication::arguments()))
        return qsqld::app::runToolCommand(QCoreApplication::arguments());

    const auto outcome = qsqld::runtime::parseCommandLine(QCoreApplication::arguments(),
                                                          QProcessEnvironment::systemEnvironment());
    using Kind = qsqld::runtime::ParseOutcome::Kind;
    if (outcome.kind == Kind::Help || outcome.kind == Kind::Version) {
        std::fprintf(stdout, "%s\n", outcome.text.toLocal8Bit().constData());
        return 0;
    }
    if (outcome.kind == Kind::Error) {
        std::fprintf(stderr, "%s\n", outcome.text.toLocal8Bit().constData());
        return 1;
    }
    applyLogLevel(outcome.config.logLevel);

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0) {
        std::perror("qsqld: socketpair");
        return 1;
    }
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    raiseFileLimit();

    qsqld::runtime::ServerRuntime server(outcome.config);
    QString error;
    if (!server.start(&error)) {
        std::fprintf(stderr, "%s\n", error.toLocal8Bit().constData());
        return 1;
    }
    QSocketNotifier notifier(g_signalFds[1], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &server, [&server] {
        char c;
        [[maybe_unused]] auto n = ::read(g_signalFds[1], &c, 1);
        server.stop();
    });
    QObject::connect(&server, &qsqld::runtime::ServerRuntime::stopped, &app, [] { QCoreApplication::exit(0); });
    return QCoreApplication::exec();
}
