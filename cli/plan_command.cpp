// `fineprune plan`: the task graph of a sweep, its counts, and what an existing output already has.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "cli/sweep_commands.h"
#include "common/config.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "orchestrator/sharding.h"
#include "common/sweep_expansion.h"
#include "common/task_key.h"
#include "results/result_tables.h"
#include "workers/data/input_check.h"

namespace fineprune {

std::string default_out_path(const std::string& sweep_name, const std::string& shard) {
  if (shard.empty()) return sweep_name + ".h5";
  const Shard s = parse_shard(shard, "--shard");
  if (s.whole()) return sweep_name + ".h5";
  return sweep_name + ".shard" + std::to_string(s.index) + "-of-" + std::to_string(s.count) + ".h5";
}

std::string default_run_dir(const std::string& out_path) {
  std::filesystem::path p(out_path);
  if (p.extension() == ".h5") p.replace_extension("");
  return p.string() + ".run";
}

int run_plan_command(const PlanOptions& options) {
  const ExperimentSpec spec = load_experiment_spec(options.spec_path);
  // A dry run refuses what `run` would refuse before its first task: the data read whole against
  // the file, the model and triggers tried on it. --without-data checks the file alone (a
  // cluster's sweep file on a machine without its data).
  if (options.check_data) check_inputs(spec);
  const Shard shard = options.shard.empty() ? Shard{} : parse_shard(options.shard, "--shard");
  const std::vector<Task> tasks = shard_tasks(expand_sweep(spec, FINEPRUNE_VERSION), shard);
  const std::string out = options.out_path.empty() ? default_out_path(spec.name, options.shard) : options.out_path;

  std::map<std::string, std::string> status;  // latest row per key
  std::string note = "no output yet";
  std::error_code ec;
  if (std::filesystem::is_directory(out, ec)) throw InputError("--out " + out + ": is a folder, not a result file");
  if (std::filesystem::exists(out)) {
    std::vector<std::string> read_notes;  // a run writing it right now: its snapshot is read
    ResultFile file;
    try {
      file = read_result_file_or_snapshot(out, read_notes);
    } catch (const IoError& e) {
      // Plan only reads what the user named: a file HDF5 cannot read (truncated, not HDF5) is
      // a bad input here, not a failure of ours.
      throw InputError(std::string(e.what()) + " (--out: not a readable fineprune result file)");
    }
    const auto fp = file.attributes.find(kFingerprintAttribute);
    if (fp == file.attributes.end() || fp->second != sweep_fingerprint(spec)) {
      note = "was written by another sweep: `run` will refuse it unless --fresh";
    } else {
      for (const TaskRow& row : file.tasks) status[row.key] = row.status;
      note = read_notes.empty() ? "exists" : "exists; unreadable now, so its last snapshot was read";
    }
  }

  std::map<std::string, int> by_kind, done_by_kind;
  size_t done = 0;
  for (const Task& t : tasks) {
    ++by_kind[task_kind_name(t)];
    const auto s = status.find(t.key);
    if (s != status.end() && s->second == "done") {
      ++done;
      ++done_by_kind[task_kind_name(t)];
    }
  }
  const bool listed = !spec.models.empty();  // a `models:` list: the model axis is shown
  std::cout << "sweep " << spec.name << " (" << options.spec_path << "): ";
  if (listed) std::cout << spec.models.size() << " models x ";
  std::cout << spec.attacks.size() << " attacks x " << spec.seeds.size() << " seeds, defenses";
  for (const std::string& d : spec.defenses) std::cout << " " << d;
  std::cout << ", " << spec.pruning.max_val_drops.size() << " stopping thresholds and " << spec.pruning.rates.size()
            << " fixed pruning rates";
  size_t overriding = 0;
  for (const AttackSpec& a : spec.attacks) overriding += a.training || a.finetune || a.pruning ? 1 : 0;
  if (overriding > 0) std::cout << " (file-level; " << overriding << " attacks override)";
  if (!shard.whole()) std::cout << "; shard " << shard.text() << " of the task graph";
  std::cout << "\n";
  std::cout << "tasks: " << tasks.size() << " (";
  bool first = true;
  for (const auto& [kind, n] : by_kind) {
    std::cout << (first ? "" : ", ") << n << " " << kind << " (" << done_by_kind[kind] << " done)";
    first = false;
  }
  std::cout << "); trainings: " << by_kind["train"] << (listed ? " (models x attacks x seeds)\n" : " (attacks x seeds)\n");
  std::cout << "output " << out << ": " << note << "; " << done << " of " << tasks.size() << " tasks done\n";
  if (options.list_tasks) {
    std::printf("%-14s %-10s ", "key", "kind");
    if (listed) std::printf("%-16s ", "model");
    std::printf("%-22s %5s %-10s %-9s %s\n", "attack", "seed", "setting", "status", "needs");
    for (const Task& t : tasks) {
      std::string setting = t.prune_mode;
      if (t.prune_mode == "rate" || t.prune_mode == "stop") {
        char buf[32];
        if (t.prune_mode == "rate") std::snprintf(buf, sizeof buf, "rate %.2f", t.prune_rate);
        else std::snprintf(buf, sizeof buf, "stop %.3g", t.stop_drop);
        setting = buf;
      }
      const auto s = status.find(t.key);
      std::printf("%-14s %-10s ", t.key.substr(0, 12).c_str(), task_kind_name(t).c_str());
      if (listed) std::printf("%-16s ", t.model.c_str());
      std::printf("%-22s %5lld %-10s %-9s %s\n", t.attack.c_str(), static_cast<long long>(t.seed), setting.c_str(),
                  s == status.end() ? "todo" : s->second.c_str(),
                  t.deps.empty() ? "-" : t.deps.front().substr(0, 12).c_str());
    }
  }
  return kExitOk;
}

}  // namespace fineprune
