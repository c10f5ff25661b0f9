// Look-back for video redaction. A face the tracker first finds in frame b was often on screen
// before it: coming out from behind someone (RetinaFace scores a half-hidden face low), or
// waiting for its tile's turn (a face only the tiles can find waits up to a rotation, 21 frames
// at 1080p). Frames are therefore drawn a few frames after they are tracked, and the first box of
// a track that turned out to be a face is drawn in the frames before b that are still waiting.
//
// A track is drawn back only when it is `Track::confident` by the time a frame leaves the window
// (a detection scoring at least TrackerOptions::confirm_score, or one O-Net vouched for): most
// tracks that never get there are false, and drawing them back would redact the picture for
// nothing. Its box is moved back along the track's velocity (once a second detection gives one)
// and grown as a held box is; it is not drawn where a face drawn in that frame already overlaps it
// (the same face, held or tracked under another id). A birth whose detection the keep filter
// named is not drawn back: that person may be shown. Nothing is drawn back across a cut
// (ShotCutDetector): the face was not in the previous shot.
//
// Thread-safety: a plain object; one per video, used by the tracking thread.
#ifndef FACET_SRC_REDACT_LOOK_BACK_H_
#define FACET_SRC_REDACT_LOOK_BACK_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "facet/image.h"
#include "facet/types.h"
#include "redact/tracker.h"

namespace facet::redact {

struct LookBackOptions {
  // How many frames before its birth a track is drawn back (the frames drawn late). 0: off.
  int frames = 0;
  // The tracker's: a box drawn back is moved and grown as a held box is (HeldBox).
  TrackerOptions held;
  // A box drawn in the frame overlapping the drawn-back box by at least this IoU is the same
  // face: nothing is added.
  float same_face_iou = 0.2f;
};

// Tells a cut between two shots from the frame before: the mean absolute difference of 64x36
// grey thumbnails (of a 128x72 sample of the frame). Measured (docs/redact.md): stage_360p.mp4's
// three cuts differ by 27-30 grey levels, its camera moves and dissolves by at most 14,
// street_1080p.mp4's walking camera by at most 10.
//
// Thread-safety: a plain object; one per video, used by one thread.
class ShotCutDetector {
 public:
  // Mean difference (grey levels, 0..255) from which two frames are different shots.
  static constexpr double kCutDifference = 20.0;

  // Whether `frame` (BGR) starts a new shot: true for the first frame.
  bool IsCut(const Image& frame);

 private:
  std::vector<uint8_t> previous_;  // the last frame's thumbnail
};

class LookBack {
 public:
  explicit LookBack(const LookBackOptions& options) : options_(options) {}

  // How many frames are drawn late (LookBackOptions::frames).
  int frames() const { return options_.frames; }

  // After frame `index` is tracked, with the tracker's live tracks: records the tracks born in
  // it, and updates what the earlier births still in the window have become (confident, their
  // velocity). `cut`: the frame starts a new shot (ShotCutDetector). Frames must come in order.
  void Observe(int64_t index, const std::vector<Track>& tracks, bool cut);

  // The boxes to draw back into frame `index`, about to be drawn (frames up to index + frames
  // observed): the first boxes of the confident tracks born in frames index + 1 ..
  // index + frames in the same shot, except where one of `drawn` (face boxes already drawn in the
  // frame) overlaps them. Births at or before `index` are forgotten: frames are drawn in order.
  std::vector<Box> BoxesFor(int64_t index, const std::vector<Box>& drawn);

 private:
  struct Birth {
    int64_t track_id = 0;
    int64_t frame = 0;
    int64_t shot_start = 0;  // the first frame of its shot
    Box box;
    float velocity_x = 0;
    float velocity_y = 0;
    bool confident = false;
    bool named = false;  // the keep filter named its first detection
  };

  LookBackOptions options_;
  std::deque<Birth> births_;  // by frame
  int64_t shot_start_ = 0;    // the first frame of the current shot
};

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_LOOK_BACK_H_
