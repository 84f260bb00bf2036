// check_data: every data file of a spec read whole and checked against the spec (data_check.h).
#include "workers/data/data_check.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/input_files.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

// One split's files as the loaders open them, with the spec key of each.
struct SplitFiles {
  std::vector<InputFile> files;  // images first for idx; each batch for cifar10; one for hdf5
  std::string label_key;         // the key to name for a label problem
  std::string label_file;
};

SplitFiles split_files(const DataSpec& d, bool train) {
  SplitFiles s;
  const auto add = [&](const std::string& key, const std::string& file) {
    s.files.push_back({key, data_file_path(d, file)});
  };
  if (d.format == "idx") {
    add(train ? "data.train_images" : "data.test_images", train ? d.train_images : d.test_images);
    add(train ? "data.train_labels" : "data.test_labels", train ? d.train_labels : d.test_labels);
    s.label_key = s.files[1].key;
    s.label_file = s.files[1].path;
  } else if (d.format == "cifar10") {
    if (train) {
      for (size_t i = 0; i < d.train_batches.size(); ++i) {
        add("data.train_batches[" + std::to_string(i) + "]", d.train_batches[i]);
      }
    } else {
      add("data.test_batch", d.test_batch);
    }
    s.label_key = s.files.front().key;
    s.label_file = s.files.front().path;
  } else {
    add(train ? "data.train_file" : "data.test_file", train ? d.train_file : d.test_file);
    s.label_key = s.files[0].key + " (" + d.labels_key + ")";
    s.label_file = s.files[0].path;
  }
  return s;
}

// Reads one split, turning a loader's DataError ("<file>: <problem>") into a ConfigError naming
// the key of that file.
ImageSetInfo scan_split(const ExperimentSpec& spec, const SplitFiles& s) {
  const DataSpec& d = spec.data;
  try {
    if (d.format == "idx") return scan_idx(s.files[0].path, s.files[1].path);
    if (d.format == "cifar10") {
      std::vector<std::string> paths;
      for (const InputFile& f : s.files) paths.push_back(f.path);
      return scan_cifar10(paths);
    }
    return scan_hdf5_images_isolated(s.files[0].path, d.images_key, d.labels_key, d.layout);
  } catch (const InputError& e) {
    const std::string what = e.what();
    // The file the message starts with tells which key it was.
    std::string key = s.files.front().key;
    for (const InputFile& f : s.files) {
      if (what.rfind(f.path + ":", 0) == 0) key = f.key;
    }
    throw ConfigError(spec.source_file, key, what);
  }
}

std::string shape_text(const ImageSetInfo& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width);
}

// The first index holding `label`, for messages.
size_t index_of(const std::vector<int64_t>& labels, int64_t label) {
  return static_cast<size_t>(std::find(labels.begin(), labels.end(), label) - labels.begin());
}

int64_t max_label(const ImageSetInfo& s) {
  return s.labels.empty() ? -1 : *std::max_element(s.labels.begin(), s.labels.end());
}

}  // namespace

DataFacts check_data(const ExperimentSpec& spec) {
  check_input_files(spec);  // a missing file is named by its key before any is read
  const DataSpec& d = spec.data;
  const std::string& file = spec.source_file;
  const SplitFiles train_files = split_files(d, true);
  const SplitFiles test_files = split_files(d, false);
  const ImageSetInfo train = scan_split(spec, train_files);
  const ImageSetInfo test = scan_split(spec, test_files);

  if (test.channels != train.channels || test.height != train.height || test.width != train.width) {
    throw ConfigError(file, test_files.files.front().key,
                      test_files.files.front().path + ": test images are " + shape_text(test) +
                          " but training images (" + train_files.files.front().path + ") are " +
                          shape_text(train));
  }

  DataFacts facts;
  facts.channels = train.channels;
  facts.height = train.height;
  facts.width = train.width;
  facts.train_images = train.size();
  facts.test_images = test.size();

  if (d.num_classes > 0) {
    facts.num_classes = d.num_classes;
    for (const auto* split : {&train_files, &test_files}) {
      const ImageSetInfo& set = split == &train_files ? train : test;
      const int64_t top = max_label(set);
      if (top >= d.num_classes) {
        throw ConfigError(file, split->label_key,
                          split->label_file + ": label " + std::to_string(top) + " at index " +
                              std::to_string(index_of(set.labels, top)) +
                              " is not below data.num_classes = " + std::to_string(d.num_classes));
      }
    }
  } else {
    facts.num_classes = std::max(max_label(train), max_label(test)) + 1;
    // Inferred classes must each have training images: a stray large label (a corrupt byte)
    // would otherwise silently add classes nothing is ever trained on.
    std::vector<int64_t> count(static_cast<size_t>(std::max<int64_t>(facts.num_classes, 0)), 0);
    for (int64_t y : train.labels) ++count[static_cast<size_t>(y)];
    const int64_t present = static_cast<int64_t>(
        std::count_if(count.begin(), count.end(), [](int64_t n) { return n > 0; }));
    if (present < facts.num_classes) {
      const int64_t top = facts.num_classes - 1;
      const bool in_train = max_label(train) == top;
      const SplitFiles& where = in_train ? train_files : test_files;
      const ImageSetInfo& set = in_train ? train : test;
      throw ConfigError(
          file, where.label_key,
          where.label_file + ": label " + std::to_string(top) + " at index " +
              std::to_string(index_of(set.labels, top)) + " makes " +
              std::to_string(facts.num_classes) + " classes, but only " + std::to_string(present) +
              " of them have training images (a corrupt label?); set data.num_classes if classes "
              "without training images are meant");
    }
    if (facts.num_classes < 2) {
      throw ConfigError(file, train_files.label_key,
                        train_files.label_file + ": every label is " +
                            std::to_string(facts.num_classes - 1) +
                            ": a backdoor needs at least 2 classes");
    }
  }

  if (d.validation_size >= facts.train_images) {
    throw ConfigError(file, "data.validation_size",
                      "must be smaller than the " + std::to_string(facts.train_images) +
                          " training images, got " + std::to_string(d.validation_size));
  }
  const int64_t rest = facts.train_images - d.validation_size;
  if (d.train_subset > rest) {
    throw ConfigError(file, "data.train_subset",
                      "must be at most " + std::to_string(rest) +
                          " (training images left after the validation split), got " +
                          std::to_string(d.train_subset));
  }
  if (d.test_subset > facts.test_images) {
    throw ConfigError(file, "data.test_subset",
                      "must be at most the " + std::to_string(facts.test_images) +
                          " test images, got " + std::to_string(d.test_subset));
  }

  const std::string image_size = std::to_string(facts.height) + "x" + std::to_string(facts.width);
  for (size_t i = 0; i < spec.attacks.size(); ++i) {
    const AttackSpec& a = spec.attacks[i];
    const std::string at = "attacks[" + std::to_string(i) + "].";
    if (a.target.mode == "all_to_one" && a.target.label >= facts.num_classes) {
      throw ConfigError(file, at + "target.label",
                        std::to_string(a.target.label) + " is not a class of the data (labels 0.." +
                            std::to_string(facts.num_classes - 1) + ")");
    }
    const TriggerSpec& t = a.trigger;
    const int64_t margin = t.position == "center" ? 0 : t.margin;  // a centred patch has none
    if (t.type == "patch" && (t.size + margin > facts.height || t.size + margin > facts.width)) {
      throw ConfigError(file, at + "trigger.size",
                        std::to_string(t.size) + " with margin " + std::to_string(t.margin) +
                            " is larger than the " + image_size + " images");
    }
  }
  return facts;
}

}  // namespace fineprune
