#include "facet/image.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "image/convert.h"
#include "image/probe.h"

namespace facet {
namespace {

cv::Mat Pattern(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 7 % 256, y * 5 % 256, (x + y) % 256);
  }
  return m;
}

std::vector<uint8_t> Encode(const cv::Mat& m, const std::string& ext, std::vector<int> params = {}) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(cv::imencode(ext, m, out, params));
  return out;
}

TEST(ImageTest, RoundTripsEveryFormat) {
  const cv::Mat m = Pattern(37, 23);
  for (const char* ext : {".png", ".bmp", ".jpg", ".webp"}) {
    const auto bytes = Encode(m, ext);
    auto info = ProbeImage(bytes);
    ASSERT_TRUE(info.ok()) << ext << ": " << info.status().ToString();
    EXPECT_EQ(info->width, 37) << ext;
    EXPECT_EQ(info->height, 23) << ext;
    auto image = DecodeImage(bytes);
    ASSERT_TRUE(image.ok()) << ext << ": " << image.status().ToString();
    ASSERT_EQ(image->width(), 37);
    ASSERT_EQ(image->height(), 23);
    cv::Mat diff;
    cv::absdiff(image::AsMat(image.value()), m, diff);
    const double tolerance = std::string(ext) == ".png" || std::string(ext) == ".bmp" ? 0 : 60;
    EXPECT_LE(cv::norm(diff, cv::NORM_INF), tolerance) << ext;
  }
}

