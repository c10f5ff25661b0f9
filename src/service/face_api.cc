// Endpoints that need only the engine: detect, verify (face to face), models.
#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <span>

#include "facet/image.h"
#include "service/api.h"
#include "service/azure_compat.h"
#include "service/face_attributes.h"
#include "service/request_parsing.h"
#include "service/transport.h"

namespace facet::service {
namespace {

double Round(double v, double scale) { return std::round(v * scale) / scale; }

nlohmann::json PointJson(const Point& p) { return {{"x", Round(p.x, 10)}, {"y", Round(p.y, 10)}}; }

}  // namespace

MaybeError CheckImageHeader(std::string_view bytes, int64_t max_pixels) {
  // The header alone tells the size: refuse huge images before queueing for a worker.
  auto info = ProbeImage(AsBytes(bytes));
  if (!info.ok()) {
    return ApiError{400, "InvalidImage", "not a JPEG, PNG, WebP or BMP image, or a damaged one"};
  }
  if (static_cast<int64_t>(info->width) * info->height > max_pixels) {
    return ApiError{413, "InvalidImageSize",
                    "the image has more than " + std::to_string(max_pixels) + " pixels"};
  }
  return std::nullopt;
}

MaybeError CheckedRequestImage(const httplib::Request& req, int64_t max_pixels,
                               std::string_view* bytes) {
  if (auto e = RequestImage(req, bytes)) return e;
  return CheckImageHeader(*bytes, max_pixels);
}

bool Api::RunOnDecodedImage(std::string_view bytes, httplib::Response& res,
                            const std::function<Status(WorkerSessions&, Image&)>& work) const {
  Status outcome;
  const ConnectionState* connection = ConnectionState::Current();
  bool client_gone = false;
  const Status run = deps_.pool->Run([&](WorkerSessions& worker) {
    // A client that gave up while queued costs no inference.
    if (connection != nullptr && connection->PeerGone()) {
      client_gone = true;
      return;
    }
    try {
      DecodeOptions decode;
      decode.max_pixels = deps_.options.max_pixels;
      decode.max_file_bytes = deps_.options.max_body_bytes;
      auto image = DecodeImage(AsBytes(bytes), decode);
      outcome = image.ok() ? work(worker, image.value()) : image.status();
    } catch (const std::exception&) {
      outcome = Status::Internal("inference failed");
    }
  });
  if (!run.ok()) {
    SetBusy(res, run);
    return false;
  }
  if (client_gone) {
    if (ConnectionState* c = ConnectionState::Current()) c->close_after_response = true;
    SetError(res, 408, "Timeout", "the client closed the connection");
    return false;
  }
  if (!outcome.ok()) {
    SetStatusError(res, outcome);
    return false;
  }
  return true;
}

const Engine* Api::RecognitionEngine(std::string_view name, int* index) const {
  if (name.empty()) {
    if (index != nullptr) *index = 0;
    return deps_.engines.empty() ? nullptr : deps_.engines[0].get();
  }
  if (auto facet_name = FacetRecognitionModelFor(name)) {
    return RecognitionEngine(*facet_name, index);
  }
  return EngineFor(name, index);
}

std::string Api::OfferedRecognitionModels() const {
  std::string offered;
  for (const auto& engine : deps_.engines) {
    offered += (offered.empty() ? "" : ", ") + engine->recognizer().name;
  }
  return offered + " and Azure's recognition_01..04 (docs/service.md)";
}

void Api::Detect(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  DetectParams params;
  if (auto e = ParseDetectParams(req.params, &params)) return SetApiError(res, *e);
  int model_index = 0;
  if (RecognitionEngine(params.recognition_model, &model_index) == nullptr) {
    return SetError(res, 400, "BadArgument",
                    "recognitionModel is not offered by this server (offered: " +
                        OfferedRecognitionModels() + ")");
  }
  if (params.return_face_id && !deps_.face_ids->enabled()) {
    return SetError(res, 400, "BadArgument",
                    "faceIds are disabled on this server (facet serve --face-id-ttl 0)");
  }
  std::string_view bytes;
  if (auto e = CheckedRequestImage(req, deps_.options.max_pixels, &bytes)) {
    return SetApiError(res, *e);
  }

  std::vector<Face> faces;
  std::vector<Embedding> embeddings;
  std::vector<LevelledValue> exposure, noise;
  const bool ran =
      RunOnDecodedImage(bytes, res, [&](WorkerSessions& worker, Image& image) -> Status {
        DetectOptions options;
        options.mode = params.detector;
        // The quality stage also places the 68 landmarks Azure's named points come from.
        options.compute_quality = params.quality || params.head_pose || params.quality_details ||
                                  params.blur || params.return_landmarks;
        options.max_faces = 100;  // as Azure Face
        auto found = worker.sessions[0]->Detect(image, options);
        if (!found.ok()) return found.status();
        faces = std::move(found).value();
        // Azure orders faces by size, largest first.
        std::stable_sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) {
          return a.box.width * a.box.height > b.box.width * b.box.height;
        });
        for (const Face& f : faces) {
          if (params.exposure) exposure.push_back(FaceExposure(image, f.box));
          if (params.noise) noise.push_back(FaceNoise(image, f.box));
        }
        if (params.return_face_id && !faces.empty()) {
          auto all = worker.sessions[model_index]->EmbedAll(image, faces);
          if (!all.ok()) return all.status();
          embeddings = std::move(all).value();
        }
        return Status::Ok();
      });
  if (!ran) return;

  const std::string& model = deps_.engines[model_index]->recognizer().name;
  // Azure's faceIdTimeToLive (60..86400 s), capped at the server's maximum; the life given is
  // reported in a header, as Azure has no field for it.
  const int64_t max_ttl = deps_.face_ids->max_ttl().count();
  const std::chrono::seconds ttl(params.face_id_ttl_s > 0
                                     ? std::min<int64_t>(params.face_id_ttl_s, max_ttl)
                                     : max_ttl);
  if (params.return_face_id) res.set_header("Facet-FaceId-Time-To-Live", std::to_string(ttl.count()));
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < faces.size(); ++i) {
    const Face& f = faces[i];
    nlohmann::json face;
    if (params.return_face_id) {
      face["faceId"] = deps_.face_ids->Put(ctx.caller.key_id, std::move(embeddings[i]), ttl);
    }
    if (params.return_recognition_model) {
      face["recognitionModel"] = params.recognition_model.empty() ? model : params.recognition_model;
      face["facetRecognitionModel"] = model;
    }
    face["faceRectangle"] = {{"top", static_cast<int>(std::lround(f.box.y))},
                             {"left", static_cast<int>(std::lround(f.box.x))},
                             {"width", static_cast<int>(std::lround(f.box.width))},
                             {"height", static_cast<int>(std::lround(f.box.height))}};
    // Azure's named points facet can place (azure_compat.h); the others are not guessed.
    if (params.return_landmarks) {
      nlohmann::json& landmarks = face["faceLandmarks"] = nlohmann::json::object();
      for (const NamedLandmark& l : AzureLandmarks(f)) {
        landmarks[std::string(l.name)] = PointJson(l.point);
      }
    }
    nlohmann::json attributes = nlohmann::json::object();
    if (params.quality) attributes["qualityForRecognition"] = QualityLevelName(f.quality.level);
    if (params.head_pose) {
      attributes["headPose"] = {{"pitch", Round(f.quality.pitch_degrees, 10)},
                                {"roll", Round(f.quality.roll_degrees, 10)},
                                {"yaw", Round(f.quality.yaw_degrees, 10)}};
    }
    if (params.blur) {
      const LevelledValue blur = BlurFromSharpness(f.quality.sharpness);
      attributes["blur"] = {{"blurLevel", blur.level}, {"value", Round(blur.value, 100)}};
    }
    if (params.exposure) {
      attributes["exposure"] = {{"exposureLevel", exposure[i].level},
                                {"value", Round(exposure[i].value, 100)}};
    }
    if (params.noise) {
      attributes["noise"] = {{"noiseLevel", noise[i].level}, {"value", Round(noise[i].value, 100)}};
    }
    if (params.quality_details) {
      attributes["qualityDetails"] = {{"score", Round(f.quality.score, 1000)},
                                      {"mirrorAgreement", Round(f.quality.mirror_agreement, 1000)},
                                      {"featureNorm", Round(f.quality.feature_norm, 100)},
                                      {"detectionScore", Round(f.score, 1000)},
                                      {"faceSize", Round(f.quality.face_size, 10)},
                                      {"sharpness", Round(f.quality.sharpness, 10)},
                                      {"poseMethod", PoseMethodName(f.quality.pose_method)}};
    }
    if (!attributes.empty()) face["faceAttributes"] = std::move(attributes);
    out.push_back(std::move(face));
  }
  SetJson(res, 200, out);
}

