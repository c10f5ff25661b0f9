#include "video/video_writer.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

extern "C" {
#include <libavutil/opt.h>
}

namespace facet::video {
namespace {

std::string Describe(const AVCodecParameters& par) {
  const char* type = av_get_media_type_string(par.codec_type);
  return std::string(type != nullptr ? type : "unknown") + " " + avcodec_get_name(par.codec_id);
}

}  // namespace

Result<std::string> MuxerForPath(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".mp4" || ext == ".m4v") return std::string("mp4");
  if (ext == ".mov") return std::string("mov");
  if (ext == ".mkv") return std::string("matroska");
  return Status::InvalidArgument(
      path + ": facet writes video as .mp4, .mov or .mkv (H.264); got '" + ext + "'");
}

VideoWriter::~VideoWriter() {
  if (format_ != nullptr) {
    if ((format_->oformat->flags & AVFMT_NOFILE) == 0) avio_closep(&format_->pb);
    avformat_free_context(format_);
  }
}

Result<std::unique_ptr<VideoWriter>> VideoWriter::Open(const std::string& path,
                                                       const std::string& muxer,
                                                       const VideoReader& reader,
                                                       const WriterOptions& options) {
  QuietFfmpegLog();
  std::unique_ptr<VideoWriter> writer(new VideoWriter());
  writer->path_ = path;
  int r = avformat_alloc_output_context2(&writer->format_, nullptr, muxer.c_str(), path.c_str());
  if (r < 0 || writer->format_ == nullptr) {
    return Status::Internal("no " + muxer + " muxer in this FFmpeg build: " + AvErrorText(r));
  }
  const AVOutputFormat* oformat = writer->format_->oformat;
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) {
    return Status::FailedPrecondition("this FFmpeg build has no libx264 encoder (Debian's has)");
  }
  const AVFormatContext* input = reader.format();
  const VideoStreamInfo& video = reader.video();
  const AVStream* in_video = input->streams[video.index];
  const AVCodecParameters* in_par = in_video->codecpar;

  writer->encoder_.reset(avcodec_alloc_context3(codec));
  AVCodecContext* enc = writer->encoder_.get();
  if (enc == nullptr) return Status::Internal("avcodec_alloc_context3 failed");
  enc->width = video.width;
  enc->height = video.height;
  // 4:2:0 needs even sizes; an odd size keeps full chroma instead of changing the frame size.
  enc->pix_fmt =
      (video.width % 2 == 0 && video.height % 2 == 0) ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUV444P;
  enc->time_base = video.time_base;
  enc->framerate = video.frame_rate;
  enc->sample_aspect_ratio = in_par->sample_aspect_ratio;
  enc->color_range = in_par->color_range == AVCOL_RANGE_JPEG ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  enc->color_primaries = in_par->color_primaries;
  enc->color_trc = in_par->color_trc;
  enc->colorspace = in_par->color_space;
  enc->chroma_sample_location = in_par->chroma_location;
  enc->thread_count = std::max(1, options.encoder_threads);
  if ((oformat->flags & AVFMT_GLOBALHEADER) != 0) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* enc_opts = nullptr;
  av_dict_set(&enc_opts, "preset", options.x264_preset.c_str(), 0);
  av_dict_set(&enc_opts, "crf", std::to_string(options.crf).c_str(), 0);
  TakeLastAvLogError();
  r = avcodec_open2(enc, codec, &enc_opts);
  av_dict_free(&enc_opts);
  if (r < 0) {
    std::string log = TakeLastAvLogError();
    return Status::InvalidArgument("cannot open the H.264 encoder (preset '" + options.x264_preset +
                                   "', crf " + std::to_string(options.crf) +
                                   "): " + AvErrorText(r) + (log.empty() ? "" : " (" + log + ")"));
  }

  writer->video_stream_ = avformat_new_stream(writer->format_, nullptr);
  if (writer->video_stream_ == nullptr) return Status::Internal("avformat_new_stream failed");
  r = avcodec_parameters_from_context(writer->video_stream_->codecpar, enc);
  if (r < 0) return Status::Internal("avcodec_parameters_from_context: " + AvErrorText(r));
  writer->video_stream_->time_base = enc->time_base;
  writer->video_stream_->avg_frame_rate = video.frame_rate;
  writer->video_stream_->sample_aspect_ratio = enc->sample_aspect_ratio;
  size_t matrix_size = 0;
  const uint8_t* matrix =
      av_stream_get_side_data(in_video, AV_PKT_DATA_DISPLAYMATRIX, &matrix_size);
  if (matrix != nullptr && matrix_size > 0) {
    uint8_t* copy =
        av_stream_new_side_data(writer->video_stream_, AV_PKT_DATA_DISPLAYMATRIX, matrix_size);
    if (copy == nullptr) return Status::Internal("out of memory");
    std::memcpy(copy, matrix, matrix_size);
  }

  writer->stream_map_.assign(input->nb_streams, nullptr);
  writer->input_time_bases_.resize(input->nb_streams);
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    const AVStream* in = input->streams[i];
    writer->input_time_bases_[i] = in->time_base;
    if (static_cast<int>(i) == video.index) continue;
    const AVCodecParameters& par = *in->codecpar;
    const std::string what = Describe(par);
    const bool audio = par.codec_type == AVMEDIA_TYPE_AUDIO;
    if (audio && !options.keep_audio) {
      writer->dropped_.push_back(what + " (--no-audio)");
      continue;
    }
    if (par.codec_type == AVMEDIA_TYPE_VIDEO) {
      writer->dropped_.push_back(what + " (another video stream: it is not redacted)");
      continue;
    }
    if (!audio && par.codec_type != AVMEDIA_TYPE_SUBTITLE) {
      writer->dropped_.push_back(what + " (not audio or subtitles)");
      continue;
    }
    if (avformat_query_codec(oformat, par.codec_id, FF_COMPLIANCE_NORMAL) == 0) {
      if (audio) {
        std::string message = "the input's " + what;
        message += " stream cannot be stored in " + muxer;
        message += " without re-encoding; use --no-audio, or a .mkv output";
        return Status::InvalidArgument(message);
      }
      std::string reason = what;
      reason += " (" + muxer + " cannot hold it)";
      writer->dropped_.push_back(reason);
      continue;
    }
    AVStream* out = avformat_new_stream(writer->format_, nullptr);
    if (out == nullptr) return Status::Internal("avformat_new_stream failed");
    r = avcodec_parameters_copy(out->codecpar, &par);
    if (r < 0) return Status::Internal("avcodec_parameters_copy: " + AvErrorText(r));
    out->codecpar->codec_tag = 0;  // let the muxer pick its own tag for the codec
    out->time_base = in->time_base;
    out->disposition = in->disposition;
    const AVDictionaryEntry* language = av_dict_get(in->metadata, "language", nullptr, 0);
    if (language != nullptr) av_dict_set(&out->metadata, "language", language->value, 0);
    writer->stream_map_[i] = out;
    writer->copied_.push_back(what);
  }

  if ((oformat->flags & AVFMT_NOFILE) == 0) {
    r = avio_open(&writer->format_->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (r < 0) return Status::InvalidArgument(path + ": cannot create: " + AvErrorText(r));
  }
  AVDictionary* mux_opts = nullptr;
  if (muxer == "mp4" || muxer == "mov") av_dict_set(&mux_opts, "movflags", "+faststart", 0);
  TakeLastAvLogError();
  r = avformat_write_header(writer->format_, &mux_opts);
  av_dict_free(&mux_opts);
  if (r < 0) {
    std::string log = TakeLastAvLogError();
    return Status::InvalidArgument(path + ": cannot start the " + muxer + " file: " +
                                   AvErrorText(r) + (log.empty() ? "" : " (" + log + ")"));
  }

  writer->frame_.reset(av_frame_alloc());
  writer->packet_.reset(av_packet_alloc());
  if (!writer->frame_ || !writer->packet_) return Status::Internal("out of memory");
  AVFrame* frame = writer->frame_.get();
  frame->format = enc->pix_fmt;
  frame->width = enc->width;
  frame->height = enc->height;
  frame->color_range = enc->color_range;
  frame->colorspace = enc->colorspace;
  frame->color_primaries = enc->color_primaries;
  frame->color_trc = enc->color_trc;
  r = av_frame_get_buffer(frame, 0);
  if (r < 0) return Status::Internal("av_frame_get_buffer: " + AvErrorText(r));
  writer->sws_.reset(sws_getContext(enc->width, enc->height, AV_PIX_FMT_BGR24, enc->width,
                                    enc->height, enc->pix_fmt, SWS_BILINEAR, nullptr, nullptr,
                                    nullptr));
  if (!writer->sws_) return Status::Internal("sws_getContext (BGR to YUV) failed");
  // The same matrix the reader decoded with, so unredacted pixels round-trip.
  const int* coefficients = sws_getCoefficients(SwsColorspace(enc->colorspace));
  sws_setColorspaceDetails(writer->sws_.get(), coefficients, 1, coefficients,
                           enc->color_range == AVCOL_RANGE_JPEG ? 1 : 0, 0, 1 << 16, 1 << 16);
  return writer;
}

