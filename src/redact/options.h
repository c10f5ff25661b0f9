// Checks, constants and detection settings shared by photo and video redaction.
#ifndef FACET_SRC_REDACT_OPTIONS_H_
#define FACET_SRC_REDACT_OPTIONS_H_

#include <string>
#include <vector>

#include "facet/engine.h"
#include "facet/redact.h"

namespace facet::redact {

// Photos scan tiles down to this side (the detector's 256-px input upsamples them by 2 at most).
inline constexpr int kPhotoMinTileSide = 128;

// What the detection scan of a photo or a frame runs: redaction's threshold, boxes only, and with
// a keep filter the landmarks of the faces it will be asked about. The caller adds the regions.
DetectOptions DetectionFor(const RedactOptions& options);

// Whether the scan's detection `box` scoring `score` is redacted: from options.score_threshold
// for faces shorter than options.large_face_height, from options.large_face_threshold for taller
// ones (a large false region costs much of the picture; a real large face scores high).
bool RedactsDetection(const RedactOptions& options, const Box& box, float score);

// Whether the photo scan asks O-Net about `face` (RedactOptions::second_opinion_below): a face
// shorter than large_face_height scoring in [second_opinion_floor, score_threshold), or in
// [score_threshold, second_opinion_below) and seen at one scale only; or NeedsLargeFaceOpinion.
// False when it is off.
bool NeedsSecondOpinion(const RedactOptions& options, const Face& face);

// Whether the scan (photo or video frame) asks O-Net about a large face: at least
// large_face_height tall, scoring in [score_threshold, large_face_threshold)
// (RedactOptions::large_face_second_opinion). False when it or the second opinion is off.
bool NeedsLargeFaceOpinion(const RedactOptions& options, const Face& face);

// O-Net's face probability for each of `faces` that `needs` says yes to, asked in one batch
// (Session::FaceProbabilities); -1 for the others.
using SecondOpinionNeeded = bool (*)(const RedactOptions& options, const Face& face);
Result<std::vector<float>> AskSecondOpinions(Session& session, const Image& image,
                                             const std::vector<Face>& faces,
                                             const RedactOptions& options,
                                             SecondOpinionNeeded needs);

// Whether a face NeedsSecondOpinion said yes to is redacted, given O-Net's `probability`: a large
// face from large_face_second_opinion; a smaller one below score_threshold from
// second_opinion_accept, above it from second_opinion_reject.
bool RedactsWithSecondOpinion(const RedactOptions& options, const Face& face, float probability);

// The score the photo scan detects down to: score_threshold, or second_opinion_floor when lower
// and the second opinion is on.
float PhotoScanThreshold(const RedactOptions& options);

// The region scale for a face box: options.small_face_scale below options.large_face_height
// (a small face's box is less precise), options.scale from it.
float RegionScaleFor(const RedactOptions& options, const Box& box);

// Who `face` is by options.keep, or "" (redact it) when there is no filter or the face scores
// below options.keep_min_score (then the filter is not asked).
std::string KeepIdentity(const RedactOptions& options, Session& session, const Image& image,
                         const Face& face);

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_OPTIONS_H_
