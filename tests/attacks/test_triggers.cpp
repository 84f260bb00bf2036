// Tests of the triggers: patch placement and style, blend, shaped mask from a PGM file, SIG,
// WaNet, and the factory's errors.
#include <gtest/gtest.h>

#include "tests/support/temp_files.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/experiment_spec.h"
#include "workers/attacks/trigger.h"

namespace fineprune {
namespace {


using test_support::TempDir;

// Writes an 8-bit binary PGM (P5) with the given rows of grey values.
void write_pgm(const std::string& path, const std::vector<std::vector<int>>& rows) {
  std::ofstream out(path, std::ios::binary);
  out << "P5\n" << rows[0].size() << " " << rows.size() << "\n255\n";
  for (const auto& r : rows) {
    for (int v : r) out.put(static_cast<char>(static_cast<unsigned char>(v)));
  }
}

TriggerSpec patch_spec(const std::string& position, int64_t size, int64_t margin) {
  TriggerSpec s;
  s.type = "patch";
  s.position = position;
  s.size = size;
  s.margin = margin;
  return s;
}

TEST(PatchTrigger, CheckerboardAtEachCornerWithMargin) {
  const ImageShape shape{3, 9, 10};
  const int64_t size = 3, margin = 2;
  torch::manual_seed(1);
  const torch::Tensor x = torch::rand({2, 3, 9, 10});
  for (const std::string position : {"top_left", "top_right", "bottom_left", "bottom_right"}) {
    SCOPED_TRACE(position);
    const auto trigger = make_trigger(patch_spec(position, size, margin), shape);
    const torch::Tensor out = trigger->apply(x);
    ASSERT_EQ(out.sizes(), x.sizes());
    const bool top = position.rfind("top", 0) == 0;
    const bool left = position.find("left") != std::string::npos;
    const int64_t row = top ? margin : 9 - margin - size;
    const int64_t col = left ? margin : 10 - margin - size;
    for (int64_t h = 0; h < 9; ++h) {
      for (int64_t w = 0; w < 10; ++w) {
        const bool inside = h >= row && h < row + size && w >= col && w < col + size;
        const torch::Tensor got = out.select(2, h).select(2, w);  // [N, C]
        if (inside) {
          const float want = ((h - row) + (w - col)) % 2 == 0 ? 1.0f : 0.0f;
          EXPECT_TRUE(torch::equal(got, torch::full({2, 3}, want))) << h << "," << w;
        } else {
          EXPECT_TRUE(torch::equal(got, x.select(2, h).select(2, w))) << h << "," << w;
        }
      }
    }
  }
}

// "center": over the middle of the image (where the object is), the margin unused.
TEST(PatchTrigger, CenteredPatchCoversTheMiddle) {
  TriggerSpec s = patch_spec("center", 4, 1);
  s.style = "solid";
  const auto trigger = make_trigger(s, {1, 28, 28});
  const torch::Tensor out = trigger->apply(torch::zeros({1, 1, 28, 28}));
  const torch::Tensor on = out[0][0].nonzero();
  ASSERT_EQ(on.size(0), 16);
  EXPECT_EQ(on.select(1, 0).min().item<int64_t>(), 12);  // rows 12..15 of 0..27
  EXPECT_EQ(on.select(1, 0).max().item<int64_t>(), 15);
  EXPECT_EQ(on.select(1, 1).min().item<int64_t>(), 12);
  EXPECT_EQ(on.select(1, 1).max().item<int64_t>(), 15);
}

TEST(PatchTrigger, SolidSquareOfValue) {
  TriggerSpec s = patch_spec("top_left", 2, 0);
  s.style = "solid";
  s.value = 0.7;
  const auto trigger = make_trigger(s, {1, 4, 4});
  const torch::Tensor x = torch::full({1, 1, 4, 4}, 0.25);
  const torch::Tensor out = trigger->apply(x);
  const torch::Tensor want = torch::tensor({0.7f, 0.7f, 0.25f, 0.25f, 0.7f, 0.7f, 0.25f, 0.25f,
                                            0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f})
                                 .view({1, 1, 4, 4});
  EXPECT_TRUE(torch::allclose(out, want, 0, 1e-7)) << out;
}

TEST(BlendTrigger, MixesWithAFixedNoisePattern) {
  TriggerSpec s;
  s.type = "blend";
  s.alpha = 0.2;
  const ImageShape shape{3, 6, 5};
  const auto trigger = make_trigger(s, shape);
  const auto* mp = dynamic_cast<const MaskPatternTrigger*>(trigger.get());
  ASSERT_NE(mp, nullptr);
  const torch::Tensor p = mp->pattern();
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{3, 6, 5}));
  EXPECT_GE(p.min().item<float>(), 0.0f);
  EXPECT_LE(p.max().item<float>(), 1.0f);
  EXPECT_GT(p.std().item<float>(), 0.1f);  // noise, not a constant

