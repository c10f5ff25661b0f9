// A person's persisted faces: add (enrollment, consent first), list, get, update (userData) and
// delete, for both kinds of person group, over the public galleries API (facet/gallery.h).
#include <algorithm>
#include <map>

#include "facet/image.h"
#include "service/api.h"
#include "service/azure_compat.h"
#include "service/request_parsing.h"
#include "service/target_face.h"

namespace facet::service {
namespace {

using Query = std::map<std::string, std::string>;

// Azure's face resource ({persistedFaceId, userData}) and facet's additions.
nlohmann::json FaceJson(const FaceInfo& f) {
  nlohmann::json out = {{"persistedFaceId", std::to_string(f.face_id)},
                        {"qualityForRecognition", QualityLevelName(f.quality)},
                        {"sourceSha256", f.source_sha256},
                        {"createdDateTime", FormatTime(f.created_at)},
                        {"hasPhoto", f.has_photo}};
  if (!f.user_data.empty()) out["userData"] = f.user_data;  // as Azure: absent when not set
  return out;
}

// Whether a valid consent of `gallery` covers `use` (identify covers verify).
bool HasCoveringConsent(const std::vector<ConsentInfo>& consents, ConsentScope use) {
  return std::any_of(consents.begin(), consents.end(), [&](const ConsentInfo& c) {
    return c.valid && (c.scope == ConsentScope::kIdentify || use == ConsentScope::kVerify);
  });
}

}  // namespace

// The route's {persistedFaceId}: facet's face ids are integers, so anything else names no face.
// False after answering 404 with Azure's code (the group, the person or the face not found).
bool Api::ParseFaceId(const CallContext& ctx, httplib::Response& res, int64_t* face_id) const {
  if (ParseIntText("persistedFaceId", ctx.path_params[2], 1, INT64_MAX / 2, face_id)) {
    SetGalleryError(res, ctx, Status::NotFound("no such face"));
    return false;
  }
  return true;
}

void Api::AddFace(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e =
          ParseQuery(req.params, {"detectionModel", "minQuality", "userData", "targetFace"}, &q)) {
    return SetApiError(res, *e);
  }
  EnrollImageOptions options{.gallery = ctx.path_params[0], .person_id = ctx.path_params[1]};
  if (q.count("detectionModel") != 0) {
    auto mode = ParseDetectorMode(FacetDetectorFor(q["detectionModel"]));
    if (!mode.ok()) {
      return SetError(res, 400, "BadArgument",
                      "detectionModel is not offered (offered: " + DetectionModelList() + ")");
    }
    options.detect.mode = mode.value();
  }
  if (q.count("targetFace") != 0) {  // Azure's; without it the largest face
    if (auto e = ParseTargetFace(q["targetFace"], &options.target_face.emplace())) {
      return SetApiError(res, *e);
    }
  }
  options.user_data = q["userData"];  // Azure's: kept sealed with the face
  if (options.user_data.size() > kMaxFaceUserData) {
    return SetError(res, 400, "BadArgument",
                    "userData is longer than " + std::to_string(kMaxFaceUserData) + " bytes");
  }
  if (q.count("minQuality") != 0) {
    const std::string& level = q["minQuality"];
    if (level == "low") {
      options.min_quality = QualityLevel::kLow;
    } else if (level == "medium") {
      options.min_quality = QualityLevel::kMedium;
    } else if (level == "high") {
      options.min_quality = QualityLevel::kHigh;
    } else {
      return SetError(res, 400, "BadArgument", "minQuality must be low, medium or high");
    }
  }
  std::string_view bytes;
  if (auto e = RequestImage(req, &bytes)) return SetApiError(res, *e);
  GalleryInfo gallery;
  int model_index = 0;
  if (GalleryEngine(options.gallery, res, &gallery, &model_index) == nullptr) return;
  // Consent first: no inference for a person who may not be enrolled.
  auto consents = store->ListConsents(options.gallery, options.person_id);
  if (!consents.ok()) return SetGalleryError(res, ctx, consents.status());
  if (!HasCoveringConsent(*consents, gallery.use)) {
    return SetError(res, 403, "ConsentRequired",
                    "person '" + options.person_id + "' has no valid consent of scope '" +
                        ConsentScopeName(gallery.use) + "' in '" + options.gallery +
                        "': record one first (POST /face/" + ctx.api_version +
                        (ctx.large_group ? "/largepersongroups/" : "/persongroups/") +
                        options.gallery + "/persons/" + options.person_id + "/consents)");
  }
  if (auto e = CheckImageHeader(bytes, deps_.options.max_pixels)) return SetApiError(res, *e);
  Result<EnrolledImage> enrolled = Status::Internal("not run");
  const Status run = deps_.pool->Run([&](WorkerSessions& worker) {
    try {
      Session& session = *worker.sessions[model_index];
      enrolled = EnrollImage(*store, session, AsBytes(bytes), options, CallerAudit(ctx));
    } catch (const std::exception&) {
      enrolled = Status::Internal("enrollment failed");
    }
  });
  if (!run.ok()) return SetBusy(res, run);
  if (!enrolled.ok()) {
    const Status& s = enrolled.status();
    if (s.code() == StatusCode::kFailedPrecondition &&
        s.message().find("quality") != std::string::npos) {
      return SetError(res, 400, "QualityTooLow", s.message());
    }
    return SetGalleryError(res, ctx, s);
  }
  nlohmann::json out = FaceJson(enrolled->info);
  const Box& b = enrolled->face.box;
  out["faceRectangle"] = {{"top", static_cast<int>(b.y)},
                          {"left", static_cast<int>(b.x)},
                          {"width", static_cast<int>(b.width)},
                          {"height", static_cast<int>(b.height)}};
  out["facesInImage"] = enrolled->faces_in_image;
  out["duplicate"] = enrolled->info.duplicate;
  SetJson(res, 200, out);
}

