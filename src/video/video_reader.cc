#include "video/video_reader.h"

#include <cmath>
#include <filesystem>
#include <system_error>

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

namespace facet::video {
namespace {

// The decoder refuses frames above this many pixels (as images are refused above 50 MP).
constexpr int64_t kMaxPixels = 50'000'000;

int ClockwiseRotation(const AVStream& stream) {
  size_t size = 0;
  const uint8_t* matrix = av_stream_get_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (matrix == nullptr || size < 9 * sizeof(int32_t)) return 0;
  const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(ccw)) return 0;
  int clockwise = static_cast<int>(std::lround(-ccw)) % 360;
  if (clockwise < 0) clockwise += 360;
  return clockwise % 90 == 0 ? clockwise : 0;
}

std::string WithLog(std::string message) {
  const std::string log = TakeLastAvLogError();
  if (!log.empty()) message += " (" + log + ")";
  return message;
}

}  // namespace

VideoReader::~VideoReader() {
  if (format_ != nullptr) avformat_close_input(&format_);
}

Result<std::unique_ptr<VideoReader>> VideoReader::Open(const std::string& path) {
  QuietFfmpegLog();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": is a directory, not a video");
  }
  if (std::filesystem::file_size(path, ec) == 0 && !ec) {
    return Status::CorruptData(path + ": empty file");
  }
  std::unique_ptr<VideoReader> reader(new VideoReader());
  reader->path_ = path;
  TakeLastAvLogError();
  int r = avformat_open_input(&reader->format_, path.c_str(), nullptr, nullptr);
  if (r < 0) {
    return Status::CorruptData(WithLog(path + ": not a video FFmpeg can read: " + AvErrorText(r)));
  }
  r = avformat_find_stream_info(reader->format_, nullptr);
  if (r < 0) {
    return Status::CorruptData(
        WithLog(path + ": cannot read the stream parameters: " + AvErrorText(r)));
  }
  const int index = av_find_best_stream(reader->format_, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0 ||
      (reader->format_->streams[index]->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0) {
    return Status::CorruptData(path + ": no video stream");
  }
  const AVStream* stream = reader->format_->streams[index];
  const AVCodecParameters* par = stream->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (codec == nullptr) {
    char tag[AV_FOURCC_MAX_STRING_SIZE] = {};
    av_fourcc_make_string(tag, par->codec_tag);
    return Status::InvalidArgument(path + ": unsupported video codec '" +
                                   std::string(avcodec_get_name(par->codec_id)) + "' (tag " + tag +
                                   "): this FFmpeg build has no decoder for it");
  }
  if (par->width <= 0 || par->height <= 0) {
    return Status::CorruptData(path + ": the video stream declares no frame size");
  }
  if (static_cast<int64_t>(par->width) * par->height > kMaxPixels) {
    return Status::ResourceExhausted(path + ": " + std::to_string(par->width) + "x" +
                                     std::to_string(par->height) +
                                     " frames are over the 50-megapixel limit");
  }
  reader->decoder_.reset(avcodec_alloc_context3(codec));
  if (!reader->decoder_) return Status::Internal("avcodec_alloc_context3 failed");
  r = avcodec_parameters_to_context(reader->decoder_.get(), par);
  if (r < 0) return Status::Internal("avcodec_parameters_to_context: " + AvErrorText(r));
  reader->decoder_->pkt_timebase = stream->time_base;
  reader->decoder_->thread_count = 1;  // facet parallelises across pipeline stages instead
  r = avcodec_open2(reader->decoder_.get(), codec, nullptr);
  if (r < 0) {
    return Status::InvalidArgument(
        WithLog(path + ": cannot open the " + codec->name + " decoder: " + AvErrorText(r)));
  }
  VideoStreamInfo& info = reader->video_;
  info.index = index;
  info.width = par->width;
  info.height = par->height;
  info.time_base = stream->time_base;
  info.frame_rate = av_guess_frame_rate(reader->format_, const_cast<AVStream*>(stream), nullptr);
  info.frame_count = stream->nb_frames;
  info.estimated_frames = info.frame_count;
  if (info.estimated_frames <= 0 && info.frame_rate.num > 0) {
    double seconds = 0;
    if (stream->duration > 0)
      seconds = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
    else if (reader->format_->duration > 0)
      seconds = static_cast<double>(reader->format_->duration) / AV_TIME_BASE;
    info.estimated_frames = std::llround(seconds * av_q2d(info.frame_rate));
  }
  info.codec_name = codec->name;
  info.rotation_degrees = ClockwiseRotation(*stream);
  reader->packet_.reset(av_packet_alloc());
  reader->frame_.reset(av_frame_alloc());
  if (!reader->packet_ || !reader->frame_) return Status::Internal("out of memory");
  return reader;
}

Status VideoReader::ReadPacket(std::vector<PacketPtr>* passthrough) {
  const int r = av_read_frame(format_, packet_.get());
  if (r == AVERROR_EOF) {
    demux_done_ = true;
    if (format_->pb != nullptr && format_->pb->error < 0) {
      return Status::CorruptData(path_ + ": read error: " + AvErrorText(format_->pb->error));
    }
    const int s = avcodec_send_packet(decoder_.get(), nullptr);  // flush
    if (s < 0 && s != AVERROR_EOF)
      return Status::Internal("flushing the decoder: " + AvErrorText(s));
    return Status::Ok();
  }
  if (r < 0) {
    return Status::CorruptData(WithLog(path_ + ": truncated or corrupt (" + AvErrorText(r) + ")"));
  }
  if ((packet_->flags & AV_PKT_FLAG_CORRUPT) != 0) corrupt_packet_ = true;
  if (packet_->stream_index != video_.index) {
    passthrough->emplace_back(av_packet_alloc());
    if (!passthrough->back()) return Status::Internal("out of memory");
    av_packet_move_ref(passthrough->back().get(), packet_.get());
    return Status::Ok();
  }
  ++video_packets_;
  const int s = avcodec_send_packet(decoder_.get(), packet_.get());
  av_packet_unref(packet_.get());
  if (s == AVERROR_INVALIDDATA) {
    ++decode_errors_;
    TakeLastAvLogError();
  } else if (s < 0) {
    return Status::CorruptData(WithLog(path_ + ": decoding failed: " + AvErrorText(s)));
  }
  return Status::Ok();
}

