#pragma once

// `qsqld keygen` and `qsqld token mint|inspect`: the command-line face of server/auth/tokens (the console
// uses the same functions). Returns the process exit code.

#include <QStringList>

namespace qsqld::app {

bool isToolCommand(const QStringList &args); // args[1] is "keygen" or "token"
int runToolCommand(const QStringList &args);

} // namespace qsqld::app
