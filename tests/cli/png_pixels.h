// Reads a PNG file into 8-bit RGB pixels (libpng's simplified API), for the figure tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fineprune::e2e {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel
};

// Throws std::runtime_error with libpng's message when the file is not a readable PNG.
RgbImage read_png(const std::string& path);

// Pixels whose colour is exactly "#rrggbb", in the top `rows` rows (all with -1).
int pixels_of_color(const RgbImage& image, const std::string& hex, int rows = -1);

// Pixels of "#rrggbb" drawn over white with an anti-aliased coverage of 40% or more (a thin
// line rarely has a pixel of its exact colour), in the top `rows` rows (all with -1).
int pixels_blended_from(const RgbImage& image, const std::string& hex, int rows = -1);

// Pixels that are not (near) white: what the figure actually draws.
double inked_fraction(const RgbImage& image);

}  // namespace fineprune::e2e
