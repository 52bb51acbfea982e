// Anthropic Messages API.
#include "core/json.hpp"
#include "providers/dialects/common.hpp"
#include "providers/rate_limits.hpp"

namespace emosweep::providers::dialects {
namespace {

using simdjson::dom::element;

class AnthropicCodec final : public DialectCodec {
 public:
  Dialect dialect() const override { return Dialect::anthropic; }

  HttpRequest encode(const ChatRequest& request, const EndpointSettings& settings) const override {
    HttpRequest http;
    http.url = join_url(settings.base_url, "/v1/messages");
    http.headers = base_headers("x-api-key", settings.api_key, settings);
    http.headers.emplace_back("anthropic-version", std::string(kAnthropicVersion));
    finish_headers(http.headers, settings);

    const auto& p = request.params;
    http.body.reserve(body_capacity_hint(request));
    json::Writer w(&http.body);
    w.begin_object();
    w.field("model", request.model);
    w.field("max_tokens", p.max_tokens.value_or(kAnthropicDefaultMaxTokens));
    if (!request.system.empty()) w.field("system", request.system);
    w.key("messages").begin_array();
    for (const auto& m : request.messages)
      w.begin_object().field("role", m.role).field("content", m.content).end_object();
    w.end_array();
    if (p.temperature) w.field("temperature", *p.temperature);
    if (p.top_p) w.field("top_p", *p.top_p);
    // No seed: the Messages API has none.
    if (!p.stop.empty()) {
      w.key("stop_sequences").begin_array();
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
    RateLimitInfo limits = parse_anthropic_rate_limits(response.headers, now);
    element root;
    if (!parse_json(parser, response.body, root))
      return unrecognised_body(response, reason::invalid_json, std::move(limits));

    // Messages carry "id"; error bodies carry "request_id"; the header has it on both.
    std::string request_id(string_member(root, "id"));
    if (request_id.empty()) request_id = string_member(root, "request_id");
    if (request_id.empty()) {
      if (auto h = find_header(response.headers, "request-id")) request_id = *h;
    }

    // {"type":"error","error":{"type":"rate_limit_error","message":"..."}}
    if (auto error = member(root, "error"); error && error->is_object()) {
      DecodedResponse out = error_response(response.status, string_member(*error, "type"),
                                           string_member(*error, "message"), std::move(limits));
      out.response.request_id = std::move(request_id);
      return out;
    }
    if (!is_success(response.status))
      return unrecognised_body(response, reason::unexpected_shape, std::move(limits));

    ChatResponse chat;
    chat.request_id = std::move(request_id);
    chat.finish_reason = string_member(root, "stop_reason");
    if (auto usage = member(root, "usage")) {
      chat.usage.prompt_tokens = count_member(*usage, "input_tokens").value_or(0);
      chat.usage.completion_tokens = count_member(*usage, "output_tokens").value_or(0);
    }
    auto content = member(root, "content");
    simdjson::dom::array blocks;
    if (!content || content->get_array().get(blocks) != simdjson::SUCCESS)
      return no_text(response.status, reason::no_choices, std::move(chat), std::move(limits));
    // Only "text" blocks are the answer ("thinking", "tool_use" and the like are not).
    for (element block : blocks) {
      if (string_member(block, "type") == "text") chat.text.append(string_member(block, "text"));
    }

    DecodedResponse out;
    out.http_status = response.status;
    out.limits = std::move(limits);
    if (chat.finish_reason == "refusal") {
      // Claude 4 models stop with "refusal" when their safety classifiers intervene.
      out.outcome = Outcome::safety_blocked;
      out.error_type = "refusal";
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

std::unique_ptr<DialectCodec> make_anthropic_codec() {
  return std::make_unique<AnthropicCodec>();
}

}  // namespace emosweep::providers::dialects
