// Saving and loading epoch checkpoints.
#include "workers/training/training_state.h"

#include <filesystem>

#include "common/error.h"
#include "workers/models/checkpoint.h"

namespace fineprune {

void save_training_state(const std::string& path, PrunableNet& model, torch::optim::SGD& optimizer,
                         int64_t epochs_done) {
  std::error_code made;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), made);
  if (made) throw IoError(path, "cannot make the folder for training state: " + made.message());
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  try {
    model.save(model_archive);
    optimizer.save(optimizer_archive);
    archive.write("model", model_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("epochs_done", torch::tensor(epochs_done, torch::kInt64));
  } catch (const c10::Error& e) {
    throw IoError(path, std::string("cannot write training state: ") + e.what_without_backtrace());
  }
  save_archive(archive, path, "training state");
}

int64_t load_training_state(const std::string& path, PrunableNet& model, torch::optim::SGD& optimizer) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return -1;
  try {
    torch::serialize::InputArchive archive, model_archive, optimizer_archive;
    archive.load_from(path);
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    load_model_archive(model, model_archive, path);
    optimizer.load(optimizer_archive);
    torch::Tensor epochs;
    archive.read("epochs_done", epochs);
    return epochs.item<int64_t>();
  } catch (const c10::Error& e) {
    throw IoError(path, std::string("corrupt or of another model: ") + e.what_without_backtrace() +
                            " (delete it to train this phase from its first epoch)");
  }
}

}  // namespace fineprune
