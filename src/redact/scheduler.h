// Spreads the detector's tiles over video frames: every frame gets a full-frame pass; the tiles
// (detect::PlanTiles' levels below the frame) take turns, a few per frame, so that every tile is
// scanned once per rotation period; and a share of the turns goes first to tiles that can re-find
// a small tracked face the detector has not seen for a while.
//
// Thread-safety: Plan is const and pure; a TileScheduler may be shared by threads.
#ifndef FACET_SRC_REDACT_SCHEDULER_H_
#define FACET_SRC_REDACT_SCHEDULER_H_

#include <cstdint>
#include <vector>

#include "detect/face_detector.h"
#include "detect/tiling.h"
#include "redact/tracker.h"

namespace facet::redact {

struct SchedulerOptions {
  // Tile levels below the frame (detect::TilingOptions::max_levels).
  int tile_levels = 2;
  // Tiles scanned per frame besides the frame pass.
  int tiles_per_frame = 2;
  // Of those, at most this many go to re-finding stale tracks (the rest always rotate). Default:
  // one when tiles_per_frame >= 2, else none.
  int refresh_slots = -1;
  // A track is stale when it has gone this many frames without a detection.
  int refresh_after_frames = 2;
  // The first frame is scanned with every tile of the first level below the frame (6 at 1080p:
  // faces down to ~35 px), not one rotation turn: no track exists yet, and a face there would
  // otherwise stay visible until its tile's turn (up to a rotation period: 21 frames, 0.84 s at
  // 1080p/25 fps with one tile per frame), in the frame a player shows first and a thumbnail
  // is made of. The finer level's 15 tiles are left to the rotation: they cost the clip ~2x as
  // much time again for faces under ~35 px. Default true.
  bool every_tile_on_first_frame = true;
  // The smallest face (pixels) the detector finds in a scanned region of a given longer side:
  // detect::SmallestFaceInRegion for the engine's detector. Default: RetinaFace's.
  detect::DetectorKind detector = detect::DetectorKind::kRetinaFace;
};

// A track as the scheduler sees it.
struct TrackHint {
  Box box;
  int frames_without_detection = 0;
};

class TileScheduler {
 public:
  TileScheduler(int width, int height, const SchedulerOptions& options);

  // The tiles in rotation order (level 1 first, then finer levels).
  const std::vector<detect::Tile>& tiles() const { return tiles_; }
  // Frames needed to scan every tile once by rotation alone.
  int rotation_period() const;

  // Regions to scan on frame `frame_index`: the whole frame first, then the frame's tiles (on
  // frame 0 the first level's, see every_tile_on_first_frame). `tracks` are the live tracks of a recent
  // frame (for refresh turns).
  std::vector<ScannedRegion> Plan(int64_t frame_index, const std::vector<TrackHint>& tracks) const;

  // The whole-frame region and one tile as scanned regions (face size limits included).
  ScannedRegion FrameRegion() const;
  ScannedRegion TileRegion(const detect::Tile& tile) const;

 private:
  int width_;
  int height_;
  SchedulerOptions options_;
  std::vector<detect::Tile> tiles_;
};

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_SCHEDULER_H_
