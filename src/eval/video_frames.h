// Reads the frames of a video for an evaluation (facet eval redact-video): a thin layer over the
// FFmpeg reader that hands out BGR frames in order, a batch at a time, so that a long video is
// never held in memory whole.
//
// Thread-safety: one VideoFrames is used by one thread at a time.
#ifndef FACET_SRC_EVAL_VIDEO_FRAMES_H_
#define FACET_SRC_EVAL_VIDEO_FRAMES_H_

#include <memory>
#include <string>
#include <vector>

#include "facet/image.h"
#include "facet/status.h"

namespace facet::video {
class VideoReader;
}

namespace facet::eval {

class VideoFrames {
 public:
  // Opens `path`. Errors as video::VideoReader::Open (kNotFound, kCorruptData,
  // kInvalidArgument).
  static Result<std::unique_ptr<VideoFrames>> Open(const std::string& path);
  ~VideoFrames();
  VideoFrames(const VideoFrames&) = delete;
  VideoFrames& operator=(const VideoFrames&) = delete;

  // Replaces *frames with up to `count` next frames (BGR, upright: turned as the stream's
  // display matrix says, as a player shows them); empty at the end.
  Status NextBatch(size_t count, std::vector<Image>* frames);

 private:
  explicit VideoFrames(std::unique_ptr<video::VideoReader> reader);
  std::unique_ptr<video::VideoReader> reader_;
  bool done_ = false;
};

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_VIDEO_FRAMES_H_
