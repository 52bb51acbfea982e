// Writes a synthetic run directory (tests/reports/synthetic_run.hpp) for demos and for the
// timings in docs/PERFORMANCE.md:
//   reports_make_synthetic_run DIR [--items N] [--repeats R] [--models a,b] [--variants x,y]
//                              [--seed S] [--shuffle-seed S] [--lean]
#include <cstdio>

#include <CLI/CLI.hpp>

#include "tests/reports/synthetic_run.hpp"

int main(int argc, char** argv) {
  emosweep::testing::SyntheticSpec spec;
  std::string dir;
  bool lean = false;
  CLI::App app{"Write a synthetic emosweep run directory"};
  app.add_option("DIR", dir)->required();
  app.add_option("--items", spec.items)->capture_default_str();
  app.add_option("--repeats", spec.repeats)->capture_default_str();
  app.add_option("--models", spec.models)->delimiter(',');
  app.add_option("--variants", spec.variants)->delimiter(',');
  app.add_option("--seed", spec.seed)->capture_default_str();
  app.add_option("--shuffle-seed", spec.shuffle_seed, "0: item-major order (streamed)")
      ->capture_default_str();
  app.add_flag("--lean", lean, "No predictions CSVs, dataset or bookkeeping keys");
  CLI11_PARSE(app, argc, argv);
  if (lean) spec.predictions = spec.dataset = spec.full_records = false;
  const auto run = emosweep::testing::write_synthetic_run(dir, spec);
  std::printf("%s: %zu configurations\n", run.dir.c_str(), run.totals.size());
  return 0;
}
