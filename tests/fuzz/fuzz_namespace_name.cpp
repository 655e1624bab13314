// Fuzz target: namespace names (server/ns/namespacename.h): validateName, and resolveNamespace from a request's
// x-namespace-bin, x-namespace and Host headers. The first byte holds the options (bit 0 enable namespaces, bit 1
// disable the default namespace); the rest is "name: value" header lines. A resolved name must be one validateName
// accepts (or "default"), and an error must be a 400 with a JSON body.

#include <cstdint>

#include <QJsonDocument>
#include <QJsonObject>

#include "fuzzsupport.h"
#include "ns/namespacename.h"

using namespace qsqld;

namespace {

http::Request requestOf(const QByteArray &lines)
{
    http::Request r;
    for (const QByteArray &line : lines.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            r.headers.append({ line.first(colon).trimmed().toLower(), line.sliced(colon + 1).trimmed() });
    }
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray input = fuzz::bytes(data + 1, size - 1);

    const QByteArray reason = ns::validateName(input);
    if (reason.isEmpty())
        QSQLD_FUZZ_CHECK(input.size() <= ns::MAX_NAME_BYTES && !input.contains('.') && !input.contains('/'));

    const ns::ResolveOptions options{ (data[0] & 1) != 0, (data[0] & 2) != 0 };
    const auto resolved = ns::resolveNamespace(requestOf(input), options);
    if (const auto *name = std::get_if<QString>(&resolved)) {
        QSQLD_FUZZ_CHECK(*name == u"default" || ns::validateName(name->toLatin1()).isEmpty());
        QSQLD_FUZZ_CHECK(options.enableNamespaces || *name == u"default");
    } else {
        const http::Response &error = std::get<http::Response>(resolved);
        QSQLD_FUZZ_CHECK(error.status == 400);
        QJsonParseError pe;
        const QJsonDocument body = QJsonDocument::fromJson(error.body, &pe);
        QSQLD_FUZZ_CHECK(pe.error == QJsonParseError::NoError && body.object().value(u"error").isString());
    }
    return 0;
}
