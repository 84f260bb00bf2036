// Unit tests of the data-parallel pieces that need no MPI: batch sharding, fused gradient buckets
// (against a fake group) and the backend check.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "workers/parallel/all_reduce.h"
#include "workers/parallel/all_reduce_factory.h"
#include "workers/parallel/gradient_buckets.h"
#include "workers/parallel/parallel_context.h"

namespace fineprune {
namespace {

TEST(ShardRange, CoversEveryItemOnceWithSizesDifferingByAtMostOne) {
  for (int64_t n = 0; n <= 20; ++n) {
    for (int size = 1; size <= 5; ++size) {
      int64_t expected_begin = 0, smallest = n, largest = 0;
      for (int rank = 0; rank < size; ++rank) {
        const auto [begin, end] = shard_range(n, rank, size);
        EXPECT_EQ(begin, expected_begin) << "n " << n << " size " << size << " rank " << rank;
        EXPECT_LE(begin, end);
        smallest = std::min(smallest, end - begin);
        largest = std::max(largest, end - begin);
        expected_begin = end;
      }
      EXPECT_EQ(expected_begin, n) << "n " << n << " size " << size;
      EXPECT_LE(largest - smallest, 1) << "n " << n << " size " << size;
    }
  }
}

TEST(ShardRange, FirstRanksTakeTheRemainderAndLateRanksMayBeEmpty) {
  EXPECT_EQ(shard_range(10, 0, 3), (std::pair<int64_t, int64_t>{0, 4}));
  EXPECT_EQ(shard_range(10, 1, 3), (std::pair<int64_t, int64_t>{4, 7}));
  EXPECT_EQ(shard_range(10, 2, 3), (std::pair<int64_t, int64_t>{7, 10}));
  EXPECT_EQ(shard_range(1, 2, 3), (std::pair<int64_t, int64_t>{1, 1}));  // a last batch of one image
}

// A group of `size` ranks that all hold the same tensor: a sum multiplies by `size`. Counts calls.
class EchoGroup : public AllReduce {
 public:
  explicit EchoGroup(int size) : size_(size) {}
  int rank() const override { return 0; }
  int size() const override { return size_; }
  std::string backend() const override { return "echo"; }
  void sum(torch::Tensor& tensor) override {
    ++sums;
    elements += tensor.numel();
    tensor.mul_(size_);
  }
  void broadcast(torch::Tensor&, int) override {}
  void begin_task() override {}
  std::string end_task(const std::string& own_failure) override { return own_failure; }
  int sums = 0;
  int64_t elements = 0;

 private:
  int size_;
};

struct Params {
  std::vector<torch::Tensor> tensors;
  std::vector<torch::Tensor> grads;  // copies of the gradients before the sum
};

// A 4-d weight in channels-last layout (as the trainer keeps conv weights), a bias, a matrix and
// a parameter with no gradient (a rank whose shard was empty).
Params make_params() {
  torch::manual_seed(3);
  Params p;
  torch::Tensor conv = torch::randn({6, 3, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_();
  torch::Tensor bias = torch::randn({6}).requires_grad_();
  torch::Tensor dense = torch::randn({40, 25}).requires_grad_();
  torch::Tensor unused = torch::randn({7}).requires_grad_();
  conv.mutable_grad() = torch::randn({6, 3, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast);
  bias.mutable_grad() = torch::randn({6});
  dense.mutable_grad() = torch::randn({40, 25});
  p.tensors = {conv, bias, dense, unused};
  for (size_t i = 0; i < 3; ++i) p.grads.push_back(p.tensors[i].grad().clone());
  return p;
}

void expect_summed(const Params& p, int size) {
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(torch::allclose(p.tensors[i].grad(), p.grads[i] * size)) << "parameter " << i;
  }
  ASSERT_TRUE(p.tensors[3].grad().defined());
  EXPECT_EQ(p.tensors[3].grad().abs().sum().item<double>(), 0.0);
  EXPECT_EQ(p.tensors[3].grad().sizes(), p.tensors[3].sizes());
}

TEST(GradientBuckets, LargeBucketFusesEveryParameterIntoOneCall) {
  Params p = make_params();
  GradientBuckets buckets(p.tensors, 25 << 20);
  EXPECT_EQ(buckets.bucket_count(), 1u);
  EchoGroup group(2);
  buckets.sum_gradients(group);
  EXPECT_EQ(group.sums, 1);
  EXPECT_EQ(group.elements, 162 + 6 + 1000 + 7);
  expect_summed(p, 2);
}

TEST(GradientBuckets, ZeroBytesMeansOneCallPerParameter) {
  Params p = make_params();
  GradientBuckets buckets(p.tensors, 0);
  EXPECT_EQ(buckets.bucket_count(), 4u);
  EchoGroup group(3);
  buckets.sum_gradients(group);
  EXPECT_EQ(group.sums, 4);
  expect_summed(p, 3);
}

TEST(GradientBuckets, SmallBucketsSplitInParameterOrderAndBigParametersGetTheirOwn) {
  Params p = make_params();
  // 800 bytes = 200 floats: conv (162) + bias (6) fit together; dense (1000) alone; unused (7).
  GradientBuckets buckets(p.tensors, 800);
  EXPECT_EQ(buckets.bucket_count(), 3u);
  EchoGroup group(2);
  buckets.sum_gradients(group);
  EXPECT_EQ(group.sums, 3);
  expect_summed(p, 2);
  // A second step reuses the buckets: the new gradients are summed, not the old ones.
  for (size_t i = 0; i < 3; ++i) {
    p.tensors[i].mutable_grad().copy_(p.grads[i]);
  }
  p.tensors[3].mutable_grad() = torch::Tensor();
  buckets.sum_gradients(group);
  expect_summed(p, 2);
}

TEST(ParallelBackend, AutoAndMpiAreAlwaysAvailable) {
  EXPECT_NO_THROW(check_parallel_backend("auto", "sweep.yaml"));
  EXPECT_NO_THROW(check_parallel_backend("mpi", "sweep.yaml"));
}

TEST(ParallelBackend, NcclWithoutABuildOrADeviceIsAConfigErrorNamingTheKey) {
  if (nccl_built() && torch::cuda::is_available()) GTEST_SKIP() << "NCCL and a GPU are here";
  try {
    check_parallel_backend("nccl", "configs/sweep.yaml");
    FAIL() << "nccl accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("configs/sweep.yaml: parallel.backend: nccl was asked for"), std::string::npos)
        << message;
    EXPECT_NE(message.find(nccl_built() ? "no CUDA device" : "no NCCL backend"), std::string::npos) << message;
  }
}

TEST(ParallelContext, AloneItIsRankZeroOfOne) {
  const ParallelContext alone;
  EXPECT_EQ(alone.rank(), 0);
  EXPECT_EQ(alone.size(), 1);
  EXPECT_FALSE(alone.distributed());
  const torch::Tensor local = torch::arange(5);
  EXPECT_TRUE(torch::equal(gather_by_sum(alone, local, 0, 5), local));
}

}  // namespace
}  // namespace fineprune
