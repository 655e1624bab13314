#include "resultencoder.h"

#include "jsonencode.h"
#include "protobufcodec.h"

namespace qsqld::hrana {

namespace {

const Error STREAM_EXPIRED{"The stream has expired due to inactivity", "STREAM_EXPIRED"};

class JsonEncoder final : public ResultEncoder
{
public:
    void close() override { ok("close"); }
    void execute(const StmtResult &r) override
    {
        ok("execute", [&r](util::JsonWriter &w) {
            w.key("result");
            writeStmtResult(w, r);
        });
    }
    void batch(const BatchResult &r) override
    {
        ok("batch", [&r](util::JsonWriter &w) {
            w.key("result");
            writeBatchResult(w, r);
        });
    }
    void sequence() override { ok("sequence"); }
    void describe(const DescribeResult &r) override
    {
        ok("describe", [&r](util::JsonWriter &w) {
            w.key("result");
            writeDescribeResult(w, r);
        });
    }
    void storeSql() override { ok("store_sql"); }
    void closeSql() override { ok("close_sql"); }
    void getAutocommit(bool isAutocommit) override
    {
        ok("get_autocommit", [isAutocommit](util::JsonWriter &w) {
            w.key("is_autocommit");
            w.boolean(isAutocommit);
        });
    }
    void error(const Error &e) override
    {
        util::JsonWriter w;
        w.beginObject();
        w.key("type"); w.string("error");
        w.key("error"); writeError(w, e);
        w.endObject();
        m_results.push_back(w.take());
    }

    void stepBegin(size_t step, const std::vector<Column> &cols) override
    {
        line([&](util::JsonWriter &w) {
            w.key("type"); w.string("step_begin");
            w.key("step"); w.unsignedInteger(step);
            w.key("cols"); writeCols(w, cols);
        });
    }
    void row(const std::vector<Value> &row) override
    {
        line([&](util::JsonWriter &w) {
            w.key("type"); w.string("row");
            w.key("row");
            w.beginArray();
            for (const Value &v : row)
                writeValue(w, v);
            w.endArray();
        });
    }
    void stepEnd(quint64 affected, std::optional<qint64> lastInsertRowid) override
    {
        line([&](util::JsonWriter &w) {
            w.key("type"); w.string("step_end");
            w.key("affected_row_count"); w.unsignedInteger(affected);
            w.key("last_insert_rowid"); // a string, as in StmtResult (sqld sends a number: spec §5)
            if (lastInsertRowid)
                w.string(QByteArray::number(*lastInsertRowid));
            else
                w.null();
        });
    }
    void stepError(size_t step, const Error &e) override
    {
        line([&](util::JsonWriter &w) {
            w.key("type"); w.string("step_error");
            w.key("step"); w.unsignedInteger(step);
            w.key("error"); writeError(w, e);
        });
    }
    void cursorError(const Error &e) override
    {
        line([&](util::JsonWriter &w) {
            w.key("type"); w.string("error");
            w.key("error"); writeError(w, e);
        });
    }

