// libFuzzer target: the RFC 4180 reader must never crash on any input; it either yields
// records with the header's field count or throws InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/csv.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto reader = emosweep::csv::Reader::from_string(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    const std::size_t columns = reader.header().size();
    std::size_t rows = 0;
    while (reader.next()) {
      if (reader.size() != columns) __builtin_trap();
      std::size_t total = 0;
      for (std::size_t i = 0; i < reader.size(); ++i)
        total += reader.field(i).size();
      if (total > size) __builtin_trap();
      if (reader.row() != ++rows) __builtin_trap();
      // Writing the record and reading it back gives the same fields.
      std::string header;
      for (std::size_t i = 0; i < columns; ++i)
        header += i ? ",c" : "c";
      std::string record;
      std::vector<std::string_view> fields;
      for (std::size_t i = 0; i < reader.size(); ++i)
        fields.push_back(reader.field(i));
      emosweep::csv::append_record(record, fields);
      auto again = emosweep::csv::Reader::from_string(header + "\n" + record, "again.csv");
      const bool all_empty = columns == 1 && fields[0].empty();
      if (!all_empty) {
        if (!again.next()) __builtin_trap();
        for (std::size_t i = 0; i < columns; ++i)
          if (again.field(i) != fields[i]) __builtin_trap();
      }
    }
  } catch (const emosweep::InputError&) {
  }
  return 0;
}