void Api::Verify(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  if (body.contains("personId") || body.contains("personGroupId") ||
      body.contains("largePersonGroupId")) {
    return VerifyPerson(body, res, ctx);
  }
  if (auto e = CheckKnownFields(body, {"faceId1", "faceId2", "falseMatchRate"})) {
    return SetApiError(res, *e);
  }
  std::string id1, id2;
  if (auto e = GetFaceId(body, "faceId1", &id1)) return SetApiError(res, *e);
  if (auto e = GetFaceId(body, "faceId2", &id2)) return SetApiError(res, *e);
  double fmr = 1e-3;
  if (body.contains("falseMatchRate")) {
    const nlohmann::json& v = body["falseMatchRate"];
    fmr = v.is_number() ? v.get<double>() : -1;
    if (fmr != 1e-3 && fmr != 1e-4) {
      return SetError(res, 400, "BadArgument", "falseMatchRate must be 0.001 or 0.0001");
    }
  }
  auto a = deps_.face_ids->Get(ctx.caller.key_id, id1);
  if (!a.ok()) return SetError(res, 404, "FaceNotFound", a.status().message());
  auto b = deps_.face_ids->Get(ctx.caller.key_id, id2);
  if (!b.ok()) return SetError(res, 404, "FaceNotFound", b.status().message());
  auto similarity = CosineSimilarity(a.value(), b.value());
  if (!similarity.ok()) return SetStatusError(res, similarity.status());
  const Engine* engine = EngineFor(a->model, nullptr);
  if (engine == nullptr) return SetError(res, 500, "InternalError", "internal error");
  const RecognizerInfo& info = engine->recognizer();
  const float threshold = fmr == 1e-4 ? info.threshold_fmr_1e4 : info.threshold_fmr_1e3;
  SetJson(res, 200,
          {{"isIdentical", similarity.value() >= threshold},
           {"confidence", Round(SimilarityToConfidence(similarity.value(), info), 1e5)},
           {"similarity", Round(similarity.value(), 1e5)},
           {"threshold", Round(threshold, 1e5)},
           {"recognitionModel", info.name}});
}

void Api::Models(const httplib::Request& /*req*/, httplib::Response& res,
                 const CallContext& /*ctx*/) {
  nlohmann::json recognition = nlohmann::json::array();
  for (size_t i = 0; i < deps_.engines.size(); ++i) {
    const RecognizerInfo& info = deps_.engines[i]->recognizer();
    recognition.push_back({{"name", info.name},
                           {"version", info.version},
                           {"dimensions", info.dimensions},
                           {"default", i == 0}});
  }
  nlohmann::json versions = nlohmann::json::array();
  for (std::string_view v : ApiVersions()) versions.push_back(std::string(v));
  SetJson(res, 200,
          {{"recognitionModels", recognition},
           {"detectionModels", {"fast", "recall", "detection_01", "detection_02", "detection_03"}},
           {"apiVersions", versions},
           {"faceIdMaxTimeToLive", deps_.face_ids->enabled() ? deps_.face_ids->max_ttl().count() : 0},
           {"maxImagePixels", deps_.options.max_pixels},
           {"maxBodyBytes", deps_.options.max_body_bytes}});
}

}  // namespace facet::service
