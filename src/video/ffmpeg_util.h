// Small RAII and error helpers around FFmpeg's C API, shared by the reader and the writer.
#ifndef FACET_SRC_VIDEO_FFMPEG_UTIL_H_
#define FACET_SRC_VIDEO_FFMPEG_UTIL_H_

#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include "facet/status.h"

namespace facet::video {

struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

// FFmpeg's message for an error code, e.g. "Invalid data found when processing input".
std::string AvErrorText(int error);

// Routes FFmpeg's log away from stderr (once per process): facet reports errors itself, in one
// line. The last error-level message of the calling thread is kept for LastAvLogError.
void QuietFfmpegLog();
// The last error message FFmpeg logged on this thread (empty if none), and clears it.
std::string TakeLastAvLogError();

// libswscale's colour-matrix constant (SWS_CS_*) for a stream's matrix coefficients; the
// default (BT.601) when unspecified.
int SwsColorspace(AVColorSpace colorspace);

}  // namespace facet::video

#endif  // FACET_SRC_VIDEO_FFMPEG_UTIL_H_
