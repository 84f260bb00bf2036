// The sweep scheduler (contract in scheduler.h).
#include "orchestrator/scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.h"

namespace fineprune {

const char* to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::Pending: return "pending";
    case TaskStatus::Running: return "running";
    case TaskStatus::Done: return "done";
    case TaskStatus::Failed: return "failed";
    case TaskStatus::Blocked: return "blocked";
  }
  throw Error("to_string: invalid TaskStatus " + std::to_string(static_cast<int>(status)));
}

namespace {

size_t& count_of(SchedulerCounts& c, TaskStatus s) {
  switch (s) {
    case TaskStatus::Pending: return c.pending;
    case TaskStatus::Running: return c.running;
    case TaskStatus::Done: return c.done;
    case TaskStatus::Failed: return c.failed;
    case TaskStatus::Blocked: return c.blocked;
  }
  throw Error("invalid TaskStatus");
}

}  // namespace

Scheduler::Scheduler(std::vector<Task> tasks, int max_attempts)
    : tasks_(std::move(tasks)), nodes_(tasks_.size()), max_attempts_(max_attempts) {
  if (max_attempts < 1) {
    throw Error("Scheduler: max_attempts must be >= 1, got " + std::to_string(max_attempts));
  }
  if (tasks_.size() >= std::numeric_limits<Index>::max()) throw Error("Scheduler: too many tasks");
  const Index n = static_cast<Index>(tasks_.size());
  index_.reserve(n);
  for (Index i = 0; i < n; ++i) {
    if (!index_.emplace(tasks_[i].key, i).second) {
      throw Error("Scheduler: repeated task key " + tasks_[i].key);
    }
    if (std::isnan(tasks_[i].cost)) throw Error("Scheduler: task " + tasks_[i].key + " has cost NaN");
  }
  for (Index i = 0; i < n; ++i) {
    Node& node = nodes_[i];
    for (const std::string& dep : tasks_[i].deps) {
      const auto it = index_.find(dep);
      if (it == index_.end()) {
        throw Error("Scheduler: task " + tasks_[i].key + " depends on unknown task " + dep);
      }
      node.deps.push_back(it->second);
    }
    std::sort(node.deps.begin(), node.deps.end());
    node.deps.erase(std::unique(node.deps.begin(), node.deps.end()), node.deps.end());
    node.unmet = static_cast<uint32_t>(node.deps.size());
    for (Index d : node.deps) nodes_[d].dependents.push_back(i);
  }

  // Kahn's algorithm: every task must be reachable from the tasks without dependencies.
  std::vector<uint32_t> unmet(n);
  std::vector<Index> frontier;
  for (Index i = 0; i < n; ++i) {
    unmet[i] = nodes_[i].unmet;
    if (unmet[i] == 0) frontier.push_back(i);
  }
  size_t reached = 0;
  while (!frontier.empty()) {
    const Index i = frontier.back();
    frontier.pop_back();
    ++reached;
    for (Index d : nodes_[i].dependents) {
      if (--unmet[d] == 0) frontier.push_back(d);
    }
  }
  if (reached != n) {
    for (Index i = 0; i < n; ++i) {
      if (unmet[i] != 0) throw Error("Scheduler: dependency cycle through task " + tasks_[i].key);
    }
  }

  // Longest first, ties by task order: a static order, so the ready set is a set of ranks.
  by_rank_.resize(n);
  std::iota(by_rank_.begin(), by_rank_.end(), Index{0});
  std::stable_sort(by_rank_.begin(), by_rank_.end(),
                   [&](Index a, Index b) { return tasks_[a].cost > tasks_[b].cost; });
  for (Index r = 0; r < n; ++r) nodes_[by_rank_[r]].rank = r;

  counts_.total = n;
  counts_.pending = n;
  for (Index i = 0; i < n; ++i) {
    if (nodes_[i].unmet == 0) make_ready(i);
  }
}

Scheduler::Index Scheduler::at(const std::string& key) const {
  const auto it = index_.find(key);
  if (it == index_.end()) throw Error("Scheduler: unknown task key " + key);
  return it->second;
}

void Scheduler::set_status(Index i, TaskStatus s) {
  --count_of(counts_, nodes_[i].status);
  ++count_of(counts_, s);
  nodes_[i].status = s;
}

// Called when a pending task has every dependency done (again, after a failed attempt).
void Scheduler::make_ready(Index i) {
  Node& node = nodes_[i];
  ready_.insert(node.rank);
  node.affinity.clear();
  for (Index d : node.deps) {
    const Node& dep = nodes_[d];
    if (tasks_[d].kind != TaskKind::Train || dep.status != TaskStatus::Done || dep.finished_on < 0) {
      continue;
    }
    const auto w = workers_.find(dep.finished_on);
    if (w == workers_.end() || w->second.generation != dep.finished_generation) continue;
    if (std::find(node.affinity.begin(), node.affinity.end(), dep.finished_on) !=
        node.affinity.end()) {
      continue;
    }
    node.affinity.push_back(dep.finished_on);
    w->second.affine.insert(node.rank);
  }
}

void Scheduler::unready(Index i) {
  Node& node = nodes_[i];
  ready_.erase(node.rank);
  for (int w : node.affinity) workers_[w].affine.erase(node.rank);
  node.affinity.clear();
}

