#include <gtest/gtest.h>

#include <cmath>

#include <simdjson.h>

#include "core/json.hpp"

namespace emosweep::json {
namespace {

TEST(JsonWriter, EscapesEveryString) {
  std::string out;
  append_string(out, "q\"b\\n\n\t\x01 \xF0\x9F\x98\x80");
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\n\\t\\u0001 \xF0\x9F\x98\x80\"");
}

TEST(JsonWriter, InvalidUtf8IsRepairedNeverSentBroken) {
  std::string out;
  append_string(out, "bad\xFF");
  EXPECT_EQ(out, "\"bad\xEF\xBF\xBD\"");
  simdjson::dom::parser p;
  simdjson::dom::element e;
  ASSERT_EQ(p.parse(out).get(e), simdjson::SUCCESS);
}

TEST(JsonWriter, NestedStructureParsesBack) {
  Writer w;
  w.begin_object().field("a", 1).field("b", 0.1).key("c").begin_array().value("x").null().value(true).end_array();
  w.field("nan", std::nan("")).end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":0.1,"c":["x",null,true],"nan":null})");
  simdjson::dom::parser p;
  simdjson::dom::element e;
  ASSERT_EQ(p.parse(w.str()).get(e), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(double(e["b"]), 0.1);
}

TEST(JsonWriter, NumbersRoundTrip) {
  std::string out;
  append_number(out, 0.9823296069239091);
  EXPECT_EQ(out, "0.9823296069239091");
}

}  // namespace
}  // namespace emosweep::json
