// Searches over transient faceIds (from detect with returnFaceId=true): identify against a person
// group, verify against a person, find-similar among faceIds, group (clustering). All on the
// public galleries and search APIs (facet/gallery.h, facet/search.h); no inference runs here.
#include <cmath>
#include <map>

#include "facet/search.h"
#include "service/api.h"
#include "service/request_parsing.h"

namespace facet::service {
namespace {

double Round5(double v) { return std::round(v * 1e5) / 1e5; }

// The caller's templates of `ids`, all of one model. 404 FaceNotFound for an unknown or expired
// id (or another key's), 409 ModelMismatch when they mix models or differ from `model` (if set).
MaybeError LoadFaces(FaceIdStore& face_ids, const std::string& owner,
                     const std::vector<std::string>& ids, const std::string& model,
                     std::vector<Embedding>* out) {
  out->clear();
  for (const std::string& id : ids) {
    auto e = face_ids.Get(owner, id);
    if (!e.ok()) return ApiError{404, "FaceNotFound", e.status().message()};
    const std::string& wanted = !model.empty() ? model : out->empty() ? e->model : out->front().model;
    if (e->model != wanted) {
      std::string message = "faceId " + id;
      message += " comes from " + e->model;
      message += ", not " + wanted;
      message += " (detect with the recognitionModel of the person group)";
      return ApiError{409, "ModelMismatch", std::move(message)};
    }
    out->push_back(std::move(e).value());
  }
  return std::nullopt;
}

// The group a search names: personGroupId or largePersonGroupId (one of them; facet's two kinds
// of group are one set of galleries). `large` tells which was used.
MaybeError GetGroupId(const nlohmann::json& body, std::string* group, bool* large) {
  const bool small = body.contains("personGroupId");
  *large = body.contains("largePersonGroupId");
  if (small == *large) {
    return ApiError{400, "BadArgument", "give one of personGroupId and largePersonGroupId"};
  }
  for (const char* refused : {"dynamicPersonGroupId", "personIds"}) {
    if (body.contains(refused)) {
      return ApiError{400, "BadArgument",
                      std::string(refused) + " is not supported (facet has no dynamic person "
                                             "groups): identify in a person group"};
    }
  }
  return GetString(body, *large ? "largePersonGroupId" : "personGroupId", true, 64, group);
}

}  // namespace

void Api::Identify(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  if (auto e = CheckKnownFields(body, {"personGroupId", "largePersonGroupId", "faceIds",
                                       "maxNumOfCandidatesReturned", "confidenceThreshold",
                                       "purpose"})) {
    return SetApiError(res, *e);
  }
  std::string gallery_name, purpose;
  bool large = false;
  if (auto e = GetGroupId(body, &gallery_name, &large)) return SetApiError(res, *e);
  if (auto e = ResolvePurpose(body, ctx.caller, "identify", &purpose)) {
    return SetApiError(res, *e);
  }
  std::vector<std::string> ids;
  if (auto e = GetFaceIdList(body, "faceIds", 10, &ids)) return SetApiError(res, *e);
  IdentifyOptions options{.actor = CallerAudit(ctx, "").actor, .purpose = purpose};
  if (auto e = GetOptionalInt(body, "maxNumOfCandidatesReturned", 1, 100,
                              &options.max_candidates)) {
    return SetApiError(res, *e);
  }
  // Azure's confidenceThreshold keeps candidates at or above it; facet's candidates are already
  // above the group's calibrated threshold, so a lower value changes nothing.
  double min_confidence = 0;
  if (body.contains("confidenceThreshold")) {
    const nlohmann::json& v = body["confidenceThreshold"];
    min_confidence = v.is_number() ? v.get<double>() : -1;
    if (!(min_confidence >= 0 && min_confidence <= 1)) {
      return SetError(res, 400, "BadArgument", "confidenceThreshold must be a number from 0 to 1");
    }
  }
  Galleries* store = Store(res);
  if (store == nullptr) return;
  // A node past its lease refuses before anything else (503 NodeStale; docs/cluster.md).
  if (const Status fresh = store->CheckFresh(); !fresh.ok()) return SetStatusError(res, fresh);
  GalleryInfo gallery;
  if (GalleryEngine(gallery_name, res, &gallery, nullptr, large) == nullptr) return;
  std::vector<Embedding> probes;
  if (auto e = LoadFaces(*deps_.face_ids, ctx.caller.key_id, ids, gallery.recognizer.name,
                         &probes)) {
    return SetApiError(res, *e);
  }
  auto found = store->Identify(gallery_name, probes, options);
  if (!found.ok()) return SetStatusError(res, found.status());
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < found->size(); ++i) {
    const Identification& id = (*found)[i];
    nlohmann::json candidates = nlohmann::json::array();
    for (const Candidate& c : id.candidates) {
      if (c.confidence < min_confidence) continue;
      candidates.push_back({{"personId", c.person_id},
                            {"confidence", Round5(c.confidence)},
                            {"similarity", Round5(c.similarity)}});
    }
    out.push_back({{"faceId", ids[i]},
                   {"candidates", candidates},
                   {"decision", id.known() ? nlohmann::json(id.person_id) : "unknown"}});
    if (id.damaged_faces_skipped > 0) {
      // The answer stands for the intact rows only: say so with every result.
      out.back()["galleryDamaged"] = {
          {"code", "StoreCorrupt"},
          {"facesSkipped", id.damaged_faces_skipped},
          {"message", "rows of this person group failed their integrity check and were left "
                      "out of the search (see the audit log)"}};
    }
  }
  SetJson(res, 200, out);
}

