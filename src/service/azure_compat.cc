#include "service/azure_compat.h"

#include <array>
#include <cctype>

namespace facet::service {
namespace {

constexpr std::array<std::string_view, 4> kApiVersions = {"v1.0", "v1.1-preview.1",
                                                          "v1.2-preview.1", "v1.2"};

struct NameMapping {
  std::string_view azure;
  std::string_view facet;
};

// Azure's detection models and the facet detector each one runs. detection_01 and _02 are
// Azure's general-purpose detectors; detection_03 is the one for small and blurred faces, so it
// maps to facet's most sensitive detector.
constexpr std::array<NameMapping, 3> kDetectionModels = {{
    {"detection_01", "fast"},
    {"detection_02", "fast"},
    {"detection_03", "recall"},
}};
// facet's own detector names, accepted as they are.
constexpr std::array<std::string_view, 2> kFacetDetectors = {"fast", "recall"};

// Azure's recognition models and the facet model each one runs ("": the server's default, the
// first --model of facet serve). facet has no model trained to Azure's versions; every name runs
// the default, so templates made under any of these names are comparable (unlike Azure's).
constexpr std::array<NameMapping, 4> kRecognitionModels = {{
    {"recognition_01", ""},
    {"recognition_02", ""},
    {"recognition_03", ""},
    {"recognition_04", ""},
}};

struct AttributeRule {
  std::string_view name;  // Azure's spelling
  AttributeAnswer answer;
};
constexpr std::array<AttributeRule, 18> kAttributes = {{
    {"headPose", AttributeAnswer::kComputed},
    {"qualityForRecognition", AttributeAnswer::kComputed},
    {"blur", AttributeAnswer::kComputed},
    {"exposure", AttributeAnswer::kComputed},
    {"noise", AttributeAnswer::kComputed},
    {"qualityDetails", AttributeAnswer::kFacetOnly},
    {"mask", AttributeAnswer::kNoModel},
    {"glasses", AttributeAnswer::kNoModel},
    {"accessories", AttributeAnswer::kNoModel},
    {"occlusion", AttributeAnswer::kNoModel},
    {"age", AttributeAnswer::kNeverInferred},
    {"gender", AttributeAnswer::kNeverInferred},
    {"emotion", AttributeAnswer::kNeverInferred},
    {"smile", AttributeAnswer::kNeverInferred},
    {"hair", AttributeAnswer::kNeverInferred},
    {"makeup", AttributeAnswer::kNeverInferred},
    {"facialHair", AttributeAnswer::kNeverInferred},
    {"race", AttributeAnswer::kNeverInferred},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::span<const std::string_view> ApiVersions() { return kApiVersions; }

std::string ApiVersionList() {
  std::string out;
  for (std::string_view v : kApiVersions) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

bool IsApiVersion(std::string_view version) {
  for (std::string_view v : kApiVersions) {
    if (v == version) return true;
  }
  return false;
}

bool TrainIsLongRunning(std::string_view version) { return version != "v1.0"; }

bool SplitVersionedPath(std::string_view path, std::string_view* version, std::string_view* rest) {
  constexpr std::string_view kPrefix = "/face/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return false;
  const std::string_view after = path.substr(kPrefix.size());
  const size_t slash = after.find('/');
  if (slash == 0) return false;
  *version = after.substr(0, slash);
  *rest = slash == std::string_view::npos ? std::string_view() : after.substr(slash);
  return true;
}

std::string FacetDetectorFor(std::string_view detection_model) {
  for (const NameMapping& m : kDetectionModels) {
    if (m.azure == detection_model) return std::string(m.facet);
  }
  for (std::string_view name : kFacetDetectors) {
    if (name == detection_model) return std::string(name);
  }
  return {};
}

std::string DetectionModelList() {
  std::string out;
  for (const NameMapping& m : kDetectionModels) {
    out += (out.empty() ? "" : ", ") + std::string(m.azure);
  }
  for (std::string_view name : kFacetDetectors) out += ", " + std::string(name);
  return out;
}

std::optional<std::string> FacetRecognitionModelFor(std::string_view recognition_model) {
  for (const NameMapping& m : kRecognitionModels) {
    if (m.azure == recognition_model) return std::string(m.facet);
  }
  return std::nullopt;
}

std::vector<NamedLandmark> AzureLandmarks(const Face& face) {
  const auto& five = face.landmarks;
  const std::vector<Point>& p = face.landmarks68;  // iBUG 300-W order
  auto mid = [&](int a, int b) { return Point{(p[a].x + p[b].x) / 2, (p[a].y + p[b].y) / 2}; };
  std::vector<NamedLandmark> out = {{"pupilLeft", five[kLeftEye]},
                                    {"pupilRight", five[kRightEye]},
                                    {"noseTip", five[kNose]},
                                    {"mouthLeft", five[kMouthLeft]},
                                    {"mouthRight", five[kMouthRight]}};
  if (p.size() != 68) return out;
  const std::vector<NamedLandmark> from68 = {
      {"eyebrowLeftOuter", p[17]},   {"eyebrowLeftInner", p[21]},     {"eyeLeftOuter", p[36]},
      {"eyeLeftTop", mid(37, 38)},   {"eyeLeftBottom", mid(40, 41)},  {"eyeLeftInner", p[39]},
      {"eyebrowRightInner", p[22]},  {"eyebrowRightOuter", p[26]},    {"eyeRightInner", p[42]},
      {"eyeRightTop", mid(43, 44)},  {"eyeRightBottom", mid(46, 47)}, {"eyeRightOuter", p[45]},
      {"noseLeftAlarOutTip", p[31]}, {"noseRightAlarOutTip", p[35]},  {"upperLipTop", p[51]},
      {"upperLipBottom", p[62]},     {"underLipTop", p[66]},          {"underLipBottom", p[57]}};
  out.insert(out.end(), from68.begin(), from68.end());
  return out;
}

AttributeAnswer ClassifyFaceAttribute(std::string_view name, std::string* canonical) {
  for (const AttributeRule& rule : kAttributes) {
    if (EqualsIgnoreCase(rule.name, name)) {
      *canonical = std::string(rule.name);
      return rule.answer;
    }
  }
  *canonical = std::string(name);
  return AttributeAnswer::kUnknown;
}

}  // namespace facet::service
