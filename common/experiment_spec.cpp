// Per-attack and per-model settings.
#include "common/experiment_spec.h"

#include <algorithm>

#include "common/error.h"

namespace fineprune {

ExperimentSpec spec_for_attack(const ExperimentSpec& spec, const AttackSpec& attack) {
  ExperimentSpec out = spec;
  if (attack.training) out.training = *attack.training;
  if (attack.finetune) out.finetune = *attack.finetune;
  if (attack.pruning) out.pruning = *attack.pruning;
  return out;
}

std::string model_label(const ModelSpec& model) { return model.label.empty() ? model.name : model.label; }

std::vector<ModelSpec> sweep_models(const ExperimentSpec& spec) {
  return spec.models.empty() ? std::vector<ModelSpec>{spec.model} : spec.models;
}

ExperimentSpec spec_for_model(const ExperimentSpec& spec, size_t index) {
  const std::vector<ModelSpec> models = sweep_models(spec);
  if (index >= models.size()) {
    throw Error("spec_for_model: model " + std::to_string(index) + " of " + std::to_string(models.size()));
  }
  ExperimentSpec out = spec;
  out.model = models[index];
  return out;
}

bool lists_defense(const ExperimentSpec& spec, const std::string& defense) {
  return std::find(spec.defenses.begin(), spec.defenses.end(), defense) != spec.defenses.end();
}

}  // namespace fineprune
