// Runs one sweep task on this rank (orchestrator's Task): trains a backdoored model or applies a
// defense to one, and returns the rows it yields. Keeps the data of the last seed and the models
// it trained or loaded in memory, which is why the scheduler sends follow-up tasks to the group
// that holds the model.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/task.h"
#include "orchestrator/protocol.h"
#include "workers/experiment/defense_steps.h"

namespace fineprune {

class TaskExecutor {
 public:
  // `run_dir`: where trained models are saved (`<run_dir>/models/<train key>.pt`), shared by all
  // ranks. `fail_kind`/`fail_attempts`: test-only fault injection: tasks of that kind throw on
  // attempts 1..fail_attempts.
  TaskExecutor(const ExperimentSpec& spec, std::string run_dir, LogFn log,
               std::string fail_kind = "", int fail_attempts = 0);

  // Throws on failure (the caller reports it to the master). Result rows carry the task's key.
  TaskOutcome run(const Assignment& assignment);

 private:
  const SeedData& seed_data(int64_t seed);
  // The model a defense task starts from: in memory, else from the run directory, else trained
  // here (deterministic, so the same model) and saved.
  BackdooredModel& backdoored(const Task& task, const std::string& train_key);
  const PruningPlan& plan_for(const std::string& train_key, BackdooredModel& bd);
  std::string models_dir() const;

  const ExperimentSpec& spec_;
  std::string run_dir_;
  LogFn log_;
  std::string fail_kind_;
  int fail_attempts_;
  int64_t data_seed_ = -1;
  std::unique_ptr<SeedData> data_;
  std::map<std::string, BackdooredModel> models_;  // by train key; a few at most
  std::map<std::string, PruningPlan> plans_;
};

}  // namespace fineprune
