#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "image/convert.h"
#include "image/probe.h"

namespace facet {
namespace {

const char* FormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kWebp: return "WebP";
    case ImageFormat::kBmp: return "BMP";
    case ImageFormat::kUnknown: break;
  }
  return "image";
}

// Rotates/flips an upright copy out of an EXIF-oriented image (orientation 1..8).
cv::Mat ApplyOrientation(const cv::Mat& in, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2: cv::flip(in, out, 1); return out;
    case 3: cv::rotate(in, out, cv::ROTATE_180); return out;
    case 4: cv::flip(in, out, 0); return out;
    case 5: cv::transpose(in, out); return out;
    case 6: cv::rotate(in, out, cv::ROTATE_90_CLOCKWISE); return out;
    case 7: cv::transpose(in, out); cv::rotate(out, out, cv::ROTATE_180); return out;
    case 8: cv::rotate(in, out, cv::ROTATE_90_COUNTERCLOCKWISE); return out;
    default: return in;
  }
}

}  // namespace

Result<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  if (bytes.empty()) return Status::InvalidArgument("empty file");
  if (static_cast<int64_t>(bytes.size()) > options.max_file_bytes) {
    return Status::ResourceExhausted("file is " + std::to_string(bytes.size()) +
                                     " bytes, above the limit of " +
                                     std::to_string(options.max_file_bytes));
  }
  auto info = ProbeImage(bytes);
  if (!info.ok()) return info.status();
  const int64_t pixels = static_cast<int64_t>(info->width) * info->height;
  if (pixels > options.max_pixels) {
    return Status::ResourceExhausted(
        std::string(FormatName(info->format)) + " image is " + std::to_string(info->width) + "x" +
        std::to_string(info->height) + " = " + std::to_string(pixels / 1'000'000) +
        " MP, above the " + std::to_string(options.max_pixels / 1'000'000) + " MP limit");
  }
  if (info->format == ImageFormat::kJpeg && !image::JpegHasEndMarker(bytes)) {
    return Status::CorruptData("truncated JPEG data (no end-of-image marker)");
  }
  // Colour 8-bit images (most JPEGs) decode straight into the Image's own buffer: OpenCV's
  // decoder writes into a preallocated Mat of the right size and type. Anything else (grey, alpha,
  // 16-bit) comes back in a Mat of its own and is converted below.
  std::vector<uint8_t> bgr(static_cast<size_t>(pixels) * 3);
  cv::Mat decoded(info->height, info->width, CV_8UC3, bgr.data());
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data()));
    cv::imdecode(buffer, cv::IMREAD_UNCHANGED, &decoded);
  } catch (const cv::Exception& e) {
    return Status::CorruptData(std::string("cannot decode ") + FormatName(info->format) + ": " +
                               e.what());
  }
  if (decoded.empty()) {
    return Status::CorruptData(std::string("corrupt or truncated ") + FormatName(info->format) +
                               " data");
  }
  // When a decoder refuses the header (libpng: "Invalid IHDR data", e.g. a width over 1,000,000
  // or a bad IHDR CRC), OpenCV returns the preallocated Mat untouched: all zero, as if decoded.
  // An all-zero result is therefore decoded again without it, which says whether it failed. Real
  // photos have a non-zero byte within the first pixels, so the check costs nothing for them.
  if (decoded.data == bgr.data() &&
      std::all_of(bgr.begin(), bgr.end(), [](uint8_t v) { return v == 0; })) {
    cv::Mat fresh;
    try {
      const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U,
                           const_cast<uint8_t*>(bytes.data()));
      fresh = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
      return Status::CorruptData(std::string("cannot decode ") + FormatName(info->format) + ": " +
                                 e.what());
    }
    if (fresh.empty()) {
      return Status::CorruptData(std::string("cannot decode ") + FormatName(info->format) +
                                 ": the decoder refused its header");
    }
    if (fresh.cols != info->width || fresh.rows != info->height) {
      return Status::CorruptData(std::string(FormatName(info->format)) +
                                 " decoded to a size other than its header declares");
    }
    decoded = fresh;
  }
  if (decoded.cols != info->width || decoded.rows != info->height) {
    return Status::CorruptData(std::string(FormatName(info->format)) +
                               " decoded to a size other than its header declares");
  }
  const int orientation = info->format == ImageFormat::kJpeg && options.apply_exif_orientation
                              ? image::JpegExifOrientation(bytes)
                              : 1;
  if (orientation == 1 && decoded.data == bgr.data()) {
    return Image(info->width, info->height, std::move(bgr));
  }
  Image image = image::ImageFromMat(ApplyOrientation(decoded, orientation));
  if (image.empty()) return Status::CorruptData("unsupported pixel format");
  return image;
}

