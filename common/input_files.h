// The files a sweep or experiment reads (data splits, trigger pictures), found before any work:
// a missing one is a bad input (exit code 2) named by its key, not a training that fails on every
// attempt.
#pragma once

#include <string>
#include <vector>

#include "common/experiment_spec.h"

namespace fineprune {

// `file` of the data section as the loaders open it: relative paths are inside `data.dir`.
std::string data_file_path(const DataSpec& data, const std::string& file);

struct InputFile {
  std::string key;   // e.g. "data.train_images", "attacks[2].trigger.image"
  std::string path;  // as it will be opened
};

// Every file the spec names for its data format and its triggers.
std::vector<InputFile> input_files(const ExperimentSpec& spec);

// Throws ConfigError "<spec file>: <key>: cannot read <path>: <reason>" for the first file that
// cannot be opened for reading. Reads nothing from them (their contents are checked as they load).
void check_input_files(const ExperimentSpec& spec);

// Checks an output path before any work: not a folder, its folder exists and a file can be
// created there (tried for real: a read-only file system or missing permission both show).
// Throws InputError "<option> <path>: <problem>". Creates and removes one probe file.
void check_output_path(const std::string& path, const std::string& option = "--out");

}  // namespace fineprune
