// How a task's training and evaluation run on this rank: the worker group they share
// (data-parallel, workers/parallel/) and where training keeps its epoch checkpoints.
#pragma once

#include <string>

#include "workers/parallel/parallel_context.h"

namespace fineprune {

struct ExecutionContext {
  ParallelContext parallel;
  // Folder for epoch checkpoints of this task's training runs (one file per phase, e.g.
  // "train", "finetune"); empty: no checkpoints, and a stop request is not checked.
  std::string state_dir;
};

}  // namespace fineprune
