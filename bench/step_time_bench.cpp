// Benchmark: one data-parallel training step split into compute (forward and backward on this
// rank's shard), communication (the fused gradient all-reduce) and the optimiser update.
//
//   mpiexec -n N build/bench/step_time_bench [--backend mpi|nccl|auto] [--bucket-mb MB]
//       [--batch B] [--steps S] [--threads T] [--model small_cnn|vgg]
//
// Global batch B (default 128) of synthetic 1x28x28 images, cut into N shards as the trainer cuts
// it, channels-last as the trainer keeps them; --bucket-mb 0 sends one all-reduce per parameter
// (the unfused baseline). A barrier before the all-reduce splits the time a rank waits for the
// slowest one ("wait") from the all-reduce itself ("comm"). Times are the mean over S steps after
// 5 warm-up steps, of the slowest rank.
#include <mpi.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/experiment_spec.h"
#include "workers/models/model_factory.h"
#include "workers/parallel/all_reduce.h"
#include "workers/parallel/all_reduce_factory.h"
#include "workers/parallel/gradient_buckets.h"

using namespace fineprune;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string backend = "auto", model = "small_cnn";
  double bucket_mb = 25;
  int64_t batch = 128, steps = 40;
  int threads = 1;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--backend") o.backend = value;
    else if (key == "--model") o.model = value;
    else if (key == "--bucket-mb") o.bucket_mb = std::stod(value);
    else if (key == "--batch") o.batch = std::stoll(value);
    else if (key == "--steps") o.steps = std::stoll(value);
    else if (key == "--threads") o.threads = std::stoi(value);
    else throw std::invalid_argument("unknown option " + key);
  }
  return o;
}

void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int run(const Options& o) {
  torch::set_num_threads(o.threads);
  GroupParallel g = make_group_parallel(o.backend, std::max(o.bucket_mb, 1.0), MPI_COMM_WORLD, "--backend");
  const ParallelContext& parallel = g.context;
  const torch::Device device = parallel.device;
  ModelSpec spec;  // small_cnn and vgg as in the default experiment (widths 32 64 64, hidden 128)
  spec.name = o.model;
  if (o.model == "small_cnn" || o.model == "vgg") {
    spec.widths = {32, 64, 64};
    spec.hidden = 128;
  }
  torch::manual_seed(1);
  auto model = make_model(spec, {1, 28, 28}, 10);
  model->to(device);
  for (torch::Tensor& p : model->parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  GradientBuckets buckets(model->parameters(), static_cast<int64_t>(o.bucket_mb * 1024 * 1024));
  const auto [lo, hi] = shard_range(o.batch, parallel.rank(), parallel.size());
  const torch::Tensor x = torch::rand({hi - lo, 1, 28, 28}).to(device).contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor y = torch::randint(10, {hi - lo}, torch::kInt64).to(device);
  namespace F = torch::nn::functional;
  double compute = 0, wait = 0, comm = 0, update = 0;
  const int64_t warmup = 5;
  for (int64_t step = 0; step < warmup + o.steps; ++step) {
    if (step == warmup) compute = wait = comm = update = 0;
    optimizer.zero_grad();
    auto t = Clock::now();
    const torch::Tensor loss = F::cross_entropy(model->forward(x), y, F::CrossEntropyFuncOptions().reduction(torch::kSum));
    (loss / static_cast<double>(o.batch)).backward();
    sync(device);
    compute += since(t);
    t = Clock::now();
    MPI_Barrier(MPI_COMM_WORLD);
    wait += since(t);
    t = Clock::now();
    if (parallel.distributed()) buckets.sum_gradients(*parallel.group);
    sync(device);
    comm += since(t);
    t = Clock::now();
    optimizer.step();
    sync(device);
    update += since(t);
  }
  double times[4] = {compute / o.steps, wait / o.steps, comm / o.steps, update / o.steps};
  MPI_Allreduce(MPI_IN_PLACE, times, 4, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  if (parallel.rank() == 0) {
    const double total = times[0] + times[1] + times[2] + times[3];
    std::printf("| %s | %s | %d | %lld | %s | %zu | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f |\n", o.model.c_str(),
                device.str().c_str(), parallel.size(), static_cast<long long>(o.batch),
                parallel.distributed() ? parallel.group->backend().c_str() : "-", buckets.bucket_count(),
                times[0] * 1e3, times[1] * 1e3, times[2] * 1e3, times[3] * 1e3, total * 1e3,
                static_cast<double>(o.batch) / total);
  }
  g = GroupParallel{};
  MPI_Finalize();
  return 0;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "step_time_bench: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
}
