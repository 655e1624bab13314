#pragma once

// Incremental HTTP/1.1 request parser: feed it bytes as they arrive, take complete requests out.
// Content-Length and chunked bodies; limits on header and body size. No I/O, no Qt objects: any thread.

#include "request.h"

#include <QByteArray>

namespace qsqld::http {

class RequestParser
{
public:
    enum class State { Idle, Headers, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers, Complete, Failed };

    explicit RequestParser(qsizetype maxBody, qsizetype maxHeaderBytes = 64 * 1024)
        : m_maxBody(maxBody), m_maxHeader(maxHeaderBytes) { }

    // Consumes bytes from `buffer` (removing what it used). Stops after one complete request or an error.
    State feed(QByteArray &buffer);
    State state() const { return m_state; }
    bool headersDone() const { return m_state >= State::Body && m_state != State::Failed; }
    bool inProgress() const { return m_state != State::Idle; }

    Request takeRequest();            // after Complete; resets to Idle
    const Request &current() const { return m_req; }
    int errorStatus() const { return m_errorStatus; }   // 400, 413, 431, 501, 505
    QByteArray errorText() const { return m_errorText; }
    bool expectsContinue() const { return m_expectContinue; }

private:
    bool parseHead(const QByteArray &head);
    bool consumeBody(QByteArray &buffer); // moves up to m_remaining bytes into the body; true when none remain
    State fail(int status, const char *text);

    qsizetype m_maxBody;
    qsizetype m_maxHeader;
    State m_state = State::Idle;
    Request m_req;
    qsizetype m_remaining = 0;
    bool m_expectContinue = false;
    int m_errorStatus = 0;
    QByteArray m_errorText;
};

QByteArray percentDecode(QByteArrayView in, bool *ok);

} // namespace qsqld::http
