// `fineprune slurm`: writes the sbatch script of a sweep into its run directory, and submits it
// with --submit.
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/slurm_commands.h"
#include "cli/sweep_commands.h"
#include "common/config.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "orchestrator/sharding.h"
#include "common/sweep_expansion.h"

namespace fineprune {

namespace fs = std::filesystem;

namespace {

// A job and file name from the sweep's name: letters, digits, '.', '_' and '-'.
std::string safe_name(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  return out.empty() ? "sweep" : out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Writes `text` at `path` (executable) through a temporary file and a rename. A different file
// already there is refused unless `force`, which keeps it as <path>.old.
void write_script(const std::string& path, const std::string& text, bool force) {
  if (fs::exists(path) && read_text(path) != text) {
    if (!force) {
      throw InputError(path + ": exists and differs from the script these flags give (edited by hand?); "
                              "--force replaces it and keeps the old one as " + path + ".old");
    }
    fs::rename(path, path + ".old");
    std::cerr << "fineprune: kept the previous script as " << path << ".old" << std::endl;
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw IoError(tmp, "cannot write the batch script");
  }
  fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  fs::rename(tmp, path);
}

// Runs `sbatch --parsable <script>` and returns the job id it prints.
std::string submit(const std::string& script) {
  const std::string command = "sbatch --parsable " + shell_quote(script) + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw Error("cannot run sbatch for " + script);
  std::string output;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  if (code != 0) {
    throw Error("sbatch " + script + " failed (exit " + std::to_string(code) + ")" +
                (code == 127 ? ": sbatch is not on PATH (not a Slurm login node?)" : "") + ": " + output);
  }
  const size_t newline = output.rfind('\n');  // sbatch may print warnings first
  std::string id = newline == std::string::npos ? output : output.substr(newline + 1);
  return id.substr(0, id.find(';'));  // "<id>;<cluster>" on federated clusters
}

}  // namespace

int run_slurm_command(SlurmOptions options) {
  const ExperimentSpec spec = load_experiment_spec(options.spec_path);
  const std::vector<Task> tasks = expand_sweep(spec, FINEPRUNE_VERSION);
  BatchOptions& b = options.batch;
  b.sweep_name = safe_name(spec.name);
  b.trainings = family_count(tasks);
  b.trainings_per_shard = b.trainings;
  if (b.array > 1 && static_cast<size_t>(b.array) <= b.trainings) {
    const std::vector<int> shard = shard_assignment(tasks, b.array);
    std::vector<size_t> trains(static_cast<size_t>(b.array), 0);
    for (size_t i = 0; i < tasks.size(); ++i) trains[static_cast<size_t>(shard[i])] += tasks[i].deps.empty() ? 1 : 0;
    b.trainings_per_shard = *std::max_element(trains.begin(), trains.end());
  }
  const std::string out = options.out_path.empty() ? default_out_path(spec.name) : options.out_path;
  b.out_path = fs::absolute(out).lexically_normal().string();
  b.run_dir = fs::absolute(options.run_dir.empty() ? default_run_dir(out) : options.run_dir).lexically_normal().string();
  b.spec_path = fs::absolute(options.spec_path).lexically_normal().string();
  b.script_path = b.run_dir + "/" + b.sweep_name + ".sbatch";
  b.binary = fs::read_symlink("/proc/self/exe").string();
  b.workdir = fs::current_path().string();
  b.version = FINEPRUNE_VERSION;
  const BatchPlan plan = plan_batch(b);  // InputError naming the flag

  fs::create_directories(b.run_dir);
  write_script(b.script_path, batch_script(b, plan), options.force);
  std::cout << "wrote " << b.script_path << ": " << plan.ntasks << " MPI ranks (1 master + " << plan.worker_groups
            << " worker groups of " << b.ranks_per_worker << "), " << plan.cpus_per_task << " CPU(s) per rank"
            << (b.gpus_per_node > 0 ? ", " + std::to_string(b.gpus_per_node) + " GPUs per node" : std::string())
            << ", launched by " << b.launcher << "; USR1 " << plan.signal_lead_s << " s before the time limit"
            << (b.array > 1 ? "; job array of " + std::to_string(b.array) + " shards" : std::string()) << "\n";
  if (options.submit) {
    const std::string id = submit(b.script_path);
    std::cout << "submitted job " << id << std::endl;
  } else {
    std::cout << "submit with: sbatch " << shell_quote(b.script_path) << std::endl;
  }
  if (b.array > 1) {
    std::cout << "when every shard is done: fineprune merge " << shell_quote(b.out_path);
    for (const std::string& f : plan.shard_outputs) std::cout << " " << shell_quote(f);
    std::cout << std::endl;
  }
  return kExitOk;
}

}  // namespace fineprune
