#include "providers/rate_limits.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace emosweep::providers {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

constexpr std::uint64_t kNanosPerSecond = 1'000'000'000;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Whole milliseconds, rounded up, from nanoseconds.
milliseconds ceil_ms(std::uint64_t ns) {
  return milliseconds(static_cast<milliseconds::rep>(ns / 1'000'000 + (ns % 1'000'000 != 0)));
}

// Consumes and returns the `<digits>[.<digits>]` text at the front of `s` (maybe empty).
std::string_view take_number(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i]))
    ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i]))
      ++i;
  }
  const std::string_view number = s.substr(0, i);
  s.remove_prefix(i);
  return number;
}

// `number` (as take_number returns it) times `unit_ns` nanoseconds, rounded to the nearest
// nanosecond; nullopt when it has no digit or overflows.
std::optional<std::uint64_t> scale_decimal(std::string_view number, std::uint64_t unit_ns) {
  std::uint64_t whole = 0;
  std::uint64_t fraction = 0;
  std::uint64_t fraction_scale = 1;
  bool any_digit = false;
  bool in_fraction = false;
  for (char c : number) {
    if (c == '.') {
      in_fraction = true;
      continue;
    }
    any_digit = true;
    const auto digit = static_cast<unsigned>(c - '0');
    if (!in_fraction) {
      if (__builtin_mul_overflow(whole, 10u, &whole) ||
          __builtin_add_overflow(whole, digit, &whole))
        return std::nullopt;
    } else if (fraction_scale < 1'000'000'000'000'000'000ull) {
      // Digits past the 18th cannot matter at nanosecond precision.
      fraction = fraction * 10 + digit;
      fraction_scale *= 10;
    }
  }
  if (!any_digit) return std::nullopt;
  std::uint64_t total = 0;
  if (__builtin_mul_overflow(whole, unit_ns, &total)) return std::nullopt;
  if (fraction != 0) {
    const long double part = static_cast<long double>(fraction) *
                             static_cast<long double>(unit_ns) /
                             static_cast<long double>(fraction_scale);
    if (__builtin_add_overflow(total, static_cast<std::uint64_t>(std::llroundl(part)), &total))
      return std::nullopt;
  }
  return total;
}

