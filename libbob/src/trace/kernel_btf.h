// A small copy of the kernel's BTF for libbpf's CO-RE relocation (private to the trace module).
#pragma once

#include <string>

struct btf;

namespace bob::trace::detail {

// libbpf 1.1 matches each kernel type a CO-RE relocation names against every one of the
// kernel's ~126,000 BTF types, on every start (~10 ms of bob's ~50 ms fixed cost, plus ~8 ms to
// read and parse the BTF a second time for tp_btf attach points). MinimalKernelBtf hands libbpf
// (as btf_custom_path) a BTF holding only the kernel's own definitions of the structs and unions
// the BPF object names, with every type they embed, member for member at the kernel's offsets.
// Pointer members point to void: a relocation through a pointer names the pointed-to struct
// itself, which is then in the copy under its own name. The offsets libbpf computes from it are
// the kernel's (tests/trace/test_trace_bpf.cpp compares the relocated programs).
class MinimalKernelBtf {
 public:
  // Creates the (empty) file, so that its path can be given to libbpf when it opens the object.
  MinimalKernelBtf();
  ~MinimalKernelBtf();
  MinimalKernelBtf(const MinimalKernelBtf&) = delete;
  MinimalKernelBtf& operator=(const MinimalKernelBtf&) = delete;

  // Writes into the file the kernel's definitions of the structs and unions named in `wanted`
  // (the BPF object's own BTF). On failure (no readable kernel BTF, a type this copy does not
  // handle) it returns false and reason() says why: the caller then opens the object without
  // path(), and libbpf reads the kernel's BTF itself.
  bool fill(const btf* wanted);

  // A path libbpf can open while this object lives (/proc/self/fd/N of a memfd), or "" when
  // the file could not be created.
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }
  std::size_t types() const { return types_; }

 private:
  int fd_ = -1;
  std::string path_;
  std::string reason_;
  std::size_t types_ = 0;
};

}  // namespace bob::trace::detail
