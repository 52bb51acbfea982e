#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <iterator>

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
  w.begin_object()
      .field("a", 1)
      .field("b", 0.1)
      .key("c")
      .begin_array()
      .value("x")
      .null()
      .value(true)
      .end_array();
  w.field("nan", std::nan("")).end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":0.1,"c":["x",null,true],"nan":null})");
  simdjson::dom::parser p;
  simdjson::dom::element e;
  ASSERT_EQ(p.parse(w.str()).get(e), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(double(e["b"]), 0.1);
}

// The word-at-a-time escaper against a byte-by-byte one, on random strings that put every
// special byte at every offset of an 8-byte word.
TEST(JsonWriter, FastEscapingEqualsTheByteByByteDefinition) {
  const std::string alphabet[] = {"a",  "Z",    " ",    "\"",   "\\",       "\n",
                                  "\t", "\x01", "\x1f", "\x7f", "\xC3\xA9", "\xF0\x9F\x98\x80",
                                  "~",  "/"};
  std::uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state >> 33);
  };
  for (int round = 0; round < 2000; ++round) {
    std::string in;
    const std::size_t n = next() % 40;
    for (std::size_t i = 0; i < n; ++i) {
      in += alphabet[next() % std::size(alphabet)];
      // Every other round: plain runs of up to 40 bytes between the special characters, so
      // that the 16- and 8-byte scans meet them at every offset.
      if (round % 2) in.append(next() % 41, "abcdefghijklmnopqrstuvwxyz"[next() % 26]);
    }
    std::string expected = "\"";
    for (unsigned char c : in) {
      if (c == '"')
        expected += "\\\"";
      else if (c == '\\')
        expected += "\\\\";
      else if (c == '\n')
        expected += "\\n";
      else if (c == '\t')
        expected += "\\t";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        expected += buf;
      } else
        expected.push_back(static_cast<char>(c));
    }
    expected += "\"";
    std::string out;
    append_string(out, in);
    ASSERT_EQ(out, expected) << round;
  }
}

TEST(JsonWriter, NumbersRoundTrip) {
  std::string out;
  append_number(out, 0.9823296069239091);
  EXPECT_EQ(out, "0.9823296069239091");
}

}  // namespace
}  // namespace emosweep::json

namespace emosweep::json {
namespace {

TEST(JsonWriter, LiteralKeysAreWrittenLikeEscapedOnes) {
  Writer literal;
  literal.begin_object();
  literal.field("model", "m\"1");
  literal.key("masks").begin_array().begin_object();
  literal.field("f1", 0.5).field("agree", 4);
  literal.end_object().end_array();
  literal.key("empty").null();
  literal.end_object();

  const std::string model = "model", masks = "masks", f1 = "f1", agree = "agree", empty = "empty";
  Writer runtime;
  runtime.begin_object();
  runtime.field(std::string_view(model), "m\"1");
  runtime.key(std::string_view(masks)).begin_array().begin_object();
  runtime.field(std::string_view(f1), 0.5).field(std::string_view(agree), 4);
  runtime.end_object().end_array();
  runtime.key(std::string_view(empty)).null();
  runtime.end_object();

  EXPECT_EQ(literal.str(), runtime.str());
  EXPECT_EQ(literal.str(), R"({"model":"m\"1","masks":[{"f1":0.5,"agree":4}],"empty":null})");
}

}  // namespace
}  // namespace emosweep::json
