#include "core/json.hpp"

#include <charconv>
#include <cmath>

#include "core/text.hpp"

namespace emosweep::json {

void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool valid = text::is_valid_utf8(s);
  std::string repaired;
  if (!valid) {
    repaired = text::repair_utf8(s);
    s = repaired;
  }
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void Writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_->push_back(',');
    first_.back() = false;
  }
}

Writer& Writer::begin_object() {
  before_value();
  out_->push_back('{');
  first_.push_back(true);
  return *this;
}
Writer& Writer::end_object() {
  out_->push_back('}');
  first_.pop_back();
  return *this;
}
Writer& Writer::begin_array() {
  before_value();
  out_->push_back('[');
  first_.push_back(true);
  return *this;
}
Writer& Writer::end_array() {
  out_->push_back(']');
  first_.pop_back();
  return *this;
}
Writer& Writer::key(std::string_view k) {
  before_value();
  append_string(*out_, k);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}
Writer& Writer::value(std::string_view s) {
  before_value();
  append_string(*out_, s);
  return *this;
}
Writer& Writer::value(double v) {
  before_value();
  append_number(*out_, v);
  return *this;
}
Writer& Writer::value(std::int64_t v) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out_->append(buf, end);
  return *this;
}
Writer& Writer::value(std::uint64_t v) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out_->append(buf, end);
  return *this;
}
Writer& Writer::value(bool b) {
  before_value();
  *out_ += b ? "true" : "false";
  return *this;
}
Writer& Writer::null() {
  before_value();
  *out_ += "null";
  return *this;
}
Writer& Writer::raw(std::string_view json) {
  before_value();
  out_->append(json);
  return *this;
}

}  // namespace emosweep::json
