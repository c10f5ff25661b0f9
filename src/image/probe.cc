#include "image/probe.h"

#include <cstring>
#include <string>

namespace facet {
namespace {

uint32_t Be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t Be32(const uint8_t* p) { return (Be16(p) << 16) | Be16(p + 2); }
uint32_t Le16(const uint8_t* p) { return (uint32_t{p[1]} << 8) | p[0]; }
uint32_t Le32(const uint8_t* p) { return (Le16(p + 2) << 16) | Le16(p); }
uint32_t Le24(const uint8_t* p) { return (uint32_t{p[2]} << 16) | Le16(p); }

Result<ImageInfo> ProbeJpeg(std::span<const uint8_t> b) {
  size_t pos = 2;
  // Walk segments until a start-of-frame marker; bounded by the buffer.
  while (pos + 4 <= b.size()) {
    if (b[pos] != 0xFF) return Status::CorruptData("corrupt JPEG header (bad marker)");
    uint8_t marker = b[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    const uint32_t length = Be16(&b[pos + 2]);
    if (length < 2) return Status::CorruptData("corrupt JPEG header (bad segment length)");
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                     marker != 0xCC;
    if (sof) {
      if (pos + 9 > b.size()) break;
      ImageInfo info{ImageFormat::kJpeg, static_cast<int>(Be16(&b[pos + 7])),
                     static_cast<int>(Be16(&b[pos + 5]))};
      if (info.width == 0 || info.height == 0) {
        return Status::CorruptData("JPEG declares a zero width or height");
      }
      return info;
    }
    if (marker == 0xD9 || marker == 0xDA) break;  // end of image or scan before any frame
    pos += 2 + length;
  }
  return Status::CorruptData("truncated or corrupt JPEG header (no frame header found)");
}

Result<ImageInfo> ProbePng(std::span<const uint8_t> b) {
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
  if (b.size() < 24) return Status::CorruptData("truncated PNG header");
  if (std::memcmp(&b[12], "IHDR", 4) != 0) return Status::CorruptData("corrupt PNG header (no IHDR)");
  const uint32_t w = Be32(&b[16]), h = Be32(&b[20]);
  if (w == 0 || h == 0 || w > 0x7FFFFFFF || h > 0x7FFFFFFF) {
    return Status::CorruptData("PNG declares an invalid size");
  }
  return ImageInfo{ImageFormat::kPng, static_cast<int>(w), static_cast<int>(h)};
}

Result<ImageInfo> ProbeWebp(std::span<const uint8_t> b) {
  if (b.size() < 30) return Status::CorruptData("truncated WebP header");
  const uint8_t* chunk = &b[12];
  if (std::memcmp(chunk, "VP8 ", 4) == 0) {
    // Frame tag (3) + start code 9d 01 2a + 14-bit width and height.
    if (b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a) {
      return Status::CorruptData("corrupt WebP (VP8) header");
    }
    return ImageInfo{ImageFormat::kWebp, static_cast<int>(Le16(&b[26]) & 0x3FFF),
                     static_cast<int>(Le16(&b[28]) & 0x3FFF)};
  }
  if (std::memcmp(chunk, "VP8L", 4) == 0) {
    if (b[20] != 0x2f) return Status::CorruptData("corrupt WebP (VP8L) header");
    const uint32_t bits = Le32(&b[21]);
    return ImageInfo{ImageFormat::kWebp, static_cast<int>((bits & 0x3FFF) + 1),
                     static_cast<int>(((bits >> 14) & 0x3FFF) + 1)};
  }
  if (std::memcmp(chunk, "VP8X", 4) == 0) {
    return ImageInfo{ImageFormat::kWebp, static_cast<int>(Le24(&b[24]) + 1),
                     static_cast<int>(Le24(&b[27]) + 1)};
  }
  return Status::CorruptData("unsupported WebP chunk");
}

Result<ImageInfo> ProbeBmp(std::span<const uint8_t> b) {
  if (b.size() < 26) return Status::CorruptData("truncated BMP header");
  const uint32_t header_size = Le32(&b[14]);
  int64_t w = 0, h = 0;
  if (header_size == 12) {  // OS/2 BITMAPCOREHEADER
    w = Le16(&b[18]);
    h = Le16(&b[20]);
  } else if (header_size >= 40) {
    w = static_cast<int32_t>(Le32(&b[18]));
    h = static_cast<int32_t>(Le32(&b[22]));
  } else {
    return Status::CorruptData("corrupt BMP header");
  }
  if (h < 0) h = -h;  // top-down rows
  if (w <= 0 || h <= 0 || w > 0x7FFFFFFF || h > 0x7FFFFFFF) {
    return Status::CorruptData("BMP declares an invalid size");
  }
  return ImageInfo{ImageFormat::kBmp, static_cast<int>(w), static_cast<int>(h)};
}

}  // namespace

Result<ImageInfo> ProbeImage(std::span<const uint8_t> b) {
  if (b.empty()) return Status::InvalidArgument("empty file");
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ProbeJpeg(b);
  if (b.size() >= 8 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return ProbePng(b);
  if (b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 &&
      std::memcmp(&b[8], "WEBP", 4) == 0) {
    return ProbeWebp(b);
  }
  if (b.size() >= 2 && b[0] == 'B' && b[1] == 'M') return ProbeBmp(b);
  return Status::CorruptData("not a JPEG, PNG, WebP or BMP image");
}

namespace image {

int JpegExifOrientation(std::span<const uint8_t> b) {
  size_t pos = 2;
  while (pos + 4 <= b.size() && b[pos] == 0xFF) {
    const uint8_t marker = b[pos + 1];
    if (marker == 0xDA || marker == 0xD9) break;
    const size_t length = Be16(&b[pos + 2]);
    if (length < 2 || pos + 2 + length > b.size()) break;
    if (marker == 0xE1 && length >= 16 && std::memcmp(&b[pos + 4], "Exif\0\0", 6) == 0) {
      const uint8_t* tiff = &b[pos + 10];
      const size_t tiff_size = length - 8;
      const bool little = tiff[0] == 'I' && tiff[1] == 'I';
      if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
      auto u16 = [&](size_t off) { return little ? Le16(tiff + off) : Be16(tiff + off); };
      auto u32 = [&](size_t off) { return little ? Le32(tiff + off) : Be32(tiff + off); };
      const size_t ifd = u32(4);
      if (ifd + 2 > tiff_size) return 1;
      const size_t entries = u16(ifd);
      for (size_t e = 0; e < entries; ++e) {
        const size_t entry = ifd + 2 + e * 12;
        if (entry + 12 > tiff_size) return 1;
        if (u16(entry) == 0x0112) {
          const uint32_t value = u16(entry + 8);
          return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
        }
      }
      return 1;
    }
    pos += 2 + length;
  }
  return 1;
}

bool JpegHasEndMarker(std::span<const uint8_t> b) {
  // Some encoders pad after EOI; look at the last 64 bytes.
  const size_t start = b.size() > 64 ? b.size() - 64 : 0;
  for (size_t i = b.size(); i-- > start + 1;) {
    if (b[i - 1] == 0xFF && b[i] == 0xD9) return true;
  }
  return false;
}

}  // namespace image
}  // namespace facet
