// Writes the known result file that check_interop.py opens with h5py, PyTables and pandas.
//
// The values here are repeated in check_interop.py: change both together.
#include <exception>
#include <iostream>

#include "results/result_tables.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " OUTPUT.h5\n";
    return 2;
  }
  using fineprune::CurveRow;
  using fineprune::ResultRow;
  try {
    auto writer = fineprune::ResultWriter::create(
        argv[1], {{"experiment_yaml", "seeds: [1, 2]\n"}, {"fineprune_version", "0.1.0"}});
    std::vector<ResultRow> results;
    for (int i = 0; i < 3; ++i) {
      ResultRow r;
      r.attack = i == 2 ? "wanet" : "badnets";
      r.trigger = i == 2 ? "wanet" : "patch";
      r.target_mode = i == 1 ? "all_to_all" : "all_to_one";
      r.target_label = i == 1 ? -1 : 0;
      r.poison_rate = 0.1;
      r.pruning_aware = i == 2 ? 1 : 0;
      r.defense = i == 0 ? "none" : "fineprune";
      r.prune_mode = i == 0 ? "none" : "stop";
      r.prune_rate = 0.25 * i;
      r.pruned_channels = 64 * i;
      r.total_channels = 512;
      r.seed = 1 + i;
      r.clean_acc = 0.9 + 0.01 * i;
      r.asr = 0.99 - 0.4 * i;
      r.robust_acc = 0.05 + 0.3 * i;
      r.val_acc = 0.89 + 0.01 * i;
      r.asr_counts = "non_target";
      r.finetune_epochs = i == 0 ? 0 : 5;
      r.wall_s = 10.5 * i;
      r.train_wall_s = 120.25;
      r.model = "resnet18";
      r.dataset = "cifar10";
      // An empty string must stay empty; the third key checks UTF-8 bytes ("key-2-\u00e4").
      r.key = i == 0 ? "" : "key-" + std::to_string(i) + (i == 2 ? "-\xc3\xa4" : "");
      results.push_back(r);
    }
    writer->append_results({results[0]});  // two batches, as the master writes them
    writer->append_results({results[1], results[2]});

    std::vector<CurveRow> curves;
    for (int i = 0; i < 4; ++i) {
      CurveRow c;
      c.attack = "badnets";
      c.seed = 1;
      c.channels_pruned = 128 * i;
      c.fraction = 0.25 * i;
      c.val_acc = 0.9 - 0.1 * i;
      c.clean_acc = 0.91 - 0.1 * i;
      c.asr = 1.0 - 0.25 * i;
      c.robust_acc = 0.2 * i;
      c.is_stop = i == 2 ? 1 : 0;
      curves.push_back(c);
    }
    writer->append_curve(curves);
    writer->close();
  } catch (const std::exception& e) {
    std::cerr << "interop_write: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
