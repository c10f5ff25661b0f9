// Checks and constants shared by photo and video redaction.
#ifndef FACET_SRC_REDACT_OPTIONS_H_
#define FACET_SRC_REDACT_OPTIONS_H_

#include "facet/redact.h"

namespace facet::redact {

// Photos scan tiles down to this side (the detector's 256-px input upsamples them by 2 at most).
inline constexpr int kPhotoMinTileSide = 128;

// kInvalidArgument naming the first option out of range.
Status ValidateOptions(const RedactOptions& options);
Status ValidateOptions(const VideoRedactOptions& options);

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_OPTIONS_H_