void Scheduler::complete(Index i) {
  set_status(i, TaskStatus::Done);
  for (Index d : nodes_[i].dependents) {
    Node& dep = nodes_[d];
    if (--dep.unmet == 0 && dep.status == TaskStatus::Pending) make_ready(d);
  }
}

bool Scheduler::mark_done(const std::string& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return false;
  const Index i = it->second;
  Node& node = nodes_[i];
  if (node.status == TaskStatus::Done) return true;
  if (node.status != TaskStatus::Pending) {
    throw Error("Scheduler::mark_done: task " + key + " is " + to_string(node.status) +
                "; resume must come before work is handed out");
  }
  if (node.unmet == 0) unready(i);
  complete(i);
  // A Train task whose every dependent is done has nothing left to feed.
  for (Index d : node.deps) {
    if (tasks_[d].kind != TaskKind::Train || nodes_[d].status != TaskStatus::Pending) continue;
    const std::vector<Index>& users = nodes_[d].dependents;
    const bool all_done = std::all_of(users.begin(), users.end(), [&](Index u) {
      return nodes_[u].status == TaskStatus::Done;
    });
    if (all_done) mark_done(tasks_[d].key);
  }
  return true;
}

std::optional<std::string> Scheduler::next_for(int worker) {
  Worker& w = workers_[worker];
  Index rank;
  if (!w.affine.empty()) {
    rank = *w.affine.begin();
  } else if (!ready_.empty()) {
    rank = *ready_.begin();
  } else {
    return std::nullopt;
  }
  const Index i = by_rank_[rank];
  unready(i);
  Node& node = nodes_[i];
  set_status(i, TaskStatus::Running);
  ++node.attempts;
  node.worker = worker;
  w.running.insert(i);
  return tasks_[i].key;
}

bool Scheduler::on_done(const std::string& key, int worker) {
  const Index i = at(key);
  Node& node = nodes_[i];
  if (node.status != TaskStatus::Running || node.worker != worker) return false;
  Worker& w = workers_[worker];
  w.running.erase(i);
  node.finished_on = worker;
  node.finished_generation = w.generation;
  complete(i);
  return true;
}

bool Scheduler::on_interrupted(const std::string& key, int worker) {
  const Index i = at(key);
  Node& node = nodes_[i];
  if (node.status != TaskStatus::Running || node.worker != worker) return false;
  workers_[worker].running.erase(i);
  --node.attempts;
  set_status(i, TaskStatus::Pending);
  make_ready(i);
  return true;
}

void Scheduler::block_dependents(Index i, FailureOutcome& out) {
  std::vector<Index> newly;
  std::vector<Index> stack{i};
  while (!stack.empty()) {
    const Index cur = stack.back();
    stack.pop_back();
    for (Index d : nodes_[cur].dependents) {
      Node& dep = nodes_[d];
      // A dependent already done (resumed) keeps its result and shields its own dependents.
      if (dep.status != TaskStatus::Pending) continue;
      set_status(d, TaskStatus::Blocked);
      dep.last_error = "blocked: depends on failed task " + tasks_[i].key;
      newly.push_back(d);
      stack.push_back(d);
    }
  }
  std::sort(newly.begin(), newly.end());
  for (Index d : newly) out.blocked.push_back(tasks_[d].key);
}

void Scheduler::fail_attempt(Index i, const std::string& message, FailureOutcome& out) {
  Node& node = nodes_[i];
  workers_[node.worker].running.erase(i);
  node.last_error = message;
  if (node.attempts >= max_attempts_) {
    set_status(i, TaskStatus::Failed);
    out.failed.push_back(tasks_[i].key);
    block_dependents(i, out);
  } else {
    set_status(i, TaskStatus::Pending);
    make_ready(i);
    out.requeued.push_back(tasks_[i].key);
  }
}

FailureOutcome Scheduler::on_failed(const std::string& key, int worker, const std::string& message) {
  const Index i = at(key);
  FailureOutcome out;
  if (nodes_[i].status != TaskStatus::Running || nodes_[i].worker != worker) return out;
  fail_attempt(i, message, out);
  return out;
}

FailureOutcome Scheduler::on_worker_lost(int worker) {
  FailureOutcome out;
  const auto it = workers_.find(worker);
  if (it == workers_.end()) return out;
  Worker& w = it->second;
  // Forget the models first, so requeued tasks are not steered back to this worker.
  ++w.generation;
  for (Index rank : w.affine) {
    std::vector<int>& aff = nodes_[by_rank_[rank]].affinity;
    aff.erase(std::remove(aff.begin(), aff.end(), worker), aff.end());
  }
  w.affine.clear();
  const std::vector<Index> lost(w.running.begin(), w.running.end());
  for (Index i : lost) fail_attempt(i, "worker " + std::to_string(worker) + " lost", out);
  return out;
}

std::vector<std::string> Scheduler::running_on(int worker) const {
  std::vector<std::string> keys;
  const auto it = workers_.find(worker);
  if (it == workers_.end()) return keys;
  for (Index i : it->second.running) keys.push_back(tasks_[i].key);
  return keys;
}

}  // namespace fineprune
