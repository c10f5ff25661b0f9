// qualityForRecognition: is this face good enough to recognise? From what the recognizer makes of
// the face (its raw feature norm, its agreement with itself on the mirrored face), the detector
// score, and hard rules on face size, sharpness and pose (solved from MediaPipe's face mesh,
// head_pose.h). Pure functions; thread-safe.
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
  // The recognizer's typical ln(feature norm) (RecognizerSpec::feature_norm_reference): the
  // norm term is measured from it. 0: not measured for this recognizer; the term is left out.
  float feature_norm_reference = 0;
  // The score (Quality::score) at and above which a face is high / medium: at least 9 in 10 of
  // its genuine comparisons are expected to clear the FMR-1e-3 threshold / at least half.
  float min_score_high = 0.9f, min_score_medium = 0.5f;
  // Hard rules: any one makes a face low whatever its score.
  float min_face_size = 40;            // box side (px)
  float min_sharpness = 15;            // variance of the Laplacian: a blurred face
  float max_yaw = 40, max_pitch = 40;  // degrees: a profile, a face seen from far above or below
  // Faces smaller than this (px) are at most medium.
  float min_face_size_high = 64;
};

// BlazeFace's score_centre: its scores on LFW's development faces sit 3.0 logits below
// RetinaFace's (10th percentiles 1.0 and 4.1).
inline constexpr float kBlazeFaceScoreCentre = 0.5f;

// What the recognizer makes of a face (Recognizer::MirrorAgreement).
struct RecognizerSignals {
  float mirror_agreement = 0;  // cosine between the face's template and its mirror image's
  float feature_norm = 0;      // L2 norm of the raw output; 0: not known (the term is left out)
};

// The score of a face: the probability that a genuine comparison of it clears the FMR-1e-3
// threshold, sigmoid(1.7 * (s - 0.4507) / 0.143), where s, the genuine similarity expected from
// the face, is 0.6342 + 0.5367 * (ln(feature_norm) - feature_norm_reference)
// + 3.5861 * (mirror_agreement - 0.96) + 0.0515 * (logit(detector_score) - score_centre).
// Fitted by least squares on LFW's development pairs (View 1, never the test pairs) with
// MobileFaceNet (docs/quality.md): the feature norm and the mirror agreement predict the genuine
// similarity best; the detector's logit adds little and the pose nothing (profiles are low by
// the hard rule instead).
float QualityScore(float detector_score, const RecognizerSignals& recognizer,
                   const QualityThresholds& thresholds);

// Combines everything into a Quality. `aligned_crop` may be empty (sharpness then counts as 0).
Quality AssessQuality(const Box& box, float detector_score, const Pose& pose,
                      const cv::Mat& aligned_crop, const RecognizerSignals& recognizer,
                      const QualityThresholds& thresholds = {});

// The same with the pose solved from 68 landmarks (EstimateHeadPose).
Quality AssessQuality(const Box& box, float detector_score,
                      const std::array<Point, 68>& landmarks68, const cv::Mat& aligned_crop,
                      const RecognizerSignals& recognizer,
                      const QualityThresholds& thresholds = {});

}  // namespace facet::quality

#endif  // FACET_SRC_QUALITY_QUALITY_H_
