// The up-front check of an experiment's data against its spec, before any work starts: every
// data file is read whole (headers, the whole pixel stream, every label) without keeping the
// pixels, and what the spec asks of the data is checked against what is there. No torch here;
// workers/data/input_check.h adds the model's and the triggers' needs.
#pragma once

#include <cstdint>

#include "common/experiment_spec.h"

namespace fineprune {

// What the data turned out to hold.
struct DataFacts {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t num_classes = 0;  // data.num_classes, or the highest label + 1
  int64_t train_images = 0;
  int64_t test_images = 0;
};

// Reads every data file `spec` names and checks:
// - each file can be read and is whole (missing, truncated, a gzip stream that does not decode,
//   bad magic, count mismatches, an HDF5 dataset missing, float labels that are not whole, a
//   float pixel that is not finite); an HDF5 file is read in a child process, so a damaged one
//   that crashes libhdf5 is an error naming it, not a crash;
// - the test images have the training images' shape;
// - labels against data.num_classes where given; where it is inferred (highest label + 1),
//   every class below the highest label has training images (a label byte of 200 in a
//   10-class file would otherwise make a 201-class model), and there are at least 2 classes;
// - data.validation_size, data.train_subset and data.test_subset against the image counts;
// - each all_to_one attack's target label against the classes;
// - each patch trigger (size and margin) against the image size.
// Throws ConfigError "<spec file>: <key path>: <problem>"; a problem inside a data file names
// the file and the label's index or the byte count too.
DataFacts check_data(const ExperimentSpec& spec);

}  // namespace fineprune
