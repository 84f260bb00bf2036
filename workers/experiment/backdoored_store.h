// Trained backdoored models on disk, so that every defense task of a sweep reuses one training:
// `<dir>/<key>.pt` (the weights, prune mask included) and `<dir>/<key>.meta` (training wall time,
// the pruning-aware attack's decoy channels and the SHA-256 of the .pt file), both written
// atomically. A model is only ever used after its bytes matched that digest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workers/experiment/experiment_runner.h"

namespace fineprune {

// Saves the model and returns the SHA-256 (hex) of its .pt file as written.
std::string save_backdoored(const BackdooredModel& model, const std::string& dir, const std::string& key);

// True when both files of `key` exist.
bool has_backdoored(const std::string& dir, const std::string& key);

struct LoadedModel {
  BackdooredModel model;
  std::string sha256;  // of its .pt file, verified
};

// What a model's .meta file records. IoError naming the file when it is missing or corrupt.
struct SavedModelMeta {
  double train_wall_s = 0;
  std::vector<int64_t> decoys;
  std::string sha256;  // of the .pt file, as written
};
SavedModelMeta read_saved_meta(const std::string& meta_path);

// Rebuilds the model saved under `key` for this attack and seed: weights from the checkpoint,
// evaluation sets recomputed from the data and the trigger. Throws DamagedFileError when the .pt
// file's bytes do not match the digest its .meta recorded, IoError naming a missing, corrupt or
// unreadable file (a .meta without a digest included).
LoadedModel load_backdoored(const ExperimentSpec& spec, const AttackSpec& attack, const SeedData& data,
                            const std::string& dir, const std::string& key);

// Removes both files of `key` (a damaged model, before it is trained again); never throws.
void discard_backdoored(const std::string& dir, const std::string& key) noexcept;

}  // namespace fineprune
