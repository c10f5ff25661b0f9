// Head pose where the truth is known, on real photos (../shared/data; skips when absent):
// - a mirrored photo reads the opposite yaw and roll and the same pitch;
// - a photo turned in its plane by an angle reads roll shifted by that angle, yaw and pitch kept;
// - the six extreme poses of media/pose read in their direction;
// - the blind-labelled pose set (tools/pose/pose_labels.tsv, faces of ../shared/data sorted by
//   eye): profiles read abs(yaw) >= 45 and frontal faces abs(yaw) <= 20, each in >= 90 % of the
//   faces found (issue 15), and the quality verdict is "low" on profiles.
// Mean absolute errors and the shares are printed (docs/quality.md quotes them).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "facet/engine.h"
#include "facet/image.h"
#include "image/convert.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

class HeadPoseDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    auto session = (*engine)->NewSession();
    ASSERT_TRUE(session.ok());
    engine_ = engine.value();
    session_ = std::move(session).value();
  }

  // The face nearest the image centre, or nullopt.
  std::optional<Face> CentreFace(const cv::Mat& bgr) {
    auto faces = session_->Detect(image::ImageFromMat(bgr));
    if (!faces.ok() || faces->empty()) return std::nullopt;
    const Face* best = nullptr;
    double best_distance = 1e300;
    for (const Face& f : faces.value()) {
      const double d = std::hypot(f.box.x + f.box.width / 2 - bgr.cols / 2.0,
                                  f.box.y + f.box.height / 2 - bgr.rows / 2.0);
      if (d < best_distance) {
        best_distance = d;
        best = &f;
      }
    }
    return *best;
  }

  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<Session> session_;
};

// The first `count` distinct images of LFW's pairs.txt.
std::vector<fs::path> LfwImages(const fs::path& lfw, size_t count) {
  std::vector<fs::path> paths;
  std::ifstream in(lfw / "pairs.txt");
  std::string line;
  std::getline(in, line);
  while (paths.size() < count && std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    int index = 0;
    if (!(fields >> name >> index)) continue;
    char file[256];
    std::snprintf(file, sizeof(file), "%s_%04d.jpg", name.c_str(), index);
    paths.push_back(lfw / "images" / name / file);
  }
  return paths;
}

double AngleDifference(double a, double b) {
  double d = std::fmod(a - b + 540.0, 360.0) - 180.0;
  return std::abs(d);
}

