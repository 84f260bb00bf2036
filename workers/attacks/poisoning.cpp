// Training-set poisoning and the triggered test set.
#include "workers/attacks/poisoning.h"

#include <cmath>

#include "common/experiment_spec.h"

namespace fineprune {

torch::Tensor attacker_labels(const TargetSpec& target, const torch::Tensor& y, int64_t num_classes) {
  if (target.mode == "all_to_all") return (y + 1).remainder(num_classes);
  return torch::full_like(y, target.label);
}

PoisonedSet poison_training_set(const TensorSet& clean, const AttackSpec& attack,
                                const Trigger& trigger, int64_t num_classes, uint64_t seed) {
  const bool clean_label = attack.trigger.type == "sig";
  torch::Tensor eligible;
  if (clean_label) {
    eligible = clean.y.eq(attack.target.label);
  } else if (attack.target.mode == "all_to_one") {
    eligible = clean.y.ne(attack.target.label);
  } else {
    eligible = torch::ones_like(clean.y, torch::kBool);
  }
  const torch::Tensor candidates = eligible.nonzero().squeeze(1);
  const int64_t base = clean_label ? candidates.size(0) : clean.size();
  const int64_t count =
      std::min<int64_t>(candidates.size(0), std::llround(attack.poison_rate * static_cast<double>(base)));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const torch::Tensor pick = torch::randperm(candidates.size(0), gen, torch::kInt64).slice(0, 0, count);
  const torch::Tensor rows = std::get<0>(candidates.index_select(0, pick).sort());

  PoisonedSet out{{clean.x.clone(), clean.y.clone()}, rows};
  if (count == 0) return out;
  out.data.x.index_copy_(0, rows, trigger.apply(clean.x.index_select(0, rows)));
  if (!clean_label) {
    out.data.y.index_copy_(0, rows, attacker_labels(attack.target, clean.y.index_select(0, rows), num_classes));
  }
  return out;
}

TriggeredSet triggered_test_set(const TensorSet& test, const AttackSpec& attack,
                                const Trigger& trigger, int64_t num_classes) {
  TriggeredSet out;
  out.x = trigger.apply(test.x);
  out.true_labels = test.y;
  out.attack_labels = attacker_labels(attack.target, test.y, num_classes);
  out.non_target = out.attack_labels.ne(test.y);
  return out;
}

}  // namespace fineprune
