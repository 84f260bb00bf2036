// The master's progress line, its JSON form and the ETA.
#include <gtest/gtest.h>

#include <cmath>

#include "orchestrator/progress.h"

namespace fineprune {
namespace {

TEST(Progress, LineAndEta) {
  ProgressSnapshot p;
  p.counts.total = 40;
  p.counts.done = 12;
  p.counts.running = 2;
  p.resumed = 3;
  p.elapsed_s = 83;
  p.done_cost = 10;
  p.remaining_cost = 20;
  EXPECT_DOUBLE_EQ(eta_seconds(p), 166);
  EXPECT_EQ(progress_line(p),
            "progress: 12/40 done (3 resumed), 2 running, 0 failed, 0 blocked, elapsed 0:01:23, ETA 0:02:46");
  EXPECT_NE(progress_json(p).find("\"done\":12,\"total\":40"), std::string::npos);
  p.done_cost = 0;
  EXPECT_LT(eta_seconds(p), 0);
  EXPECT_EQ(format_duration(-1), "?");
}

}  // namespace
}  // namespace fineprune
