// Test harness for the end-to-end tests: runs the real `fineprune` binary in a temp folder and
// writes the small experiment files they use.
#pragma once

#include <string>

#include "tests/support/temp_files.h"
#include <vector>

namespace fineprune::e2e {

using test_support::file_exists;
using test_support::have_fashion_mnist;
using test_support::kFashionMnistDir;
using test_support::list_dir;
using test_support::read_bytes;
using test_support::TempDir;
using test_support::write_text;

struct RunResult {
  int exit_code = -1;  // the process's exit status; -1 if it did not exit normally
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `fineprune <args...>` (each argument shell-quoted) and captures its output. `scratch` is
// a folder for the captured streams; it must not be the folder the test inspects.
RunResult run_fineprune(const std::vector<std::string>& args, const std::string& scratch);

// The tiny experiment of the e2e tests: Fashion-MNIST subsets, a 3-layer CNN of widths [8,16,16],
// one BadNets attack, all four defenses, the stop point plus one fixed rate (0.5), seed 1.
// `extra` is appended verbatim (later keys must not repeat earlier ones: YAML maps are unique).
struct TinyOptions {
  std::string data_dir = kFashionMnistDir;
  std::string seeds = "[1]";
  std::string attacks;  // empty: the one BadNets attack
  std::string stops = "0.04";  // pruning.max_val_drop: a number or a list
};
std::string tiny_experiment_yaml(const TinyOptions& options = {});

}  // namespace fineprune::e2e
