#include "embed/registry.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>

#include "crypto/crypto.h"
#include "embed/detector_manifest.h"
#include "nn/network.h"
#include "nn/onnx.h"

namespace facet::embed {
namespace {

namespace fs = std::filesystem;

constexpr uintmax_t kMaxModelBytes = uintmax_t{2} << 30;  // 2 GiB: ONNX's own protobuf limit

Result<std::vector<uint8_t>> ReadBytes(const fs::path& path, uintmax_t limit = kMaxModelBytes) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::NotFound(path.string() + ": no such file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return Status::NotFound(path.string() + ": " + ec.message());
  if (size > limit) return Status::InvalidArgument(path.string() + ": file too large");
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return Status::NotFound(path.string() + ": cannot read");
  }
  return bytes;
}

// Writes `bytes` to `path` through a temporary file and a rename (never a half-written file).
Status WriteAtomically(const fs::path& path, const void* data, size_t size) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) return Status::Internal(tmp.string() + ": cannot write");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::Internal(path.string() + ": cannot write: " + ec.message());
  return Status::Ok();
}

bool IsBuiltIn(const std::string& name) {
  for (const std::string& b : RecognizerNames()) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (b == lower) return true;
  }
  return false;
}

std::string Dims(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    s += (i ? "," : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  }
  return s + "]";
}

// Checks the ONNX graph's declared input and output against the spec; fills `check`.
Status CheckShapes(const RecognizerSpec& spec, const std::vector<uint8_t>& bytes,
                   ModelCheck* check) {
  auto model = nn::onnx::Parse(bytes.data(), bytes.size());
  if (!model.ok()) return model.status();
  if (model->inputs.size() != 1) {
    return Status::InvalidArgument("the model has " + std::to_string(model->inputs.size()) +
                                   " inputs; a recognizer takes one (the face crop)");
  }
  const nn::onnx::ValueInfo& in = model->inputs.front();
  check->input_dims = in.dims;
  if (in.elem_type != nn::onnx::kFloat) {
    return Status::InvalidArgument("input '" + in.name + "' is not float32");
  }
  const int64_t s = spec.crop_size;
  const std::vector<int64_t> want =
      spec.nhwc ? std::vector<int64_t>{-1, s, s, 3} : std::vector<int64_t>{-1, 3, s, s};
  bool match = in.dims.size() == 4;
  for (size_t i = 1; match && i < 4; ++i) match = in.dims[i] == want[i] || in.dims[i] < 0;
  if (!match) {
    return Status::InvalidArgument(
        "input '" + in.name + "' is " + Dims(in.dims) + ", the manifest describes " + Dims(want) +
        " (" + (spec.nhwc ? "NHWC" : "NCHW") + ", size " + std::to_string(s) + ")");
  }
  if (model->outputs.empty()) return Status::InvalidArgument("the model declares no output");
  const nn::onnx::ValueInfo& out = model->outputs.front();
  check->output_dims = out.dims;
  int64_t per_face = 1;
  bool known = !out.dims.empty();
  for (size_t i = 1; i < out.dims.size(); ++i) {
    if (out.dims[i] < 0)
      known = false;
    else
      per_face *= out.dims[i];
  }
  if (known && per_face != spec.dimensions) {
    return Status::InvalidArgument("output '" + out.name + "' is " + Dims(out.dims) + ": " +
                                   std::to_string(per_face) +
                                   " values per face, the manifest "
                                   "says output.dimensions " +
                                   std::to_string(spec.dimensions));
  }
  return Status::Ok();
}

