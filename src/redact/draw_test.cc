#include "redact/draw.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "facet/redact.h"
#include "image/convert.h"
#include "redact/rotation.h"

namespace facet::redact {
namespace {

// A textured image: every pixel differs from its neighbours.
cv::Mat Texture(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(256));
  return image;
}

// Pixels set in `where` that differ between a and b in any channel.
int64_t CountChanged(const cv::Mat& a, const cv::Mat& b, const cv::Mat& where) {
  int64_t n = 0;
  for (int y = 0; y < a.rows; ++y) {
    for (int x = 0; x < a.cols; ++x) {
      if (where.at<uint8_t>(y, x) != 0 && a.at<cv::Vec3b>(y, x) != b.at<cv::Vec3b>(y, x)) ++n;
    }
  }
  return n;
}

TEST(ScaleBoxTest, ScalesAboutTheCentre) {
  const Box b = ScaleBox({10, 20, 40, 60}, 1.5f);
  EXPECT_FLOAT_EQ(b.x, 0);
  EXPECT_FLOAT_EQ(b.y, 5);
  EXPECT_FLOAT_EQ(b.width, 60);
  EXPECT_FLOAT_EQ(b.height, 90);
}

TEST(RegionSpansTest, BoxCoversExactlyThePixelsWhoseCentreIsInside) {
  const auto spans = RegionSpans({2.4f, 3.6f, 5.0f, 2.0f}, RedactShape::kBox, 100, 100);
  // Columns with centre in [2.4, 7.4): 2..6; rows with centre in [3.6, 5.6): 4, 5.
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].y, 4);
  EXPECT_EQ(spans[1].y, 5);
  EXPECT_EQ(spans[0].x_begin, 2);
  EXPECT_EQ(spans[0].x_end, 7);
}

TEST(RegionSpansTest, EllipseAreaMatchesPiAb) {
  int64_t area = 0;
  for (const Span& s : RegionSpans({100, 50, 400, 200}, RedactShape::kEllipse, 1000, 1000)) {
    area += s.x_end - s.x_begin;
  }
  EXPECT_NEAR(static_cast<double>(area), M_PI * 200 * 100, 0.005 * M_PI * 200 * 100);
}

TEST(RegionSpansTest, ClippedToTheImageAndEmptyOutside) {
  for (const Span& s : RegionSpans({-50, -50, 120, 120}, RedactShape::kEllipse, 40, 30)) {
    EXPECT_GE(s.y, 0);
    EXPECT_LT(s.y, 30);
    EXPECT_GE(s.x_begin, 0);
    EXPECT_LE(s.x_end, 40);
    EXPECT_LT(s.x_begin, s.x_end);
  }
  EXPECT_TRUE(RegionSpans({50, 50, 10, 10}, RedactShape::kBox, 40, 30).empty());
  EXPECT_TRUE(RegionSpans({5, 5, 0, 10}, RedactShape::kBox, 40, 30).empty());
  EXPECT_TRUE(RegionBounds({50, 50, 10, 10}, 40, 30).empty());
}

// Every mode changes (almost) every pixel of the area and nothing outside it.
TEST(RedactRegionTest, ChangesTheAreaAndNothingElse) {
  const cv::Mat original = Texture(320, 240);
  const Box region{60.5f, 40.25f, 150, 120};
  for (RedactShape shape : {RedactShape::kEllipse, RedactShape::kBox}) {
    cv::Mat inside;
    RenderMask({region}, shape, original.cols, original.rows, &inside);
    cv::Mat outside;
    cv::bitwise_not(inside, outside);
    const int64_t area = cv::countNonZero(inside);
    for (RedactMode mode : {RedactMode::kBlur, RedactMode::kPixelate, RedactMode::kFill}) {
      cv::Mat image = original.clone();
      RedactRegion(image, region, mode, shape);
      EXPECT_EQ(CountChanged(original, image, outside), 0) << RedactModeName(mode);
      // Random texture: a redacted pixel equal to the original in all channels is rare.
      EXPECT_GT(CountChanged(original, image, inside), area * 95 / 100) << RedactModeName(mode);
    }
  }
}

// The redacted area keeps little of the original detail: its local contrast collapses.
TEST(RedactRegionTest, BlurAndPixelateRemoveDetail) {
  const cv::Mat original = Texture(200, 200);
  for (RedactMode mode : {RedactMode::kBlur, RedactMode::kPixelate}) {
    cv::Mat image = original.clone();
    RedactRegion(image, {0, 0, 200, 200}, mode, RedactShape::kBox);
    cv::Mat before, after;
    cv::Laplacian(original, before, CV_32F);
    cv::Laplacian(image, after, CV_32F);
    cv::Scalar mean_before, std_before, mean_after, std_after;
    cv::meanStdDev(before, mean_before, std_before);
    cv::meanStdDev(after, mean_after, std_after);
    EXPECT_LT(std_after[0], 0.1 * std_before[0]) << RedactModeName(mode);
  }
  cv::Mat filled = original.clone();
  RedactRegion(filled, {10, 10, 50, 50}, RedactMode::kFill, RedactShape::kBox);
  EXPECT_EQ(filled.at<cv::Vec3b>(30, 30), cv::Vec3b(0, 0, 0));
}

