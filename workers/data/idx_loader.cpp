// load_idx: MNIST-style IDX image and label files, gzipped or plain.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "common/error.h"
#include "workers/data/file_bytes.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

using data_internal::hex32;

constexpr uint32_t kImagesMagic = 0x00000803;  // ubyte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // ubyte, 1 dimension
// Deflate cannot expand beyond about 1032:1, so a gzip file of S bytes never holds more than
// this many times S: the bound on what we reserve before the data has actually arrived.
constexpr uint64_t kMaxDeflateRatio = 1040;

// One open IDX file. gzread reads plain files transparently, so one reader serves both; the
// 1f 8b check only tells the messages whether byte counts are decompressed ones.
class IdxFile {
 public:
  explicit IdxFile(const std::string& path) : path_(path) {
    file_size_ = data_internal::regular_file_size(path);
    errno = 0;
    gz_ = gzopen(path.c_str(), "rb");
    if (gz_ == nullptr) {
      throw DataError(path, std::string("cannot open: ") +
                                (errno != 0 ? std::strerror(errno) : "out of memory"));
    }
    unsigned char head[2] = {0, 0};
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f != nullptr) {
      gzipped_ = std::fread(head, 1, 2, f) == 2 && head[0] == 0x1f && head[1] == 0x8b;
      std::fclose(f);
    }
  }
  ~IdxFile() { gzclose(gz_); }
  IdxFile(const IdxFile&) = delete;
  IdxFile& operator=(const IdxFile&) = delete;

  // Appends up to `n` bytes to `out`, growing it only as data arrives; returns the count read.
  uint64_t read(uint64_t n, std::vector<unsigned char>& out) {
    const uint64_t bound = gzipped_ ? file_size_ * kMaxDeflateRatio : file_size_;
    out.reserve(out.size() + static_cast<size_t>(std::min(n, bound)));
    uint64_t got = 0;
    constexpr uint64_t kChunk = 1 << 20;
    while (got < n) {
      const unsigned want = static_cast<unsigned>(std::min(kChunk, n - got));
      const size_t at = out.size();
      out.resize(at + want);
      const int r = gzread(gz_, out.data() + at, want);
      if (r < 0) {
        int code = 0;
        const char* msg = gzerror(gz_, &code);
        std::string text = msg != nullptr ? msg : "read error";
        // zlib prefixes its message with the path, which DataError adds already.
        if (text.rfind(path_ + ": ", 0) == 0) text.erase(0, path_.size() + 2);
        throw DataError(path_, "corrupt gzip data: " + text);
      }
      out.resize(at + static_cast<size_t>(r));
      got += static_cast<uint64_t>(r);
      if (static_cast<unsigned>(r) < want) break;  // end of file
    }
    return got;
  }

  // Reads exactly `n` bytes found at `offset` or throws "truncated" with the counts: the file
  // should hold `total` bytes (default offset + n), described by `what`.
  std::vector<unsigned char> read_exact(uint64_t n, uint64_t offset, const std::string& what,
                                        uint64_t total = 0) {
    std::vector<unsigned char> out;
    const uint64_t got = read(n, out);
    if (got < n) {
      if (total == 0) total = offset + n;
      throw DataError(path_, "truncated: expected " + std::to_string(total) + " bytes (" +
                                 what + "), got " + std::to_string(offset + got) +
                                 (gzipped_ ? " after decompression" : ""));
    }
    return out;
  }

  // gzip checks its CRC only when the stream's end is read: read on past the data, so a stream
  // whose bytes were changed is refused even where they still inflate. Bytes after the data
  // are not an error (the header says how many images there are).
  void check_end() {
    std::vector<unsigned char> rest;
    read(1, rest);
  }

 private:
  std::string path_;
  gzFile gz_ = nullptr;
  uint64_t file_size_ = 0;
  bool gzipped_ = false;
};

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads the header: checks the magic and returns the `ndims` dimensions.
std::vector<uint64_t> read_header(IdxFile& file, const std::string& path, uint32_t magic,
                                  int ndims, const char* kind) {
  const uint64_t header_bytes = 4 + 4 * static_cast<uint64_t>(ndims);
  std::vector<unsigned char> magic_bytes = file.read_exact(4, 0, "header", header_bytes);
  const uint32_t found = be32(magic_bytes.data());
  if (found != magic) {
    throw DataError(path, "bad magic number " + hex32(found) + ", expected " + hex32(magic) +
                              " (IDX " + kind + ")");
  }
  const std::vector<unsigned char> dims_bytes = file.read_exact(header_bytes - 4, 4, "header");
  std::vector<uint64_t> dims;
  for (int i = 0; i < ndims; ++i) dims.push_back(be32(dims_bytes.data() + 4 * i));
  return dims;
}

}  // namespace

