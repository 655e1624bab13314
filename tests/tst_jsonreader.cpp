// util::JsonDocument, the reader of Hrana JSON bodies: values as RFC 8259 defines them, strings as UTF-8 (escapes,
// surrogate pairs), numbers as the nearest double, and every malformed input refused with what and where.

#include "util/jsonreader.h"

#include <QTest>

#include <cmath>

using qsqld::util::JsonDocument;
using qsqld::util::JsonValue;
using namespace Qt::StringLiterals;

class TestJsonReader : public QObject
{
    Q_OBJECT

private slots:
    void values()
    {
        JsonDocument doc;
        QByteArray error;
        QVERIFY2(doc.parse(" {\"s\":\"plain\", \"e\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\","
                           "\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"n\":[0,-0,1.5,-2e3,1E+2,12345678901234567890,"
                           "1e-400,-1e-400,0.000001e-330], \"t\":true,\"f\":false,\"z\":null,\"o\":{},\"a\":[]}\r\n"_ba,
                           &error),
                 error.constData());
        const JsonValue &r = doc.root();
        QVERIFY(r.isObject());
        QCOMPARE(r.value("s").toByteArray(), "plain"_ba);
        QCOMPARE(r.value("e").toByteArray(), "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"_ba);
        QCOMPARE(r.value("u").toByteArray(), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"_ba);
        const auto n = r.value("n").array();
        QCOMPARE(n.size(), size_t(9));
        QCOMPARE(n[0].toDouble(-1), 0.0);
        QVERIFY(std::signbit(n[1].toDouble()));
        QCOMPARE(n[2].toDouble(), 1.5);
        QCOMPARE(n[3].toDouble(), -2000.0);
        QCOMPARE(n[4].toDouble(), 100.0);
        QCOMPARE(n[5].toDouble(), 12345678901234567890.0);
        QCOMPARE(n[6].toDouble(-1), 0.0); // below the smallest double: zero, as serde_json
        QVERIFY(std::signbit(n[7].toDouble()));
        QCOMPARE(n[8].toDouble(-1), 0.0);
        QVERIFY(r.value("t").toBool() && r.value("t").isBool());
        QVERIFY(!r.value("f").toBool(true));
        QVERIFY(r.value("z").isNull());
        QVERIFY(r.value("o").isObject() && r.value("o").members().empty());
        QVERIFY(r.value("a").isArray() && r.value("a").array().empty());
        QVERIFY(r.value("missing").isUndefined());
        QVERIFY(!r.contains("missing") && r.contains("z"));
        // Lookups on the wrong type are undefined, not errors.
        QVERIFY(r.value("s").value("x").isUndefined());
        QVERIFY(r.value("s").array().empty());
        QCOMPARE(r.value("n").string(), std::string_view());
    }

    void repeatedKeysLastWins()
    {
        JsonDocument doc;
        QByteArray error;
        QVERIFY(doc.parse(R"({"sql":"first","sql":"second"})"_ba, &error));
        QCOMPARE(doc.root().value("sql").toByteArray(), "second"_ba);
    }

    void toInt_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<int>("expected");
        QTest::newRow("int") << "[42]"_ba << 42;
        QTest::newRow("whole float") << "[7.0]"_ba << 7;
        QTest::newRow("negative") << "[-2147483648]"_ba << int(-2147483647 - 1);
        QTest::newRow("fraction") << "[1.5]"_ba << -1;
        QTest::newRow("too big") << "[2147483648]"_ba << -1;
        QTest::newRow("string") << "[\"5\"]"_ba << -1;
        QTest::newRow("null") << "[null]"_ba << -1;
    }
    void toInt()
    {
        QFETCH(QByteArray, json);
        QFETCH(int, expected);
        JsonDocument doc;
        QByteArray error;
        QVERIFY(doc.parse(json, &error));
        QCOMPARE(doc.root().array()[0].toInt(-1), expected);
    }

