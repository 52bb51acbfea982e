#include "providers/mock/wire.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/beast/http/status.hpp>

#include "core/json.hpp"
#include "providers/mock/answers.hpp"

namespace emosweep::providers::mock {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool is_openai(Dialect d) {
  return d == Dialect::openai || d == Dialect::azure;
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// The text of a message content: a string, or an array of parts of which those with a
// string "text" (and, when `typed`, "type": "text") count. Parts are joined with '\n'.
// `out` may be null when only the length matters. False when the shape is wrong.
bool content_text(element content, bool typed, std::string* out, std::uint64_t& code_points) {
  std::string_view s;
  if (content.get(s) == simdjson::SUCCESS) {
    code_points += count_code_points(s);
    if (out) out->append(s);
    return true;
  }
  simdjson::dom::array parts;
  if (content.get(parts) != simdjson::SUCCESS) return false;
  bool first = true;
  for (element part : parts) {
    simdjson::dom::object obj;
    if (part.get(obj) != simdjson::SUCCESS) return false;
    if (typed) {
      std::string_view type;
      if (obj["type"].get(type) != simdjson::SUCCESS) return false;
      if (type != "text") continue;
    }
    element text_el;
    if (obj["text"].get(text_el) != simdjson::SUCCESS) {
      if (typed) return false;  // a typed "text" part without text
      continue;                 // gemini: inlineData, fileData, ...
    }
    if (text_el.get(s) != simdjson::SUCCESS) return false;
    code_points += count_code_points(s);
    if (out) {
      if (!first) out->push_back('\n');
      out->append(s);
    }
    first = false;
  }
  return true;
}

// A positive integer field; nullopt with `error` set when present but invalid.
std::optional<std::uint64_t> positive_int(element value, std::string_view name,
                                          std::string& error) {
  std::uint64_t v = 0;
  if (value.get(v) != simdjson::SUCCESS || v == 0) {
    error = fmt::format("Invalid '{}': expected an integer >= 1.", name);
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> parse_openai(Dialect dialect, std::string_view path_model,
                                        simdjson::dom::object root, ChatCall& out) {
  element messages;
  bool has_messages = false;
  std::string error;
  for (auto field : root) {
    if (field.key == "model") {
      std::string_view m;
      if (field.value.get(m) != simdjson::SUCCESS) return "Invalid 'model': expected a string.";
      out.model = m;
    } else if (field.key == "messages") {
      messages = field.value;
      has_messages = true;
    } else if (field.key == "max_tokens" || field.key == "max_completion_tokens") {
      if (field.value.is_null()) continue;
      out.max_tokens = positive_int(field.value, field.key, error);
      if (!error.empty()) return error;
    }
  }
  if (out.model.empty()) {
    if (dialect != Dialect::azure) return "you must provide a model parameter";
    out.model = path_model;
  }
  if (!has_messages) return "Missing required parameter: 'messages'.";
  simdjson::dom::array list;
  if (messages.get(list) != simdjson::SUCCESS || list.size() == 0)
    return "Invalid 'messages': expected a non-empty array.";
  std::optional<element> last_user;
  std::size_t index = 0;
  for (element message : list) {
    std::string_view role;
    if (message["role"].get(role) != simdjson::SUCCESS)
      return fmt::format("Missing required parameter: 'messages[{}].role'.", index);
    if (role != "system" && role != "developer" && role != "user" && role != "assistant" &&
        role != "tool" && role != "function")
      return fmt::format(
          "Invalid value: '{}'. Supported values are: 'system', 'assistant', 'user', "
          "'function', 'tool', and 'developer'.",
          role);
    element content;
    if (message["content"].get(content) == simdjson::SUCCESS && !content.is_null()) {
      if (!content_text(content, true, nullptr, out.prompt_code_points))
        return fmt::format("Invalid type for 'messages[{}].content'.", index);
      if (role == "user") last_user = content;
    } else if (role == "user") {
      return fmt::format("Missing required parameter: 'messages[{}].content'.", index);
    }
    ++index;
  }
  std::uint64_t ignored = 0;
  if (last_user) content_text(*last_user, true, &out.last_user, ignored);
  return std::nullopt;
}

std::optional<std::string> parse_anthropic(simdjson::dom::object root, ChatCall& out) {
  element messages, system;
  bool has_messages = false, has_system = false;
  std::string error;
  for (auto field : root) {
    if (field.key == "model") {
      std::string_view m;
      if (field.value.get(m) != simdjson::SUCCESS) return "model: Input should be a valid string";
      out.model = m;
    } else if (field.key == "messages") {
      messages = field.value;
      has_messages = true;
    } else if (field.key == "system") {
      system = field.value;
      has_system = true;
    } else if (field.key == "max_tokens") {
      out.max_tokens = positive_int(field.value, field.key, error);
      if (!error.empty()) return "max_tokens: Input should be a valid integer >= 1";
    }
  }
  if (out.model.empty()) return "model: Field required";
  if (!out.max_tokens) return "max_tokens: Field required";
  if (!has_messages) return "messages: Field required";
  if (has_system && !content_text(system, true, nullptr, out.prompt_code_points))
    return "system: Input should be a valid string or a list of text blocks";
  simdjson::dom::array list;
  if (messages.get(list) != simdjson::SUCCESS || list.size() == 0)
    return "messages: Input should be a non-empty list";
  std::optional<element> last_user;
  std::size_t index = 0;
  for (element message : list) {
    std::string_view role;
    if (message["role"].get(role) != simdjson::SUCCESS || (role != "user" && role != "assistant"))
      return fmt::format("messages.{}.role: Input should be 'user' or 'assistant'", index);
    element content;
    if (message["content"].get(content) != simdjson::SUCCESS)
      return fmt::format("messages.{}.content: Field required", index);
    if (!content_text(content, true, nullptr, out.prompt_code_points))
      return fmt::format("messages.{}.content: Input should be a valid string or list", index);
    if (role == "user") last_user = content;
    ++index;
  }
  std::uint64_t ignored = 0;
  if (last_user) content_text(*last_user, true, &out.last_user, ignored);
  return std::nullopt;
}

std::optional<std::string> parse_gemini(std::string_view path_model, simdjson::dom::object root,
                                        ChatCall& out) {
  out.model = path_model;
  element contents;
  bool has_contents = false;
  for (auto field : root) {
    if (field.key == "contents") {
      contents = field.value;
      has_contents = true;
    } else if (field.key == "systemInstruction" || field.key == "system_instruction") {
      element parts;
      if (field.value["parts"].get(parts) != simdjson::SUCCESS ||
          !content_text(parts, false, nullptr, out.prompt_code_points))
        return "Invalid value at 'system_instruction' (type.googleapis.com/"
               "google.ai.generativelanguage.v1beta.Content)";
    } else if (field.key == "generationConfig" || field.key == "generation_config") {
      simdjson::dom::object config;
      if (field.value.get(config) != simdjson::SUCCESS)
        return "Invalid value at 'generation_config'";
      for (auto c : config) {
        if (c.key != "maxOutputTokens" && c.key != "max_output_tokens") continue;
        std::string error;
        out.max_tokens = positive_int(c.value, c.key, error);
        if (!error.empty())
          return "Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32)";
      }
    }
  }
  if (!has_contents) return "* GenerateContentRequest.contents: contents is not specified";
  simdjson::dom::array list;
  if (contents.get(list) != simdjson::SUCCESS || list.size() == 0)
    return "* GenerateContentRequest.contents: contents is not specified";
  std::optional<element> last_user;
  std::size_t index = 0;
  for (element content : list) {
    std::string_view role = "user";
    element role_el;
    if (content["role"].get(role_el) == simdjson::SUCCESS && role_el.get(role) != simdjson::SUCCESS)
      return fmt::format("Invalid value at 'contents[{}].role' (TYPE_STRING)", index);
    if (role != "user" && role != "model")
      return fmt::format("Please use a valid role: user, model. (contents[{}])", index);
    element parts;
    if (content["parts"].get(parts) != simdjson::SUCCESS ||
        !content_text(parts, false, nullptr, out.prompt_code_points))
      return fmt::format(
          "* GenerateContentRequest.contents[{}].parts: contents.parts must not "
          "be empty.",
          index);
    if (role == "user") last_user = parts;
    ++index;
  }
  std::uint64_t ignored = 0;
  if (last_user) content_text(*last_user, false, &out.last_user, ignored);
  return std::nullopt;
}

struct ErrorText {
  std::string_view openai_type, openai_code;  // code "" = null
  std::string_view anthropic_type;
  std::string_view gemini_status;
  std::string_view message;  // default, shared by the dialects unless overridden below
};

ErrorText error_text(Dialect d, ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request:
      return {"invalid_request_error", "", "invalid_request_error", "INVALID_ARGUMENT",
              "Invalid request."};
    case ErrorKind::unauthorized:
      if (d == Dialect::gemini)
        return {"", "", "", "UNAUTHENTICATED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API."};
      if (d == Dialect::anthropic)
        return {"", "", "authentication_error", "", "x-api-key header is required"};
      return {"invalid_request_error", "", "", "",
              "You didn't provide an API key. You need to provide your API key in an "
              "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."};
    case ErrorKind::not_found:
      return {"invalid_request_error", "", "not_found_error", "NOT_FOUND", "Not Found"};
    case ErrorKind::method_not_allowed:
      return {"invalid_request_error", "", "invalid_request_error", "INVALID_ARGUMENT",
              "Method Not Allowed"};
    case ErrorKind::too_large:
      return {"invalid_request_error", "", "request_too_large", "INVALID_ARGUMENT",
              "Request exceeds the maximum allowed size."};
    case ErrorKind::rate_limited:
      return {"requests", "rate_limit_exceeded", "rate_limit_error", "RESOURCE_EXHAUSTED",
              d == Dialect::gemini ? "Resource has been exhausted (e.g. check quota)."
              : d == Dialect::anthropic
                  ? "Number of request tokens has exceeded your per-minute rate limit."
                  : "Rate limit reached for requests. Please try again in 1s."};
    case ErrorKind::server_error:
      if (d == Dialect::gemini)
        return {"", "", "", "INTERNAL",
                "An internal error has occurred. Please retry or report in "
                "https://developers.generativeai.google/guide/troubleshooting"};
      return {"server_error", "", "api_error", "",
              is_openai(d) ? "The server had an error while processing your request. Sorry "
                             "about that!"
                           : "Internal server error"};
    case ErrorKind::bad_gateway:
      return {"server_error", "", "api_error", "UNAVAILABLE", "Bad gateway."};
    case ErrorKind::unavailable:
      return {"server_error", "", "api_error", "UNAVAILABLE", "Service Unavailable."};
    case ErrorKind::gateway_timeout:
      return {"server_error", "", "api_error", "DEADLINE_EXCEEDED", "Deadline Exceeded"};
    case ErrorKind::overloaded:
      if (d == Dialect::anthropic) return {"", "", "overloaded_error", "", "Overloaded"};
      if (d == Dialect::gemini)
        return {"", "", "", "UNAVAILABLE", "The model is overloaded. Please try again later."};
      return {"server_error", "", "", "",
              "The engine is currently overloaded, please try again later."};
    case ErrorKind::quota:
      if (d == Dialect::anthropic)
        return {"", "", "invalid_request_error", "",
                "Your credit balance is too low to access the Anthropic API. Please go to Plans "
                "& Billing to upgrade or purchase credits."};
      if (d == Dialect::gemini)
        return {"", "", "", "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details. "
                "For more information on this error, head to: "
                "https://ai.google.dev/gemini-api/docs/rate-limits."};
      return {"insufficient_quota", "insufficient_quota", "", "",
              "You exceeded your current quota, please check your plan and billing details. For "
              "more information on this error, read the docs: "
              "https://platform.openai.com/docs/guides/error-codes/api-errors."};
  }
  return {"server_error", "", "api_error", "INTERNAL", "Internal error"};
}

}  // namespace

std::optional<std::string> parse_chat_request(Dialect dialect, std::string_view path_model,
                                              const std::string& body,
                                              simdjson::dom::parser& parser, ChatCall& out) {
  out = ChatCall{};
  element doc;
  const bool padded = body.capacity() - body.size() >= simdjson::SIMDJSON_PADDING;
  if (parser.parse(body.data(), body.size(), !padded).get(doc) != simdjson::SUCCESS) {
    if (dialect == Dialect::anthropic) return "There was an error parsing the body of your request";
    if (dialect == Dialect::gemini) return "Invalid JSON payload received.";
    return "We could not parse the JSON body of your request. (HINT: This likely means you "
           "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but "
           "what was sent was not valid JSON.)";
  }
  simdjson::dom::object root;
  if (doc.get(root) != simdjson::SUCCESS) return "The request body must be a JSON object.";
  switch (dialect) {
    case Dialect::openai:
    case Dialect::azure:
      return parse_openai(dialect, path_model, root, out);
    case Dialect::anthropic:
      return parse_anthropic(root, out);
    case Dialect::gemini:
      return parse_gemini(path_model, root, out);
  }
  return "unsupported dialect";
}

void write_success_body(std::string& out, Dialect dialect, const Completion& c) {
  json::Writer w(&out);
  w.begin_object();
  if (is_openai(dialect)) {
    w.field("id", c.id).field("object", "chat.completion");
    w.field("created", c.created).field("model", c.model);
    w.key("choices").begin_array().begin_object();
    w.field("index", 0);
    w.key("message").begin_object();
    w.field("role", "assistant").field("content", c.text).key("refusal").null();
    w.end_object();
    w.key("logprobs").null();
    w.field("finish_reason", c.finished ? "stop" : "length");
    w.end_object().end_array();
    w.key("usage").begin_object();
    w.field("prompt_tokens", c.prompt_tokens)
        .field("completion_tokens", c.completion_tokens)
        .field("total_tokens", c.prompt_tokens + c.completion_tokens);
    w.end_object();
    w.field("system_fingerprint", "fp_emosweep_mock");
  } else if (dialect == Dialect::anthropic) {
    w.field("id", c.id).field("type", "message");
    w.field("role", "assistant").field("model", c.model);
    w.key("content").begin_array().begin_object();
    w.field("type", "text").field("text", c.text);
    w.end_object().end_array();
    w.field("stop_reason", c.finished ? "end_turn" : "max_tokens");
    w.key("stop_sequence").null();
    w.key("usage").begin_object();
    w.field("input_tokens", c.prompt_tokens).field("output_tokens", c.completion_tokens);
    w.end_object();
  } else {
    w.key("candidates").begin_array().begin_object();
    w.key("content").begin_object();
    w.key("parts").begin_array().begin_object().field("text", c.text).end_object().end_array();
    w.field("role", "model");
    w.end_object();
    w.field("finishReason", c.finished ? "STOP" : "MAX_TOKENS");
    w.field("index", 0);
    w.end_object().end_array();
    w.key("usageMetadata").begin_object();
    w.field("promptTokenCount", c.prompt_tokens)
        .field("candidatesTokenCount", c.completion_tokens)
        .field("totalTokenCount", c.prompt_tokens + c.completion_tokens);
    w.end_object();
    w.field("modelVersion", c.model).field("responseId", c.id);
  }
  w.end_object();
}

void write_refusal_body(std::string& out, Dialect dialect, const Completion& c,
                        bool prompt_blocked) {
  json::Writer w(&out);
  // The harm categories as Gemini rates them; the first one is the culprit.
  const auto safety_ratings = [&](bool with_blocked) {
    w.key("safetyRatings").begin_array();
    w.begin_object().field("category", "HARM_CATEGORY_HARASSMENT").field("probability", "HIGH");
    if (with_blocked) w.field("blocked", true);
    w.end_object();
    for (std::string_view category :
         {"HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_SEXUALLY_EXPLICIT",
          "HARM_CATEGORY_DANGEROUS_CONTENT"})
      w.begin_object().field("category", category).field("probability", "NEGLIGIBLE").end_object();
    w.end_array();
  };
  w.begin_object();
  if (is_openai(dialect)) {
    w.field("id", c.id).field("object", "chat.completion");
    w.field("created", c.created).field("model", c.model);
    w.key("choices").begin_array().begin_object();
    w.field("index", 0);
    w.key("message").begin_object();
    w.field("role", "assistant").key("content").null().key("refusal").null();
    w.end_object();
    w.key("logprobs").null();
    w.field("finish_reason", "content_filter");
    if (dialect == Dialect::azure) {  // Azure says which filter fired
      w.key("content_filter_results").begin_object();
      w.key("violence").begin_object().field("filtered", true).field("severity", "high");
      w.end_object().end_object();
    }
    w.end_object().end_array();
    w.key("usage").begin_object();
    w.field("prompt_tokens", c.prompt_tokens)
        .field("completion_tokens", 0)
        .field("total_tokens", c.prompt_tokens);
    w.end_object();
    w.field("system_fingerprint", "fp_emosweep_mock");
  } else if (dialect == Dialect::anthropic) {
    w.field("id", c.id).field("type", "message");
    w.field("role", "assistant").field("model", c.model);
    w.key("content").begin_array().end_array();
    w.field("stop_reason", "refusal");
    w.key("stop_sequence").null();
    w.key("usage").begin_object();
    w.field("input_tokens", c.prompt_tokens).field("output_tokens", 0);
    w.end_object();
  } else {
    if (prompt_blocked) {
      w.key("promptFeedback").begin_object();
      w.field("blockReason", "SAFETY");
      safety_ratings(false);
      w.end_object();
    } else {
      w.key("candidates").begin_array().begin_object();
      w.field("finishReason", "SAFETY").field("index", 0);
      safety_ratings(true);
      w.end_object().end_array();
    }
    w.key("usageMetadata").begin_object();
    w.field("promptTokenCount", c.prompt_tokens).field("totalTokenCount", c.prompt_tokens);
    w.end_object();
    w.field("modelVersion", c.model).field("responseId", c.id);
  }
  w.end_object();
}

unsigned error_status(Dialect dialect, ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request:
      return 400;
    case ErrorKind::unauthorized:
      return 401;
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::method_not_allowed:
      return 405;
    case ErrorKind::too_large:
      return 413;
    case ErrorKind::rate_limited:
      return 429;
    case ErrorKind::server_error:
      return 500;
    case ErrorKind::bad_gateway:
      return 502;
    case ErrorKind::unavailable:
      return 503;
    case ErrorKind::gateway_timeout:
      return 504;
    case ErrorKind::overloaded:
      return dialect == Dialect::anthropic ? 529 : 503;
    case ErrorKind::quota:
      return dialect == Dialect::anthropic ? 400 : 429;
  }
  return 500;
}

void write_error_body(std::string& out, Dialect dialect, ErrorKind kind, std::string_view message,
                      std::int64_t retry_after_s, std::string_view limit_kind) {
  const ErrorText t = error_text(dialect, kind);
  if (message.empty()) message = t.message;
  json::Writer w(&out);
  w.begin_object();
  if (is_openai(dialect)) {
    w.key("error").begin_object();
    w.field("message", message);
    w.field("type", kind == ErrorKind::rate_limited ? limit_kind : t.openai_type);
    w.key("param").null();
    if (t.openai_code.empty())
      w.key("code").null();
    else
      w.field("code", t.openai_code);
    w.end_object();
  } else if (dialect == Dialect::anthropic) {
    w.field("type", "error");
    w.key("error").begin_object();
    w.field("type", t.anthropic_type).field("message", message);
    w.end_object();
  } else {
    w.key("error").begin_object();
    w.field("code", error_status(dialect, kind));
    w.field("message", message).field("status", t.gemini_status);
    if (kind == ErrorKind::rate_limited || kind == ErrorKind::quota) {
      const bool daily = kind == ErrorKind::quota;
      w.key("details").begin_array();
      w.begin_object();
      w.field("@type", "type.googleapis.com/google.rpc.QuotaFailure");
      w.key("violations").begin_array().begin_object();
      w.field("quotaMetric", daily ? "generativelanguage.googleapis.com/generate_requests_per_day"
                                   : "generativelanguage.googleapis.com/"
                                     "generate_content_requests");
      w.field("quotaId", daily ? "GenerateRequestsPerDayPerProjectPerModel"
                               : "GenerateRequestsPerMinutePerProjectPerModel");
      w.end_object().end_array();
      w.end_object();
      w.begin_object();
      w.field("@type", "type.googleapis.com/google.rpc.Help");
      w.key("links").begin_array().begin_object();
      w.field("description", "Learn more about Gemini API quotas");
      w.field("url", "https://ai.google.dev/gemini-api/docs/rate-limits");
      w.end_object().end_array();
      w.end_object();
      if (retry_after_s > 0) {
        w.begin_object();
        w.field("@type", "type.googleapis.com/google.rpc.RetryInfo");
        w.field("retryDelay", fmt::format("{}s", retry_after_s));
        w.end_object();
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_object();
}

std::int64_t retry_after_seconds(std::int64_t ns) {
  const std::int64_t s = (ns + 999'999'999) / 1'000'000'000;
  return s < 1 ? 1 : s;
}

std::string go_duration(std::int64_t ns) {
  if (ns <= 0) return "0s";
  std::int64_t ms = (ns + 999'999) / 1'000'000;  // rounded up: never earlier than true
  if (ms < 1000) return fmt::format("{}ms", ms);
  std::string out;
  const std::int64_t hours = ms / 3'600'000;
  ms %= 3'600'000;
  const std::int64_t minutes = ms / 60'000;
  ms %= 60'000;
  if (hours > 0) out += fmt::format("{}h", hours);
  if (hours > 0 || minutes > 0) out += fmt::format("{}m", minutes);
  out += fmt::format("{}", ms / 1000);
  if (const std::int64_t frac = ms % 1000; frac != 0) {
    std::string digits = fmt::format("{:03}", frac);
    while (digits.back() == '0')
      digits.pop_back();
    out += '.';
    out += digits;
  }
  out += 's';
  return out;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = ceil<seconds>(t.time_since_epoch());
  const std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

void append_rate_limit_headers(std::string& out, Dialect dialect, const LimitView& requests,
                               const LimitView& tokens, std::chrono::system_clock::time_point now) {
  if (dialect == Dialect::gemini) return;  // the Gemini API sends no rate-limit headers
  const auto one = [&](const LimitView& l, std::string_view what) {
    if (!l.enabled) return;
    if (is_openai(dialect)) {
      append_header(out, fmt::format("x-ratelimit-limit-{}", what), std::to_string(l.limit));
      append_header(out, fmt::format("x-ratelimit-remaining-{}", what),
                    std::to_string(l.remaining));
      append_header(out, fmt::format("x-ratelimit-reset-{}", what), go_duration(l.reset_ns));
    } else {
      append_header(out, fmt::format("anthropic-ratelimit-{}-limit", what),
                    std::to_string(l.limit));
      append_header(out, fmt::format("anthropic-ratelimit-{}-remaining", what),
                    std::to_string(l.remaining));
      append_header(out, fmt::format("anthropic-ratelimit-{}-reset", what),
                    rfc3339(now + std::chrono::nanoseconds(l.reset_ns)));
    }
  };
  one(requests, "requests");
  one(tokens, "tokens");
}

void append_retry_after(std::string& out, Dialect dialect, std::int64_t retry_after_ns) {
  append_header(out, "retry-after", std::to_string(retry_after_seconds(retry_after_ns)));
  if (is_openai(dialect)) {
    const std::int64_t ms = std::max<std::int64_t>(1, (retry_after_ns + 999'999) / 1'000'000);
    append_header(out, "retry-after-ms", std::to_string(ms));
  }
}

void begin_response(std::string& out, unsigned version, unsigned status) {
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_uint(out, status);
  out += ' ';
  if (status == 529) {
    out += "Site Overloaded";
  } else {
    const auto reason =
        boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
    out.append(reason.data(), reason.size());
  }
  out += "\r\n";
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void finish_response(std::string& out, std::string_view body, bool keep_alive, unsigned version) {
  out += "content-length: ";
  append_uint(out, body.size());
  out += "\r\n";
  if (!keep_alive)
    out += "connection: close\r\n";
  else if (version == 10)
    out += "connection: keep-alive\r\n";
  out += "\r\n";
  out += body;
}

std::string_view content_type(Dialect dialect) {
  return dialect == Dialect::gemini ? "application/json; charset=UTF-8" : "application/json";
}

}  // namespace emosweep::providers::mock