namespace {

// Reads both files, checking them as load_idx documents; the pixels go to `pixels` when it is
// given, else they are read in chunks (so the whole stream is checked) and dropped.
ImageSetInfo read_idx(const std::string& images_path, const std::string& labels_path,
                      std::vector<unsigned char>* pixels) {
  // Both headers first, so a count mismatch fails before tens of megabytes are decompressed.
  IdxFile images(images_path);
  const std::vector<uint64_t> d = read_header(images, images_path, kImagesMagic, 3, "images");
  if (d[0] == 0 || d[1] == 0 || d[2] == 0) {
    throw DataError(images_path, "bad header: dimensions " + std::to_string(d[0]) + " x " +
                                     std::to_string(d[1]) + " x " + std::to_string(d[2]) +
                                     ", each must be positive");
  }
  // Each dimension is < 2^32, so d1 * d2 cannot overflow; the product with d0 might.
  const uint64_t per_image = d[1] * d[2];
  if (d[0] > std::numeric_limits<uint64_t>::max() / 8 / per_image) {
    throw DataError(images_path, "bad header: " + std::to_string(d[0]) + " images of " +
                                     std::to_string(per_image) + " pixels is not a real size");
  }
  IdxFile labels(labels_path);
  const uint64_t n_labels = read_header(labels, labels_path, kLabelsMagic, 1, "labels")[0];
  if (n_labels != d[0]) {
    throw DataError(images_path, "holds " + std::to_string(d[0]) + " images but " + labels_path +
                                     " holds " + std::to_string(n_labels) + " labels");
  }

  const std::string what = "header + " + std::to_string(d[0]) + " x " + std::to_string(d[1]) +
                           " x " + std::to_string(d[2]) + " pixels";
  const uint64_t pixel_bytes = d[0] * per_image;
  if (pixels != nullptr) {
    *pixels = images.read_exact(pixel_bytes, 16, what);
  } else {
    // Chunk by chunk, each chunk dropped: a scan needs to know the stream is whole, not its bytes.
    constexpr uint64_t kScanChunk = uint64_t{1} << 22;
    for (uint64_t done = 0; done < pixel_bytes;) {
      const uint64_t want = std::min(kScanChunk, pixel_bytes - done);
      images.read_exact(want, 16 + done, what, 16 + pixel_bytes);
      done += want;
    }
  }
  const std::vector<unsigned char> raw_labels =
      labels.read_exact(n_labels, 8, "header + " + std::to_string(n_labels) + " labels");
  images.check_end();
  labels.check_end();

  ImageSetInfo info;
  info.channels = 1;
  info.height = static_cast<int64_t>(d[1]);
  info.width = static_cast<int64_t>(d[2]);
  info.labels.assign(raw_labels.begin(), raw_labels.end());  // uint8: always within 0..255
  return info;
}

}  // namespace

ImageSet load_idx(const std::string& images_path, const std::string& labels_path) {
  std::vector<unsigned char> raw_pixels;
  ImageSetInfo info = read_idx(images_path, labels_path, &raw_pixels);
  ImageSet set;
  set.channels = info.channels;
  set.height = info.height;
  set.width = info.width;
  set.labels = std::move(info.labels);
  set.pixels.resize(raw_pixels.size());
  std::transform(raw_pixels.begin(), raw_pixels.end(), set.pixels.begin(),
                 [](unsigned char v) { return static_cast<float>(v) / 255.0f; });
  return set;
}

ImageSetInfo scan_idx(const std::string& images_path, const std::string& labels_path) {
  return read_idx(images_path, labels_path, nullptr);
}

}  // namespace fineprune
