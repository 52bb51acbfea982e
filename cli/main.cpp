// emosweep: the command-line entry point. Parses arguments, runs one subcommand, and maps
// failures to the exit codes of DESIGN.md §4.
#include <cstdio>
#include <exception>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  using emosweep::ExitCode;
  CLI::App app{"emosweep: sweep LLMs over the EXPRESS fine-grained emotion benchmark", "emosweep"};
  app.set_version_flag("--version", std::string("emosweep ") + EMOSWEEP_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  emosweep::cli::Action action;
  emosweep::cli::add_run_command(app, action);
  emosweep::cli::add_status_command(app, action);
  emosweep::cli::add_merge_command(app, action);
  emosweep::cli::add_score_command(app, action);
  emosweep::cli::add_mock_provider_command(app, action);
  emosweep::cli::add_cache_command(app, action);
  emosweep::cli::add_report_command(app, action);
  emosweep::cli::add_humaneval_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // CLI11 returns 0 for --help/--version; every real usage error is "bad usage".
    return code == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
  }
  try {
    return action ? action() : static_cast<int>(ExitCode::bad_input);
  } catch (const emosweep::InputError& e) {
    fmt::print(stderr, "emosweep: error: {}\n", e.what());
    return static_cast<int>(ExitCode::bad_input);
  } catch (const std::exception& e) {
    fmt::print(stderr, "emosweep: fatal: {}\n", e.what());
    return static_cast<int>(ExitCode::failure);
  }
}
