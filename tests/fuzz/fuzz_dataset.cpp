// libFuzzer target: the dataset reader (CSV path, with list-literal labels and the mask
// validation) never crashes; bad rows are InputErrors.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "express/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path =
      "/tmp/emosweep_fuzz_dataset_" + std::to_string(::getpid()) + ".csv";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fputs("index,original_ids,segment,number_of_labels,labels\n", f);
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    emosweep::express::DatasetReader reader(path);
    emosweep::express::Segment s;
    while (reader.next(s)) {
      if (emosweep::express::count_masks(s.text) != s.labels.size()) __builtin_trap();
    }
  } catch (const emosweep::InputError&) {
  }
  return 0;
}
