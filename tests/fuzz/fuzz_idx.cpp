// Fuzz target: load_idx (workers/data/idx_loader.cpp), raw and gzipped IDX image + label files.
//
// Input: byte 0 = flags (bit 0: the harness gzips the image file, bit 1: the label file), bytes
// 1-2 = length L of the image file (big-endian, cut to what is left), then L bytes of the image
// file, then the label file. With the flags clear the bytes go to disk as they are, so seeds that
// are gzip streams themselves let the fuzzer corrupt the compressed data too.
#include <zlib.h>

#include <algorithm>
#include <string>

#include "fuzz_support.h"
#include "workers/data/image_set.h"

namespace {

using fineprune::fuzz::write_seed;

std::string gzip(const std::string& raw) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // gzip wrapper
  std::string out(deflateBound(&z, raw.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void write_file(const std::string& path, const uint8_t* data, size_t size, bool gzipped) {
  if (!gzipped) {
    fineprune::fuzz::write_bytes(path, data, size);
    return;
  }
  const std::string packed = gzip(std::string(reinterpret_cast<const char*>(data), size));
  fineprune::fuzz::write_bytes(path, reinterpret_cast<const uint8_t*>(packed.data()),
                               packed.size());
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string idx_images(uint32_t n, uint32_t h, uint32_t w) {
  std::string s = be32(0x803) + be32(n) + be32(h) + be32(w);
  for (uint32_t i = 0; i < n * h * w; ++i) s += static_cast<char>(i * 37);
  return s;
}

std::string idx_labels(uint32_t n) {
  std::string s = be32(0x801) + be32(n);
  for (uint32_t i = 0; i < n; ++i) s += static_cast<char>(i % 10);
  return s;
}

std::string input(unsigned char flags, const std::string& images, const std::string& labels) {
  std::string s(1, static_cast<char>(flags));
  s += static_cast<char>(images.size() >> 8);
  s += static_cast<char>(images.size() & 0xff);
  return s + images + labels;
}

void write_seeds(const std::string& dir) {
  const std::string img = idx_images(3, 4, 5), lab = idx_labels(3);
  for (unsigned char flags = 0; flags < 4; ++flags) {
    write_seed(dir, "pair-flags" + std::to_string(flags), input(flags, img, lab));
  }
  write_seed(dir, "gzip-streams", input(0, gzip(img), gzip(lab)));
  write_seed(dir, "gzip-images-raw-labels", input(0, gzip(img), lab));
  write_seed(dir, "one-1x1", input(0, idx_images(1, 1, 1), idx_labels(1)));
  write_seed(dir, "count-mismatch", input(0, img, idx_labels(2)));
  write_seed(dir, "truncated-pixels", input(0, img.substr(0, img.size() - 7), lab));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fineprune::fuzz::write_seeds_if_asked(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return -1;  // not an input of this format: keep it out of the corpus
  const unsigned flags = data[0];
  const size_t images_len = std::min<size_t>((size_t{data[1]} << 8) | data[2], size - 3);
  static const std::string images = fineprune::fuzz::scratch_path("images.idx");
  static const std::string labels = fineprune::fuzz::scratch_path("labels.idx");
  write_file(images, data + 3, images_len, flags & 1);
  write_file(labels, data + 3 + images_len, size - 3 - images_len, flags & 2);
  fineprune::fuzz::expect_clean([&] { fineprune::load_idx(images, labels); });
  return 0;
}
