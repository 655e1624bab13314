#pragma once

// Process-wide account of response bytes built but not yet written to a socket (--max-total-response-size).
// Workers charge it when they build a response body; connections release it once the bytes are written or the
// client is gone. Thread-safe (atomics only).

#include <QtGlobal>

#include <atomic>

namespace qsqld::util {

class ResponseBudget
{
public:
    explicit ResponseBudget(qint64 limit) : m_limit(limit) { }

    // Whether `more` bytes would still fit beside what is in flight.
    bool fits(qint64 more) const { return m_used.load(std::memory_order_relaxed) + more <= m_limit; }
    void charge(qint64 bytes) { m_used.fetch_add(bytes, std::memory_order_relaxed); }
    void release(qint64 bytes) { m_used.fetch_sub(bytes, std::memory_order_relaxed); }
    qint64 used() const { return m_used.load(std::memory_order_relaxed); }

private:
    const qint64 m_limit;
    std::atomic<qint64> m_used{0};
};

} // namespace qsqld::util
