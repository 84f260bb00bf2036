// Content keys of tasks and the fingerprint of a sweep.
//
// A task's key is the sha256 (hex) of a canonical text (canonical_text.h) of exactly what
// determines the task's result, so a result file can be resumed and a result reused whatever the
// rest of the sweep file says. What each key covers:
//   train:     program version, the whole data spec, the task's model spec (its label where
//              that is not its architecture name: a `models:` entry's), training spec (the attack's
//              override where it has one), the attack's every field (name, trigger, target,
//              poison rate, pruning_aware), seed.
//   curve:     the train key, asr_counts, the first pruning.max_val_drop (the stop mark on the
//              curve), which of the "none" and "prune" rows it emits, and the fixed rates (in
//              file order) and the other thresholds only when it emits "prune" rows (a row per
//              rate and per stop).
//   a defense (finetune, fineprune, clp, ...; common/defense_catalog.h): its name, the train key,
//              asr_counts, the finetune spec if the defense fine-tunes, the prune mode and its
//              threshold (pruning.max_val_drop) for "stop" or the rate for "rate" if it runs once
//              per pruning setting, and each of its settings (the file's section over the
//              defaults). finetune and fineprune have no settings: their keys read as they
//              always did.
// The defense keys take the spec as it applies to the task's attack (spec_for_attack: its
// finetune and pruning overrides). The train key folds in the version, data, model, training,
// attack and seed, so every defense key changes with them too. Never in a key: the attack's position in the list, other attacks or
// seeds, the experiment name, threads, the file's path and text.
// Consequences: adding an attack or a seed leaves every existing key unchanged; changing one rate
// changes that rate's fineprune key and the curve key (when "prune" is a defense), nothing else.
#pragma once

#include <cstdint>
#include <string>

#include "common/experiment_spec.h"

namespace fineprune {

// The canonical texts (exposed for logs and tests); *_key() is sha256_hex of the same text.
std::string train_key_text(const ExperimentSpec& spec, const AttackSpec& attack, int64_t seed,
                           const std::string& program_version);
std::string curve_key_text(const ExperimentSpec& spec, const std::string& train_key);
std::string finetune_key_text(const ExperimentSpec& spec, const std::string& train_key);
// prune_mode is "stop" (`setting`: the max_val_drop threshold it stops at, Task::stop_drop) or
// "rate" (`setting`: the fraction, Task::prune_rate); throws Error otherwise.
std::string fineprune_key_text(const ExperimentSpec& spec, const std::string& train_key,
                               const std::string& prune_mode, double setting);

// A defense task's text: `defense` is a catalog name whose rows are its own task's (not none or
// prune); prune_mode/setting as for fineprune where it runs per pruning setting, else ignored.
std::string defense_key_text(const ExperimentSpec& spec, const std::string& train_key,
                             const std::string& defense, const std::string& prune_mode, double setting);

std::string train_key(const ExperimentSpec& spec, const AttackSpec& attack, int64_t seed,
                      const std::string& program_version);
std::string curve_key(const ExperimentSpec& spec, const std::string& train_key);
std::string finetune_key(const ExperimentSpec& spec, const std::string& train_key);
std::string fineprune_key(const ExperimentSpec& spec, const std::string& train_key,
                          const std::string& prune_mode, double setting);
std::string defense_key(const ExperimentSpec& spec, const std::string& train_key, const std::string& defense,
                        const std::string& prune_mode, double setting);

// sha256 of the whole sweep as it bears on the output: name, data, model (or every entry of
// `models`, in order, labels included), training, every
// attack in order, defenses in order, pruning, finetune, asr_counts, seeds in order, and the settings of listed defenses that take any. Leaves out
// only what cannot change a result or the set of rows: threads, the file's path, its text
// (comments, formatting). Two runs aimed at one output file must agree on it.
std::string sweep_fingerprint(const ExperimentSpec& spec);

}  // namespace fineprune
