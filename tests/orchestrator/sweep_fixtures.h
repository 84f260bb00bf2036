// Sweep specs shared by the orchestrator tests (parsed from YAML like a real sweep file).
#pragma once

#include <string>

#include "common/experiment_spec.h"

namespace fineprune::test {

// 3 attacks (one pruning-aware) x 2 seeds x 4 defenses x 2 rates.
inline const char* kSweepYaml = R"(
name: orch-test
data: {format: idx, dir: /data/fmnist, validation_size: 5000}
model: {name: small_cnn, widths: [32, 64, 64], hidden: 128}
training: {epochs: 3, batch_size: 128, lr: 0.05}
attacks:
  - name: badnets
    trigger: {type: patch, size: 3}
    target: {mode: all_to_one, label: 0}
  - name: blended
    trigger: {type: blend, alpha: 0.2, pattern_seed: 12345}
  - name: badnets-pa
    trigger: {type: patch, size: 3}
    pruning_aware: {max_val_drop: 0.04, clean_epochs: 2}
defenses: [none, prune, finetune, fineprune]
pruning: {max_val_drop: 0.04, rates: [0.5, 0.8]}
finetune: {epochs: 5, batch_size: 64, lr: 0.01}
seeds: [1, 2]
)";

inline ExperimentSpec sweep_spec() { return parse_experiment_spec(kSweepYaml, "sweep.yaml"); }

}  // namespace fineprune::test
