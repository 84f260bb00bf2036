// Saving and loading model weights (parameters and buffers, the prune mask included).
#pragma once

#include <string>

#include "workers/models/prunable_net.h"

namespace fineprune {

// Writes to a temporary file, reads it back to hash it, then renames it onto `path`, so a reader
// never sees a half-written file. Returns the SHA-256 (hex) of the bytes on disk, for the caller
// to record and give back to load_checkpoint. Throws IoError naming the file.
std::string save_checkpoint(PrunableNet& model, const std::string& path);

// Loads weights into a model of the same architecture. With `expected_sha256`, the file's bytes
// must hash to it first: DamagedFileError naming the file and both digests otherwise, and nothing
// is loaded. Throws IoError naming the file when it is missing, corrupt or of another
// architecture.
void load_checkpoint(PrunableNet& model, const std::string& path, const std::string& expected_sha256 = "");

// The SHA-256 (hex) of a file's bytes. IoError naming it when it cannot be read.
std::string file_sha256(const std::string& path);
// A file's bytes. IoError naming it when it cannot be read.
std::string read_file_bytes(const std::string& path);

// The pieces of both, for files that hold a model among other things (workers/training/
// training_state.h): writes `archive` to a temporary file and renames it onto `path` (IoError
// naming the file and `what`), returning the SHA-256 of what was written; loads a model from an
// archive Module::save wrote, refusing one of another architecture (IoError naming `path` and
// the tensor).
std::string save_archive(torch::serialize::OutputArchive& archive, const std::string& path, const std::string& what);
void load_model_archive(PrunableNet& model, torch::serialize::InputArchive& archive, const std::string& path);

// Copies weights from one model into another of the same architecture (in memory).
void copy_weights(PrunableNet& from, PrunableNet& to);

}  // namespace fineprune
