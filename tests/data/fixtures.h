// Test fixtures for workers/data: a temporary folder and writers for IDX, CIFAR-10 and HDF5 files.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/temp_files.h"

namespace fineprune::test {

using Bytes = std::vector<unsigned char>;

using test_support::TempDir;
using test_support::write_text;

void write_file(const std::string& path, const Bytes& bytes);
void write_gz(const std::string& path, const Bytes& bytes);

Bytes be32(uint32_t v);
// An IDX image file: magic 0x803, dims n x h x w, then `pixels` (not checked against the dims,
// so tests can write truncated files).
Bytes idx_images(uint32_t n, uint32_t h, uint32_t w, const Bytes& pixels);
Bytes idx_labels(const Bytes& labels);
// Writes matching IDX image and label files (gzipped if `gz`): image i has every pixel equal to
// i % 256, so tests can tell images apart after a split, and label label_values[i].
void write_idx_pair(const std::string& images, const std::string& labels, uint32_t n, uint32_t h,
                    uint32_t w, const Bytes& label_values, bool gz);

// One CIFAR-10 record: label byte, then channel c of pixel (y, x) = (c * 64 + y * 2 + x) % 256
// + `shift` (mod 256), so layout mistakes show.
Bytes cifar_record(unsigned char label, unsigned char shift);

// Writes HDF5 datasets; the file is created (truncated) at construction, closed at destruction.
class H5Writer {
 public:
  explicit H5Writer(const std::string& path);
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;
  // Dataset `key` (intermediate groups created) of `file_type`, written from `data` of
  // `mem_type`; `deflate` stores it chunked and gzip-compressed; data == nullptr leaves it
  // unwritten (chunked, so nothing is allocated in the file).
  void add(const std::string& key, const std::vector<hsize_t>& dims, hid_t file_type,
           hid_t mem_type, const void* data, bool deflate = false);

 private:
  hid_t file_ = -1;
};

}  // namespace fineprune::test
