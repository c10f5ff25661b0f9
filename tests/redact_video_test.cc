// The video pipeline's threads (decoding, detection x N, tracking + drawing, verification x N,
// encoding) on a real clip of faces: two runs with the same options write the same file (carried
// regions are scheduled by frame number, never by which thread finishes first), and
// verification redacts the faces detection was set to miss. CI also runs this test under
// ThreadSanitizer (.ci/run; the tsan preset), which is what it is for: races in the hand-offs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "facet/engine.h"
#include "facet/redact.h"
#include "samples.h"

namespace facet {
namespace {

class RedactVideoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() /
           ("facet_redact_video_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    // 12 frames of sample5's five faces, 640 px wide (ffmpeg is installed with the other
    // dependencies by scripts/deps.sh; the CLI tests use it the same way).
    const std::string command =
        "ffmpeg -v error -y -loop 1 -i '" + fixtures::SamplePath(5) +
        "' -frames:v 12 -r 25 -vf 'scale=640:-2,format=yuv420p' -c:v libx264 -preset ultrafast '" +
        (dir_ / "faces.mp4").string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    // The engine (and its threads) after the fork that std::system makes.
    auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = engine.value();
  }
  static void TearDownTestSuite() {
    engine_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  static std::shared_ptr<const Engine> engine_;
  static std::filesystem::path dir_;
};
std::shared_ptr<const Engine> RedactVideoTest::engine_;
std::filesystem::path RedactVideoTest::dir_;

TEST_F(RedactVideoTest, ThreadedRunsWriteTheSameFile) {
  VideoRedactOptions options;
  options.threads = 3;
  options.redact.verify_rounds = 2;  // verification's threads and carried regions too
  const std::filesystem::path input = dir_ / "faces.mp4";
  auto first = RedactVideo(engine_, input.string(), (dir_ / "first.mp4").string(), options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = RedactVideo(engine_, input.string(), (dir_ / "second.mp4").string(), options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();

  EXPECT_EQ(first->frames, 12);
  ASSERT_EQ(first->faces_per_frame.size(), 12u);
  for (int n : first->faces_per_frame) EXPECT_GE(n, 5) << "the photo's 5 faces, every frame";
  EXPECT_EQ(first->faces_per_frame, second->faces_per_frame);
  EXPECT_EQ(first->redacted_share_per_frame, second->redacted_share_per_frame);
  EXPECT_EQ(first->verify_regions, second->verify_regions);
  EXPECT_EQ(first->residual_faces, second->residual_faces);
  const std::string first_bytes = fixtures::ReadFile((dir_ / "first.mp4").string());
  EXPECT_FALSE(first_bytes.empty());
  EXPECT_TRUE(first_bytes == fixtures::ReadFile((dir_ / "second.mp4").string()))
      << "the two runs wrote different files";
}

// The share of the picture a run reports is the share it changed: with a black fill, the pixels
// of a written frame that turned black are the regions' pixels that were not black already.
TEST_F(RedactVideoTest, TheRedactedShareIsThePictureThatTurnedBlack) {
  VideoRedactOptions options;
  options.redact.mode = RedactMode::kFill;
  const std::filesystem::path input = dir_ / "faces.mp4", output = dir_ / "filled.mp4";
  auto summary = RedactVideo(engine_, input.string(), output.string(), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->redacted_share_per_frame.size(), 12u);
  constexpr int kFrame = 6;
  // The frame as raw BGR from ffmpeg: no image decoder in between (and none of GDAL's locks,
  // which OpenCV's decoders take and ThreadSanitizer reports as an inversion inside GDAL).
  constexpr int kWidth = 640;  // faces.mp4's width
  auto frame_of = [&](const std::filesystem::path& video,
                      const std::string& name) -> Result<Image> {
    const std::string raw = (dir_ / name).string();
    const std::string command = "ffmpeg -v error -y -i '" + video.string() +
                                "' -vf 'select=eq(n\\," + std::to_string(kFrame) +
                                ")' -frames:v 1 -f rawvideo -pix_fmt bgr24 '" + raw + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    const std::string bytes = fixtures::ReadFile(raw);
    if (bytes.empty() || bytes.size() % (3 * kWidth) != 0) {
      return Status::InvalidArgument(raw + ": not a 640-px-wide BGR frame");
    }
    return Image(kWidth, static_cast<int>(bytes.size() / (3 * kWidth)),
                 std::vector<uint8_t>(bytes.begin(), bytes.end()));
  };
  auto before = frame_of(input, "before.bgr");
  auto after = frame_of(output, "after.bgr");
  ASSERT_TRUE(before.ok() && after.ok());
  ASSERT_EQ(before->width(), after->width());
  ASSERT_EQ(before->height(), after->height());
  auto black = [](const Image& image, size_t i) {
    const uint8_t* p = image.data() + 3 * i;
    return p[0] + p[1] + p[2] <= 3 * 24;
  };
  const size_t pixels = static_cast<size_t>(before->width()) * before->height();
  size_t turned_black = 0;
  for (size_t i = 0; i < pixels; ++i) turned_black += black(*after, i) && !black(*before, i);
  const double turned = static_cast<double>(turned_black) / static_cast<double>(pixels);
  const double share = summary->redacted_share_per_frame[kFrame];
  // Five faces: a fifth of the picture, not none and not most of it.
  EXPECT_GT(share, 0.1);
  EXPECT_LT(share, 0.4);
  // Nothing outside the regions turned black; inside them, only what was black already (dark
  // hair: ~8 % of the regions in this clip) and the ellipses' edges (the encoder) did not.
  EXPECT_LE(turned, share + 0.002);
  EXPECT_GE(turned, 0.85 * share);
}

}  // namespace
}  // namespace facet