Status VideoWriter::DrainEncoder() {
  while (true) {
    const int r = avcodec_receive_packet(encoder_.get(), packet_.get());
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return Status::Ok();
    if (r < 0) return Status::Internal("H.264 encoder: " + AvErrorText(r));
    packet_->stream_index = video_stream_->index;
    av_packet_rescale_ts(packet_.get(), encoder_->time_base, video_stream_->time_base);
    const int w = av_interleaved_write_frame(format_, packet_.get());
    if (w < 0) return Status::Internal(path_ + ": write failed: " + AvErrorText(w));
  }
}

Status VideoWriter::WriteFrame(const cv::Mat& bgr, int64_t pts) {
  if (finished_) return Status::Internal("VideoWriter: write after Finish");
  if (bgr.type() != CV_8UC3 || bgr.cols != encoder_->width || bgr.rows != encoder_->height) {
    return Status::InvalidArgument("VideoWriter: frame is not CV_8UC3 of the stream's size");
  }
  AVFrame* frame = frame_.get();
  int r = av_frame_make_writable(frame);
  if (r < 0) return Status::Internal("av_frame_make_writable: " + AvErrorText(r));
  const uint8_t* planes[] = {bgr.data};
  const int strides[] = {static_cast<int>(bgr.step)};
  sws_scale(sws_.get(), planes, strides, 0, bgr.rows, frame->data, frame->linesize);
  frame->pts = pts;
  r = avcodec_send_frame(encoder_.get(), frame);
  if (r < 0) return Status::Internal("H.264 encoder: " + AvErrorText(r));
  return DrainEncoder();
}

