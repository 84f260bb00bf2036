// The `experiment` subcommand.
#include "cli/experiment_command.h"

#include <torch/torch.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <unistd.h>

#include "cli/thread_count.h"
#include "common/config.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "common/file_lock.h"
#include "common/input_files.h"
#include "results/result_tables.h"
#include "results/summary.h"
#include "workers/data/input_check.h"
#include "workers/experiment/experiment_runner.h"

namespace fineprune {

namespace {

// The temporary result file, removed if the user interrupts the run (the output it would have
// replaced is untouched either way). A fixed buffer: the handler may only call unlink and _exit.
char g_tmp_path[4096] = {0};

void remove_tmp_and_exit(int signal_number) {
  if (g_tmp_path[0] != 0) ::unlink(g_tmp_path);
  ::_exit(128 + signal_number);
}

}  // namespace

int run_experiment_command(const ExperimentOptions& options) {
  ExperimentSpec spec = load_experiment_spec(options.spec_path);
  if (options.seed >= 0) spec.seeds = {options.seed};
  const int threads = choose_thread_count(options.threads >= 0 ? options.threads : spec.threads);
  torch::set_num_threads(threads);

  // Everything that can be known up front is checked before any work: the output's place, then
  // the data, the model and the triggers (the same check as `plan` and `run` make).
  check_output_path(options.out_path);
  check_inputs(spec);
  return write_experiment(spec, options.out_path, threads, {}, options.quiet);
}

int write_experiment(const ExperimentSpec& spec, const std::string& out_path, int threads,
                     const std::map<std::string, std::string>& attributes, bool quiet) {
  const std::filesystem::path out(out_path);
  // One writer per output, as for `run`: held until the rename below is done, so a sweep or
  // another experiment writing the same file is refused rather than overwritten.
  const FileLock lock(out_path + ".lock", out_path, this_process_description());
  const std::string tmp = out_path + ".tmp" + std::to_string(::getpid());
  if (tmp.size() < sizeof g_tmp_path) {
    std::copy(tmp.begin(), tmp.end(), g_tmp_path);
    std::signal(SIGINT, remove_tmp_and_exit);
    std::signal(SIGTERM, remove_tmp_and_exit);
  }
  const auto log = [&](const std::string& line) {
    if (!quiet) std::cerr << line << std::endl;
  };
  log("fineprune " FINEPRUNE_VERSION ": experiment " + spec.name + " with " +
      std::to_string(threads) + " threads");
  std::map<std::string, std::string> all = {{"experiment_yaml", spec.source_text},
                                            {"experiment_file", spec.source_file},
                                            {"fineprune_version", FINEPRUNE_VERSION},
                                            {"asr_counts", spec.asr_counts},
                                            {"torch_threads", std::to_string(threads)}};
  all.insert(attributes.begin(), attributes.end());
  try {
    auto writer = ResultWriter::create(tmp, all);
    run_experiment(spec, *writer, log);
    writer->close();
    std::filesystem::rename(tmp, out);
    g_tmp_path[0] = 0;
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  const ResultFile written = read_result_file(out_path);
  std::cout << format_summary(summarise(written.results));
  log("results written to " + out_path);
  return kExitOk;
}

}  // namespace fineprune
