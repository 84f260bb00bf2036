// Saving and loading epoch checkpoints.
#include "workers/training/training_state.h"

#include <filesystem>

#include "common/error.h"

namespace fineprune {

void save_training_state(const std::string& path, PrunableNet& model, torch::optim::SGD& optimizer,
                         int64_t epochs_done) {
  const std::string tmp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model_archive, optimizer_archive;
    model.save(model_archive);
    optimizer.save(optimizer_archive);
    archive.write("model", model_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("epochs_done", torch::tensor(epochs_done, torch::kInt64));
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    throw IoError(path, std::string("cannot write training state: ") + e.what_without_backtrace());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw IoError(path, "cannot rename training state into place: " + ec.message());
}

int64_t load_training_state(const std::string& path, PrunableNet& model, torch::optim::SGD& optimizer) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return -1;
  try {
    torch::serialize::InputArchive archive, model_archive, optimizer_archive;
    archive.load_from(path);
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model.load(model_archive);
    optimizer.load(optimizer_archive);
    torch::Tensor epochs;
    archive.read("epochs_done", epochs);
    return epochs.item<int64_t>();
  } catch (const c10::Error& e) {
    throw IoError(path, std::string("corrupt or of another model: ") + e.what_without_backtrace());
  }
}

}  // namespace fineprune
