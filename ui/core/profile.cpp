#include "profile.h"

namespace qsqld::ui {

QUrl Profile::tenantUrl(const QString &ns, const QString &path) const
{
    QUrl url = userUrl;
    if (routing == Routing::Subdomain && !ns.isEmpty())
        url.setHost(ns + u'.' + userUrl.host());
    QString base = url.path();
    while (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path);
    return url;
}

} // namespace qsqld::ui
