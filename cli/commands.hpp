// Subcommand registration. Each add_*_command() adds one CLI11 subcommand whose callback
// stores the work to do in `action`; main() runs it after parsing and maps errors to the
// exit codes of DESIGN.md §4. One file per subcommand: cli/<name>_command.cpp.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace emosweep::cli {

using Action = std::function<int()>;

void add_score_command(CLI::App& app, Action& action);
void add_mock_provider_command(CLI::App& app, Action& action);
void add_cache_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);
void add_humaneval_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_status_command(CLI::App& app, Action& action);
void add_merge_command(CLI::App& app, Action& action);

}  // namespace emosweep::cli