Status VideoWriter::WritePassthrough(AVPacket* packet) {
  if (finished_) return Status::Internal("VideoWriter: write after Finish");
  const int index = packet->stream_index;
  if (index < 0 || index >= static_cast<int>(stream_map_.size()) || stream_map_[index] == nullptr) {
    av_packet_unref(packet);
    return Status::Ok();
  }
  AVStream* out = stream_map_[index];
  av_packet_rescale_ts(packet, input_time_bases_[index], out->time_base);
  packet->stream_index = out->index;
  packet->pos = -1;
  const int r = av_interleaved_write_frame(format_, packet);
  if (r < 0) return Status::Internal(path_ + ": write failed: " + AvErrorText(r));
  return Status::Ok();
}

Status VideoWriter::Finish() {
  if (finished_) return Status::Ok();
  finished_ = true;
  int r = avcodec_send_frame(encoder_.get(), nullptr);
  if (r < 0 && r != AVERROR_EOF) return Status::Internal("H.264 encoder flush: " + AvErrorText(r));
  FACET_RETURN_IF_ERROR(DrainEncoder());
  r = av_write_trailer(format_);
  if (r < 0) return Status::Internal(path_ + ": cannot finish the file: " + AvErrorText(r));
  if ((format_->oformat->flags & AVFMT_NOFILE) == 0) {
    r = avio_closep(&format_->pb);
    if (r < 0) return Status::Internal(path_ + ": cannot close: " + AvErrorText(r));
  }
  return Status::Ok();
}

}  // namespace facet::video
