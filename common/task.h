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
// Finetune: fine-tune the unpruned model on the validation set; emits the "finetune" row.
// Fineprune: prune to one setting (the stopping point or one fixed rate), then fine-tune; emits
//   one "fineprune" row.
enum class TaskKind { Train, Curve, Finetune, Fineprune };

const char* to_string(TaskKind kind);  // "train" | "curve" | "finetune" | "fineprune"
// Inverse of to_string; throws Error on any other text.
TaskKind task_kind_from_string(const std::string& text);

struct Task {
  std::string key;          // content key: sha256 of everything that determines the result
  TaskKind kind = TaskKind::Train;
  size_t model_index = 0;   // position in sweep_models(spec) (not part of the key)
  std::string model;        // the model's label (model_label)
  size_t attack_index = 0;  // position in ExperimentSpec::attacks (not part of the key)
  std::string attack;       // the attack's name
  int64_t seed = 0;
  std::string prune_mode;   // "" (train, curve, finetune) | "stop" | "rate" (fineprune)
  double prune_rate = 0.0;  // the fixed fraction for "rate"; the max_val_drop threshold for "stop"
  std::vector<std::string> deps;  // keys of the tasks whose products this one needs
  double cost = 0.0;        // relative work estimate (image-epochs); only its order matters
};

}  // namespace fineprune
