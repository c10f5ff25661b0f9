// What facet answers to Azure Face's names: API versions, detection and recognition model names,
// and the face attributes detect is asked for. One table each, so that a name facet maps
// differently (a new default detector, a new recognition model) is a one-line change here.
// docs/service.md ("Azure Face compatibility") documents every mapping.
//
// Thread-safety: pure functions over constant tables.
#ifndef FACET_SRC_SERVICE_AZURE_COMPAT_H_
#define FACET_SRC_SERVICE_AZURE_COMPAT_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "facet/types.h"

namespace facet::service {

// The Azure Face API versions facet serves under /face/{version}/, all with the same behaviour
// (the only difference: train answers with an Operation-Location from v1.1-preview.1 on, as
// Azure's long-running train does).
std::span<const std::string_view> ApiVersions();
// "v1.0, v1.1-preview.1, ..." for messages.
std::string ApiVersionList();
bool IsApiVersion(std::string_view version);
// Whether train is a long-running operation (202 + Operation-Location) in this API version.
bool TrainIsLongRunning(std::string_view version);

// Splits "/face/{version}/rest" into version and "/rest". False when the path does not start
// with "/face/" followed by a version segment.
bool SplitVersionedPath(std::string_view path, std::string_view* version, std::string_view* rest);

// The facet detector an Azure detectionModel (detection_01..03) stands for, or facet's own
// detector name given as is. Empty when the name is neither.
std::string FacetDetectorFor(std::string_view detection_model);
// "detection_01, detection_02, detection_03" and facet's names, for messages.
std::string DetectionModelList();

// The facet recognition model an Azure recognitionModel (recognition_01..04) stands for:
// an empty string means the server's default model. nullopt when `name` is not an Azure name
// (it may still be one of facet's own model names).
std::optional<std::string> FacetRecognitionModelFor(std::string_view recognition_model);

// How detect answers one entry of returnFaceAttributes.
enum class AttributeAnswer {
  kComputed,       // facet computes it (headPose, qualityForRecognition, blur, exposure, noise)
  kFacetOnly,      // facet's own (qualityDetails)
  kNoModel,        // Azure offers it, facet has no model for it: 400 naming it
  kNeverInferred,  // a sensitive or retired attribute facet never infers: 400
  kUnknown,        // not an attribute at all: 400
};
// `canonical` gets Azure's spelling of a known attribute (the match is case-insensitive).
AttributeAnswer ClassifyFaceAttribute(std::string_view name, std::string* canonical);

// One of Azure's named face landmarks.
struct NamedLandmark {
  std::string_view name;
  Point point;
};
// Azure's 27 named landmarks that facet can place, in Azure's order ("Left" is the image's left,
// as Azure's): pupils, nose tip and mouth corners are the detector's five points; with the 68
// points (Face::landmarks68, placed with the quality verdict) also the brows' ends, the eyes'
// corners, the eye tops and bottoms (each the midpoint of the two lid points above or below the
// pupil: derived), the nostril wings' outer tips and the lips' four midline points.
// noseRootLeft/Right and noseLeft/RightAlarTop have no counterpart among the 68: never guessed.
std::vector<NamedLandmark> AzureLandmarks(const Face& face);

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_AZURE_COMPAT_H_
