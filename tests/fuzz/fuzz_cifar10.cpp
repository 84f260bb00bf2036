// Fuzz target: load_cifar10 (workers/data/cifar10_loader.cpp), one to three binary batch files.
//
// Input: byte 0 chooses the number of batch files (1 + byte % 3); the rest is cut into that many
// equal parts (the last takes the remainder), one per file.
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "workers/data/image_set.h"

namespace {

using fineprune::fuzz::write_seed;

constexpr size_t kRecord = 1 + 3 * 32 * 32;

std::string records(size_t n, unsigned char first_label) {
  std::string s;
  for (size_t r = 0; r < n; ++r) {
    s += static_cast<char>((first_label + r) % 10);
    for (size_t i = 0; i + 1 < kRecord; ++i) s += static_cast<char>((i * 7 + r) % 256);
  }
  return s;
}

void write_seeds(const std::string& dir) {
  write_seed(dir, "one-file-two-records", std::string(1, '\0') + records(2, 3));
  write_seed(dir, "two-files", std::string(1, '\1') + records(2, 0));
  write_seed(dir, "three-files", std::string(1, '\2') + records(3, 7));
  std::string bad_label = records(1, 0);
  bad_label[0] = 10;
  write_seed(dir, "label-10", std::string(1, '\0') + bad_label);
  write_seed(dir, "short", std::string(1, '\0') + records(1, 0).substr(0, 100));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fineprune::fuzz::write_seeds_if_asked(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return -1;
  const size_t files = 1 + data[0] % 3;
  const size_t part = (size - 1) / files;
  static const std::vector<std::string> all = {fineprune::fuzz::scratch_path("batch0.bin"),
                                               fineprune::fuzz::scratch_path("batch1.bin"),
                                               fineprune::fuzz::scratch_path("batch2.bin")};
  std::vector<std::string> paths;
  for (size_t f = 0; f < files; ++f) {
    const size_t begin = 1 + f * part;
    const size_t len = f + 1 == files ? size - begin : part;
    fineprune::fuzz::write_bytes(all[f], data + begin, len);
    paths.push_back(all[f]);
  }
  fineprune::fuzz::expect_clean([&] { fineprune::load_cifar10(paths); });
  return 0;
}
