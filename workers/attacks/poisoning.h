// Data poisoning: which training images get the trigger and which label, and the triggered test
// set that ASR and robust accuracy are measured on.
#pragma once

#include <torch/torch.h>

#include "workers/attacks/trigger.h"
#include "workers/training/tensor_set.h"

namespace fineprune {

struct AttackSpec;
struct TargetSpec;

// The attacker's label for true labels y: t (all-to-one) or (y + 1) mod K (all-to-all).
torch::Tensor attacker_labels(const TargetSpec& target, const torch::Tensor& y, int64_t num_classes);

struct PoisonedSet {
  TensorSet data;         // the attacker's training set, poisoned images in place
  torch::Tensor indices;  // [P] the poisoned rows, ascending
};

// Poisons round(poison_rate * N) images chosen uniformly with `seed` among the eligible ones
// (all-to-one: true label != t; all-to-all: all), capped at the eligible count; triggered and
// relabelled. SIG is clean-label: it poisons round(poison_rate * |target class|) target-class
// images and keeps their labels. Same seed, same poisoned set.
PoisonedSet poison_training_set(const TensorSet& clean, const AttackSpec& attack,
                                const Trigger& trigger, int64_t num_classes, uint64_t seed);

// Every test image with the trigger applied, its true label and the attacker's label.
struct TriggeredSet {
  torch::Tensor x;            // [N, C, H, W]
  torch::Tensor true_labels;  // [N]
  torch::Tensor attack_labels;
  torch::Tensor non_target;   // [N] bool: true label differs from the attacker's label
};
TriggeredSet triggered_test_set(const TensorSet& test, const AttackSpec& attack,
                                const Trigger& trigger, int64_t num_classes);

}  // namespace fineprune
