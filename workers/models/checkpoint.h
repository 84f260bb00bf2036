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

// The pieces of both, for files that hold a model among other things (workers/training/
// training_state.h): writes `archive` to "<path>.tmp" and renames it onto `path` (IoError naming
// the file and `what`); loads a model from an archive Module::save wrote, refusing one of another
// architecture (IoError naming `path` and the tensor).
void save_archive(torch::serialize::OutputArchive& archive, const std::string& path, const std::string& what);
void load_model_archive(PrunableNet& model, torch::serialize::InputArchive& archive, const std::string& path);

// Copies weights from one model into another of the same architecture (in memory).
void copy_weights(PrunableNet& from, PrunableNet& to);

}  // namespace fineprune
