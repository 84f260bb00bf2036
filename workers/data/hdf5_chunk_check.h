// hdf5_chunk_problem: every filtered chunk of a dataset read raw and its filters undone here,
// before libhdf5 is trusted to read it (fuzzing finding F10, tests/fuzz/README.md).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>

namespace fineprune {

// libhdf5 1.10 copies a whole chunk's size out of a filtered chunk that inflates to fewer bytes:
// a heap over-read that, without a sanitizer, hands bytes from beyond its buffer back as data.
// This reads each stored chunk of `dataset` raw (H5Dread_chunk), undoes its filters (deflate,
// shuffle, Fletcher-32: the ones HDF5 writers use for image data) and returns "" when each gives
// back exactly the chunk's size, or else what is wrong, naming the chunk by its offset. A filter
// it cannot undo is a problem too (named, with a way to rewrite the file). Datasets that are not
// chunked or not filtered have nothing to check. `file_size` bounds any one chunk's stored size.
std::string hdf5_chunk_problem(hid_t dataset, size_t element_size, uint64_t file_size);

}  // namespace fineprune
