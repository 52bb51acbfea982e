#include "express/prompts.hpp"

#include <fmt/format.h>

namespace emosweep::express {

std::string example_format(std::size_t num_labels) {
  std::string out;
  for (std::size_t i = 1; i <= num_labels; ++i) {
    if (i > 1) out += ", ";
    out += fmt::format("'insert emotion word for mask {}'", i);
  }
  return out;
}

namespace {
void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}
}  // namespace

std::string render_zero_shot(std::string_view segment, std::size_t num_labels) {
  // Substitute the segment last so that braces inside user text are never interpreted.
  std::string out(kZeroShotTemplate);
  replace_all(out, "{num_labels}", std::to_string(num_labels));
  replace_all(out, "{example_format}", example_format(num_labels));
  const std::size_t at = out.find("{segment}");
  out.replace(at, 9, segment);
  return out;
}

}  // namespace emosweep::express
