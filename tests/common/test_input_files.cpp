// The files a spec reads, listed by key and checked before any work.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "common/input_files.h"
#include "tests/support/temp_files.h"

namespace fineprune {
namespace {

using test_support::TempDir;

TEST(InputFiles, IdxFilesAreInsideTheDataFolderAndPicturesAreListedForTheirTriggers) {
  ExperimentSpec spec;
  spec.data.dir = "/data";
  spec.data.test_labels = "/elsewhere/labels.gz";  // absolute: taken as it is
  spec.attacks.resize(3);
  spec.attacks[0].trigger.type = "patch";
  spec.attacks[1].trigger.type = "mask";
  spec.attacks[1].trigger.image = "/pics/glasses.pgm";
  spec.attacks[2].trigger.type = "blend";
  spec.attacks[2].trigger.pattern = "noise";  // no picture
  const std::vector<InputFile> files = input_files(spec);
  ASSERT_EQ(files.size(), 5u);
  EXPECT_EQ(files[0].key, "data.train_images");
  EXPECT_EQ(files[0].path, "/data/train-images-idx3-ubyte.gz");
  EXPECT_EQ(files[3].path, "/elsewhere/labels.gz");
  EXPECT_EQ(files[4].key, "attacks[1].trigger.image");
  EXPECT_EQ(files[4].path, "/pics/glasses.pgm");
}

TEST(InputFiles, CifarListsEveryBatch) {
  ExperimentSpec spec;
  spec.data.format = "cifar10";
  spec.data.dir = "c";
  const std::vector<InputFile> files = input_files(spec);
  ASSERT_EQ(files.size(), 6u);
  EXPECT_EQ(files[4].key, "data.train_batches[4]");
  EXPECT_EQ(files[5].path, "c/test_batch.bin");
}

TEST(InputFiles, FirstMissingFileIsAConfigErrorNamingSpecKeyAndPath) {
  TempDir dir;
  ExperimentSpec spec;
  spec.source_file = "sweep.yaml";
  spec.data.format = "hdf5";
  spec.data.dir = dir.path();
  spec.data.train_file = "train.h5";
  spec.data.test_file = "test.h5";
  std::ofstream(dir.file("train.h5")) << "x";
  try {
    check_input_files(spec);
    FAIL() << "a missing test file passed";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "sweep.yaml: data.test_file: cannot read '" + dir.file("test.h5") + "': No such file or directory");
  }
  std::ofstream(dir.file("test.h5")) << "x";
  EXPECT_NO_THROW(check_input_files(spec));
  spec.data.test_file = "";
  EXPECT_THROW(check_input_files(spec), ConfigError);
  spec.data.test_file = ".";
  EXPECT_THROW(check_input_files(spec), ConfigError);  // a folder
}

}  // namespace
}  // namespace fineprune