    http::Response finishPipeline(const std::optional<QByteArray> &baton,
                                  const std::optional<QByteArray> &baseUrl) override
    {
        util::JsonWriter w(256);
        header(w, baton, baseUrl);
        w.key("results");
        w.beginArray();
        for (const QByteArray &r : m_results)
            w.raw(r);
        w.endArray();
        w.endObject();
        return http::Response::json(200, w.take());
    }
    http::Response finishCursor(const std::optional<QByteArray> &baton,
                                const std::optional<QByteArray> &baseUrl) override
    {
        util::JsonWriter w(256);
        header(w, baton, baseUrl);
        w.endObject();
        w.buffer().append('\n');
        w.buffer().append(m_lines);
        return http::Response::text(200, w.take());
    }
    http::Response streamExpired() override { return http::Response::json(400, errorJson(STREAM_EXPIRED)); }
    std::vector<QByteArray> takeResults() override
    {
        if (!m_lines.isEmpty())
            return {std::move(m_lines)};
        return std::move(m_results);
    }

private:
    template<typename Body = std::nullptr_t>
    void ok(const char *type, Body body = nullptr)
    {
        util::JsonWriter w;
        w.beginObject();
        w.key("type"); w.string("ok");
        w.key("response");
        w.beginObject();
        w.key("type"); w.string(type);
        if constexpr (!std::is_same_v<Body, std::nullptr_t>)
            body(w);
        w.endObject();
        w.endObject();
        m_results.push_back(w.take());
    }
    template<typename Body>
    void line(Body body)
    {
        util::JsonWriter w;
        w.beginObject();
        body(w);
        w.endObject();
        m_lines += w.buffer();
        m_lines += '\n';
    }
    static void header(util::JsonWriter &w, const std::optional<QByteArray> &baton,
                       const std::optional<QByteArray> &baseUrl)
    {
        w.beginObject();
        w.key("baton");
        if (baton)
            w.string(*baton);
        else
            w.null();
        w.key("base_url");
        if (baseUrl)
            w.string(*baseUrl);
        else
            w.null();
    }

    std::vector<QByteArray> m_results;
    QByteArray m_lines;
};

class ProtobufEncoder final : public ResultEncoder
{
public:
    void close() override { m_pipeline.addClose(); }
    void execute(const StmtResult &r) override { m_pipeline.addExecute(r); }
    void batch(const BatchResult &r) override { m_pipeline.addBatch(r); }
    void sequence() override { m_pipeline.addSequence(); }
    void describe(const DescribeResult &r) override { m_pipeline.addDescribe(r); }
    void storeSql() override { m_pipeline.addStoreSql(); }
    void closeSql() override { m_pipeline.addCloseSql(); }
    void getAutocommit(bool isAutocommit) override { m_pipeline.addGetAutocommit(isAutocommit); }
    void error(const Error &e) override { m_pipeline.addError(e); }

    void stepBegin(size_t step, const std::vector<Column> &cols) override
    {
        m_entries += encodeCursorStepBeginProto(static_cast<quint32>(step), cols);
    }
    void row(const std::vector<Value> &row) override { m_entries += encodeCursorRowProto(row); }
    void stepEnd(quint64 affected, std::optional<qint64> lastInsertRowid) override
    {
        m_entries += encodeCursorStepEndProto(affected, lastInsertRowid);
    }
    void stepError(size_t step, const Error &e) override
    {
        m_entries += encodeCursorStepErrorProto(static_cast<quint32>(step), e);
    }
    void cursorError(const Error &e) override { m_entries += encodeCursorErrorProto(e); }

    http::Response finishPipeline(const std::optional<QByteArray> &baton,
                                  const std::optional<QByteArray> &baseUrl) override
    {
        return http::Response{200, "application/x-protobuf", m_pipeline.finish(baton, baseUrl), {}, false};
    }
    http::Response finishCursor(const std::optional<QByteArray> &baton,
                                const std::optional<QByteArray> &baseUrl) override
    {
        return http::Response{200, "application/octet-stream", encodeCursorRespBodyProto(baton, baseUrl) + m_entries,
                              {}, false};
    }
    http::Response streamExpired() override
    {
        return http::Response{400, "application/x-protobuf", encodeErrorProto(STREAM_EXPIRED), {}, false};
    }
    std::vector<QByteArray> takeResults() override
    {
        if (!m_entries.isEmpty())
            return {std::move(m_entries)};
        return m_pipeline.takeEach();
    }

private:
    PipelineRespProtoBuilder m_pipeline;
    QByteArray m_entries;
};

} // namespace

std::unique_ptr<ResultEncoder> makeEncoder(Encoding encoding)
{
    if (encoding == Encoding::Protobuf)
        return std::make_unique<ProtobufEncoder>();
    return std::make_unique<JsonEncoder>();
}

} // namespace qsqld::hrana
