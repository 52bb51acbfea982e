#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "orchestrator/config.hpp"

namespace emosweep::orchestrator {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("emosweep_config_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    const auto p = (dir_ / "sweep.yaml").string();
    std::ofstream(p) << text;
    return p;
  }
  std::string error_of(const std::string& text) {
    const auto p = write(text);
    try {
      load_sweep(p);
    } catch (const InputError& e) {
      std::string msg = e.what();
      // Messages start with the file; strip it for readable expectations.
      if (msg.rfind(p, 0) == 0) msg = msg.substr(p.size());
      return msg;
    }
    return "no error";
  }
  std::filesystem::path dir_;
};

const char* kMinimal = R"(name: demo
dataset:
  path: data/d.csv
lexicon: data/lex.csv
endpoints:
  - name: local
    dialect: openai
    base_url: http://127.0.0.1:8000/v1
    limits: { concurrency: 8, rpm: 600, tpm: 100000 }
models:
  - name: m1
    endpoint: local
    model: llama-3.1-8b
    params: { temperature: 0, max_tokens: 256, stop: ["\n\n"] }
prompts:
  - name: zero-shot
    template: express-zero-shot
  - name: few
    template: express-few-shot
    shots: 5
)";

TEST_F(ConfigTest, MinimalSweepWithDefaultsAndRelativePaths) {
  const auto c = load_sweep(write(kMinimal));
  EXPECT_EQ(c.name, "demo");
  EXPECT_EQ(c.dataset.path, (dir_ / "data/d.csv").lexically_normal().string());
  EXPECT_EQ(c.cache_dir, (dir_ / ".emosweep/cache").string());
  EXPECT_EQ(c.output_dir, (dir_ / "runs/demo").string());
  ASSERT_EQ(c.endpoints.size(), 1u);
  EXPECT_EQ(c.endpoints[0].limits.concurrency, 8u);
  EXPECT_EQ(c.endpoints[0].limits.rpm, 600);
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_EQ(c.models[0].params.temperature, 0.0);
  EXPECT_EQ(c.models[0].params.max_tokens, 256);
  EXPECT_EQ(c.models[0].params.stop, std::vector<std::string>{"\n\n"});
  EXPECT_FALSE(c.models[0].params.top_p.has_value());
  ASSERT_EQ(c.prompts.size(), 2u);
  EXPECT_EQ(c.prompts[1].options.at("shots"), "5");
  EXPECT_EQ(c.repeats, 1u);
}

TEST_F(ConfigTest, UnknownKeyNamesLineColumnAndSuggests) {
  std::string text = kMinimal;
  text.replace(text.find("lexicon:"), 8, "lexicom:");
  EXPECT_EQ(error_of(text).substr(0, 52), ":4:1: lexicom: unknown key (did you mean 'lexicon'?)");
}

TEST_F(ConfigTest, WrongTypesAndValues) {
  std::string text = kMinimal;
  text.replace(text.find("concurrency: 8"), 14, "concurrency: lots");
  EXPECT_EQ(error_of(text),
            ":9:28: endpoints[0].limits.concurrency: expected a non-negative integer, got 'lots'");
  text = kMinimal;
  text.replace(text.find("temperature: 0"), 14, "temprature: 0");
  EXPECT_NE(
      error_of(text).find("models[0].params.temprature: unknown key (did you mean 'temperature'?)"),
      std::string::npos);
  text = kMinimal;
  text.replace(text.find("dialect: openai"), 15, "dialect: cohere");
  EXPECT_EQ(error_of(text),
            ":7:14: endpoints[0].dialect: unknown dialect 'cohere' (expected openai, azure, "
            "anthropic or gemini)");
  text = kMinimal;
  text.replace(text.find("endpoint: local"), 15, "endpoint: locl");
  EXPECT_EQ(error_of(text),
            ":12:15: models[0].endpoint: no endpoint named 'locl' (did you mean 'local'?)");
  text = kMinimal;
  text.replace(text.find("base_url: http://"), 17, "base_url: ftp://");
  EXPECT_NE(error_of(text).find("must start with http:// or https://"), std::string::npos);
  EXPECT_NE(error_of("name: [x\n").find("invalid YAML"), std::string::npos);
  EXPECT_EQ(error_of("name: x\n"), ":1:1: dataset: missing required key");
}

