// Cache-key properties (issue 4): everything that changes an answer changes the key; spellings
// of the same endpoint and the API key do not.
#include <cctype>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cache/key.hpp"
#include "core/error.hpp"

namespace emosweep::cache {
namespace {

using providers::Dialect;
using providers::Message;

RequestIdentity base_identity() {
  RequestIdentity id;
  id.dialect = Dialect::openai;
  id.base_url = "https://api.openai.com/v1";
  id.request.model = "gpt-4o-2024-08-06";
  id.request.system = "You are a careful annotator.";
  id.request.messages = {{"user", "Predict the 1 <mask> token(s).\n\nText:\nI felt <mask>."},
                         {"assistant", "['happy']"},
                         {"user", "Again: I was <mask>."}};
  id.request.params.temperature = 0.0;
  id.request.params.max_tokens = 256;
  id.template_version = "express-zero-shot@1";
  id.repeat = 0;
  return id;
}

std::string hex(const RequestIdentity& id) {
  return key_to_hex(cache_key(id));
}

struct Mutation {
  const char* name;
  std::function<void(RequestIdentity&)> apply;
};

TEST(CacheKey, IsSha256OfTheCanonicalEncoding) {
  const auto id = base_identity();
  EXPECT_EQ(cache_key(id), hash::sha256(canonical_encoding(id)));
  EXPECT_EQ(hex(id).size(), 64u);
  EXPECT_TRUE(canonical_encoding(id).starts_with(std::string(kKeyEncodingVersion) + "\n"));
}

TEST(CacheKey, IsStableAcrossBuilds) {
  // Pinned (and reproduced independently with a few lines of Python's hashlib): a change here
  // means every user's cache is silently invalidated. If the encoding must change, bump
  // kKeyEncodingVersion and update this value on purpose.
  EXPECT_EQ(hex(base_identity()),
            "fa217b97b774ae404c0557af0da368ec52a6214de6105b83d813f069ee035acd");
}

TEST(CacheKey, EveryAnswerChangingFieldChangesTheKey) {
  const std::vector<Mutation> mutations = {
      {"model", [](auto& id) { id.request.model = "gpt-4o-mini"; }},
      {"model case", [](auto& id) { id.request.model = "GPT-4o-2024-08-06"; }},
      {"temperature absent", [](auto& id) { id.request.params.temperature.reset(); }},
      {"temperature 1e-7", [](auto& id) { id.request.params.temperature = 0.0000001; }},
      {"temperature 0.7", [](auto& id) { id.request.params.temperature = 0.7; }},
      {"max_tokens 255", [](auto& id) { id.request.params.max_tokens = 255; }},
      {"max_tokens absent", [](auto& id) { id.request.params.max_tokens.reset(); }},
      {"top_p 1", [](auto& id) { id.request.params.top_p = 1.0; }},
      {"top_p 0.9", [](auto& id) { id.request.params.top_p = 0.9; }},
      {"seed 0", [](auto& id) { id.request.params.seed = 0; }},
      {"seed 42", [](auto& id) { id.request.params.seed = 42; }},
      {"stop a,b",
       [](auto& id) {
         id.request.params.stop = {"a", "b"};
       }},
      {"stop b,a",
       [](auto& id) {
         id.request.params.stop = {"b", "a"};
       }},
      {"stop a", [](auto& id) { id.request.params.stop = {"a"}; }},
      {"stop empty string", [](auto& id) { id.request.params.stop = {""}; }},
      {"stop 'a,b'", [](auto& id) { id.request.params.stop = {"a,b"}; }},
      {"system prompt", [](auto& id) { id.request.system = "You are a careless annotator."; }},
      {"no system prompt", [](auto& id) { id.request.system.clear(); }},
      {"message text", [](auto& id) { id.request.messages[0].content += " "; }},
      {"last message text", [](auto& id) { id.request.messages[2].content = "Again: <mask>."; }},
      {"message role", [](auto& id) { id.request.messages[1].role = "user"; }},
      {"extra message",
       [](auto& id) {
         id.request.messages.push_back({"user", ""});
       }},
      {"one message less", [](auto& id) { id.request.messages.pop_back(); }},
      {"message order",
       [](auto& id) { std::swap(id.request.messages[0], id.request.messages[2]); }},
      {"template version", [](auto& id) { id.template_version = "express-zero-shot@2"; }},
      {"base url path", [](auto& id) { id.base_url = "https://api.openai.com/v2"; }},
      {"base url host", [](auto& id) { id.base_url = "https://api.groq.com/v1"; }},
      {"base url scheme", [](auto& id) { id.base_url = "http://api.openai.com/v1"; }},
      {"base url port", [](auto& id) { id.base_url = "https://api.openai.com:8443/v1"; }},
      {"base url path case", [](auto& id) { id.base_url = "https://api.openai.com/V1"; }},
      {"dialect azure", [](auto& id) { id.dialect = Dialect::azure; }},
      {"dialect anthropic", [](auto& id) { id.dialect = Dialect::anthropic; }},
      {"dialect gemini", [](auto& id) { id.dialect = Dialect::gemini; }},
      {"api version", [](auto& id) { id.api_version = "2024-06-01"; }},
      {"repeat 1", [](auto& id) { id.repeat = 1; }},
      {"repeat 2", [](auto& id) { id.repeat = 2; }},
  };
  const std::string original = hex(base_identity());
  std::set<std::string> seen = {original};
  for (const auto& m : mutations) {
    auto id = base_identity();
    m.apply(id);
    const std::string key = hex(id);
    EXPECT_NE(key, original) << m.name;
    // Every mutation also differs from every other: no two distinct identities collide.
    EXPECT_TRUE(seen.insert(key).second) << m.name << " collides with an earlier mutation";
  }
}

TEST(CacheKey, TemperatureZeroAbsentAndTinyAreThreeKeys) {
  auto zero = base_identity();
  auto absent = base_identity();
  absent.request.params.temperature.reset();
  auto tiny = base_identity();
  tiny.request.params.temperature = 0.0000001;
  EXPECT_NE(hex(zero), hex(absent));
  EXPECT_NE(hex(zero), hex(tiny));
  EXPECT_NE(hex(absent), hex(tiny));
  // Doubles are spelled exactly: two values one ulp apart differ.
  auto a = base_identity();
  a.request.params.top_p = 0.1;
  auto b = base_identity();
  b.request.params.top_p = std::nextafter(0.1, 1.0);
  EXPECT_NE(hex(a), hex(b));
}

TEST(CacheKey, FieldBoundariesAreUnambiguous) {
  // Moving bytes from one field to the next must change the key.
  auto a = base_identity();
  a.request.system = "ab";
  a.request.messages = {{"user", "c"}};
  auto b = base_identity();
  b.request.system = "a";
  b.request.messages = {{"user", "bc"}};
  EXPECT_NE(hex(a), hex(b));

  auto c = base_identity();
  c.request.messages = {{"user", "x\ncontent=1:y"}};
  auto d = base_identity();
  d.request.messages = {{"user", "x"}, {"user", "y"}};
  EXPECT_NE(hex(c), hex(d));

  auto e = base_identity();
  e.request.model = "m";
  e.template_version = "";
  auto f = base_identity();
  f.request.model = "";
  f.template_version = "m";
  EXPECT_NE(hex(e), hex(f));
}

TEST(CacheKey, SpellingsOfTheSameEndpointShareTheKey) {
  const std::string original = hex(base_identity());
  for (const char* url :
       {"https://api.openai.com/v1/", "HTTPS://API.OpenAI.com/v1", "https://api.openai.com:443/v1",
        "https://api.openai.com:443/v1//", "https://user:secret@api.openai.com/v1"}) {
    auto id = base_identity();
    id.base_url = url;
    EXPECT_EQ(hex(id), original) << url;
  }
}

TEST(CacheKey, NormalizeBaseUrl) {
  EXPECT_EQ(normalize_base_url("https://api.openai.com/v1/"), "https://api.openai.com/v1");
  EXPECT_EQ(normalize_base_url("HTTP://LocalHost:80/"), "http://localhost");
  EXPECT_EQ(normalize_base_url("http://127.0.0.1:8000/v1"), "http://127.0.0.1:8000/v1");
  EXPECT_EQ(normalize_base_url("http://127.0.0.1:443/v1"), "http://127.0.0.1:443/v1");
  EXPECT_EQ(normalize_base_url("https://h:0443/x"), "https://h/x");
  EXPECT_EQ(normalize_base_url("https://h:/x"), "https://h/x");
  EXPECT_EQ(normalize_base_url("https://[::1]:8443/v1/"), "https://[::1]:8443/v1");
  EXPECT_EQ(normalize_base_url("https://Example.COM/Path/V1"), "https://example.com/Path/V1");
  EXPECT_EQ(normalize_base_url("https://x.openai.azure.com/openai/deployments/gpt4o?a=1#frag"),
            "https://x.openai.azure.com/openai/deployments/gpt4o?a=1");
  EXPECT_EQ(normalize_base_url("https://g.example/v1beta?key=SECRET&alt=json&API_KEY=S2"),
            "https://g.example/v1beta?alt=json");
  EXPECT_EQ(normalize_base_url("https://alice:pw@g.example/v1"), "https://g.example/v1");
}

TEST(CacheKey, BadBaseUrlIsInputErrorWithoutCredentials) {
  for (const char* url : {"", "api.openai.com/v1", "ftp://host/x", "https://", "not a url",
                          "https://user:hunter2@exa mple.com/"}) {
    auto id = base_identity();
    id.base_url = url;
    try {
      (void)cache_key(id);
      ADD_FAILURE() << "no error for '" << url << "'";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("base_url"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
    }
  }
}

TEST(CacheKey, ApiKeyNeverEntersTheEncoding) {
  const std::string api_key = "sk-proj-TESTKEY-4f9a1c2b7e";
  auto id = base_identity();
  // Places a careless configuration might put a key: the URL's user-info or query.
  id.base_url = "https://" + api_key + "@api.openai.com/v1?key=" + api_key;
  const std::string encoding = canonical_encoding(id);
  EXPECT_EQ(encoding.find(api_key), std::string::npos) << encoding;
  EXPECT_EQ(encoding.find("TESTKEY"), std::string::npos);
  EXPECT_EQ(hex(id), hex(base_identity()));
}

TEST(CacheKey, EncodingSpellsEveryField) {
  auto id = base_identity();
  id.request.params.top_p = 0.5;
  id.request.params.seed = -3;
  id.request.params.stop = {"\n\n"};
  id.api_version = "2023-06-01";
  id.repeat = 7;
  const std::string e = canonical_encoding(id);
  for (const char* expected :
       {"dialect=6:openai\n", "base_url=25:https://api.openai.com/v1\n",
        "api_version=10:2023-06-01\n", "model=17:gpt-4o-2024-08-06\n", "temperature=1:0\n",
        "max_tokens=3:256\n", "top_p=3:0.5\n", "seed=2:-3\n", "stop.count=1:1\n", "stop=2:\n\n\n",
        "messages.count=1:3\n", "role=4:user\n", "role=9:assistant\n",
        "template_version=19:express-zero-shot@1\n", "repeat=1:7\n"})
    EXPECT_NE(e.find(expected), std::string::npos) << expected << "\nin:\n" << e;
}

TEST(CacheKey, KeyBuilderGivesTheSameKeys) {
  KeyBuilder builder;
  std::set<std::string> distinct;
  for (int i = 0; i < 50; ++i) {
    auto id = base_identity();
    id.request.messages[0].content += std::to_string(i);
    id.repeat = static_cast<std::uint32_t>(i % 3);
    // Alternating endpoints exercise the normalised-URL memo.
    id.base_url = i % 2 ? "https://API.openai.com:443/v1/" : "http://127.0.0.1:8000/v1";
    const Key expected = cache_key(id);
    EXPECT_EQ(builder(id), expected) << i;
    EXPECT_EQ(builder.last_encoding(), canonical_encoding(id)) << i;
    distinct.insert(key_to_hex(expected));
  }
  EXPECT_EQ(distinct.size(), 50u);
  auto bad = base_identity();
  bad.base_url = "nope";
  EXPECT_THROW((void)builder(bad), InputError);
  EXPECT_EQ(builder(base_identity()), cache_key(base_identity()));
}

TEST(CacheKey, HexRoundTrip) {
  const Key key = cache_key(base_identity());
  Key back{};
  ASSERT_TRUE(parse_key_hex(key_to_hex(key), back));
  EXPECT_EQ(back, key);
  std::string upper = key_to_hex(key);
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_TRUE(parse_key_hex(upper, back));
  EXPECT_EQ(back, key);
  EXPECT_FALSE(parse_key_hex(key_to_hex(key).substr(1), back));
  EXPECT_FALSE(parse_key_hex(std::string(64, 'g'), back));
}

}  // namespace
}  // namespace emosweep::cache