TEST(RedactRegionTest, RegionsPartlyOutsideAndTinyRegionsAreSafe) {
  cv::Mat image = Texture(64, 48);
  const cv::Mat original = image.clone();
  for (RedactMode mode : {RedactMode::kBlur, RedactMode::kPixelate, RedactMode::kFill}) {
    RedactRegion(image, {-30, -30, 60, 60}, mode, RedactShape::kEllipse);
    RedactRegion(image, {50, 40, 100, 100}, mode, RedactShape::kBox);
    RedactRegion(image, {10, 10, 0.5f, 0.5f}, mode, RedactShape::kBox);
    RedactRegion(image, {1000, 1000, 10, 10}, mode, RedactShape::kBox);
    RedactRegion(image, {20, 20, 3, 3}, mode, RedactShape::kEllipse);
  }
  EXPECT_EQ(image.at<cv::Vec3b>(40, 5), original.at<cv::Vec3b>(40, 5));
}

TEST(MaskCoverageTest, MeasuresTheCoveredShare) {
  cv::Mat mask;
  RenderMask({{0, 0, 50, 100}}, RedactShape::kBox, 100, 100, &mask);
  EXPECT_FLOAT_EQ(MaskCoverage(mask, {0, 0, 100, 100}), 0.5f);
  EXPECT_FLOAT_EQ(MaskCoverage(mask, {10, 10, 20, 20}), 1.0f);
  EXPECT_FLOAT_EQ(MaskCoverage(mask, {60, 10, 20, 20}), 0.0f);
  // Clipped to the image: only the inside part counts.
  EXPECT_FLOAT_EQ(MaskCoverage(mask, {-100, 0, 150, 100}), 1.0f);
  EXPECT_FLOAT_EQ(MaskCoverage(mask, {200, 200, 10, 10}), 0.0f);
  // A box too thin to hold a pixel centre is judged by the pixel under its centre.
  EXPECT_FLOAT_EQ(MaskCoverage(mask, {10.6f, 10, 0.2f, 5}), 1.0f);
}

// The inscribed ellipse of a box scaled by s covers the unscaled box's pixels up to its corners:
// at s = 1.5 every pixel of the box is inside (1/1.5^2 + 1/1.5^2 < 1).
TEST(MaskCoverageTest, EllipseScaledBy1p5CoversItsBox) {
  const Box face{100, 80, 60, 70};
  cv::Mat mask;
  RenderMask({ScaleBox(face, 1.5f)}, RedactShape::kEllipse, 400, 300, &mask);
  EXPECT_FLOAT_EQ(MaskCoverage(mask, face), 1.0f);
  RenderMask({ScaleBox(face, 1.0f)}, RedactShape::kEllipse, 400, 300, &mask);
  EXPECT_NEAR(MaskCoverage(mask, face), M_PI / 4, 0.02);
}

// RedactedShare is the share of pixels DrawRedactions changes: a region's drawn area, with a kept
// face inside it put back and a kept face's own region not drawn.
TEST(RedactedShareTest, IsTheShareOfPixelsDrawingChanges) {
  const int width = 240, height = 160;
  const cv::Mat texture = Texture(width, height);
  const Image original = image::ImageFromMat(texture);
  RedactedRegion blurred;
  blurred.face = {40, 30, 50, 60};
  blurred.region = {30, 20, 90, 100};
  RedactedRegion kept;
  kept.face = {100, 50, 40, 50};  // overlaps the first region's right side
  kept.region = {90, 40, 60, 70};
  kept.kept = true;
  const std::vector<RedactedRegion> regions = {blurred, kept};
  for (RedactShape shape : {RedactShape::kEllipse, RedactShape::kBox}) {
    Image drawn = original;
    DrawRedactions(drawn, regions, RedactMode::kFill, shape);
    const cv::Mat everywhere(height, width, CV_8U, cv::Scalar(1));
    const int64_t changed = CountChanged(texture, image::AsMat(drawn), everywhere);
    const float share = RedactedShare(regions, shape, width, height);
    EXPECT_NEAR(share, static_cast<float>(changed) / (width * height), 1e-6);
    EXPECT_GT(changed, 0);
    // Without the kept face put back, more would change.
    EXPECT_LT(share, RedactedAreaOutside(regions, shape, {}, width, height));
  }
}

TEST(RotationTest, UprightBoxesMapBackToTheCodedFrame) {
  // A coded 40x30 frame with one marked pixel block; find it in the upright picture, map back.
  cv::Mat coded(30, 40, CV_8UC1, cv::Scalar(0));
  coded(cv::Rect(5, 7, 3, 2)).setTo(255);
  for (int degrees : {0, 90, 180, 270}) {
    cv::Mat upright;
    RotateUpright(coded, degrees, &upright);
    const cv::Rect found = cv::boundingRect(upright);
    const Box mapped =
        UprightToCoded({static_cast<float>(found.x), static_cast<float>(found.y),
                        static_cast<float>(found.width), static_cast<float>(found.height)},
                       degrees, coded.cols, coded.rows);
    EXPECT_FLOAT_EQ(mapped.x, 5) << degrees;
    EXPECT_FLOAT_EQ(mapped.y, 7) << degrees;
    EXPECT_FLOAT_EQ(mapped.width, 3) << degrees;
    EXPECT_FLOAT_EQ(mapped.height, 2) << degrees;
  }
}

}  // namespace
}  // namespace facet::redact
