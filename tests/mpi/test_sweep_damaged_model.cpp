// `fineprune run` and saved models: every done task records the SHA-256 of the model it trained
// or started from, and a saved model whose bytes changed on disk (bit rot, a partial copy) or
// that cannot be read is never used: it is discarded, trained again, and the task says so.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/hash.h"
#include "sweep_fixture.h"

namespace fineprune::mpi_test {
namespace {

namespace fs = std::filesystem;

// The reference run's models folder: the output's name with .run for .h5.
std::string reference_models_dir(const Baseline& b) {
  return fs::path(b.out_path).replace_extension(".run").string() + "/models";
}

TEST_F(SweepMpi, DoneTasksRecordTheDigestOfTheirModel) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  std::map<std::string, std::string> train_digest;  // train key -> digest recorded
  for (const TaskRow& t : b.file.tasks) {
    EXPECT_EQ(t.model_digest.size(), 64u) << t.kind << " " << t.attack << " seed " << t.seed;
    if (t.kind == "train") train_digest[t.key] = t.model_digest;
  }
  ASSERT_EQ(train_digest.size(), kTinyTrainTasks);
  for (const auto& [key, digest] : train_digest) {
    // The digest is that of the file on disk.
    EXPECT_EQ(sha256_hex(read_bytes(reference_models_dir(b) + "/" + key + ".pt")), digest) << key;
  }
  // Every defense task started from one of the trained models: the same digest as its training.
  std::map<std::string, size_t> users;
  for (const TaskRow& t : b.file.tasks) {
    if (t.kind != "train") ++users[t.model_digest];
  }
  for (const auto& [digest, n] : users) {
    bool known = false;
    for (const auto& [key, d] : train_digest) known = known || d == digest;
    EXPECT_TRUE(known) << "a defense task used a model no training saved: " << digest;
    EXPECT_EQ(n, 4u) << "tasks per training: curve, finetune and two fineprune";
  }
}

TEST_F(SweepMpi, DamagedSavedModelsAreTrainedAgainNotUsed) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  // A copy of the reference's trained models, three of the four damaged in different ways.
  const std::string run_dir = dir_.file("copy.run");
  fs::create_directories(run_dir);
  fs::copy(reference_models_dir(b), run_dir + "/models");
  std::vector<std::string> pt_files;
  for (const auto& entry : fs::directory_iterator(run_dir + "/models")) {
    if (entry.path().extension() == ".pt") pt_files.push_back(entry.path().string());
  }
  std::sort(pt_files.begin(), pt_files.end());
  ASSERT_EQ(pt_files.size(), kTinyTrainTasks);
  {  // one byte changed inside the weights: the file still loads, only the digest tells
    std::string bytes = read_bytes(pt_files[0]);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
    std::ofstream(pt_files[0], std::ios::binary | std::ios::trunc) << bytes;
  }
  {  // truncated, as by a partial copy
    const std::string bytes = read_bytes(pt_files[1]);
    std::ofstream(pt_files[1], std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 3);
  }
  {  // its metadata lost the digest line (as a file of an older version would)
    const std::string meta = fs::path(pt_files[2]).replace_extension(".meta").string();
    const std::string text = read_bytes(meta);
    std::ofstream(meta, std::ios::trunc) << text.substr(0, text.find("model_sha256"));
  }

  const std::string out = dir_.file("again.h5");
  const RunResult r = run_sweep(3, sweep_args(yaml_, out, {"--run-dir", run_dir}), scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("discarded and trained again"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SHA-256"), std::string::npos) << r.err;
  const ResultFile f = read_result_file(out);
  expect_consistent(f, "damaged models");
  // Trained again on CPU: the same models, so the same numbers as the reference.
  expect_same_results(b.file.results, f.results, "damaged models vs reference");
  expect_same_curves(b.file.curves, f.curves, "damaged models vs reference");
  // The tasks that found a damaged model say so in their row, once per damaged model (the
  // group that trained it again keeps it in memory for its later tasks, or another group reads
  // the new file).
  size_t noted = 0;
  for (const TaskRow& t : f.tasks) {
    EXPECT_EQ(t.status, "done") << t.kind << " " << t.attack << " seed " << t.seed << ": " << t.error;
    if (t.error.find("discarded and trained again") != std::string::npos) ++noted;
  }
  EXPECT_EQ(noted, 3u);
  // The models on disk are whole again and match their digests.
  for (const std::string& pt : pt_files) {
    const std::string meta = read_bytes(fs::path(pt).replace_extension(".meta").string());
    EXPECT_NE(meta.find("model_sha256 " + sha256_hex(read_bytes(pt))), std::string::npos) << pt;
  }
}

}  // namespace
}  // namespace fineprune::mpi_test
