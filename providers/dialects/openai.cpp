// OpenAI Chat Completions, its Azure variant, and every OpenAI-compatible server.
#include "core/json.hpp"
#include "providers/dialects/common.hpp"
#include "providers/rate_limits.hpp"

namespace emosweep::providers::dialects {
namespace {

using simdjson::dom::element;

// choices[0].message.content: a string, or (some compatible servers) an array of parts whose
// "text" members are concatenated.
std::string message_text(element message) {
  auto content = member(message, "content");
  if (!content) return {};
  std::string_view s;
  if (content->get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  std::string text;
  simdjson::dom::array parts;
  if (content->get_array().get(parts) == simdjson::SUCCESS) {
    for (element part : parts)
      text.append(string_member(part, "text"));
  }
  return text;
}

// The error of an error body in any of the shapes seen in the wild, or nullopt:
//   OpenAI, Azure, Groq, llama.cpp, OpenRouter: {"error":{"message","type","code"}}, where
//     code is a string, a number or null;
//   Ollama's native form: {"error":"message"};
//   vLLM: {"object":"error","message","type","code"}.
struct ErrorBody {
  std::string type;  // the code when it is a string (more specific), else the type
  std::string_view message;
  std::string_view raw_type;  // error.type as sent
};

std::optional<ErrorBody> find_error(element root) {
  element holder;
  if (auto error = member(root, "error")) {
    std::string_view text;
    if (error->get_string().get(text) == simdjson::SUCCESS) return ErrorBody{{}, text, {}};
    if (!error->is_object()) return std::nullopt;
    holder = *error;
  } else if (string_member(root, "object") == "error") {
    holder = root;
  } else {
    return std::nullopt;
  }
  ErrorBody e;
  e.message = string_member(holder, "message");
  e.raw_type = string_member(holder, "type");
  const std::string_view code = string_member(holder, "code");
  e.type = std::string(!code.empty() ? code : e.raw_type);
  if (e.type.empty()) e.type = text_member(holder, "code");  // a numeric code, as a last resort
  return e;
}

class OpenAiCodec final : public DialectCodec {
 public:
  explicit OpenAiCodec(bool azure) : azure_(azure) {}

  Dialect dialect() const override { return azure_ ? Dialect::azure : Dialect::openai; }

  HttpRequest encode(const ChatRequest& request, const EndpointSettings& settings) const override {
    HttpRequest http;
    if (azure_) {
      const std::string_view version =
          settings.api_version.empty() ? kDefaultAzureApiVersion : settings.api_version;
      http.url = join_url(settings.base_url,
                          "/openai/deployments/" + percent_encode(request.model) +
                              "/chat/completions?api-version=" + percent_encode(version));
      http.headers = base_headers("api-key", settings.api_key, settings);
    } else {
      http.url = join_url(settings.base_url, "/chat/completions");
      http.headers = base_headers("authorization", "Bearer " + settings.api_key, settings);
    }
    finish_headers(http.headers, settings);

    http.body.reserve(body_capacity_hint(request));
    json::Writer w(&http.body);
    w.begin_object();
    if (!azure_) w.field("model", request.model);
    w.key("messages").begin_array();
    if (!request.system.empty())
      w.begin_object().field("role", "system").field("content", request.system).end_object();
    for (const auto& m : request.messages)
      w.begin_object().field("role", m.role).field("content", m.content).end_object();
    w.end_array();
    const auto& p = request.params;
    if (p.temperature) w.field("temperature", *p.temperature);
    if (p.max_tokens) w.field("max_tokens", *p.max_tokens);
    if (p.top_p) w.field("top_p", *p.top_p);
    if (p.seed) w.field("seed", *p.seed);
    if (!p.stop.empty()) {
      w.key("stop").begin_array();
      for (const auto& s : p.stop)
        w.value(s);
      w.end_array();
    }
    w.end_object();
    return http;
  }

  using DialectCodec::decode;
  DecodedResponse decode(const HttpResponse& response, std::chrono::system_clock::time_point now,
                         simdjson::dom::parser& parser) const override {
    RateLimitInfo limits = parse_openai_rate_limits(response.headers, now);
    element root;
    if (!parse_json(parser, response.body, root))
      return unrecognised_body(response, reason::invalid_json, std::move(limits));

    std::string request_id(string_member(root, "id"));
    if (request_id.empty()) {
      if (auto h = find_header(response.headers, "x-request-id")) request_id = *h;
    }

    if (auto error = find_error(root)) {
      DecodedResponse out =
          error_response(response.status, error->type, error->message, std::move(limits));
      // Some servers put "insufficient_quota" in the type and something else in the code.
      if (error->raw_type == "insufficient_quota") out.outcome = Outcome::quota_exhausted;
      out.response.request_id = std::move(request_id);
      return out;
    }
    if (!is_success(response.status))
      return unrecognised_body(response, reason::unexpected_shape, std::move(limits));

    ChatResponse chat;
    chat.request_id = std::move(request_id);
    if (auto usage = member(root, "usage")) {
      chat.usage.prompt_tokens = count_member(*usage, "prompt_tokens").value_or(0);
      chat.usage.completion_tokens = count_member(*usage, "completion_tokens").value_or(0);
    }
    simdjson::dom::array choices;
    element choice;
    auto choices_member = member(root, "choices");
    if (!choices_member || choices_member->get_array().get(choices) != simdjson::SUCCESS ||
        choices.at(0).get(choice) != simdjson::SUCCESS)
      return no_text(response.status, reason::no_choices, std::move(chat), std::move(limits));

    chat.finish_reason = string_member(choice, "finish_reason");
    std::string_view refusal;
    if (auto message = member(choice, "message")) {
      chat.text = message_text(*message);
      refusal = string_member(*message, "refusal");
    }

    DecodedResponse out;
    out.http_status = response.status;
    out.limits = std::move(limits);
    if (chat.finish_reason == "content_filter") {
      out.outcome = Outcome::safety_blocked;
      out.error_type = "content_filter";
    } else if (chat.text.empty() && !refusal.empty()) {
      out.outcome = Outcome::safety_blocked;
      out.error_type = "refusal";
      out.provider_message = clip_provider_message(refusal);
    } else if (chat.text.empty()) {
      return no_text(response.status, reason::empty_response, std::move(chat),
                     std::move(out.limits));
    } else {
      out.outcome = Outcome::ok;
    }
    out.response = std::move(chat);
    return out;
  }

 private:
  bool azure_;
};

}  // namespace

std::unique_ptr<DialectCodec> make_openai_codec(bool azure) {
  return std::make_unique<OpenAiCodec>(azure);
}

}  // namespace emosweep::providers::dialects
