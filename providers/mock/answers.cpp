#include "providers/mock/answers.hpp"

#include <array>
#include <cstring>
#include <tuple>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/error.hpp"
#include "core/lines.hpp"

namespace emosweep::providers::mock {
namespace {

// Our own list of common emotion words (adjectives a model would plausibly put in a mask).
constexpr std::array<std::string_view, 80> kEmotionWords = {
    "happy",        "sad",          "angry",       "anxious",    "afraid",      "scared",
    "nervous",      "excited",      "grateful",    "hopeful",    "lonely",      "frustrated",
    "disappointed", "proud",        "ashamed",     "guilty",     "embarrassed", "jealous",
    "confused",     "relieved",     "calm",        "content",    "depressed",   "hurt",
    "betrayed",     "overwhelmed",  "stressed",    "worried",    "annoyed",     "bitter",
    "bored",        "curious",      "comfortable", "confident",  "insecure",    "helpless",
    "hopeless",     "joyful",       "loved",       "miserable",  "numb",        "peaceful",
    "regretful",    "resentful",    "safe",        "satisfied",  "shocked",     "surprised",
    "terrified",    "thankful",     "upset",       "vulnerable", "worthless",   "amazed",
    "amused",       "apprehensive", "awkward",     "cheerful",   "defeated",    "desperate",
    "devastated",   "disgusted",    "eager",       "empty",      "envious",     "exhausted",
    "furious",      "glad",         "heartbroken", "humiliated", "inspired",    "irritated",
    "nostalgic",    "optimistic",   "pleased",     "rejected",   "tense",       "uneasy",
    "admired",      "affectionate"};

constexpr std::string_view kMask = "<mask>";
constexpr std::string_view kTextMarker = "Text:";
constexpr std::uint64_t kRollBase = 1099511628211ULL;

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t roll_hash(std::string_view s) {
  std::uint64_t h = 0;
  for (unsigned char c : s)
    h = h * kRollBase + c;
  return h;
}

std::size_t filter_bit(std::uint64_t h, std::size_t bits) {
  return static_cast<std::size_t>((h * 0x9E3779B97F4A7C15ULL) >> 48) & (bits - 1);
}

}  // namespace

std::uint64_t count_code_points(std::string_view text) {
  // Eight bytes at a time: a continuation byte is 10xxxxxx.
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  std::uint64_t continuation = 0;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    // 0x80 in each continuation byte, summed by a multiply (std::popcount would be a libgcc
    // call on the baseline x86-64 target).
    const std::uint64_t marks = (w & kHigh & ~(w << 1)) >> 7;
    continuation += (marks * 0x0101010101010101ULL) >> 56;
  }
  for (; i < text.size(); ++i)
    continuation += (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
  return text.size() - continuation;
}

std::uint64_t approx_tokens(std::uint64_t code_points) {
  return code_points == 0 ? 1 : (code_points + 3) / 4;
}

// memmem: glibc's vectorised search, much faster than a byte loop on long prompts.
std::size_t find_from(std::string_view s, std::string_view needle, std::size_t from) {
  if (from >= s.size()) return std::string_view::npos;
  const void* hit = ::memmem(s.data() + from, s.size() - from, needle.data(), needle.size());
  return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - s.data())
             : std::string_view::npos;
}

std::size_t count_masks(std::string_view prompt) {
  // After the last "Text:" that starts a line.
  std::size_t from = prompt.starts_with(kTextMarker) ? kTextMarker.size() : 0;
  constexpr std::string_view kLineMarker = "\nText:";
  for (std::size_t pos = find_from(prompt, kLineMarker, 0); pos != std::string_view::npos;
       pos = find_from(prompt, kLineMarker, pos + 1))
    from = pos + kLineMarker.size();
  std::size_t count = 0;
  for (std::size_t pos = find_from(prompt, kMask, from); pos != std::string_view::npos;
       pos = find_from(prompt, kMask, pos + kMask.size()))
    ++count;
  return count;
}

std::span<const std::string_view> emotion_words() {
  return kEmotionWords;
}

hash::Sha256 prompt_key(std::string_view model, std::string_view prompt) {
  hash::Sha256Builder b;
  b.update(model);
  b.update("\n");
  b.update(prompt);
  return b.finish();
}

std::uint64_t prompt_key_prefix(const hash::Sha256& key) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v = v << 8 | key[i];
  return v;
}

std::string pseudo_prediction(std::string_view model, std::string_view prompt, std::uint64_t seed) {
  return pseudo_prediction(prompt_key_prefix(prompt_key(model, prompt)), count_masks(prompt), seed);
}

std::string pseudo_prediction(std::uint64_t key_prefix, std::size_t masks, std::uint64_t seed) {
  const std::uint64_t h = mix(key_prefix ^ mix(seed + 0x5EED));
  std::string out = "[";
  for (std::size_t i = 0; i < masks; ++i) {
    if (i > 0) out += ", ";
    const std::uint64_t draw = mix(h + 0x9E3779B97F4A7C15ULL * (i + 1));
    out += '\'';
    out += kEmotionWords[draw % kEmotionWords.size()];
    out += '\'';
  }
  out += ']';
  return out;
}

