// CPU time this process has used (user + system, all threads), for the master's summary line and
// the dispatch benchmark.
#pragma once

namespace fineprune {

// Seconds; 0 when the system cannot say.
double process_cpu_seconds();

}  // namespace fineprune