TEST_F(HeadPoseDataTest, MirrorAndInPlaneRotationOnLfw) {
  const fs::path lfw = fs::path(FACET_SHARED_DATA_DIR) / "lfw";
  if (!fs::exists(lfw / "pairs.txt")) GTEST_SKIP() << lfw << " not found (evaluation data absent)";
  double mirror_yaw = 0, mirror_pitch = 0, mirror_roll = 0;
  double rotation_roll = 0, rotation_yaw = 0, rotation_pitch = 0;
  int mirrored = 0, rotated = 0, missed = 0;
  for (const fs::path& path : LfwImages(lfw, 100)) {
    auto image = LoadImage(path.string());
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    const cv::Mat bgr = image::AsMat(image.value());
    const auto face = CentreFace(bgr);
    if (!face) {
      ++missed;
      continue;
    }
    cv::Mat flipped;
    cv::flip(bgr, flipped, 1);
    if (const auto other = CentreFace(flipped)) {
      mirror_yaw += std::abs(other->quality.yaw_degrees + face->quality.yaw_degrees);
      mirror_pitch += std::abs(other->quality.pitch_degrees - face->quality.pitch_degrees);
      mirror_roll += std::abs(other->quality.roll_degrees + face->quality.roll_degrees);
      ++mirrored;
    } else {
      ++missed;
    }
    for (const double angle : {-30.0, 15.0}) {
      // cv::getRotationMatrix2D turns counter-clockwise for a positive angle: the face then leans
      // counter-clockwise, which is roll - angle.
      const cv::Mat turn =
          cv::getRotationMatrix2D(cv::Point2f(bgr.cols / 2.0f, bgr.rows / 2.0f), angle, 1.0);
      cv::Mat turned;
      cv::warpAffine(bgr, turned, turn, bgr.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      const auto other = CentreFace(turned);
      if (!other) {
        ++missed;
        continue;
      }
      rotation_roll += AngleDifference(other->quality.roll_degrees, face->quality.roll_degrees - angle);
      rotation_yaw += std::abs(other->quality.yaw_degrees - face->quality.yaw_degrees);
      rotation_pitch += std::abs(other->quality.pitch_degrees - face->quality.pitch_degrees);
      ++rotated;
    }
  }
  ASSERT_GT(mirrored, 90);
  ASSERT_GT(rotated, 180);
  mirror_yaw /= mirrored;
  mirror_pitch /= mirrored;
  mirror_roll /= mirrored;
  rotation_roll /= rotated;
  rotation_yaw /= rotated;
  rotation_pitch /= rotated;
  std::printf("mirror (%d faces): mean |yaw + yaw'| %.2f, |pitch - pitch'| %.2f, |roll + roll'| %.2f\n"
              "rotation by -30 and +15 degrees (%d): mean roll error %.2f, yaw change %.2f, pitch change %.2f; "
              "%d not found\n",
              mirrored, mirror_yaw, mirror_pitch, mirror_roll, rotated, rotation_roll, rotation_yaw,
              rotation_pitch, missed);
  EXPECT_LT(mirror_yaw, 3.0);
  EXPECT_LT(mirror_pitch, 3.0);
  EXPECT_LT(mirror_roll, 2.0);
  EXPECT_LT(rotation_roll, 3.0);
  EXPECT_LT(rotation_yaw, 4.0);
  EXPECT_LT(rotation_pitch, 4.0);
}

TEST_F(HeadPoseDataTest, ExtremePosesReadInTheirDirection) {
  const fs::path dir = fs::path(FACET_SHARED_DATA_DIR) / "media" / "pose";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " not found (evaluation data absent)";
  struct Expected {
    const char* file;
    float yaw_sign, pitch_sign, roll_sign;  // the direction that must read at least 10 degrees
  };
  const Expected cases[] = {{"left_face.jpeg", -1, 0, 0},    {"right_face.png", 1, 0, 0},
                            {"lower_face.jpeg", 0, 1, 0},    {"rise_face.jpeg", 0, -1, 0},
                            {"left_wryneck.png", 0, 0, -1},  {"right_wryneck.png", 0, 0, 1}};
  for (const Expected& c : cases) {
    auto image = LoadImage((dir / c.file).string());
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    const auto face = CentreFace(image::AsMat(image.value()));
    ASSERT_TRUE(face.has_value()) << c.file;
    const Quality& q = face->quality;
    std::printf("%s: yaw %.1f pitch %.1f roll %.1f quality %s (score %.2f)\n", c.file,
                q.yaw_degrees, q.pitch_degrees, q.roll_degrees, QualityLevelName(q.level), q.score);
    if (c.yaw_sign != 0) {
      EXPECT_GE(c.yaw_sign * q.yaw_degrees, 45) << c.file;  // issue 15: profiles read 45 or more
      EXPECT_NE(q.level, QualityLevel::kHigh) << c.file;  // a profile is never "high"
    }
    if (c.pitch_sign != 0) {
      EXPECT_GT(c.pitch_sign * q.pitch_degrees, 10) << c.file;
    }
    if (c.roll_sign != 0) {
      EXPECT_GT(c.roll_sign * q.roll_degrees, 30) << c.file;
    }
  }
}


// One face of tools/pose/pose_labels.tsv: an image under ../shared/data, the annotated box (none:
// the largest face found) and the label given by eye.
struct LabelledFace {
  std::string image;
  std::optional<Box> box;
  std::string label;
};

std::vector<LabelledFace> ReadPoseLabels(const fs::path& file) {
  std::vector<LabelledFace> faces;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    LabelledFace face;
    std::string x, y, w, h;
    if (!std::getline(fields, face.image, '\t') || !std::getline(fields, x, '\t') ||
        !std::getline(fields, y, '\t') || !std::getline(fields, w, '\t') ||
        !std::getline(fields, h, '\t') || !std::getline(fields, face.label)) {
      continue;
    }
    if (x != "-") face.box = Box{std::stof(x), std::stof(y), std::stof(w), std::stof(h)};
    faces.push_back(face);
  }
  return faces;
}

