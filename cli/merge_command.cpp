// `emosweep merge OUT_DIR... --out MERGED` (being built: issue 5).
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace emosweep::cli {

void add_merge_command(CLI::App& /*app*/, Action& /*action*/) {}

}  // namespace emosweep::cli
