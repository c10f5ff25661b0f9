#include "redact/scheduler.h"

#include <algorithm>

namespace facet::redact {
namespace {

Box ToBox(const cv::Rect& r) {
  return {static_cast<float>(r.x), static_cast<float>(r.y), static_cast<float>(r.width),
          static_cast<float>(r.height)};
}

bool Contains(const cv::Rect& rect, const Box& box) {
  return box.x >= static_cast<float>(rect.x) && box.y >= static_cast<float>(rect.y) &&
         box.x + box.width <= static_cast<float>(rect.x + rect.width) &&
         box.y + box.height <= static_cast<float>(rect.y + rect.height);
}

}  // namespace

TileScheduler::TileScheduler(int width, int height, const SchedulerOptions& options)
    : width_(width), height_(height), options_(options) {
  if (options_.refresh_slots < 0) options_.refresh_slots = options_.tiles_per_frame >= 2 ? 1 : 0;
  options_.refresh_slots = std::min(options_.refresh_slots, options_.tiles_per_frame);
  detect::TilingOptions tiling;
  tiling.max_levels = options_.tile_levels;
  for (const detect::Tile& tile : detect::PlanTiles(width, height, tiling)) {
    if (tile.level > 0) tiles_.push_back(tile);
  }
}

int TileScheduler::rotation_period() const {
  const int per_frame = options_.tiles_per_frame - options_.refresh_slots;
  if (tiles_.empty()) return 1;
  if (per_frame <= 0) return 0;  // rotation never runs
  return static_cast<int>((tiles_.size() + per_frame - 1) / per_frame);
}

ScannedRegion TileScheduler::FrameRegion() const {
  const float side = static_cast<float>(std::max(width_, height_));
  return {{0, 0, static_cast<float>(width_), static_cast<float>(height_)},
          detect::SmallestFaceInRegion(options_.detector, side),
          0};
}

ScannedRegion TileScheduler::TileRegion(const detect::Tile& tile) const {
  const float side = static_cast<float>(std::max(tile.rect.width, tile.rect.height));
  // FaceDetector drops tile detections wider than half the tile.
  return {ToBox(tile.rect), detect::SmallestFaceInRegion(options_.detector, side),
          0.5f * static_cast<float>(tile.rect.width)};
}

std::vector<ScannedRegion> TileScheduler::Plan(int64_t frame_index,
                                               const std::vector<TrackHint>& tracks) const {
  std::vector<ScannedRegion> plan = {FrameRegion()};
  if (tiles_.empty() || options_.tiles_per_frame <= 0) return plan;
  std::vector<bool> chosen(tiles_.size(), false);
  if (frame_index == 0 && options_.every_tile_on_first_frame) {
    for (size_t t = 0; t < tiles_.size(); ++t) chosen[t] = tiles_[t].level == 1;
  }
  const int rotating = options_.tiles_per_frame - options_.refresh_slots;
  // Rotation: slot s of frame n scans tile (n * rotating + s) mod N.
  for (int s = 0; s < rotating && s < static_cast<int>(tiles_.size()); ++s) {
    const size_t t =
        static_cast<size_t>((frame_index * rotating + s) % static_cast<int64_t>(tiles_.size()));
    chosen[t] = true;
  }
  // Refresh: the stalest tracks first, each by the coarsest tile that can find it whole, unless
  // a tile chosen already (or the frame) can.
  std::vector<const TrackHint*> stale;
  for (const TrackHint& track : tracks) {
    if (track.frames_without_detection >= options_.refresh_after_frames) stale.push_back(&track);
  }
  std::stable_sort(stale.begin(), stale.end(), [](const TrackHint* a, const TrackHint* b) {
    return a->frames_without_detection > b->frames_without_detection;
  });
  int refreshes = 0;
  for (const TrackHint* track : stale) {
    if (refreshes >= options_.refresh_slots) break;
    auto can_find = [&](const ScannedRegion& region, const cv::Rect& rect) {
      const float size = std::min(track->box.width, track->box.height);
      const bool fits = region.largest_face <= 0 ||
                        std::max(track->box.width, track->box.height) <= region.largest_face;
      return size >= region.smallest_face && fits && Contains(rect, track->box);
    };
    if (can_find(plan.front(), cv::Rect(0, 0, width_, height_))) continue;
    bool covered = false;
    for (size_t t = 0; t < tiles_.size() && !covered; ++t) {
      covered = chosen[t] && can_find(TileRegion(tiles_[t]), tiles_[t].rect);
    }
    if (covered) continue;
    for (size_t t = 0; t < tiles_.size(); ++t) {  // coarsest level first
      if (can_find(TileRegion(tiles_[t]), tiles_[t].rect)) {
        chosen[t] = true;
        ++refreshes;
        break;
      }
    }
  }
  for (size_t t = 0; t < tiles_.size(); ++t) {
    if (chosen[t]) plan.push_back(TileRegion(tiles_[t]));
  }
  return plan;
}

}  // namespace facet::redact
