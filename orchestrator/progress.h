// Progress lines of a running sweep: human-readable or one JSON object per line.
#pragma once

#include <string>

#include "orchestrator/scheduler.h"

namespace fineprune {

struct ProgressSnapshot {
  SchedulerCounts counts;
  size_t resumed = 0;        // tasks already done when this run started
  double elapsed_s = 0;
  double done_cost = 0;      // cost of the tasks finished in this run
  double remaining_cost = 0; // cost of the pending and running tasks
};

// ETA from the rate of cost finished so far; negative when unknown.
double eta_seconds(const ProgressSnapshot& p);

// "progress: 12/40 done (3 resumed), 2 running, 0 failed, 0 blocked, elapsed 0:01:23, ETA 0:03:10"
std::string progress_line(const ProgressSnapshot& p);
// {"event":"progress","done":12,"total":40,...}
std::string progress_json(const ProgressSnapshot& p, const char* event = "progress");

std::string format_duration(double seconds);  // H:MM:SS, "?" when negative

}  // namespace fineprune