AnswerBook AnswerBook::load(const std::string& path) {
  return parse(read_file(path), path);
}

AnswerBook AnswerBook::parse(std::string_view jsonl, const std::string& name) {
  AnswerBook book;
  book.filter_.assign(kFilterBits / 64, 0);
  simdjson::dom::parser parser;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < jsonl.size()) {
    std::size_t end = jsonl.find('\n', start);
    if (end == std::string_view::npos) end = jsonl.size();
    std::string_view line = jsonl.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const auto bad = [&](std::string_view why) {
      return InputError(fmt::format("{}: line {}: {}", name, line_number, why));
    };
    simdjson::dom::element doc;
    if (parser.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS)
      throw bad("not valid JSON");
    simdjson::dom::object obj;
    if (doc.get(obj) != simdjson::SUCCESS) throw bad("not a JSON object");
    const auto get_string = [&](std::string_view key, std::string_view& out) {
      simdjson::dom::element e;
      if (obj.at_key(key).get(e) != simdjson::SUCCESS) return false;
      if (e.get(out) != simdjson::SUCCESS) throw bad(fmt::format("\"{}\" must be a string", key));
      return true;
    };
    std::string_view prompt, segment, answer, model;
    const bool has_prompt = get_string("prompt", prompt);
    const bool has_segment = get_string("segment", segment);
    if (!get_string("answer", answer)) throw bad("missing \"answer\"");
    get_string("model", model);
    if (has_prompt == has_segment) throw bad("needs exactly one of \"prompt\" and \"segment\"");
    Entry entry{std::string(model), std::string(answer)};
    if (has_prompt) {
      book.prompts_[std::string(prompt)].push_back(std::move(entry));
      ++book.prompts_count_;
    } else {
      if (segment.empty()) throw bad("\"segment\" is empty");
      book.add_segment(std::string(segment), std::move(entry));
    }
  }
  return book;
}

void AnswerBook::add_segment(std::string text, Entry entry) {
  const std::size_t index = segments_.size();
  if (text.size() >= kWindow) {
    const std::uint64_t h = roll_hash(std::string_view(text).substr(0, kWindow));
    by_prefix_[h].push_back(index);
    const std::size_t bit = filter_bit(h, kFilterBits);
    filter_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  } else {
    short_segments_.push_back(index);
  }
  segments_.push_back(Segment{std::move(text), std::move(entry)});
}

const std::string* AnswerBook::find(std::string_view model, std::string_view prompt) const {
  if (!prompts_.empty()) {
    const auto it = prompts_.find(prompt);
    if (it != prompts_.end()) {
      const Entry* generic = nullptr;
      for (const Entry& e : it->second) {
        if (e.model == model) return &e.answer;
        if (e.model.empty() && !generic) generic = &e;
      }
      if (generic) return &generic->answer;
    }
  }
  return segments_.empty() ? nullptr : find_segment(model, prompt);
}

const std::string* AnswerBook::find_segment(std::string_view model, std::string_view prompt) const {
  // Best match: latest start, then longest, then model-specific, then earliest in the file.
  const Segment* best = nullptr;
  std::tuple<std::size_t, std::size_t, bool> best_key{};
  std::size_t best_index = 0;
  const auto consider = [&](std::size_t index, std::size_t pos) {
    const Segment& s = segments_[index];
    if (!s.entry.model.empty() && s.entry.model != model) return;
    const std::tuple<std::size_t, std::size_t, bool> key{pos, s.text.size(),
                                                         !s.entry.model.empty()};
    if (!best || key > best_key || (key == best_key && index < best_index)) {
      best = &s;
      best_key = key;
      best_index = index;
    }
  };
  for (std::size_t index : short_segments_) {
    const std::size_t pos = prompt.rfind(segments_[index].text);
    if (pos != std::string_view::npos) consider(index, pos);
  }
  if (!by_prefix_.empty() && prompt.size() >= kWindow) {
    std::uint64_t power = 1;  // kRollBase^(kWindow - 1)
    for (std::size_t i = 1; i < kWindow; ++i)
      power *= kRollBase;
    std::uint64_t h = roll_hash(prompt.substr(0, kWindow));
    for (std::size_t pos = 0;; ++pos) {
      const std::size_t bit = filter_bit(h, kFilterBits);
      if (filter_[bit / 64] >> (bit % 64) & 1) {
        const auto it = by_prefix_.find(h);
        if (it != by_prefix_.end()) {
          for (std::size_t index : it->second) {
            const std::string& text = segments_[index].text;
            if (prompt.compare(pos, text.size(), text) == 0) consider(index, pos);
          }
        }
      }
      if (pos + kWindow >= prompt.size()) break;
      h = (h - static_cast<unsigned char>(prompt[pos]) * power) * kRollBase +
          static_cast<unsigned char>(prompt[pos + kWindow]);
    }
  }
  return best ? &best->entry.answer : nullptr;
}

}  // namespace emosweep::providers::mock
