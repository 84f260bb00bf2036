// Fuzz target: the experiment-file reader (common/experiment_spec_yaml.cpp, parse_experiment_spec)
// and spec_for_attack on every attack of a spec it accepts.
//
// Input: the YAML text. Seeds: the files in configs/ (FINEPRUNE_SOURCE_DIR) and a few small specs
// written here; spec.dict holds the keys and names the reader knows.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "common/experiment_spec.h"
#include "fuzz_support.h"

namespace {

using fineprune::fuzz::write_seed;

// F4 (fixed): yaml-cpp 0.7's LoadAll never returned on a stray ','; parse_experiment_spec counts
// documents first.

void write_seeds(const std::string& dir) {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator(fs::path(FINEPRUNE_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    write_seed(dir, entry.path().filename().string(), text.str());
  }
  write_seed(dir, "minimal.yaml",
             "name: m\nattacks:\n  - name: a\n    trigger: {type: patch, size: 2}\n");
  write_seed(dir, "overrides.yaml",
             "name: o\ndata: {format: hdf5, train_file: t.h5, test_file: u.h5, layout: nchw}\n"
             "model: {name: small_cnn, widths: [4, 4, 4], hidden: 8, head: global_pool}\n"
             "attacks:\n  - name: b\n    trigger: {type: blend, alpha: 0.3, pattern: noise}\n"
             "    target: {mode: all_to_all}\n    pruning_aware: {max_val_drop: 0.02}\n"
             "    overrides: {training: {epochs: 2}, pruning: {rates: [0.5]}}\n"
             "pruning: {max_val_drop: [0.02, 0.04], rates: [0.1, 0.9]}\nseeds: [1, 2, 3]\n");
  write_seed(dir, "anchors.yaml",
             "name: &n x\ntraining: &t {epochs: 1, lr: 0.1}\nfinetune: *t\n"
             "attacks: [{name: *n, trigger: {type: sig, delta: 20}}, "
             "{name: w, trigger: {type: wanet, k: 4, strength: 0.5}}]\n");
  write_seed(dir, "not-a-map.yaml", "- 1\n- 2\n");
  write_seed(dir, "empty.yaml", "");
  write_seed(dir, "regression-F4-stray-comma.yaml", ",");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fineprune::fuzz::write_seeds_if_asked(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fineprune::fuzz::expect_clean([&] {
    const fineprune::ExperimentSpec spec = fineprune::parse_experiment_spec(text, "fuzz/spec.yaml");
    for (const fineprune::AttackSpec& attack : spec.attacks) fineprune::spec_for_attack(spec, attack);
  });
  return 0;
}
