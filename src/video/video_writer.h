// Encodes BGR frames as H.264 (libx264 through libavcodec) and muxes them, with the packets of
// the input's other streams copied unchanged (no re-encoding), into MP4, MOV or Matroska.
//
// Timestamps: frames keep the input video stream's timestamps and time base, so the frame
// count, timing and rate are those of the input. The display matrix (rotation) is copied.
// Container metadata (which may hold a location or a device name) is not copied.
//
// Thread-safety: one VideoWriter is used by one thread at a time.
#ifndef FACET_SRC_VIDEO_VIDEO_WRITER_H_
#define FACET_SRC_VIDEO_VIDEO_WRITER_H_

#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "facet/status.h"
#include "video/ffmpeg_util.h"
#include "video/video_reader.h"

namespace facet::video {

struct WriterOptions {
  std::string x264_preset = "superfast";
  int crf = 20;
  int encoder_threads = 1;
  bool keep_audio = true;
};

// The libavformat muxer name for an output path's extension ("mp4", "mov", "matroska"), or
// kInvalidArgument naming the extensions facet writes.
Result<std::string> MuxerForPath(const std::string& path);

class VideoWriter {
 public:
  // Creates `path` (truncating it) with a video stream shaped like `reader`'s and a copy of each
  // of its other streams the container can hold. `muxer` as MuxerForPath returns. Fails when an
  // audio stream to keep cannot be stored in the container.
  static Result<std::unique_ptr<VideoWriter>> Open(const std::string& path,
                                                   const std::string& muxer,
                                                   const VideoReader& reader,
                                                   const WriterOptions& options);
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Encodes one frame (CV_8UC3, the input's coded size) with `pts` in the input video stream's
  // time base; timestamps must increase.
  Status WriteFrame(const cv::Mat& bgr, int64_t pts);
  // Writes a packet of the input's stream packet->stream_index if that stream is copied (else
  // drops it). Takes the packet's contents.
  Status WritePassthrough(AVPacket* packet);
  // Flushes the encoder and finishes the file. Nothing may be written after.
  Status Finish();

  // Descriptions like "audio aac" of the streams copied and dropped (with the reason).
  const std::vector<std::string>& copied_streams() const { return copied_; }
  const std::vector<std::string>& dropped_streams() const { return dropped_; }

 private:
  VideoWriter() = default;
  Status DrainEncoder();

  std::string path_;
  AVFormatContext* format_ = nullptr;
  bool finished_ = false;
  CodecContextPtr encoder_;
  SwsPtr sws_;
  FramePtr frame_;
  PacketPtr packet_;
  AVStream* video_stream_ = nullptr;
  // Input stream index -> output stream (nullptr: dropped), and their input time bases.
  std::vector<AVStream*> stream_map_;
  std::vector<AVRational> input_time_bases_;
  std::vector<std::string> copied_;
  std::vector<std::string> dropped_;
};

}  // namespace facet::video

#endif  // FACET_SRC_VIDEO_VIDEO_WRITER_H_