// A Go duration unit at the front of `s`: consumes it and returns nanoseconds per unit.
std::optional<std::uint64_t> take_unit(std::string_view& s) {
  struct Unit {
    std::string_view name;
    std::uint64_t ns;
  };
  // Longer names first so that "ms" is not read as "m".
  static constexpr std::array<Unit, 8> kUnits{{{"ns", 1},
                                               {"us", 1'000},
                                               {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
                                               {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
                                               {"ms", 1'000'000},
                                               {"s", kNanosPerSecond},
                                               {"m", 60 * kNanosPerSecond},
                                               {"h", 3600 * kNanosPerSecond}}};
  for (const auto& unit : kUnits) {
    if (s.starts_with(unit.name)) {
      s.remove_prefix(unit.name.size());
      return unit.ns;
    }
  }
  return std::nullopt;
}

// Reads exactly `width` digits.
std::optional<int> take_fixed_digits(std::string_view& s, std::size_t width) {
  if (s.size() < width) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    if (!is_digit(s[i])) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  s.remove_prefix(width);
  return v;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

bool take_literal(std::string_view& s, std::string_view lit) {
  if (!s.starts_with(lit)) return false;
  s.remove_prefix(lit.size());
  return true;
}

std::optional<unsigned> take_month(std::string_view& s) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned m = 0; m < kMonths.size(); ++m) {
    if (take_literal(s, kMonths[m])) return m + 1;
  }
  return std::nullopt;
}

// A day name, short ("Sun") or long ("Sunday"), whichever the date form uses.
bool take_day_name(std::string_view& s) {
  static constexpr std::array<std::string_view, 7> kLong{
      "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
  for (auto name : kLong) {
    if (take_literal(s, name)) return true;
  }
  for (auto name : kLong) {
    if (take_literal(s, name.substr(0, 3))) return true;
  }
  return false;
}

struct TimeOfDay {
  int hour, minute, second;
};

// "HH:MM:SS" with range checks (a leap second 60 is accepted).
std::optional<TimeOfDay> take_time_of_day(std::string_view& s) {
  auto h = take_fixed_digits(s, 2);
  if (!h || !take_char(s, ':')) return std::nullopt;
  auto m = take_fixed_digits(s, 2);
  if (!m || !take_char(s, ':')) return std::nullopt;
  auto sec = take_fixed_digits(s, 2);
  if (!sec || *h > 23 || *m > 59 || *sec > 60) return std::nullopt;
  return TimeOfDay{*h, *m, *sec};
}

constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2200;

std::optional<SystemTime> make_time(int year, unsigned month, unsigned day, TimeOfDay t,
                                    nanoseconds fraction = nanoseconds(0),
                                    std::chrono::minutes offset = std::chrono::minutes(0)) {
  // system_clock counts nanoseconds in 64 bits: years past 2262 would overflow (found by
  // fuzzing), and no rate-limit hint is meant that far away or before 1900.
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                        std::chrono::day(day)};
  if (!ymd.ok()) return std::nullopt;
  const auto utc = std::chrono::sys_days(ymd) + std::chrono::hours(t.hour) +
                   std::chrono::minutes(t.minute) + std::chrono::seconds(t.second) + fraction -
                   offset;
  return std::chrono::floor<SystemTime::duration>(utc);
}

}  // namespace

std::optional<std::uint64_t> parse_count(std::string_view value) {
  value = trim_ows(value);
  if (value.empty()) return std::nullopt;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return n;
}

std::optional<milliseconds> parse_duration(std::string_view value) {
  value = trim_ows(value);
  if (value.empty()) return std::nullopt;
  if (value == "0") return milliseconds(0);
  std::uint64_t total_ns = 0;
  while (!value.empty()) {
    const std::string_view number = take_number(value);
    const auto unit = take_unit(value);
    if (!unit) return std::nullopt;
    const auto term = scale_decimal(number, *unit);
    if (!term || __builtin_add_overflow(total_ns, *term, &total_ns)) return std::nullopt;
  }
  return ceil_ms(total_ns);
}

std::optional<SystemTime> parse_http_date(std::string_view value) {
  std::string_view s = trim_ows(value);
  if (!take_day_name(s)) return std::nullopt;
  if (take_literal(s, ", ")) {
    auto day = take_fixed_digits(s, 2);
    if (!day) return std::nullopt;
    int year = 0;
    std::optional<unsigned> month;
    if (take_char(s, ' ')) {  // IMF-fixdate: 06 Nov 1994
      month = take_month(s);
      if (!month || !take_char(s, ' ')) return std::nullopt;
      auto y = take_fixed_digits(s, 4);
      if (!y) return std::nullopt;
      year = *y;
    } else if (take_char(s, '-')) {  // RFC 850: 06-Nov-94
      month = take_month(s);
      if (!month || !take_char(s, '-')) return std::nullopt;
      auto yy = take_fixed_digits(s, 2);
      if (!yy) return std::nullopt;
      year = *yy >= 70 ? 1900 + *yy : 2000 + *yy;
    } else {
      return std::nullopt;
    }
    if (!take_char(s, ' ')) return std::nullopt;
    auto t = take_time_of_day(s);
    if (!t || s != " GMT") return std::nullopt;
    return make_time(year, *month, static_cast<unsigned>(*day), *t);
  }
  // asctime: "Sun Nov  6 08:49:37 1994" (day padded with a space, not a zero).
  if (!take_char(s, ' ')) return std::nullopt;
  auto month = take_month(s);
  if (!month || !take_char(s, ' ')) return std::nullopt;
  if (s.empty()) return std::nullopt;
  if (s.front() == ' ') s.remove_prefix(1);
  std::optional<int> day;
  if (s.size() >= 2 && is_digit(s[1]))
    day = take_fixed_digits(s, 2);
  else
    day = take_fixed_digits(s, 1);
  if (!day || !take_char(s, ' ')) return std::nullopt;
  auto t = take_time_of_day(s);
  if (!t || !take_char(s, ' ')) return std::nullopt;
  auto year = take_fixed_digits(s, 4);
  if (!year || !s.empty()) return std::nullopt;
  return make_time(*year, *month, static_cast<unsigned>(*day), *t);
}

std::optional<SystemTime> parse_rfc3339(std::string_view value) {
  std::string_view s = trim_ows(value);
  auto year = take_fixed_digits(s, 4);
  if (!year || !take_char(s, '-')) return std::nullopt;
  auto month = take_fixed_digits(s, 2);
  if (!month || !take_char(s, '-')) return std::nullopt;
  auto day = take_fixed_digits(s, 2);
  if (!day || s.empty()) return std::nullopt;
  if (s.front() != 'T' && s.front() != 't' && s.front() != ' ') return std::nullopt;
  s.remove_prefix(1);
  auto t = take_time_of_day(s);
  if (!t) return std::nullopt;
  nanoseconds fraction(0);
  if (take_char(s, '.')) {
    std::size_t digits = 0;
    std::int64_t ns = 0;
    while (!s.empty() && is_digit(s.front())) {
      if (digits < 9) ns = ns * 10 + (s.front() - '0');
      ++digits;
      s.remove_prefix(1);
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t d = digits; d < 9; ++d)
      ns *= 10;
    fraction = nanoseconds(ns);
  }
  std::chrono::minutes offset(0);
  if (s == "Z" || s == "z") {
    s = {};
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    const int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    auto oh = take_fixed_digits(s, 2);
    if (!oh || !take_char(s, ':')) return std::nullopt;
    auto om = take_fixed_digits(s, 2);
    if (!om || *oh > 23 || *om > 59 || !s.empty()) return std::nullopt;
    offset = std::chrono::minutes(sign * (*oh * 60 + *om));
  } else {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12) return std::nullopt;
  return make_time(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day), *t, fraction,
                   offset);
}

