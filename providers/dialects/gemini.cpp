// Google Gemini API (generativelanguage.googleapis.com), generateContent.
//
// A daily quota is not a rate limit. Gemini answers both with 429 RESOURCE_EXHAUSTED and the
// same "You exceeded your current quota" wording, and even a per-day refusal carries a
// RetryInfo of a few seconds. What tells them apart is the QuotaFailure detail: a violation
// whose quotaId names a per-day quota ("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
// or whose quotaValue is 0 (the model has no quota at all on this tier), cannot clear by
// retrying within the run, so it is quota_exhausted: the endpoint stops, and because every
// stored response is cached, rerunning the sweep the next day resumes where it stopped.
// Everything else (per-minute quotas, no details) is rate_limited with the RetryInfo delay.
#include <array>

#include "core/json.hpp"
#include "providers/dialects/common.hpp"
#include "providers/rate_limits.hpp"

namespace emosweep::providers::dialects {
namespace {

using simdjson::dom::element;

// finishReason values that mean the provider withheld the answer on policy grounds.
bool is_blocking_finish(std::string_view reason) {
  static constexpr std::array<std::string_view, 7> kBlocking{"SAFETY",
                                                             "RECITATION",
                                                             "BLOCKLIST",
                                                             "PROHIBITED_CONTENT",
                                                             "SPII",
                                                             "IMAGE_SAFETY",
                                                             "IMAGE_PROHIBITED_CONTENT"};
  for (auto b : kBlocking)
    if (reason == b) return true;
  return false;
}

struct ErrorDetails {
  std::optional<std::chrono::milliseconds> retry_delay;
  bool daily_quota = false;
};

// error.details: google.rpc.RetryInfo and google.rpc.QuotaFailure (others are ignored).
ErrorDetails read_details(element error) {
  ErrorDetails out;
  auto details = member(error, "details");
  simdjson::dom::array items;
  if (!details || details->get_array().get(items) != simdjson::SUCCESS) return out;
  for (element item : items) {
    const std::string_view type = string_member(item, "@type");
    if (type.ends_with("google.rpc.RetryInfo")) {
      if (auto delay = parse_duration(string_member(item, "retryDelay"))) out.retry_delay = delay;
    } else if (type.ends_with("google.rpc.QuotaFailure")) {
      auto violations = member(item, "violations");
      simdjson::dom::array list;
      if (!violations || violations->get_array().get(list) != simdjson::SUCCESS) continue;
      for (element v : list) {
        const bool per_day = string_member(v, "quotaId").find("PerDay") != std::string_view::npos;
        const bool zero = text_member(v, "quotaValue") == "0";
        if (per_day || zero) out.daily_quota = true;
      }
    }
  }
  return out;
}

class GeminiCodec final : public DialectCodec {
 public:
  Dialect dialect() const override { return Dialect::gemini; }

  HttpRequest encode(const ChatRequest& request, const EndpointSettings& settings) const override {
    HttpRequest http;
    const bool full_name =
        request.model.starts_with("models/") || request.model.starts_with("tunedModels/");
    const std::string path = full_name ? "/" + percent_encode(request.model, true)
                                       : "/models/" + percent_encode(request.model);
    http.url = join_url(settings.base_url, path + ":generateContent");
    http.headers = base_headers("x-goog-api-key", settings.api_key, settings);
    finish_headers(http.headers, settings);

    const auto& p = request.params;
    http.body.reserve(body_capacity_hint(request));
    json::Writer w(&http.body);
    w.begin_object();
    w.key("contents").begin_array();
    for (const auto& m : request.messages) {
      w.begin_object();
      w.field("role", m.role == "assistant" ? std::string_view("model") : m.role);
      w.key("parts").begin_array().begin_object().field("text", m.content).end_object().end_array();
      w.end_object();
    }
    w.end_array();
    if (!request.system.empty()) {
      w.key("systemInstruction").begin_object();
      w.key("parts").begin_array().begin_object().field("text", request.system).end_object();
      w.end_array().end_object();
    }
    if (p.temperature || p.max_tokens || p.top_p || p.seed || !p.stop.empty()) {
      w.key("generationConfig").begin_object();
      if (p.temperature) w.field("temperature", *p.temperature);
      if (p.max_tokens) w.field("maxOutputTokens", *p.max_tokens);
      if (p.top_p) w.field("topP", *p.top_p);
      if (p.seed) w.field("seed", *p.seed);
      if (!p.stop.empty()) {
        w.key("stopSequences").begin_array();
        for (const auto& s : p.stop)
          w.value(s);
        w.end_array();
      }
      w.end_object();
    }
    w.end_object();
    return http;
  }

