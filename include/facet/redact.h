// Redaction: make every face in a photo or a video unrecognisable (blur, pixelate or fill).
//
// Recall comes first: a missed face is a privacy leak. Photos are scanned at several scales
// (the frame plus overlapping tiles) at a detector threshold below the recognition default.
// Videos get a full-frame pass every frame, tiles in rotation (each frame scans a share of
// them), and a tracker that carries boxes between scans and holds a box for a few frames when
// the detector misses it, so faces do not flicker into view. No identity is computed.
//
// Video goes through FFmpeg's libraries: the video stream is decoded, redacted and encoded as
// H.264; audio and subtitle streams are copied unchanged (no re-encoding); frame count, frame
// timestamps (so the rate) and size are preserved. The output is written to a temporary file
// beside OUT and renamed only on success: a failed run leaves no partial output.
//
// Thread-safety: RedactImage uses the caller's Session (one thread at a time, as always).
// RedactVideo creates its own Sessions from the Engine, one per detection thread and one per
// verification thread, and calls the progress callback from one thread at a time.
#ifndef FACET_REDACT_H_
#define FACET_REDACT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "facet/engine.h"
#include "facet/image.h"
#include "facet/status.h"
#include "facet/types.h"

namespace facet {

enum class RedactMode {
  kBlur,      // a heavy blur (the region reduced to a few pixels across, smoothed, enlarged)
  kPixelate,  // a coarse mosaic, 8 blocks across the region
  kFill,      // solid black
};

enum class RedactShape {
  kEllipse,  // the ellipse inscribed in the scaled box (default: follows a head's outline)
  kBox,      // the scaled box itself
};

// "blur", "pixelate", "fill" / "ellipse", "box"; anything else is kInvalidArgument.
Result<RedactMode> ParseRedactMode(std::string_view name);
const char* RedactModeName(RedactMode mode);
Result<RedactShape> ParseRedactShape(std::string_view name);
const char* RedactShapeName(RedactShape shape);

// Decides whether one detected face stays visible. Called on a detection thread with that
// thread's Session, the whole frame, and the face as Detect returned it, landmarks included
// (redaction then runs the landmark network, which it otherwise skips), for each face scoring at
// least RedactOptions::keep_min_score; faces below are redacted without asking. Returns who the
// face is (any non-empty, stable name, e.g. a gallery person id) to leave it visible, or an empty
// string to redact it. This is where consent-based identification plugs in ("keep the enrolled
// interviewee": `facet redact --keep`). It must be thread-safe (video calls it from several
// threads at once). A face it is not asked about is redacted. In video the decision is per track
// (VideoRedactOptions::keep_confirm_detections), so one lucky match does not unveil a face.
using KeepFilter =
    std::function<std::string(Session& session, const Image& frame, const Face& face)>;

struct RedactOptions {
  RedactMode mode = RedactMode::kBlur;
  RedactShape shape = RedactShape::kEllipse;
  // The detector's box spans brows to chin; the drawn region is the head around it (1.2 times
  // as tall, centred 0.08 of the box height higher) scaled by this about its centre (1..4), a
  // margin for hair, ears and the detector's imprecision, for faces at least
  // `large_face_height` tall. Default 1.6 (docs/redact.md: the measured recall at 1.3 is too low).
  float scale = 1.6f;
  // The same for smaller faces, whose boxes are less precise (1..4). Default 2.0: on WIDER dev it
  // lifts the faces >= 16 px covered by ~3 points for 0.3 % more of the picture (docs/redact.md).
  float small_face_scale = 2.0f;
  // Detections scoring at least this are redacted (below large_face_height). Recognition uses
  // RetinaFace at 0.75; redaction favours recall: small faces score low. Default 0.05 (WIDER dev:
  // 0.924 of faces >= 16 px covered, 2.2 % of the picture redacted outside faces; 0.1: 0.907).
  float score_threshold = 0.05f;
  // Detections at least `large_face_height` pixels tall are redacted only from
  // `large_face_threshold` (the higher of the two thresholds applies): a large false region takes
  // much of the picture, and a real large face scores high. Defaults 48 px and 0.6 (WIDER dev: the
  // false area falls from 5.1 % to 1.8 % of the picture at the same threshold for small faces).
  float large_face_height = 48;
  float large_face_threshold = 0.6f;
  // Photos with RetinaFace: a detection scoring below this is redacted only when two of the scan's
  // passes able to see a face its size found it (DetectOptions::confirm_below_score). In [0, 1);
  // 0: off. Default 0: at 0.2 or 0.3 it removes the hand and the chandelier of a sample photo
  // (4 regions -> 2) but uncovers ~1 % of WIDER dev's small faces (docs/redact.md).
  float confirm_below_score = 0.0f;
  // Photos with RetinaFace: a second opinion on weak detections of faces shorter than
  // `large_face_height`, from MTCNN's O-Net (Session::FaceProbabilities: another network, trained
  // on other data). Asked about
  //   - a detection scoring in [second_opinion_floor, score_threshold): redacted when O-Net gives
  //     it at least `second_opinion_accept` (the scan runs down to the floor);
  //   - a detection scoring in [score_threshold, second_opinion_below) that only one scale of the
  //     recall pyramid saw (Face::single_scale): dropped when O-Net gives it less than
  //     `second_opinion_reject`.
  // A hand or a chandelier is seen at one scale and looks like no face to O-Net; a real small face
  // found at one scale alone usually does, and a real face just below the threshold is let in.
  // Defaults 0.2, 0.08, 0.03, 0.5, chosen on WIDER dev's 305 images: faces >= 16 px covered
  // 0.924 -> 0.925, picture redacted outside faces 1.84 % -> 1.78 %, `two_people.jpg` 4 regions
  // -> 3 (docs/redact.md). second_opinion_below = 0 switches both off. Ignored with BlazeFace.
  float second_opinion_below = 0.2f;
  float second_opinion_reject = 0.08f;
  float second_opinion_floor = 0.03f;
  float second_opinion_accept = 0.5f;
  // With RetinaFace, photos and video: a detection at least `large_face_height` tall scoring in
  // [score_threshold, large_face_threshold) is asked about too, and redacted when O-Net gives it
  // at least this. A face partly hidden (coming out from behind someone) or turned scores low
  // with RetinaFace while O-Net is sure of it; the large false regions that large_face_threshold
  // keeps out mostly are not faces to O-Net. Default 0.99: on street_1080p.mp4 it covers a
  // woman's face in the three frames it was left visible and adds no other region
  // (docs/redact.md). In [0, 1]; 0 switches it off, as does second_opinion_below = 0.
  float large_face_second_opinion = 0.99f;
  // Photos with --detector blazeface: how many tile levels below the frame are scanned (level l:
  // tiles of 1/2^l of the longer side, overlapping by a quarter, none smaller than 128 px).
  // RetinaFace scans the photo in recall mode instead (twice its size, its own size and a coarse
  // pass). Default 3.
  int photo_tile_levels = 3;
  // Empty: every face is redacted. See KeepFilter.
  KeepFilter keep;
  // With `keep`: faces scoring below this are redacted without asking it, and without the
  // landmarks only it needs (0..1). Identification wants a face the detector is sure of.
  // Default 0.5, recognition's detector threshold (DetectOptions::score_threshold).
  float keep_min_score = 0.5f;
  // Verification (off by default): after drawing, the output is scanned as a recogniser would
  // scan it (photos: the detector in recall mode at `verify_threshold`; video: each drawn frame
  // in fast mode, at `verify_threshold` minus VideoRedactOptions::verify_encoder_margin, before
  // encoding). A detection lying mostly inside a redacted region (a face still seen through its
  // blur) is redacted again around itself, and the output scanned again, for at most
  // `verify_rounds` rounds; detections outside every redacted region are left alone (redacting
  // what the blurs themselves look like covered pictures in grey blobs: docs/redact.md). Faces
  // still found after the last round are counted (ImageRedaction::residual_faces,
  // VideoRedactSummary::residual_faces). 0 rounds: no verification. Default 0 (on WIDER dev the
  // RetinaFace scan alone covers the target share of faces; docs/benchmarks.md).
  int verify_rounds = 0;
  float verify_threshold = 0.5f;
  // The format the output will be written in, or kUnknown. When given, each verification scan
  // looks at the output encoded so and decoded again, which is what a reader of the written file
  // sees: JPEG's rounding moves detector scores across the threshold, so a photo that scans
  // clean in memory can hold a detection as a file (on 80 WIDER images, 1 face left in memory
  // against 15 detections in the JPEG; docs/redact.md). Lossless formats (PNG, BMP, WebP as
  // EncodeImage writes it) change nothing and are scanned in memory.
  // Default kUnknown (the image as it is in memory); `facet redact` and POST /redact set the
  // format they write.
  ImageFormat verify_encoding = ImageFormat::kUnknown;
};

// One face found and drawn over (or kept visible by the keep filter).
struct RedactedRegion {
  Box face;           // the detector's (or, in video, the tracker's) box
  Box region;         // the head around `face` scaled by RedactOptions::scale: the drawn area's
                      // bounds (an ellipse inscribed in it, or the box itself), before clipping
  float score = 0;    // detector score; 0 for a box the tracker held without a detection
  bool kept = false;  // left visible by the keep filter
  int verify_round = 0;  // 0: found by the scan; n: found in the output by verification round n
  // O-Net's face probability when the second opinion was asked (RedactOptions::
  // second_opinion_below), else -1.
  float second_opinion = -1;
};

struct ImageRedaction {
  std::vector<RedactedRegion> regions;  // the scan's, best score first, then verification's
  int faces_redacted = 0;               // regions with kept == false
  // Faces the detector still finds in the output at RedactOptions::verify_threshold after the
  // last verification round (not counting kept faces); 0 when verification ended clean or
  // did not run.
  int residual_faces = 0;
  // The share (0..1) of the picture the redaction changed (RedactedShare of `regions`); set by
  // RedactImage.
  float redacted_share = 0;
};

// Detects every face in `image` with the photo plan (frame + tiles) and redacts it in place:
// FindRedactions, DrawRedactions, then VerifyRedaction.
Result<ImageRedaction> RedactImage(Session& session, Image& image, const RedactOptions& options);

// Scans the redacted `image` (drawn with `redaction`'s regions) for faces the detector still
// finds at options.verify_threshold in recall mode and redacts them too, for at most
// options.verify_rounds rounds, appending their regions to `redaction` (verify_round set) and
// setting its residual_faces. A found box whose centre lies in a kept face's box is that face.
Status VerifyRedaction(Session& session, Image& image, const RedactOptions& options,
                       ImageRedaction* redaction);

// The regions RedactImage would draw (keep filter applied), without drawing them.
Result<ImageRedaction> FindRedactions(Session& session, const Image& image,
                                      const RedactOptions& options);

// Redacts `regions` (those not kept) in `image` with `mode` and `shape`; what RedactImage and
// RedactVideo draw. Regions are clipped to the image.
void DrawRedactions(Image& image, const std::vector<RedactedRegion>& regions, RedactMode mode,
                    RedactShape shape);

// The share (0..1) of `box`'s pixels (clipped to a width x height image) that the drawn area of
// `regions` (those not kept) covers, with exactly the geometry DrawRedactions draws. 0 for a box
// outside the image.
float RedactionCoverage(const std::vector<RedactedRegion>& regions, RedactShape shape,
                        const Box& box, int width, int height);

// The share (0..1) of a width x height image's pixels that the drawn area of `regions` (those not
// kept) covers outside every box of `spared` (e.g. annotated faces grown to the whole head): the
// picture a redaction took away that was not a face. 0 for an empty image.
float RedactedAreaOutside(const std::vector<RedactedRegion>& regions, RedactShape shape,
                          const std::vector<Box>& spared, int width, int height);

// The share (0..1) of a width x height image's pixels that DrawRedactions changes for `regions`:
// their drawn area, kept faces' boxes put back (RedactedAreaOutside sparing the kept faces).
float RedactedShare(const std::vector<RedactedRegion>& regions, RedactShape shape, int width,
                    int height);

struct VideoProgress {
  int64_t frames_done = 0;
  int64_t frames_total = 0;  // the container's count or duration x rate; 0 when unknown
};

struct VideoRedactOptions {
  RedactOptions redact;
  // Threads that run detection, each with its own Session, and as many that verify the drawn
  // frames, each with its own Session too (decoding, tracking + drawing and encoding run on
  // three more). Default 2.
  int threads = 2;
  // Tiles scanned per frame besides the full-frame pass (the rest wait for their turn). With 2 or
  // more, one of them goes first to re-finding a small tracked face the detector has lost.
  // Default 1: the speed target (docs/redact.md); 2 costs one detector pass more per frame.
  int tiles_per_frame = 1;
  // Tile levels below the frame (level l: tiles of 1/2^l of the longer side). Default 2.
  int tile_levels = 2;
  // A tracked face the detector misses is still redacted for this many frames in which it could
  // have been found. Default 12.
  int hold_frames = 12;
  // With a keep filter: a tracked face is left visible only in frames where it was detected and
  // its last this-many detections in a row were all kept as the same identity (misses between
  // them do not break the run; a detection redacted or named otherwise starts it over). A held
  // box (no detection this frame) is always redacted: when unsure, redact. 1..100, default 3.
  int keep_confirm_detections = 3;
  // Look-back: frames are drawn this many frames after they are tracked, and a face first found
  // in frame b (a detection scoring at least 0.5, or a large face O-Net vouched for) is also
  // redacted in the frames before b still waiting, at its first box moved back along its
  // velocity: it was often on screen already, coming out from behind someone or waiting for its
  // tile's turn. 0..100; 0: off. Default -1: the tile rotation period (21 frames at 1080p with
  // one tile per frame), the longest a face only the tiles can find waits. Costs as many decoded
  // frames of memory (~6 MB each at 1080p).
  int look_back_frames = -1;
  // Verification (RedactOptions::verify_rounds) scans each drawn frame in memory, before it is
  // encoded; the encoder's rounding then moves detector scores (on street_1080p.mp4 at crf 20, a
  // region scoring 0.45 in memory scored 0.55 in the file). So frames are verified at
  // RedactOptions::verify_threshold minus this margin (0..0.5). Default 0.15: with 0.1 a
  // one-level change in a few blur cells left one detection at 0.515 in the written
  // stage_360p.mp4; at 0.15 both test clips hold none at 0.5 (docs/redact.md). A margin, not a
  // guarantee.
  float verify_encoder_margin = 0.15f;
  // Copy audio streams (false: drop them). Subtitles are copied either way when the output
  // container takes them; other video streams and data streams are dropped (listed in the
  // summary), since they could show faces or are not video.
  bool keep_audio = true;
  // libx264 settings: preset (ultrafast .. veryslow) and constant-rate factor (0..51, lower is
  // better). Defaults: "ultrafast" (half superfast's CPU time per frame), 20.
  std::string x264_preset = "ultrafast";
  int crf = 20;
  // Called after each frame is written. May be empty.
  std::function<void(const VideoProgress&)> progress;
  // Asked after each frame is written (from the writing thread). When it returns true,
  // RedactVideo stops and fails with kCancelled, leaving no output file. May be empty.
  std::function<bool()> cancelled;
};

struct VideoRedactSummary {
  int64_t frames = 0;  // frames written (= frames decoded)
  int width = 0;
  int height = 0;
  double frame_rate = 0;                     // the stream's average rate (frames/s)
  std::string input_codec;                   // e.g. "h264"
  std::vector<int> faces_per_frame;          // regions redacted in each frame (verification's too)
  // The share (0..1) of each frame's pixels the redaction changed (RedactedShare): the picture
  // side of the result, as faces_per_frame is the count.
  std::vector<float> redacted_share_per_frame;
  int64_t verify_regions = 0;  // regions verification added (RedactOptions::verify_rounds)
  // Detections verification's last in-memory scans still found (at the lowered threshold, so
  // the written file can hold fewer; facet eval redact-video scans the file).
  int64_t residual_faces = 0;
  int64_t frames_with_residual = 0;          // frames holding them
  int64_t tracks = 0;                        // distinct tracked faces
  int look_back_frames = 0;  // the look-back used (VideoRedactOptions::look_back_frames, resolved)
  std::vector<std::string> copied_streams;   // e.g. "audio aac"
  std::vector<std::string> dropped_streams;  // e.g. "audio aac (--no-audio)"
  int64_t decode_errors = 0;                 // packets the decoder rejected (concealed or skipped)
  // Video packets in the input (one frame each for most codecs: with decode errors, more packets
  // than `frames` means frames were lost), and frames decoded with concealed errors.
  int64_t input_video_packets = 0;
  int64_t damaged_frames = 0;
  double seconds = 0;                        // wall-clock time
  // CPU seconds per stage (thread CPU time): decoding and conversion to BGR, detection,
  // tracking + drawing, verification of the drawn frames, and conversion + encoding + muxing.
  double cpu_decode_seconds = 0;
  double cpu_detect_seconds = 0;
  double cpu_track_seconds = 0;
  double cpu_verify_seconds = 0;
  double cpu_encode_seconds = 0;
  // All CPU time of the process during the call (the stages above, the encoder's own threads,
  // creating the Sessions).
  double cpu_total_seconds = 0;
};

// kInvalidArgument naming the first option out of range, as RedactImage, FindRedactions and
// RedactVideo report it; for a caller that checks options before doing any work.
Status ValidateRedactOptions(const RedactOptions& options);
Status ValidateRedactOptions(const VideoRedactOptions& options);

// Redacts the video at `input_path` into `output_path` (container from its extension: .mp4,
// .m4v, .mov or .mkv; others are kInvalidArgument). Fails, leaving no output file, on an
// unreadable, empty or truncated input, a video codec FFmpeg cannot decode, a stream the output
// container cannot hold, or when input and output are the same file.
Result<VideoRedactSummary> RedactVideo(const std::shared_ptr<const Engine>& engine,
                                       const std::string& input_path,
                                       const std::string& output_path,
                                       const VideoRedactOptions& options);

}  // namespace facet

#endif  // FACET_REDACT_H_
