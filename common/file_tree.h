// Removing a folder and everything in it, without std::filesystem::remove_all.
//
// Why not remove_all: PyTorch's pip wheels export their own copy of libstdc++'s std::filesystem
// from libtorch.so. A fineprune built against that LibTorch with a newer g++ binds its calls to
// that copy, and remove_all(path, error_code&) jumped to address 0 on the GPU machine (measured:
// torch 2.11 wheel, g++ 13; the sweep crashed after its first task). nftw() is plain libc.
#pragma once

#include <string>

namespace fineprune {

// Removes `path` (a file, a link or a folder with all it holds; links are not followed).
// Returns false, leaving what it could not remove, when something could not be removed; a path
// that does not exist counts as removed.
bool remove_tree(const std::string& path);

}  // namespace fineprune
