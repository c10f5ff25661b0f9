// The Azure name tables and the computed face attributes, on synthetic images whose exposure and
// noise are known.
#include "service/azure_compat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "service/face_attributes.h"

namespace facet::service {
namespace {

TEST(AzureCompat, LandmarksAreTheDetectorsFiveAndThoseOfThe68ThatAzureNames) {
  Face face;
  for (int i = 0; i < 5; ++i) face.landmarks[i] = {static_cast<float>(1000 + i), 0};
  std::vector<NamedLandmark> points = AzureLandmarks(face);  // no 68 points: the five
  ASSERT_EQ(points.size(), 5u);
  EXPECT_EQ(points[0].name, "pupilLeft");
  EXPECT_EQ(points[0].point.x, 1000);
  EXPECT_EQ(points[4].name, "mouthRight");
  for (int i = 0; i < 68; ++i) {
    face.landmarks68.push_back({static_cast<float>(i), static_cast<float>(100 + i)});
  }
  points = AzureLandmarks(face);
  ASSERT_EQ(points.size(), 23u);
  std::map<std::string, Point> by_name;
  for (const NamedLandmark& l : points) by_name[std::string(l.name)] = l.point;
  EXPECT_EQ(by_name.size(), 23u) << "a name twice";
  EXPECT_EQ(by_name["pupilRight"].x, 1001);  // the detector's, not the 68's
  EXPECT_EQ(by_name["eyebrowLeftOuter"].x, 17);
  EXPECT_EQ(by_name["eyebrowRightOuter"].x, 26);
  EXPECT_EQ(by_name["eyeLeftInner"].x, 39);
  EXPECT_EQ(by_name["eyeRightInner"].x, 42);
  EXPECT_FLOAT_EQ(by_name["eyeLeftTop"].x, 37.5F);  // midpoint of the upper lid's two points
  EXPECT_FLOAT_EQ(by_name["eyeRightBottom"].y, 146.5F);
  EXPECT_EQ(by_name["noseLeftAlarOutTip"].x, 31);
  EXPECT_EQ(by_name["upperLipTop"].x, 51);
  EXPECT_EQ(by_name["upperLipBottom"].x, 62);
  EXPECT_EQ(by_name["underLipTop"].x, 66);
  EXPECT_EQ(by_name["underLipBottom"].x, 57);
  for (const char* absent :
       {"noseRootLeft", "noseRootRight", "noseLeftAlarTop", "noseRightAlarTop"}) {
    EXPECT_EQ(by_name.count(absent), 0u) << absent;
  }
}

TEST(AzureCompat, VersionedPathsSplitAndOnlyKnownVersionsAreServed) {
  std::string_view version, rest;
  ASSERT_TRUE(SplitVersionedPath("/face/v1.2/largepersongroups/x", &version, &rest));
  EXPECT_EQ(version, "v1.2");
  EXPECT_EQ(rest, "/largepersongroups/x");
  ASSERT_TRUE(SplitVersionedPath("/face/v1.0", &version, &rest));
  EXPECT_EQ(version, "v1.0");
  EXPECT_EQ(rest, "");
  EXPECT_FALSE(SplitVersionedPath("/face//detect", &version, &rest));
  EXPECT_FALSE(SplitVersionedPath("/detect", &version, &rest));
  for (std::string_view v : {"v1.0", "v1.1-preview.1", "v1.2-preview.1", "v1.2"}) {
    EXPECT_TRUE(IsApiVersion(v)) << v;
  }
  EXPECT_FALSE(IsApiVersion("v1.3"));
  EXPECT_FALSE(TrainIsLongRunning("v1.0"));
  EXPECT_TRUE(TrainIsLongRunning("v1.2"));
}

TEST(AzureCompat, ModelNamesMapThroughTheTables) {
  EXPECT_FALSE(FacetDetectorFor("detection_01").empty());
  EXPECT_FALSE(FacetDetectorFor("detection_03").empty());
  EXPECT_EQ(FacetDetectorFor("fast"), "fast");
  EXPECT_TRUE(FacetDetectorFor("detection_04").empty());
  EXPECT_TRUE(FacetRecognitionModelFor("recognition_04").has_value());
  EXPECT_TRUE(FacetRecognitionModelFor("recognition_01").has_value());
  EXPECT_FALSE(FacetRecognitionModelFor("recognition_05").has_value());
  std::string name;
  EXPECT_EQ(ClassifyFaceAttribute("HEADPOSE", &name), AttributeAnswer::kComputed);
  EXPECT_EQ(name, "headPose");
  EXPECT_EQ(ClassifyFaceAttribute("mask", &name), AttributeAnswer::kNoModel);
  EXPECT_EQ(ClassifyFaceAttribute("facialhair", &name), AttributeAnswer::kNeverInferred);
  EXPECT_EQ(name, "facialHair");
  EXPECT_EQ(ClassifyFaceAttribute("shoeSize", &name), AttributeAnswer::kUnknown);
}

Image Filled(int w, int h, uint8_t grey) {
  return Image(w, h, std::vector<uint8_t>(static_cast<size_t>(3) * w * h, grey));
}

TEST(FaceAttributes, ExposureIsTheMeanLumaOfTheBox) {
  const Box box{.x = 10, .y = 10, .width = 40, .height = 40};
  EXPECT_EQ(FaceExposure(Filled(64, 64, 0), box).level, "underExposure");
  EXPECT_DOUBLE_EQ(FaceExposure(Filled(64, 64, 0), box).value, 0.0);
  EXPECT_EQ(FaceExposure(Filled(64, 64, 128), box).level, "goodExposure");
  EXPECT_EQ(FaceExposure(Filled(64, 64, 255), box).level, "overExposure");
  EXPECT_NEAR(FaceExposure(Filled(64, 64, 255), box).value, 1.0, 1e-9);
  // Only the box counts: a bright box in a dark image.
  Image image = Filled(64, 64, 0);
  for (int y = 10; y < 50; ++y) {
    for (int x = 10; x < 50; ++x) {
      for (int c = 0; c < 3; ++c) image.mutable_data()[3 * (y * 64 + x) + c] = 230;
    }
  }
  EXPECT_EQ(FaceExposure(image, box).level, "overExposure");
  // A box outside the image has no pixels.
  EXPECT_DOUBLE_EQ(FaceExposure(image, {.x = 100, .y = 100, .width = 5, .height = 5}).value, 0);
}

TEST(FaceAttributes, NoiseEstimatesTheStandardDeviationOfAddedNoise) {
  const Box box{.x = 0, .y = 0, .width = 128, .height = 128};
  EXPECT_DOUBLE_EQ(FaceNoise(Filled(128, 128, 100), box).value, 0.0);
  std::mt19937 rng(7);
  for (double sigma : {4.0, 10.0}) {
    std::normal_distribution<double> noise(0, sigma);
    Image image = Filled(128, 128, 128);
    for (size_t i = 0; i < static_cast<size_t>(3) * 128 * 128; i += 3) {
      const auto v = static_cast<uint8_t>(std::clamp(128 + noise(rng), 0.0, 255.0));
      image.mutable_data()[i] = image.mutable_data()[i + 1] = image.mutable_data()[i + 2] = v;
    }
    EXPECT_NEAR(FaceNoise(image, box).value * 20, sigma, 0.1 * sigma) << sigma;
  }
}

TEST(FaceAttributes, BlurFollowsTheQualitySharpnessLimits) {
  EXPECT_NEAR(BlurFromSharpness(60).value, 0.25, 1e-9);
  EXPECT_NEAR(BlurFromSharpness(15).value, 0.75, 1e-9);
  EXPECT_EQ(BlurFromSharpness(500).level, "low");
  EXPECT_EQ(BlurFromSharpness(30).level, "medium");
  EXPECT_EQ(BlurFromSharpness(2).level, "high");
  EXPECT_DOUBLE_EQ(BlurFromSharpness(0).value, 1.0);
  EXPECT_GT(BlurFromSharpness(20).value, BlurFromSharpness(40).value);
}

}  // namespace
}  // namespace facet::service
