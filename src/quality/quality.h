// qualityForRecognition: is this face good enough to recognise? From face size, sharpness, pose
// (solved from the 68 landmarks, head_pose.h) and the detector score. Pure functions; thread-safe.
// The rules and thresholds are documented in docs/quality.md.
#ifndef FACET_SRC_QUALITY_QUALITY_H_
#define FACET_SRC_QUALITY_QUALITY_H_

#include <array>

#include <opencv2/core.hpp>

#include "facet/types.h"
#include "quality/head_pose.h"

namespace facet::quality {

// Variance of the Laplacian over the central part of an aligned crop (CV_8UC3 or CV_8UC1).
float Sharpness(const cv::Mat& aligned_crop);

struct QualityThresholds {
  // The detector's logit at which a frontal face scores 0.5: detectors' scores differ in scale.
  // RetinaFace's default; BlazeFace's is 0.5 (kBlazeFaceScoreCentre).
  float score_centre = 3.5f;
  // The score (Quality::score) at and above which a face is high / medium.
  float min_score_high = 0.6f, min_score_medium = 0.4f;
  // Hard rules: any one makes a face low whatever its score.
  float min_face_size = 40;       // box side (px)
  float min_sharpness = 15;       // variance of the Laplacian: a blurred face
  float max_yaw = 40, max_pitch = 40;  // degrees: a profile, a face seen from far above or below
  // Faces smaller than this (px) are at most medium.
  float min_face_size_high = 64;
};

// BlazeFace's score_centre: its scores on LFW's development faces sit 3.0 logits below
// RetinaFace's (10th percentiles 1.0 and 4.1).
inline constexpr float kBlazeFaceScoreCentre = 0.5f;

// The score of a face: sigmoid(logit(detector_score) - 0.02 * (|yaw| + |pitch|)
// + 60 * (mirror_agreement - 0.96) - score_centre). Fitted on LFW's development pairs (View 1,
// docs/quality.md): the recognizer's agreement with itself on the mirrored face predicts a false
// non-match best, the detector's confidence next, then the pose.
float QualityScore(float detector_score, const Pose& pose, float mirror_agreement,
                   float score_centre);

// Combines everything into a Quality. `aligned_crop` may be empty (sharpness then counts as 0);
// `mirror_agreement` is Recognizer::MirrorAgreement's for the face.
Quality AssessQuality(const Box& box, float detector_score, const std::array<Point, 68>& landmarks68,
                      const cv::Mat& aligned_crop, float mirror_agreement,
                      const QualityThresholds& thresholds = {});

}  // namespace facet::quality

#endif  // FACET_SRC_QUALITY_QUALITY_H_