// Two deterministic synthetic BGR crops (a lit oval with eyes and mouth on a gradient, and its
// darker, shifted variant): enough to run the network, not a face anyone could be matched to.
std::vector<cv::Mat> TestCrops(int size) {
  std::vector<cv::Mat> crops;
  for (int k = 0; k < 2; ++k) {
    cv::Mat crop(size, size, CV_8UC3);
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        crop.at<cv::Vec3b>(y, x) =
            cv::Vec3b(static_cast<uchar>(40 + (x * 90) / size),
                      static_cast<uchar>(60 + (y * 80) / size), static_cast<uchar>(90 + k * 30));
      }
    }
    const double f = size / 112.0;
    const cv::Point c(static_cast<int>((56 + 3 * k) * f), static_cast<int>(60 * f));
    cv::ellipse(crop, c, cv::Size(static_cast<int>(36 * f), static_cast<int>(46 * f)), 0, 0, 360,
                cv::Scalar(150 - 40 * k, 170 - 40 * k, 210 - 40 * k), cv::FILLED);
    for (int side : {-1, 1}) {
      cv::circle(crop, c + cv::Point(static_cast<int>(side * 17 * f), static_cast<int>(-8 * f)),
                 static_cast<int>(4 * f) + 1, cv::Scalar(40, 40, 40), cv::FILLED);
    }
    cv::line(crop, c + cv::Point(static_cast<int>(-12 * f), static_cast<int>(24 * f)),
             c + cv::Point(static_cast<int>(12 * f), static_cast<int>(24 * f)),
             cv::Scalar(60, 60, 140), static_cast<int>(3 * f) + 1);
    crops.push_back(crop);
  }
  return crops;
}

Result<std::vector<std::vector<float>>> RunOnTestCrops(const RecognizerSpec& spec,
                                                       const std::string& onnx_path,
                                                       nn::Backend backend) {
  const char* name = nn::BackendName(backend);
  auto file = nn::ModelFile::Read(onnx_path, {.backend = backend, .num_threads = 1});
  if (!file.ok()) {
    return Status(file.status().code(),
                  std::string("backend ") + name + " cannot load it: " + file.status().message());
  }
  auto recognizer = Recognizer::Create(spec, *file.value());
  if (!recognizer.ok()) return recognizer.status();
  std::vector<std::vector<float>> templates;
  Status run = recognizer.value()->Embed(TestCrops(spec.crop_size), false, &templates);
  if (!run.ok()) {
    return Status(run.code(), std::string("test run on backend ") + name + ": " + run.message());
  }
  for (const std::vector<float>& t : templates) {
    double norm = 0;
    for (float v : t) {
      if (!std::isfinite(v)) {
        return Status::InvalidArgument(std::string("test run on backend ") + name +
                                       ": the output is not finite");
      }
      norm += static_cast<double>(v) * v;
    }
    if (std::fabs(norm - 1) > 1e-3) {
      return Status::InvalidArgument(std::string("test run on backend ") + name +
                                     ": the output is all zeros");
    }
  }
  return templates;
}

Result<RecognizerSpec> SpecFromBytes(const RecognizerManifest& m, const std::vector<uint8_t>& bytes,
                                     const std::string& sha256) {
  RecognizerSpec spec;
  spec.name = m.name;
  spec.version = "sha256:" + sha256;
  spec.model_file = (fs::path("registered") / (m.name + ".onnx")).string();
  spec.registered = true;
  spec.crop_size = m.input_size;
  spec.crop_padding = m.crop_padding;
  spec.crop_shift_y = m.crop_shift_y;
  spec.mean = cv::Scalar(m.mean[0], m.mean[1], m.mean[2]);
  spec.scale = m.scale;
  spec.bgr = m.bgr;
  spec.nhwc = m.nhwc;
  spec.dimensions = m.dimensions;
  if (m.thresholds) {
    spec.threshold_fmr_1e3 = m.thresholds->fmr_1e3;
    spec.threshold_fmr_1e4 = m.thresholds->fmr_1e4;
  }
  auto model = nn::onnx::Parse(bytes.data(), bytes.size());
  if (!model.ok()) return model.status();
  if (!model->inputs.empty() && !model->inputs.front().dims.empty() &&
      model->inputs.front().dims.front() > 0) {
    spec.max_batch = static_cast<int>(model->inputs.front().dims.front());
  }
  return spec;
}

Result<RecognizerManifest> ReadManifestFile(const fs::path& path) {
  auto bytes = ReadBytes(path, 1 << 20);
  if (!bytes.ok()) return bytes.status();
  auto manifest = ParseRecognizerManifest(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!manifest.ok()) {
    return Status(manifest.status().code(), path.string() + ": " + manifest.status().message());
  }
  return manifest;
}

