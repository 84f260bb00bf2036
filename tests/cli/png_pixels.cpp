// PNG decoding for the figure tests.
#include "png_pixels.h"

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

int pixels_of_color(const RgbImage& image, const std::string& hex) {
  const long value = std::strtol(hex.c_str() + 1, nullptr, 16);
  const uint8_t r = static_cast<uint8_t>(value >> 16), g = static_cast<uint8_t>(value >> 8),
                b = static_cast<uint8_t>(value);
  int n = 0;
  for (size_t i = 0; i + 2 < image.rgb.size(); i += 3) {
    if (image.rgb[i] == r && image.rgb[i + 1] == g && image.rgb[i + 2] == b) ++n;
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
