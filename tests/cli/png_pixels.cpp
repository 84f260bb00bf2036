// PNG decoding for the figure tests.
#include "png_pixels.h"

#include <algorithm>

#include <png.h>

#include <cstdlib>
#include <stdexcept>

namespace fineprune::e2e {

RgbImage read_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0) {
    throw std::runtime_error(path + ": " + image.message);
  }
  image.format = PNG_FORMAT_RGB;
  RgbImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  // A white background for any transparency, so "inked" means drawn.
  png_color white{255, 255, 255};
  if (png_image_finish_read(&image, &white, out.rgb.data(), 0, nullptr) == 0) {
    const std::string message = image.message;
    png_image_free(&image);
    throw std::runtime_error(path + ": " + message);
  }
  return out;
}

int pixels_of_color(const RgbImage& image, const std::string& hex, int rows) {
  const long value = std::strtol(hex.c_str() + 1, nullptr, 16);
  const uint8_t r = static_cast<uint8_t>(value >> 16), g = static_cast<uint8_t>(value >> 8),
                b = static_cast<uint8_t>(value);
  const size_t end = rows < 0 ? image.rgb.size() : std::min(image.rgb.size(), static_cast<size_t>(rows) * image.width * 3);
  int n = 0;
  for (size_t i = 0; i + 2 < end; i += 3) {
    if (image.rgb[i] == r && image.rgb[i + 1] == g && image.rgb[i + 2] == b) ++n;
  }
  return n;
}

int pixels_blended_from(const RgbImage& image, const std::string& hex, int rows) {
  const long value = std::strtol(hex.c_str() + 1, nullptr, 16);
  const double target[3] = {static_cast<double>((value >> 16) & 255), static_cast<double>((value >> 8) & 255),
                            static_cast<double>(value & 255)};
  const size_t end = rows < 0 ? image.rgb.size() : std::min(image.rgb.size(), static_cast<size_t>(rows) * image.width * 3);
  int n = 0;
  for (size_t i = 0; i + 2 < end; i += 3) {
    // pixel = 255 - a (255 - target) per channel, for one coverage a in [0.4, 1].
    double a_min = 2, a_max = -1;
    bool fits = true;
    for (int k = 0; k < 3 && fits; ++k) {
      const double depth = 255 - target[k], got = 255 - static_cast<double>(image.rgb[i + k]);
      if (depth < 30) {
        fits = got < 30;  // a channel the colour barely darkens stays near white
        continue;
      }
      const double a = got / depth;
      a_min = std::min(a_min, a);
      a_max = std::max(a_max, a);
    }
    if (fits && a_max >= 0 && a_min >= 0.4 && a_max <= 1.05 && a_max - a_min <= 0.12) ++n;
  }
  return n;
}

double inked_fraction(const RgbImage& image) {
  size_t inked = 0;
  for (size_t i = 0; i + 2 < image.rgb.size(); i += 3) {
    if (image.rgb[i] < 240 || image.rgb[i + 1] < 240 || image.rgb[i + 2] < 240) ++inked;
  }
  return image.rgb.empty() ? 0.0 : static_cast<double>(inked) / static_cast<double>(image.rgb.size() / 3);
}

}  // namespace fineprune::e2e
