// remove_tree: folders with everything in them, links removed and never followed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "common/file_tree.h"
#include "tests/support/temp_files.h"

namespace fineprune {
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;

void touch(const fs::path& p) { std::ofstream(p) << "x"; }

TEST(RemoveTree, RemovesNestedFoldersAndFilesButNotWhatLinksPointTo) {
  TempDir dir;
  const fs::path root = fs::path(dir.path()) / "state";
  fs::create_directories(root / "a" / "b");
  touch(root / "a" / "b" / "train.state");
  touch(root / "top.state");
  const fs::path outside = fs::path(dir.path()) / "keep.txt";
  touch(outside);
  fs::create_symlink(outside, root / "a" / "link-to-file");
  fs::create_directory_symlink(dir.path(), root / "link-to-parent");
  EXPECT_TRUE(remove_tree(root.string()));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root)));
  EXPECT_TRUE(fs::exists(outside));
}

TEST(RemoveTree, AMissingPathCountsAsRemovedAndAFileIsRemoved) {
  TempDir dir;
  EXPECT_TRUE(remove_tree(dir.file("never-made")));
  touch(dir.file("one"));
  EXPECT_TRUE(remove_tree(dir.file("one")));
  EXPECT_FALSE(fs::exists(dir.file("one")));
}

TEST(RemoveTree, ReportsWhatItCannotRemove) {
  if (geteuid() == 0) GTEST_SKIP() << "root may remove anything";
  TempDir dir;
  const fs::path locked = fs::path(dir.path()) / "locked";
  fs::create_directories(locked / "inner");
  touch(locked / "inner" / "f");
  fs::permissions(locked / "inner", fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_FALSE(remove_tree(locked.string()));
  fs::permissions(locked / "inner", fs::perms::owner_all);
}

}  // namespace
}  // namespace fineprune
