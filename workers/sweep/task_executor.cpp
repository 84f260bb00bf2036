// Task execution on a worker rank.
#include "workers/sweep/task_executor.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include "common/error.h"
#include "common/file_tree.h"
#include "messaging/mpi_channel.h"
#include "workers/experiment/backdoored_store.h"

namespace fineprune {

namespace {
constexpr size_t kModelsKept = 4;
}

TaskExecutor::TaskExecutor(const ExperimentSpec& spec, std::string run_dir, LogFn log, ParallelContext parallel,
                           FaultInjection fault)
    : spec_(spec), run_dir_(std::move(run_dir)), log_(std::move(log)), parallel_(parallel),
      fault_(std::move(fault)) {
  const size_t models = sweep_models(spec_).size();
  for (size_t m = 0; m < models; ++m) {
    const ExperimentSpec with_model = spec_for_model(spec_, m);
    pair_specs_.emplace_back();
    for (const AttackSpec& attack : spec_.attacks) pair_specs_.back().push_back(spec_for_attack(with_model, attack));
  }
}

std::string TaskExecutor::state_dir(const std::string& task_key) const {
  return (std::filesystem::path(run_dir_) / "state" / task_key).string();
}

bool TaskExecutor::exists_for_group(bool exists_on_rank0) const {
  return any_in_group(parallel_.rank() == 0 && exists_on_rank0);
}

std::string TaskExecutor::models_dir() const {
  return (std::filesystem::path(run_dir_) / "models").string();
}

const SeedData& TaskExecutor::seed_data(int64_t seed) {
  if (!data_ || data_seed_ != seed) {
    data_.reset();
    data_ = std::make_unique<SeedData>(load_seed_data(spec_.data, static_cast<uint64_t>(seed)));
    data_seed_ = seed;
  }
  return *data_;
}

bool TaskExecutor::any_in_group(bool mine) const {
  torch::Tensor flag = torch::full({1}, mine ? 1 : 0, torch::kInt64);
  sum_over_group(parallel_, flag);
  return flag.item<int64_t>() > 0;
}

BackdooredModel& TaskExecutor::backdoored(const Task& task, const std::string& train_key,
                                          const ExecutionContext& context) {
  auto it = models_.find(train_key);
  if (it != models_.end()) return it->second;
  if (models_.size() >= kModelsKept) {
    plans_.erase(models_.begin()->first);
    digests_.erase(models_.begin()->first);
    models_.erase(models_.begin());
  }
  const AttackSpec& attack = spec_.attacks.at(task.attack_index);
  const ExperimentSpec& spec = pair_specs_.at(task.model_index).at(task.attack_index);
  const SeedData& data = seed_data(task.seed);
  // Rank 0 decides, so that a model saved meanwhile by another group cannot split this one.
  if (exists_for_group(has_backdoored(models_dir(), train_key))) {
    std::optional<LoadedModel> loaded;
    std::string problem;
    try {
      loaded = load_backdoored(spec, attack, data, models_dir(), train_key);
    } catch (const DamagedFileError& e) {
      problem = e.what();
    } catch (const IoError& e) {
      problem = e.what();
    }
    // All ranks use the saved model, or none does: a rank that could not read it makes the whole
    // group train it again (their collectives must match).
    if (!any_in_group(!loaded.has_value())) {
      maybe_fail(task, attempt_, true);
      digests_[train_key] = loaded->sha256;
      return models_.emplace(train_key, std::move(loaded->model)).first->second;
    }
    // Never used, never left to fail every later attempt: discarded and trained again below
    // (deterministic, so the same model where it runs on CPU).
    note_ = "the saved model " + train_key.substr(0, 12) + " could not be used (" +
            (problem.empty() ? std::string("another rank of the group could not read it") : problem) +
            "): discarded and trained again";
    log_("warning: " + note_);
    if (parallel_.rank() == 0) discard_backdoored(models_dir(), train_key);
  }
  BackdooredModel bd = train_backdoored(spec, attack, data, static_cast<uint64_t>(task.seed), log_, context);
  maybe_fail(task, attempt_, true);
  if (parallel_.rank() == 0) digests_[train_key] = save_backdoored(bd, models_dir(), train_key);
  return models_.emplace(train_key, std::move(bd)).first->second;
}

const PruningPlan& TaskExecutor::plan_for(const ExperimentSpec& spec, const std::string& train_key,
                                          BackdooredModel& bd) {
  auto it = plans_.find(train_key);
  if (it == plans_.end()) it = plans_.emplace(train_key, plan_pruning(spec, bd, parallel_)).first;
  return it->second;
}

void TaskExecutor::maybe_fail(const Task& task, int attempt, bool late) const {
  if (fault_.kind.empty() || fault_.kind != task_kind_name(task) || attempt > fault_.attempts) return;
  if (fault_.late != late || (fault_.rank >= 0 && fault_.rank != parallel_.rank())) return;
  throw Error("injected failure (test option) in attempt " + std::to_string(attempt));
}

void TaskExecutor::forget_models() {
  models_.clear();
  plans_.clear();
  digests_.clear();
}

TaskOutcome TaskExecutor::run(const Assignment& assignment) {
  const Task& task = assignment.task;
  const auto start = std::chrono::steady_clock::now();
  attempt_ = assignment.attempt;
  note_.clear();
  maybe_fail(task, attempt_, false);
  if (task.attack_index >= spec_.attacks.size() || spec_.attacks[task.attack_index].name != task.attack) {
    throw Error("task names attack '" + task.attack + "', which is not in this rank's sweep file");
  }
  if (task.model_index >= pair_specs_.size() ||
      model_label(pair_specs_[task.model_index][task.attack_index].model) != task.model) {
    throw Error("task names model '" + task.model + "', which is not in this rank's sweep file");
  }
  const AttackSpec& attack = spec_.attacks[task.attack_index];
  // With the task's model and the attack's overrides.
  const ExperimentSpec& spec = pair_specs_[task.model_index][task.attack_index];
  const std::string train_key = task.kind == TaskKind::Train ? task.key : task.deps.at(0);
  const ExecutionContext context{parallel_, state_dir(task.key)};  // made by the first epoch saved
  BackdooredModel& bd = backdoored(task, train_key, context);
  const LogFn seed_log = [&](const std::string& line) {
    log_("[seed " + std::to_string(task.seed) + "] " + line);
  };
  const StepContext ctx{spec, attack, bd, static_cast<uint64_t>(task.seed), seed_log, context};

  TaskOutcome out;
  out.key = task.key;
  out.host = host_name();
  switch (task.kind) {
    case TaskKind::Train:
      break;  // backdoored() trained and saved it (or found it saved)
    case TaskKind::Curve:
      out.results = baseline_and_pruning_rows(ctx, plan_for(spec, train_key, bd), lists_defense(spec_, "none"), lists_defense(spec_, "prune"), out.curves);
      break;
    case TaskKind::Defend: {
      const std::function<const PruningPlan&()> plan = [&]() -> const PruningPlan& {
        return plan_for(spec, train_key, bd);
      };
      out.results.push_back(defense_row(ctx, task, plan));
      break;
    }
  }
  const auto digest = digests_.find(train_key);
  if (digest != digests_.end()) out.model_digest = digest->second;
  out.note = note_;
  for (ResultRow& r : out.results) r.key = task.key;
  for (CurveRow& r : out.curves) r.key = task.key;
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Done: its epoch checkpoints are not needed any more.
  if (parallel_.rank() == 0) remove_tree(context.state_dir);
  return out;
}

}  // namespace fineprune
