// Test harness for the end-to-end tests: process runner, temp folders, experiment files.
#include "cli_harness.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fineprune::e2e {

namespace fs = std::filesystem;

namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

}  // namespace

RunResult run_fineprune(const std::vector<std::string>& args, const std::string& scratch) {
  static std::atomic<int> counter{0};
  const std::string tag = std::to_string(counter++);
  const std::string out_path = scratch + "/stdout." + tag;
  const std::string err_path = scratch + "/stderr." + tag;
  std::string cmd = shell_quote(FINEPRUNE_BINARY);
  for (const std::string& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote(out_path) + " 2>" + shell_quote(err_path) + " </dev/null";

  RunResult r;
  const int status = std::system(cmd.c_str());
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.out = read_bytes(out_path);
  r.err = read_bytes(err_path);
  return r;
}

std::string tiny_experiment_yaml(const TinyOptions& o) {
  const std::string attacks = !o.attacks.empty() ? o.attacks : R"(
  - name: badnets
    trigger: {type: patch, size: 3, position: bottom_right, style: checkerboard}
    target: {mode: all_to_one, label: 0}
    poison_rate: 0.1
)";
  return "# e2e: a tiny real run\n"
         "name: e2e-tiny\n"
         "data:\n"
         "  format: idx\n"
         "  dir: " + o.data_dir + "\n"
         "  validation_size: 500\n"
         "  train_subset: 2000\n"
         "  test_subset: 500\n"
         "model:\n"
         "  name: small_cnn\n"
         "  widths: [8, 16, 16]\n"
         "  hidden: 32\n"
         "training: {epochs: 1, batch_size: 64, lr: 0.05}\n"
         "attacks:" + attacks +
         "defenses: [none, prune, finetune, fineprune]\n"
         "pruning: {max_val_drop: " + o.stops + ", rates: [0.5]}\n"
         "finetune: {epochs: 2, batch_size: 64, lr: 0.01}\n"
         "seeds: " + o.seeds + "\n"
         "threads: 1\n";
}

}  // namespace fineprune::e2e
