// Finding a sweep's saved model.
#include "cli/saved_model_lookup.h"

#include <algorithm>
#include <filesystem>

#include "cli/sweep_commands.h"
#include "common/config.h"
#include "common/error.h"
#include "common/sweep_expansion.h"
#include "workers/experiment/backdoored_store.h"

namespace fineprune {

SavedModelRef find_saved_model(const ExperimentSpec& spec, const std::string& spec_path, const std::string& attack,
                               const std::string& model_label, int64_t seed, const std::string& run_dir) {
  const auto attack_it = std::find_if(spec.attacks.begin(), spec.attacks.end(),
                                      [&](const AttackSpec& a) { return a.name == attack; });
  if (attack_it == spec.attacks.end()) {
    throw InputError(spec_path + ": --attack: no attack named '" + attack + "'");
  }
  // The model: the label's, else the file's first (its only one, for a single `model:`).
  const std::vector<ModelSpec> all_models = sweep_models(spec);
  size_t model_index = 0;
  if (!model_label.empty()) {
    const auto m = std::find_if(all_models.begin(), all_models.end(),
                                [&](const ModelSpec& ms) { return fineprune::model_label(ms) == model_label; });
    if (m == all_models.end()) {
      throw InputError(spec_path + ": --model: no model named '" + model_label + "'");
    }
    model_index = static_cast<size_t>(m - all_models.begin());
  }
  std::string train_key;
  for (const Task& t : expand_sweep(spec, FINEPRUNE_VERSION)) {
    if (t.kind == TaskKind::Train && t.model_index == model_index && t.attack == attack && t.seed == seed) {
      train_key = t.key;
    }
  }
  if (train_key.empty()) {
    throw InputError(spec_path + ": --seed: seed " + std::to_string(seed) + " is not in the file");
  }
  const std::string dir = run_dir.empty() ? default_run_dir(default_out_path(spec.name, "")) : run_dir;
  const std::string models = (std::filesystem::path(dir) / "models").string();
  if (!has_backdoored(models, train_key)) {
    throw InputError(models + ": no saved model of attack " + attack + " seed " + std::to_string(seed) + " (" +
                     train_key + ".pt); run the sweep first");
  }
  return {spec_for_attack(spec_for_model(spec, model_index), *attack_it), *attack_it, models, train_key};
}

}  // namespace fineprune
