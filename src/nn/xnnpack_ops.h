// Pieces shared by the XNNPACK backend's executor (xnnpack_network.cc) and its per-operator
// profiler (xnnpack_profile.cc). Internal to src/nn.
#ifndef FACET_SRC_NN_XNNPACK_OPS_H_
#define FACET_SRC_NN_XNNPACK_OPS_H_

#include <pthreadpool.h>
#include <xnnpack.h>

#include <memory>
#include <string>
#include <vector>

#include "facet/status.h"
#include "nn/conv_pointwise_depthwise.h"
#include "nn/fused_kernels.h"
#include "nn/nhwc_graph.h"
#include "nn/winograd_conv.h"

namespace facet::nn {

Status XnnError(const std::string& what, xnn_status status);

struct PoolDeleter {
  void operator()(pthreadpool* pool) const { pthreadpool_destroy(pool); }
};
struct RuntimeDeleter {
  void operator()(xnn_runtime* runtime) const { xnn_delete_runtime(runtime); }
};
struct SubgraphDeleter {
  void operator()(xnn_subgraph* subgraph) const { xnn_delete_subgraph(subgraph); }
};

size_t Product(const std::vector<size_t>& dims);

// Defines XNNPACK operator `op` in `subgraph`; value_ids / constant_ids map the graph's value and
// constant ids to the subgraph's (XNN_INVALID_VALUE_ID where not defined).
Status DefineXnnpackOp(xnn_subgraph_t subgraph, const NhwcGraph& g, const NhwcOp& op,
                       const std::vector<uint32_t>& value_ids,
                       const std::vector<uint32_t>& constant_ids, int batch);

// True for ops facet's own kernels run (nn/fused_kernels.h) instead of XNNPACK.
bool IsFacetKernel(const NhwcOp& op);

// A facet kernel op with its arguments resolved once (running it allocates nothing). Points into
// the graph's constants: the graph must outlive it.
struct FacetKernel {
  NhwcOp::Kind kind = NhwcOp::Kind::kResidualChain;
  int height = 0, width = 0, channels = 0;  // of the input
  size_t image_size = 0;   // input floats per batch item
  size_t output_size = 0;  // output floats per batch item
  std::vector<ResidualBlockWeights> blocks;
  WinogradConvParams winograd;  // kWinogradConvolution
  ConvPointwiseDepthwise stem;  // kConvPointwiseDepthwise
};

FacetKernel PrepareFacetKernel(const NhwcGraph& g, const NhwcOp& op);
// Floats of scratch RunFacetKernel needs with a pool of `threads` threads (1: no pool).
size_t FacetKernelScratch(const FacetKernel& kernel, size_t threads);
// Runs `kernel` on `batch` images from `input` into `output`, on `pool`'s threads where the
// kernel splits (null: this thread). `scratch`: FacetKernelScratch(kernel, threads of the pool).
// `yield_workers`: the pool's workers sleep afterwards instead of spinning (the network's last op).
void RunFacetKernel(const FacetKernel& kernel, int batch, const float* input, float* output,
                    float* scratch, pthreadpool_t pool, bool yield_workers = false);

// A short name of the op kind, e.g. "dwconv".
const char* KindName(NhwcOp::Kind kind);

}  // namespace facet::nn

#endif  // FACET_SRC_NN_XNNPACK_OPS_H_
