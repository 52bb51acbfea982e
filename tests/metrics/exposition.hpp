// Test support: a small parser of the Prometheus text exposition format, enough to assert on
// what a scrape returns (names, labels, values, TYPE lines).
#pragma once

#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace emosweep::metrics::testing {

struct ExposedSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> "counter", "gauge", ...
  std::vector<ExposedSample> samples;

  // The value of the one sample named `name` with exactly `labels`, if present.
  std::optional<double> value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
};

inline Exposition parse_exposition(const std::string& text) {
  Exposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      out.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    ExposedSample s;
    std::size_t pos = line.find_first_of("{ ");
    if (pos == std::string::npos) throw std::runtime_error("bad sample line: " + line);
    s.name = line.substr(0, pos);
    if (line[pos] == '{') {
      ++pos;
      while (line[pos] != '}') {
        const auto eq = line.find('=', pos);
        std::string key = line.substr(pos, eq - pos);
        if (line.at(eq + 1) != '"') throw std::runtime_error("bad label in: " + line);
        std::string value;
        pos = eq + 2;
        while (line.at(pos) != '"') {
          if (line[pos] == '\\') {
            ++pos;
            value.push_back(line.at(pos) == 'n' ? '\n' : line[pos]);
          } else {
            value.push_back(line[pos]);
          }
          ++pos;
        }
        ++pos;  // closing quote
        if (line.at(pos) == ',') ++pos;
        s.labels.emplace(std::move(key), std::move(value));
      }
      ++pos;  // '}'
    }
    const std::string value = line.substr(line.find_first_not_of(' ', pos));
    s.value = std::stod(value.substr(0, value.find(" ")));  // strtod reads +Inf and NaN
    out.samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace emosweep::metrics::testing
