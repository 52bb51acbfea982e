#include "express/pylist.hpp"

#include <type_traits>

#include <fmt/format.h>

#include "core/text.hpp"

namespace emosweep::express {
namespace {

class ListParser {
 public:
  ListParser(std::string_view text, std::vector<std::string>& items) : s_(text), items_(items) {}

  bool parse() {
    // Reuse the caller's strings (and their capacity): no allocation per item in steady state.
    std::size_t count = 0;
    skip_space(false);
    if (!eat('[')) return fail("expected '['");
    bool expect_item = true;  // an item may come next
    bool need_comma = false;
    for (;;) {
      skip_space(true);
      if (i_ >= s_.size()) return fail("unbalanced '[': missing ']'");
      const char c = s_[i_];
      // Python refuses null bytes anywhere; the loops below stop at them.
      if (c == '\0') return fail("null byte in input");
      if (c == ']') {
        ++i_;
        break;
      }
      if (c == ',') {
        if (!need_comma) return fail("unexpected ','");
        ++i_;
        need_comma = false;
        expect_item = true;
        continue;
      }
      if (!expect_item) return fail("expected ',' or ']'");
      if (count == items_.size()) items_.emplace_back();
      std::string& item = items_[count++];
      item.clear();
      if (!parse_string_item(item)) return false;
      expect_item = false;
      need_comma = true;
    }
    skip_space(false);
    if (i_ != s_.size()) return fail("unexpected text after ']'");
    items_.resize(count);
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool fail(std::string_view why) {
    error_ = fmt::format("{} at offset {}", why, i_);
    return false;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  // Python's tokenizer: spaces, tabs, form feeds; inside brackets also newlines, comments and
  // backslash continuations.
  void skip_space(bool in_brackets) {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\f') {
        ++i_;
      } else if (in_brackets && (c == '\n' || c == '\r')) {
        ++i_;
      } else if (in_brackets && c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n' && s_[i_] != '\r' && s_[i_] != '\0')
          ++i_;
      } else if (c == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '\n' || s_[i_ + 1] == '\r')) {
        i_ += 2;
        if (s_[i_ - 1] == '\r' && i_ < s_.size() && s_[i_] == '\n') ++i_;
      } else if (!in_brackets && (c == '\n' || c == '\r')) {
        ++i_;  // trailing newlines after the literal are fine for literal_eval
      } else {
        break;
      }
    }
  }

  // One item: one or more adjacent string literals, concatenated.
  bool parse_string_item(std::string& out) {
    bool any = false;
    for (;;) {
      const std::size_t save = i_;
      bool raw = false;
      if (!parse_prefix(raw)) return false;
      if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) {
        i_ = save;
        if (!any) return fail("expected a string item");
        return true;
      }
      if (!parse_string_body(raw, out)) return false;
      any = true;
      skip_space(true);
    }
  }

