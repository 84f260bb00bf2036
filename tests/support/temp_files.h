// Files and folders for tests that run the real binary: temp folders, whole-file reads and
// writes, and where the Fashion-MNIST package is.
#pragma once

#include <string>
#include <vector>

namespace fineprune::test_support {

// The Debian Fashion-MNIST package; tests needing real data skip where it is missing.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
bool have_fashion_mnist();

// A fresh folder under the system temp dir, removed with everything in it at destruction.
// Unique per process and instance, since ctest runs test processes in parallel.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "fineprune_test");
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
bool file_exists(const std::string& path);

}  // namespace fineprune::test_support
