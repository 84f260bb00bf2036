// Shards of a sweep (contract in sharding.h).
#include "orchestrator/sharding.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "common/error.h"

namespace fineprune {

namespace {

// The family of each task as the index of its first task; families in order of first task.
std::vector<size_t> family_roots(const std::vector<Task>& tasks) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < tasks.size(); ++i) index.emplace(tasks[i].key, i);
  std::vector<size_t> parent(tasks.size());
  std::iota(parent.begin(), parent.end(), size_t{0});
  const auto find = [&](size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (size_t i = 0; i < tasks.size(); ++i) {
    for (const std::string& dep : tasks[i].deps) {
      const auto d = index.find(dep);
      if (d == index.end()) throw Error("sharding: task " + tasks[i].key + " depends on unknown task " + dep);
      const size_t a = find(i), b = find(d->second);
      parent[std::max(a, b)] = std::min(a, b);  // the earlier task names the family
    }
  }
  std::vector<size_t> roots(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) roots[i] = find(i);
  return roots;
}

}  // namespace

std::vector<int> shard_assignment(const std::vector<Task>& tasks, int count) {
  if (count < 1) throw Error("sharding: shard count must be >= 1, got " + std::to_string(count));
  const std::vector<size_t> roots = family_roots(tasks);
  std::vector<size_t> families;  // root indices, in task order
  std::unordered_map<size_t, double> cost;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (roots[i] == i) families.push_back(i);
    cost[roots[i]] += tasks[i].cost;
  }
  std::stable_sort(families.begin(), families.end(),
                   [&](size_t a, size_t b) { return cost[a] > cost[b]; });
  std::vector<double> load(static_cast<size_t>(count), 0.0);
  std::unordered_map<size_t, int> shard_of_family;
  for (size_t f : families) {
    const size_t s = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[s] += cost[f];
    shard_of_family[f] = static_cast<int>(s);
  }
  std::vector<int> shard(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) shard[i] = shard_of_family[roots[i]];
  return shard;
}

std::vector<Task> shard_tasks(const std::vector<Task>& tasks, const Shard& shard) {
  if (shard.whole()) return tasks;
  const std::vector<int> of = shard_assignment(tasks, shard.count);
  std::vector<Task> mine;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (of[i] == shard.index) mine.push_back(tasks[i]);
  }
  return mine;
}

size_t family_count(const std::vector<Task>& tasks) {
  const std::vector<size_t> roots = family_roots(tasks);
  size_t n = 0;
  for (size_t i = 0; i < roots.size(); ++i) n += roots[i] == i ? 1 : 0;
  return n;
}

}  // namespace fineprune
