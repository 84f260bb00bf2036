// PyTorch state_dict files: what `torch.save(model.state_dict(), path)` writes (the zip format,
// PyTorch's default since 1.6), read without running Python or any of the file's code.
//
// The file's pickle is read by a small interpreter that knows only what a state_dict needs:
// dicts (OrderedDict included), lists, tuples, strings, numbers and tensors rebuilt from the
// archive's storages. Any other global (a whole pickled nn.Module, a custom class, a function) is
// refused by name, so a received file can never execute anything.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace fineprune {

struct NamedTensor {
  std::string name;
  torch::Tensor value;  // contiguous, on the CPU, owning its memory
};

// The file's tensors in file order. InputError "<path>: ..." naming what is wrong: not a zip
// archive written by torch.save (the legacy format, or not PyTorch at all), a pickle opcode or
// global it does not know (with the byte of data.pkl), a storage whose bytes are missing or
// short, a top level that is not a dict of name -> tensor (naming the key).
// With `sha256`: the SHA-256 (hex) of the very bytes parsed (the file is read once).
std::vector<NamedTensor> read_state_dict(const std::string& path, std::string* sha256 = nullptr);

// Writes `tensors` as a dict of name -> tensor in the zip format torch.load reads; to a
// temporary file renamed onto `path`. IoError naming the file.
void write_state_dict(const std::vector<NamedTensor>& tensors, const std::string& path);

}  // namespace fineprune
