// The `fineprune` command: parses the command line and maps errors to exit codes.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/experiment_command.h"
#include "common/config.h"
#include "common/error.h"

int main(int argc, char** argv) {
  using namespace fineprune;
  CLI::App app{"fineprune: backdoor-defense experiments (Fine-Pruning) at scale"};
  app.set_version_flag("--version", FINEPRUNE_VERSION);
  app.require_subcommand(1);

  ExperimentOptions exp;
  CLI::App* experiment = app.add_subcommand("experiment", "Run one experiment file in this process");
  experiment->add_option("spec", exp.spec_path, "Experiment YAML file")->required();
  experiment->add_option("--out", exp.out_path, "Result HDF5 file to write")->required();
  experiment->add_option("--seed", exp.seed, "Run only this seed (overrides the file's seeds)")
      ->check(CLI::NonNegativeNumber);
  experiment->add_option("--threads", exp.threads, "Compute threads (default: the file's, else all cores)")
      ->check(CLI::NonNegativeNumber);
  experiment->add_flag("--quiet,-q", exp.quiet, "Print only the summary");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  try {
    if (*experiment) return run_experiment_command(exp);
  } catch (const InputError& e) {
    std::cerr << "fineprune: error: " << e.what() << std::endl;
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "fineprune: error: " << e.what() << std::endl;
    return kExitFailure;
  }
  return kExitFailure;
}
