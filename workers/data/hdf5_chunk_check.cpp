// hdf5_chunk_problem: raw chunks inflated, unshuffled and stripped of their checksum here, so a
// chunk that does not give back its own size is refused before H5Dread over-reads it.
#include "workers/data/hdf5_chunk_check.h"

#include <zlib.h>

#include <vector>

namespace fineprune {
namespace {

// One filter of the dataset's pipeline, in the order HDF5 applied them when writing.
struct Filter {
  H5Z_filter_t id = -1;
  std::string name;
};

std::string offset_text(const std::vector<hsize_t>& offset) {
  std::string s = "(";
  for (size_t i = 0; i < offset.size(); ++i) s += (i ? ", " : "") + std::to_string(offset[i]);
  return s + ")";
}

// Inflates a zlib stream of at most `limit` bytes of output; false when the stream is not a
// complete, valid one or would give more than `limit`.
bool inflate_bytes(const std::vector<unsigned char>& in, size_t limit, std::vector<unsigned char>& out) {
  out.assign(limit + 1, 0);  // one byte more, to see a stream that is too long
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return false;
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const size_t produced = out.size() - z.avail_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return false;
  out.resize(produced);
  return true;
}

// HDF5's shuffle filter stores byte k of every element together; this puts them back. A tail
// shorter than one element was left as it was, and is here too.
void unshuffle(std::vector<unsigned char>& bytes, size_t element_size) {
  const size_t count = element_size > 1 ? bytes.size() / element_size : 0;
  if (count < 2) return;
  std::vector<unsigned char> out(bytes);
  for (size_t b = 0; b < element_size; ++b)
    for (size_t e = 0; e < count; ++e) out[e * element_size + b] = bytes[b * count + e];
  bytes.swap(out);
}

}  // namespace

std::string hdf5_chunk_problem(hid_t dataset, size_t element_size, uint64_t file_size) {
  const hid_t dcpl = H5Dget_create_plist(dataset);
  if (dcpl < 0) return "cannot read its creation properties";
  std::vector<Filter> filters;
  std::vector<hsize_t> chunk;
  const bool chunked = H5Pget_layout(dcpl) == H5D_CHUNKED;
  const int nfilters = chunked ? H5Pget_nfilters(dcpl) : 0;
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, config = 0;
    size_t nvalues = 0;
    char name[64] = {0};
    Filter f;
    f.id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &nvalues, nullptr, sizeof name, name, &config);
    f.name = name;
    filters.push_back(f);
  }
  const hid_t space = H5Dget_space(dataset);
  const int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  if (space >= 0) H5Sclose(space);
  if (!filters.empty() && rank > 0) {
    chunk.resize(dims.size());
    if (H5Pget_chunk(dcpl, rank, chunk.data()) != rank) chunk.clear();
  }
  H5Pclose(dcpl);
  if (filters.empty() || rank <= 0) return "";
  if (chunk.empty()) return "cannot read its chunk layout";
  for (const Filter& f : filters) {
    if (f.id != H5Z_FILTER_DEFLATE && f.id != H5Z_FILTER_SHUFFLE && f.id != H5Z_FILTER_FLETCHER32) {
      return "stored with the HDF5 filter '" + f.name + "' (id " + std::to_string(f.id) +
             "), whose chunks fineprune cannot check before reading them; only gzip (deflate), "
             "shuffle and Fletcher-32 are read. Rewrite the file with them, for example "
             "`h5repack -f GZIP=6 in.h5 out.h5`";
    }
  }
  uint64_t chunk_bytes = element_size;
  std::vector<hsize_t> grid(dims.size());
  uint64_t nchunks = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    chunk_bytes *= chunk[i];
    grid[i] = (dims[i] + chunk[i] - 1) / chunk[i];
    nchunks *= grid[i];
  }
  std::vector<hsize_t> index(dims.size(), 0), offset(dims.size(), 0);
  std::vector<unsigned char> raw, out;
  for (uint64_t n = 0; n < nchunks; ++n) {
    for (size_t i = 0; i < dims.size(); ++i) offset[i] = index[i] * chunk[i];
    unsigned mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t stored = 0;
    if (H5Dget_chunk_info_by_coord(dataset, offset.data(), &mask, &address, &stored) < 0) {
      return "cannot find its chunk at " + offset_text(offset);
    }
    if (address != HADDR_UNDEF) {  // an unwritten chunk holds the fill value: nothing stored
      if (stored > file_size) {
        return "its chunk at " + offset_text(offset) + " claims " + std::to_string(stored) +
               " stored bytes, more than the whole file (" + std::to_string(file_size) + ")";
      }
      raw.assign(static_cast<size_t>(stored), 0);
      uint32_t read_mask = 0;
      if (H5Dread_chunk(dataset, H5P_DEFAULT, offset.data(), &read_mask, raw.data()) < 0) {
        return "cannot read its chunk at " + offset_text(offset);
      }
      for (size_t k = filters.size(); k-- > 0;) {
        if (mask & (1u << k)) continue;  // this filter was skipped for this chunk
        const Filter& f = filters[k];
        if (f.id == H5Z_FILTER_FLETCHER32) {
          if (raw.size() < 4) return "its chunk at " + offset_text(offset) + " is too short for its checksum";
          raw.resize(raw.size() - 4);  // H5Dread verifies the checksum itself
        } else if (f.id == H5Z_FILTER_SHUFFLE) {
          unshuffle(raw, element_size);
        } else {
          if (!inflate_bytes(raw, static_cast<size_t>(chunk_bytes), out)) {
            return "its chunk at " + offset_text(offset) + " is not a valid gzip (deflate) stream of at most " +
                   std::to_string(chunk_bytes) + " bytes";
          }
          raw.swap(out);
        }
      }
      if (raw.size() != chunk_bytes) {
        return "its chunk at " + offset_text(offset) + " holds " + std::to_string(raw.size()) +
               " bytes once its filters are undone, but a chunk is " + std::to_string(chunk_bytes) +
               " bytes (a damaged file)";
      }
    }
    for (size_t i = dims.size(); i-- > 0;) {  // next chunk, last axis fastest
      if (++index[i] < grid[i]) break;
      index[i] = 0;
    }
  }
  return "";
}

}  // namespace fineprune
