// Tests of data poisoning: how many and which rows are poisoned, their labels (all-to-one,
// all-to-all, clean-label SIG), determinism, untouched rows, attacker_labels, triggered test set.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/experiment_spec.h"
#include "workers/attacks/poisoning.h"

namespace fineprune {
namespace {

constexpr int64_t kClasses = 4;
constexpr int64_t kImages = 40;  // labels i % 4: ten of each class

TensorSet clean_set() {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  return {torch::rand({kImages, 1, 8, 8}, gen), torch::arange(kImages, torch::kInt64).remainder(kClasses)};
}

AttackSpec attack(const std::string& mode, double rate, const std::string& trigger = "patch") {
  AttackSpec a;
  a.name = "test";
  a.trigger.type = trigger;
  a.trigger.size = 2;
  a.trigger.margin = 0;
  a.target.mode = mode;
  a.target.label = 2;
  a.poison_rate = rate;
  return a;
}

std::vector<int64_t> as_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// Checks the rows of `p` against `clean`: poisoned rows hold the triggered image and `labels`,
// every other row is unchanged.
void expect_rows(const PoisonedSet& p, const TensorSet& clean, const Trigger& trigger,
                 const torch::Tensor& poisoned_labels) {
  const std::vector<int64_t> rows = as_vector(p.indices);
  const std::set<int64_t> poisoned(rows.begin(), rows.end());
  ASSERT_EQ(poisoned.size(), rows.size()) << "repeated rows";
  ASSERT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  ASSERT_EQ(p.data.size(), clean.size());
  const torch::Tensor triggered = trigger.apply(clean.x);
  for (int64_t i = 0; i < clean.size(); ++i) {
    if (poisoned.count(i)) {
      EXPECT_TRUE(torch::equal(p.data.x[i], triggered[i])) << "row " << i;
      EXPECT_EQ(p.data.y[i].item<int64_t>(), poisoned_labels[i].item<int64_t>()) << "row " << i;
    } else {
      EXPECT_TRUE(torch::equal(p.data.x[i], clean.x[i])) << "row " << i;
      EXPECT_EQ(p.data.y[i].item<int64_t>(), clean.y[i].item<int64_t>()) << "row " << i;
    }
  }
}

TEST(Poisoning, AllToOnePoisonsNonTargetRowsOnly) {
  const TensorSet clean = clean_set();
  const torch::Tensor clean_x = clean.x.clone();
  const AttackSpec a = attack("all_to_one", 0.25);
  const auto trigger = make_trigger(a.trigger, {1, 8, 8});
  const PoisonedSet p = poison_training_set(clean, a, *trigger, kClasses, 1);
  EXPECT_EQ(p.indices.numel(), 10);  // round(0.25 * 40)
  for (int64_t r : as_vector(p.indices)) EXPECT_NE(clean.y[r].item<int64_t>(), 2) << r;
  expect_rows(p, clean, *trigger, torch::full({kImages}, 2, torch::kInt64));
  EXPECT_TRUE(torch::equal(clean.x, clean_x)) << "the clean set was modified";
}

TEST(Poisoning, CountRoundsAndIsCappedAtEligible) {
  const TensorSet clean = clean_set();
  const auto trigger = make_trigger(attack("all_to_one", 0.1).trigger, {1, 8, 8});
  auto count = [&](const std::string& mode, double rate) {
    return poison_training_set(clean, attack(mode, rate), *trigger, kClasses, 1).indices.numel();
  };
  EXPECT_EQ(count("all_to_one", 0.0625), 3);  // 2.5 rounds half away from zero
  EXPECT_EQ(count("all_to_one", 0.05), 2);
  EXPECT_EQ(count("all_to_one", 0.01), 0);    // 0.4 -> nothing poisoned
  EXPECT_EQ(count("all_to_one", 0.9), 30);    // 36 wanted, 30 eligible (non-target)
  EXPECT_EQ(count("all_to_one", 1.0), 30);
  EXPECT_EQ(count("all_to_all", 1.0), 40);
  EXPECT_EQ(count("all_to_all", 0.9), 36);

  // Nothing poisoned: the set comes back equal.
  const PoisonedSet p = poison_training_set(clean, attack("all_to_one", 0.01), *trigger, kClasses, 1);
  EXPECT_EQ(p.indices.numel(), 0);
  EXPECT_TRUE(torch::equal(p.data.x, clean.x));
  EXPECT_TRUE(torch::equal(p.data.y, clean.y));
}

TEST(Poisoning, AllToAllRelabelsToNextClass) {
  const TensorSet clean = clean_set();
  const AttackSpec a = attack("all_to_all", 0.25);
  const auto trigger = make_trigger(a.trigger, {1, 8, 8});
  const PoisonedSet p = poison_training_set(clean, a, *trigger, kClasses, 3);
  EXPECT_EQ(p.indices.numel(), 10);
  expect_rows(p, clean, *trigger, (clean.y + 1).remainder(kClasses));
}

TEST(Poisoning, SigIsCleanLabelOnTheTargetClass) {
  const TensorSet clean = clean_set();
  AttackSpec a = attack("all_to_one", 0.5, "sig");
  const auto trigger = make_trigger(a.trigger, {1, 8, 8});
  const PoisonedSet p = poison_training_set(clean, a, *trigger, kClasses, 1);
  EXPECT_EQ(p.indices.numel(), 5);  // half of the ten target-class images
  for (int64_t r : as_vector(p.indices)) EXPECT_EQ(clean.y[r].item<int64_t>(), 2) << r;
  EXPECT_TRUE(torch::equal(p.data.y, clean.y)) << "SIG changed labels";
  expect_rows(p, clean, *trigger, clean.y);
  a.poison_rate = 1.0;
  EXPECT_EQ(poison_training_set(clean, a, *trigger, kClasses, 1).indices.numel(), 10);
}

TEST(Poisoning, SameSeedSameRowsOtherSeedOthers) {
  const TensorSet clean = clean_set();
  const AttackSpec a = attack("all_to_one", 0.25);
  const auto trigger = make_trigger(a.trigger, {1, 8, 8});
  const PoisonedSet first = poison_training_set(clean, a, *trigger, kClasses, 42);
  const PoisonedSet again = poison_training_set(clean, a, *trigger, kClasses, 42);
  const PoisonedSet other = poison_training_set(clean, a, *trigger, kClasses, 43);
  EXPECT_TRUE(torch::equal(first.indices, again.indices));
  EXPECT_TRUE(torch::equal(first.data.x, again.data.x));
  EXPECT_TRUE(torch::equal(first.data.y, again.data.y));
  EXPECT_FALSE(torch::equal(first.indices, other.indices));
}

TEST(AttackerLabels, AllToOneAndAllToAll) {
  const torch::Tensor y = torch::tensor({0, 1, 2, 3, 3}, torch::kInt64);
  TargetSpec one;
  one.mode = "all_to_one";
  one.label = 3;
  EXPECT_TRUE(torch::equal(attacker_labels(one, y, 4), torch::full({5}, 3, torch::kInt64)));
  TargetSpec all;
  all.mode = "all_to_all";
  EXPECT_TRUE(torch::equal(attacker_labels(all, y, 4), torch::tensor({1, 2, 3, 0, 0}, torch::kInt64)));
}

TEST(TriggeredTestSet, MarksNonTargetImages) {
  const TensorSet test = clean_set();
  const AttackSpec a = attack("all_to_one", 0.1);
  const auto trigger = make_trigger(a.trigger, {1, 8, 8});
  const TriggeredSet t = triggered_test_set(test, a, *trigger, kClasses);
  EXPECT_TRUE(torch::equal(t.x, trigger->apply(test.x)));
  EXPECT_TRUE(torch::equal(t.true_labels, test.y));
  EXPECT_TRUE(torch::equal(t.attack_labels, torch::full({kImages}, 2, torch::kInt64)));
  EXPECT_TRUE(torch::equal(t.non_target, test.y.ne(2)));
  EXPECT_EQ(t.non_target.sum().item<int64_t>(), 30);

  const TriggeredSet all = triggered_test_set(test, attack("all_to_all", 0.1), *trigger, kClasses);
  EXPECT_TRUE(torch::equal(all.attack_labels, (test.y + 1).remainder(kClasses)));
  EXPECT_EQ(all.non_target.sum().item<int64_t>(), kImages);
}

}  // namespace
}  // namespace fineprune
