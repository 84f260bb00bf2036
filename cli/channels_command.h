// `fineprune channels <sweep.yaml> --attack NAME [--model LABEL] --seed N [--run-dir DIR] [--out FILE.csv]`:
// why pruning did or did not remove a backdoor, per channel of the pruned layer, for one model a
// sweep trained and saved.
#pragma once

#include <string>

namespace fineprune {

struct ChannelsOptions {
  std::string spec_path;
  std::string attack;
  std::string model;  // a models: label; empty: the first model
  int64_t seed = -1;
  std::string run_dir;   // empty: the sweep's default (<sweep name>.run)
  std::string out_path;  // CSV of every channel; empty: the summary only
  int threads = 0;
};

// Loads the saved model of (attack, seed) from <run_dir>/models (its digest verified), and prints
// for each channel of the pruned layer, in the order pruning removes them: its mean activation on
// the clean validation images (what pruning ranks by), on the non-target test images, and on the
// same images with the trigger; and whether the stop (the file's first max_val_drop) reaches it.
// The summary names the channels the trigger drives hardest and how much of the trigger's extra
// activation lies in channels the stop prunes. InputError (exit 2) for bad input or a model that
// is not there.
int run_channels_command(const ChannelsOptions& options);

}  // namespace fineprune
