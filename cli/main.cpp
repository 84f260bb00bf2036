// The `fineprune` command: parses the command line and maps errors to exit codes.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/experiment_command.h"
#include "cli/report_command.h"
#include "cli/sweep_commands.h"
#include "common/config.h"
#include "common/error.h"
#include "orchestrator/mpi_channel.h"

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

  RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a sweep under MPI: mpirun -np N fineprune run SWEEP.yaml");
  run_cmd->add_option("spec", run.spec_path, "Sweep YAML file")->required();
  run_cmd->add_option("--out", run.out_path, "Result HDF5 file (default: <sweep name>.h5); re-running resumes it");
  run_cmd->add_option("--run-dir", run.run_dir, "Folder for trained models, seen by all ranks (default: <out>.run)");
  run_cmd->add_option("--ranks-per-worker", run.ranks_per_worker, "Ranks in each worker group")
      ->check(CLI::PositiveNumber);
  run_cmd->add_option("--threads", run.threads, "Threads per training rank (default: cores / training ranks on the node)")
      ->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--max-attempts", run.max_attempts, "Tries per task before it is recorded as failed")
      ->check(CLI::PositiveNumber);
  run_cmd->add_option("--progress-interval", run.progress_interval_s, "Seconds between progress lines")
      ->check(CLI::PositiveNumber);
  run_cmd->add_flag("--quiet,-q", run.quiet, "Only the final summary");
  run_cmd->add_flag("--progress-json", run.json_progress, "Progress as one JSON object per line on stdout");
  run_cmd->add_flag("--fresh", run.fresh, "Start a new output file even if one of another sweep is there");
  run_cmd->add_option("--inject-failure", run.inject_failure, "Testing only: KIND:N fails KIND tasks' first N attempts")
      ->group("");

  PlanOptions plan;
  CLI::App* plan_cmd = app.add_subcommand("plan", "Dry run: the task graph, counts, what is already done");
  plan_cmd->add_option("spec", plan.spec_path, "Sweep YAML file")->required();
  plan_cmd->add_option("--out", plan.out_path, "Result file to compare with (default: <sweep name>.h5)");
  bool summary_only = false;
  plan_cmd->add_flag("--summary", summary_only, "Counts only, no task list");

  ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand("report", "The paper-style table of a result file, and its figures");
  report_cmd->add_option("results", report.results_path, "Result HDF5 file (from `experiment` or `run`)")->required();
  report_cmd->add_option("--format", report.format, "Table format: md, csv or latex (default md)");
  report_cmd->add_option("--out", report.out_path, "Write the table to this file (default: stdout)");
  report_cmd->add_option("--plot", report.plot_dir, "Draw the figures (PNG, needs gnuplot) into this folder");
  report_cmd->add_option("--attack", report.attack, "Only this attack");
  report_cmd->add_option("--defense", report.defense, "Only this defense (none, prune, finetune, fineprune)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  plan.list_tasks = !summary_only;
  const bool mpi = static_cast<bool>(*run_cmd);
  int code = kExitFailure;
  try {
    if (mpi) mpi_start(&argc, &argv);
    if (*experiment) code = run_experiment_command(exp);
    if (*run_cmd) code = run_sweep_command(run);
    if (*plan_cmd) code = run_plan_command(plan);
    if (*report_cmd) code = run_report_command(report);
  } catch (const InputError& e) {
    std::cerr << "fineprune: error: " << e.what() << std::endl;
    code = kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "fineprune: error: " << e.what() << std::endl;
    code = kExitFailure;
  }
  if (mpi) mpi_finish();
  return code;
}
