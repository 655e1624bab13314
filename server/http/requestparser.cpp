#include "requestparser.h"

namespace qsqld::http {

namespace {

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u >= 127 || c == ':' || c == '(' || c == ')' || c == ',' || c == '"' || c == '/')
            return false;
    }
    return true;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

QByteArray percentDecode(QByteArrayView in, bool *ok)
{
    QByteArray out;
    out.reserve(in.size());
    *ok = true;
    for (qsizetype i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.append(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) {
            *ok = false;
            return {};
        }
        const int hi = hexValue(in[i + 1]);
        const int lo = hexValue(in[i + 2]);
        if (hi < 0 || lo < 0) {
            *ok = false;
            return {};
        }
        out.append(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

RequestParser::State RequestParser::fail(int status, const char *text)
{
    m_errorStatus = status;
    m_errorText = text;
    m_state = State::Failed;
    return m_state;
}

bool RequestParser::parseHead(const QByteArray &head)
{
    const QList<QByteArray> lines = head.split('\n');
    QByteArray requestLine = lines.value(0);
    if (requestLine.endsWith('\r'))
        requestLine.chop(1);
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || !isToken(parts[0]) || parts[1].isEmpty()) {
        fail(400, "Malformed request line");
        return false;
    }
    m_req.method = parts[0];
    m_req.target = parts[1];
    if (parts[2] == "HTTP/1.1") {
        m_req.minorVersion = 1;
    } else if (parts[2] == "HTTP/1.0") {
        m_req.minorVersion = 0;
    } else {
        fail(505, "HTTP version not supported");
        return false;
    }
    const qsizetype q = m_req.target.indexOf('?');
    const QByteArray rawPath = q < 0 ? m_req.target : m_req.target.left(q);
    m_req.query = q < 0 ? QByteArray() : m_req.target.mid(q + 1);
    bool ok = true;
    m_req.path = percentDecode(rawPath, &ok);
    if (!ok || !m_req.path.startsWith('/')) {
        fail(400, "Invalid path in request target");
        return false;
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            continue;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isToken(QByteArrayView(line).first(colon))) {
            fail(400, "Malformed header line");
            return false;
        }
        m_req.headers.append({line.left(colon).toLower(), line.mid(colon + 1).trimmed()});
    }
    const QByteArray connection = m_req.header("connection").toLower();
    m_req.keepAlive = m_req.minorVersion == 1 ? !connection.contains("close") : connection.contains("keep-alive");
    m_expectContinue = m_req.header("expect").toLower() == "100-continue";

    const QByteArray te = m_req.header("transfer-encoding").toLower();
    const bool hasLength = m_req.hasHeader("content-length");
    if (!te.isEmpty()) {
        if (te != "chunked") {
            fail(501, "Unsupported Transfer-Encoding");
            return false;
        }
        if (hasLength) {
            fail(400, "Both Content-Length and Transfer-Encoding given");
            return false;
        }
        m_state = State::ChunkSize;
        return true;
    }
    if (hasLength) {
        const QByteArray text = m_req.header("content-length");
        bool okLen = false;
        const qint64 len = text.toLongLong(&okLen);
        if (!okLen || len < 0 || text.contains('+') || text.contains('-')) {
            fail(400, "Invalid Content-Length");
            return false;
        }
        if (len > m_maxBody) {
            fail(413, "Request body too large");
            return false;
        }
        m_remaining = len;
        m_req.body.reserve(len);
        m_state = len > 0 ? State::Body : State::Complete;
        return true;
    }
    m_state = State::Complete;
    return true;
}

bool RequestParser::consumeBody(QByteArray &buffer)
{
    const qsizetype n = std::min<qsizetype>(m_remaining, buffer.size());
    m_req.body.append(buffer.constData(), n);
    buffer.remove(0, n);
    m_remaining -= n;
    return m_remaining == 0;
}

RequestParser::State RequestParser::feed(QByteArray &buffer)
{
    for (;;) {
        switch (m_state) {
        case State::Idle:
            // Tolerate stray CRLFs between pipelined requests (RFC 9112 §2.2), also when the LF is still to come.
            while (buffer.startsWith("\r\n"))
                buffer.remove(0, 2);
            if (buffer.isEmpty() || buffer == "\r")
                return m_state;
            m_state = State::Headers;
            m_req = Request();
            [[fallthrough]];
        case State::Headers: {
            // The head ends at the first empty line: CRLF CRLF, or LF LF from a client that ends lines with LF only.
            qsizetype end = buffer.indexOf("\r\n\r\n");
            qsizetype sep = 4;
            if (const qsizetype lf = buffer.indexOf("\n\n"); lf >= 0 && (end < 0 || lf < end)) {
                end = lf;
                sep = 2;
            }
            if (end < 0) {
                // The last 3 bytes may start the terminator: the verdict must not depend on how the bytes arrive.
                if (buffer.size() - 3 > m_maxHeader)
                    return fail(431, "Request header fields too large");
                return m_state;
            }
            if (end > m_maxHeader)
                return fail(431, "Request header fields too large");
            const QByteArray head = buffer.left(end);
            buffer.remove(0, end + sep);
            if (!parseHead(head))
                return m_state;
            break;
        }
        case State::Body:
            if (!consumeBody(buffer))
                return m_state;
            m_state = State::Complete;
            break;
        case State::ChunkSize: {
            const qsizetype eol = buffer.indexOf('\n');
            if ((eol < 0 ? buffer.size() : eol) > 1024) // the line so far: the same verdict however the bytes arrive
                return fail(400, "Malformed chunk size");
            if (eol < 0)
                return m_state;
            QByteArray line = buffer.left(eol).trimmed();
            buffer.remove(0, eol + 1);
            const qsizetype semi = line.indexOf(';');
            if (semi >= 0)
                line.truncate(semi);
            bool ok = false;
            const qint64 size = line.trimmed().toLongLong(&ok, 16);
            if (!ok || size < 0)
                return fail(400, "Malformed chunk size");
            if (m_req.body.size() + size > m_maxBody)
                return fail(413, "Request body too large");
            m_remaining = size;
            m_state = size == 0 ? State::Trailers : State::ChunkData;
            break;
        }
        case State::ChunkData:
            if (!consumeBody(buffer))
                return m_state;
            m_state = State::ChunkDataEnd;
            break;
        case State::ChunkDataEnd: {
            if (buffer.size() < 2 && !buffer.startsWith('\n'))
                return m_state;
            if (buffer.startsWith("\r\n"))
                buffer.remove(0, 2);
            else if (buffer.startsWith('\n'))
                buffer.remove(0, 1);
            else
                return fail(400, "Malformed chunk terminator");
            m_state = State::ChunkSize;
            break;
        }
        case State::Trailers: {
            // Trailer fields are read and ignored, up to the empty line.
            const qsizetype eol = buffer.indexOf('\n');
            if ((eol < 0 ? buffer.size() : eol) > m_maxHeader)
                return fail(431, "Request trailer fields too large");
            if (eol < 0)
                return m_state;
            const QByteArray line = buffer.left(eol).trimmed();
            buffer.remove(0, eol + 1);
            if (line.isEmpty())
                m_state = State::Complete;
            break;
        }
        case State::Complete:
        case State::Failed:
            return m_state;
        }
    }
}

Request RequestParser::takeRequest()
{
    m_state = State::Idle;
    m_expectContinue = false;
    return std::move(m_req);
}

} // namespace qsqld::http
