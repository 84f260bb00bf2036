// How many compute threads a process uses: the user's number, or the cores it may use.
#pragma once

#include <cstdint>

namespace fineprune {

// requested > 0: that many; 0: the cores this process may run on (sched_getaffinity), at least 1.
int choose_thread_count(int64_t requested);

}  // namespace fineprune
