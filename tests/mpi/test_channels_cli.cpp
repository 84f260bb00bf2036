// `fineprune channels` end to end on models a real tiny sweep trained and saved: the table of
// every channel in pruning order (CSV), which ones the stop prunes, a pruning-aware model's
// decoys marked as its saved metadata lists them, and bad requests refused with exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sweep_fixture.h"

namespace fineprune::mpi_test {
namespace {

namespace fs = std::filesystem;

// The tiny sweep with BadNets and its pruning-aware variant, one seed, no pruning rates and no
// fine-tuning: per attack a training and a curve task.
std::string channels_yaml() {
  std::string yaml = with_replaced(tiny_sweep_yaml("[1]"), "  - name: blended\n    trigger: {type: blend, alpha: 0.2}\n",
                                   "  - name: badnets-pa\n"
                                   "    trigger: {type: patch, size: 3}\n"
                                   "    pruning_aware: {max_val_drop: 0.04, bias_decrease: 1.0}\n"
                                   "defenses: [none, prune]\n");
  return with_replaced(yaml, "pruning: {rates: [0.5]}\n", "pruning: {rates: []}\n");
}

struct ChannelCsvRow {
  int64_t rank = 0, channel = 0;
  double clean_val = 0;
  int pruned_at_stop = 0, decoy = 0;
};

std::vector<ChannelCsvRow> read_channel_csv(const std::string& path) {
  std::istringstream in(read_bytes(path));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "rank,channel,clean_val,clean_test,triggered,pruned_at_stop,decoy");
  std::vector<ChannelCsvRow> rows;
  while (std::getline(in, line)) {
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    ChannelCsvRow r;
    double clean_test = 0, triggered = 0;
    fields >> r.rank >> r.channel >> r.clean_val >> clean_test >> triggered >> r.pruned_at_stop >> r.decoy;
    EXPECT_FALSE(fields.fail()) << line;
    rows.push_back(r);
  }
  return rows;
}

// The decoys a saved pruning-aware model's metadata lists (line 2: "decoys <c>...").
std::set<int64_t> saved_decoys(const std::string& models_dir) {
  std::set<int64_t> all;
  size_t with_decoys = 0;
  for (const auto& entry : fs::directory_iterator(models_dir)) {
    if (entry.path().extension() != ".meta") continue;
    std::istringstream in(read_bytes(entry.path().string()));
    std::string line, word;
    std::getline(in, line);
    std::getline(in, line);
    std::istringstream fields(line);
    fields >> word;
    std::set<int64_t> these;
    for (int64_t c; fields >> c;) these.insert(c);
    if (!these.empty()) {
      ++with_decoys;
      all = these;
    }
  }
  EXPECT_EQ(with_decoys, 1u) << "one pruning-aware model in " << models_dir;
  return all;
}

TEST_F(SweepMpi, ChannelsTablesEveryChannelInPruningOrderAndMarksDecoys) {
  const std::string file = dir_.file("channels.yaml");
  write_text(file, channels_yaml());
  const std::string out = dir_.file("channels.h5");
  const std::string run_dir = dir_.file("channels.run");
  const RunResult r = run_sweep(2, sweep_args(file, out, {"--run-dir", run_dir}), scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const std::set<int64_t> decoys = saved_decoys(run_dir + "/models");
  ASSERT_FALSE(decoys.empty());

  for (const std::string attack : {"badnets", "badnets-pa"}) {
    SCOPED_TRACE(attack);
    const std::string csv = dir_.file(attack + ".csv");
    const RunResult c = run_fineprune({"channels", file, "--attack", attack, "--seed", "1", "--run-dir", run_dir,
                                       "--out", csv, "--threads", "1"},
                                      scratch_.path());
    ASSERT_EQ(c.exit_code, 0) << c.all();
    const std::vector<ChannelCsvRow> rows = read_channel_csv(csv);
    ASSERT_EQ(rows.size(), static_cast<size_t>(kTinyLastConvWidth));
    // The stop as the header states it: "... the stop (4 points) prunes K".
    const size_t at = c.out.find("the stop (4 points) prunes ");
    ASSERT_NE(at, std::string::npos) << c.out;
    const int64_t stop = std::stoll(c.out.substr(at + 27));
    std::set<int64_t> channels;
    std::set<int64_t> marked;
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].rank, static_cast<int64_t>(i));
      channels.insert(rows[i].channel);
      // Pruning removes the channels least active on clean validation images first.
      if (i > 0) EXPECT_GE(rows[i].clean_val, rows[i - 1].clean_val - 1e-6) << "rank " << i;
      EXPECT_EQ(rows[i].pruned_at_stop, rows[i].rank < stop ? 1 : 0) << "rank " << i;
      if (rows[i].decoy) marked.insert(rows[i].channel);
    }
    EXPECT_EQ(channels.size(), static_cast<size_t>(kTinyLastConvWidth)) << "each channel once";
    if (attack == "badnets") {
      EXPECT_TRUE(marked.empty());
      EXPECT_EQ(c.out.find("decoy"), std::string::npos) << c.out;
    } else {
      EXPECT_EQ(marked, decoys);
      int64_t decoys_pruned = 0;
      for (const ChannelCsvRow& row : rows) decoys_pruned += row.decoy && row.pruned_at_stop;
      const std::string summary = "pruning-aware attack: " + std::to_string(decoys.size()) +
                                  " decoy channels; the stop prunes " + std::to_string(decoys_pruned) +
                                  " of them and " + std::to_string(stop - decoys_pruned) + " other channels";
      EXPECT_NE(c.out.find(summary), std::string::npos) << c.out;
    }
  }

  // Bad requests: exit 2, the message names what is wrong, nothing written.
  const std::string csv = dir_.file("never.csv");
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--attack", "nosuch", "--seed", "1", "--run-dir", run_dir}, "--attack: no attack named 'nosuch'"},
      {{"--attack", "badnets", "--seed", "9", "--run-dir", run_dir}, "--seed: seed 9 is not in the file"},
      {{"--attack", "badnets", "--seed", "1", "--run-dir", dir_.file("empty.run")}, "no saved model of attack badnets"},
      {{"--attack", "badnets", "--seed", "1", "--run-dir", run_dir, "--model", "nosuch"}, "--model: no model named"},
  };
  for (const auto& [extra, message] : bad) {
    std::vector<std::string> args{"channels", file, "--out", csv};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunResult c = run_fineprune(args, scratch_.path());
    EXPECT_EQ(c.exit_code, 2) << message << "\n" << c.all();
    EXPECT_NE(c.err.find(message), std::string::npos) << c.err;
    EXPECT_FALSE(file_exists(csv));
  }
}

}  // namespace
}  // namespace fineprune::mpi_test
