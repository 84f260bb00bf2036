// The scheduler's interrupt event (preemption): a task stopped at a safe point goes back to
// pending without using an attempt, and its worker keeps the models it holds.
#include <gtest/gtest.h>

#include "common/error.h"
#include "orchestrator/scheduler.h"
#include "tests/orchestrator/scheduler_fixtures.h"

namespace fineprune {
namespace {

using test::make;
using test::next;

TEST(SchedulerInterrupt, BackToPendingWithNoAttemptCounted) {
  Scheduler s({make("T", TaskKind::Train, 10), make("c", TaskKind::Curve, 1, {"T"})}, 3);
  EXPECT_EQ(next(s, 0), "T");
  EXPECT_EQ(s.attempts("T"), 1);
  EXPECT_TRUE(s.on_interrupted("T", 0));
  EXPECT_EQ(s.status("T"), TaskStatus::Pending);
  EXPECT_EQ(s.attempts("T"), 0);
  EXPECT_TRUE(s.last_error("T").empty());
  EXPECT_TRUE(s.running_on(0).empty());
  const SchedulerCounts c = s.counts();
  EXPECT_EQ(c.pending, 2u);
  EXPECT_EQ(c.running, 0u);
  EXPECT_FALSE(s.finished());
  // Ready again, for any worker; its dependents still wait for it.
  EXPECT_EQ(next(s, 5), "T");
  EXPECT_EQ(s.attempts("T"), 1);
  EXPECT_EQ(next(s, 6), "<none>");
  EXPECT_TRUE(s.on_done("T", 5));
  EXPECT_EQ(next(s, 6), "c");
  EXPECT_TRUE(s.on_done("c", 6));
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.counts().done, 2u);
}

TEST(SchedulerInterrupt, RepeatedPreemptionsNeverFailATask) {
  Scheduler s({make("T", TaskKind::Train, 10)}, 1);  // a single attempt allowed
  for (int round = 0; round < 5; ++round) {
    ASSERT_EQ(next(s, round), "T") << "round " << round;
    ASSERT_TRUE(s.on_interrupted("T", round));
  }
  EXPECT_EQ(s.status("T"), TaskStatus::Pending);
  EXPECT_EQ(next(s, 9), "T");
  EXPECT_TRUE(s.on_done("T", 9));
  EXPECT_EQ(s.counts().failed, 0u);
  EXPECT_TRUE(s.finished());
}

TEST(SchedulerInterrupt, AFailureAfterAnInterruptCountsOnlyRealAttempts) {
  Scheduler s({make("T", TaskKind::Train, 10)}, 2);
  EXPECT_EQ(next(s, 0), "T");
  EXPECT_TRUE(s.on_interrupted("T", 0));
  EXPECT_EQ(next(s, 0), "T");
  EXPECT_EQ(s.on_failed("T", 0, "boom").requeued, std::vector<std::string>{"T"});
  EXPECT_EQ(s.attempts("T"), 1);
  EXPECT_EQ(next(s, 0), "T");
  EXPECT_EQ(s.on_failed("T", 0, "boom again").failed, std::vector<std::string>{"T"});
  EXPECT_EQ(s.attempts("T"), 2);
}

TEST(SchedulerInterrupt, TheWorkerKeepsItsModels) {
  Scheduler s({make("T1", TaskKind::Train, 10), make("T2", TaskKind::Train, 10),
               make("small", TaskKind::Defend, 1, {"T1"}), make("big", TaskKind::Defend, 50, {"T2"})},
              3);
  EXPECT_EQ(next(s, 0), "T1");
  EXPECT_EQ(next(s, 1), "T2");
  EXPECT_TRUE(s.on_done("T1", 0));
  EXPECT_TRUE(s.on_done("T2", 1));
  EXPECT_EQ(next(s, 0), "small");  // worker 0 holds T1's model
  EXPECT_TRUE(s.on_interrupted("small", 0));
  EXPECT_EQ(next(s, 0), "small");  // and still does: affinity beats the costlier task
  EXPECT_EQ(next(s, 1), "big");
}

TEST(SchedulerInterrupt, StaleAndUnknownEvents) {
  Scheduler s({make("x", TaskKind::Defend, 3)}, 2);
  EXPECT_FALSE(s.on_interrupted("x", 0));  // pending, not running
  EXPECT_EQ(next(s, 0), "x");
  EXPECT_FALSE(s.on_interrupted("x", 1));  // running elsewhere
  EXPECT_EQ(s.status("x"), TaskStatus::Running);
  EXPECT_EQ(s.attempts("x"), 1);
  EXPECT_THROW(s.on_interrupted("nope", 0), Error);
  EXPECT_TRUE(s.on_done("x", 0));
  EXPECT_FALSE(s.on_interrupted("x", 0));  // done stays done
  EXPECT_EQ(s.status("x"), TaskStatus::Done);
  EXPECT_EQ(s.attempts("x"), 1);
}

}  // namespace
}  // namespace fineprune
