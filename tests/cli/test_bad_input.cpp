// End-to-end: every kind of bad input makes `fineprune experiment` exit 2 with a message naming
// the file (and the key path for config mistakes), and leaves an existing output file untouched
// with no temp file behind; `fineprune plan` refuses the same inputs (bad_inputs.h), and an
// experiment is refused while another process holds its output's lock.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bad_inputs.h"
#include "cli_harness.h"
#include "common/file_lock.h"
#include "tests/data/fixtures.h"

namespace fineprune::e2e {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrecious = "precious bytes from an earlier run\n\x01\x02\x03";

// What one case sets up in its folder: the config to pass and what stderr must mention.
struct Prepared {
  std::string config;
  std::vector<std::string> must_mention;
  bool needs_data = false;  // reads the real Fashion-MNIST files before failing
};

struct BadInputCase {
  const char* name;
  Prepared (*prepare)(const TempDir& dir);
};

// Writes `yaml` as the case's config; stderr must name it and every one of `keys`.
Prepared config_case(const TempDir& dir, const std::string& yaml, std::vector<std::string> keys) {
  const std::string path = dir.file("bad.yaml");
  write_text(path, yaml);
  keys.insert(keys.begin(), path);
  return {path, keys};
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("test: '" + from + "' not in the config");
  return text.replace(at, from.size(), to);
}

// A data folder holding the real Fashion-MNIST files (as links) except `broken`, written with
// `bytes`; returns the broken file's path.
std::string data_dir_with_broken_file(const TempDir& dir, const std::string& broken,
                                      const std::string& bytes) {
  const fs::path data = dir.file("data");
  fs::create_directories(data);
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    if (name != broken) fs::create_symlink(fs::path(kFashionMnistDir) / name, data / name);
  }
  write_text((data / broken).string(), bytes);
  return (data / broken).string();
}

Prepared data_case(const TempDir& dir, const std::string& broken_path) {
  TinyOptions o;
  o.data_dir = dir.file("data");
  const std::string path = dir.file("bad-data.yaml");
  write_text(path, tiny_experiment_yaml(o));
  return {path, {broken_path}, true};
}

const std::string kMaskAttack = R"(
  - name: mask
    trigger: {type: mask, image: missing.pgm}
    target: {mode: all_to_one, label: 0}
    poison_rate: 0.1
)";

