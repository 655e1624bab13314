#include "namespacename.h"

#include <QHostAddress>
#include <QUtf8StringView>

namespace qsqld::ns {

QByteArray validateName(QByteArrayView name)
{
    if (name.isEmpty())
        return "the name is empty";
    if (name.size() > MAX_NAME_BYTES)
        return "the name is longer than " + QByteArray::number(MAX_NAME_BYTES) + " bytes";
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_';
        if (!ok)
            return "only the characters A-Z, a-z, 0-9, '-' and '_' are allowed";
    }
    return {};
}

http::Response invalidNamespace(QByteArrayView name, const QByteArray &reason)
{
    QByteArray shown = name.first(std::min<qsizetype>(name.size(), MAX_NAME_BYTES + 8)).toByteArray();
    if (!QUtf8StringView(shown.constData(), shown.size()).isValidUtf8())
        shown = shown.toPercentEncoding();
    return http::Response::error(400, "Invalid namespace `" + shown + "`: " + reason);
}

namespace {

// The Host's first DNS label, unless the host is an IP address or localhost (sqld's "127" bug is not kept).
QByteArray hostLabel(const QByteArray &host)
{
    QByteArray h = host;
    if (h.startsWith('['))
        return {}; // IPv6 literal
    const qsizetype colon = h.lastIndexOf(':');
    if (colon >= 0)
        h.truncate(colon);
    if (h.isEmpty() || QHostAddress(QString::fromLatin1(h)).protocol() != QAbstractSocket::UnknownNetworkLayerProtocol)
        return {};
    const qsizetype dot = h.indexOf('.');
    if (dot <= 0)
        return {};
    return h.left(dot);
}

} // namespace

std::variant<QString, http::Response> resolveNamespace(const http::Request &request, const ResolveOptions &options)
{
    if (!options.enableNamespaces)
        return QStringLiteral("default");
    QByteArray name;
    if (request.hasHeader("x-namespace-bin")) {
        QByteArray b64 = request.header("x-namespace-bin");
        while (b64.endsWith('='))
            b64.chop(1);
        auto decoded = QByteArray::fromBase64Encoding(b64, QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return http::Response::error(400, "Invalid namespace bytes: `" + request.header("x-namespace-bin") + "`");
        name = decoded.decoded;
    } else if (request.hasHeader("x-namespace")) {
        name = request.header("x-namespace");
    } else {
        const QByteArray host = request.header("host");
        if (!QUtf8StringView(host.constData(), host.size()).isValidUtf8())
            return http::Response::error(400, "Invalid host header: `" + host.toPercentEncoding() + "`");
        name = hostLabel(host.toLower());
        if (name.isEmpty()) {
            if (options.disableDefaultNamespace)
                return http::Response::error(400, "Invalid host header: `" + host + "`");
            return QStringLiteral("default");
        }
    }
    if (QByteArray reason = validateName(name); !reason.isEmpty())
        return invalidNamespace(name, reason);
    return QString::fromLatin1(name);
}

} // namespace qsqld::ns
