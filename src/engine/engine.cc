// The one place that wires the stages together.
#include "facet/engine.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <thread>

#include "align/align.h"
#include "detect/face_detector.h"
#include "embed/recognizer.h"
#include "embed/registry.h"
#include "engine/detector_registry.h"
#include "image/convert.h"
#include "landmarks/face_mesh.h"
#include "landmarks/landmarks68.h"
#include "landmarks/onet.h"
#include "nn/network.h"
#include "quality/quality.h"

namespace facet {

namespace {
constexpr const char* kRetinaFaceFile = "retinaface_mnet025.onnx";
constexpr const char* kBlazeFaceFile = "blazeface_back_256.onnx";
constexpr const char* kLandmarkFile = "onet.onnx";
constexpr const char* kLandmarks68File = "landmarks68.onnx";
constexpr const char* kFaceMeshFile = "face_mesh.onnx";
}  // namespace

struct Engine::Models {
  EngineOptions options;
  embed::RecognizerSpec recognizer_spec;
  RecognizerInfo recognizer_info;
  DetectorInfo detector_info;
  detect::DetectorKind detector_kind = detect::DetectorKind::kRetinaFace;
  detect::RetinaFaceSpec retinaface_spec;  // kRetinaFace: facet's own, or a registered one's
  std::shared_ptr<const nn::ModelFile> detector;
  // O-Net: the landmarks for a detector that places none (BlazeFace, a registered one with none),
  // and a second opinion for every detector (Session::FaceProbabilities).
  std::shared_ptr<const nn::ModelFile> landmarks;
  bool detector_places_landmarks = true;             // else O-Net places them
  std::shared_ptr<const nn::ModelFile> landmarks68;  // the landmarks68 field
  std::shared_ptr<const nn::ModelFile> face_mesh;    // for the head pose
  std::shared_ptr<const nn::ModelFile> recognizer;
};

struct Session::State {
  std::shared_ptr<const Engine> engine;
  std::unique_ptr<detect::FaceDetector> detector;
  // Landmarks (unless Models::detector_places_landmarks) and redaction's second opinions.
  std::unique_ptr<landmarks::Onet> onet;
  std::unique_ptr<landmarks::Landmarks68> landmarks68;
  std::unique_ptr<landmarks::FaceMesh> face_mesh;
  std::unique_ptr<embed::Recognizer> recognizer;  // created on first Embed
  std::vector<Box> boxes;
  std::vector<landmarks::OnetResult> landmark_results;
  std::vector<landmarks::FaceCrop> dense_crops;
  std::vector<size_t> dense_faces;  // index in `faces` of each dense crop
  std::vector<landmarks::Points68> dense_results;
  std::vector<landmarks::FaceCrop> mesh_crops;
  std::vector<landmarks::FaceMeshResult> mesh_results;
  std::vector<float> agreement;      // Recognizer::MirrorAgreement per dense face
  std::vector<float> feature_norms;  // and the raw output's norm
  std::vector<cv::Mat> crops;
  std::vector<std::vector<float>> templates;
  cv::Mat quality_crop;
};

Result<DetectorMode> ParseDetectorMode(std::string_view name) {
  if (name == "fast") return DetectorMode::kFast;
  if (name == "recall") return DetectorMode::kRecall;
  return Status::InvalidArgument("unknown detector mode '" + std::string(name) +
                                 "' (known: fast, recall)");
}

float RecommendedScoreThreshold(std::string_view detector) {
  return detector == "retinaface" ? 0.75f : 0.5f;
}

std::vector<std::string> DetectorNames() { return {"retinaface", "blazeface"}; }

const char* DetectorModeName(DetectorMode mode) {
  return mode == DetectorMode::kRecall ? "recall" : "fast";
}

Engine::Engine(std::unique_ptr<Models> models) : models_(std::move(models)) {}
Engine::~Engine() = default;

const RecognizerInfo& Engine::recognizer() const { return models_->recognizer_info; }
const DetectorInfo& Engine::detector() const { return models_->detector_info; }
const EngineOptions& Engine::options() const { return models_->options; }

Result<std::shared_ptr<const Engine>> Engine::Create(const EngineOptions& options) {
  if (options.model_dir.empty()) {
    return Status::InvalidArgument("EngineOptions.model_dir is empty");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(options.model_dir, ec)) {
    return Status::NotFound(options.model_dir +
                            ": model directory not found (run scripts/models.sh)");
  }
  auto spec = embed::FindRecognizer(options.recognizer, options.model_dir);
  if (!spec.ok()) return spec.status();
  auto backend = nn::ParseBackend(options.backend);
  if (!backend.ok()) return backend.status();
  if (options.num_threads < 0) return Status::InvalidArgument("num_threads must not be negative");
  // More threads than cores only wait for each other: 64 on 2 cores made one detection take
  // over 30 s (XNNPACK's pool spins).
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (options.num_threads > cores) {
    return Status::InvalidArgument("num_threads " + std::to_string(options.num_threads) +
                                   " is more than this machine's " + std::to_string(cores) +
                                   " cores");
  }
  const nn::ModelOptions model_options{.backend = backend.value(),
                                       .num_threads = std::max(1, options.num_threads)};
  auto models = std::make_unique<Models>();
  models->options = options;
  models->recognizer_spec = spec.value();
  models->recognizer_info = {spec->name, spec->version, spec->dimensions, spec->threshold_fmr_1e3,
                             spec->threshold_fmr_1e4};
  const std::filesystem::path dir(options.model_dir);
  // The detector: a built-in name, else one registered under the model directory.
  std::string detector_path;
  bool needs_onet = false;
  auto builtin = detect::ParseDetectorKind(options.detector);
  if (builtin.ok()) {
    const bool blazeface = builtin.value() == detect::DetectorKind::kBlazeFace;
    models->detector_kind = builtin.value();
    models->retinaface_spec = detect::BuiltInRetinaFaceSpec();
    models->detector_info = {options.detector, blazeface ? "blazeface" : "retinaface", "",
                             RecommendedScoreThreshold(options.detector), false};
    detector_path = (dir / (blazeface ? kBlazeFaceFile : kRetinaFaceFile)).string();
    needs_onet = blazeface;
  } else {
    auto registered = engine::FindRegisteredDetector(options.detector, options.model_dir);
    if (!registered.ok()) return registered.status();
    models->detector_kind = detect::DetectorKind::kRetinaFace;
    models->retinaface_spec = engine::SpecFromDetectorManifest(registered->manifest);
    models->detector_info = {options.detector, "retinaface", registered->version,
                             registered->manifest.score_threshold, true};
    detector_path = registered->onnx_path;
    needs_onet = registered->manifest.landmarks == 0;
  }
  auto detector = nn::ModelFile::Read(detector_path, model_options);
  if (!detector.ok()) return detector.status();
  // Read for every detector: besides the landmarks of one that places none, O-Net gives
  // redaction its second opinion on weak detections.
  auto landmarks = nn::ModelFile::Read((dir / kLandmarkFile).string(), model_options);
  if (!landmarks.ok()) return landmarks.status();
  models->landmarks = landmarks.value();
  models->detector_places_landmarks = !needs_onet;
  auto landmarks68 = nn::ModelFile::Read((dir / kLandmarks68File).string(), model_options);
  if (!landmarks68.ok()) return landmarks68.status();
  models->landmarks68 = landmarks68.value();
  auto face_mesh = nn::ModelFile::Read((dir / kFaceMeshFile).string(), model_options);
  if (!face_mesh.ok()) return face_mesh.status();
  models->face_mesh = face_mesh.value();
  auto recognizer = nn::ModelFile::Read((dir / spec->model_file).string(), model_options);
  if (!recognizer.ok()) return recognizer.status();
  models->detector = detector.value();
  models->recognizer = recognizer.value();
  if (options.num_threads > 0) cv::setNumThreads(options.num_threads);
  return std::shared_ptr<const Engine>(std::make_shared<Engine>(std::move(models)));
}

Result<std::unique_ptr<Session>> Engine::NewSession() const {
  auto state = std::make_unique<Session::State>();
  state->engine = shared_from_this();
  auto detector = detect::FaceDetector::Create(models_->detector_kind, *models_->detector,
                                               models_->retinaface_spec);
  if (!detector.ok()) return detector.status();
  state->detector = std::move(detector).value();
  if (models_->landmarks) {
    auto onet = landmarks::Onet::Create(*models_->landmarks);
    if (!onet.ok()) return onet.status();
    state->onet = std::move(onet).value();
  }
  auto landmarks68 = landmarks::Landmarks68::Create(*models_->landmarks68);
  if (!landmarks68.ok()) return landmarks68.status();
  state->landmarks68 = std::move(landmarks68).value();
  auto face_mesh = landmarks::FaceMesh::Create(*models_->face_mesh);
  if (!face_mesh.ok()) return face_mesh.status();
  state->face_mesh = std::move(face_mesh).value();
  return std::make_unique<Session>(std::move(state));
}

Session::Session(std::unique_ptr<State> state) : state_(std::move(state)) {}
Session::~Session() = default;

const Engine& Session::engine() const { return *state_->engine; }

Result<std::vector<Face>> Session::Detect(const Image& image, const DetectOptions& options) {
  if (image.empty()) return Status::InvalidArgument("empty image");
  const float score_threshold = options.score_threshold == kRecommendedScoreThreshold
                                    ? state_->engine->detector().score_threshold
                                    : options.score_threshold;
  if (!(score_threshold > 0 && score_threshold < 1)) {
    return Status::InvalidArgument("score_threshold must be in (0, 1)");
  }
  if (!(options.min_face_size >= 0) || options.max_faces < 0) {  // NaN too
    return Status::InvalidArgument("min_face_size and max_faces must not be negative");
  }
  if (!(options.landmarks_min_score >= 0 && options.landmarks_min_score <= 1)) {
    return Status::InvalidArgument("landmarks_min_score must be in [0, 1]");
  }
  if (!(options.confirm_below_score >= 0 && options.confirm_below_score < 1)) {
    return Status::InvalidArgument("confirm_below_score must be in [0, 1)");
  }
  const cv::Mat view = image::AsMat(image);
  detect::FaceDetectorConfig config;
  const bool recall = options.mode == DetectorMode::kRecall;
  config.use_tiles = recall;
  config.score_threshold = score_threshold;
  config.confirm_below_score = options.confirm_below_score;
  config.tiling.min_face_size = options.min_face_size;
  if (state_->detector->kind() == detect::DetectorKind::kRetinaFace) {
    config.nms = detect::RetinaFaceNms();
    // Recall: the finest pass at twice the size (faces down to ~8 px) unless none so small is
    // wanted, and one at the image's own size.
    if (recall && options.min_face_size < 16) {
      config.pyramid.max_scale = 2.0f;
      config.pyramid.max_side = 2560;
      config.pyramid.pass_ratio = 2.5f;  // e.g. 2x, 1x and 640 px for a 1024 px photo
    }
  }
  for (const Box& r : options.regions) {
    if (!(r.width >= 1 && r.height >= 1)) {
      return Status::InvalidArgument("DetectOptions.regions: a region is empty");
    }
    const int x0 = static_cast<int>(std::floor(r.x)), y0 = static_cast<int>(std::floor(r.y));
    config.regions.emplace_back(x0, y0, static_cast<int>(std::ceil(r.x + r.width)) - x0,
                                static_cast<int>(std::ceil(r.y + r.height)) - y0);
  }
  auto detections = state_->detector->Detect(view, config);
  if (!detections.ok()) return detections.status();

  std::vector<detect::Detection>& found = detections.value();
  std::erase_if(found, [&](const detect::Detection& d) {
    return std::min(d.box.width, d.box.height) < options.min_face_size;
  });
  if (options.max_faces > 0 && found.size() > static_cast<size_t>(options.max_faces)) {
    found.resize(options.max_faces);
  }
  // Landmarks only for the faces at landmarks_min_score (and none without compute_landmarks), so
  // that a face's fields do not depend on the detector: RetinaFace places them with the box;
  // with BlazeFace (or a registered detector that places none), O-Net runs on those faces in one
  // batch.
  const auto wants_landmarks = [&](const detect::Detection& d) {
    return options.compute_landmarks && d.score >= options.landmarks_min_score;
  };
  const bool onet_places_landmarks = !state_->engine->models().detector_places_landmarks;
  if (onet_places_landmarks && options.compute_landmarks) {
    state_->boxes.clear();
    for (const detect::Detection& d : found) {
      if (wants_landmarks(d)) state_->boxes.push_back(d.box);
    }
    FACET_RETURN_IF_ERROR(state_->onet->Run(view, state_->boxes, &state_->landmark_results));
    size_t next_result = 0;  // landmark_results holds the wanted faces, in order
    for (detect::Detection& d : found) {
      if (wants_landmarks(d)) d.landmarks = state_->landmark_results[next_result++].points;
    }
  }
  std::vector<Face> faces(found.size());
  state_->dense_crops.clear();
  state_->dense_faces.clear();
  for (size_t i = 0; i < found.size(); ++i) {
    Face& face = faces[i];
    face.box = found[i].box;
    face.score = found[i].score;
    face.single_scale = found[i].SeenAtOneScaleOnly();
    if (!wants_landmarks(found[i])) continue;
    face.landmarks = found[i].landmarks;
    if (options.compute_quality) {
      state_->dense_crops.push_back(state_->landmarks68->CropFor(face.landmarks));
      state_->dense_faces.push_back(i);
    }
  }
  if (state_->dense_crops.empty()) return faces;
  // Quality: 68 landmarks (in one batch), an aligned crop for sharpness.
  FACET_RETURN_IF_ERROR(
      state_->landmarks68->Run(view, state_->dense_crops, &state_->dense_results));
  // The head pose from MediaPipe's face mesh (468 points with depth; docs/quality.md).
  state_->mesh_crops.clear();
  for (const size_t i : state_->dense_faces) {
    state_->mesh_crops.push_back(state_->face_mesh->CropFor(faces[i].landmarks));
  }
  FACET_RETURN_IF_ERROR(state_->face_mesh->Run(view, state_->mesh_crops, &state_->mesh_results));
  // The recognizer's agreement with itself on each face and its mirror image.
  FACET_RETURN_IF_ERROR(EnsureRecognizer());
  const Engine::Models& models = state_->engine->models();
  const align::Landmarks5 recognizer_template = embed::CropTemplate(models.recognizer_spec);
  state_->crops.resize(state_->dense_faces.size());
  for (size_t k = 0; k < state_->dense_faces.size(); ++k) {
    align::AlignFace(view, faces[state_->dense_faces[k]].landmarks, recognizer_template,
                     models.recognizer_spec.crop_size, &state_->crops[k]);
  }
  FACET_RETURN_IF_ERROR(state_->recognizer->MirrorAgreement(state_->crops, &state_->agreement,
                                                            &state_->feature_norms));
  const align::Landmarks5 quality_template = align::ArcFaceTemplate112();
  quality::QualityThresholds thresholds;
  if (state_->detector->kind() == detect::DetectorKind::kBlazeFace) {
    thresholds.score_centre = quality::kBlazeFaceScoreCentre;
  }
  thresholds.feature_norm_reference = models.recognizer_spec.feature_norm_reference;
  for (size_t k = 0; k < state_->dense_faces.size(); ++k) {
    Face& face = faces[state_->dense_faces[k]];
    face.landmarks68.assign(state_->dense_results[k].begin(), state_->dense_results[k].end());
    align::AlignFace(view, face.landmarks, quality_template, 112, &state_->quality_crop);
    const landmarks::FaceMeshResult& mesh = state_->mesh_results[k];
    const quality::HeadPose pose = quality::ChooseHeadPose(
        quality::EstimateHeadPoseFromMesh(mesh.points), mesh.face_score,
        quality::EstimateHeadPoseFromFivePoints(face.landmarks));
    face.quality =
        quality::AssessQuality(face.box, face.score, pose.pose, state_->quality_crop,
                               {state_->agreement[k], state_->feature_norms[k]}, thresholds);
    face.quality.pose_method = pose.method;
  }
  return faces;
}

Result<std::vector<float>> Session::FaceProbabilities(const Image& image,
                                                      const std::vector<Box>& boxes) {
  if (image.empty()) return Status::InvalidArgument("empty image");
  std::vector<float> probabilities;
  if (boxes.empty()) return probabilities;
  for (const Box& b : boxes) {
    if (!(b.width > 0 && b.height > 0)) {
      return Status::InvalidArgument("FaceProbabilities: a box is empty");
    }
  }
  FACET_RETURN_IF_ERROR(state_->onet->Run(image::AsMat(image), boxes, &state_->landmark_results));
  probabilities.reserve(boxes.size());
  for (const landmarks::OnetResult& r : state_->landmark_results) {
    probabilities.push_back(r.face_probability);
  }
  return probabilities;
}

Status Session::EnsureRecognizer() {
  if (state_->recognizer) return Status::Ok();
  const Engine::Models& models = state_->engine->models();
  auto recognizer = embed::Recognizer::Create(models.recognizer_spec, *models.recognizer);
  if (!recognizer.ok()) return recognizer.status();
  state_->recognizer = std::move(recognizer).value();
  return Status::Ok();
}

Result<std::vector<Embedding>> Session::EmbedAll(const Image& image, const std::vector<Face>& faces,
                                                 const EmbedOptions& options) {
  if (image.empty()) return Status::InvalidArgument("empty image");
  const Engine::Models& models = state_->engine->models();
  FACET_RETURN_IF_ERROR(EnsureRecognizer());
  const embed::RecognizerSpec& spec = models.recognizer_spec;
  const align::Landmarks5 target = embed::CropTemplate(spec);
  const cv::Mat view = image::AsMat(image);
  state_->crops.resize(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    align::AlignFace(view, faces[i].landmarks, target, spec.crop_size, &state_->crops[i]);
  }
  FACET_RETURN_IF_ERROR(
      state_->recognizer->Embed(state_->crops, options.mirror_average, &state_->templates));
  std::vector<Embedding> embeddings(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    embeddings[i].model = spec.name;
    embeddings[i].model_version = spec.version;
    embeddings[i].values = std::move(state_->templates[i]);
  }
  return embeddings;
}

Result<Embedding> Session::Embed(const Image& image, const Face& face,
                                 const EmbedOptions& options) {
  auto all = EmbedAll(image, {face}, options);
  if (!all.ok()) return all.status();
  return std::move(all.value().front());
}

std::vector<std::string> RecognizerNames() { return embed::RecognizerNames(); }

std::vector<std::string> RegisteredRecognizerNames(const std::string& model_dir) {
  return embed::RegisteredRecognizerNames(model_dir);
}

std::vector<std::string> RegisteredDetectorNames(const std::string& model_dir) {
  return embed::RegisteredDetectorNames(model_dir);
}

std::vector<std::string> BackendNames() { return nn::BackendNames(); }

}  // namespace facet