void Api::VerifyPerson(const nlohmann::json& body, httplib::Response& res,
                       const CallContext& ctx) {
  if (auto e = CheckKnownFields(body, {"faceId", "personGroupId", "largePersonGroupId",
                                       "personId", "purpose"})) {
    return SetApiError(res, *e);
  }
  std::string face_id, gallery_name, person_id, purpose;
  bool large = false;
  if (auto e = GetFaceId(body, "faceId", &face_id)) return SetApiError(res, *e);
  if (auto e = GetGroupId(body, &gallery_name, &large)) return SetApiError(res, *e);
  if (auto e = GetString(body, "personId", true, 128, &person_id)) return SetApiError(res, *e);
  if (auto e = ResolvePurpose(body, ctx.caller, "verification against a person", &purpose)) {
    return SetApiError(res, *e);
  }
  Galleries* store = Store(res);
  if (store == nullptr) return;
  // A node past its lease refuses before anything else (503 NodeStale; docs/cluster.md).
  if (const Status fresh = store->CheckFresh(); !fresh.ok()) return SetStatusError(res, fresh);
  GalleryInfo gallery;
  if (GalleryEngine(gallery_name, res, &gallery, nullptr, large) == nullptr) return;
  auto consents = store->ListConsents(gallery_name, person_id);
  if (!consents.ok()) {
    if (consents.status().code() == StatusCode::kNotFound) {
      return SetError(res, 404, "PersonNotFound",
                      "person '" + person_id + "' is not found in '" + gallery_name + "'");
    }
    return SetStatusError(res, consents.status());
  }
  bool consented = false;
  for (const ConsentInfo& c : *consents) consented = consented || c.valid;
  if (!consented) {
    return SetError(res, 403, "ConsentRequired",
                    "person '" + person_id + "' has no valid consent in '" + gallery_name + "'");
  }
  std::vector<Embedding> probe;
  if (auto e = LoadFaces(*deps_.face_ids, ctx.caller.key_id, {face_id}, gallery.recognizer.name,
                         &probe)) {
    return SetApiError(res, *e);
  }
  auto verified = store->Verify(gallery_name, person_id, probe[0], CallerAudit(ctx, purpose));
  if (!verified.ok()) return SetStatusError(res, verified.status());
  SetJson(res, 200,
          {{"isIdentical", verified->same},
           {"confidence", Round5(verified->confidence)},
           {"similarity", Round5(verified->similarity)},
           {"threshold", Round5(verified->threshold)},
           {"recognitionModel", gallery.recognizer.name}});
}

