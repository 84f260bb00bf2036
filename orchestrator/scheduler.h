// The sweep scheduler: pure logic, tasks and events in, assignments out. No MPI, no clock, no I/O.
//
// Contract
//   The scheduler owns a fixed task graph (Task::deps name other tasks' keys). The master loop
//   (a thin adapter) feeds it events and asks it for work; tests drive it the same way.
//   Workers are plain ints (a worker group's id); any value is allowed and none is registered.
//
//   Task states:
//     pending  --next_for(w)-->  running on w  --on_done(key, w)-->  done
//     running  --on_failed / on_worker_lost-->  pending again, while attempts < max_attempts,
//                                               else failed (permanent)
//     running  --on_interrupted(key, w)-->  pending again, the attempt given back (a stop was
//                                           requested; the task saved its state and did not fail)
//     pending  --a dependency failed (transitively)-->  blocked (permanent)
//     pending  --mark_done(key)-->  done   (resume: the result is already in the output)
//   An attempt is counted when a task is handed out, so a lost worker costs the task an attempt:
//   a task that kills every worker it runs on ends failed instead of looping forever.
//
//   next_for(w) hands out a ready task (pending, every dependency done) and marks it running on w.
//   Preference: (a) a task one of whose Train dependencies finished on w, since w still holds
//   that model in memory (until w is reported lost); (b) otherwise the costliest ready task
//   (longest first, so the sweep's tail is short); ties by position in the task list.
//   It returns nullopt when nothing is ready (which is not the same as finished()).
//   Cost: O(log n) per call; events cost O(log n) per task they touch.
//
//   Events that do not match the current state (on_done / on_failed for a task that is not
//   running on that worker: a late message from a worker already reported lost, a duplicate)
//   change nothing and say so in their return value; a key the scheduler does not know is a
//   broken invariant and throws Error. A worker id names one process: the scheduler cannot tell a
//   late message from a lost worker apart from one sent by a new process under the same id, so
//   the adapter drops messages from a process it has reported lost (or gives its replacement a
//   new id).
//
//   Resume: mark_done() before handing out work. A Train task produces nothing but the model
//   for its dependents, so once every dependent is done it is marked done too (no retraining of a
//   model nobody needs).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/task.h"

namespace fineprune {

enum class TaskStatus { Pending, Running, Done, Failed, Blocked };
const char* to_string(TaskStatus status);  // "pending" | "running" | "done" | "failed" | "blocked"

struct SchedulerCounts {
  size_t total = 0;
  size_t done = 0;
  size_t running = 0;
  size_t pending = 0;  // ready or waiting for dependencies
  size_t failed = 0;
  size_t blocked = 0;
};

// What a failure event did, so the adapter can log it and write rows for it. Keys in task order.
struct FailureOutcome {
  std::vector<std::string> requeued;  // back to pending, will be tried again
  std::vector<std::string> failed;    // attempts used up: failed for good
  std::vector<std::string> blocked;   // newly blocked because something they need failed
};

class Scheduler {
 public:
  // Throws Error on a repeated key, an unknown dependency, a dependency cycle, a cost that is
  // not a number, or max_attempts < 1.
  Scheduler(std::vector<Task> tasks, int max_attempts);

  // Resume. Returns false (and changes nothing) for a key not in the graph: an output file may
  // hold rows of tasks this sweep no longer has. Done tasks stay done. Throws Error when the task
  // is running, failed or blocked (resume comes before any work is handed out).
  bool mark_done(const std::string& key);

  // The key of a task for `worker` to run now, marked running on it; nullopt if none is ready.
  std::optional<std::string> next_for(int worker);

  // Returns false (and changes nothing) unless `key` is running on `worker`.
  bool on_done(const std::string& key, int worker);
  // The attempt failed with `message` (kept as last_error). Empty outcome if `key` is not
  // running on `worker`.
  FailureOutcome on_failed(const std::string& key, int worker, const std::string& message);
  // The task stopped at a safe point because a stop was requested (preemption): back to pending
  // and ready again, its attempt not counted (so repeated preemptions never fail a task), and the
  // worker keeps its models. Returns false (and changes nothing) unless `key` is running on
  // `worker`.
  bool on_interrupted(const std::string& key, int worker);
  // Every task running on `worker` is treated as failed ("worker N lost"), and the models it
  // held are forgotten (no more affinity to it). The worker may ask for work again later.
  FailureOutcome on_worker_lost(int worker);

  bool finished() const { return counts_.pending == 0 && counts_.running == 0; }
  SchedulerCounts counts() const { return counts_; }

  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  const Task& task(const std::string& key) const { return tasks_[at(key)]; }
  TaskStatus status(const std::string& key) const { return nodes_[at(key)].status; }
  int attempts(const std::string& key) const { return nodes_[at(key)].attempts; }
  const std::string& last_error(const std::string& key) const { return nodes_[at(key)].last_error; }
  // The worker running the task, or the last one that ran it; -1 if none ever did.
  int worker(const std::string& key) const { return nodes_[at(key)].worker; }
  // Keys of the tasks running on `worker`, in task order.
  std::vector<std::string> running_on(int worker) const;
  const std::vector<Task>& tasks() const { return tasks_; }

 private:
  using Index = uint32_t;
  struct Node {
    TaskStatus status = TaskStatus::Pending;
    int attempts = 0;
    int worker = -1;                 // running it, or the last to run it
    int finished_on = -1;            // the worker whose on_done completed it (holds its product)
    uint64_t finished_generation = 0;  // of finished_on, at that time
    uint32_t unmet = 0;              // dependencies not done yet
    Index rank = 0;                  // position in the longest-first order
    std::string last_error;
    std::vector<Index> deps;
    std::vector<Index> dependents;
    std::vector<int> affinity;  // workers whose affinity set holds this (ready) task
  };
  struct Worker {
    uint64_t generation = 0;    // bumped when lost: models held before are gone
    std::set<Index> affine;     // ranks of ready tasks whose Train dependency finished here
    std::set<Index> running;    // task indices
  };

  Index at(const std::string& key) const;
  void set_status(Index i, TaskStatus s);
  void make_ready(Index i);
  void unready(Index i);
  void complete(Index i);  // done: release dependents
  void fail_attempt(Index i, const std::string& message, FailureOutcome& out);
  void block_dependents(Index i, FailureOutcome& out);

  std::vector<Task> tasks_;
  std::vector<Node> nodes_;
  std::vector<Index> by_rank_;
  std::unordered_map<std::string, Index> index_;
  std::set<Index> ready_;  // ranks of pending tasks whose dependencies are all done
  std::unordered_map<int, Worker> workers_;
  SchedulerCounts counts_;
  int max_attempts_;
};

}  // namespace fineprune