TEST(ImageTest, GreyscaleSixteenBitAndAlpha) {
  cv::Mat grey(10, 12, CV_8UC1, cv::Scalar(77));
  auto g = DecodeImage(Encode(grey, ".png"));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(image::AsMat(g.value()).at<cv::Vec3b>(5, 5), cv::Vec3b(77, 77, 77));

  cv::Mat deep(8, 8, CV_16UC3, cv::Scalar(65535, 0, 257 * 100));
  auto d = DecodeImage(Encode(deep, ".png"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(image::AsMat(d.value()).at<cv::Vec3b>(3, 3), cv::Vec3b(255, 0, 100));

  cv::Mat bgra(8, 8, CV_8UC4, cv::Scalar(0, 0, 255, 0));  // fully transparent red
  bgra(cv::Rect(0, 0, 4, 8)).setTo(cv::Scalar(0, 0, 255, 255));  // left half opaque red
  auto a = DecodeImage(Encode(bgra, ".png"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(image::AsMat(a.value()).at<cv::Vec3b>(2, 1), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(image::AsMat(a.value()).at<cv::Vec3b>(2, 6), cv::Vec3b(255, 255, 255));  // over white
}

// Inserts an APP1 EXIF segment with the given orientation right after SOI.
std::vector<uint8_t> WithOrientation(std::vector<uint8_t> jpeg, int orientation) {
  const uint8_t exif[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
                          'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,  // TIFF header, IFD at 8
                          0x01, 0x00,                                    // one entry
                          0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,  // 0x0112 SHORT x1
                          static_cast<uint8_t>(orientation), 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0x00};  // next IFD
  jpeg.insert(jpeg.begin() + 2, std::begin(exif), std::end(exif));
  return jpeg;
}

TEST(ImageTest, AppliesExifOrientation) {
  // A 40x20 image, left half black, right half white.
  cv::Mat m(20, 40, CV_8UC3, cv::Scalar::all(0));
  m(cv::Rect(20, 0, 20, 20)).setTo(cv::Scalar::all(255));
  const auto jpeg = Encode(m, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  auto bright = [](const Image& im, int x, int y) { return image::AsMat(im).at<cv::Vec3b>(y, x)[0] > 128; };
  for (int orientation : {1, 2, 3, 4, 5, 6, 7, 8}) {
    const auto bytes = WithOrientation(jpeg, orientation);
    EXPECT_EQ(image::JpegExifOrientation(bytes), orientation);
    auto im = DecodeImage(bytes);
    ASSERT_TRUE(im.ok()) << orientation << ": " << im.status().ToString();
    const bool rotated = orientation >= 5;
    EXPECT_EQ(im->width(), rotated ? 20 : 40) << orientation;
    // Where does the white half end up? 1: right, 2: left (mirror), 3: left, 4: right,
    // 6 (90 cw): bottom, 8 (90 ccw): top, 5 (transpose): bottom, 7 (transverse): top.
    if (!rotated) {
      const bool white_right = orientation == 1 || orientation == 4;
      EXPECT_EQ(bright(im.value(), 35, 10), white_right) << orientation;
    } else {
      const bool white_bottom = orientation == 5 || orientation == 6;
      EXPECT_EQ(bright(im.value(), 10, 35), white_bottom) << orientation;
    }
  }
  DecodeOptions raw;
  raw.apply_exif_orientation = false;
  EXPECT_EQ(DecodeImage(WithOrientation(jpeg, 6), raw)->width(), 40);
}

TEST(ImageTest, EveryTruncationIsAnErrorOrAValidImageNeverACrash) {
  const cv::Mat m = Pattern(16, 12);
  for (const char* ext : {".jpg", ".png", ".webp", ".bmp"}) {
    const auto bytes = Encode(m, ext);
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(n));
      auto im = DecodeImage(prefix);
      if (im.ok()) {
        EXPECT_EQ(im->width(), 16) << ext << " prefix " << n;
      } else {
        EXPECT_FALSE(im.status().message().empty());
      }
    }
    // Truncated JPEGs in particular must be reported, not decoded half grey.
    if (std::string(ext) == ".jpg") {
      EXPECT_FALSE(DecodeImage(std::vector<uint8_t>(bytes.begin(), bytes.end() - 10)).ok());
    }
  }
}

TEST(ImageTest, RandomByteFlipsNeverCrash) {
  const auto png = Encode(Pattern(20, 20), ".png");
  const auto jpg = Encode(Pattern(20, 20), ".jpg");
  std::mt19937 rng(1);
  for (int round = 0; round < 300; ++round) {
    std::vector<uint8_t> bytes = round % 2 ? png : jpg;
    for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    auto im = DecodeImage(bytes);
    if (im.ok()) {
      EXPECT_FALSE(im->empty());
    }
  }
}

TEST(ImageTest, DecompressionBombRejectedBeforeDecoding) {
  // A PNG header declaring 100000 x 100000 pixels.
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                              0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 2, 0, 0, 0, 0, 0, 0, 0};
  const auto start = std::chrono::steady_clock::now();
  auto im = DecodeImage(png);
  ASSERT_FALSE(im.ok());
  EXPECT_EQ(im.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(im.status().message().find("limit"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // A real, modest image over a lowered limit.
  DecodeOptions small;
  small.max_pixels = 100;
  EXPECT_EQ(DecodeImage(Encode(Pattern(20, 20), ".jpg"), small).status().code(),
            StatusCode::kResourceExhausted);
}

uint32_t Crc32(const uint8_t* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// Issue 18: a PNG whose header the decoder refuses was returned as an all-black image of the
// declared size (a decode error reported as success: `facet detect` printed no faces, exit 0).
TEST(ImageTest, AHeaderTheDecoderRefusesIsAnError) {
  std::vector<uint8_t> png = Encode(cv::Mat(1, 8, CV_8UC3, cv::Scalar(0, 0, 0)), ".png");
  ASSERT_GT(png.size(), 33u);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) png[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  };
  // 25,000,000 x 1 = 25 MP, within the pixel limit; libpng refuses widths over 1,000,000.
  put32(16, 25'000'000);
  put32(29, Crc32(&png[12], 17));  // a valid CRC over "IHDR" and its 13 bytes
  auto wide = DecodeImage(png);
  EXPECT_EQ(wide.status().code(), StatusCode::kCorruptData) << wide.status().ToString();
  // A damaged IHDR CRC.
  put32(16, 8);
  put32(29, 0x12345678);
  EXPECT_EQ(DecodeImage(png).status().code(), StatusCode::kCorruptData);
  // A truly black image is still an image (the check above must not refuse it).
  for (const char* ext : {".png", ".jpg", ".bmp"}) {
    auto black = DecodeImage(Encode(cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 0, 0)), ext));
    ASSERT_TRUE(black.ok()) << ext << ": " << black.status().ToString();
    EXPECT_EQ(black->width(), 64);
    EXPECT_EQ(black->height(), 48);
  }
}

TEST(ImageTest, WrongTypesAndEmptyInput) {
  EXPECT_EQ(DecodeImage(std::vector<uint8_t>{}).status().code(), StatusCode::kInvalidArgument);
  const std::string text = "hello, I am not an image";
  auto t = DecodeImage(std::vector<uint8_t>(text.begin(), text.end()));
  EXPECT_EQ(t.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(t.status().message().find("not a JPEG, PNG, WebP or BMP"), std::string::npos);
  const std::string gif = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
  EXPECT_FALSE(DecodeImage(std::vector<uint8_t>(gif.begin(), gif.end())).ok());
}

TEST(ImageTest, LoadImageErrorsNameThePath) {
  auto missing = LoadImage("/nonexistent/face.jpg");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/face.jpg"), std::string::npos);
  EXPECT_EQ(LoadImage(::testing::TempDir()).status().code(), StatusCode::kInvalidArgument);
  const std::string empty = ::testing::TempDir() + "/empty.jpg";
  std::ofstream(empty).close();
  EXPECT_FALSE(LoadImage(empty).ok());
}

TEST(ImageTest, SaveImageChecksTheExtensionAndRoundTrips) {
  const Image image = image::ImageFromMat(Pattern(9, 7));
  EXPECT_EQ(SaveImage(image, ::testing::TempDir() + "/x.gif").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(SaveImage(Image(), ::testing::TempDir() + "/x.png").ok());
  const std::string path = ::testing::TempDir() + "/round.png";
  ASSERT_TRUE(SaveImage(image, path).ok());
  auto back = LoadImage(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(cv::norm(image::AsMat(back.value()), image::AsMat(image), cv::NORM_INF), 0);
  EXPECT_FALSE(SaveImage(image, "/nonexistent/dir/x.png").ok());
}

TEST(ImageTest, EncodeImageInMemoryRoundTripsEachFormat) {
  const cv::Mat pattern = Pattern(40, 30);
  const Image image = image::ImageFromMat(pattern);
  EXPECT_EQ(EncodeImage(image, ImageFormat::kUnknown).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeImage(Image(), ImageFormat::kPng).status().code(), StatusCode::kInvalidArgument);
  for (ImageFormat format :
       {ImageFormat::kJpeg, ImageFormat::kPng, ImageFormat::kWebp, ImageFormat::kBmp}) {
    auto bytes = EncodeImage(image, format);
    ASSERT_TRUE(bytes.ok()) << static_cast<int>(format);
    auto info = ProbeImage(bytes.value());
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->format, format);
    EXPECT_EQ(info->width, 40);
    EXPECT_EQ(info->height, 30);
    auto back = DecodeImage(bytes.value());
    ASSERT_TRUE(back.ok());
    const double diff = cv::norm(image::AsMat(back.value()), pattern, cv::NORM_L1) /
                        static_cast<double>(pattern.total() * 3);
    if (format == ImageFormat::kPng || format == ImageFormat::kBmp) {
      EXPECT_EQ(diff, 0) << "lossless";
    } else {
      EXPECT_LT(diff, 12) << "lossy, mean absolute error per channel";
    }
  }
}

TEST(ImageTest, ImageConstructorRejectsWrongSizes) {
  EXPECT_TRUE(Image(2, 2, std::vector<uint8_t>(11)).empty());
  EXPECT_FALSE(Image(2, 2, std::vector<uint8_t>(12)).empty());
}

// The exact area mean of output pixel (x, y), channel c, in double: the oracle for rounding.
double ExactAreaMean(const cv::Mat& src, cv::Size size, int x, int y, int c) {
  const double scale_x = static_cast<double>(src.cols) / size.width;
  const double scale_y = static_cast<double>(src.rows) / size.height;
  const double left = x * scale_x, right = (x + 1) * scale_x;
  const double top = y * scale_y, bottom = (y + 1) * scale_y;
  double sum = 0;
  for (int row = static_cast<int>(top); row < std::min<double>(src.rows, bottom); ++row) {
    const double wy = std::min<double>(row + 1, bottom) - std::max<double>(row, top);
    for (int col = static_cast<int>(left); col < std::min<double>(src.cols, right); ++col) {
      const double wx = std::min<double>(col + 1, right) - std::max<double>(col, left);
      sum += wx * wy * src.ptr<uint8_t>(row)[col * src.channels() + c];
    }
  }
  return sum / (scale_x * scale_y);
}

// AreaDownscale on random crops (submatrices with a row step), whole and fractional factors and
// 1, 3 and 4 channels, of noise and of a structured picture (ramps and a checkerboard, where
// rounding ties are common): every value is the exact area mean correctly rounded (within 0.5,
// plus float error), and within 1 of OpenCV's INTER_AREA, which it replaces.
TEST(ImageTest, AreaDownscaleIsTheRoundedAreaMean) {
  std::mt19937 rng(7);
  cv::Mat noise(300, 400, CV_8UC3);
  cv::randu(noise, 0, 256);
  cv::Mat pattern(300, 400, CV_8UC3);
  for (int y = 0; y < pattern.rows; ++y) {
    for (int x = 0; x < pattern.cols; ++x) {
      const int checker = ((x / 3 + y / 5) % 2) * 64;
      pattern.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uint8_t>(x * 255 / 399), static_cast<uint8_t>(y * 255 / 299),
                    static_cast<uint8_t>(128 + checker - 32));
    }
  }
  for (int trial = 0; trial < 600; ++trial) {
    const cv::Mat& picture = trial % 2 == 0 ? noise : pattern;
    const int w = std::uniform_int_distribution<int>(1, 300)(rng);
    const int h = std::uniform_int_distribution<int>(1, 250)(rng);
    cv::Mat crop = picture(cv::Rect(std::uniform_int_distribution<int>(0, 400 - w)(rng),
                                    std::uniform_int_distribution<int>(0, 300 - h)(rng), w, h));
    if (trial % 3 == 1) cv::cvtColor(crop, crop, cv::COLOR_BGR2GRAY);
    if (trial % 3 == 2) cv::cvtColor(crop, crop, cv::COLOR_BGR2BGRA);
    const cv::Size size(std::uniform_int_distribution<int>(1, std::min(w, 40))(rng),
                        std::uniform_int_distribution<int>(1, std::min(h, 40))(rng));
    cv::Mat actual;
    image::AreaDownscale(crop, size, &actual);
    ASSERT_EQ(actual.size(), size);
    ASSERT_EQ(actual.type(), crop.type());
    cv::Mat opencv;
    cv::resize(crop, opencv, size, 0, 0, cv::INTER_AREA);
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) {
        for (int c = 0; c < crop.channels(); ++c) {
          const int value = actual.ptr<uint8_t>(y)[x * crop.channels() + c];
          ASSERT_NEAR(value, ExactAreaMean(crop, size, x, y, c), 0.5 + 1e-3)
              << "crop " << w << "x" << h << " -> " << size << " at " << x << "," << y;
          ASSERT_NEAR(value, opencv.ptr<uint8_t>(y)[x * crop.channels() + c], 1);
        }
      }
    }
  }
}

TEST(ImageDataTest, RealAlphaAndRotatedPhotos) {
  const std::filesystem::path media = std::filesystem::path(FACET_SHARED_DATA_DIR) / "media";
  if (!std::filesystem::exists(media)) GTEST_SKIP() << media << " is absent";
  auto rgba = LoadImage((media / "photos" / "rgba_32bit.png").string());
  ASSERT_TRUE(rgba.ok()) << rgba.status().ToString();
  EXPECT_FALSE(rgba->empty());
  size_t decoded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(media / "rotate")) {
    auto im = LoadImage(entry.path().string());
    EXPECT_TRUE(im.ok()) << entry.path() << ": " << im.status().ToString();
    decoded += im.ok() ? 1 : 0;
  }
  EXPECT_GE(decoded, 4u);
}

}  // namespace
}  // namespace facet
