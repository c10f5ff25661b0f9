#include "eval/video_frames.h"

#include <opencv2/core.hpp>
#include <utility>

#include "image/convert.h"
#include "video/video_reader.h"

namespace facet::eval {

Result<std::unique_ptr<VideoFrames>> VideoFrames::Open(const std::string& path) {
  auto reader = video::VideoReader::Open(path);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<VideoFrames>(new VideoFrames(std::move(reader).value()));
}

VideoFrames::VideoFrames(std::unique_ptr<video::VideoReader> reader) : reader_(std::move(reader)) {}

VideoFrames::~VideoFrames() = default;

Status VideoFrames::NextBatch(size_t count, std::vector<Image>* frames) {
  frames->clear();
  std::vector<video::PacketPtr> other_streams;
  while (!done_ && frames->size() < count) {
    video::DecodedFrame frame;
    auto more = reader_->Next(&frame, &other_streams);
    if (!more.ok()) return more.status();
    other_streams.clear();
    if (!more.value()) {
      done_ = true;
      break;
    }
    switch (reader_->video().rotation_degrees) {
      case 90:
      case 180:
      case 270: {
        cv::Mat upright;
        const int degrees = reader_->video().rotation_degrees;
        cv::rotate(image::AsMat(frame.image), upright,
                   degrees == 90    ? cv::ROTATE_90_CLOCKWISE
                   : degrees == 180 ? cv::ROTATE_180
                                    : cv::ROTATE_90_COUNTERCLOCKWISE);
        frames->push_back(image::ImageFromMat(upright));
        break;
      }
      default:
        frames->push_back(std::move(frame.image));
    }
  }
  return Status::Ok();
}

}  // namespace facet::eval
