#include <malloc.h>

#include <cstdlib>
#include <new>

#include "bench/bench_util.h"

// Counts the heap bytes this thread allocates, so the benchmarks can say how
// much memory a Session holds: copy it and look at the difference. The
// replacement operators live alone in this file so that gcc does not inline
// them into library code and report a mismatched new/delete.
namespace {
thread_local size_t heap_bytes = 0;
}  // namespace

void* operator new(size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  heap_bytes += malloc_usable_size(p);
  return p;
}
void operator delete(void* p) noexcept {
  if (p != nullptr) heap_bytes -= malloc_usable_size(p);
  std::free(p);
}
void operator delete(void* p, size_t) noexcept { operator delete(p); }

namespace trustcoach::bench {

size_t ThreadHeapBytes() { return heap_bytes; }

}  // namespace trustcoach::bench
