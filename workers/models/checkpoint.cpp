// Atomic checkpoint files.
#include "workers/models/checkpoint.h"

#include <cstdio>
#include <filesystem>

#include "common/error.h"

namespace fineprune {

void save_checkpoint(PrunableNet& model, const std::string& path) {
  const std::string tmp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    model.save(archive);
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::remove(tmp.c_str());
    throw IoError(path, std::string("cannot write checkpoint: ") + e.what_without_backtrace());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw IoError(path, "cannot rename checkpoint into place: " + ec.message());
  }
}

void load_checkpoint(PrunableNet& model, const std::string& path) {
  if (!std::filesystem::exists(path)) throw IoError(path, "checkpoint does not exist");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    model.load(archive);
  } catch (const c10::Error& e) {
    throw IoError(path, std::string("cannot read checkpoint: ") + e.what_without_backtrace());
  }
}

void copy_weights(PrunableNet& from, PrunableNet& to) {
  torch::NoGradGuard no_grad;
  auto src_params = from.named_parameters(true);
  for (auto& p : to.named_parameters(true)) p.value().copy_(src_params[p.key()]);
  auto src_buffers = from.named_buffers(true);
  for (auto& b : to.named_buffers(true)) b.value().copy_(src_buffers[b.key()]);
}

}  // namespace fineprune
