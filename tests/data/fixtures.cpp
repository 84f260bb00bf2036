// Test fixtures for workers/data: a temporary folder and writers for IDX, CIFAR-10 and HDF5 files.
#include "fixtures.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fineprune::test {

namespace fs = std::filesystem;

void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("fixture: cannot write " + path);
}

void write_gz(const std::string& path, const Bytes& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  if (gz == nullptr) throw std::runtime_error("fixture: cannot gzopen " + path);
  const int n = bytes.empty() ? 0 : gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
  if (n != static_cast<int>(bytes.size())) throw std::runtime_error("fixture: gzwrite " + path);
}

Bytes be32(uint32_t v) {
  return {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
          static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
}

Bytes idx_images(uint32_t n, uint32_t h, uint32_t w, const Bytes& pixels) {
  Bytes out = be32(0x803);
  for (uint32_t d : {n, h, w}) {
    const Bytes b = be32(d);
    out.insert(out.end(), b.begin(), b.end());
  }
  out.insert(out.end(), pixels.begin(), pixels.end());
  return out;
}

Bytes idx_labels(const Bytes& labels) {
  Bytes out = be32(0x801);
  const Bytes n = be32(static_cast<uint32_t>(labels.size()));
  out.insert(out.end(), n.begin(), n.end());
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

void write_idx_pair(const std::string& images, const std::string& labels, uint32_t n, uint32_t h,
                    uint32_t w, const Bytes& label_values, bool gz) {
  Bytes pixels;
  for (uint32_t i = 0; i < n; ++i) pixels.insert(pixels.end(), h * w, static_cast<unsigned char>(i));
  const Bytes img = idx_images(n, h, w, pixels);
  const Bytes lab = idx_labels(label_values);
  if (gz) {
    write_gz(images, img);
    write_gz(labels, lab);
  } else {
    write_file(images, img);
    write_file(labels, lab);
  }
}

Bytes cifar_record(unsigned char label, unsigned char shift) {
  Bytes r{label};
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) {
        r.push_back(static_cast<unsigned char>((c * 64 + y * 2 + x + shift) % 256));
      }
    }
  }
  return r;
}

H5Writer::H5Writer(const std::string& path) {
  file_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) throw std::runtime_error("fixture: cannot create " + path);
}

H5Writer::~H5Writer() {
  if (file_ >= 0) H5Fclose(file_);
}

void H5Writer::add(const std::string& key, const std::vector<hsize_t>& dims, hid_t file_type,
                   hid_t mem_type, const void* data, bool deflate) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (deflate || data == nullptr) {
    std::vector<hsize_t> chunk(dims.size(), 1);
    if (!chunk.empty()) chunk.back() = std::min<hsize_t>(std::max<hsize_t>(dims.back(), 1), 1024);
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    if (deflate) H5Pset_deflate(dcpl, 6);
  }
  const hid_t ds = H5Dcreate2(file_, key.c_str(), file_type, space, lcpl, dcpl, H5P_DEFAULT);
  herr_t status = ds < 0 ? -1 : 0;
  if (ds >= 0 && data != nullptr) {
    status = H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  }
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(dcpl);
  H5Pclose(lcpl);
  H5Sclose(space);
  if (status < 0) throw std::runtime_error("fixture: cannot write dataset " + key);
}

}  // namespace fineprune::test
