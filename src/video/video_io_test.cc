// VideoReader / VideoWriter on tiny committed fixtures (tests/fixtures): every frame read with
// increasing timestamps, a round trip keeps frame count, timestamps, size, rate and the audio
// packets; bad files fail with a clear error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "image/convert.h"
#include "video/video_reader.h"
#include "video/video_writer.h"

namespace facet::video {
namespace {

namespace fs = std::filesystem;

const std::string kMp4 =
    std::string(FACET_FIXTURE_DIR) + "/tiny_h264_aac.mp4";  // 64x48, 10 frames, 25 fps, AAC
const std::string kAvi =
    std::string(FACET_FIXTURE_DIR) + "/odd_mjpeg_pcm.avi";  // 33x25, 5 frames, 10 fps, PCM

struct Contents {
  int width = 0, height = 0;
  AVRational frame_rate{0, 1};
  std::vector<int64_t> pts;
  std::vector<double> mean_level;      // mean pixel value of each frame
  std::map<std::string, int> packets;  // passthrough packets per codec type name
  std::vector<std::string> stream_types;
};

Result<Contents> ReadAll(const std::string& path) {
  auto reader = VideoReader::Open(path);
  if (!reader.ok()) return reader.status();
  Contents c;
  c.width = (*reader)->video().width;
  c.height = (*reader)->video().height;
  c.frame_rate = (*reader)->video().frame_rate;
  for (unsigned i = 0; i < (*reader)->format()->nb_streams; ++i) {
    c.stream_types.push_back(
        av_get_media_type_string((*reader)->format()->streams[i]->codecpar->codec_type));
  }
  DecodedFrame frame;
  std::vector<PacketPtr> passthrough;
  while (true) {
    auto more = (*reader)->Next(&frame, &passthrough);
    if (!more.ok()) return more.status();
    if (!more.value()) break;
    c.pts.push_back(frame.pts);
    c.mean_level.push_back(cv::mean(image::AsMat(frame.image))[0]);
  }
  for (const PacketPtr& p : passthrough) {
    ++c.packets[av_get_media_type_string(
        (*reader)->format()->streams[p->stream_index]->codecpar->codec_type)];
  }
  return c;
}

// Copies `input` to `output` through the reader and writer, frames unchanged.
Status Transcode(const std::string& input, const std::string& output, bool keep_audio,
                 std::vector<std::string>* dropped = nullptr) {
  auto reader = VideoReader::Open(input);
  if (!reader.ok()) return reader.status();
  auto muxer = MuxerForPath(output);
  if (!muxer.ok()) return muxer.status();
  WriterOptions options;
  options.keep_audio = keep_audio;
  options.x264_preset = "ultrafast";
  auto writer = VideoWriter::Open(output, muxer.value(), **reader, options);
  if (!writer.ok()) return writer.status();
  DecodedFrame frame;
  std::vector<PacketPtr> passthrough;
  while (true) {
    auto more = (*reader)->Next(&frame, &passthrough);
    if (!more.ok()) return more.status();
    for (PacketPtr& p : passthrough) FACET_RETURN_IF_ERROR((*writer)->WritePassthrough(p.get()));
    passthrough.clear();
    if (!more.value()) break;
    FACET_RETURN_IF_ERROR((*writer)->WriteFrame(image::AsMat(frame.image), frame.pts));
  }
  if (dropped != nullptr) *dropped = (*writer)->dropped_streams();
  return (*writer)->Finish();
}

std::string TempPath(const std::string& name) {
  return (fs::path(testing::TempDir()) / name).string();
}

std::string WriteBytes(const std::string& name, const std::string& bytes) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(VideoReaderTest, ReadsEveryFrameWithIncreasingTimestamps) {
  auto c = ReadAll(kMp4);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->width, 64);
  EXPECT_EQ(c->height, 48);
  EXPECT_EQ(c->frame_rate.num, 25);
  EXPECT_EQ(c->frame_rate.den, 1);
  ASSERT_EQ(c->pts.size(), 10u);
  for (size_t i = 1; i < c->pts.size(); ++i) EXPECT_GT(c->pts[i], c->pts[i - 1]);
  EXPECT_EQ(c->packets["audio"], 8);  // every AAC packet handed out for copying
}

TEST(VideoWriterTest, RoundTripKeepsFramesTimestampsSizeRateAndAudio) {
  const std::string out = TempPath("round_trip.mp4");
  ASSERT_TRUE(Transcode(kMp4, out, true).ok());
  auto in = ReadAll(kMp4);
  auto copy = ReadAll(out);
  ASSERT_TRUE(in.ok() && copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->width, 64);
  EXPECT_EQ(copy->height, 48);
  EXPECT_EQ(copy->frame_rate.num * in->frame_rate.den, in->frame_rate.num * copy->frame_rate.den);
  ASSERT_EQ(copy->pts.size(), in->pts.size());
  EXPECT_EQ(copy->stream_types, (std::vector<std::string>{"video", "audio"}));
  EXPECT_EQ(copy->packets["audio"], in->packets["audio"]);
  for (size_t i = 0; i < in->pts.size(); ++i) {
    EXPECT_NEAR(copy->mean_level[i], in->mean_level[i], 3.0) << "frame " << i;  // same picture
    // Timestamps in seconds agree (the muxer may pick another time base).
    if (i > 0) {
      EXPECT_NEAR(static_cast<double>(copy->pts[i] - copy->pts[0]) / (copy->pts[1] - copy->pts[0]),
                  static_cast<double>(in->pts[i] - in->pts[0]) / (in->pts[1] - in->pts[0]), 1e-6);
    }
  }
}

TEST(VideoWriterTest, NoAudioDropsTheAudioStream) {
  const std::string out = TempPath("no_audio.mp4");
  std::vector<std::string> dropped;
  ASSERT_TRUE(Transcode(kMp4, out, false, &dropped).ok());
  auto copy = ReadAll(out);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->stream_types, std::vector<std::string>{"video"});
  EXPECT_EQ(copy->pts.size(), 10u);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_NE(dropped[0].find("--no-audio"), std::string::npos);
}

