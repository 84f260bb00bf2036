// The master/worker message encodings round-trip every field exactly, and reject malformed text.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "messaging/protocol.h"

namespace fineprune {
namespace {

TEST(Protocol, AssignmentRoundTrip) {
  Assignment a;
  a.task.key = std::string(64, 'a');
  a.task.kind = TaskKind::Defend;
  a.task.defense = "fineprune";
  a.task.model_index = 2;
  a.task.model = "max_pool";
  a.task.attack_index = 3;
  a.task.attack = "blend\twith tab";
  a.task.seed = 42;
  a.task.prune_mode = "rate";
  a.task.prune_rate = 0.1 + 0.2;  // not exactly representable: must survive bit-identical
  a.task.stop_drop = 0.07;        // every field travels, whatever the mode reads
  a.task.cost = 12345.5;
  a.task.deps = {"dep1", "dep\\2"};
  a.attempt = 2;
  const Assignment b = decode_assignment(encode_assignment(a));
  EXPECT_EQ(b.task.key, a.task.key);
  EXPECT_EQ(b.task.kind, a.task.kind);
  EXPECT_EQ(b.task.model_index, a.task.model_index);
  EXPECT_EQ(b.task.model, a.task.model);
  EXPECT_EQ(b.task.attack_index, a.task.attack_index);
  EXPECT_EQ(b.task.attack, a.task.attack);
  EXPECT_EQ(b.task.seed, a.task.seed);
  EXPECT_EQ(b.task.prune_mode, a.task.prune_mode);
  EXPECT_EQ(b.task.prune_rate, a.task.prune_rate);
  EXPECT_EQ(b.task.stop_drop, a.task.stop_drop);
  EXPECT_EQ(b.task.cost, a.task.cost);
  EXPECT_EQ(b.task.deps, a.task.deps);
  EXPECT_EQ(b.attempt, 2);
}

TEST(Protocol, OutcomeRoundTrip) {
  TaskOutcome o;
  o.key = "k1";
  o.wall_s = 1.0 / 3.0;
  o.host = "node\n7";
  o.model_digest = std::string(64, 'e');
  o.note = "saved model failed its checksum:\tretrained";
  ResultRow r;
  r.attack = "badnets";
  r.defense = "fineprune";
  r.prune_mode = "stop";
  r.prune_rate = 0.796875;
  r.pruned_channels = 51;
  r.total_channels = 64;
  r.seed = 3;
  r.clean_acc = 0.8897000000000001;
  r.asr = 1e-300;
  r.target_label = -1;
  r.pruning_aware = 1;
  r.key = "k1";
  o.results = {r, r};
  CurveRow c;
  c.attack = "badnets";
  c.channels_pruned = 7;
  c.fraction = 7.0 / 64.0;
  c.is_stop = 1;
  c.key = "k1";
  o.curves = {c};
  const TaskOutcome p = decode_outcome(encode_outcome(o));
  EXPECT_EQ(p.key, o.key);
  EXPECT_EQ(p.wall_s, o.wall_s);
  EXPECT_EQ(p.host, o.host);
  EXPECT_EQ(p.model_digest, o.model_digest);
  EXPECT_EQ(p.note, o.note);
  ASSERT_EQ(p.results.size(), 2u);
  EXPECT_EQ(p.results[1].clean_acc, r.clean_acc);
  EXPECT_EQ(p.results[1].asr, r.asr);
  EXPECT_EQ(p.results[1].prune_rate, r.prune_rate);
  EXPECT_EQ(p.results[1].pruned_channels, 51);
  EXPECT_EQ(p.results[1].target_label, -1);
  EXPECT_EQ(p.results[1].pruning_aware, 1);
  EXPECT_EQ(p.results[1].defense, "fineprune");
  EXPECT_EQ(p.results[1].key, "k1");
  ASSERT_EQ(p.curves.size(), 1u);
  EXPECT_EQ(p.curves[0].fraction, c.fraction);
  EXPECT_EQ(p.curves[0].is_stop, 1);
  EXPECT_EQ(p.curves[0].key, "k1");
}

TEST(Protocol, EmptyOutcomeAndFailure) {
  TaskOutcome o;
  o.key = "train-key";
  EXPECT_TRUE(decode_outcome(encode_outcome(o)).results.empty());
  const TaskFailure f = decode_failure(encode_failure({"k", "host", "loss is nan\tat epoch 2"}));
  EXPECT_EQ(f.message, "loss is nan\tat epoch 2");
}

TEST(Protocol, MalformedMessagesThrow) {
  EXPECT_THROW(decode_outcome(""), Error);
  EXPECT_THROW(decode_outcome("k\t1\th\t2\t0\n"), Error);  // promises 2 rows, has none
  EXPECT_THROW(decode_assignment("key\tnot-a-kind\t0\ta\t1\t\t0\t0\t1\t0"), Error);
  EXPECT_THROW(decode_assignment("key"), Error);
}

}  // namespace
}  // namespace fineprune
