// Atomic checkpoint files.
#include "workers/models/checkpoint.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/hash.h"

namespace fineprune {

namespace {

// Walks the module tree as Module::save writes it (one nested archive per child module).
void check_shapes(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                  const std::string& prefix, const std::string& path) {
  auto check = [&](const std::string& name, const torch::Tensor& expected, bool buffer) {
    torch::Tensor saved;
    if (!archive.try_read(name, saved, buffer)) {
      throw IoError(path, "checkpoint has no tensor '" + prefix + name + "' (another model?)");
    }
    if (saved.sizes() != expected.sizes()) {
      throw IoError(path, "tensor '" + prefix + name + "' has shape " + c10::str(saved.sizes()) +
                              ", the model expects " + c10::str(expected.sizes()) +
                              " (a checkpoint of another architecture)");
    }
  };
  for (const auto& p : module.named_parameters(false)) check(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(false)) check(b.key(), b.value(), true);
  for (const auto& child : module.named_children()) {
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub)) {
      throw IoError(path, "checkpoint has no module '" + prefix + child.key() + "' (another model?)");
    }
    check_shapes(*child.value(), sub, prefix + child.key() + ".", path);
  }
}

}  // namespace

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw IoError(path, "read failed");
  return bytes.str();
}

std::string file_sha256(const std::string& path) { return sha256_hex(read_file_bytes(path)); }

std::string save_archive(torch::serialize::OutputArchive& archive, const std::string& path, const std::string& what) {
  // Two groups may save the same model at once (each trained it after finding none): each writes
  // its own temporary file, and the last rename wins with identical contents.
  char host[64] = {0};
  ::gethostname(host, sizeof host - 1);
  const std::string tmp = path + ".tmp." + host + "." + std::to_string(::getpid());
  try {
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::remove(tmp.c_str());
    throw IoError(path, "cannot write " + what + ": " + e.what_without_backtrace());
  }
  // Hashed as read back from the file system: the digest then vouches for what is on disk.
  std::string digest;
  try {
    digest = file_sha256(tmp);
  } catch (const IoError& e) {
    std::remove(tmp.c_str());
    throw IoError(path, "cannot read back the " + what + " just written: " + e.what());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw IoError(path, "cannot rename " + what + " into place: " + ec.message());
  }
  return digest;
}

void load_model_archive(PrunableNet& model, torch::serialize::InputArchive& archive, const std::string& path) {
  // LibTorch's Module::load checks names only and would adopt tensors of another shape: a
  // checkpoint of another architecture must be an error, not a silently resized model.
  check_shapes(model, archive, "", path);
  model.load(archive);
}

std::string save_checkpoint(PrunableNet& model, const std::string& path) {
  torch::serialize::OutputArchive archive;
  try {
    model.save(archive);
  } catch (const c10::Error& e) {
    throw IoError(path, std::string("cannot write checkpoint: ") + e.what_without_backtrace());
  }
  return save_archive(archive, path, "checkpoint");
}

void load_checkpoint(PrunableNet& model, const std::string& path, const std::string& expected_sha256) {
  if (!std::filesystem::exists(path)) throw IoError(path, "checkpoint does not exist");
  // Read once: the bytes that are hashed are the bytes that are loaded.
  const std::string bytes = read_file_bytes(path);
  if (!expected_sha256.empty()) {
    const std::string found = sha256_hex(bytes);
    if (found != expected_sha256) {
      throw DamagedFileError(path, "saved model is damaged: its SHA-256 is " + found + ", but " + expected_sha256 +
                                       " was recorded when it was saved (" + std::to_string(bytes.size()) +
                                       " bytes now)");
    }
  }
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    load_model_archive(model, archive, path);
  } catch (const c10::Error& e) {
    throw IoError(path, std::string("cannot read checkpoint: ") + e.what_without_backtrace());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // LibTorch's importer throws other types on damaged archives (its script parser's
    // ErrorReport, std::out_of_range, std::runtime_error): fuzzing finding F1.
    throw IoError(path, std::string("cannot read checkpoint: ") + e.what());
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
