#include "engine/detector_registry.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "crypto/crypto.h"
#include "detect/face_detector.h"
#include "embed/registry.h"
#include "facet/engine.h"
#include "facet/image.h"
#include "image/convert.h"
#include "landmarks/onet.h"
#include "nn/network.h"
#include "nn/onnx.h"

namespace facet::engine {
namespace {

namespace fs = std::filesystem;

std::string Dims(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    s += (i ? "," : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  }
  return s + "]";
}

Status NoOutput(const std::string& name, const std::vector<nn::onnx::ValueInfo>& outputs) {
  std::string known;
  for (const nn::onnx::ValueInfo& v : outputs) known += (known.empty() ? "" : ", ") + v.name;
  return Status::InvalidArgument("no output '" + name + "' (the model's outputs: " + known + ")");
}

Status WrongMap(const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<int64_t>& want, int stride, int64_t anchors, bool nchw) {
  return Status::InvalidArgument("output '" + name + "' is " + Dims(dims) + "; stride " +
                                 std::to_string(stride) + " with " + std::to_string(anchors) +
                                 " anchors per cell needs " + Dims(want) + " (" +
                                 (nchw ? "NCHW" : "NHWC") + ")");
}

// The declared input and outputs against the manifest.
Status CheckShapes(const embed::DetectorManifest& m, const std::vector<uint8_t>& bytes,
                   DetectorCheck* check) {
  auto model = nn::onnx::Parse(bytes.data(), bytes.size());
  if (!model.ok()) return model.status();
  if (model->inputs.size() != 1) {
    return Status::InvalidArgument("the model has " + std::to_string(model->inputs.size()) +
                                   " inputs; a detector takes one (the image)");
  }
  const nn::onnx::ValueInfo& in = model->inputs.front();
  check->input_dims = in.dims;
  if (in.elem_type != nn::onnx::kFloat) {
    return Status::InvalidArgument("input '" + in.name + "' is not float32");
  }
  const bool fixed = m.width > 0;
  const int64_t h = fixed ? m.height : -1, w = fixed ? m.width : -1;
  const std::vector<int64_t> want =
      m.nhwc ? std::vector<int64_t>{1, h, w, 3} : std::vector<int64_t>{1, 3, h, w};
  bool match = in.dims.size() == 4;
  for (size_t i = 1; match && i < 4; ++i) {
    // A variable-size manifest needs symbolic sides; a fixed one the declared (or symbolic) ones.
    match = want[i] < 0 ? in.dims[i] < 0 : (in.dims[i] == want[i] || in.dims[i] < 0);
  }
  if (!match) {
    return Status::InvalidArgument("input '" + in.name + "' is " + Dims(in.dims) +
                                   ", the manifest describes " + Dims(want) + " (" +
                                   (m.nhwc ? "NHWC" : "NCHW") +
                                   (fixed ? ", fixed size" : ", any size: '?' sides") + ")");
  }
  for (const embed::DetectorLevel& level : m.levels) {
    const int64_t anchors = static_cast<int64_t>(level.anchor_sizes.size());
    const std::array<std::pair<const std::string*, int64_t>, 3> maps = {
        {{&level.scores, 2 * anchors},
         {&level.boxes, 4 * anchors},
         {&level.landmarks, 10 * anchors}}};
    for (const auto& entry : maps) {
      const std::string* name = entry.first;
      const int64_t channels = entry.second;
      if (name->empty()) continue;
      auto it = std::find_if(model->outputs.begin(), model->outputs.end(),
                             [&](const nn::onnx::ValueInfo& v) { return v.name == *name; });
      if (it == model->outputs.end()) return NoOutput(*name, model->outputs);
      if (it->dims.size() != 4) continue;  // checked on the test run
      const int64_t mh = fixed ? (m.height + level.stride - 1) / level.stride : -1;
      const int64_t mw = fixed ? (m.width + level.stride - 1) / level.stride : -1;
      const std::vector<int64_t> map = m.nchw_outputs ? std::vector<int64_t>{1, channels, mh, mw}
                                                      : std::vector<int64_t>{1, mh, mw, channels};
      for (size_t i = 1; i < 4; ++i) {
        if (map[i] >= 0 && it->dims[i] >= 0 && map[i] != it->dims[i]) {
          return WrongMap(*name, it->dims, map, level.stride, anchors, m.nchw_outputs);
        }
      }
    }
  }
  return Status::Ok();
}

// Whether a face's 5 landmarks sit as a face's do, at any roll: inside its box (with a margin),
// and, looking from the eyes down to the mouth, the eyes and the mouth corners each left to right.
bool PlausibleLandmarks(const detect::Detection& d) {
  const Box& b = d.box;
  const float mx = 0.25f * b.width, my = 0.25f * b.height;
  for (const Point& p : d.landmarks) {
    if (!(p.x >= b.x - mx && p.x <= b.x + b.width + mx && p.y >= b.y - my &&
          p.y <= b.y + b.height + my)) {
      return false;
    }
  }
  const auto& l = d.landmarks;
  const float down_x = (l[3].x + l[4].x - l[0].x - l[1].x) / 2;
  const float down_y = (l[3].y + l[4].y - l[0].y - l[1].y) / 2;
  // The z of (right - left) x down: positive when right is to the right of "down" in the image.
  const auto left_to_right = [&](const Point& left, const Point& right) {
    return (right.x - left.x) * down_y - (right.y - left.y) * down_x > 0;
  };
  return left_to_right(l[0], l[1]) && left_to_right(l[3], l[4]) &&
         std::hypot(down_x, down_y) > 0.1f * std::min(b.width, b.height);
}

Status Implausible(const std::string& where, float score) {
  return Status::InvalidArgument(
      where + "a face at score " + std::to_string(score) +
      " has landmarks outside its box or out of order (eyes and mouth corners left to right "
      "below them): check 'decoder.landmark_spread', 'anchor_offset' and the input's "
      "normalisation and channel order");
}

Result<std::vector<detect::Detection>> RunOn(const cv::Mat& image, const std::string& onnx_path,
                                             const detect::RetinaFaceSpec& spec, float threshold,
                                             nn::Backend backend) {
  const std::string name = nn::BackendName(backend);
  auto file = nn::ModelFile::Read(onnx_path, {.backend = backend, .num_threads = 1});
  if (!file.ok()) {
    return Status(file.status().code(),
                  "backend " + name + " cannot load it: " + file.status().message());
  }
  auto detector =
      detect::FaceDetector::Create(detect::DetectorKind::kRetinaFace, *file.value(), spec);
  if (!detector.ok()) return detector.status();
  detect::FaceDetectorConfig config;
  config.score_threshold = threshold;
  config.nms = detect::RetinaFaceNms();
  auto found = detector.value()->Detect(image, config);
  if (!found.ok()) {
    return Status(found.status().code(),
                  "test run on backend " + name + ": " + found.status().message());
  }
  return found;
}

}  // namespace

detect::RetinaFaceSpec SpecFromDetectorManifest(const embed::DetectorManifest& m) {
  detect::RetinaFaceSpec spec;
  spec.levels.clear();
  for (const embed::DetectorLevel& l : m.levels) {
    detect::RetinaFaceLevelSpec level;
    level.stride = l.stride;
    level.anchors =
        static_cast<int>(std::min<size_t>(l.anchor_sizes.size(), detect::kMaxAnchorsPerCell));
    std::copy_n(l.anchor_sizes.begin(), level.anchors, level.anchor_sizes.begin());
    level.scores = l.scores;
    level.boxes = l.boxes;
    level.landmarks = l.landmarks;
    spec.levels.push_back(level);
  }
  spec.decoding.anchor_offset = m.anchor_offset;
  spec.decoding.box_variance = m.box_variance;
  spec.decoding.landmark_spread = m.landmark_spread;
  spec.decoding.scores = m.probabilities ? detect::RetinaFaceScores::kTwoClassProbabilities
                                         : detect::RetinaFaceScores::kTwoClassLogits;
  spec.decoding.landmarks = m.landmarks == 5;
  spec.nchw_outputs = m.nchw_outputs;
  spec.nchw_input = !m.nhwc;
  spec.bgr = m.bgr;
  spec.mean = m.mean;
  spec.scale = m.scale;
  spec.multiple = m.multiple_of;
  spec.fixed_width = m.width;
  spec.fixed_height = m.height;
  return spec;
}

Result<FoundDetector> FindRegisteredDetector(const std::string& name,
                                             const std::string& model_dir) {
  const std::vector<std::string> registered = embed::RegisteredDetectorNames(model_dir);
  if (std::find(registered.begin(), registered.end(), name) == registered.end()) {
    std::string known, others;
    for (const std::string& n : DetectorNames()) known += (known.empty() ? "" : ", ") + n;
    for (const std::string& n : registered) others += (others.empty() ? "" : ", ") + n;
    return Status::InvalidArgument("unknown detector '" + name + "' (built in: " + known +
                                   "; registered in " + embed::RegisteredDir(model_dir) + ": " +
                                   (others.empty() ? "none" : others) + "; `facet models add`)");
  }
  auto manifest = embed::ReadDetectorRegistration(model_dir, name);
  if (!manifest.ok()) return manifest.status();
  const std::string onnx = (fs::path(embed::RegisteredDir(model_dir)) / manifest->onnx).string();
  auto bytes = embed::ReadModelFile(onnx);
  if (!bytes.ok()) return bytes.status();
  const std::string sha = crypto::Sha256Hex(bytes.value());
  if (sha != manifest->sha256) {
    return Status::CorruptData(onnx + ": sha256 " + sha + " differs from the " + manifest->sha256 +
                               " registered; register the model again");
  }
  return FoundDetector{std::move(manifest).value(), onnx, "sha256:" + sha};
}

Result<DetectorCheck> CheckDetectorModel(const embed::DetectorManifest& manifest,
                                         const std::string& onnx_path,
                                         const std::string& test_image,
                                         const std::string& onet_path) {
  auto bytes = embed::ReadModelFile(onnx_path);
  if (!bytes.ok()) return bytes.status();
  DetectorCheck check;
  FACET_RETURN_IF_ERROR(CheckShapes(manifest, bytes.value(), &check));
  auto image = LoadImage(test_image);
  if (!image.ok()) {
    return Status(image.status().code(),
                  "test photo " + test_image + ": " + image.status().message());
  }
  const cv::Mat view = image::AsMat(image.value());
  const detect::RetinaFaceSpec spec = SpecFromDetectorManifest(manifest);
  auto fast = RunOn(view, onnx_path, spec, manifest.score_threshold, nn::Backend::kXnnpack);
  if (!fast.ok()) return fast.status();
  auto reference = RunOn(view, onnx_path, spec, manifest.score_threshold, nn::Backend::kOpenCv);
  if (!reference.ok()) return reference.status();
  const std::string where = "test run on " + test_image + ": ";
  if (fast->empty()) {
    return Status::InvalidArgument(
        where + "no face at score " + std::to_string(manifest.score_threshold) +
        " (a wrong input normalisation, channel order, layout or decoder parameter gives "
        "none or nonsense; check the model's own preprocessing and anchors)");
  }
  // An independent opinion on each box: MTCNN's O-Net face probability.
  auto onet_file = nn::ModelFile::Read(onet_path, {.backend = nn::Backend::kXnnpack});
  if (!onet_file.ok()) return onet_file.status();
  auto onet = landmarks::Onet::Create(*onet_file.value());
  if (!onet.ok()) return onet.status();
  std::vector<Box> boxes;
  for (const detect::Detection& d : fast.value()) boxes.push_back(d.box);
  std::vector<landmarks::OnetResult> opinions;
  FACET_RETURN_IF_ERROR(onet.value()->Run(view, boxes, &opinions));
  for (const landmarks::OnetResult& o : opinions) check.confirmed += o.face_probability >= 0.5f;
  if (2 * check.confirmed < static_cast<int>(fast->size())) {
    return Status::InvalidArgument(
        where + std::to_string(fast->size()) + " faces at score " +
        std::to_string(manifest.score_threshold) + ", of which O-Net takes only " +
        std::to_string(check.confirmed) +
        " for faces (at least half must be): a wrong input normalisation, channel order or "
        "decoder parameter finds faces where there are none");
  }
  check.faces = static_cast<int>(fast->size());
  check.best_score = fast->front().score;
  check.backend_iou = 1;
  for (const detect::Detection& d : fast.value()) {
    if (manifest.landmarks == 5 && !PlausibleLandmarks(d)) return Implausible(where, d.score);
    if (d.score < manifest.score_threshold + 0.05f) continue;  // may be just below on the other
    float best = 0;
    for (const detect::Detection& r : reference.value()) {
      best = std::max(best, detect::IntersectionOverUnion(d.box, r.box));
    }
    check.backend_iou = std::min(check.backend_iou, best);
  }
  if (!(check.backend_iou >= 0.9f)) {
    return Status::InvalidArgument(where +
                                   "the XNNPACK and OpenCV backends disagree (a box's IoU " +
                                   std::to_string(check.backend_iou) +
                                   "): an operator facet lowers wrongly; please report it");
  }
  return check;
}

}  // namespace facet::engine
