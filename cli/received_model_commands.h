// `fineprune defend <model.pt> --arch NAME --spec FILE --out FILE [--layout L]`: the experiment's
// defenses on a model trained elsewhere (a PyTorch state_dict), and `fineprune export <sweep.yaml>
// --attack A --seed N --out model.pt [--layout L]`: a model fineprune saved, as a state_dict
// PyTorch loads.
#pragma once

#include <cstdint>
#include <string>

namespace fineprune {

struct DefendOptions {
  std::string model_path;  // the state_dict file
  std::string arch;        // the network it is: small_cnn | vgg | preact_resnet18 | deepid
  std::string spec_path;   // data, triggers, defenses and their settings, seeds
  std::string out_path;
  std::string layout = "fineprune";
  int64_t seed = -1;       // -1: the spec's seeds
  int64_t threads = -1;    // -1: the spec's `threads` (0 there: all cores)
  bool quiet = false;
};

// Returns the exit code. Everything checkable is checked before any work (the spec, the data,
// the file against the architecture, the output's place: exit 2 naming the problem); the
// result file is written under a temporary name and renamed onto out_path when complete.
int run_defend_command(const DefendOptions& options);

struct ExportOptions {
  std::string spec_path;    // the sweep or experiment file the model was trained under
  std::string attack;
  int64_t seed = -1;
  std::string model_label;  // which of its models (a `models:` entry's name); default: the first
  std::string run_dir;      // empty: the sweep's default (<sweep name>.run)
  std::string layout = "fineprune";
  std::string out_path;
};

// Loads the model the sweep saved for (model, attack, seed) from <run dir>/models (its digest
// verified against its .meta) and writes it as a state_dict in `layout`, its prune mask folded
// into the head's weights. InputError (exit 2) for bad input or a model that is not there.
int run_export_command(const ExportOptions& options);

}  // namespace fineprune
