// Fuzz target: load_checkpoint (workers/models/checkpoint.cpp) into a small SmallCnn.
//
// Input: the checkpoint file (a LibTorch archive: a zip of data.pkl, tensor records, version).
// Seeds: checkpoints save_checkpoint writes for this model and for two of another shape, so the
// fuzzer starts from both a loadable archive and the "another architecture" refusal.
#include <torch/torch.h>

#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_support.h"
#include "zip_crc.h"
#include "workers/models/checkpoint.h"
#include "workers/models/small_cnn.h"

namespace {

// F1 (fixed): the loader turned some of LibTorch's exception types (torch::jit::ErrorReport,
// std::runtime_error, std::out_of_range) loose on a damaged archive; it now makes each an IoError.

// The F1 reproducer: a valid file with its first "class " in the TorchScript source made "klass ".
std::string unparsable_source(const std::string& valid_path) {
  std::ifstream in(valid_path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = bytes.find("class ");
  if (at == std::string::npos) fineprune::fuzz::finding("F1 reproducer: no TorchScript class");
  bytes[at] = 'k';
  return bytes;
}

std::shared_ptr<fineprune::SmallCnn> small_model(int64_t width = 2, int64_t classes = 3) {
  return std::make_shared<fineprune::SmallCnn>(fineprune::ImageShape{1, 8, 8}, classes,
                                               std::vector<int64_t>{2, 2, width}, 4);
}

void write_seeds(const std::string& dir) {
  fineprune::save_checkpoint(*small_model(), dir + "/small.pt");
  fineprune::save_checkpoint(*small_model(3), dir + "/wider.pt");
  fineprune::save_checkpoint(*small_model(2, 4), dir + "/four-classes.pt");
  fineprune::fuzz::write_seed(dir, "regression-F1-unparsable-source.pt",
                              unparsable_source(dir + "/small.pt"));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  fineprune::fuzz::write_seeds_if_asked(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<fineprune::SmallCnn> model = small_model();
  static const std::string path = fineprune::fuzz::scratch_path("model.pt");
  fineprune::fuzz::write_bytes(path, data, size);
  // TODO(F6): keep this skip while libtorch parses archives without checking their CRCs.
  if (!fineprune::fuzz::strict() && !fineprune::fuzz::zip_fully_verified(data, size)) {
    fineprune::fuzz::known_finding("F6", "zip structure or CRC damaged: not given to libtorch");
    return 0;
  }
  fineprune::fuzz::expect_clean([&] { fineprune::load_checkpoint(*model, path); });
  return 0;
}
