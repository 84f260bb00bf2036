// The registry of defense steps.
#include "workers/defenses/defense_unit.h"

#include "common/error.h"

namespace fineprune {

namespace {

std::map<std::string, DefenseStep>& registry() {
  static std::map<std::string, DefenseStep> steps;  // built before main, read after
  return steps;
}

}  // namespace

bool register_defense_step(const std::string& name, DefenseStep step) {
  if (!registry().emplace(name, std::move(step)).second) {
    throw Error("two defense steps registered as '" + name + "'");
  }
  return true;
}

const DefenseStep& defense_step(const std::string& name) {
  const auto it = registry().find(name);
  if (it != registry().end()) return it->second;
  std::string known;
  for (const std::string& n : registered_defense_steps()) known += (known.empty() ? "" : ", ") + n;
  throw Error("no defense step '" + name + "' in this program (registered: " + known + ")");
}

std::vector<std::string> registered_defense_steps() {
  std::vector<std::string> out;
  for (const auto& [name, step] : registry()) out.push_back(name);
  return out;
}

}  // namespace fineprune
