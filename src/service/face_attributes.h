// The image-quality attributes of Azure Face's detect that facet computes itself, from pixels
// and from facet's quality measures, never from a model: blur, exposure, noise. Each is a value
// in [0, 1] and a level on Azure's scale. docs/service.md ("Face attributes") gives the formulas.
//
// Thread-safety: pure functions.
#ifndef FACET_SRC_SERVICE_FACE_ATTRIBUTES_H_
#define FACET_SRC_SERVICE_FACE_ATTRIBUTES_H_

#include <string>

#include "facet/image.h"
#include "facet/types.h"

namespace facet::service {

struct LevelledValue {
  std::string level;  // Azure's level name
  double value = 0;   // 0..1
};

// Blur from facet's sharpness (variance of the Laplacian on the aligned face, facet/types.h):
// value = 0.25 + 0.5 * log(60 / sharpness) / log(4), clamped to [0, 1], so that the sharpness
// limits of qualityForRecognition (60 for high, 15 for medium; docs/quality.md) fall on Azure's
// level boundaries 0.25 and 0.75. Levels: low < 0.25 <= medium < 0.75 <= high.
LevelledValue BlurFromSharpness(float sharpness);

// Exposure: the mean luma (BT.601) of the face box, / 255. Levels as Azure's: underExposure
// < 0.25 <= goodExposure < 0.75 <= overExposure. An empty box (outside the image) is value 0.
LevelledValue FaceExposure(const Image& image, const Box& box);

// Noise: Immerkaer's fast estimate of the standard deviation of Gaussian noise (a 3x3 Laplacian
// difference mask over the grey face box), in grey levels, / 20, clamped to [0, 1]. Levels as
// Azure's: low < 0.3 <= medium < 0.7 <= high. Boxes under 3x3 pixels are value 0.
LevelledValue FaceNoise(const Image& image, const Box& box);

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_FACE_ATTRIBUTES_H_