void Api::ListFaces(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {}, &q)) return SetApiError(res, *e);
  auto list = store->ListFaces(ctx.path_params[0], ctx.path_params[1]);
  if (!list.ok()) return SetGalleryError(res, ctx, list.status());
  nlohmann::json out = nlohmann::json::array();
  for (const FaceInfo& f : *list) out.push_back(FaceJson(f));
  SetJson(res, 200, out);
}

void Api::GetFace(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {}, &q)) return SetApiError(res, *e);
  int64_t face_id = 0;
  if (!ParseFaceId(ctx, res, &face_id)) return;
  auto face = store->GetFace(ctx.path_params[0], ctx.path_params[1], face_id);
  if (!face.ok()) return SetGalleryError(res, ctx, face.status());
  SetJson(res, 200, FaceJson(*face));
}

void Api::UpdateFace(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  if (auto e = CheckKnownFields(body, {"userData"})) return SetApiError(res, *e);
  int64_t face_id = 0;
  if (!ParseFaceId(ctx, res, &face_id)) return;
  // Without userData there is nothing to change (Azure accepts it): the face as it is.
  if (!body.contains("userData")) {
    auto face = store->GetFace(ctx.path_params[0], ctx.path_params[1], face_id);
    if (!face.ok()) return SetGalleryError(res, ctx, face.status());
    return SetJson(res, 200, FaceJson(*face));
  }
  std::string user_data;
  if (auto e = GetString(body, "userData", false, kMaxFaceUserData, &user_data)) {
    return SetApiError(res, *e);
  }
  auto updated = store->UpdateFace(ctx.path_params[0], ctx.path_params[1], face_id, user_data,
                                   CallerAudit(ctx));
  if (!updated.ok()) return SetGalleryError(res, ctx, updated.status());
  SetJson(res, 200, FaceJson(*updated));
}

void Api::DeleteFace(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {"purpose"}, &q)) return SetApiError(res, *e);
  int64_t face_id = 0;
  if (!ParseFaceId(ctx, res, &face_id)) return;
  const Status deleted = store->DeleteFace(ctx.path_params[0], ctx.path_params[1], face_id,
                                           CallerAudit(ctx, q["purpose"]));
  if (!deleted.ok()) return SetGalleryError(res, ctx, deleted);
  SetJson(res, 200, {{"persistedFaceId", std::to_string(face_id)}, {"deleted", true}});
}

}  // namespace facet::service