Status VideoReader::ToBgr(const AVFrame& decoded, Image* image) {
  if (decoded.width != video_.width || decoded.height != video_.height) {
    return Status::InvalidArgument(
        path_ + ": the frame size changes mid-stream (" + std::to_string(video_.width) + "x" +
        std::to_string(video_.height) + " to " + std::to_string(decoded.width) + "x" +
        std::to_string(decoded.height) + "); not supported");
  }
  const auto format = static_cast<AVPixelFormat>(decoded.format);
  sws_.reset(sws_getCachedContext(sws_.release(), decoded.width, decoded.height, format,
                                  decoded.width, decoded.height, AV_PIX_FMT_BGR24, SWS_BILINEAR,
                                  nullptr, nullptr, nullptr));
  if (!sws_) {
    const char* name = av_get_pix_fmt_name(format);
    return Status::InvalidArgument(path_ + ": cannot convert pixel format " +
                                   std::string(name != nullptr ? name : "?") + " to BGR");
  }
  const int* coefficients = sws_getCoefficients(SwsColorspace(decoded.colorspace));
  sws_setColorspaceDetails(sws_.get(), coefficients,
                           decoded.color_range == AVCOL_RANGE_JPEG ? 1 : 0, coefficients, 1, 0,
                           1 << 16, 1 << 16);
  // swscale's SIMD BGR24 output writes whole 8-byte words and so runs past the end of a row
  // whose length is not a multiple of 8: past the last row, that is past the buffer (valgrind
  // caught it at 700 px wide). It writes into padded storage, shrunk to the frame afterwards
  // (the capacity stays; nothing is copied).
  const size_t size = static_cast<size_t>(decoded.width) * decoded.height * 3;
  std::vector<uint8_t> pixels(size + AV_INPUT_BUFFER_PADDING_SIZE);
  uint8_t* planes[] = {pixels.data()};
  const int strides[] = {3 * decoded.width};
  sws_scale(sws_.get(), decoded.data, decoded.linesize, 0, decoded.height, planes, strides);
  pixels.resize(size);
  *image = Image(decoded.width, decoded.height, std::move(pixels));
  return Status::Ok();
}

Status VideoReader::CheckComplete() const {
  if (corrupt_packet_) {
    return Status::CorruptData(path_ + ": truncated or corrupt: a packet is incomplete");
  }
  if (video_.frame_count > 0 && video_packets_ < video_.frame_count) {
    return Status::CorruptData(path_ + ": truncated: the container declares " +
                               std::to_string(video_.frame_count) + " video frames, only " +
                               std::to_string(video_packets_) + " are present");
  }
  if (frames_decoded_ == 0) {
    return Status::CorruptData(path_ + ": no video frame could be decoded");
  }
  return Status::Ok();
}

Result<bool> VideoReader::Next(DecodedFrame* frame, std::vector<PacketPtr>* passthrough) {
  while (!decoder_done_) {
    const int r = avcodec_receive_frame(decoder_.get(), frame_.get());
    if (r == 0) {
      int64_t pts = frame_->best_effort_timestamp;
      if (pts == AV_NOPTS_VALUE) {
        const int64_t step = video_.frame_rate.num > 0
                                 ? std::max<int64_t>(1, av_rescale_q(1, av_inv_q(video_.frame_rate),
                                                                     video_.time_base))
                                 : 1;
        pts = last_pts_ == AV_NOPTS_VALUE ? 0 : last_pts_ + step;
      }
      if (last_pts_ != AV_NOPTS_VALUE && pts <= last_pts_) pts = last_pts_ + 1;
      last_pts_ = pts;
      frame->pts = pts;
      if ((frame_->flags & AV_FRAME_FLAG_CORRUPT) != 0 || frame_->decode_error_flags != 0) {
        ++damaged_frames_;
      }
      const Status converted = ToBgr(*frame_, &frame->image);
      av_frame_unref(frame_.get());
      FACET_RETURN_IF_ERROR(converted);
      ++frames_decoded_;
      return true;
    }
    if (r == AVERROR_EOF) {
      decoder_done_ = true;
      break;
    }
    if (r != AVERROR(EAGAIN)) {
      if (r != AVERROR_INVALIDDATA) {
        return Status::CorruptData(WithLog(path_ + ": decoding failed: " + AvErrorText(r)));
      }
      if (++decode_errors_ > video_packets_ + 64) {
        return Status::CorruptData(WithLog(path_ + ": the decoder keeps failing"));
      }
      continue;
    }
    if (demux_done_) return Status::Internal("decoder wants input after the flush");
    FACET_RETURN_IF_ERROR(ReadPacket(passthrough));
  }
  // Packets of other streams after the last video frame.
  while (!demux_done_) FACET_RETURN_IF_ERROR(ReadPacket(passthrough));
  FACET_RETURN_IF_ERROR(CheckComplete());
  return false;
}

}  // namespace facet::video
