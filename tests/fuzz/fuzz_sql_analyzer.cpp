// Fuzz target: the SQL statement splitter and classifier (server/sql/statementanalyzer.h) on any text, as a request's
// `sql` reaches it. Statements come in order, each one's text is the input's at its offset (but for the rewritten
// `BEGIN ... READONLY`), and a statement analyzed on its own is the same single statement again.

#include <cstdint>

#include "fuzzsupport.h"
#include "sql/statementanalyzer.h"

using namespace qsqld;
using namespace qsqld::sql;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text = fuzz::bytes(data, size);
    const auto analysis = analyze(text);
    if (const auto *error = std::get_if<AnalysisError>(&analysis)) {
        QSQLD_FUZZ_CHECK(!error->message.isEmpty() && error->offset >= -1 && error->offset <= text.size());
        return 0;
    }
    int end = 0;
    for (const StatementInfo &s : std::get<QList<StatementInfo>>(analysis)) {
        QSQLD_FUZZ_CHECK(!s.sql.isEmpty() && s.offset >= end && s.offset < text.size());
        if (s.kind == StatementClass::TxnBeginReadOnly) {
            end = s.offset + 1;
            continue;
        }
        QSQLD_FUZZ_CHECK(text.sliced(s.offset).startsWith(s.sql));
        end = s.offset + static_cast<int>(s.sql.size());

        const auto alone = analyze(s.sql);
        const auto *again = std::get_if<QList<StatementInfo>>(&alone);
        QSQLD_FUZZ_CHECK(again && again->size() == 1);
        const StatementInfo &a = again->first();
        QSQLD_FUZZ_CHECK(a.kind == s.kind && a.sql == s.sql && a.offset == 0 && a.isInsert == s.isInsert
                         && a.isIud == s.isIud && a.attachTarget == s.attachTarget && a.attachAlias == s.attachAlias);
    }
    return 0;
}
