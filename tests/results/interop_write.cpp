// Writes the known result file that check_interop.py opens with h5py, PyTables and pandas.
//
// It is written as a sweep: two sessions of open_sweep, the second rebuilding the file without an
// orphan row, so the Python readers also see a file made by the orphan rebuild.
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
  using fineprune::ResultWriter;
  using fineprune::TaskRow;
  const std::string path = argv[1];
  const std::string fingerprint = "sweep-fingerprint-1";
  // A SHA-256-like key filling the 64 characters of a key column, then two short ones, the
  // second with UTF-8 bytes ("key-2-\u00e4").
  const std::string keys[3] = {
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "key-1",
      "key-2-\xc3\xa4"};
  try {
    auto writer = ResultWriter::open_sweep(
        path, {{"experiment_yaml", "seeds: [1, 2]\n"}, {"fineprune_version", "0.1.0"}, {"session", "1"}}, fingerprint,
        true);
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
      r.stop_drop = i == 0 ? 0.0 : 0.04 * i;
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
      r.key = keys[i];
      results.push_back(r);
    }
    std::vector<CurveRow> curves;
    for (int i = 0; i < 4; ++i) {
      CurveRow c;
      c.attack = "badnets";
      c.model = "resnet18";
      c.seed = 1;
      c.channels_pruned = 128 * i;
      c.fraction = 0.25 * i;
      c.val_acc = 0.9 - 0.1 * i;
      c.clean_acc = 0.91 - 0.1 * i;
      c.asr = 1.0 - 0.25 * i;
      c.robust_acc = 0.2 * i;
      c.is_stop = i == 2 ? 1 : 0;
      c.key = keys[0];
      curves.push_back(c);
    }
    // Tasks 0-2 done (task 0 with the curve), task 3 failed with a message longer than the
    // `error` column ("Fehler: " and 300 two-byte characters), task 4 blocked.
    std::vector<TaskRow> tasks;
    for (int i = 0; i < 5; ++i) {
      TaskRow t;
      t.key = i < 3 ? keys[i] : "task-" + std::to_string(i);
      t.kind = i == 0 ? "train" : "defense";
      t.attack = i == 2 ? "wanet" : "badnets";
      t.model = "resnet18";
      t.seed = 1 + i;
      t.prune_mode = i == 0 ? "none" : "stop";
      t.stop_drop = 0.02 * i;
      t.status = i < 3 ? "done" : i == 3 ? "failed" : "blocked";
      t.attempts = i == 3 ? 3 : 1;
      t.worker = i == 4 ? -1 : i + 1;
      t.host = i == 4 ? "" : "node-" + std::to_string(i);
      t.wall_s = i == 4 ? 0 : 60.5 * (i + 1);
      if (i < 3) t.model_digest = std::string(64, static_cast<char>('a' + i));
      if (i == 3) {
        t.error = "Fehler: ";
        for (int k = 0; k < 300; ++k) t.error += "\xc3\xa4";
      } else if (i == 4) {
        t.error = "dependency task-3 failed";
      }
      tasks.push_back(t);
    }

    writer->append_task_outcome(tasks[0], {results[0]}, curves);
    writer->append_task_outcome(tasks[1], {results[1]}, {});
    writer->append_task_outcome(tasks[2], {results[2]}, {});
    writer->append_task_outcome(tasks[3], {}, {});
    // A crash here: a row whose task row never came. The next session drops it.
    ResultRow orphan = results[2];
    orphan.key = "task-orphan";
    writer->append_results({orphan});
    writer->close();

    writer = ResultWriter::open_sweep(path, {{"fineprune_version", "0.1.0"}, {"session", "2"}}, fingerprint, false);
    if (writer->orphan_rows_removed() != 1) {
      std::cerr << "interop_write: expected 1 orphan row, got " << writer->orphan_rows_removed()
                << "\n";
      return 1;
    }
    writer->append_task_outcome(tasks[4], {}, {});
    writer->close();
  } catch (const std::exception& e) {
    std::cerr << "interop_write: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
