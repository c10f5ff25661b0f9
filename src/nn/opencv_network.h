// The OpenCV DNN 4.6 backend of nn::Network (CPU). Kept as the oracle of the XNNPACK backend.
#ifndef FACET_SRC_NN_OPENCV_NETWORK_H_
#define FACET_SRC_NN_OPENCV_NETWORK_H_

#include <memory>

#include "nn/network.h"

namespace facet::nn {

Result<std::unique_ptr<Network>> CreateOpenCvNetwork(const ModelFile& model);

}  // namespace facet::nn

#endif  // FACET_SRC_NN_OPENCV_NETWORK_H_
