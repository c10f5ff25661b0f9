#include "eval/video_frames.h"

#include <utility>

#include "redact/rotation.h"
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
    const int rotation = reader_->video().rotation_degrees;
    frames->push_back(rotation == 0 ? std::move(frame.image)
                                    : redact::UprightImage(frame.image, rotation));
  }
  return Status::Ok();
}

}  // namespace facet::eval
