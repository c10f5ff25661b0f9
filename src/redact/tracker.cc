#include "redact/tracker.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <tuple>

#include "detect/detection.h"

namespace facet::redact {
namespace {

float CentreX(const Box& b) { return b.x + b.width / 2; }
float CentreY(const Box& b) { return b.y + b.height / 2; }

// Share of `box`'s area inside `rect`.
float InsideShare(const Box& box, const Box& rect) {
  const float x0 = std::max(box.x, rect.x), y0 = std::max(box.y, rect.y);
  const float x1 = std::min(box.x + box.width, rect.x + rect.width);
  const float y1 = std::min(box.y + box.height, rect.y + rect.height);
  const float area = box.width * box.height;
  if (area <= 0) return 0;
  return std::max(0.0f, x1 - x0) * std::max(0.0f, y1 - y0) / area;
}

}  // namespace

Box HeldBox(const Box& last, float velocity_x, float velocity_y, int frames,
            const TrackerOptions& options) {
  const int distance = std::abs(frames);
  const int moved = (frames < 0 ? -1 : 1) * std::min(distance, options.max_extrapolation_frames);
  const float growth =
      std::min(options.max_growth, 1.0f + options.growth_per_frame * static_cast<float>(distance));
  const float cx = CentreX(last) + velocity_x * static_cast<float>(moved);
  const float cy = CentreY(last) + velocity_y * static_cast<float>(moved);
  const float w = last.width * growth, h = last.height * growth;
  return {cx - w / 2, cy - h / 2, w, h};
}

Box BoxTracker::Predict(const Track& track, int frames_ahead) const {
  return HeldBox(track.detected_box, track.velocity_x, track.velocity_y, frames_ahead, options_);
}

bool BoxTracker::CouldDetect(const Box& box, const std::vector<ScannedRegion>& scanned) {
  const float size = std::min(box.width, box.height);
  for (const ScannedRegion& region : scanned) {
    if (size < region.smallest_face) continue;
    if (region.largest_face > 0 && std::max(box.width, box.height) > region.largest_face) continue;
    if (InsideShare(box, region.rect) >= 0.9f) return true;
  }
  return false;
}

const std::vector<Track>& BoxTracker::Update(const std::vector<TrackInput>& detections,
                                             const std::vector<ScannedRegion>& scanned) {
  // Where each track should be this frame.
  std::vector<Box> predicted(tracks_.size());
  for (size_t t = 0; t < tracks_.size(); ++t) {
    predicted[t] = Predict(tracks_[t], tracks_[t].frames_without_detection + 1);
  }
  // Greedy matching, highest IoU first.
  std::vector<std::tuple<float, size_t, size_t>> pairs;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    for (size_t d = 0; d < detections.size(); ++d) {
      const float iou = detect::IntersectionOverUnion(predicted[t], detections[d].box);
      if (iou >= options_.match_iou) pairs.emplace_back(iou, t, d);
    }
  }
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<bool> track_matched(tracks_.size(), false), detection_used(detections.size(), false);
  for (const auto& [iou, t, d] : pairs) {
    if (track_matched[t] || detection_used[d]) continue;
    track_matched[t] = detection_used[d] = true;
    Track& track = tracks_[t];
    const TrackInput& det = detections[d];
    const float frames = static_cast<float>(track.frames_without_detection + 1);
    const float vx = (CentreX(det.box) - CentreX(track.detected_box)) / frames;
    const float vy = (CentreY(det.box) - CentreY(track.detected_box)) / frames;
    const float a = options_.velocity_smoothing;
    const float limit_x = options_.max_speed * det.box.width;
    const float limit_y = options_.max_speed * det.box.height;
    track.velocity_x = std::clamp(a * vx + (1 - a) * track.velocity_x, -limit_x, limit_x);
    track.velocity_y = std::clamp(a * vy + (1 - a) * track.velocity_y, -limit_y, limit_y);
    ++track.detections;
    track.box = track.detected_box = det.box;
    track.score = det.score;
    track.confident = track.confident || det.score >= options_.confirm_score || det.vouched;
    if (det.identity.empty() || det.identity != track.identity) track.identity_run = 0;
    track.identity = det.identity;
    if (!det.identity.empty()) ++track.identity_run;
    track.keep = track.identity_run >= options_.keep_confirm_detections;
    track.frames_without_detection = 0;
    track.misses = 0;
  }
  // Unmatched tracks are held, or dropped.
  size_t out = 0;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    Track& track = tracks_[t];
    if (!track_matched[t]) {
      track.keep = false;  // a held box is a guess: redacted
      ++track.frames_without_detection;
      track.box = predicted[t];
      if (CouldDetect(predicted[t], scanned)) ++track.misses;
      const bool tentative = track.detections <= 1 && !track.confident;
      const int hold = tentative ? std::min(options_.hold_frames, options_.tentative_hold_frames)
                                 : options_.hold_frames;
      if (track.misses > hold ||
          track.frames_without_detection > options_.max_frames_without_detection) {
        continue;
      }
    }
    if (out != t) tracks_[out] = track;
    ++out;
  }
  tracks_.resize(out);
  // Unmatched detections start tracks.
  for (size_t d = 0; d < detections.size(); ++d) {
    if (detection_used[d]) continue;
    Track track;
    track.id = next_id_++;
    track.box = track.detected_box = detections[d].box;
    track.score = detections[d].score;
    track.confident = detections[d].score >= options_.confirm_score || detections[d].vouched;
    track.identity = detections[d].identity;
    track.identity_run = track.identity.empty() ? 0 : 1;
    track.keep = track.identity_run >= options_.keep_confirm_detections;
    track.detections = 1;
    tracks_.push_back(track);
  }
  return tracks_;
}

}  // namespace facet::redact
