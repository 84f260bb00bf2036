// Shards of a sweep: every task in exactly one shard, families kept whole, balanced, stable.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"
#include "orchestrator/sharding.h"
#include "common/sweep_expansion.h"
#include "tests/orchestrator/sweep_fixtures.h"

namespace fineprune {
namespace {

class ShardingCounts : public ::testing::TestWithParam<int> {};

TEST_P(ShardingCounts, EveryTaskOnceAndEveryFamilyWhole) {
  const int k = GetParam();
  const std::vector<Task> tasks = expand_sweep(test::sweep_spec(), "v1");
  ASSERT_EQ(family_count(tasks), 6u);  // 3 attacks x 2 seeds
  std::map<std::string, int> shard_of;
  size_t total = 0;
  for (int i = 0; i < k; ++i) {
    const std::vector<Task> mine = shard_tasks(tasks, Shard{i, k});
    total += mine.size();
    for (const Task& t : mine) EXPECT_TRUE(shard_of.emplace(t.key, i).second) << t.key << " in two shards";
    // Task order is kept, and every dependency is in the same shard.
    for (size_t j = 0; j < mine.size(); ++j) {
      for (const std::string& dep : mine[j].deps) {
        const auto it = std::find_if(mine.begin(), mine.end(), [&](const Task& t) { return t.key == dep; });
        ASSERT_NE(it, mine.end()) << "shard " << i << ": " << mine[j].key << " needs " << dep << " elsewhere";
        EXPECT_LT(it - mine.begin(), static_cast<long>(j));
      }
    }
    const size_t trains = static_cast<size_t>(std::count_if(
        mine.begin(), mine.end(), [](const Task& t) { return t.kind == TaskKind::Train; }));
    EXPECT_EQ(family_count(mine), trains);
  }
  EXPECT_EQ(total, tasks.size());
  EXPECT_EQ(shard_of.size(), tasks.size());
}

TEST_P(ShardingCounts, BalancedWithinTheLargestFamily) {
  const int k = GetParam();
  const std::vector<Task> tasks = expand_sweep(test::sweep_spec(), "v1");
  const std::vector<int> of = shard_assignment(tasks, k);
  std::vector<double> load(static_cast<size_t>(k), 0.0);
  std::map<std::string, double> family;  // by train key
  for (size_t i = 0; i < tasks.size(); ++i) {
    load[static_cast<size_t>(of[i])] += tasks[i].cost;
    family[tasks[i].deps.empty() ? tasks[i].key : tasks[i].deps.front()] += tasks[i].cost;
  }
  double largest = 0;
  for (const auto& [key, cost] : family) largest = std::max(largest, cost);
  const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
  if (k <= 6) EXPECT_LE(*hi - *lo, largest) << k << " shards";
  EXPECT_EQ(shard_assignment(tasks, k), of) << "not deterministic";
}

INSTANTIATE_TEST_SUITE_P(Counts, ShardingCounts, ::testing::Values(1, 2, 3, 4, 6, 8));

TEST(Sharding, MoreShardsThanFamiliesLeavesSomeEmpty) {
  const std::vector<Task> tasks = expand_sweep(test::sweep_spec(), "v1");
  size_t empty = 0;
  for (int i = 0; i < 8; ++i) empty += shard_tasks(tasks, Shard{i, 8}).empty() ? 1 : 0;
  EXPECT_EQ(empty, 2u);
}

TEST(Sharding, WholeSweepIsEverything) {
  const std::vector<Task> tasks = expand_sweep(test::sweep_spec(), "v1");
  const std::vector<Task> all = shard_tasks(tasks, Shard{});
  ASSERT_EQ(all.size(), tasks.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].key, tasks[i].key);
  EXPECT_THROW(shard_assignment(tasks, 0), Error);
}

TEST(Sharding, ParseShard) {
  const Shard s = parse_shard("1/3", "--shard");
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.text(), "1/3");
  EXPECT_TRUE(parse_shard("0/1", "--shard").whole());
  for (const char* bad : {"", "1", "3/3", "4/3", "-1/3", "1/0", "a/2", "1/2/3", "1/ 2", "0x1/2"}) {
    try {
      parse_shard(bad, "--shard");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--shard " + std::string(bad) + ":", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace fineprune
