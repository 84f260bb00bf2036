// Reads a single picture (a trigger pattern or a trigger mask) from a Netpbm file: PGM (P2, P5)
// or PPM (P3, P6), 8-bit. Convert PNGs first, e.g. `convert glasses.png glasses.pgm`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fineprune {

struct Picture {
  int64_t channels = 0;  // 1 for PGM, 3 for PPM
  int64_t height = 0;
  int64_t width = 0;
  std::vector<float> pixels;  // CHW, in [0, 1] (value / maxval)
};

// Throws DataError naming the file for a missing file, an unknown magic, a bad header, a maxval
// above 255, or too few pixel bytes.
Picture load_picture(const std::string& path);

}  // namespace fineprune
