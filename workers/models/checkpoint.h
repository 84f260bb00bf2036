// Saving and loading model weights (parameters and buffers, the prune mask included).
#pragma once

#include <string>

#include "workers/models/prunable_net.h"

namespace fineprune {

// Writes to "<path>.tmp", then renames onto `path`, so a reader never sees a half-written file.
// Throws IoError naming the file.
void save_checkpoint(PrunableNet& model, const std::string& path);

// Loads weights into a model of the same architecture. Throws IoError naming the file when it is
// missing, corrupt or of another architecture.
void load_checkpoint(PrunableNet& model, const std::string& path);

// Copies weights from one model into another of the same architecture (in memory).
void copy_weights(PrunableNet& from, PrunableNet& to);

}  // namespace fineprune
