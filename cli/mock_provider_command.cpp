// `emosweep mock-provider --listen HOST:PORT ...` (being built: issue 3).
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace emosweep::cli {

void add_mock_provider_command(CLI::App& /*app*/, Action& /*action*/) {}

}  // namespace emosweep::cli