const BadInputCase kCases[] = {
    {"MalformedYaml",
     [](const TempDir& d) {
       return config_case(d, "name: broken\nattacks: [\n  - {name: a, poison_rate: 0.1\n", {"<yaml>", "line"});
     }},
    {"UnknownTriggerType",
     [](const TempDir& d) {
       return config_case(d, replace(tiny_experiment_yaml(), "type: patch", "type: laser"),
                          {"attacks[0].trigger.type", "laser"});
     }},
    {"UnknownDefense",
     [](const TempDir& d) {
       return config_case(d, replace(tiny_experiment_yaml(), "finetune, fineprune]", "finetune, magic]"),
                          {"defenses[3]", "magic"});
     }},
    {"UnknownModel",
     [](const TempDir& d) {
       return config_case(d, replace(tiny_experiment_yaml(), "name: small_cnn", "name: resnet9000"),
                          {"model.name", "resnet9000"});
     }},
    {"PoisonRateAboveOne",
     [](const TempDir& d) {
       return config_case(d, replace(tiny_experiment_yaml(), "poison_rate: 0.1", "poison_rate: 1.5"),
                          {"attacks[0].poison_rate", "1.5"});
     }},
    {"PruneRateOne",
     [](const TempDir& d) {
       return config_case(d, replace(tiny_experiment_yaml(), "rates: [0.5]", "rates: [0.5, 1.0]"),
                          {"pruning.rates[1]"});
     }},
    {"NegativeEpochs",
     [](const TempDir& d) {
       return config_case(d, replace(tiny_experiment_yaml(), "training: {epochs: 1", "training: {epochs: -1"),
                          {"training.epochs", "-1"});
     }},
    {"NegativeFinetuneEpochs",
     [](const TempDir& d) {
       return config_case(d, replace(tiny_experiment_yaml(), "finetune: {epochs: 2", "finetune: {epochs: -3"),
                          {"finetune.epochs", "-3"});
     }},
    {"MissingConfigFile",
     [](const TempDir& d) {
       const std::string path = d.file("no-such-experiment.yaml");
       return Prepared{path, {path}};
     }},
    {"ConfigIsAFolder",
     [](const TempDir& d) {
       const std::string path = d.file("folder.yaml");
       fs::create_directories(path);
       return Prepared{path, {path}};
     }},
    {"DataDirMissing",
     [](const TempDir& d) {
       TinyOptions o;
       o.data_dir = d.file("no-such-data-dir");
       const std::string path = d.file("bad-data.yaml");
       write_text(path, tiny_experiment_yaml(o));
       return Prepared{path, {d.file("no-such-data-dir")}};
     }},
    {"GarbageIdxImages",
     [](const TempDir& d) {
       // Not gzip at all: zlib reads it as a raw file, whose magic number is wrong.
       const std::string broken = data_dir_with_broken_file(
           d, "train-images-idx3-ubyte.gz", "this is not an IDX file, just some text\n");
       return data_case(d, broken);
     }},
    {"TruncatedGzipImages",
     [](const TempDir& d) {
       // The real file cut after 200 kB: valid gzip and IDX header, then the stream ends.
       const std::string real = read_bytes(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz");
       const std::string broken = data_dir_with_broken_file(d, "train-images-idx3-ubyte.gz",
                                                            real.substr(0, 200000));
       return data_case(d, broken);
     }},
    {"TruncatedTestLabels",
     [](const TempDir& d) {
       const std::string real = read_bytes(std::string(kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz");
       const std::string broken = data_dir_with_broken_file(d, "t10k-labels-idx1-ubyte.gz",
                                                            real.substr(0, real.size() / 2));
       return data_case(d, broken);
     }},
    {"TriggerImageMissing",
     [](const TempDir& d) {
       TinyOptions o;
       o.attacks = kMaskAttack;
       const std::string path = d.file("mask.yaml");
       write_text(path, tiny_experiment_yaml(o));
       return Prepared{path, {d.file("missing.pgm")}, true};
     }},
    {"TriggerImageMissingAfterAFinishedAttack",
     [](const TempDir& d) {
       // The first attack's rows are already in the temp file when the second one fails.
       TinyOptions o;
       o.attacks = R"(
  - name: badnets
    trigger: {type: patch, size: 3, position: bottom_right, style: checkerboard}
    target: {mode: all_to_one, label: 0}
    poison_rate: 0.1
)" + kMaskAttack;
       const std::string path = d.file("mask2.yaml");
       write_text(path, tiny_experiment_yaml(o));
       return Prepared{path, {d.file("missing.pgm")}, true};
     }},
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

class BadInputE2e : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInputE2e, ExitsTwoNamesTheProblemAndKeepsTheOldOutput) {
  TempDir dir;
  Prepared p;
  try {
    p = GetParam().prepare(dir);
  } catch (const std::exception& e) {
    if (!have_fashion_mnist()) GTEST_SKIP() << "no dataset at " << kFashionMnistDir;
    FAIL() << e.what();
  }
  if (p.needs_data && !have_fashion_mnist()) GTEST_SKIP() << "no dataset at " << kFashionMnistDir;

  const std::string out_dir = dir.file("out");
  fs::create_directories(out_dir);
  const std::string out = out_dir + "/results.h5";
  write_text(out, kPrecious);

  const RunResult r = run_fineprune({"experiment", p.config, "--out", out, "--threads", "1"}, dir.path());

  EXPECT_EQ(r.exit_code, 2) << "stderr:\n" << r.err;
  for (const std::string& s : p.must_mention) {
    EXPECT_NE(r.err.find(s), std::string::npos) << "stderr does not mention '" << s << "':\n" << r.err;
  }
  EXPECT_EQ(read_bytes(out), kPrecious) << "the existing output file was changed";
  EXPECT_EQ(list_dir(out_dir), std::vector<std::string>{"results.h5"}) << "leftover files";
}

INSTANTIATE_TEST_SUITE_P(Cases, BadInputE2e, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// The shared table (bad_inputs.h), through `experiment` and through `plan`: both refuse each
// case with exit 2 before any work, naming the file and key, and leave the output as it was.
struct CommandCase {
  const char* command;  // "experiment" or "plan"
  bad_inputs::Case c;
};

void PrintTo(const CommandCase& c, std::ostream* os) { *os << c.command << "/" << c.c.name; }

std::vector<CommandCase> command_cases() {
  std::vector<CommandCase> out;
  for (const char* command : {"experiment", "plan"}) {
    for (const bad_inputs::Case& c : bad_inputs::cases()) out.push_back({command, c});
  }
  return out;
}

class BadInputEveryCommand : public ::testing::TestWithParam<CommandCase> {};

TEST_P(BadInputEveryCommand, ExitsTwoBeforeAnyWorkNamingFileAndKey) {
  const CommandCase& cc = GetParam();
  TempDir dir;
  const std::string case_dir = dir.file("case");
  fs::create_directories(case_dir);
  const bad_inputs::Prepared p = cc.c.prepare(case_dir);
  const bool plan = std::string(cc.command) == "plan";
  if (plan && !p.plan_reads_out) GTEST_SKIP() << "plan writes nothing: an unwritable --out is no problem to it";

  const std::string out_dir = dir.file("out");
  fs::create_directories(out_dir);
  std::string out = out_dir + "/results.h5";
  write_text(out, kPrecious);
  const std::string watched = p.out.empty() ? out : (fs::is_directory(p.out) ? p.out + "/keep.txt" : "");
  const std::string before = watched.empty() ? "" : read_bytes(watched);
  if (!p.out.empty()) out = p.out;

  std::vector<std::string> args = {cc.command, p.config, "--out", out};
  if (!plan) args.insert(args.end(), {"--threads", "1", "--quiet"});
  const RunResult r = run_fineprune(args, dir.path());

  EXPECT_EQ(r.exit_code, 2) << "stderr:\n" << r.err;
  for (const std::string& s : p.must_mention) {
    EXPECT_NE(r.err.find(s), std::string::npos) << "stderr does not mention '" << s << "':\n" << r.err;
  }
  EXPECT_EQ(r.err.find("Exception raised from"), std::string::npos) << "a LibTorch backtrace:\n" << r.err;
  if (!watched.empty()) EXPECT_TRUE(read_bytes(watched) == before) << "the existing output was changed";
  EXPECT_EQ(list_dir(out_dir), std::vector<std::string>{"results.h5"}) << "leftover files";
}

INSTANTIATE_TEST_SUITE_P(Shared, BadInputEveryCommand, ::testing::ValuesIn(command_cases()),
                         [](const auto& info) {
                           return std::string(info.param.command) + "_" + info.param.c.name;
                         });

// Issue 12: an experiment aimed at an output another process writes (a sweep, say) must not
// rename its file over that one.
TEST(ExperimentLock, RefusedWhileAnotherProcessHoldsTheOutputsLock) {
  TempDir dir;
  const std::string config = bad_inputs::write_tiny_setup(dir.path());
  const std::string out = dir.file("results.h5");
  write_text(out, kPrecious);
  const FileLock held(out + ".lock", out, "the test process, pid " + std::to_string(::getpid()));

  const RunResult r = run_fineprune({"experiment", config, "--out", out, "--threads", "1", "--quiet"},
                                    dir.path());

  EXPECT_EQ(r.exit_code, 2) << "stderr:\n" << r.err;
  EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the test process, pid " + std::to_string(::getpid())), std::string::npos)
      << "the holder is not named:\n" << r.err;
  EXPECT_TRUE(read_bytes(out) == kPrecious) << "the locked output was changed";
}

// A results file cut short (a copy that stopped halfway) is the user's bad input to plan, which
// only reads it: exit 2 naming it, not 1.
TEST(PlanBadOut, TruncatedResultFileIsExitTwo) {
  TempDir dir;
  const std::string config = bad_inputs::write_tiny_setup(dir.path());
  const std::string whole = dir.file("whole.h5");
  {
    test::H5Writer h5(whole);
    const std::vector<float> values(4096, 1.0f);
    h5.add("results", {4096}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, values.data());
  }
  const std::string bytes = read_bytes(whole);
  const std::string out = dir.file("results.h5");
  write_text(out, bytes.substr(0, bytes.size() / 3));
  const std::string before = read_bytes(out);

  const RunResult r = run_fineprune({"plan", config, "--out", out}, dir.path());

  EXPECT_EQ(r.exit_code, 2) << "stderr:\n" << r.err;
  EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
  EXPECT_EQ(read_bytes(out), before);
}

}  // namespace
}  // namespace fineprune::e2e
