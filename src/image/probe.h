// Header parsing without decoding pixels (bounded, never reads out of range).
#ifndef FACET_SRC_IMAGE_PROBE_H_
#define FACET_SRC_IMAGE_PROBE_H_

#include <cstdint>
#include <span>

#include "facet/image.h"

namespace facet::image {

// The EXIF Orientation tag (1..8) of a JPEG, or 1 when absent or unreadable.
int JpegExifOrientation(std::span<const uint8_t> bytes);

// True when the JPEG's last bytes hold the EOI marker (FF D9), allowing trailing padding.
bool JpegHasEndMarker(std::span<const uint8_t> bytes);

}  // namespace facet::image

#endif  // FACET_SRC_IMAGE_PROBE_H_
