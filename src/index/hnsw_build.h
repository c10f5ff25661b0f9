// Adding vectors to a FAISS HNSW graph with facet's distance kernels.
//
// Debian's libfaiss is built for baseline x86-64 and computes each inner product with a scalar
// loop; building a 1M graph with it takes hours. AddToGraph mirrors FAISS's hnsw_add_vertices
// (IndexHNSW.cpp, 1.7.3): levels drawn by HNSW::prepare_level_tab, vectors inserted from the
// highest level down, in parallel (OpenMP) with per-node locks; only the distance computer is
// facet's (DotF32, kernels.h), several times faster.
//
// Thread-safety: needs exclusive access to `index`.
#ifndef FACET_SRC_INDEX_HNSW_BUILD_H_
#define FACET_SRC_INDEX_HNSW_BUILD_H_

#include <faiss/IndexHNSW.h>

#include <optional>
#include <vector>

#include "index/kernels.h"

namespace facet::index {

// Appends `count` vectors (packed in `vectors`) to `index`'s storage and links them into its
// graph (inner product; `index`'s storage must be an IndexFlat). Returns the nodes whose level-0
// links the call may have changed: the new nodes and every node they were linked to as they went
// in (only those get a back link, which can reorder or prune their lists). When a level held more
// than 100 new vectors they went in in parallel and that cannot be told (another insertion can
// prune a list before it is read): then nullopt, and every node must be taken as changed.
// May throw faiss's exceptions.
std::optional<std::vector<int>> AddToGraph(faiss::IndexHNSWFlat* index, faiss::Index::idx_t count,
                                           const float* vectors, KernelIsa isa);

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_HNSW_BUILD_H_