void Api::FindSimilarFaces(const httplib::Request& req, httplib::Response& res,
                           const CallContext& ctx) {
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  for (const char* list : {"faceListId", "largeFaceListId"}) {
    if (body.contains(list)) {
      return SetError(res, 400, "BadArgument",
                      std::string(list) + " is not supported: facet keeps no face lists (faces "
                                          "are kept only for persons who consented); send the "
                                          "candidates as faceIds");
    }
  }
  if (auto e = CheckKnownFields(body, {"faceId", "faceIds", "maxNumOfCandidatesReturned",
                                       "mode"})) {
    return SetApiError(res, *e);
  }
  std::string face_id, mode = "matchPerson";
  std::vector<std::string> ids;
  if (auto e = GetFaceId(body, "faceId", &face_id)) return SetApiError(res, *e);
  if (auto e = GetFaceIdList(body, "faceIds", 1000, &ids)) return SetApiError(res, *e);
  if (auto e = GetString(body, "mode", false, 16, &mode)) return SetApiError(res, *e);
  FindSimilarOptions options;
  if (auto e = GetOptionalInt(body, "maxNumOfCandidatesReturned", 1, 1000,
                              &options.max_results)) {
    return SetApiError(res, *e);
  }
  if (mode == "matchFace") {
    options.min_similarity = -1.0F;  // rank every face
  } else if (mode != "matchPerson") {
    return SetError(res, 400, "BadArgument", "mode must be matchPerson or matchFace");
  }
  std::vector<Embedding> probe, candidates;
  if (auto e = LoadFaces(*deps_.face_ids, ctx.caller.key_id, {face_id}, "", &probe)) {
    return SetApiError(res, *e);
  }
  if (auto e = LoadFaces(*deps_.face_ids, ctx.caller.key_id, ids, probe[0].model, &candidates)) {
    return SetApiError(res, *e);
  }
  const Engine* engine = EngineFor(probe[0].model, nullptr);
  if (engine == nullptr) return SetError(res, 500, "InternalError", "internal error");
  auto similar = FindSimilar(probe[0], candidates, engine->recognizer(), options);
  if (!similar.ok()) return SetStatusError(res, similar.status());
  nlohmann::json out = nlohmann::json::array();
  for (const SimilarFace& s : *similar) {
    out.push_back({{"faceId", ids[static_cast<size_t>(s.index)]},
                   {"confidence", Round5(s.confidence)},
                   {"similarity", Round5(s.similarity)}});
  }
  SetJson(res, 200, out);
}

void Api::Group(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  if (auto e = CheckKnownFields(body, {"faceIds"})) return SetApiError(res, *e);
  std::vector<std::string> ids;
  if (auto e = GetFaceIdList(body, "faceIds", 1000, &ids)) return SetApiError(res, *e);
  std::vector<Embedding> faces;
  if (auto e = LoadFaces(*deps_.face_ids, ctx.caller.key_id, ids, "", &faces)) {
    return SetApiError(res, *e);
  }
  const Engine* engine = EngineFor(faces[0].model, nullptr);
  if (engine == nullptr) return SetError(res, 500, "InternalError", "internal error");
  auto clustering = ClusterFaces(faces, engine->recognizer());
  if (!clustering.ok()) return SetStatusError(res, clustering.status());
  std::vector<std::vector<std::string>> clusters(static_cast<size_t>(clustering->clusters));
  for (size_t i = 0; i < ids.size(); ++i) {
    clusters[static_cast<size_t>(clustering->labels[i])].push_back(ids[i]);
  }
  // As Azure: groups of two or more faces, largest first; faces alike to no other in messyGroup.
  nlohmann::json groups = nlohmann::json::array();
  nlohmann::json messy = nlohmann::json::array();
  for (const auto& cluster : clusters) {
    if (cluster.size() >= 2) {
      groups.push_back(cluster);
    } else if (!cluster.empty()) {
      messy.push_back(cluster[0]);
    }
  }
  SetJson(res, 200, {{"groups", groups},
                     {"messyGroup", messy},
                     {"threshold", Round5(clustering->threshold)}});
}

}  // namespace facet::service
