// Splitting a sweep's task graph into shards (`fineprune run --shard I/K`, Slurm job arrays).
//
// A shard is a set of whole families: a family is a connected part of the task graph (a Train
// task and every task that needs its model), so no shard ever waits for a model another shard
// trains, and every (attack, seed) is trained exactly once over all shards. Families go to shards
// longest-processing-time first: by total cost, largest first (ties: the family that comes first
// in the task list), each to the shard with the least cost so far (ties: the lowest index). The
// split depends only on the task list, so every shard of one sweep computes the same split and
// together they hold every task once.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/shard.h"
#include "common/task.h"

namespace fineprune {

// The shard (0 .. count-1) of each task, in task order. Throws Error when count < 1 or the deps
// name unknown keys.
std::vector<int> shard_assignment(const std::vector<Task>& tasks, int count);

// The tasks of `shard`, in task order (all of them for a whole sweep).
std::vector<Task> shard_tasks(const std::vector<Task>& tasks, const Shard& shard);

// Families (connected parts) of the graph: at most this many shards hold any work.
size_t family_count(const std::vector<Task>& tasks);

}  // namespace fineprune