  using DialectCodec::decode;
  DecodedResponse decode(const HttpResponse& response, std::chrono::system_clock::time_point now,
                         simdjson::dom::parser& parser) const override {
    RateLimitInfo limits;
    limits.retry_after = parse_retry_headers(response.headers, now);
    element root;
    if (!parse_json(parser, response.body, root))
      return unrecognised_body(response, reason::invalid_json, std::move(limits));
    // Google front ends sometimes wrap an error in a one-element array.
    simdjson::dom::array wrapped;
    if (root.get_array().get(wrapped) == simdjson::SUCCESS) {
      if (wrapped.at(0).get(root) != simdjson::SUCCESS)
        return unrecognised_body(response, reason::unexpected_shape, std::move(limits));
    }

    // {"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[...]}}
    if (auto error = member(root, "error"); error && error->is_object()) {
      std::string type(string_member(*error, "status"));
      if (type.empty()) type = text_member(*error, "code");
      const ErrorDetails details = read_details(*error);
      if (details.retry_delay) limits.retry_after = details.retry_delay;
      DecodedResponse out = error_response(response.status, type, string_member(*error, "message"),
                                           std::move(limits));
      if (details.daily_quota) out.outcome = Outcome::quota_exhausted;
      return out;
    }
    if (!is_success(response.status))
      return unrecognised_body(response, reason::unexpected_shape, std::move(limits));

    ChatResponse chat;
    chat.request_id = string_member(root, "responseId");
    if (auto usage = member(root, "usageMetadata")) {
      chat.usage.prompt_tokens = count_member(*usage, "promptTokenCount").value_or(0);
      // Thinking tokens are billed as output.
      chat.usage.completion_tokens = count_member(*usage, "candidatesTokenCount").value_or(0) +
                                     count_member(*usage, "thoughtsTokenCount").value_or(0);
    }

    DecodedResponse out;
    out.http_status = response.status;
    out.limits = std::move(limits);

    // The prompt itself was blocked: no candidates at all.
    if (auto feedback = member(root, "promptFeedback")) {
      const std::string_view block = string_member(*feedback, "blockReason");
      if (!block.empty() && block != "BLOCK_REASON_UNSPECIFIED") {
        out.outcome = Outcome::safety_blocked;
        out.error_type = block;
        out.provider_message =
            clip_provider_message(string_member(*feedback, "blockReasonMessage"));
        out.response = std::move(chat);
        return out;
      }
    }

    simdjson::dom::array candidates;
    element candidate;
    auto candidates_member = member(root, "candidates");
    if (!candidates_member || candidates_member->get_array().get(candidates) != simdjson::SUCCESS ||
        candidates.at(0).get(candidate) != simdjson::SUCCESS)
      return no_text(response.status, reason::no_choices, std::move(chat), std::move(out.limits));

    chat.finish_reason = string_member(candidate, "finishReason");
    if (auto content = member(candidate, "content")) {
      auto parts = member(*content, "parts");
      simdjson::dom::array list;
      if (parts && parts->get_array().get(list) == simdjson::SUCCESS) {
        for (element part : list) {
          if (!is_true_member(part, "thought")) chat.text.append(string_member(part, "text"));
        }
      }
    }

    if (is_blocking_finish(chat.finish_reason)) {
      out.outcome = Outcome::safety_blocked;
      out.error_type = chat.finish_reason;
    } else if (chat.text.empty()) {
      return no_text(response.status, reason::empty_response, std::move(chat),
                     std::move(out.limits));
    } else {
      out.outcome = Outcome::ok;
    }
    out.response = std::move(chat);
    return out;
  }
};

}  // namespace

std::unique_ptr<DialectCodec> make_gemini_codec() {
  return std::make_unique<GeminiCodec>();
}

}  // namespace emosweep::providers::dialects
