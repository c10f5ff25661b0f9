// The XNNPACK backend of nn::Network: the model's lowered NHWC graph (nn/nhwc_graph.h) defined
// as an XNNPACK subgraph (xnn_define_*) and run by xnn_create_runtime_v2's runtime.
//
// XNNPACK (Debian's 2022 snapshot) fixes every shape when a runtime is created. A Network runs a
// batch (e.g. the faces of one photo, in one Forward call) in chunks of kMaxRuntimeBatch items,
// with one runtime per chunk size, created on first use (the first call pays the weight packing;
// later calls allocate nothing). Inputs arrive NCHW as for OpenCV DNN and are transposed to NHWC
// on entry (3 channels: negligible next to the network); NCHW outputs are transposed back.
#ifndef FACET_SRC_NN_XNNPACK_NETWORK_H_
#define FACET_SRC_NN_XNNPACK_NETWORK_H_

#include <memory>
#include <string>
#include <vector>

#include "nn/network.h"

namespace facet::nn {

// Largest batch one XNNPACK runtime is built for; larger batches run in chunks of this size.
// 1, measured (bench/nn_bench, 1 thread, CPU time per face): MobileFaceNet 5.3 ms at batch 1
// against 6.4 ms at batch 5 (a batch's activations outgrow the 1 MiB L2 cache), O-Net equal
// (0.31 ms). One runtime per network also keeps a single copy of the packed weights.
inline constexpr int kMaxRuntimeBatch = 1;

Result<std::unique_ptr<Network>> CreateXnnpackNetwork(const ModelFile& model);

struct OpTiming {
  std::string what;  // e.g. "conv 128x128x24 -> 128x128x24 k1s1"
  double milliseconds = 0;
};

// Times each operator of `model`'s lowered graph alone (batch 1, the model's thread count, inputs
// of 0.5; CPU time of the calling thread, so meaningful for 1 thread): where one inference's time
// goes. `input_dims` (models of variable input size only; empty: the nominal size) sets the
// input shape, batch first. For bench/nn_bench --per-op; not for serving.
Result<std::vector<OpTiming>> ProfileXnnpackOps(const ModelFile& model, int iterations,
                                                const std::vector<int64_t>& input_dims = {});

}  // namespace facet::nn

#endif  // FACET_SRC_NN_XNNPACK_NETWORK_H_
