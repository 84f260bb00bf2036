// Expands a sweep file into the task graph the scheduler runs.
#pragma once

#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "common/task.h"

namespace fineprune {

// The tasks of a sweep, in a fixed order: for each seed (file order), for each model (file
// order of sweep_models), for each attack (file order): the Train task, then Curve (if "none" or
// "prune" is a defense), then each other listed defense in catalog order (common/defense_catalog.h):
// one Defend task, or, for a defense run per pruning setting (fineprune), one at each stopping
// threshold (Task::stop_drop) and at each rate (Task::prune_rate) in file order. Every defense task
// depends on that seed's and attack's Train task only (each recomputes the pruning order it
// needs from the model). The number of Train tasks is
// models x attacks x seeds, whatever the defenses and rates (none when the defense list is empty).
// Keys: task_key.h. Costs: relative estimates for longest-first scheduling, in image-epochs:
//   train      (training.epochs [+ clean pre-training epochs if pruning-aware]) x training images
//   curve      validation_size (about one pass over the validation set: small)
//   other defenses   the descriptor's passes (finetune, fineprune: finetune.epochs) x validation_size
// A (model, attack) pair's tasks take that model (spec_for_model) and the attack's own settings
// (spec_for_attack: training, finetune and pruning overrides), in their keys, costs and rates. Throws Error on a repeated key (a repeated rate or
// two identical attacks under one name, which the loader already refuses).
std::vector<Task> expand_sweep(const ExperimentSpec& spec, const std::string& program_version);

// Training images a worker will see, estimated from the spec without opening any file:
// data.train_subset when set, else the format's usual size (idx 60000, cifar10 10000 per batch
// file, hdf5 50000), less the validation split. At least 1.
double estimated_training_images(const DataSpec& data);

}  // namespace fineprune
