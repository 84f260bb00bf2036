// Content keys of tasks and the sweep fingerprint (what each covers: see task_key.h).
#include "common/task_key.h"

#include <algorithm>

#include "common/defense_catalog.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/canonical_text.h"
#include "common/task.h"

namespace fineprune {

namespace {

CanonicalText curve_text(const std::string& train_key) {
  CanonicalText t;
  t.add("kind", "curve");
  t.add("train_key", train_key);
  return t;
}

}  // namespace

std::string train_key_text(const ExperimentSpec& spec, const AttackSpec& attack, int64_t seed,
                           const std::string& program_version) {
  CanonicalText t;
  t.add("kind", to_string(TaskKind::Train));
  t.add("program_version", program_version);
  add_data(t, "data", spec.data);
  add_model(t, "model", spec.model);
  add_train(t, "training", attack.training.value_or(spec.training));  // the attack's override
  add_attack(t, "attack", attack);
  t.add("seed", seed);
  return t.str();
}

std::string curve_key_text(const ExperimentSpec& spec, const std::string& train_key) {
  CanonicalText t = curve_text(train_key);
  t.add("asr_counts", spec.asr_counts);
  const std::vector<double>& drops = spec.pruning.max_val_drops;
  t.add("pruning.max_val_drop", drops.front());  // the curve's stop mark
  const bool emits_prune = lists_defense(spec, "prune");
  t.add("emits.none", lists_defense(spec, "none"));
  t.add("emits.prune", emits_prune);
  if (emits_prune) {
    t.add("pruning.rates", spec.pruning.rates);
    // Prune rows at every stop; absent with one threshold, so such keys read as they always did.
    if (drops.size() > 1) t.add("pruning.max_val_drops", drops);
  }
  return t.str();
}

std::string defense_key_text(const ExperimentSpec& spec, const std::string& train_key,
                             const std::string& defense, const std::string& prune_mode, double setting) {
  const DefenseInfo& info = defense_info(defense);
  if (info.tasks == DefenseTasks::Curve) {
    throw Error("defense_key: '" + defense + "' rows come from the curve task (curve_key)");
  }
  CanonicalText t;
  t.add("kind", defense);
  t.add("train_key", train_key);
  t.add("asr_counts", spec.asr_counts);
  if (info.fine_tunes) add_train(t, "finetune", spec.finetune);
  if (info.per_prune_setting) {
    t.add("prune_mode", prune_mode);
    if (prune_mode == "stop") {
      t.add("pruning.max_val_drop", setting);  // the threshold this stop task stops at
    } else if (prune_mode == "rate") {
      t.add("prune_rate", setting);
    } else {
      throw Error("defense_key: " + defense + "'s prune_mode must be 'stop' or 'rate', got '" + prune_mode + "'");
    }
  }
  const std::map<std::string, double> settings = settings_of(spec, defense);
  for (const DefenseSetting& s : info.settings) t.add(defense + "." + s.name, settings.at(s.name));
  return t.str();
}

std::string finetune_key_text(const ExperimentSpec& spec, const std::string& train_key) {
  return defense_key_text(spec, train_key, "finetune", "", 0);
}

std::string fineprune_key_text(const ExperimentSpec& spec, const std::string& train_key,
                               const std::string& prune_mode, double setting) {
  return defense_key_text(spec, train_key, "fineprune", prune_mode, setting);
}

std::string train_key(const ExperimentSpec& spec, const AttackSpec& attack, int64_t seed,
                      const std::string& program_version) {
  return sha256_hex(train_key_text(spec, attack, seed, program_version));
}

std::string curve_key(const ExperimentSpec& spec, const std::string& train_key) {
  return sha256_hex(curve_key_text(spec, train_key));
}

std::string finetune_key(const ExperimentSpec& spec, const std::string& train_key) {
  return sha256_hex(finetune_key_text(spec, train_key));
}

std::string fineprune_key(const ExperimentSpec& spec, const std::string& train_key,
                          const std::string& prune_mode, double setting) {
  return sha256_hex(fineprune_key_text(spec, train_key, prune_mode, setting));
}

std::string defense_key(const ExperimentSpec& spec, const std::string& train_key, const std::string& defense,
                        const std::string& prune_mode, double setting) {
  return sha256_hex(defense_key_text(spec, train_key, defense, prune_mode, setting));
}

std::string sweep_fingerprint(const ExperimentSpec& spec) {
  CanonicalText t;
  t.add("what", "sweep");
  t.add("name", spec.name);
  add_data(t, "data", spec.data);
  if (spec.models.empty()) {
    add_model(t, "model", spec.model);  // the single `model:` section, as before the list existed
  } else {
    t.add("models.size", static_cast<int64_t>(spec.models.size()));
    for (size_t i = 0; i < spec.models.size(); ++i) {
      add_model(t, "models." + std::to_string(i), spec.models[i]);
      t.add("models." + std::to_string(i) + ".label", spec.models[i].label);  // even when the arch name
    }
  }
  add_train(t, "training", spec.training);
  t.add("attacks.size", static_cast<int64_t>(spec.attacks.size()));
  for (size_t i = 0; i < spec.attacks.size(); ++i) {
    const AttackSpec& a = spec.attacks[i];
    const std::string at = "attacks." + std::to_string(i);
    add_attack(t, at, a);
    // Only where set, so that files without overrides keep their fingerprint.
    if (a.training) add_train(t, at + ".overrides.training", *a.training);
    if (a.finetune) add_train(t, at + ".overrides.finetune", *a.finetune);
    if (a.pruning) add_pruning(t, at + ".overrides.pruning", *a.pruning);
  }
  t.add("defenses", spec.defenses);
  // Only where a listed defense takes settings, so that other files keep their fingerprint.
  for (const auto& [defense, values] : spec.defense_settings) {
    for (const auto& [name, value] : values) t.add("defense_settings." + defense + "." + name, value);
  }
  add_pruning(t, "pruning", spec.pruning);
  add_train(t, "finetune", spec.finetune);
  t.add("asr_counts", spec.asr_counts);
  t.add("seeds", spec.seeds);
  return t.sha256();
}

}  // namespace fineprune
