#include "jsonencode.h"

namespace qsqld::hrana {

void writeValue(util::JsonWriter &w, const Value &v)
{
    w.beginObject();
    w.key("type");
    switch (v.type) {
    case Value::Type::Null:
        w.string("null");
        break;
    case Value::Type::Integer:
        w.string("integer");
        w.key("value");
        w.string(QByteArray::number(v.integer));
        break;
    case Value::Type::Float:
        w.string("float");
        w.key("value");
        w.number(v.real);
        break;
    case Value::Type::Text:
        w.string("text");
        w.key("value");
        w.string(v.bytes);
        break;
    case Value::Type::Blob:
        w.string("blob");
        w.key("base64");
        w.string(util::base64NoPad(v.bytes));
        break;
    }
    w.endObject();
}

void writeCols(util::JsonWriter &w, const std::vector<Column> &cols)
{
    w.beginArray();
    for (const Column &c : cols) {
        w.beginObject();
        w.key("name");
        w.string(c.name);
        w.key("decltype");
        if (c.decltype_)
            w.string(*c.decltype_);
        else
            w.null();
        w.endObject();
    }
    w.endArray();
}

void writeError(util::JsonWriter &w, const Error &e)
{
    w.beginObject();
    w.key("message");
    w.string(e.message);
    w.key("code");
    w.string(e.code);
    w.endObject();
}

void writeStmtResult(util::JsonWriter &w, const StmtResult &r)
{
    w.beginObject();
    w.key("cols");
    writeCols(w, r.cols);
    w.key("rows");
    w.beginArray();
    for (const auto &row : r.rows) {
        w.beginArray();
        for (const Value &v : row)
            writeValue(w, v);
        w.endArray();
    }
    w.endArray();
    w.key("affected_row_count");
    w.unsignedInteger(r.affectedRowCount);
    w.key("last_insert_rowid");
    if (r.lastInsertRowid)
        w.string(QByteArray::number(*r.lastInsertRowid));
    else
        w.null();
    w.key("replication_index");
    w.null();
    w.key("rows_read");
    w.unsignedInteger(r.rowsRead);
    w.key("rows_written");
    w.unsignedInteger(r.rowsWritten);
    w.key("query_duration_ms");
    w.number(r.queryDurationMs);
    w.endObject();
}

void writeBatchResult(util::JsonWriter &w, const BatchResult &r)
{
    w.beginObject();
    w.key("step_results");
    w.beginArray();
    for (const auto &res : r.stepResults) {
        if (res)
            writeStmtResult(w, *res);
        else
            w.null();
    }
    w.endArray();
    w.key("step_errors");
    w.beginArray();
    for (const auto &err : r.stepErrors) {
        if (err)
            writeError(w, *err);
        else
            w.null();
    }
    w.endArray();
    w.key("replication_index");
    w.null();
    w.endObject();
}

void writeDescribeResult(util::JsonWriter &w, const DescribeResult &r)
{
    w.beginObject();
    w.key("params");
    w.beginArray();
    for (const auto &p : r.params) {
        w.beginObject();
        w.key("name");
        if (p)
            w.string(*p);
        else
            w.null();
        w.endObject();
    }
    w.endArray();
    w.key("cols");
    writeCols(w, r.cols);
    w.key("is_explain");
    w.boolean(r.isExplain);
    w.key("is_readonly");
    w.boolean(r.isReadonly);
    w.endObject();
}

QByteArray errorJson(const Error &e)
{
    util::JsonWriter w(64 + e.message.size());
    writeError(w, e);
    return w.take();
}

} // namespace qsqld::hrana
