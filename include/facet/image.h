// Decoded images and the decoder's limits.
//
// Thread-safety: Image is a value type; decoding functions are reentrant.
#ifndef FACET_IMAGE_H_
#define FACET_IMAGE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "facet/status.h"

namespace facet {

// An 8-bit, 3-channel BGR image, rows packed (stride = 3 * width). Owns its pixels.
class Image {
 public:
  Image() = default;
  // Takes ownership of `bgr`, which must hold exactly 3 * width * height bytes.
  Image(int width, int height, std::vector<uint8_t> bgr);

  int width() const { return width_; }
  int height() const { return height_; }
  bool empty() const { return width_ == 0 || height_ == 0; }
  const uint8_t* data() const { return pixels_.data(); }
  uint8_t* mutable_data() { return pixels_.data(); }

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<uint8_t> pixels_;
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp, kBmp };

// What the file header declares, read without decoding pixels.
struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;
  int height = 0;
};

struct DecodeOptions {
  // Images whose header declares more pixels than this are refused before decoding
  // (decompression-bomb guard). Default: 50 megapixels.
  int64_t max_pixels = 50'000'000;
  // Files larger than this many bytes are refused before reading. Default: 256 MiB.
  int64_t max_file_bytes = 256LL << 20;
  // Apply the EXIF orientation tag (JPEG) so that the image is upright. Default: true.
  bool apply_exif_orientation = true;
};

// Reads the header of an encoded image. Fails with kCorruptData for an unknown or
// malformed header.
Result<ImageInfo> ProbeImage(std::span<const uint8_t> bytes);

// Decodes JPEG, PNG, WebP or BMP bytes into BGR. Grayscale is expanded to 3 channels,
// 16-bit is scaled to 8-bit, alpha is composited over white.
Result<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeOptions& options = {});

// Reads and decodes a file. Errors name the path.
Result<Image> LoadImage(const std::string& path, const DecodeOptions& options = {});

// The format SaveImage writes for `path`'s extension (.jpg/.jpeg, .png, .webp, .bmp; any case),
// kUnknown for any other.
ImageFormat ImageFormatForPath(std::string_view path);

// Encodes `image` as EncodeImage does, in the format ImageFormatForPath gives, and writes it.
Status SaveImage(const Image& image, const std::string& path);

// Encodes `image` in memory as JPEG (quality 95), PNG, WebP (lossless) or BMP. kInvalidArgument for
// an empty image or ImageFormat::kUnknown.
Result<std::vector<uint8_t>> EncodeImage(const Image& image, ImageFormat format);

// `image` encoded as EncodeImage does and decoded again: what a reader of the written bytes
// gets (JPEG's rounding changes pixels; the lossless formats give them back unchanged). The
// decode admits the image's own size. Errors as EncodeImage and DecodeImage.
Result<Image> RoundTripImage(const Image& image, ImageFormat format);

}  // namespace facet

#endif  // FACET_IMAGE_H_
