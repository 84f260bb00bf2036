// Epoch checkpoints of one training run, so a task stopped by a preemption continues from its
// last finished epoch: the model's parameters and buffers, the optimiser's momentum and the
// number of epochs done. The batch order of epoch e is the e-th permutation drawn from the
// seeded generator, so a resumed run replays the earlier draws and continues exactly as an
// uninterrupted one would.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "workers/models/prunable_net.h"

namespace fineprune {

// Writes atomically ("<path>.tmp", then rename), making its folder if needed, then the file's
// SHA-256 into "<path>.sha256". Throws IoError naming the file.
void save_training_state(const std::string& path, PrunableNet& model, torch::optim::SGD& optimizer,
                         int64_t epochs_done);

// Loads a state saved by save_training_state into `model` and `optimizer` and returns the
// epochs done; -1 when `path` does not exist, and also when its bytes do not match the digest
// beside it (or that is missing): the state is then removed with a warning on stderr, and the
// phase trains from its first epoch (the same model). Throws IoError naming the file when it
// matches its digest but cannot be read or is of another architecture.
int64_t load_training_state(const std::string& path, PrunableNet& model, torch::optim::SGD& optimizer);

}  // namespace fineprune
