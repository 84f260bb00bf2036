// The `fineprune` command: parses the command line and maps errors to exit codes.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/channels_command.h"
#include "cli/experiment_command.h"
#include "cli/received_model_commands.h"
#include "cli/slurm_commands.h"
#include "cli/report_command.h"
#include "cli/sweep_commands.h"
#include "common/config.h"
#include "common/error.h"
#include "common/stop_request.h"
#include "messaging/mpi_channel.h"

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
  run_cmd->add_option("--shard", run.shard, "Run only shard I of K (I/K, 0 <= I < K) of the task graph: whole (attack, seed) trainings with their defenses")
      ->type_name("I/K");
  run_cmd->add_option("--inject-failure", run.inject_failure, "Testing only: KIND:N[@R][+late] fails KIND tasks' first N attempts (on rank R of each worker group only; +late: after the model is trained or loaded); master:N fails the master after N outcomes")
      ->group("");

  PlanOptions plan;
  CLI::App* plan_cmd = app.add_subcommand("plan", "Dry run: the task graph, counts, what is already done");
  plan_cmd->add_option("spec", plan.spec_path, "Sweep YAML file")->required();
  plan_cmd->add_option("--out", plan.out_path, "Result file to compare with (default: <sweep name>.h5)");
  plan_cmd->add_option("--shard", plan.shard, "Only shard I of K of the task graph")->type_name("I/K");
  bool summary_only = false;
  plan_cmd->add_flag("--summary", summary_only, "Counts only, no task list");
  bool without_data = false;
  plan_cmd->add_flag("--without-data", without_data,
                     "Check the sweep file alone: open no data file (by default the data is read and checked as `run` does)");

  SlurmOptions slurm;
  BatchOptions& batch = slurm.batch;
  CLI::App* slurm_cmd = app.add_subcommand(
      "slurm", "Write the sbatch script of a sweep into its run directory (and submit it with --submit)");
  slurm_cmd->add_option("spec", slurm.spec_path, "Sweep YAML file")->required();
  slurm_cmd->add_option("run_args", batch.run_args, "After --: more arguments for `fineprune run`");
  slurm_cmd->add_option("--out", slurm.out_path, "Result HDF5 file (default: <sweep name>.h5; an array's merged file)");
  slurm_cmd->add_option("--run-dir", slurm.run_dir, "Folder for models, the script and Slurm's logs (default: <out>.run)");
  slurm_cmd->add_option("--nodes", batch.nodes, "Nodes (default 1)");
  slurm_cmd->add_option("--gpus-per-node", batch.gpus_per_node, "GPUs per node, one per worker rank (default 0: CPU only)");
  slurm_cmd->add_option("--ranks-per-worker", batch.ranks_per_worker, "Ranks in each worker group (default 1)");
  slurm_cmd->add_option("--cpus-per-task", batch.cpus_per_task, "CPUs (and threads) per rank (default 4)");
  slurm_cmd->add_option("--workers", batch.workers, "Worker groups (default: GPUs / ranks per worker, or one per training)");
  slurm_cmd->add_option("--time", batch.time, "Time limit in Slurm's form, e.g. 2:00:00 or 1-12");
  slurm_cmd->add_option("--signal-lead", batch.signal_lead_s, "Seconds before the time limit to send USR1 (default 300, or a quarter of --time)");
  slurm_cmd->add_option("--partition", batch.partition, "Slurm partition");
  slurm_cmd->add_option("--account", batch.account, "Slurm account");
  slurm_cmd->add_option("--qos", batch.qos, "Slurm QOS");
  slurm_cmd->add_option("--constraint", batch.constraint, "Slurm node features (--constraint)");
  slurm_cmd->add_option("--mem", batch.mem, "Memory per node, e.g. 64G");
  slurm_cmd->add_option("--launcher", batch.launcher, "srun (with --mpi=pmix, default) or mpirun");
  slurm_cmd->add_option("--array", batch.array, "Split the sweep into K shards, one array task (allocation and file) each");
  slurm_cmd->add_flag("--submit", slurm.submit, "Submit it with sbatch and print the job id");
  slurm_cmd->add_flag("--force", slurm.force, "Replace a different script of the same name (kept as .old)");

  MergeOptions merge;
  CLI::App* merge_cmd = app.add_subcommand("merge", "Combine the result files of a sweep's shards: fineprune merge OUT.h5 SHARD.h5...");
  merge_cmd->add_option("out", merge.out_path, "Result file to write (must not exist)")->required();
  merge_cmd->add_option("inputs", merge.inputs, "Shard result files of one sweep")->required();
  merge_cmd->add_flag("--quiet,-q", merge.quiet, "Print nothing on success");
  merge_cmd->add_flag("--partial", merge.partial, "Merge even when some shards of the split are missing");
  ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand("report", "The paper-style table of a result file, and its figures");
  report_cmd->add_option("results", report.results_path, "Result HDF5 file (from `experiment` or `run`)")->required();
  report_cmd->add_option("--format", report.format, "Table format: md, csv or latex (default md)");
  report_cmd->add_option("--out", report.out_path, "Write the table to this file (default: stdout)");
  report_cmd->add_option("--plot", report.plot_dir, "Draw the figures (PNG, needs gnuplot) into this folder");
  report_cmd->add_option("--attack", report.attack, "Only this attack");
  report_cmd->add_option("--defense", report.defense, "Only this defense (none, prune, finetune, fineprune)");

  ChannelsOptions channels;
  CLI::App* channels_cmd = app.add_subcommand(
      "channels", "Per channel of the pruned layer of a saved model: clean vs triggered activation, in pruning order");
  channels_cmd->add_option("spec", channels.spec_path, "Sweep YAML file whose run trained the model")->required();
  channels_cmd->add_option("--attack", channels.attack, "The attack's name")->required();
  channels_cmd->add_option("--model", channels.model, "The model's label (a models: entry's name; default: the first)");
  channels_cmd->add_option("--seed", channels.seed, "The seed")->required()->check(CLI::NonNegativeNumber);
  channels_cmd->add_option("--run-dir", channels.run_dir, "The sweep's run folder (default: <sweep name>.run)");
  channels_cmd->add_option("--out", channels.out_path, "Write every channel's row to this CSV file");
  channels_cmd->add_option("--threads", channels.threads, "Compute threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);

  DefendOptions defend;
  CLI::App* defend_cmd = app.add_subcommand(
      "defend", "Run an experiment file's defenses on a model trained elsewhere (a PyTorch state_dict)");
  defend_cmd->add_option("model", defend.model_path, "state_dict file: torch.save(model.state_dict(), path)")->required();
  defend_cmd->add_option("--arch", defend.arch, "The network: small_cnn, vgg, preact_resnet18 or deepid")->required();
  defend_cmd->add_option("--spec", defend.spec_path, "Experiment YAML: data, triggers, defenses, seeds")->required();
  defend_cmd->add_option("--out", defend.out_path, "Result HDF5 file to write")->required();
  defend_cmd->add_option("--layout", defend.layout, "Tensor names: fineprune (default), backdoorbench or sequential");
  defend_cmd->add_option("--seed", defend.seed, "Run only this seed (overrides the file's seeds)")
      ->check(CLI::NonNegativeNumber);
  defend_cmd->add_option("--threads", defend.threads, "Compute threads (default: the file's, else all cores)")
      ->check(CLI::NonNegativeNumber);
  defend_cmd->add_flag("--quiet,-q", defend.quiet, "Print only the summary");

  ExportOptions export_opts;
  CLI::App* export_cmd = app.add_subcommand(
      "export", "Write a model a sweep saved as a PyTorch state_dict (model.load_state_dict(torch.load(path)))");
  export_cmd->add_option("spec", export_opts.spec_path, "Sweep YAML file whose run trained the model")->required();
  export_cmd->add_option("--attack", export_opts.attack, "The attack's name")->required();
  export_cmd->add_option("--seed", export_opts.seed, "The seed")->required()->check(CLI::NonNegativeNumber);
  export_cmd->add_option("--model", export_opts.model_label, "The model's label (a models: entry's name; default: the first)");
  export_cmd->add_option("--run-dir", export_opts.run_dir, "The sweep's run folder (default: <sweep name>.run)");
  export_cmd->add_option("--layout", export_opts.layout, "Tensor names: fineprune (default), backdoorbench or sequential");
  export_cmd->add_option("--out", export_opts.out_path, "state_dict file to write")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  plan.list_tasks = !summary_only;
  plan.check_data = !without_data;
  const bool mpi = static_cast<bool>(*run_cmd);
  int code = kExitFailure;
  try {
    if (mpi) {
      install_stop_handlers();  // before MPI starts: a warning signal may come at any time
      mpi_start(&argc, &argv);
    }
    if (*experiment) code = run_experiment_command(exp);
    if (*run_cmd) code = run_sweep_command(run);
    if (*plan_cmd) code = run_plan_command(plan);
    if (*slurm_cmd) code = run_slurm_command(slurm);
    if (*merge_cmd) code = run_merge_command(merge);
    if (*report_cmd) code = run_report_command(report);
    if (*channels_cmd) code = run_channels_command(channels);
    if (*defend_cmd) code = run_defend_command(defend);
    if (*export_cmd) code = run_export_command(export_opts);
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
