// Tests of the HDF5 result store: round trips, batches, attributes, bad input, crash safety.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "common/error.h"
#include "results/result_tables.h"
#include "tests/results/result_test_support.h"
#include "tests/results/schema_attribute.h"
#include "tests/support/temp_files.h"

namespace fineprune {
namespace {

using namespace testing_rows;  // NOLINT: the shared row makers and checks

class ResultTables : public TempDirTest {};

TEST_F(ResultTables, RoundTripsEveryField) {
  const auto results = rows(0, 5, result_row);
  const auto curves = rows(0, 7, curve_row);
  const auto tasks = rows(0, 6, task_row);
  {
    auto writer = ResultWriter::create(path("r.h5"), {});
    writer->append_results(results);
    writer->append_curve(curves);
    writer->append_tasks(tasks);
    writer->close();
  }
  const ResultFile file = read_result_file(path("r.h5"));
  expect_rows(file.results, results);
  expect_rows(file.curves, curves);
  expect_rows(file.tasks, tasks);
}

TEST_F(ResultTables, LongErrorIsTruncatedAtAUtf8Boundary) {
  // The euro sign is 3 bytes. After 0, 1 or 2 ASCII bytes, the cut point (byte 508, leaving room
  // for "...") falls after a character's first byte, on a boundary, or after its second byte.
  auto writer = ResultWriter::create(path("t.h5"), {});
  std::vector<TaskRow> tasks;
  for (int offset = 0; offset < 3; ++offset) {
    TaskRow t = task_row(1);
    t.key = "k" + std::to_string(offset);
    t.error = std::string(offset, 'x');
    while (t.error.size() < 2000) t.error += "\xe2\x82\xac";
    tasks.push_back(t);
  }
  TaskRow fits = task_row(2);
  fits.key = "fits";
  fits.error = std::string(kErrorLength - 1, 'e');  // exactly the longest kept whole
  tasks.push_back(fits);
  TaskRow nul = task_row(2);
  nul.key = "nul";
  nul.error = std::string("before\0after", 12);
  tasks.push_back(nul);
  writer->append_tasks(tasks);
  writer->close();

  const ResultFile file = read_result_file(path("t.h5"));
  ASSERT_EQ(file.tasks.size(), 5u);
  for (int offset = 0; offset < 3; ++offset) {
    const std::string& got = file.tasks[offset].error;
    SCOPED_TRACE("prefix " + std::to_string(offset));
    EXPECT_LE(got.size(), static_cast<size_t>(kErrorLength - 1));
    EXPECT_GE(got.size(), static_cast<size_t>(kErrorLength - 1 - 2));  // at most 2 bytes lost
    ASSERT_GE(got.size(), 3u);
    EXPECT_EQ(got.substr(got.size() - 3), "...");
    const std::string kept = got.substr(0, got.size() - 3);
    EXPECT_EQ(kept, tasks[offset].error.substr(0, kept.size()));
    EXPECT_EQ((kept.size() - offset) % 3, 0u) << "cut inside a character";
  }
  EXPECT_EQ(file.tasks[3].error, fits.error);
  EXPECT_EQ(file.tasks[4].error, "before after");
}

TEST_F(ResultTables, TaskRowsNeedAKeyAndAKnownStatus) {
  auto writer = ResultWriter::create(path("s.h5"), {});
  TaskRow t = task_row(0);
  t.status = "running";
  EXPECT_NE(message_of<IoError>([&] { writer->append_tasks({task_row(3), t}); }).find("running"),
            std::string::npos);
  t = task_row(0);
  t.key = "";
  EXPECT_THROW(writer->append_tasks({t}), IoError);
  writer->close();
  EXPECT_TRUE(read_result_file(path("s.h5")).tasks.empty());
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
  curve = rows(0, 1, curve_row);
  curve[0].key = std::string(kKeyLength, 'k');  // a key column holds kKeyLength - 1
  EXPECT_NE(message_of<IoError>([&] { writer->append_curve(curve); }).find("'key'"),
            std::string::npos);
  auto task = rows(0, 1, task_row);
  task[0].host = std::string(kNameLength, 'h');  // names are refused, never cut
  EXPECT_NE(message_of<IoError>([&] { writer->append_tasks(task); }).find("'host'"),
            std::string::npos);
  writer->close();
  const ResultFile file = read_result_file(path("l.h5"));
  EXPECT_TRUE(file.results.empty());
  EXPECT_TRUE(file.curves.empty());
  EXPECT_TRUE(file.tasks.empty());
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

// A plain HDF5 file with one int dataset `/data`, optionally with a schema attribute.
void write_foreign_file(const std::string& file, bool with_schema,
                        const char* schema = kResultSchema) {
  const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hsize_t dims[1] = {4};
  const int values[4] = {1, 2, 3, 4};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t data =
      H5Dcreate2(f, "data", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(H5Dwrite(data, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0);
  if (with_schema) ASSERT_NO_FATAL_FAILURE(write_schema_attribute(f, schema));
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

TEST_F(ResultTables, VersionOneFileIsInputErrorNamingBothSchemas) {
  write_foreign_file(path("v1.h5"), true, "fineprune-results-1");
  const std::string msg = message_of<InputError>([&] { read_result_file(path("v1.h5")); });
  EXPECT_NE(msg.find(path("v1.h5") + ": not a fineprune result file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'fineprune-results-1'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::string("'") + kResultSchema + "'"), std::string::npos) << msg;
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
  EXPECT_EQ(result_column_names().size(), 24u);
  EXPECT_EQ(result_column_names()[9], "stop_drop");
  EXPECT_EQ(result_column_names().front(), "attack");
  EXPECT_EQ(result_column_names().back(), "key");
  EXPECT_EQ(curve_column_names(),
            (std::vector<std::string>{"attack", "model", "seed", "channels_pruned", "fraction", "val_acc",
                                      "clean_acc", "asr", "robust_acc", "is_stop", "key"}));
  EXPECT_EQ(task_column_names(),
            (std::vector<std::string>{"key", "kind", "attack", "model", "seed", "prune_mode", "prune_rate",
                                      "stop_drop", "status", "attempts", "worker", "host", "wall_s",
                                      "model_digest", "error"}));
}

// Where the first chunk of a table's data lies in the file, and how many bytes it takes.
std::pair<haddr_t, hsize_t> first_chunk(const std::string& file, const char* table) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, table, H5P_DEFAULT);
  const hsize_t origin = 0;
  unsigned filter_mask = 0;
  haddr_t address = HADDR_UNDEF;
  hsize_t size = 0;
  EXPECT_GE(H5Dget_chunk_info_by_coord(d, &origin, &filter_mask, &address, &size), 0);
  H5Dclose(d);
  H5Fclose(f);
  return {address, size};
}

void flip_byte(const std::string& file, uint64_t offset) {
  std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(static_cast<std::streamoff>(offset));
  const char byte = static_cast<char>(io.get());
  io.seekp(static_cast<std::streamoff>(offset));
  io.put(static_cast<char>(byte ^ 0x01));
}

class DamagedTables : public TempDirTest, public ::testing::WithParamInterface<const char*> {};

// A changed byte in a table's data (a number in it: once it became 1e9% without a word) is
// reported as damage naming the table, with the exit code of bad input, never read as numbers.
TEST_P(DamagedTables, ChangedDataFailsItsChecksumNamingTheTable) {
  const char* table = GetParam();
  {
    auto writer = ResultWriter::create(path("r.h5"), {});
    writer->append_results(rows(0, 5, result_row));
    writer->append_curve(rows(0, 7, curve_row));
    writer->append_tasks(rows(0, 6, task_row));
    writer->close();
  }
  const auto [address, size] = first_chunk(path("r.h5"), table);
  ASSERT_NE(address, HADDR_UNDEF);
  ASSERT_GT(size, 100u);
  read_result_file(path("r.h5"));  // whole: reads fine
  flip_byte(path("r.h5"), address + 40);  // inside the first row's data
  try {
    read_result_file(path("r.h5"));
    FAIL() << "a damaged '" << table << "' table was read";
  } catch (const DamagedFileError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path("r.h5")), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string("'") + table + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(EachTable, DamagedTables, ::testing::Values("results", "curves", "tasks"));

// A result file cut short (a partial copy) is damage too: exit code 2, naming the file.
TEST_F(ResultTables, TruncatedFileIsDamage) {
  {
    auto writer = ResultWriter::create(path("r.h5"), {});
    writer->append_results(rows(0, 5, result_row));
    writer->close();
  }
  const std::string bytes = test_support::read_bytes(path("r.h5"));
  { std::ofstream(path("r.h5"), std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2); }
  try {
    read_result_file(path("r.h5"));
    FAIL() << "a truncated file was read";
  } catch (const DamagedFileError& e) {
    EXPECT_NE(std::string(e.what()).find(path("r.h5")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

// The file's structure is checksummed too (the HDF5 1.8 format): a changed byte in the root
// group's header, where the attributes' names live, is damage as well.
TEST_F(ResultTables, ChangedFileStructureIsDamage) {
  {
    auto writer = ResultWriter::create(path("r.h5"), {{"experiment_yaml", "seeds: [1, 2, 3]"}});
    writer->close();
  }
  const std::string bytes = test_support::read_bytes(path("r.h5"));
  const size_t at = bytes.find("experiment_yaml");
  ASSERT_NE(at, std::string::npos);
  flip_byte(path("r.h5"), at + 3);
  EXPECT_THROW(read_result_file(path("r.h5")), DamagedFileError);
}

}  // namespace
}  // namespace fineprune
