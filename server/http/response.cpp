#include "response.h"

#include "util/jsonwriter.h"

namespace qsqld::http {

Response Response::error(int status, const QByteArray &message)
{
    util::JsonWriter w(32 + message.size());
    w.beginObject();
    w.key("error");
    w.string(message);
    w.endObject();
    return json(status, w.take());
}

} // namespace qsqld::http
