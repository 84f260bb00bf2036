// The scheduler driven by fake events: order, preferences, failures, worker loss, resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "orchestrator/scheduler.h"
#include "common/sweep_expansion.h"
#include "tests/orchestrator/scheduler_fixtures.h"
#include "tests/orchestrator/sweep_fixtures.h"

namespace fineprune {
namespace {

using test::make;
using test::next;

Task train(const std::string& key, double cost) { return make(key, TaskKind::Train, cost); }
Task child(const std::string& key, double cost, const std::string& dep) {
  return make(key, TaskKind::Defend, cost, {dep});
}

TEST(Scheduler, DependenciesFirst) {
  Scheduler s({train("T", 100), child("a", 10, "T"), child("b", 20, "T")}, 3);
  EXPECT_EQ(next(s, 0), "T");
  EXPECT_EQ(next(s, 1), "<none>");  // children wait for the model
  EXPECT_FALSE(s.finished());
  EXPECT_TRUE(s.on_done("T", 0));
  EXPECT_EQ(next(s, 1), "b");
  EXPECT_EQ(next(s, 1), "a");
  EXPECT_EQ(next(s, 1), "<none>");
  EXPECT_TRUE(s.on_done("a", 1));
  EXPECT_TRUE(s.on_done("b", 1));
  EXPECT_TRUE(s.finished());
  const SchedulerCounts c = s.counts();
  EXPECT_EQ(c.total, 3u);
  EXPECT_EQ(c.done, 3u);
  EXPECT_EQ(c.pending + c.running + c.failed + c.blocked, 0u);
}

TEST(Scheduler, LongestFirstTiesByTaskOrder) {
  Scheduler s({make("c1", TaskKind::Curve, 1), make("f5", TaskKind::Defend, 5),
               make("f3", TaskKind::Defend, 3), make("g5", TaskKind::Defend, 5)},
              1);
  EXPECT_EQ(next(s, 0), "f5");
  EXPECT_EQ(next(s, 0), "g5");
  EXPECT_EQ(next(s, 0), "f3");
  EXPECT_EQ(next(s, 0), "c1");
  EXPECT_EQ(next(s, 0), "<none>");
}

TEST(Scheduler, ModelAffinityBeatsCost) {
  Scheduler s({train("T1", 100), train("T2", 90), child("t1-small", 5, "T1"),
               child("t1-big", 8, "T1"), child("t2-big", 50, "T2"), child("t2-small", 1, "T2")},
              3);
  EXPECT_EQ(next(s, 0), "T1");
  EXPECT_EQ(next(s, 1), "T2");
  EXPECT_TRUE(s.on_done("T1", 0));
  EXPECT_TRUE(s.on_done("T2", 1));
  // Worker 0 holds T1's model: its children first (costliest of them first), though t2-big costs more.
  EXPECT_EQ(next(s, 0), "t1-big");
  // A worker holding no model takes the costliest ready task, whoever holds its model.
  EXPECT_EQ(next(s, 2), "t2-big");
  EXPECT_EQ(next(s, 1), "t2-small");
  EXPECT_EQ(next(s, 1), "t1-small");  // nothing of T2 left: fall back to longest first
  EXPECT_EQ(s.worker("t1-big"), 0);
  EXPECT_EQ(s.worker("t2-big"), 2);
}

TEST(Scheduler, AffinityForgottenWhenWorkerLost) {
  Scheduler s({train("T1", 100), train("T2", 90), child("a", 5, "T1"), child("b", 50, "T2")}, 3);
  EXPECT_EQ(next(s, 0), "T1");
  EXPECT_EQ(next(s, 1), "T2");
  EXPECT_TRUE(s.on_done("T1", 0));
  EXPECT_TRUE(s.on_done("T2", 1));
  s.on_worker_lost(0);  // came back empty-handed (same id, new process)
  EXPECT_EQ(next(s, 0), "b");
  EXPECT_EQ(next(s, 0), "a");
}

TEST(Scheduler, AffinityOnlyToTheWorkerThatFinishedTheTrain) {
  Scheduler s({train("T", 100), train("U", 90), child("small", 1, "T"), child("big", 50, "T")}, 3);
  EXPECT_EQ(next(s, 0), "T");
  s.on_failed("T", 0, "crash");
  EXPECT_EQ(next(s, 1), "T");
  EXPECT_TRUE(s.on_done("T", 1));
  EXPECT_EQ(next(s, 0), "U");  // worker 0 tried T but holds no model
  EXPECT_EQ(next(s, 1), "big");
  // Marked done on resume after a failed attempt elsewhere: nobody holds the model.
  Scheduler r({train("T", 100), child("small", 1, "T"), child("big", 50, "T")}, 3);
  EXPECT_EQ(next(r, 4), "T");
  r.on_failed("T", 4, "crash");
  EXPECT_TRUE(r.mark_done("T"));
  EXPECT_EQ(next(r, 4), "big");
}

TEST(Scheduler, RetriesThenFailsAndBlocksTransitively) {
  Scheduler s({train("A", 10), make("B", TaskKind::Curve, 5, {"A"}),
               make("C", TaskKind::Defend, 5, {"B"}), make("D", TaskKind::Defend, 5, {"A"}),
               make("E", TaskKind::Train, 1)},
              3);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    EXPECT_EQ(next(s, 0), "A");
    const FailureOutcome out = s.on_failed("A", 0, "out of memory " + std::to_string(attempt));
    EXPECT_EQ(out.requeued, std::vector<std::string>{"A"});
    EXPECT_TRUE(out.failed.empty());
    EXPECT_TRUE(out.blocked.empty());
    EXPECT_EQ(s.status("A"), TaskStatus::Pending);
    EXPECT_EQ(s.attempts("A"), attempt);
  }
  EXPECT_EQ(next(s, 1), "A");  // third attempt, elsewhere
  const FailureOutcome out = s.on_failed("A", 1, "out of memory 3");
  EXPECT_TRUE(out.requeued.empty());
  EXPECT_EQ(out.failed, std::vector<std::string>{"A"});
  EXPECT_EQ(out.blocked, (std::vector<std::string>{"B", "C", "D"}));
  EXPECT_EQ(s.status("A"), TaskStatus::Failed);
  EXPECT_EQ(s.last_error("A"), "out of memory 3");
  EXPECT_EQ(s.attempts("A"), 3);
  for (const char* k : {"B", "C", "D"}) {
    EXPECT_EQ(s.status(k), TaskStatus::Blocked) << k;
    EXPECT_NE(s.last_error(k).find("A"), std::string::npos);
  }
  EXPECT_FALSE(s.finished());
  EXPECT_EQ(next(s, 0), "E");
  EXPECT_EQ(next(s, 0), "<none>");
  EXPECT_TRUE(s.on_done("E", 0));
  EXPECT_TRUE(s.finished());
  const SchedulerCounts c = s.counts();
  EXPECT_EQ(c.done, 1u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.blocked, 3u);
}

TEST(Scheduler, WorkerLossRequeuesWithAnAttemptCounted) {
  Scheduler s({make("x", TaskKind::Defend, 3), make("y", TaskKind::Defend, 2),
               make("z", TaskKind::Defend, 1)},
              2);
  EXPECT_EQ(next(s, 7), "x");
  EXPECT_EQ(next(s, 7), "y");
  EXPECT_EQ(next(s, 8), "z");
  EXPECT_EQ(s.running_on(7), (std::vector<std::string>{"x", "y"}));
  const FailureOutcome out = s.on_worker_lost(7);
  EXPECT_EQ(out.requeued, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(s.running_on(7).empty());
  EXPECT_EQ(s.status("x"), TaskStatus::Pending);
  EXPECT_EQ(s.attempts("x"), 1);
  EXPECT_EQ(s.last_error("x"), "worker 7 lost");
  EXPECT_EQ(s.counts().running, 1u);
  // A late message from the lost worker changes nothing.
  EXPECT_FALSE(s.on_done("x", 7));
  EXPECT_TRUE(s.on_failed("y", 7, "late").requeued.empty());
  EXPECT_EQ(s.status("x"), TaskStatus::Pending);

  EXPECT_EQ(next(s, 8), "x");
  EXPECT_EQ(s.attempts("x"), 2);
  // Losing the second worker uses up x's attempts: it fails for good (a task that kills workers).
  const FailureOutcome out2 = s.on_worker_lost(8);
  EXPECT_EQ(out2.failed, std::vector<std::string>{"x"});
  EXPECT_EQ(out2.requeued, std::vector<std::string>{"z"});
  EXPECT_EQ(s.status("x"), TaskStatus::Failed);
  EXPECT_TRUE(s.on_worker_lost(99).requeued.empty());  // a worker never seen
}

TEST(Scheduler, StaleAndUnknownEvents) {
  Scheduler s({make("x", TaskKind::Defend, 3)}, 2);
  EXPECT_FALSE(s.on_done("x", 0));  // pending, not running
  EXPECT_EQ(next(s, 0), "x");
  EXPECT_FALSE(s.on_done("x", 1));  // running elsewhere
  EXPECT_TRUE(s.on_failed("x", 1, "?").requeued.empty());
  EXPECT_THROW(s.on_done("nope", 0), Error);
  EXPECT_THROW(s.on_failed("nope", 0, ""), Error);
  EXPECT_THROW(s.status("nope"), Error);
  EXPECT_TRUE(s.on_done("x", 0));
  EXPECT_FALSE(s.on_done("x", 0));  // a duplicate: done once only
  EXPECT_EQ(s.counts().done, 1u);
}

TEST(Scheduler, ResumeWithMarkDone) {
  const std::vector<Task> tasks = expand_sweep(test::sweep_spec(), "v1");
  ASSERT_EQ(tasks.size(), 36u);
  Scheduler s(tasks, 2);
  EXPECT_FALSE(s.mark_done("not-in-this-sweep"));
  // Pair 0: every defense task already in the output, so its model is not needed.
  for (size_t i = 1; i < 6; ++i) EXPECT_TRUE(s.mark_done(tasks[i].key));
  EXPECT_EQ(s.status(tasks[0].key), TaskStatus::Done);
  // Pair 1: some rows present; the train task must still run, then only the missing ones.
  for (size_t i = 7; i < 10; ++i) EXPECT_TRUE(s.mark_done(tasks[i].key));
  EXPECT_EQ(s.status(tasks[6].key), TaskStatus::Pending);
  // Pair 2: the train task recorded done (a checkpoint), its children still to do.
  EXPECT_TRUE(s.mark_done(tasks[12].key));
  EXPECT_TRUE(s.mark_done(tasks[12].key));  // twice is fine
  EXPECT_EQ(s.counts().done, 6u + 3u + 1u);

  std::vector<std::string> handed;
  while (!s.finished()) {
    const std::optional<std::string> k = s.next_for(0);
    ASSERT_TRUE(k.has_value());
    handed.push_back(*k);
    ASSERT_TRUE(s.on_done(*k, 0));
  }
  EXPECT_EQ(handed.size(), 36u - 10u);
  for (size_t i : {0u, 1u, 5u, 7u, 9u, 12u}) {
    EXPECT_EQ(std::count(handed.begin(), handed.end(), tasks[i].key), 0) << i;
  }
  EXPECT_EQ(std::count(handed.begin(), handed.end(), tasks[6].key), 1);
  EXPECT_EQ(std::count(handed.begin(), handed.end(), tasks[13].key), 1);
  EXPECT_EQ(s.counts().done, 36u);
}

TEST(Scheduler, MarkDoneRefusedOnceWorkIsOut) {
  Scheduler s({train("T", 1), child("a", 1, "T")}, 1);
  EXPECT_EQ(next(s, 0), "T");
  EXPECT_THROW(s.mark_done("T"), Error);
  s.on_failed("T", 0, "boom");
  EXPECT_THROW(s.mark_done("T"), Error);  // failed
  EXPECT_THROW(s.mark_done("a"), Error);  // blocked
}

TEST(Scheduler, EmptyAndInvalidGraphs) {
  Scheduler empty({}, 1);
  EXPECT_TRUE(empty.finished());
  EXPECT_FALSE(empty.next_for(0).has_value());
  EXPECT_THROW(Scheduler({train("T", 1), train("T", 2)}, 1), Error);
  EXPECT_THROW(Scheduler({child("a", 1, "missing")}, 1), Error);
  EXPECT_THROW(Scheduler({make("a", TaskKind::Curve, 1, {"b"}), make("b", TaskKind::Curve, 1, {"a"})}, 1),
               Error);
  EXPECT_THROW(Scheduler({make("a", TaskKind::Curve, 1, {"a"})}, 1), Error);
  EXPECT_THROW(Scheduler({train("T", 1)}, 0), Error);
  EXPECT_THROW(Scheduler({train("T", std::nan(""))}, 1), Error);
}

TEST(Scheduler, TaskKindAndStatusNames) {
  for (const std::string name : {"train", "curve", "finetune", "fineprune", "clp", "anp"}) {
    Task t;
    set_task_kind_name(t, name);
    EXPECT_EQ(task_kind_name(t), name);
    EXPECT_EQ(t.kind == TaskKind::Defend, t.defense == name) << name;
  }
  Task t;
  EXPECT_THROW(set_task_kind_name(t, "prune"), Error);  // a curve task's rows, not a task kind
  EXPECT_THROW(set_task_kind_name(t, "defend"), Error);
  EXPECT_STREQ(to_string(TaskStatus::Blocked), "blocked");
}

}  // namespace
}  // namespace fineprune
