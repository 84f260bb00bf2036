// Which part of a sweep a run does: shard I of K (`fineprune run --shard I/K`, Slurm job
// arrays), as the result files record it in their "shard" attribute. How a sweep's tasks are
// split into shards is orchestrator/sharding.h.
#pragma once

#include <string>

namespace fineprune {

struct Shard {
  int index = 0;  // 0 .. count-1 (SLURM_ARRAY_TASK_ID of a job array --array=0-<count-1>)
  int count = 1;  // 1: the whole sweep
  bool whole() const { return count == 1; }
  std::string text() const;  // "I/K"
};

// Parses "I/K" (0 <= I < K, K >= 1). Throws InputError naming `flag` and the text otherwise.
Shard parse_shard(const std::string& text, const std::string& flag);

}  // namespace fineprune
