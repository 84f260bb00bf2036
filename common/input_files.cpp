// Listing and checking the files a spec reads.
#include "common/input_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

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

}  // namespace fineprune
