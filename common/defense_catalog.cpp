// The defense table (what each entry means: defense_catalog.h; each method: docs/DEFENSES.md).
#include "common/defense_catalog.h"

#include <algorithm>

#include "common/error.h"

namespace fineprune {

namespace {

using T = DefenseTasks;
using Settings = std::map<std::string, double>;

double one_pass(const Settings&, int64_t, double) { return 1; }
double finetune_passes(const Settings&, int64_t epochs, double) { return static_cast<double>(epochs); }

// name, tasks, per_prune_setting, fine_tunes, settings {name, default, min, max, integer, meaning},
// summary, cost in validation-set passes. One entry per defense; report order.
const std::vector<DefenseInfo> kCatalog = {
    {"none", T::Curve, false, false, {}, "the backdoored model as trained", one_pass},
    {"prune", T::Curve, true, false, {}, "prune the last conv's least active channels (no fine-tuning)", one_pass},
    {"finetune", T::Own, false, true, {}, "fine-tune on the clean validation set", finetune_passes},
    {"fineprune", T::Own, true, true, {}, "prune, then fine-tune (Liu et al. 2018)", finetune_passes},
    {"clp", T::Own, false, false,
     {{"u", 3, 0, 100, false, "prune channels whose Lipschitz bound exceeds mean + u * std of their layer"},
      {"all_layers", 1, 0, 1, true, "1: every conv layer (the paper); 0: the prunable conv only"}},
     "channel Lipschitzness-based pruning, data-free (Zheng et al. 2022)", one_pass},
    {"anp", T::Own, false, false,
     {{"eps", 0.4, 0, 10, false, "neuron perturbation budget"},
      {"alpha", 0.2, 0, 1, false, "weight of the unperturbed loss"},
      {"iterations", 2000, 1, 1e6, true, "mask optimisation steps"},
      {"batch_size", 128, 1, 65536, true, "clean images per step (drawn with replacement)"},
      {"lr", 0.2, 1e-9, 10, false, "mask learning rate (SGD, momentum 0.9)"},
      {"threshold", 0.2, 0, 1, false, "prune neurons whose mask ends at or below this"}},
     "adversarial neuron pruning (Wu and Wang 2021)",
     [](const Settings& s, int64_t, double n) { return 1 + 3 * s.at("iterations") * s.at("batch_size") / std::max(1.0, n); }},
    {"nad", T::Own, false, true,
     {{"teacher_epochs", 10, 0, 1000, true, "epochs fine-tuning the teacher (cross-entropy only)"},
      {"epochs", 20, 1, 1000, true, "epochs training the student with attention distillation"},
      {"beta_low", 500, 0, 1e6, false, "weight of the first attention map"},
      {"beta_mid", 1000, 0, 1e6, false, "weight of the second attention map"},
      {"beta_high", 1000, 0, 1e6, false, "weight of the last attention map (the prunable layer)"},
      {"p", 2, 1, 8, false, "attention map exponent"}},
     "neural attention distillation (Li et al. 2021)",
     [](const Settings& s, int64_t, double) { return 1 + s.at("teacher_epochs") + 2 * s.at("epochs"); }},
};

}  // namespace

const std::vector<DefenseInfo>& defense_catalog() { return kCatalog; }

const DefenseInfo* find_defense(const std::string& name) {
  for (const DefenseInfo& d : kCatalog) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::vector<std::string> defense_names() {
  std::vector<std::string> out;
  for (const DefenseInfo& d : kCatalog) out.push_back(d.name);
  return out;
}

const DefenseInfo& defense_info(const std::string& name) {
  if (const DefenseInfo* d = find_defense(name)) return *d;
  std::string known;
  for (const DefenseInfo& d : kCatalog) known += (known.empty() ? "" : ", ") + d.name;
  throw Error("unknown defense '" + name + "' (known: " + known + ")");
}

int defense_rank(const std::string& name) {
  for (size_t i = 0; i < kCatalog.size(); ++i) {
    if (kCatalog[i].name == name) return static_cast<int>(i);
  }
  return static_cast<int>(kCatalog.size());
}

SettingValues default_settings(const DefenseInfo& info) {
  SettingValues out;
  for (const DefenseSetting& s : info.settings) out[s.name] = s.default_value;
  return out;
}

}  // namespace fineprune