  bool parse_prefix(bool& raw) {
    std::size_t j = i_;
    bool r = false, u = false, other = false;
    while (j < s_.size() && j - i_ < 3) {
      const char c = s_[j];
      if (c == 'r' || c == 'R') {
        if (r) break;
        r = true;
      } else if (c == 'u' || c == 'U') {
        if (u) break;
        u = true;
      } else if (c == 'b' || c == 'B' || c == 'f' || c == 'F') {
        other = true;
      } else {
        break;
      }
      ++j;
    }
    if (j == i_) return true;
    if (j >= s_.size() || (s_[j] != '\'' && s_[j] != '"')) {
      return fail("expected a string item");
    }
    if (other) return fail("bytes and f-strings are not strings");
    if (u && r) return fail("invalid string prefix");
    raw = r;
    i_ = j;
    return true;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool read_hex(std::size_t digits, char32_t& cp) {
    if (i_ + digits > s_.size()) return fail("truncated escape");
    cp = 0;
    for (std::size_t k = 0; k < digits; ++k) {
      const int v = hex_value(s_[i_ + k]);
      if (v < 0) return fail("invalid hex escape");
      cp = cp * 16 + static_cast<char32_t>(v);
    }
    i_ += digits;
    return true;
  }

  static void append_code_point(std::string& out, char32_t cp) {
    // Lone surrogates are legal in Python strings but not in UTF-8.
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    text::append_utf8(out, cp);
  }

  bool parse_string_body(bool raw, std::string& out) {
    const char quote = s_[i_];
    const bool triple = i_ + 2 < s_.size() && s_[i_ + 1] == quote && s_[i_ + 2] == quote;
    i_ += triple ? 3 : 1;
    for (;;) {
      // Copy a run of ordinary characters at once.
      const auto j = static_cast<std::size_t>(
          text::find_byte_of(s_.data() + i_, s_.data() + s_.size(), quote, '\\', '\n', '\r', '\0') -
          s_.data());
      out.append(s_.data() + i_, j - i_);
      i_ = j;
      if (i_ >= s_.size()) return fail("unterminated string");
      const char c = s_[i_];
      if (c == '\0') return fail("null byte in input");
      if (c == quote) {
        if (!triple) {
          ++i_;
          return true;
        }
        if (i_ + 2 < s_.size() && s_[i_ + 1] == quote && s_[i_ + 2] == quote) {
          i_ += 3;
          return true;
        }
        out.push_back(c);
        ++i_;
        continue;
      }
      if (c == '\n' || c == '\r') {
        if (!triple) return fail("newline in a single-quoted string");
        // Python normalises \r\n and \r to \n in source text.
        if (c == '\r' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') ++i_;
        out.push_back('\n');
        ++i_;
        continue;
      }
      if (c != '\\') {
        out.push_back(c);
        ++i_;
        continue;
      }
      // Backslash.
      if (i_ + 1 >= s_.size()) return fail("unterminated string");
      const char e = s_[i_ + 1];
      if (e == '\0') return fail("null byte in input");
      if (raw) {
        // In raw strings a backslash escapes nothing but still keeps the next quote or
        // newline from ending the string; both characters are kept.
        out.push_back('\\');
        out.push_back(e);
        i_ += 2;
        continue;
      }
      i_ += 2;
      switch (e) {
        case '\n':
          break;
        case '\r':
          if (i_ < s_.size() && s_[i_] == '\n') ++i_;
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'x': {
          char32_t cp;
          if (!read_hex(2, cp)) return false;
          append_code_point(out, cp);
          break;
        }
        case 'u': {
          char32_t cp;
          if (!read_hex(4, cp)) return false;
          append_code_point(out, cp);
          break;
        }
        case 'U': {
          char32_t cp;
          if (!read_hex(8, cp)) return false;
          if (cp > 0x10FFFF) return fail("escape beyond U+10FFFF");
          append_code_point(out, cp);
          break;
        }
        case 'N':
          return fail("\\N{...} escapes are not supported");
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '7'; ++k, ++i_)
              cp = cp * 8 + static_cast<char32_t>(s_[i_] - '0');
            append_code_point(out, cp);
          } else {
            // Unknown escapes stay as written (Python keeps the backslash).
            out.push_back('\\');
            out.push_back(e);
          }
      }
    }
  }

  std::string_view s_;
  std::vector<std::string>& items_;
  std::size_t i_ = 0;
  std::string error_;
};

// The shape nearly every labels column and model output has: `['word', "word", ...]` with
// plain items (no escapes, prefixes, newlines or adjacent literals) and spaces around the
// punctuation. Returns false, without judging the text, at anything else: the full parser then
// decides. Same items as the full parser for every text it accepts (the pylist fuzz target checks).
template <typename Item>
bool parse_plain_list(std::string_view s, std::vector<Item>& items) {
  const char* p = s.data();
  const char* const end = p + s.size();
  const auto skip_spaces = [&] {
    while (p < end && *p == ' ')
      ++p;
  };
  skip_spaces();
  if (p == end || *p != '[') return false;
  ++p;
  std::size_t count = 0;
  for (;;) {
    skip_spaces();
    if (p == end) return false;
    if (*p == ']') break;
    const char quote = *p;
    if (quote != '\'' && quote != '"') return false;
    const char* const first = ++p;
    p = text::find_byte_of(p, end, quote, '\\', '\n', '\r', '\0');
    if (p == end || *p != quote) return false;  // an escape, a newline or a null byte
    const char* const last = p++;
    if (p < end && (*p == '\'' || *p == '"')) return false;  // '' + ' (a triple quote) or 'a''b'
    if (count == items.size()) items.emplace_back();
    const auto length = static_cast<std::size_t>(last - first);
    if constexpr (std::is_same_v<Item, std::string_view>)
      items[count++] = std::string_view(first, length);
    else
      items[count++].assign(first, length);
    skip_spaces();
    if (p == end) return false;
    if (*p == ']') break;
    if (*p != ',') return false;
    ++p;
  }
  ++p;  // past ']'
  while (p < end && (*p == ' ' || *p == '\n'))
    ++p;
  if (p != end) return false;
  items.resize(count);
  return true;
}

}  // namespace

bool parse_python_list(std::string_view text, std::vector<std::string>& items, std::string* error) {
  return parse_plain_list(text, items) || detail::parse_python_list_full(text, items, error);
}

bool parse_python_list(std::string_view text, std::vector<std::string_view>& items,
                       std::vector<std::string>& storage, std::string* error) {
  if (parse_plain_list(text, items)) return true;
  if (!detail::parse_python_list_full(text, storage, error)) {
    items.clear();
    return false;
  }
  items.assign(storage.begin(), storage.end());
  return true;
}

bool detail::parse_python_list_full(std::string_view text, std::vector<std::string>& items,
                                    std::string* error) {
  ListParser parser(text, items);
  const bool ok = parser.parse();
  if (!ok) {
    items.clear();
    if (error) *error = parser.error();
  }
  return ok;
}

}  // namespace emosweep::express