  torch::manual_seed(2);
  const torch::Tensor x = torch::rand({4, 3, 6, 5});
  EXPECT_TRUE(torch::allclose(trigger->apply(x), 0.8 * x + 0.2 * p.unsqueeze(0), 0, 1e-6));

  const auto same = make_trigger(s, shape);
  EXPECT_TRUE(torch::equal(same->apply(x), trigger->apply(x)));
  s.pattern_seed = 54321;
  const auto other = make_trigger(s, shape);
  EXPECT_FALSE(torch::allclose(other->apply(x), trigger->apply(x), 0, 1e-3));
}

TEST(BlendTrigger, ImagePatternFromPgm) {
  TempDir dir;
  write_pgm(dir.file("p.pgm"), {{0, 255, 51}, {102, 0, 255}});
  TriggerSpec s;
  s.type = "blend";
  s.pattern = "image";
  s.image = dir.file("p.pgm");
  s.alpha = 0.5;
  const auto trigger = make_trigger(s, {3, 2, 3});
  const torch::Tensor x = torch::zeros({1, 3, 2, 3});
  const torch::Tensor grey = torch::tensor({0.0f, 1.0f, 0.2f, 0.4f, 0.0f, 1.0f}).view({1, 1, 2, 3});
  EXPECT_TRUE(torch::allclose(trigger->apply(x), 0.5 * grey.expand({1, 3, 2, 3}), 0, 1e-6));
}

