// Short-term face tracking for video redaction: boxes are matched frame to frame by overlap, and
// a box the detector misses is held (moved by its recent velocity, grown a little each frame) for
// a few frames, so that a face the detector loses for a moment stays redacted.
//
// A miss is counted only in a frame where the detector could have found the face: when one of
// the regions scanned that frame contains the face's predicted box and is fine enough for its
// size (tiles are scanned in rotation, so a small face is looked for only every few frames).
//
// Thread-safety: a BoxTracker is a plain object; one per video, used by one thread.
#ifndef FACET_SRC_REDACT_TRACKER_H_
#define FACET_SRC_REDACT_TRACKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "facet/types.h"

namespace facet::redact {

struct TrackerOptions {
  // A detection continues a track when its IoU with the track's predicted box is at least this.
  float match_iou = 0.2f;
  // A track is dropped after this many frames in which it could have been detected and was not.
  int hold_frames = 12;
  // ... or after this many frames without a detection at all, whatever was scanned (bounds how
  // long a face the rotation rarely revisits is held). Set it above the tile rotation period.
  int max_frames_without_detection = 48;
  // A held box grows by this share of its size per frame without a detection (the face may
  // move), up to max_growth times its detected size.
  float growth_per_frame = 0.03f;
  float max_growth = 1.5f;
  // Weight of the newest displacement in the velocity estimate (exponential smoothing).
  float velocity_smoothing = 0.5f;
  // Velocity is extrapolated for at most this many frames after the last detection, and its
  // speed is capped at this share of the box size per frame (one odd match cannot fling a box).
  int max_extrapolation_frames = 12;
  float max_speed = 0.15f;
  // A tentative track (one detection so far, scoring below confirm_score) is dropped after this
  // many misses instead of hold_frames: most are false detections, and a real face missed again
  // and again at a low score is re-found by a later scan.
  float confirm_score = 0.5f;
  int tentative_hold_frames = 3;
  // A track is kept visible (Track::keep) only in a frame where it was detected and its last
  // this-many detections in a row named the same identity; see
  // VideoRedactOptions::keep_confirm_detections.
  int keep_confirm_detections = 3;
};

// Where a face last detected at `last`, moving (velocity_x, velocity_y) pixels per frame, is
// `frames` frames later (negative: earlier, for the look-back), as a held box: moved for at most
// options.max_extrapolation_frames, grown by options.growth_per_frame per frame up to
// options.max_growth.
Box HeldBox(const Box& last, float velocity_x, float velocity_y, int frames,
            const TrackerOptions& options);

// A detection as the tracker sees it.
struct TrackInput {
  Box box;
  float score = 0;
  std::string identity{};  // who the keep filter named; empty: redact
  bool vouched = false;    // O-Net vouched for it (RedactOptions::large_face_second_opinion)
};

// A region the detector scanned this frame and the face sizes it can find there.
struct ScannedRegion {
  Box rect;
  float smallest_face = 0;  // shorter box side (pixels) below which the scan finds nothing
  float largest_face = 0;   // above which its detections are dropped; 0 = no limit (the frame)
};

struct Track {
  int64_t id = 0;
  Box box;               // current (detected, or predicted and grown) box
  Box detected_box;      // box of the last detection
  float score = 0;       // of the last detection
  float velocity_x = 0;  // centre displacement per frame, pixels
  float velocity_y = 0;
  int frames_without_detection = 0;  // 0: detected this frame
  int misses = 0;                    // frames in which it could have been detected and was not
  int detections = 0;                // detections matched so far (1 for a new track)
  std::string identity;              // identity of the current run of kept detections
  int identity_run = 0;              // detections in a row naming `identity` (0: none)
  bool keep = false;                 // visible this frame (detected, run long enough)
  // A detection scored at least TrackerOptions::confirm_score, or O-Net vouched for one
  // (TrackInput::vouched): a face, as far as the detectors can tell.
  bool confident = false;
};

class BoxTracker {
 public:
  explicit BoxTracker(const TrackerOptions& options = {}) : options_(options) {}

  // Advances one frame with that frame's detections and the regions scanned for them. Returns
  // the live tracks: those detected this frame and those held.
  const std::vector<Track>& Update(const std::vector<TrackInput>& detections,
                                   const std::vector<ScannedRegion>& scanned);

  const std::vector<Track>& tracks() const { return tracks_; }
  // Tracks started so far (distinct faces, as far as overlap can tell).
  int64_t tracks_started() const { return next_id_; }

 private:
  Box Predict(const Track& track, int frames_ahead) const;
  static bool CouldDetect(const Box& box, const std::vector<ScannedRegion>& scanned);

  TrackerOptions options_;
  std::vector<Track> tracks_;
  int64_t next_id_ = 0;
};

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_TRACKER_H_
