// qualityForRecognition: is this face good enough to recognise? From face size, sharpness, pose
// (estimated from the 5 landmarks) and the detector score. Pure functions; thread-safe.
// The rules and thresholds are documented in docs/quality.md.
#ifndef FACET_SRC_QUALITY_QUALITY_H_
#define FACET_SRC_QUALITY_QUALITY_H_

#include <array>

#include <opencv2/core.hpp>

#include "facet/types.h"

namespace facet::quality {

struct Pose {
  float yaw_degrees = 0;
  float pitch_degrees = 0;
  float roll_degrees = 0;
};

// A rough head pose from the 5 landmarks (image-left eye, image-right eye, nose, mouth corners):
// roll from the eye line, yaw from the nose's horizontal offset from the eye/mouth midline, pitch
// from the nose's height between the eye and mouth lines, both relative to the ArcFace template.
Pose EstimatePose(const std::array<Point, 5>& landmarks);

// Variance of the Laplacian over the central part of an aligned crop (CV_8UC3 or CV_8UC1).
float Sharpness(const cv::Mat& aligned_crop);

struct QualityThresholds {
  float min_face_size_medium = 40;   // box side (px) below which quality is low
  float min_face_size_high = 100;    // box side (px) for high
  float max_yaw_medium = 45, max_yaw_high = 20;
  float max_pitch_medium = 35, max_pitch_high = 20;
  float min_sharpness_medium = 15, min_sharpness_high = 60;
  float min_score_medium = 0.5f, min_score_high = 0.75f;
};

// Combines everything into a Quality. `aligned_crop` may be empty (sharpness then counts as 0).
Quality AssessQuality(const Box& box, float detector_score, const std::array<Point, 5>& landmarks,
                      const cv::Mat& aligned_crop, const QualityThresholds& thresholds = {});

}  // namespace facet::quality

#endif  // FACET_SRC_QUALITY_QUALITY_H_
