// Thread-count choice.
#include "cli/thread_count.h"

#include <sched.h>

#include <thread>

namespace fineprune {

int choose_thread_count(int64_t requested) {
  if (requested > 0) return static_cast<int>(requested);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

}  // namespace fineprune