TEST_F(ConfigTest, DuplicateNames) {
  std::string text = kMinimal;
  text.replace(text.find("name: few"), 9, "name: zero-shot");
  EXPECT_NE(error_of(text).find("prompts[1].name: duplicate name 'zero-shot'"), std::string::npos);
}

TEST_F(ConfigTest, MissingApiKeyVariablesAreReportedUpFrontAndKeysResolved) {
  std::string text = kMinimal;
  text.replace(text.find("    limits:"), 0, "    api_key_env: EMOSWEEP_TEST_MISSING_KEY\n");
  ::unsetenv("EMOSWEEP_TEST_MISSING_KEY");
  EXPECT_EQ(
      error_of(text),
      ":9:18: endpoints[0].api_key_env: environment variable not set: EMOSWEEP_TEST_MISSING_KEY");
  // A dry run does not need the key.
  EXPECT_NO_THROW(load_sweep(write(text), /*resolve_keys=*/false));
  ::setenv("EMOSWEEP_TEST_MISSING_KEY", "sk-test-123456789", 1);
  const auto c = load_sweep(write(text));
  EXPECT_EQ(c.endpoints[0].api_key, "sk-test-123456789");
  ::unsetenv("EMOSWEEP_TEST_MISSING_KEY");
}

TEST_F(ConfigTest, PricesFromAFileAndInline) {
  std::ofstream(dir_ / "prices.yaml")
      << "prices:\n  llama-3.1-8b: { prompt: 0.2, completion: 0.6 }\n";
  std::string text = kMinimal;
  text += "prices: prices.yaml\n";
  auto c = load_sweep(write(text));
  ASSERT_TRUE(c.models[0].price.has_value());
  EXPECT_DOUBLE_EQ(c.models[0].price->prompt_per_mtok, 0.2);
  EXPECT_DOUBLE_EQ(c.models[0].price->completion_per_mtok, 0.6);
  text = kMinimal;
  text += "prices: { m1: { prompt: 1, completion: 2 } }\nbudget_usd: 5\nrepeats: 3\n";
  c = load_sweep(write(text));
  EXPECT_DOUBLE_EQ(c.models[0].price->completion_per_mtok, 2);
  EXPECT_EQ(c.budget_usd, 5);
  EXPECT_EQ(c.repeats, 3u);
}

TEST_F(ConfigTest, MockEndpointNeedsNoBaseUrl) {
  std::string text = kMinimal;
  text.replace(text.find("    base_url: http://127.0.0.1:8000/v1\n"), 39,
               "    mock: { latency: \"fixed:5\", rpm: 100 }\n");
  const auto c = load_sweep(write(text));
  ASSERT_TRUE(c.endpoints[0].mock.has_value());
  EXPECT_EQ(c.endpoints[0].mock->latency, "fixed:5");
  EXPECT_EQ(c.endpoints[0].mock->rpm, 100u);
}

TEST_F(ConfigTest, HeadersThatWouldBreakARequestAreRefusedUpFront) {
  std::string text = kMinimal;
  text.replace(text.find("    limits:"), 0,
               "    headers: { \"x-team\": \"a\\r\\nInjected: 1\" }\n");
  const std::string err = error_of(text);
  EXPECT_NE(err.find("endpoints[0]"), std::string::npos) << err;
  EXPECT_NE(err.find("x-team"), std::string::npos) << err;
  EXPECT_EQ(err.find("Injected"), std::string::npos) << "the value is never echoed: " << err;
}

TEST(EditDistance, Basics) {
  EXPECT_EQ(edit_distance("lexicon", "lexicom"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", "abc"), 0u);
}

}  // namespace
}  // namespace emosweep::orchestrator
