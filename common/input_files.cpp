// Listing and checking the files a spec reads.
#include "common/input_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"

namespace fineprune {

std::string data_file_path(const DataSpec& data, const std::string& file) {
  if (data.dir.empty() || file.empty() || std::filesystem::path(file).is_absolute()) return file;
  return (std::filesystem::path(data.dir) / file).string();
}

std::vector<InputFile> input_files(const ExperimentSpec& spec) {
  const DataSpec& d = spec.data;
  std::vector<InputFile> out;
  const auto add = [&](const std::string& key, const std::string& file) {
    out.push_back({key, data_file_path(d, file)});
  };
  if (d.format == "idx") {
    add("data.train_images", d.train_images);
    add("data.train_labels", d.train_labels);
    add("data.test_images", d.test_images);
    add("data.test_labels", d.test_labels);
  } else if (d.format == "cifar10") {
    for (size_t i = 0; i < d.train_batches.size(); ++i) {
      add("data.train_batches[" + std::to_string(i) + "]", d.train_batches[i]);
    }
    add("data.test_batch", d.test_batch);
  } else if (d.format == "hdf5") {
    add("data.train_file", d.train_file);
    add("data.test_file", d.test_file);
  }
  for (size_t i = 0; i < spec.attacks.size(); ++i) {
    const TriggerSpec& t = spec.attacks[i].trigger;
    const bool uses_picture = t.type == "mask" || (t.type == "blend" && t.pattern == "image");
    if (uses_picture) out.push_back({"attacks[" + std::to_string(i) + "].trigger.image", t.image});
  }
  return out;
}

void check_input_files(const ExperimentSpec& spec) {
  for (const InputFile& f : input_files(spec)) {
    std::FILE* file = f.path.empty() ? nullptr : std::fopen(f.path.c_str(), "rb");
    if (file == nullptr) {
      const std::string why = f.path.empty() ? "no file given" : std::strerror(errno);
      throw ConfigError(spec.source_file, f.key, "cannot read '" + f.path + "': " + why);
    }
    std::fclose(file);
    if (std::filesystem::is_directory(f.path)) {
      throw ConfigError(spec.source_file, f.key, "'" + f.path + "' is a folder, not a file");
    }
  }
}

void check_output_path(const std::string& path, const std::string& option) {
  const std::string named = option + " " + path;
  if (path.empty()) throw InputError(named + ": no file given");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(named + ": is a folder, not a file");
  const std::filesystem::path p(path);
  const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir, ec)) {
    throw InputError(named + ": its folder " + dir.string() + " does not exist");
  }
  // access(W_OK) says yes to root on a read-only mount: create a file to know.
  const std::string probe = (dir / (".fineprune-probe-" + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw InputError(named + ": cannot create files in its folder " + dir.string() + ": " +
                     std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace fineprune