// The registrations under `model_dir` whose manifest says `kind` ("detector"), or every other one
// (kind empty: recognizers, and files that do not parse, so that their error is shown).
std::vector<std::string> RegisteredNames(const std::string& model_dir, bool detectors) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(RegisteredDir(model_dir), ec)) {
    const fs::path& p = e.path();
    if (p.extension() != ".json" || !IsSafeModelName(p.stem().string())) continue;
    auto bytes = ReadBytes(p, 1 << 20);
    Result<std::string> kind = Status::NotFound("unreadable");
    if (bytes.ok()) {
      kind = ManifestKind(
          std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    }
    if ((kind.ok() && kind.value() == "detector") == detectors) names.push_back(p.stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::string RegisteredDir(const std::string& model_dir) {
  return (fs::path(model_dir) / "registered").string();
}

std::vector<std::string> RegisteredRecognizerNames(const std::string& model_dir) {
  return RegisteredNames(model_dir, false);
}

std::vector<std::string> RegisteredDetectorNames(const std::string& model_dir) {
  return RegisteredNames(model_dir, true);
}

Result<std::vector<uint8_t>> ReadModelFile(const std::string& path) { return ReadBytes(path); }

Status WriteFileAtomically(const std::string& path, const void* data, size_t size) {
  return WriteAtomically(path, data, size);
}

Result<DetectorManifest> ReadDetectorRegistration(const std::string& model_dir,
                                                  const std::string& name) {
  if (!IsSafeModelName(name)) {
    return Status::InvalidArgument("'" + name + "' is not a safe model name");
  }
  const fs::path path = fs::path(RegisteredDir(model_dir)) / (name + ".json");
  auto bytes = ReadBytes(path, 1 << 20);
  if (!bytes.ok()) return bytes.status();
  auto manifest = ParseDetectorManifest(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!manifest.ok()) {
    return Status(manifest.status().code(), path.string() + ": " + manifest.status().message());
  }
  if (manifest->name != name || manifest->onnx != name + ".onnx" || manifest->sha256.empty()) {
    return Status::CorruptData(path.string() +
                               ": not a registration written by `facet models add` (name, onnx "
                               "or sha256 do not match); register the model again");
  }
  return manifest;
}

Result<RecognizerManifest> ReadRegistration(const std::string& model_dir, const std::string& name) {
  if (!IsSafeModelName(name)) {
    return Status::InvalidArgument("'" + name + "' is not a safe model name");
  }
  const fs::path dir = RegisteredDir(model_dir);
  auto manifest = ReadManifestFile(dir / (name + ".json"));
  if (!manifest.ok()) return manifest.status();
  if (manifest->name != name || manifest->onnx != name + ".onnx" || manifest->sha256.empty()) {
    return Status::CorruptData((dir / (name + ".json")).string() +
                               ": not a registration written by `facet models add` (name, onnx "
                               "or sha256 do not match); register the model again");
  }
  return manifest;
}

Result<RecognizerSpec> FindRecognizer(const std::string& name, const std::string& model_dir) {
  auto builtin = FindRecognizer(name);
  if (builtin.ok() || model_dir.empty()) return builtin;
  const std::vector<std::string> registered = RegisteredRecognizerNames(model_dir);
  if (std::find(registered.begin(), registered.end(), name) == registered.end()) {
    std::string known, others;
    for (const std::string& n : RecognizerNames()) known += (known.empty() ? "" : ", ") + n;
    for (const std::string& n : registered) others += (others.empty() ? "" : ", ") + n;
    return Status::InvalidArgument("unknown recognition model '" + name + "' (built in: " + known +
                                   "; registered in " + RegisteredDir(model_dir) + ": " +
                                   (others.empty() ? "none" : others) + "; `facet models add`)");
  }
  auto manifest = ReadRegistration(model_dir, name);
  if (!manifest.ok()) return manifest.status();
  const fs::path onnx = fs::path(RegisteredDir(model_dir)) / manifest->onnx;
  auto bytes = ReadBytes(onnx, kMaxModelBytes);
  if (!bytes.ok()) return bytes.status();
  const std::string sha = crypto::Sha256Hex(bytes.value());
  if (sha != manifest->sha256) {
    return Status::CorruptData(onnx.string() + ": sha256 " + sha + " differs from the " +
                               manifest->sha256 + " registered; register the model again");
  }
  return SpecFromBytes(manifest.value(), bytes.value(), sha);
}

Result<RecognizerSpec> SpecFromManifest(const RecognizerManifest& manifest,
                                        const std::string& onnx_path, const std::string& sha256) {
  auto bytes = ReadBytes(onnx_path, kMaxModelBytes);
  if (!bytes.ok()) return bytes.status();
  return SpecFromBytes(manifest, bytes.value(), sha256);
}

Result<ModelCheck> CheckRecognizerModel(const RecognizerSpec& spec, const std::string& onnx_path) {
  auto bytes = ReadBytes(onnx_path, kMaxModelBytes);
  if (!bytes.ok()) return bytes.status();
  ModelCheck check;
  FACET_RETURN_IF_ERROR(CheckShapes(spec, bytes.value(), &check));
  auto fast = RunOnTestCrops(spec, onnx_path, nn::Backend::kXnnpack);
  if (!fast.ok()) return fast.status();
  auto reference = RunOnTestCrops(spec, onnx_path, nn::Backend::kOpenCv);
  if (!reference.ok()) return reference.status();
  for (size_t i = 0; i < fast->size(); ++i) {
    for (size_t d = 0; d < (*fast)[i].size(); ++d) {
      check.backend_difference =
          std::max(check.backend_difference, std::fabs((*fast)[i][d] - (*reference)[i][d]));
    }
  }
  if (!(check.backend_difference <= 1e-3f)) {
    return Status::InvalidArgument(
        "the XNNPACK and OpenCV backends disagree on the test crops by " +
        std::to_string(check.backend_difference) +
        " (more than 1e-3): an operator facet lowers wrongly; please "
        "report it");
  }
  return check;
}

Result<RecognizerSpec> RegisterRecognizer(const std::string& manifest_path,
                                          const std::string& model_dir,
                                          const RegistryOptions& options) {
  auto manifest = ReadManifestFile(manifest_path);
  if (!manifest.ok()) return manifest.status();
  RecognizerManifest m = std::move(manifest).value();
  if (IsBuiltIn(m.name)) {
    return Status::InvalidArgument("'" + m.name +
                                   "' is the name of a built-in recognizer; choose "
                                   "another name");
  }
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec)) {
    return Status::NotFound(model_dir + ": model directory not found");
  }
  const fs::path dir = RegisteredDir(model_dir);
  const fs::path json_path = dir / (m.name + ".json");
  if (!options.replace && fs::exists(json_path, ec)) {
    return Status::InvalidArgument("'" + m.name + "' is already registered (" + json_path.string() +
                                   "); --replace to register it again");
  }
  fs::path onnx = m.onnx;
  if (onnx.is_relative()) onnx = fs::path(manifest_path).parent_path() / onnx;
  auto bytes = ReadBytes(onnx, kMaxModelBytes);
  if (!bytes.ok()) return bytes.status();
  const std::string sha = crypto::Sha256Hex(bytes.value());
  if (!m.sha256.empty() && m.sha256 != sha) {
    return Status::InvalidArgument(onnx.string() + ": sha256 is " + sha + ", the manifest says " +
                                   m.sha256);
  }
  auto spec = SpecFromBytes(m, bytes.value(), sha);
  if (!spec.ok())
    return Status(spec.status().code(), onnx.string() + ": " + spec.status().message());
  auto check = CheckRecognizerModel(spec.value(), onnx.string());
  if (!check.ok())
    return Status(check.status().code(), onnx.string() + ": " + check.status().message());
  // Every check passed: write the copy, then the manifest (its presence is the registration).
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal(dir.string() + ": cannot create: " + ec.message());
  m.onnx = m.name + ".onnx";
  m.sha256 = sha;
  FACET_RETURN_IF_ERROR(WriteAtomically(dir / m.onnx, bytes->data(), bytes->size()));
  const std::string text = RecognizerManifestToJson(m);
  FACET_RETURN_IF_ERROR(WriteAtomically(json_path, text.data(), text.size()));
  return spec;
}

Status SetRegisteredThresholds(const std::string& model_dir, const std::string& name,
                               const Thresholds& thresholds) {
  if (!(thresholds.fmr_1e4 > thresholds.fmr_1e3)) {
    return Status::InvalidArgument("the FMR-1e-4 threshold must be above the FMR-1e-3 threshold");
  }
  auto manifest = ReadRegistration(model_dir, name);
  if (!manifest.ok()) return manifest.status();
  manifest->thresholds = thresholds;
  const std::string text = RecognizerManifestToJson(manifest.value());
  return WriteAtomically(fs::path(RegisteredDir(model_dir)) / (name + ".json"), text.data(),
                         text.size());
}

}  // namespace facet::embed
