// Transparent huge pages for the large arrays a graph walk reads at random.
//
// A 1M-template HNSW gallery reads a few thousand rows scattered over hundreds of megabytes per
// query: with 4 KiB pages nearly every read also misses the TLB and walks the page tables. Linux
// backs memory with 2 MiB pages where asked (madvise MADV_HUGEPAGE; Debian's default THP mode is
// "madvise"), and then the walk's TLB misses mostly go away (docs/benchmarks.md, HNSW).
//
// Advice only: where the kernel has no huge pages to give, or THP is off, memory stays on 4 KiB
// pages and everything works the same, slower. Thread-safety: no shared state; each call touches
// only its arguments.
#ifndef FACET_SRC_INDEX_HUGE_PAGES_H_
#define FACET_SRC_INDEX_HUGE_PAGES_H_

#include <cstddef>
#include <new>
#include <vector>

namespace facet::index {

// Starts loading [data, data + bytes) into the cache, one request per 64-byte line (the walk
// issues these for rows it will read next, so their misses overlap).
inline void PrefetchLines(const void* data, size_t bytes) {
  const auto* first = static_cast<const char*>(data);
  for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(first + offset);
}

// Arrays smaller than this are left alone (a huge page is 2 MiB; small ones gain nothing).
inline constexpr size_t kHugePageMinBytes = size_t{4} << 20;

// Asks the kernel to back the 2 MiB-aligned pages inside [data, data + bytes) with huge pages
// when they are first touched. Returns false when the advice was refused (no THP).
bool AdviseHugePages(void* data, size_t bytes);

// An allocator for arrays read at random: 64-byte aligned (a row that starts on a cache line
// spans the fewest lines), and at least kHugePageMinBytes large ones 2 MiB aligned and advised
// for huge pages before first use. Stateless; all instances are interchangeable.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  explicit HugePageAllocator(const HugePageAllocator<U>& /*other*/) {}
  static std::align_val_t Alignment(size_t bytes) {
    return std::align_val_t{bytes >= kHugePageMinBytes ? size_t{2} << 20 : size_t{64}};
  }
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    void* data = ::operator new(bytes, Alignment(bytes));
    if (bytes >= kHugePageMinBytes) AdviseHugePages(data, bytes);
    return static_cast<T*>(data);
  }
  void deallocate(T* data, size_t n) { ::operator delete(data, Alignment(n * sizeof(T))); }
  template <typename U>
  bool operator==(const HugePageAllocator<U>& /*other*/) const {
    return true;
  }
};

// Moves `v`'s elements into a fresh allocation advised for huge pages before it is written (the
// advice takes effect on first touch; pages already written stay small). The copy briefly needs
// the array's memory twice; when that cannot be had, `v` stays where it is (advice, not a
// requirement). A no-op for arrays below kHugePageMinBytes. Invalidates pointers into `v`.
template <typename T>
void MoveToHugePages(std::vector<T>* v) noexcept {
  if (v->capacity() * sizeof(T) < kHugePageMinBytes) return;
  try {
    std::vector<T> fresh;
    fresh.reserve(v->capacity());  // a large malloc is a fresh, untouched mapping
    AdviseHugePages(fresh.data(), fresh.capacity() * sizeof(T));
    fresh.assign(v->begin(), v->end());
    v->swap(fresh);
  } catch (const std::bad_alloc&) {
    // Stay on small pages.
  }
}

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_HUGE_PAGES_H_
