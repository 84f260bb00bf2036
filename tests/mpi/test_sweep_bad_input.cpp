// `mpirun -np 3 fineprune run` refuses every bad input of the shared table (tests/cli/bad_inputs.h)
// before the first task: exit 2 on every rank, the file and key path named, the existing output
// byte-identical. Before issue 12 most of these became failed tasks, retried, then exit 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sweep_harness.h"
#include "tests/cli/bad_inputs.h"

namespace fineprune::mpi_test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrecious = "an earlier sweep's bytes\n\x01\x02";

class SweepBadInput : public ::testing::TestWithParam<bad_inputs::Case> {};

TEST_P(SweepBadInput, EveryRankExitsTwoBeforeTheFirstTask) {
  TempDir dir, scratch;
  const std::string case_dir = dir.file("case");
  fs::create_directories(case_dir);
  const bad_inputs::Prepared p = GetParam().prepare(case_dir);

  const std::string out_dir = dir.file("out");
  fs::create_directories(out_dir);
  std::string out = out_dir + "/results.h5";
  write_text(out, kPrecious);
  const std::string watched = p.out.empty() ? out : (fs::is_directory(p.out) ? p.out + "/keep.txt" : "");
  const std::string before = watched.empty() ? "" : read_bytes(watched);
  if (!p.out.empty()) out = p.out;

  RunOptions o;
  o.timeout_s = 120;
  const RunResult r = run_sweep(3, {p.config, "--out", out, "--run-dir", dir.file("run"), "--quiet"},
                                scratch.path(), o);

  EXPECT_EQ(r.exit_code, 2) << r.all();
  for (const std::string& s : p.must_mention) {
    EXPECT_NE(r.err.find(s), std::string::npos) << "stderr does not mention '" << s << "':\n" << r.all();
  }
  EXPECT_EQ(r.all().find("Exception raised from"), std::string::npos) << "a LibTorch backtrace:\n" << r.all();
  if (!watched.empty()) EXPECT_TRUE(read_bytes(watched) == before) << "the existing output was changed";
  EXPECT_EQ(list_dir(out_dir), std::vector<std::string>{"results.h5"}) << "leftover files";
  EXPECT_FALSE(fs::exists(dir.file("run") + "/models")) << "a model was trained";
}

INSTANTIATE_TEST_SUITE_P(Shared, SweepBadInput, ::testing::ValuesIn(bad_inputs::cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fineprune::mpi_test
