// Saving and loading epoch checkpoints.
#include "workers/training/training_state.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/error.h"
#include "common/hash.h"
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
  const std::string digest = save_archive(archive, path, "training state");
  // Its digest beside it, written after it: a state is only ever loaded once its bytes matched.
  const std::string sidecar = path + ".sha256";
  {
    std::ofstream out(sidecar + ".tmp");
    out << digest << "\n";
    if (!out) throw IoError(sidecar, "cannot write the training state's digest");
  }
  std::error_code renamed;
  std::filesystem::rename(sidecar + ".tmp", sidecar, renamed);
  if (renamed) throw IoError(sidecar, "cannot rename into place: " + renamed.message());
}

int64_t load_training_state(const std::string& path, PrunableNet& model, torch::optim::SGD& optimizer) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return -1;
  const std::string bytes = read_file_bytes(path);
  std::string recorded;
  std::ifstream(path + ".sha256") >> recorded;
  if (recorded != sha256_hex(bytes)) {
    // Damaged (or its digest lost by a crash between the two renames): never parsed, since
    // LibTorch crashes on some damaged archives. Training the phase from its first epoch gives
    // the same model, so the state is dropped rather than the task failed.
    std::cerr << "fineprune: warning: " << path << ": training state "
              << (recorded.empty() ? "has no digest beside it" : "does not match its digest")
              << "; discarded, this phase trains from its first epoch" << std::endl;
    std::filesystem::remove(path, ec);
    std::filesystem::remove(path + ".sha256", ec);
    return -1;
  }
  try {
    torch::serialize::InputArchive archive, model_archive, optimizer_archive;
    archive.load_from(bytes.data(), bytes.size());
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
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // LibTorch's other exception types (fuzzing finding F2)
    throw IoError(path, std::string("corrupt or of another model: ") + e.what() +
                            " (delete it to train this phase from its first epoch)");
  }
}

}  // namespace fineprune