double Iou(const Box& a, const Box& b) {
  const double w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const double h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return w * h / (a.width * a.height + b.width * b.height - w * h);
}

// The detection of a labelled face: highest IoU >= 0.4 with its box, or the largest face.
const Face* Match(const std::vector<Face>& faces, const std::optional<Box>& box) {
  const Face* best = nullptr;
  double best_value = 0;
  for (const Face& f : faces) {
    const double value = box ? Iou(*box, f.box) : f.box.width * f.box.height;
    if (value > best_value) {
      best = &f;
      best_value = value;
    }
  }
  return box && best_value < 0.4 ? nullptr : best;
}

TEST_F(HeadPoseDataTest, BlindLabelledPoseSet) {
  const fs::path data = FACET_SHARED_DATA_DIR;
  const fs::path labels = fs::path(FACET_GOLDEN_DIR) / ".." / ".." / "tools" / "pose" / "pose_labels.tsv";
  if (!fs::exists(data / "wider_dev")) GTEST_SKIP() << data << " not found (evaluation data absent)";
  const std::vector<LabelledFace> faces = ReadPoseLabels(labels);
  ASSERT_GT(faces.size(), 700u) << labels;
  struct Counts {
    int faces = 0, found = 0, turned = 0, frontal = 0, beyond_40 = 0, low = 0, high = 0,
        five_points = 0;
  };
  std::map<std::string, Counts> by_label;
  std::map<std::string, std::vector<Face>> detected;  // by image
  for (const LabelledFace& labelled : faces) {
    auto [it, added] = detected.try_emplace(labelled.image);
    if (added) {
      auto image = LoadImage((data / labelled.image).string());
      ASSERT_TRUE(image.ok()) << image.status().ToString();
      auto found = session_->Detect(image.value());
      ASSERT_TRUE(found.ok()) << found.status().ToString();
      it->second = std::move(found).value();
    }
    Counts& c = by_label[labelled.label];
    ++c.faces;
    const Face* face = Match(it->second, labelled.box);
    if (face == nullptr || face->landmarks68.empty()) continue;
    const Quality& q = face->quality;
    ++c.found;
    c.turned += std::abs(q.yaw_degrees) >= 45;
    c.frontal += std::abs(q.yaw_degrees) <= 20;
    c.beyond_40 += std::abs(q.yaw_degrees) > 40;
    c.low += q.level == QualityLevel::kLow;
    c.high += q.level == QualityLevel::kHigh;
    c.five_points += q.pose_method == PoseMethod::kFivePoints;
  }
  for (const auto& [label, c] : by_label) {
    std::printf("%-14s %3d/%3d found: abs(yaw) >= 45 %5.1f %%, <= 20 %5.1f %%; quality low %d, "
                "high %d; pose from the 5 points %d\n",
                label.c_str(), c.found, c.faces, 100.0 * c.turned / std::max(1, c.found),
                100.0 * c.frontal / std::max(1, c.found), c.low, c.high, c.five_points);
  }
  const Counts& profile = by_label["profile"];
  const Counts& frontal = by_label["frontal"];
  ASSERT_GT(profile.found, 40);
  ASSERT_GT(frontal.found, 400);
  // Issue 15's targets: profiles abs(yaw) >= 45, frontal faces abs(yaw) <= 20, 90 % each.
  EXPECT_GE(profile.turned, 0.9 * profile.found);
  EXPECT_GE(frontal.frontal, 0.9 * frontal.found);
  // Profiles are "low" (the yaw rule); a frontal face is almost never read as a profile.
  EXPECT_EQ(profile.low, profile.found);
  EXPECT_LE(frontal.beyond_40, 0.01 * frontal.found);
}

}  // namespace
}  // namespace facet
