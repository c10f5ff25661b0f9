#include "align/align.h"

#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace facet::align {
namespace {

Point Apply(const cv::Matx23d& m, Point p) {
  return {static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
          static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2))};
}

TEST(AlignTest, RecoversAKnownSimilarity) {
  const Landmarks5 to = ArcFaceTemplate112();
  // from = template rotated 30 degrees, scaled 2.5x, shifted.
  const double angle = 30 * CV_PI / 180, scale = 2.5;
  Landmarks5 from;
  for (size_t i = 0; i < 5; ++i) {
    const double x = to[i].x, y = to[i].y;
    from[i] = {static_cast<float>(scale * (std::cos(angle) * x - std::sin(angle) * y) + 300),
               static_cast<float>(scale * (std::sin(angle) * x + std::cos(angle) * y) + 120)};
  }
  const cv::Matx23d m = EstimateSimilarity(from, to);
  for (size_t i = 0; i < 5; ++i) {
    const Point p = Apply(m, from[i]);
    EXPECT_NEAR(p.x, to[i].x, 1e-3);
    EXPECT_NEAR(p.y, to[i].y, 1e-3);
  }
  EXPECT_NEAR(std::hypot(m(0, 0), m(1, 0)), 1 / scale, 1e-6);
}

TEST(AlignTest, LeastSquaresWithNoiseHasNoReflection) {
  Landmarks5 from = ArcFaceTemplate112();
  from[2].x += 3;  // perturb the nose: the fit is a compromise, still a proper rotation
  const cv::Matx23d m = EstimateSimilarity(from, ArcFaceTemplate112());
  const double det = m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0);
  EXPECT_GT(det, 0);
  EXPECT_NEAR(m(0, 0), m(1, 1), 1e-9);
  EXPECT_NEAR(m(0, 1), -m(1, 0), 1e-9);
}

TEST(AlignTest, ScaledTemplateKeepsProportions) {
  const Landmarks5 a = ArcFaceTemplate112();
  const Landmarks5 b = ScaledTemplate(224, 0);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(b[i].x, 2 * a[i].x, 1e-4);
    EXPECT_NEAR(b[i].y, 2 * a[i].y, 1e-4);
  }
  const Landmarks5 padded = ScaledTemplate(150, 0.25f);
  // Content is 150 / 1.5 = 100 px wide, offset 25 px.
  EXPECT_NEAR(padded[0].x, a[0].x * 100 / 112 + 25, 1e-4);
}

TEST(AlignTest, WarpPutsLandmarksOnTemplate) {
  // Draw dots at known landmark positions in a big image; after alignment they land on the
  // template (within a pixel), also when the face is large enough to trigger the area pre-shrink.
  for (double scale : {1.0, 6.0}) {
    cv::Mat image(1400, 1400, CV_8UC3, cv::Scalar::all(0));
    const Landmarks5 t = ArcFaceTemplate112();
    Landmarks5 lm;
    for (size_t i = 0; i < 5; ++i) {
      lm[i] = {static_cast<float>(t[i].x * scale + 100), static_cast<float>(t[i].y * scale + 80)};
      cv::circle(image, cv::Point2f(lm[i].x, lm[i].y), static_cast<int>(2 * scale),
                 cv::Scalar::all(255), cv::FILLED);
    }
    cv::Mat aligned;
    AlignFace(image, lm, t, 112, &aligned);
    ASSERT_EQ(aligned.size(), cv::Size(112, 112));
    cv::Mat gray;
    cv::cvtColor(aligned, gray, cv::COLOR_BGR2GRAY);
    for (size_t i = 0; i < 5; ++i) {
      const cv::Rect around(static_cast<int>(t[i].x) - 4, static_cast<int>(t[i].y) - 4, 9, 9);
      const cv::Moments m = cv::moments(gray(around));
      ASSERT_GT(m.m00, 0) << "scale " << scale << " point " << i;
      EXPECT_NEAR(around.x + m.m10 / m.m00, t[i].x, 1.0) << "scale " << scale << " point " << i;
      EXPECT_NEAR(around.y + m.m01 / m.m00, t[i].y, 1.0) << "scale " << scale << " point " << i;
    }
  }
}

}  // namespace
}  // namespace facet::align
