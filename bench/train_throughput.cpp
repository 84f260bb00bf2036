// Benchmark: training throughput (images/s) of the default CNN with fineprune's training loop, on
// Fashion-MNIST's first N training images. bench/train_throughput.py is the same model and loop in
// PyTorch's Python API, for a side-by-side figure.
#include <torch/torch.h>

#include <cstdio>
#include <string>

#include "common/experiment_spec.h"
#include "workers/data/image_set.h"
#include "workers/models/model_factory.h"
#include "workers/training/trainer.h"

using namespace fineprune;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::stoi(argv[1]) : 2;
  const int64_t images = argc > 2 ? std::stoll(argv[2]) : 20000;
  const int64_t epochs = argc > 3 ? std::stoll(argv[3]) : 2;
  torch::set_num_threads(threads);
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  ImageSet train = load_idx(dir + "train-images-idx3-ubyte.gz", dir + "train-labels-idx1-ubyte.gz");
  std::vector<int64_t> first(static_cast<size_t>(images));
  for (int64_t i = 0; i < images; ++i) first[static_cast<size_t>(i)] = i;
  const TensorSet data = to_tensors(train.subset(first));

  ModelSpec model_spec;  // small_cnn, widths 32 64 64, hidden 128: the default experiment's
  model_spec.widths = {32, 64, 64};
  model_spec.hidden = 128;
  TrainSpec spec;  // batch 128, SGD lr 0.05 momentum 0.9 wd 5e-4
  spec.epochs = 1;
  torch::manual_seed(1);
  auto model = make_model(model_spec, {1, 28, 28}, 10);
  train_model(*model, data.slice(0, 2048), spec, 1);  // warm-up
  spec.epochs = epochs;
  const TrainStats stats = train_model(*model, data, spec, 2);
  std::printf("C++ fineprune: threads %d, %lld images x %lld epochs, batch %lld: %.1f s, %.0f images/s\n",
              threads, static_cast<long long>(images), static_cast<long long>(epochs),
              static_cast<long long>(spec.batch_size), stats.wall_s, stats.images_per_s);
  return 0;
}
