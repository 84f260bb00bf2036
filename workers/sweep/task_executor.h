// Runs one sweep task on this rank (orchestrator's Task): trains a backdoored model or applies a
// defense to one, and returns the rows it yields. Keeps the data of the last seed and the models
// it trained or loaded in memory, which is why the scheduler sends follow-up tasks to the group
// that holds the model.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/task.h"
#include "messaging/protocol.h"
#include "workers/experiment/defense_steps.h"

namespace fineprune {

// Test-only fault injection (`fineprune run --inject-failure KIND:N[@R][+late]`): tasks of
// `kind` throw on attempts 1..attempts, on the group's rank `rank` only (every rank when -1);
// at the task's start, or with `late` once the model is trained or loaded but before this rank
// keeps it in memory (so that the ranks' caches differ, as a real failure there would leave them).
struct FaultInjection {
  std::string kind;  // empty: none
  int attempts = 0;
  int rank = -1;
  bool late = false;
};

class TaskExecutor {
 public:
  // `run_dir`: where trained models are saved (`<run_dir>/models/<train key>.pt`) and where
  // training keeps its epoch checkpoints (`<run_dir>/state/<task key>/`), shared by all ranks.
  // `parallel`: the worker group this rank trains with; every rank of it runs the same tasks in
  // the same order (rank 0 alone writes files). `fault`: test-only fault injection.
  TaskExecutor(const ExperimentSpec& spec, std::string run_dir, LogFn log, ParallelContext parallel = {},
               FaultInjection fault = {});

  // Throws on failure (the caller reports it to the master), and TaskInterrupted when a stop
  // was requested (its training state is kept for the next attempt). Result rows carry the
  // task's key; the outcome carries the SHA-256 of the saved model the task trained or started
  // from. A saved model that fails its digest or cannot be read is never used: it is discarded
  // and trained again, and the outcome's note says so.
  TaskOutcome run(const Assignment& assignment);

  // Drops the models and pruning plans held in memory (the next task loads or recomputes them).
  // After a failed task every rank of the group calls it, so that their caches, which decide
  // which collectives each rank makes, agree again.
  void forget_models();

 private:
  const SeedData& seed_data(int64_t seed);
  // The model a defense task starts from: in memory, else from the run directory, else trained
  // here (deterministic, so the same model) and saved.
  BackdooredModel& backdoored(const Task& task, const std::string& train_key, const ExecutionContext& context);
  const PruningPlan& plan_for(const ExperimentSpec& spec, const std::string& train_key, BackdooredModel& bd);
  std::string models_dir() const;
  std::string state_dir(const std::string& task_key) const;
  // Rank 0's answer to "is this file there?", the same on every rank of the group.
  bool exists_for_group(bool exists_on_rank0) const;
  // Whether `mine` holds on any rank of the group (a collective: every rank calls it).
  bool any_in_group(bool mine) const;

  const ExperimentSpec& spec_;
  // [model][attack]: spec_for_attack of spec_for_model, the settings a task runs with.
  std::vector<std::vector<ExperimentSpec>> pair_specs_;
  std::string run_dir_;
  LogFn log_;
  ParallelContext parallel_;
  // Throws the injected failure if `fault_` says this task's attempt fails at this stage here.
  void maybe_fail(const Task& task, int attempt, bool late) const;

  FaultInjection fault_;
  int attempt_ = 0;  // of the task running now
  int64_t data_seed_ = -1;
  std::unique_ptr<SeedData> data_;
  std::map<std::string, BackdooredModel> models_;  // by train key; a few at most
  std::map<std::string, PruningPlan> plans_;
  std::map<std::string, std::string> digests_;  // by train key: SHA-256 of the saved model file
  std::string note_;  // of the task running now: a saved model found damaged and trained again
};

}  // namespace fineprune
