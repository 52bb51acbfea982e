#include "cache/key.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>
#include <boost/url/parse.hpp>

#include "core/error.hpp"
#include "core/text.hpp"

namespace emosweep::cache {
namespace {

// Query parameters that carry credentials (Gemini accepts `?key=`); they identify the payer,
// not the answer, and must never be hashed into a string that callers may log.
constexpr std::array<std::string_view, 6> kSecretParams = {"key",    "api_key",      "api-key",
                                                           "apikey", "access_token", "token"};

bool is_secret_param(std::string_view param) {
  const std::string_view name = param.substr(0, param.find('='));
  for (auto secret : kSecretParams)
    if (text::iequals_ascii(name, secret)) return true;
  return false;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Never echo credentials in an error message: hide everything between "://" and '@'.
std::string redact_userinfo(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto at = url.find('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end)
    return std::string(url);
  return fmt::format("{}://***{}", url.substr(0, scheme_end), url.substr(at));
}

// One field: `name=LENGTH:bytes\n`. Names come from a fixed set without '=' and the length
// is decimal, so the encoding is unambiguous whatever the bytes are.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.push_back('=');
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value.size()).ptr;
  out.append(digits, end);
  out.push_back(':');
  out.append(value);
  out.push_back('\n');
}

template <typename Number>
void append_number_field(std::string& out, std::string_view name, Number value) {
  char digits[40];
  // For doubles std::to_chars without a format is the shortest form that round-trips, so
  // 0 and 1e-7 differ and no two doubles share a spelling.
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  append_field(out, name, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

}  // namespace

std::string normalize_base_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed)
    throw InputError(
        fmt::format("base_url '{}': not an absolute http or https URL", redact_userinfo(url)));
  const boost::urls::url_view& u = *parsed;
  const std::string scheme = lower_ascii(u.scheme());
  if (scheme != "http" && scheme != "https")
    throw InputError(fmt::format("base_url '{}': scheme must be http or https, not '{}'",
                                 redact_userinfo(url), scheme));
  if (!u.has_authority() || u.encoded_host().empty())
    throw InputError(fmt::format("base_url '{}': has no host", redact_userinfo(url)));

  std::string out = scheme;
  out += "://";
  out += lower_ascii(u.encoded_host());
  if (u.has_port() && !u.port().empty()) {
    const bool default_port = (scheme == "http" && u.port_number() == 80) ||
                              (scheme == "https" && u.port_number() == 443);
    if (!default_port) {
      out.push_back(':');
      out += std::to_string(u.port_number());  // also drops leading zeros
    }
  }
  std::string_view path = u.encoded_path();
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  out += path;
  if (u.has_query()) {
    std::string query;
    for (std::string_view param : text::split(u.encoded_query(), '&')) {
      if (param.empty() || is_secret_param(param)) continue;
      if (!query.empty()) query.push_back('&');
      query += param;
    }
    if (!query.empty()) {
      out.push_back('?');
      out += query;
    }
  }
  return out;
}

namespace {

// The body of canonical_encoding(), with the base URL already normalised; appends to `out`.
void encode_into(const RequestIdentity& id, std::string_view normalized_url, std::string& out) {
  const providers::ChatRequest& r = id.request;
  const providers::GenerationParams& p = r.params;
  std::size_t estimate = 256 + normalized_url.size() + r.model.size() + r.system.size();
  for (const auto& m : r.messages)
    estimate += 32 + m.role.size() + m.content.size();
  for (const auto& s : p.stop)
    estimate += 16 + s.size();
  out.reserve(out.size() + estimate);

  out.append(kKeyEncodingVersion);
  out.push_back('\n');
  append_field(out, "dialect", providers::to_string(id.dialect));
  append_field(out, "base_url", normalized_url);
  append_field(out, "api_version", id.api_version);
  append_field(out, "model", r.model);
  // An absent parameter is omitted: "provider default" must not collide with any value.
  if (p.temperature) append_number_field(out, "temperature", *p.temperature);
  if (p.max_tokens) append_number_field(out, "max_tokens", *p.max_tokens);
  if (p.top_p) append_number_field(out, "top_p", *p.top_p);
  if (p.seed) append_number_field(out, "seed", *p.seed);
  append_number_field(out, "stop.count", p.stop.size());
  for (const auto& s : p.stop)
    append_field(out, "stop", s);
  append_field(out, "system", r.system);
  append_number_field(out, "messages.count", r.messages.size());
  for (const auto& m : r.messages) {
    append_field(out, "role", m.role);
    append_field(out, "content", m.content);
  }
  append_field(out, "template_version", id.template_version);
  append_number_field(out, "repeat", id.repeat);
}

}  // namespace

std::string canonical_encoding(const RequestIdentity& identity) {
  std::string out;
  encode_into(identity, normalize_base_url(identity.base_url), out);
  return out;
}

Key cache_key(const RequestIdentity& identity) {
  return hash::sha256(canonical_encoding(identity));
}

Key KeyBuilder::operator()(const RequestIdentity& identity) {
  if (!have_url_ || identity.base_url != url_) {
    normalized_url_ = normalize_base_url(identity.base_url);  // throws before any state change
    url_ = identity.base_url;
    have_url_ = true;
  }
  buffer_.clear();
  encode_into(identity, normalized_url_, buffer_);
  sha_.reset();
  sha_.update(buffer_);
  return sha_.finish();
}

std::string key_to_hex(const Key& key) {
  return hash::to_hex(key);
}

bool parse_key_hex(std::string_view hex, Key& key) {
  if (hex.size() != key.size() * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < key.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    key[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

}  // namespace emosweep::cache
