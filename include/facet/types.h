// Typed results of the engine: boxes, landmarks, faces, quality, embeddings.
#ifndef FACET_TYPES_H_
#define FACET_TYPES_H_

#include <array>
#include <string>
#include <vector>

namespace facet {

struct Point {
  float x = 0;
  float y = 0;
};

// Axis-aligned box in image pixels: top-left corner and size.
struct Box {
  float x = 0;
  float y = 0;
  float width = 0;
  float height = 0;
};

// Order of the five landmarks, in the subject's frame as seen in the image:
// the eye on the image's left first.
enum LandmarkIndex { kLeftEye = 0, kRightEye = 1, kNose = 2, kMouthLeft = 3, kMouthRight = 4 };

enum class QualityLevel { kLow, kMedium, kHigh };

// Lowercase name as in Azure Face's qualityForRecognition: "low", "medium", "high".
const char* QualityLevelName(QualityLevel level);

struct Quality {
  QualityLevel level = QualityLevel::kLow;
  // 0..1: how likely the face is to be recognised correctly, from the recognizer's agreement with
  // itself on the mirrored face, the detector's confidence and the head pose (docs/quality.md);
  // the level is read from it (low < 0.4 <= medium < 0.6 <= high) unless a hard rule (too small,
  // blurred, a profile) makes it low. Rank faces by it.
  float score = 0;
  // Cosine similarity between the templates of the face and of its mirror image, from the
  // engine's recognizer: ~0.98 for a face the model sees clearly.
  float mirror_agreement = 0;
  // The L2 norm of the recognizer's raw output for the face, before normalisation (its scale is
  // the model's; larger for faces the model sees clearly, as MagFace observed).
  float feature_norm = 0;
  float face_size = 0;    // the shorter side of the detector's box, in pixels
  float sharpness = 0;    // variance of the Laplacian on the aligned face, 0..~2000
  float yaw_degrees = 0;  // head pose from MediaPipe's 3D face mesh; 0 = frontal
  float pitch_degrees = 0;
  float roll_degrees = 0;
};

struct Face {
  Box box;
  float score = 0;  // detector confidence, 0..1
  std::array<Point, 5> landmarks{};
  Quality quality;
  // 68 points in the iBUG 300-W order (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth
  // 48-67), placed when quality is computed (head pose is solved from them); empty otherwise.
  std::vector<Point> landmarks68;
  // RetinaFace's recall pyramid: at least two of its passes could see a face this size, and fewer
  // than two found this one (a weak box seen at one scale alone is often texture). False for a
  // single pass, scanned regions and BlazeFace.
  bool single_scale = false;
};

// A face template. `values` is L2-normalised; `model` names the recognizer that produced it and
// `model_version` its exact version (RecognizerInfo::version). Templates from different models
// must never be compared; galleries also refuse another version.
struct Embedding {
  std::string model;
  std::vector<float> values;
  std::string model_version;
};

}  // namespace facet

#endif  // FACET_TYPES_H_
