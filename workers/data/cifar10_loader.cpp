// load_cifar10: CIFAR-10 binary batches (1 label byte + R, G and B planes of 32x32 per record).
#include <fstream>

#include "common/error.h"
#include "workers/data/file_bytes.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

constexpr int64_t kSide = 32;
constexpr int64_t kChannels = 3;
constexpr int64_t kPixelBytes = kChannels * kSide * kSide;  // 3072
constexpr int64_t kRecordBytes = 1 + kPixelBytes;           // 3073
constexpr int64_t kClasses = 10;

}  // namespace

namespace {

// Reads the batches, checking them as load_cifar10 documents; the pixels go to `pixels` (as
// floats in [0, 1]) when it is given, else they are read and dropped.
ImageSetInfo read_cifar10(const std::vector<std::string>& batch_paths, std::vector<float>* pixels) {
  if (batch_paths.empty()) throw InputError("load_cifar10: no batch files given");

  // Every size is checked before anything is allocated, so a wrong file fails fast and the
  // allocation below is bounded by the files' real sizes.
  std::vector<int64_t> records;
  int64_t total = 0;
  for (const std::string& path : batch_paths) {
    const uint64_t size = data_internal::regular_file_size(path);
    if (size == 0 || size % kRecordBytes != 0) {
      throw DataError(path, "size " + std::to_string(size) +
                                " bytes is not a positive whole number of " +
                                std::to_string(kRecordBytes) + "-byte CIFAR-10 records");
    }
    records.push_back(static_cast<int64_t>(size / kRecordBytes));
    total += records.back();
  }

  ImageSetInfo info;
  info.channels = kChannels;
  info.height = kSide;
  info.width = kSide;
  info.labels.reserve(static_cast<size_t>(total));
  float* dst = nullptr;
  if (pixels != nullptr) {
    pixels->resize(static_cast<size_t>(total * kPixelBytes));
    dst = pixels->data();
  }

  std::vector<unsigned char> record(kRecordBytes);
  for (size_t f = 0; f < batch_paths.size(); ++f) {
    const std::string& path = batch_paths[f];
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(path, "cannot open for reading");
    for (int64_t r = 0; r < records[f]; ++r) {
      in.read(reinterpret_cast<char*>(record.data()), kRecordBytes);
      if (in.gcount() != kRecordBytes) {  // the file shrank after we measured it
        throw DataError(path, "truncated: expected " + std::to_string(records[f] * kRecordBytes) +
                                  " bytes, got " +
                                  std::to_string(r * kRecordBytes + in.gcount()));
      }
      if (record[0] >= kClasses) {
        throw DataError(path, "record " + std::to_string(r) + " (byte offset " +
                                  std::to_string(r * kRecordBytes) + "): label " +
                                  std::to_string(record[0]) + " is not in 0..9");
      }
      info.labels.push_back(record[0]);
      if (dst == nullptr) continue;
      // The record's planes are already channel-major, which is exactly one CHW image.
      for (int64_t i = 0; i < kPixelBytes; ++i) {
        *dst++ = static_cast<float>(record[1 + i]) / 255.0f;
      }
    }
  }
  return info;
}

}  // namespace

ImageSet load_cifar10(const std::vector<std::string>& batch_paths) {
  ImageSet set;
  ImageSetInfo info = read_cifar10(batch_paths, &set.pixels);
  set.channels = info.channels;
  set.height = info.height;
  set.width = info.width;
  set.labels = std::move(info.labels);
  return set;
}

ImageSetInfo scan_cifar10(const std::vector<std::string>& batch_paths) {
  return read_cifar10(batch_paths, nullptr);
}

}  // namespace fineprune