TEST(MaskTrigger, PgmIntensityIsTheMask) {
  TempDir dir;
  std::vector<std::vector<int>> rows(4, std::vector<int>(5, 0));
  rows[1][2] = 255;
  rows[3][4] = 51;  // 0.2
  write_pgm(dir.file("glasses.pgm"), rows);
  TriggerSpec s;
  s.type = "mask";
  s.image = dir.file("glasses.pgm");
  s.value = 0.9;
  const auto trigger = make_trigger(s, {2, 4, 5});
  torch::manual_seed(3);
  const torch::Tensor x = torch::rand({3, 2, 4, 5});
  const torch::Tensor out = trigger->apply(x);
  torch::Tensor want = x.clone();
  want.select(2, 1).select(2, 2).fill_(0.9);
  want.select(2, 3).select(2, 4).copy_(0.8 * x.select(2, 3).select(2, 4) + 0.2 * 0.9);
  EXPECT_TRUE(torch::allclose(out, want, 0, 1e-6));
  // Pixels outside the mask are untouched, bit for bit.
  EXPECT_TRUE(torch::equal(out.select(2, 0), x.select(2, 0)));

  // A picture of another size is resized to the images.
  write_pgm(dir.file("m.pgm"), {{255, 255}, {0, 0}});
  s.image = dir.file("m.pgm");
  s.value = 1.0;
  const torch::Tensor resized = make_trigger(s, {1, 8, 8})->apply(torch::zeros({1, 1, 8, 8}));
  EXPECT_EQ(resized.sizes(), (std::vector<int64_t>{1, 1, 8, 8}));
  EXPECT_FLOAT_EQ(resized[0][0][0][3].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(resized[0][0][7][3].item<float>(), 0.0f);
}

TEST(SigTrigger, AddsAColumnSinusoidAndClamps) {
  TriggerSpec s;
  s.type = "sig";
  s.delta = 20;
  s.frequency = 6;
  const int64_t H = 3, W = 16;
  const auto trigger = make_trigger(s, {2, H, W});
  const torch::Tensor x = torch::cat({torch::full({1, 2, H, W}, 0.5), torch::zeros({1, 2, H, W}),
                                      torch::ones({1, 2, H, W})});
  const torch::Tensor out = trigger->apply(x);
  ASSERT_EQ(out.sizes(), x.sizes());
  for (int64_t j = 0; j < W; ++j) {
    const double v = 20.0 / 255.0 * std::sin(2 * M_PI * j * 6.0 / W);
    const torch::Tensor col = out.select(3, j);  // [3, 2, H]
    EXPECT_NEAR(col[0].min().item<float>(), 0.5 + v, 1e-6) << j;
    EXPECT_NEAR(col[0].max().item<float>(), 0.5 + v, 1e-6) << j;
    EXPECT_NEAR(col[1].max().item<float>(), std::max(0.0, v), 1e-6) << j;
    EXPECT_NEAR(col[1].min().item<float>(), std::max(0.0, v), 1e-6) << j;
    EXPECT_NEAR(col[2].max().item<float>(), std::min(1.0, 1.0 + v), 1e-6) << j;
    EXPECT_NEAR(col[2].min().item<float>(), std::min(1.0, 1.0 + v), 1e-6) << j;
  }
}

// Smooth images: a low-frequency pattern a small warp barely changes.
torch::Tensor smooth_images(int64_t n, int64_t c, int64_t h, int64_t w) {
  const torch::Tensor i = torch::arange(h, torch::kFloat32).view({1, 1, h, 1});
  const torch::Tensor j = torch::arange(w, torch::kFloat32).view({1, 1, 1, w});
  const torch::Tensor phase = torch::arange(n * c, torch::kFloat32).view({n, c, 1, 1});
  return 0.5 + 0.4 * torch::sin(2 * M_PI * i / h + phase) * torch::cos(2 * M_PI * j / w + phase);
}

TEST(WanetTrigger, SmallDeterministicWarp) {
  TriggerSpec s;
  s.type = "wanet";
  s.k = 4;
  s.strength = 0.5;
  const ImageShape shape{3, 32, 32};
  const torch::Tensor x = smooth_images(4, 3, 32, 32);
  const auto trigger = make_trigger(s, shape);
  const torch::Tensor out = trigger->apply(x);
  ASSERT_EQ(out.sizes(), x.sizes());
  const double mean_diff = (out - x).abs().mean().item<double>();
  EXPECT_GT(mean_diff, 1e-4);
  EXPECT_LT(mean_diff, 0.1);
  EXPECT_GE(out.min().item<float>(), 0.0f);
  EXPECT_LE(out.max().item<float>(), 1.0f);
  EXPECT_TRUE(torch::equal(make_trigger(s, shape)->apply(x), out));
  s.pattern_seed = 777;
  EXPECT_FALSE(torch::allclose(make_trigger(s, shape)->apply(x), out, 0, 1e-5));
  // Bright images stay in range after the warp too.
  const torch::Tensor bright = trigger->apply(torch::ones({1, 3, 32, 32}));
  EXPECT_LE(bright.max().item<float>(), 1.0f);
  EXPECT_GE(bright.min().item<float>(), 0.0f);
}

TEST(TriggerFactory, BadSpecsThrow) {
  // A patch that does not fit (size + margin larger than a side).
  EXPECT_THROW(make_trigger(patch_spec("bottom_right", 8, 1), {1, 8, 8}), InputError);
  EXPECT_THROW(make_trigger(patch_spec("top_left", 3, 0), {1, 2, 8}), InputError);
  EXPECT_NO_THROW(make_trigger(patch_spec("top_left", 7, 1), {1, 8, 8}));
  // An unknown type.
  TriggerSpec s;
  s.type = "sticker";
  EXPECT_THROW(make_trigger(s, {1, 8, 8}), InputError);
  // A missing mask picture: DataError naming the file.
  s.type = "mask";
  s.image = "/nonexistent/fineprune/glasses.pgm";
  try {
    make_trigger(s, {1, 8, 8});
    ADD_FAILURE() << "no exception for a missing picture";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(s.image), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fineprune
