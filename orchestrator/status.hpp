// `emosweep status RUN_DIR`: what a run is doing or did, read while it runs (from run.json,
// which the run rewrites every few seconds, and the cache opened as a RocksDB secondary
// instance, so the live run is never disturbed).
#pragma once

#include <string>

namespace emosweep::orchestrator {

// Prints the status; returns 0, or throws InputError when RUN_DIR holds no run.
int show_status(const std::string& run_dir, bool json);

}  // namespace emosweep::orchestrator
