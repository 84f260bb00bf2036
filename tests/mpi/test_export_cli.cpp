// `fineprune export` end to end on a model the tiny sweep trained and saved, and back: the
// exported state_dict, loaded by PyTorch itself (python3-torch) and saved again, defended with
// `fineprune defend`, gives the sweep's own numbers for that model, row for row.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <tuple>

#include "common/hash.h"
#include "sweep_fixture.h"

namespace fineprune::mpi_test {
namespace {

using Setting = std::tuple<std::string, std::string, double, double>;  // defense, mode, rate, threshold

std::map<Setting, const ResultRow*> badnets_seed1_rows(const ResultFile& f) {
  std::map<Setting, const ResultRow*> out;
  for (const ResultRow& r : f.results) {
    if (r.attack == "badnets" && r.seed == 1) out[{r.defense, r.prune_mode, r.prune_rate, r.stop_drop}] = &r;
  }
  return out;
}

// The badnets seed-1 rows of `ours` hold the reference sweep's numbers, setting by setting: none,
// prune stop + rate, finetune, fineprune stop + rate.
void expect_sweeps_numbers(const ResultFile& ours_file, const ResultFile& sweep_file) {
  const auto ours = badnets_seed1_rows(ours_file);
  const auto sweep = badnets_seed1_rows(sweep_file);
  ASSERT_EQ(ours.size(), sweep.size());
  ASSERT_EQ(ours.size(), 6u);
  for (const auto& [setting, row] : sweep) {
    SCOPED_TRACE(std::get<0>(setting) + " " + std::get<1>(setting));
    const auto it = ours.find(setting);
    ASSERT_NE(it, ours.end());
    EXPECT_EQ(it->second->clean_acc, row->clean_acc);
    EXPECT_EQ(it->second->asr, row->asr);
    EXPECT_EQ(it->second->robust_acc, row->robust_acc);
    EXPECT_EQ(it->second->val_acc, row->val_acc);
    EXPECT_EQ(it->second->pruned_channels, row->pruned_channels);
    EXPECT_EQ(it->second->train_wall_s, 0.0);  // nothing trained it here
  }
}

TEST_F(SweepMpi, ExportedModelDefendedAgainGivesTheSweepsNumbers) {
  const Baseline& b = reference();
  const std::string run_dir = b.out_path.substr(0, b.out_path.size() - 3) + ".run";  // tiny.h5 -> tiny.run
  const std::string exported = dir_.file("badnets-1.pt");
  const RunResult e = run_fineprune({"export", b.yaml_path, "--attack", "badnets", "--seed", "1", "--run-dir",
                                     run_dir, "--out", exported},
                                    scratch_.path());
  ASSERT_EQ(e.exit_code, 0) << e.all();
  ASSERT_TRUE(file_exists(exported));

  std::string defended_input = exported;
  const bool have_torch = std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
  if (have_torch) {
    // PyTorch loads it strictly into its own small_cnn and saves its state_dict again.
    defended_input = dir_.file("resaved.pt");
    const std::string command = "/usr/bin/python3 " + std::string(FINEPRUNE_SOURCE_DIR) +
                                "/tests/received/make_state_dicts.py reload small_cnn " + exported + " - " +
                                defended_input + " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "PyTorch did not load the exported file";
  } else {
    std::cout << "python3-torch is not installed: the PyTorch leg of the round trip is skipped, "
                 "the exported file is defended directly\n";
  }
  const std::string out = dir_.file("defended.h5");
  const RunResult d = run_fineprune({"defend", defended_input, "--arch", "small_cnn", "--spec", b.yaml_path, "--seed",
                                     "1", "--threads", "1", "--out", out, "-q"},
                                    scratch_.path());
  ASSERT_EQ(d.exit_code, 0) << d.all();
  expect_sweeps_numbers(read_result_file(out), b.file);

  // Bad requests: exit 2 naming the problem, nothing written.
  const std::string never = dir_.file("never.pt");
  for (const auto& [extra, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--attack", "nosuch", "--seed", "1"}, "--attack: no attack named 'nosuch'"},
           {{"--attack", "badnets", "--seed", "9"}, "--seed: seed 9 is not in the file"},
           {{"--attack", "badnets", "--seed", "1", "--layout", "backdoorbench"}, "--layout backdoorbench"}}) {
    std::vector<std::string> args{"export", b.yaml_path, "--run-dir", run_dir, "--out", never};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunResult c = run_fineprune(args, scratch_.path());
    EXPECT_EQ(c.exit_code, 2) << message << "\n" << c.all();
    EXPECT_NE(c.err.find(message), std::string::npos) << c.err;
    EXPECT_FALSE(file_exists(never));
  }
}

// A sweep that names a received model (the exported file) instead of training one: its tasks run
// under MPI like any other, give the reference sweep's numbers for that model, resume with nothing
// left to do, and a wrong digest is refused before any work.
TEST_F(SweepMpi, SweepOfAReceivedModelSkipsTrainingAndResumes) {
  const Baseline& b = reference();
  const std::string run_dir = b.out_path.substr(0, b.out_path.size() - 3) + ".run";
  const std::string model = dir_.file("received.pt");
  const RunResult e = run_fineprune({"export", b.yaml_path, "--attack", "badnets", "--seed", "1", "--run-dir", run_dir,
                                     "--out", model},
                                    scratch_.path());
  ASSERT_EQ(e.exit_code, 0) << e.all();
  const std::string digest = sha256_hex(read_bytes(model));
  const auto sweep_yaml = [&](const std::string& sha) {
    return with_replaced(tiny_sweep_yaml("[1]"),
                         "  - name: badnets\n    trigger: {type: patch, size: 3}\n"
                         "  - name: blended\n    trigger: {type: blend, alpha: 0.2}\n",
                         "  - name: badnets\n    trigger: {type: patch, size: 3}\n"
                         "    model_file: " + model + "\n    model_sha256: " + sha + "\n");
  };
  const std::string yaml = dir_.file("received.yaml");
  write_text(yaml, sweep_yaml(digest));
  const std::string out = dir_.file("received.h5");
  const RunResult r = run_sweep(2, sweep_args(yaml, out), scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(done_task_keys(f.tasks).size(), 5u);  // import, curve, finetune, fineprune stop + rate
  expect_sweeps_numbers(f, b.file);
  for (const TaskRow& t : f.tasks) {
    if (t.kind == "train") EXPECT_EQ(t.model_digest.size(), 64u);  // the saved copy, verified by every task after
  }
  // Run again: everything is done.
  const RunResult again = run_sweep(2, sweep_args(yaml, out), scratch_.path());
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_EQ(read_result_file(out).tasks.size(), f.tasks.size());

  // Another digest: exit 2 naming the key, before any task, the results file untouched.
  const std::string wrong = dir_.file("wrong.yaml");
  write_text(wrong, sweep_yaml(std::string(64, '0')));
  const std::string wrong_out = dir_.file("wrong.h5");
  const RunResult w = run_sweep(2, sweep_args(wrong, wrong_out), scratch_.path());
  EXPECT_EQ(w.exit_code, 2) << w.all();
  EXPECT_NE(w.all().find("attacks[0].model_file"), std::string::npos) << w.all();
  EXPECT_NE(w.all().find("model_sha256 says 0000"), std::string::npos) << w.all();
  EXPECT_FALSE(file_exists(wrong_out));
}

}  // namespace
}  // namespace fineprune::mpi_test
