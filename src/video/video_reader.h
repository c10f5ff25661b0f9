// Demuxes and decodes the main video stream of a file with FFmpeg (libavformat, libavcodec,
// libswscale), handing out BGR frames with their timestamps, and the packets of the other
// streams untouched so that a writer can copy them.
//
// Thread-safety: one VideoReader is used by one thread at a time.
#ifndef FACET_SRC_VIDEO_VIDEO_READER_H_
#define FACET_SRC_VIDEO_VIDEO_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "facet/image.h"
#include "facet/status.h"
#include "video/ffmpeg_util.h"

namespace facet::video {

struct VideoStreamInfo {
  int index = -1;  // stream index in the container
  int width = 0;
  int height = 0;
  AVRational time_base{0, 1};
  AVRational frame_rate{0, 1};   // average (or guessed) rate
  int64_t frame_count = 0;       // as the container declares it; 0 when unknown
  int64_t estimated_frames = 0;  // frame_count, else duration x rate; 0 when unknown
  std::string codec_name;
  // Clockwise rotation (0, 90, 180, 270) a player applies to show the frame upright (the
  // stream's display matrix); 0 when absent or not a multiple of 90 degrees.
  int rotation_degrees = 0;
};

struct DecodedFrame {
  Image image;      // BGR, width x height as coded (not rotated)
  int64_t pts = 0;  // in the video stream's time base
};

class VideoReader {
 public:
  // Opens `path` and its decoder. Errors: kNotFound (no such file), kCorruptData (not a media
  // file FFmpeg can read, empty, no video stream), kInvalidArgument (a video codec this FFmpeg
  // cannot decode).
  static Result<std::unique_ptr<VideoReader>> Open(const std::string& path);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoStreamInfo& video() const { return video_; }
  // The demuxer (for a writer to copy the other streams' parameters). Owned by the reader.
  const AVFormatContext* format() const { return format_; }

  // Decodes the next video frame into *frame; the packets of other streams read on the way are
  // appended to *passthrough (in the order read). Returns false at the end of the stream (the
  // remaining packets are still appended). Fails on a read error or a truncated file.
  Result<bool> Next(DecodedFrame* frame, std::vector<PacketPtr>* passthrough);

  int64_t frames_decoded() const { return frames_decoded_; }
  // Packets the decoder rejected as invalid (it conceals or skips them).
  int64_t decode_errors() const { return decode_errors_; }
  // Video packets read, and frames the decoder gave back marked as damaged (errors concealed:
  // AV_FRAME_FLAG_CORRUPT or decode_error_flags).
  int64_t video_packets() const { return video_packets_; }
  int64_t damaged_frames() const { return damaged_frames_; }

 private:
  VideoReader() = default;
  Status ReadPacket(std::vector<PacketPtr>* passthrough);
  Status ToBgr(const AVFrame& decoded, Image* image);
  Status CheckComplete() const;

  std::string path_;
  AVFormatContext* format_ = nullptr;
  CodecContextPtr decoder_;
  SwsPtr sws_;
  PacketPtr packet_;
  FramePtr frame_;
  VideoStreamInfo video_;
  bool demux_done_ = false;
  bool decoder_done_ = false;
  bool corrupt_packet_ = false;
  int64_t video_packets_ = 0;
  int64_t frames_decoded_ = 0;
  int64_t decode_errors_ = 0;
  int64_t damaged_frames_ = 0;
  int64_t last_pts_ = AV_NOPTS_VALUE;
};

}  // namespace facet::video

#endif  // FACET_SRC_VIDEO_VIDEO_READER_H_
