// Template comparison and face helpers that need no model: in facet_core, so that the gallery
// layer (and its ThreadSanitizer test) links without the inference stages.
#include <algorithm>
#include <cmath>

#include "facet/engine.h"

namespace facet {

Result<float> CosineSimilarity(const Embedding& a, const Embedding& b) {
  if (a.model != b.model) {
    return Status::InvalidArgument("templates come from different models ('" + a.model + "' and '" +
                                   b.model + "')");
  }
  if (a.values.size() != b.values.size() || a.values.empty()) {
    return Status::InvalidArgument("templates have different or zero sizes");
  }
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.values.size(); ++i) {
    dot += static_cast<double>(a.values[i]) * b.values[i];
    na += static_cast<double>(a.values[i]) * a.values[i];
    nb += static_cast<double>(b.values[i]) * b.values[i];
  }
  if (na <= 0 || nb <= 0) return Status::InvalidArgument("a template is all zeros");
  return static_cast<float>(dot / std::sqrt(na * nb));
}

float SimilarityToConfidence(float similarity, const RecognizerInfo& recognizer) {
  const float t3 = recognizer.threshold_fmr_1e3;
  const float t4 = recognizer.threshold_fmr_1e4;
  // Logistic through 0.5 at t3 and 0.9 at t4: width = (t4 - t3) / ln 9.
  const float width = std::max(1e-3f, (t4 - t3) / std::log(9.0f));
  return 1.0f / (1.0f + std::exp(-(similarity - t3) / width));
}

const Face* LargestFace(const std::vector<Face>& faces) {
  const Face* best = nullptr;
  for (const Face& f : faces) {
    if (best == nullptr || f.box.width * f.box.height > best->box.width * best->box.height) {
      best = &f;
    }
  }
  return best;
}

const Face* CentredFace(const std::vector<Face>& faces, int width, int height) {
  const Face* largest = LargestFace(faces);
  if (largest == nullptr) return nullptr;
  const Face* best = nullptr;
  float best_distance = 0;
  for (const Face& f : faces) {
    if (f.box.height < 0.5f * largest->box.height) continue;
    const float dx = f.box.x + f.box.width / 2 - static_cast<float>(width) / 2;
    const float dy = f.box.y + f.box.height / 2 - static_cast<float>(height) / 2;
    const float distance = dx * dx + dy * dy;
    if (best == nullptr || distance < best_distance) {
      best = &f;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace facet
