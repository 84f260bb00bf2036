// Tests of the HDF5 result store: round trips, batches, attributes, bad input, crash safety.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "results/result_tables.h"

namespace fineprune {
namespace {

namespace fs = std::filesystem;

// Every field distinct per row and none at its default, so a swapped or dropped column shows.
ResultRow result_row(int i) {
  ResultRow r;
  r.attack = "badnets_" + std::to_string(i);
  r.trigger = i % 2 ? "blend" : "patch";
  r.target_mode = i % 2 ? "all_to_all" : "all_to_one";
  r.target_label = i % 2 ? -1 : i;
  r.poison_rate = 0.01 * (i + 1);
  r.pruning_aware = i % 2;
  r.defense = "fineprune";
  r.prune_mode = i % 2 ? "rate" : "stop";
  r.prune_rate = 0.125 + i;
  r.pruned_channels = 100 + i;
  r.total_channels = 512 + i;
  r.seed = 1000000000000LL + i;  // beyond int32, to catch a narrowed column
  r.clean_acc = 0.9 + 0.001 * i;
  r.asr = 0.5 - 0.01 * i;
  r.robust_acc = 0.3 + 0.002 * i;
  r.val_acc = 0.88 + 0.003 * i;
  r.asr_counts = i % 2 ? "all" : "non_target";
  r.finetune_epochs = 2.5 + i;
  r.wall_s = 12.25 * (i + 1);
  r.train_wall_s = 300.5 + i;
  r.model = "resnet18";
  r.dataset = "cifar10";
  r.key = std::string(kNameLength - 1, static_cast<char>('a' + i % 26));  // longest allowed
  return r;
}

CurveRow curve_row(int i) {
  CurveRow c;
  c.attack = "wanet_" + std::to_string(i);
  c.seed = 7 + i;
  c.channels_pruned = 8 * i;
  c.fraction = i / 64.0;
  c.val_acc = 0.9 - 0.01 * i;
  c.clean_acc = 0.91 - 0.01 * i;
  c.asr = 0.99 - 0.05 * i;
  c.robust_acc = 0.01 * i;
  c.is_stop = i == 3 ? 1 : 0;
  return c;
}

void expect_same(const ResultRow& a, const ResultRow& b) {
#define FP_EXPECT_FIELD(f) EXPECT_EQ(a.f, b.f) << "column " #f
  FP_EXPECT_FIELD(attack);
  FP_EXPECT_FIELD(trigger);
  FP_EXPECT_FIELD(target_mode);
  FP_EXPECT_FIELD(target_label);
  FP_EXPECT_FIELD(poison_rate);
  FP_EXPECT_FIELD(pruning_aware);
  FP_EXPECT_FIELD(defense);
  FP_EXPECT_FIELD(prune_mode);
  FP_EXPECT_FIELD(prune_rate);
  FP_EXPECT_FIELD(pruned_channels);
  FP_EXPECT_FIELD(total_channels);
  FP_EXPECT_FIELD(seed);
  FP_EXPECT_FIELD(clean_acc);
  FP_EXPECT_FIELD(asr);
  FP_EXPECT_FIELD(robust_acc);
  FP_EXPECT_FIELD(val_acc);
  FP_EXPECT_FIELD(asr_counts);
  FP_EXPECT_FIELD(finetune_epochs);
  FP_EXPECT_FIELD(wall_s);
  FP_EXPECT_FIELD(train_wall_s);
  FP_EXPECT_FIELD(model);
  FP_EXPECT_FIELD(dataset);
  FP_EXPECT_FIELD(key);
}

void expect_same(const CurveRow& a, const CurveRow& b) {
  FP_EXPECT_FIELD(attack);
  FP_EXPECT_FIELD(seed);
  FP_EXPECT_FIELD(channels_pruned);
  FP_EXPECT_FIELD(fraction);
  FP_EXPECT_FIELD(val_acc);
  FP_EXPECT_FIELD(clean_acc);
  FP_EXPECT_FIELD(asr);
  FP_EXPECT_FIELD(robust_acc);
  FP_EXPECT_FIELD(is_stop);
#undef FP_EXPECT_FIELD
}

template <typename Row>
void expect_rows(const std::vector<Row>& got, const std::vector<Row>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    expect_same(got[i], want[i]);
  }
}

template <typename Row>
std::vector<Row> rows(int first, int count, Row (*make)(int)) {
  std::vector<Row> out;
  for (int i = first; i < first + count; ++i) out.push_back(make(i));
  return out;
}

// Each test gets its own directory, removed afterwards.
class ResultTables : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "fineprune_results_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs `f` and returns the message of the exception of type E it throws ("" if none).
  template <typename E, typename F>
  static std::string message_of(F&& f) {
    try {
      f();
    } catch (const E& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected an exception";
    return "";
  }

  fs::path dir_;
};

TEST_F(ResultTables, RoundTripsEveryField) {
  const auto results = rows(0, 5, result_row);
  const auto curves = rows(0, 7, curve_row);
  {
    auto writer = ResultWriter::create(path("r.h5"), {});
    writer->append_results(results);
    writer->append_curve(curves);
    writer->close();
  }
  const ResultFile file = read_result_file(path("r.h5"));
  expect_rows(file.results, results);
  expect_rows(file.curves, curves);
}

TEST_F(ResultTables, EmptyTablesReadBackEmpty) {
  ResultWriter::create(path("e.h5"), {})->close();
  const ResultFile file = read_result_file(path("e.h5"));
  EXPECT_TRUE(file.results.empty());
  EXPECT_TRUE(file.curves.empty());
  EXPECT_EQ(file.attributes.at("schema"), kResultSchema);
}

TEST_F(ResultTables, AppendsInBatchesAcrossChunks) {
  auto writer = ResultWriter::create(path("b.h5"), {});
  // 300 + 1 + 0 + 299 rows: crosses the 256-row chunk boundary and appends an empty batch.
  writer->append_results(rows(0, 300, result_row));
  writer->append_results(rows(300, 1, result_row));
  writer->append_results({});
  writer->append_results(rows(301, 299, result_row));
  writer->append_curve(rows(0, 2, curve_row));
  writer->append_curve(rows(2, 3, curve_row));
  writer.reset();  // the destructor alone must leave a complete file
  const ResultFile file = read_result_file(path("b.h5"));
  expect_rows(file.results, rows(0, 600, result_row));
  expect_rows(file.curves, rows(0, 5, curve_row));
}

TEST_F(ResultTables, StringAttributesRoundTrip) {
  std::string yaml = "attacks:\n  - name: badnets\n    poison_rate: 0.1\n";
  while (yaml.size() < 100000) yaml += "# padding past HDF5's 64 KiB compact-attribute limit\n";
  const std::map<std::string, std::string> attributes = {
      {"experiment_yaml", yaml},
      {"fineprune_version", "0.1.0"},
      {"empty", ""},
      {"unicode", "Genauigkeit \xc3\xa4\xc3\xb6\xc3\xbc"}};
  ResultWriter::create(path("a.h5"), attributes)->close();
  auto want = attributes;
  want["schema"] = kResultSchema;
  EXPECT_EQ(read_result_file(path("a.h5")).attributes, want);
}

TEST_F(ResultTables, SchemaAttributeIsReserved) {
  const std::string msg = message_of<IoError>([&] {
    ResultWriter::create(path("s.h5"), {{"schema", "mine"}});
  });
  EXPECT_NE(msg.find("schema"), std::string::npos) << msg;
}

TEST_F(ResultTables, TooLongStringNamesColumnAndWritesNothing) {
  auto writer = ResultWriter::create(path("l.h5"), {});
  auto batch = rows(0, 3, result_row);
  batch[2].defense = std::string(kNameLength, 'x');  // one byte too many
  const std::string msg = message_of<IoError>([&] { writer->append_results(batch); });
  EXPECT_NE(msg.find(path("l.h5")), std::string::npos) << msg;
  EXPECT_NE(msg.find("'defense'"), std::string::npos) << msg;

  auto curve = rows(0, 1, curve_row);
  curve[0].attack = std::string(100, 'y');
  EXPECT_NE(message_of<IoError>([&] { writer->append_curve(curve); }).find("'attack'"),
            std::string::npos);
  writer->close();
  const ResultFile file = read_result_file(path("l.h5"));
  EXPECT_TRUE(file.results.empty());
  EXPECT_TRUE(file.curves.empty());
}

TEST_F(ResultTables, ClosedWriterRefusesFurtherCalls) {
  auto writer = ResultWriter::create(path("c.h5"), {});
  writer->close();
  EXPECT_THROW(writer->append_results(rows(0, 1, result_row)), IoError);
  EXPECT_THROW(writer->flush(), IoError);
  EXPECT_THROW(writer->close(), IoError);
}

TEST_F(ResultTables, CreateInMissingDirectoryNamesFile) {
  const std::string target = path("no/such/dir/r.h5");
  const std::string msg = message_of<IoError>([&] { ResultWriter::create(target, {}); });
  EXPECT_NE(msg.find(target), std::string::npos) << msg;
  EXPECT_NE(msg.find("H5Fcreate"), std::string::npos) << msg;
}

TEST_F(ResultTables, MissingFileIsInputErrorNamingIt) {
  const std::string msg = message_of<InputError>([&] { read_result_file(path("absent.h5")); });
  EXPECT_NE(msg.find(path("absent.h5")), std::string::npos) << msg;
}

TEST_F(ResultTables, NonHdf5FileIsInputErrorNamingIt) {
  std::ofstream(path("text.h5")) << "results,curves\n1,2\n";
  const std::string msg = message_of<InputError>([&] { read_result_file(path("text.h5")); });
  EXPECT_NE(msg.find(path("text.h5")), std::string::npos) << msg;
  EXPECT_NE(msg.find("not an HDF5 file"), std::string::npos) << msg;
}

// A plain HDF5 file with one int dataset `/data`, optionally with our schema attribute.
void write_foreign_file(const std::string& file, bool with_schema) {
  const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hsize_t dims[1] = {4};
  const int values[4] = {1, 2, 3, 4};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t data =
      H5Dcreate2(f, "data", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(H5Dwrite(data, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0);
  if (with_schema) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, std::strlen(kResultSchema));
    const hid_t scalar = H5Screate(H5S_SCALAR);
    const hid_t attr = H5Acreate2(f, "schema", type, scalar, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(H5Awrite(attr, type, kResultSchema), 0);
    H5Aclose(attr);
    H5Sclose(scalar);
    H5Tclose(type);
  }
  H5Dclose(data);
  H5Sclose(space);
  ASSERT_GE(H5Fclose(f), 0);
}

TEST_F(ResultTables, FileOfAnotherSchemaIsInputError) {
  write_foreign_file(path("other.h5"), false);
  const std::string msg = message_of<InputError>([&] { read_result_file(path("other.h5")); });
  EXPECT_NE(msg.find(path("other.h5") + ": not a fineprune result file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("schema"), std::string::npos) << msg;
}

TEST_F(ResultTables, SchemaAttributeWithoutTablesNamesMissingTable) {
  // Also checks a fixed-length (not variable-length) schema attribute is accepted.
  write_foreign_file(path("half.h5"), true);
  const std::string msg = message_of<InputError>([&] { read_result_file(path("half.h5")); });
  EXPECT_NE(msg.find(path("half.h5")), std::string::npos) << msg;
  EXPECT_NE(msg.find("'/results'"), std::string::npos) << msg;
}

TEST_F(ResultTables, FlushedRowsSurviveACrashedWriter) {
  const std::string file = path("crash.h5");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child writes, flushes and dies without closing anything (no destructors, no atexit).
    int status = 1;
    try {
      auto writer = ResultWriter::create(file, {{"run", "crashed"}});
      writer->append_results(rows(0, 3, result_row));
      writer->flush();
      writer->append_results(rows(3, 2, result_row));
      writer->append_curve(rows(0, 4, curve_row));
      writer->flush();
      (void)writer.release();  // leaked on purpose: the file is never closed
      status = 0;
    } catch (...) {
    }
    _exit(status);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed to write";
  const ResultFile got = read_result_file(file);
  expect_rows(got.results, rows(0, 5, result_row));
  expect_rows(got.curves, rows(0, 4, curve_row));
  EXPECT_EQ(got.attributes.at("run"), "crashed");
}

TEST(ResultColumns, MatchStructFieldOrder) {
  EXPECT_EQ(result_column_names().size(), 23u);
  EXPECT_EQ(result_column_names().front(), "attack");
  EXPECT_EQ(result_column_names().back(), "key");
  EXPECT_EQ(curve_column_names(),
            (std::vector<std::string>{"attack", "seed", "channels_pruned", "fraction", "val_acc",
                                      "clean_acc", "asr", "robust_acc", "is_stop"}));
}

}  // namespace
}  // namespace fineprune
