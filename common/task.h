// The task vocabulary of a distributed sweep: what one worker group is asked to do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fineprune {

// Train: poison the training set and train the backdoored model (the pruning-aware attack when
//   the attack asks for it). Emits no rows; its product is the model the other kinds start from.
// Curve: evaluate the trained model, its pruning order and curve; emits the "none" row, the
//   curve rows and the "prune" rows (stopping point and each fixed rate).
// Defend: run one defense of common/defense_catalog.h (Task::defense) on the model, at one
//   pruning setting where the defense takes them (fineprune: the stopping point or one fixed
//   rate); emits that defense's row.
enum class TaskKind { Train, Curve, Defend };

const char* to_string(TaskKind kind);  // "train" | "curve" | "defend"

struct Task {
  std::string key;          // content key: sha256 of everything that determines the result
  TaskKind kind = TaskKind::Train;
  size_t model_index = 0;   // position in sweep_models(spec) (not part of the key)
  std::string model;        // the model's label (model_label)
  size_t attack_index = 0;  // position in ExperimentSpec::attacks (not part of the key)
  std::string attack;       // the attack's name
  std::string defense;      // Defend: the defense's name (defense_catalog.h); else ""
  int64_t seed = 0;
  std::string prune_mode;   // "" | "stop" | "rate" (a defense run once per pruning setting)
  double prune_rate = 0.0;  // "rate" tasks: the fixed fraction pruned; else 0
  double stop_drop = 0.0;   // "stop" tasks: the threshold (pruning.max_val_drops) they stop at; else 0
  std::vector<std::string> deps;  // keys of the tasks whose products this one needs
  double cost = 0.0;        // relative work estimate (image-epochs); only its order matters
};

// The task's kind as messages, logs, the tasks table and `--fail-task` name it: "train",
// "curve", or the defense's name ("finetune", "fineprune", "clp", ...).
std::string task_kind_name(const Task& task);
// Sets kind (and defense) from such a name; throws Error on a name that is neither.
void set_task_kind_name(Task& task, const std::string& name);

}  // namespace fineprune
