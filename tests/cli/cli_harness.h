// Test harness for the end-to-end tests: runs the real `fineprune` binary in a temp folder and
// writes the small experiment files they use.
#pragma once

#include <string>
#include <vector>

namespace fineprune::e2e {

// The Debian Fashion-MNIST package; tests needing real data skip where it is missing.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
bool have_fashion_mnist();

// A fresh folder under the system temp dir, removed with everything in it at destruction.
// Unique per process and instance, since ctest runs test processes in parallel.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_text(const std::string& path, const std::string& text);
std::string read_bytes(const std::string& path);  // whole file; throws if it cannot be opened
std::vector<std::string> list_dir(const std::string& dir);  // names, sorted

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
};
std::string tiny_experiment_yaml(const TinyOptions& options = {});

}  // namespace fineprune::e2e
