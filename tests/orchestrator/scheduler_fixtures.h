// Building blocks of the scheduler tests: tasks made by hand and the scheduler's next answer.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "orchestrator/scheduler.h"

namespace fineprune::test {

inline Task make(const std::string& key, TaskKind kind, double cost, std::vector<std::string> deps = {}) {
  Task t;
  t.key = key;
  t.kind = kind;
  t.cost = cost;
  t.deps = std::move(deps);
  return t;
}

// The key the scheduler hands `worker` next, or "<none>".
inline std::string next(Scheduler& s, int worker) {
  const std::optional<std::string> k = s.next_for(worker);
  return k ? *k : "<none>";
}

}  // namespace fineprune::test
