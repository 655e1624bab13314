#pragma once

// One parsed HTTP/1.1 request as a value (copied out of the connection, safe to move between threads).

#include <QByteArray>
#include <QList>
#include <QPair>

namespace qsqld::http {

struct Request
{
    QByteArray method;   // upper case as sent
    QByteArray target;   // raw request target
    QByteArray path;     // target without the query, percent-decoded
    QByteArray query;    // text after '?', raw
    int minorVersion = 1;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased
    QByteArray body;
    bool keepAlive = true;

    QByteArray header(QByteArrayView name) const
    {
        for (const auto &h : headers) {
            if (h.first == name)
                return h.second;
        }
        return {};
    }
    bool hasHeader(QByteArrayView name) const
    {
        for (const auto &h : headers) {
            if (h.first == name)
                return true;
        }
        return false;
    }
};

} // namespace qsqld::http