// An odd frame size is kept (4:4:4 instead of 4:2:0); PCM audio goes into Matroska unchanged
// and is refused by MP4 with a hint, leaving the choice to the user.
TEST(VideoWriterTest, OddSizeAndPcmAudio) {
  const std::string mkv = TempPath("odd.mkv");
  const Status status = Transcode(kAvi, mkv, true);
  ASSERT_TRUE(status.ok()) << status.ToString();
  auto copy = ReadAll(mkv);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->width, 33);
  EXPECT_EQ(copy->height, 25);
  EXPECT_EQ(copy->pts.size(), 5u);
  EXPECT_EQ(copy->stream_types, (std::vector<std::string>{"video", "audio"}));
  const Status mp4 = Transcode(kAvi, TempPath("odd.mp4"), true);
  EXPECT_EQ(mp4.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mp4.message().find("--no-audio"), std::string::npos) << mp4.message();
  EXPECT_TRUE(Transcode(kAvi, TempPath("odd_silent.mp4"), false).ok());
}

TEST(VideoReaderTest, BadFilesFailClearly) {
  EXPECT_EQ(VideoReader::Open(TempPath("missing.mp4")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(VideoReader::Open(testing::TempDir()).status().code(), StatusCode::kInvalidArgument);
  auto empty = VideoReader::Open(WriteBytes("empty.mp4", ""));
  EXPECT_EQ(empty.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
  EXPECT_EQ(VideoReader::Open(WriteBytes("text.mp4", "not a video at all\n")).status().code(),
            StatusCode::kCorruptData);
  // Truncated: the index (moov, at the front) declares frames whose data is missing.
  const std::string bytes = ReadBytes(kMp4);
  for (size_t keep : {bytes.size() * 3 / 4, bytes.size() / 2}) {
    auto contents = ReadAll(WriteBytes("truncated.mp4", bytes.substr(0, keep)));
    ASSERT_FALSE(contents.ok()) << keep;
    EXPECT_EQ(contents.status().code(), StatusCode::kCorruptData);
    EXPECT_NE(contents.status().message().find("truncated"), std::string::npos)
        << contents.status().message();
  }
  // A video codec FFmpeg has no decoder for (the sample entry's fourcc replaced).
  std::string unknown = bytes;
  for (size_t at = unknown.find("avc1"); at != std::string::npos; at = unknown.find("avc1", at)) {
    unknown.replace(at, 4, "zzzz");
  }
  auto unsupported = VideoReader::Open(WriteBytes("unknown_codec.mp4", unknown));
  EXPECT_EQ(unsupported.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unsupported.status().message().find("unsupported video codec"), std::string::npos)
      << unsupported.status().message();
}

TEST(MuxerForPathTest, ContainerFromTheExtension) {
  EXPECT_EQ(MuxerForPath("a/b.mp4").value(), "mp4");
  EXPECT_EQ(MuxerForPath("B.MOV").value(), "mov");
  EXPECT_EQ(MuxerForPath("c.mkv").value(), "matroska");
  EXPECT_EQ(MuxerForPath("d.avi").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MuxerForPath("noext").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace facet::video
