// load_picture: 8-bit Netpbm pictures (P2/P5 grey, P3/P6 colour) for trigger patterns and masks.
#include "workers/data/picture_file.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/error.h"
#include "workers/data/file_bytes.h"

namespace fineprune {
namespace {

// Largest width or height accepted: far beyond any trigger picture, small enough that
// width * height * 3 cannot overflow.
constexpr int64_t kMaxSide = 1 << 20;

class Parser {
 public:
  Parser(const std::string& path, const std::vector<unsigned char>& bytes, size_t start)
      : path_(path), b_(bytes), pos_(start) {}

  // Skips whitespace and '#' comments (which run to the end of the line).
  void skip_space() {
    while (pos_ < b_.size()) {
      if (b_[pos_] == '#') {
        while (pos_ < b_.size() && b_[pos_] != '\n' && b_[pos_] != '\r') ++pos_;
      } else if (std::isspace(b_[pos_])) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  // A non-negative decimal number no larger than `max`; `what` names it and `part` says where
  // it is ("bad header", "bad pixel data") in messages.
  int64_t number(const char* what, int64_t max, const char* part = "bad header") {
    skip_space();
    const std::string prefix = std::string(part) + ": ";
    if (pos_ >= b_.size()) throw DataError(path_, prefix + "missing " + what);
    if (!std::isdigit(b_[pos_])) {
      throw DataError(path_, prefix + what + " is not a number (byte " + std::to_string(pos_) +
                                 ")");
    }
    int64_t v = 0;
    while (pos_ < b_.size() && std::isdigit(b_[pos_])) {
      v = v * 10 + (b_[pos_++] - '0');
      if (v > max) throw DataError(path_, prefix + what + " above " + std::to_string(max));
    }
    return v;
  }

  // The one whitespace byte that separates the header from raw pixel data.
  void header_end() {
    if (pos_ >= b_.size() || !std::isspace(b_[pos_])) {
      throw DataError(path_, "bad header: no whitespace after maxval");
    }
    ++pos_;
  }

  size_t remaining() const { return b_.size() - pos_; }
  // Only called after the caller checked remaining() covers every byte it will take.
  unsigned char next_byte() { return b_[pos_++]; }

 private:
  const std::string& path_;
  const std::vector<unsigned char>& b_;
  size_t pos_;
};

}  // namespace

Picture load_picture(const std::string& path) {
  const std::vector<unsigned char> bytes = data_internal::read_file_bytes(path);
  // The magic is two bytes followed by whitespace (or a comment), so "P55" is not P5.
  if (bytes.size() < 3 || bytes[0] != 'P' ||
      (bytes[1] != '2' && bytes[1] != '3' && bytes[1] != '5' && bytes[1] != '6') ||
      !(std::isspace(bytes[2]) || bytes[2] == '#')) {
    std::string found(bytes.begin(), bytes.begin() + std::min<size_t>(bytes.size(), 2));
    for (char& c : found) {
      if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
    }
    throw DataError(path, "unknown magic '" + found + "', expected P2, P3, P5 or P6 (Netpbm)");
  }
  const char kind = static_cast<char>(bytes[1]);
  const bool ascii = kind == '2' || kind == '3';

  Picture pic;
  pic.channels = (kind == '3' || kind == '6') ? 3 : 1;
  Parser p(path, bytes, 2);
  pic.width = p.number("width", kMaxSide);
  pic.height = p.number("height", kMaxSide);
  const int64_t maxval = p.number("maxval", std::numeric_limits<int32_t>::max());
  if (pic.width == 0 || pic.height == 0) {
    throw DataError(path, "bad header: size " + std::to_string(pic.width) + " x " +
                              std::to_string(pic.height) + ", both must be positive");
  }
  if (maxval < 1 || maxval > 255) {
    throw DataError(path, "maxval " + std::to_string(maxval) +
                              " not supported, expected 1..255 (8-bit pictures only)");
  }
  const int64_t count = pic.channels * pic.height * pic.width;

  // Check there can be enough pixel bytes before allocating for them: raw pictures need one
  // byte per value, ASCII ones at least a digit and a separator (none after the last value).
  if (!ascii) p.header_end();
  const int64_t available = static_cast<int64_t>(p.remaining());
  const int64_t needed = ascii ? 2 * count - 1 : count;
  if (available < needed) {
    throw DataError(path, "too few pixel bytes: " + std::to_string(pic.width) + " x " +
                              std::to_string(pic.height) + " x " +
                              std::to_string(pic.channels) + " values need " +
                              (ascii ? "at least " : "") + std::to_string(needed) +
                              " bytes, got " + std::to_string(available));
  }

  // Netpbm stores pixels interleaved (HWC); we keep CHW like every ImageSet.
  pic.pixels.resize(static_cast<size_t>(count));
  const int64_t plane = pic.height * pic.width;
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = 0;
    if (ascii) {
      p.skip_space();
      if (p.remaining() == 0) {
        throw DataError(path, "too few pixel values: expected " + std::to_string(count) +
                                  ", got " + std::to_string(i));
      }
      v = p.number("pixel value", std::numeric_limits<int32_t>::max(), "bad pixel data");
    } else {
      v = p.next_byte();
    }
    if (v > maxval) {
      throw DataError(path, "pixel value " + std::to_string(v) + " at index " +
                                std::to_string(i) + " is above maxval " +
                                std::to_string(maxval));
    }
    const int64_t c = i % pic.channels;
    const int64_t hw = i / pic.channels;
    pic.pixels[static_cast<size_t>(c * plane + hw)] =
        static_cast<float>(v) / static_cast<float>(maxval);
  }
  return pic;
}

}  // namespace fineprune