milliseconds time_until(SystemTime when, SystemTime now) {
  if (when <= now) return milliseconds(0);
  return std::chrono::ceil<milliseconds>(when - now);
}

std::optional<milliseconds> parse_retry_after(std::string_view value, SystemTime now) {
  std::string_view s = trim_ows(value);
  if (!s.empty() && (is_digit(s.front()) || s.front() == '.')) {
    const std::string_view number = take_number(s);
    const auto ns = scale_decimal(number, kNanosPerSecond);
    if (!ns || !s.empty()) return std::nullopt;
    return ceil_ms(*ns);
  }
  auto date = parse_http_date(s);
  if (!date) return std::nullopt;
  return time_until(*date, now);
}

std::optional<milliseconds> parse_retry_after_ms(std::string_view value) {
  std::string_view s = trim_ows(value);
  const std::string_view number = take_number(s);
  const auto ns = scale_decimal(number, 1'000'000);
  if (!ns || !s.empty()) return std::nullopt;
  return ceil_ms(*ns);
}

std::optional<milliseconds> parse_retry_headers(const Headers& headers, SystemTime now) {
  if (auto ms = find_header(headers, "retry-after-ms")) {
    if (auto wait = parse_retry_after_ms(*ms)) return wait;
  }
  if (auto value = find_header(headers, "retry-after")) return parse_retry_after(*value, now);
  return std::nullopt;
}

namespace {

std::optional<std::uint64_t> header_count(const Headers& headers, std::string_view name) {
  auto v = find_header(headers, name);
  return v ? parse_count(*v) : std::nullopt;
}

std::optional<milliseconds> header_duration(const Headers& headers, std::string_view name) {
  auto v = find_header(headers, name);
  return v ? parse_duration(*v) : std::nullopt;
}

struct LimitFamily {
  std::optional<std::uint64_t> limit, remaining;
  std::optional<milliseconds> reset;
  bool present() const { return limit || remaining || reset; }
};

LimitFamily anthropic_family(const Headers& headers, std::string_view family, SystemTime now) {
  const std::string prefix = "anthropic-ratelimit-" + std::string(family);
  LimitFamily f;
  f.limit = header_count(headers, prefix + "-limit");
  f.remaining = header_count(headers, prefix + "-remaining");
  if (auto v = find_header(headers, prefix + "-reset")) {
    if (auto when = parse_rfc3339(*v)) f.reset = time_until(*when, now);
  }
  return f;
}

}  // namespace

RateLimitInfo parse_openai_rate_limits(const Headers& headers, SystemTime now) {
  RateLimitInfo info;
  info.requests_limit = header_count(headers, "x-ratelimit-limit-requests");
  info.requests_remaining = header_count(headers, "x-ratelimit-remaining-requests");
  info.requests_reset = header_duration(headers, "x-ratelimit-reset-requests");
  info.tokens_limit = header_count(headers, "x-ratelimit-limit-tokens");
  info.tokens_remaining = header_count(headers, "x-ratelimit-remaining-tokens");
  info.tokens_reset = header_duration(headers, "x-ratelimit-reset-tokens");
  info.retry_after = parse_retry_headers(headers, now);
  return info;
}

RateLimitInfo parse_anthropic_rate_limits(const Headers& headers, SystemTime now) {
  RateLimitInfo info;
  const LimitFamily requests = anthropic_family(headers, "requests", now);
  info.requests_limit = requests.limit;
  info.requests_remaining = requests.remaining;
  info.requests_reset = requests.reset;

  LimitFamily tokens = anthropic_family(headers, "tokens", now);
  if (!tokens.present()) {
    const LimitFamily input = anthropic_family(headers, "input-tokens", now);
    const LimitFamily output = anthropic_family(headers, "output-tokens", now);
    if (input.remaining && output.remaining)
      tokens = *output.remaining < *input.remaining ? output : input;
    else
      tokens = output.remaining ? output : input.present() ? input : output;
  }
  info.tokens_limit = tokens.limit;
  info.tokens_remaining = tokens.remaining;
  info.tokens_reset = tokens.reset;
  if (auto v = find_header(headers, "retry-after")) info.retry_after = parse_retry_after(*v, now);
  return info;
}

}  // namespace emosweep::providers
