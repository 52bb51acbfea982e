#include "express/dataset.hpp"

#include <charconv>
#include <optional>
#include <variant>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/lines.hpp"
#include "express/pylist.hpp"

namespace emosweep::express {

std::size_t count_masks(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(kMaskToken); pos != std::string_view::npos;
       pos = text.find(kMaskToken, pos + kMaskToken.size()))
    ++n;
  return n;
}

namespace {

bool is_jsonl(std::string_view path) {
  return path.ends_with(".jsonl") || path.ends_with(".ndjson") || path.ends_with(".json");
}

std::optional<long long> parse_int(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  // pandas may write integer columns as floats ("3.0").
  if (s.ends_with(".0")) s.remove_suffix(2);
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

template <typename Where>
void validate(const Segment& seg, long long declared, const Where& where) {
  const std::size_t masks = count_masks(seg.text);
  if (declared < 0 || static_cast<std::size_t>(declared) != seg.labels.size() ||
      masks != seg.labels.size()) {
    throw InputError(fmt::format(
        "{}: number_of_labels is {} but labels has {} item(s) and the segment has {} <mask>",
        where(), declared, seg.labels.size(), masks));
  }
}

}  // namespace

struct DatasetReader::Impl {
  struct Csv {
    csv::Reader reader;
    std::optional<std::size_t> index, original_ids;
    std::size_t segment, number_of_labels, labels;
  };
  struct Jsonl {
    LineReader lines;
    simdjson::ondemand::parser parser;
    simdjson::padded_string buffer;
    explicit Jsonl(const std::string& path) : lines(path) {}
  };
  std::variant<std::monostate, std::unique_ptr<Csv>, std::unique_ptr<Jsonl>> source;
  std::size_t row = 0;
  std::string error;
};

DatasetReader::DatasetReader(const std::string& path)
    : path_(path), impl_(std::make_unique<Impl>()) {
  if (is_jsonl(path)) {
    impl_->source = std::make_unique<Impl::Jsonl>(path);
  } else {
    csv::Reader reader(path);
    auto c = std::make_unique<Impl::Csv>(Impl::Csv{std::move(reader), {}, {}, 0, 0, 0});
    c->index = c->reader.column("index");
    c->original_ids = c->reader.column("original_ids");
    c->segment = c->reader.require_column("segment");
    c->number_of_labels = c->reader.require_column("number_of_labels");
    c->labels = c->reader.require_column("labels");
    impl_->source = std::move(c);
  }
}

DatasetReader::~DatasetReader() = default;
DatasetReader::DatasetReader(DatasetReader&&) noexcept = default;
DatasetReader& DatasetReader::operator=(DatasetReader&&) noexcept = default;

namespace {

// Reads one string field of a JSONL object; numbers are accepted for ids.
std::optional<std::string> json_text(simdjson::ondemand::object& obj, std::string_view key,
                                     const std::string& where) {
  simdjson::ondemand::value v;
  if (obj.find_field_unordered(key).get(v) != simdjson::SUCCESS) return std::nullopt;
  simdjson::ondemand::json_type type;
  if (v.type().get(type) != simdjson::SUCCESS)
    throw InputError(fmt::format("{}: field '{}' is not valid JSON", where, key));
  if (type == simdjson::ondemand::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: field '{}' is not a valid string", where, key));
    return std::string(s);
  }
  if (type == simdjson::ondemand::json_type::number) {
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n'))
      raw.remove_suffix(1);
    return std::string(raw);
  }
  throw InputError(fmt::format("{}: field '{}' must be a string", where, key));
}

}  // namespace

bool DatasetReader::next(Segment& out) {
  if (auto* cp = std::get_if<std::unique_ptr<Impl::Csv>>(&impl_->source)) {
    auto& c = **cp;
    if (!c.reader.next()) return false;
    const auto where = [&] { return c.reader.where(); };
    out.row = c.reader.row();
    out.index = c.index ? std::string(c.reader.field(*c.index)) : std::to_string(out.row);
    out.original_ids = c.original_ids ? std::string(c.reader.field(*c.original_ids)) : out.index;
    out.text.assign(c.reader.field(c.segment));
    std::string err;
    if (!parse_python_list(c.reader.field(c.labels), out.labels, &err)) {
      throw InputError(
          fmt::format("{}: column 'labels' is not a list of strings ({})", where(), err));
    }
    const auto declared = parse_int(c.reader.field(c.number_of_labels));
    if (!declared) {
      throw InputError(fmt::format("{}: column 'number_of_labels' is '{}', expected an integer",
                                   where(), c.reader.field(c.number_of_labels)));
    }
    validate(out, *declared, where);
    return true;
  }
  auto& j = *std::get<std::unique_ptr<Impl::Jsonl>>(impl_->source);
  std::string_view line;
  do {
    if (!j.lines.next(line)) return false;
  } while (line.find_first_not_of(" \t\r") == std::string_view::npos);
  ++impl_->row;
  const std::string where_text =
      fmt::format("{}: row {} (line {})", path_, impl_->row, j.lines.line_number());
  const auto& where = where_text;
  const auto where_fn = [&] { return where_text; };
  j.buffer = simdjson::padded_string(line);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (j.parser.iterate(j.buffer).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS) {
    throw InputError(fmt::format("{}: not a JSON object", where));
  }
  out.row = impl_->row;
  out.index = json_text(obj, "index", where).value_or(std::to_string(out.row));
  out.original_ids = json_text(obj, "original_ids", where).value_or(out.index);
  auto text = json_text(obj, "segment", where);
  if (!text) throw InputError(fmt::format("{}: missing field 'segment'", where));
  out.text = std::move(*text);
  // labels: a JSON array of strings, or a Python list literal in a string.
  simdjson::ondemand::value labels;
  if (obj.find_field_unordered("labels").get(labels) != simdjson::SUCCESS)
    throw InputError(fmt::format("{}: missing field 'labels'", where));
  out.labels.clear();
  simdjson::ondemand::json_type type;
  if (labels.type().get(type) != simdjson::SUCCESS)
    throw InputError(fmt::format("{}: field 'labels' is not valid JSON", where));
  if (type == simdjson::ondemand::json_type::array) {
    simdjson::ondemand::array arr;
    if (labels.get_array().get(arr) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: field 'labels' is not an array", where));
    for (auto element : arr) {
      std::string_view s;
      if (element.get_string().get(s) != simdjson::SUCCESS)
        throw InputError(fmt::format("{}: field 'labels' must hold only strings", where));
      out.labels.emplace_back(s);
    }
  } else if (type == simdjson::ondemand::json_type::string) {
    std::string_view s;
    std::string err;
    if (labels.get_string().get(s) != simdjson::SUCCESS || !parse_python_list(s, out.labels, &err))
      throw InputError(fmt::format("{}: field 'labels' is not a list of strings ({})", where, err));
  } else {
    throw InputError(fmt::format("{}: field 'labels' must be a list of strings", where));
  }
  long long declared = static_cast<long long>(out.labels.size());
  simdjson::ondemand::value n;
  if (obj.find_field_unordered("number_of_labels").get(n) == simdjson::SUCCESS) {
    int64_t v;
    if (n.get_int64().get(v) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: field 'number_of_labels' must be an integer", where));
    declared = v;
  }
  validate(out, declared, where_fn);
  return true;
}

std::vector<Segment> read_dataset(const std::string& path) {
  DatasetReader reader(path);
  std::vector<Segment> out;
  Segment s;
  while (reader.next(s))
    out.push_back(s);
  return out;
}

}  // namespace emosweep::express
