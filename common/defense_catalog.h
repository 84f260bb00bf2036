// The defenses fineprune knows, one descriptor each, in one table. The spec reader (names and
// settings), sweep expansion (which tasks), task keys (what a result depends on), the worker's
// executor and experiment runner (which step runs) and the report (expected rows and their order)
// all read this table; a defense's step itself lives in workers/defenses/<name>.cpp.
//
// Adding a defense: its step file (workers/defenses/<name>.cpp, which registers itself under the
// descriptor's name), its test, its CMake line, and one line here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fineprune {

// Which task writes a defense's rows.
enum class DefenseTasks {
  Curve,  // the model's curve task, which scores the pruning order anyway (none, prune)
  Own     // its own task (a Defend task, common/task.h)
};

// One numeric setting, read from the defense's own YAML section (`clp: {u: 3}`).
struct DefenseSetting {
  std::string name;
  double default_value = 0;
  double min = 0;          // inclusive
  double max = 0;          // inclusive
  bool integer = false;    // must be a whole number
  std::string meaning;     // one line, for messages and docs
};

// A defense task's work, in passes over the defender's validation set, from its settings, the
// fine-tuning epochs and the validation set's size (for longest-first scheduling only).
using CostPasses = double (*)(const std::map<std::string, double>& settings, int64_t finetune_epochs,
                              double validation_images);

struct DefenseInfo {
  std::string name;
  DefenseTasks tasks = DefenseTasks::Own;
  // One row (and, for its own tasks, one task) per pruning setting of `pruning:` (each stopping
  // threshold, each fixed rate), or one per model.
  bool per_prune_setting = false;
  bool fine_tunes = false;  // uses the `finetune:` section (its key and cost include it)
  std::vector<DefenseSetting> settings;
  std::string summary;
  CostPasses cost_passes = nullptr;
};

// Every defense, in report order.
const std::vector<DefenseInfo>& defense_catalog();
// The descriptor named `name`, or nullptr.
const DefenseInfo* find_defense(const std::string& name);
// The descriptor named `name`; throws Error naming the known ones otherwise.
const DefenseInfo& defense_info(const std::string& name);
// The names, in report order.
std::vector<std::string> defense_names();
// Position in report order (catalog size for an unknown name: after every known one).
int defense_rank(const std::string& name);

// A defense's settings with every default filled in (what a step reads).
using SettingValues = std::map<std::string, double>;
SettingValues default_settings(const DefenseInfo& info);

}  // namespace fineprune