    void refusals_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QByteArray>("error");
        const auto row = [](const char *name, const QByteArray &json, const char *error) {
            QTest::newRow(name) << json << QByteArray(error);
        };
        row("empty", "", "unexpected end of the document at offset 0");
        row("spaces only", "  \n", "unexpected end of the document at offset 3");
        row("garbage after", "{} x", "garbage at the end of the document at offset 3");
        row("two documents", "{}{}", "garbage at the end of the document at offset 2");
        row("single quotes", "{'a':1}", "expected a member name at offset 1");
        row("trailing comma in object", "{\"a\":1,}", "expected a member name at offset 7");
        row("trailing comma in array", "[1,]", "illegal value at offset 3");
        row("missing colon", "{\"a\" 1}", "missing name separator at offset 5");
        row("missing comma", "[1 2]", "missing value separator at offset 3");
        row("unterminated object", "{\"a\":1", "unterminated object at offset 6");
        row("unterminated array", "[1", "unterminated array at offset 2");
        row("unterminated string", "[\"abc", "unterminated string at offset 5");
        row("unterminated escaped string", "[\"a\\n", "unterminated string at offset 5");
        row("control character", "[\"a\nb\"]", "control character in string at offset 3");
        row("bad escape", "[\"\\x\"]", "invalid escape sequence at offset 3");
        row("short unicode escape", "[\"\\u12\"]", "invalid escape sequence at offset 4");
        row("lone high surrogate", "[\"\\ud800\"]", "lone surrogate in escape sequence at offset 8");
        row("lone low surrogate", "[\"\\udc00\"]", "lone surrogate in escape sequence at offset 8");
        row("high then not low", "[\"\\ud800\\u0041\"]", "lone surrogate in escape sequence at offset 14");
        row("overlong UTF-8", "[\"\xc0\xaf\"]", "invalid UTF-8 in string at offset 2");
        row("UTF-8 surrogate", "[\"\xed\xa0\x80\"]", "invalid UTF-8 in string at offset 2");
        row("above U+10FFFF", "[\"\xf4\x90\x80\x80\"]", "invalid UTF-8 in string at offset 2");
        row("truncated UTF-8", "[\"\xe2\x82\"]", "invalid UTF-8 in string at offset 2");
        row("stray continuation byte", "[\"\x80\"]", "invalid UTF-8 in string at offset 2");
        row("leading zero", "[01]", "missing value separator at offset 2");
        row("bare minus", "[-]", "illegal number at offset 2");
        row("plus sign", "[+1]", "illegal value at offset 1");
        row("leading dot", "[.5]", "illegal value at offset 1");
        row("dot without digits", "[1.]", "illegal number at offset 3");
        row("exponent without digits", "[1e]", "illegal number at offset 3");
        row("too large", "[1e400]", "number out of range at offset 1");
        row("too large by digits", "[" + QByteArray(400, '9') + "]", "number out of range at offset 1");
        row("NaN", "[NaN]", "illegal value at offset 1");
        row("true misspelt", "[tru]", "illegal value at offset 1");
        row("too deep", QByteArray(JsonDocument::MAX_DEPTH + 1, '[') + QByteArray(JsonDocument::MAX_DEPTH + 1, ']'),
            "nested too deeply at offset 512");
    }
    void refusals()
    {
        QFETCH(QByteArray, json);
        QFETCH(QByteArray, error);
        JsonDocument doc;
        QByteArray actual;
        QVERIFY(!doc.parse(json, &actual));
        QCOMPARE(actual, error);
        QVERIFY(doc.root().isUndefined());
    }

    void deepButAllowed()
    {
        JsonDocument doc;
        QByteArray error;
        const int depth = JsonDocument::MAX_DEPTH;
        QVERIFY2(doc.parse(QByteArray(depth, '[') + QByteArray(depth, ']'), &error), error.constData());
    }

    // Containers nested among siblings keep their own elements (each container's run moves out as it closes).
    void manyAndNestedValues()
    {
        QByteArray big = "{\"a\":[";
        for (int i = 0; i < 200'000; ++i)
            big += "[" + QByteArray::number(i) + ",{\"k\":\"v" + QByteArray::number(i) + "\"}],";
        big += "[]],\"b\":{\"x\":[1,[2,[3]]],\"y\":true}}";
        JsonDocument doc;
        QByteArray error;
        QVERIFY2(doc.parse(big, &error), error.constData());
        const auto a = doc.root().value("a").array();
        QCOMPARE(a.size(), size_t(200'001));
        for (const int i : {0, 1, 99'999, 199'999}) {
            QCOMPARE(a[size_t(i)].array()[0].toInt(-1), i);
            QCOMPARE(a[size_t(i)].array()[1].value("k").toByteArray(), "v" + QByteArray::number(i));
        }
        QVERIFY(a.back().isArray() && a.back().array().empty());
        const JsonValue &x = doc.root().value("b").value("x");
        QCOMPARE(x.array()[1].array()[1].array()[0].toDouble(), 3.0);
        QVERIFY(doc.root().value("b").value("y").toBool());
        QCOMPARE(doc.root().members().size(), size_t(2));
    }

    // Views stay valid after the caller's array is gone: the document keeps its own reference.
    void outlivesTheCallersBytes()
    {
        JsonDocument doc;
        QByteArray error;
        {
            QByteArray body = R"({"sql":"SELECT 1","x":"esc\n"})"_ba;
            QVERIFY(doc.parse(body, &error));
            body.fill('#'); // detaches: the document's copy is untouched
        }
        QCOMPARE(doc.root().value("sql").toByteArray(), "SELECT 1"_ba);
        QCOMPARE(doc.root().value("x").toByteArray(), "esc\n"_ba);
    }
};

QTEST_GUILESS_MAIN(TestJsonReader)
#include "tst_jsonreader.moc"