Result<Image> LoadImage(const std::string& path, const DecodeOptions& options) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return Status::NotFound(path + ": no such file");
  if (std::filesystem::is_directory(status)) {
    return Status::InvalidArgument(path + ": is a directory, not an image");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::InvalidArgument(path + ": cannot read (" + ec.message() + ")");
  if (static_cast<int64_t>(size) > options.max_file_bytes) {
    return Status::ResourceExhausted(path + ": file is " + std::to_string(size) +
                                     " bytes, above the limit of " +
                                     std::to_string(options.max_file_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(path + ": cannot open for reading");
  std::vector<uint8_t> bytes(size);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return Status::InvalidArgument(path + ": read failed");
  }
  auto image = DecodeImage(bytes, options);
  if (!image.ok()) return Status(image.status().code(), path + ": " + image.status().message());
  return image;
}

Result<std::vector<uint8_t>> EncodeImage(const Image& image, ImageFormat format) {
  if (image.empty()) return Status::InvalidArgument("nothing to encode (empty image)");
  const char* ext = nullptr;
  std::vector<int> params;
  switch (format) {
    case ImageFormat::kJpeg:
      ext = ".jpg";
      params = {cv::IMWRITE_JPEG_QUALITY, 95};
      break;
    case ImageFormat::kPng: ext = ".png"; break;
    case ImageFormat::kWebp: ext = ".webp"; break;
    case ImageFormat::kBmp: ext = ".bmp"; break;
    case ImageFormat::kUnknown: return Status::InvalidArgument("no output format given");
  }
  std::vector<uint8_t> encoded;
  try {
    if (!cv::imencode(ext, image::AsMat(image), encoded, params)) {
      return Status::Internal(std::string(FormatName(format)) + " encoding failed");
    }
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string(FormatName(format)) + " encoding failed: " + e.what());
  }
  return encoded;
}

Result<Image> RoundTripImage(const Image& image, ImageFormat format) {
  auto encoded = EncodeImage(image, format);
  if (!encoded.ok()) return encoded.status();
  DecodeOptions decode;
  decode.max_pixels = std::max<int64_t>(decode.max_pixels, int64_t{image.width()} * image.height());
  decode.max_file_bytes =
      std::max<int64_t>(decode.max_file_bytes, static_cast<int64_t>(encoded->size()));
  return DecodeImage(encoded.value(), decode);
}

ImageFormat ImageFormatForPath(std::string_view path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".jpg" || ext == ".jpeg") return ImageFormat::kJpeg;
  if (ext == ".png") return ImageFormat::kPng;
  if (ext == ".webp") return ImageFormat::kWebp;
  if (ext == ".bmp") return ImageFormat::kBmp;
  return ImageFormat::kUnknown;
}

Status SaveImage(const Image& image, const std::string& path) {
  if (image.empty()) return Status::InvalidArgument(path + ": nothing to save (empty image)");
  const ImageFormat format = ImageFormatForPath(path);
  if (format == ImageFormat::kUnknown) {
    return Status::InvalidArgument(path + ": unsupported output type '" +
                                   std::filesystem::path(path).extension().string() +
                                   "' (use .png, .jpg, .webp or .bmp)");
  }
  // The same bytes EncodeImage gives: redaction's verification scans exactly those.
  auto encoded = EncodeImage(image, format);
  if (!encoded.ok())
    return Status(encoded.status().code(), path + ": " + encoded.status().message());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::InvalidArgument(path + ": cannot open for writing");
  out.write(reinterpret_cast<const char*>(encoded->data()),
            static_cast<std::streamsize>(encoded->size()));
  if (!out) return Status::Internal(path + ": write failed");
  return Status::Ok();
}

}  // namespace facet
