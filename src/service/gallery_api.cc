// Person groups (galleries), persons, consents, person export/erase, over the public galleries
// API (facet/gallery.h); a person's faces are in persisted_face_api.cc. Names follow Azure Face's
// PersonGroup API where they fit; facet adds consents, purposes and the audit log.
#include <algorithm>
#include <map>

#include "service/api.h"
#include "service/azure_compat.h"
#include "service/face_ids.h"
#include "service/request_parsing.h"

namespace facet::service {

AuditContext CallerAudit(const CallContext& ctx, std::string purpose) {
  return {.actor = ctx.caller.key_name.empty() ? ctx.caller.key_id : ctx.caller.key_name,
          .purpose = std::move(purpose)};
}

namespace {

constexpr size_t kMaxText = 1000;  // purposes, names, evidence

using Query = std::map<std::string, std::string>;

nlohmann::json Time(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(FormatTime(*t)) : nlohmann::json(nullptr);
}

// Azure names the id after the group's kind; facet's two kinds are one set of galleries. `name`
// and `userData` are the ones given (`name` is the id for a group created without one);
// `recognitionModel` the name the creator asked for (else facet's model), `facetRecognitionModel`
// the model that makes the group's templates (docs/service.md).
nlohmann::json GroupJson(const GalleryInfo& g, bool large = false) {
  nlohmann::json out = {
      {large ? "largePersonGroupId" : "personGroupId", g.name},
      {"name", g.display_name.empty() ? g.name : g.display_name},
      {"purpose", g.purpose},
      {"use", ConsentScopeName(g.use)},
      {"recognitionModel", g.requested_model.empty() ? g.recognizer.name : g.requested_model},
      {"facetRecognitionModel", g.recognizer.name},
      {"recognitionModelVersion", g.recognizer.version},
      {"falseMatchRate", g.fmr},
      {"threshold", g.threshold},
      {"keepPhotos", g.keep_photos},
      {"createdDateTime", FormatTime(g.created_at)},
      {"personCount", g.persons},
      {"faceCount", g.faces}};
  if (!g.user_data.empty()) out["userData"] = g.user_data;  // as Azure: absent when not set
  return out;
}

nlohmann::json PersonJson(const PersonInfo& p) {
  return {{"personId", p.person_id},
          {"name", p.display_name},
          {"userData", p.external_ref},
          {"createdDateTime", FormatTime(p.created_at)},
          {"faceCount", p.faces}};
}

nlohmann::json ConsentJson(const ConsentInfo& c) {
  return {{"consentId", c.consent_id},       {"grantedBy", c.granted_by},
          {"scope", ConsentScopeName(c.scope)}, {"purpose", c.purpose},
          {"evidence", c.evidence},           {"grantedDateTime", FormatTime(c.granted_at)},
          {"expiresDateTime", Time(c.expires_at)}, {"revokedDateTime", Time(c.revoked_at)},
          {"valid", c.valid}};
}

}  // namespace

Galleries* Api::Store(httplib::Response& res) const {
  if (deps_.galleries == nullptr) {
    SetError(res, 409, "NoGalleryStore",
             "this server has no gallery store: create one with `facet init` and restart "
             "facet serve (docs/service.md)");
  }
  return deps_.galleries.get();
}

const Engine* Api::GalleryEngine(const std::string& gallery, httplib::Response& res,
                                 GalleryInfo* info, int* index, bool large) const {
  // Settings only (no counts): on a node following the change log, from memory.
  auto found = deps_.galleries->GetGallerySettings(gallery);
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound) {
      SetError(res, 404, large ? "LargePersonGroupNotFound" : "PersonGroupNotFound",
               (large ? "large person group '" : "person group '") + gallery + "' is not found");
    } else {
      SetStatusError(res, found.status());
    }
    return nullptr;
  }
  *info = std::move(found).value();
  const Engine* engine = EngineFor(info->recognizer.name, index);
  if (engine == nullptr || engine->recognizer().version != info->recognizer.version) {
    SetError(res, 409, "ModelMismatch",
             "person group '" + gallery + "' holds templates of " + info->recognizer.name + " " +
                 info->recognizer.version + ", which this server does not offer (facet serve "
                 "--model)");
    return nullptr;
  }
  return engine;
}

// --- person groups

void Api::ListGroups(const httplib::Request& req, httplib::Response& res,
                     const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  ListPage page;
  if (auto e = ParseQuery(req.params, {"start", "top", "returnRecognitionModel"}, &q)) {
    return SetApiError(res, *e);
  }
  if (auto e = ParseListPage(q, &page)) return SetApiError(res, *e);
  auto list = store->ListGalleries();
  if (!list.ok()) return SetStatusError(res, list.status());
  std::sort(list->begin(), list->end(),
            [](const GalleryInfo& a, const GalleryInfo& b) { return a.name < b.name; });
  nlohmann::json out = nlohmann::json::array();
  for (const GalleryInfo& g : *list) {
    if (g.name > page.start && std::ssize(out) < page.top) {
      out.push_back(GroupJson(g, ctx.large_group));
    }
  }
  SetJson(res, 200, out);
}

void Api::CreateGroup(const httplib::Request& req, httplib::Response& res,
                      const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  // facet's fields and Azure's (name, userData: kept sealed; recognitionModel: kept as asked).
  if (auto e = CheckKnownFields(body, {"purpose", "recognitionModel", "use", "falseMatchRate",
                                       "keepPhotos", "name", "userData"})) {
    return SetApiError(res, *e);
  }
  GallerySpec spec;
  spec.name = ctx.path_params[0];
  if (auto e = GetText(body, "name", false, kMaxGalleryDisplayName, &spec.display_name)) {
    return SetApiError(res, *e);
  }
  if (auto e = GetString(body, "userData", false, kMaxGalleryUserData, &spec.user_data)) {
    return SetApiError(res, *e);
  }
  if (auto e = ResolvePurpose(body, ctx.caller, "a person group", &spec.purpose)) {
    return SetApiError(res, *e);
  }
  std::string model;
  std::string use = "identify";
  if (auto e = GetString(body, "recognitionModel", false, kMaxRequestedModel, &model)) {
    return SetApiError(res, *e);
  }
  if (auto e = GetString(body, "use", false, 16, &use)) return SetApiError(res, *e);
  auto scope = ParseConsentScope(use);
  if (!scope.ok()) return SetError(res, 400, "BadArgument", "use must be identify or verify");
  spec.use = scope.value();
  if (body.contains("falseMatchRate")) {
    const nlohmann::json& v = body["falseMatchRate"];
    spec.fmr = v.is_number() ? v.get<double>() : -1;
    if (spec.fmr != 1e-3 && spec.fmr != 1e-4) {
      return SetError(res, 400, "BadArgument", "falseMatchRate must be 0.001 or 0.0001");
    }
  }
  if (body.contains("keepPhotos")) {
    if (!body["keepPhotos"].is_boolean()) {
      return SetError(res, 400, "BadArgument", "keepPhotos must be true or false");
    }
    spec.keep_photos = body["keepPhotos"].get<bool>();
  }
  const Engine* engine = RecognitionEngine(model, nullptr);
  if (engine == nullptr) {
    return SetError(res, 400, "BadArgument",
                    "recognitionModel is not offered by this server (offered: " +
                        OfferedRecognitionModels() + ")");
  }
  spec.requested_model = model;
  auto created = store->CreateGallery(spec, engine->recognizer(), CallerAudit(ctx));
  if (!created.ok()) {
    if (created.status().code() == StatusCode::kFailedPrecondition &&
        !IsStoreUnavailable(created.status())) {
      return SetError(res, 409, "PersonGroupExists", created.status().message());
    }
    return SetGalleryError(res, ctx, created.status());
  }
  SetJson(res, 200, GroupJson(*created, ctx.large_group));
}

void Api::GetGroup(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {"returnRecognitionModel"}, &q)) return SetApiError(res, *e);
  auto info = store->GetGallery(ctx.path_params[0]);
  if (!info.ok()) return SetGalleryError(res, ctx, info.status());
  SetJson(res, 200, GroupJson(*info, ctx.large_group));
}

void Api::UpdateGroup(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  if (auto e = CheckKnownFields(body, {"name", "userData"})) return SetApiError(res, *e);
  GalleryLabels labels;
  if (body.contains("name")) {
    if (auto e =
            GetText(body, "name", true, kMaxGalleryDisplayName, &labels.display_name.emplace())) {
      return SetApiError(res, *e);
    }
  }
  if (body.contains("userData")) {
    if (auto e =
            GetString(body, "userData", false, kMaxGalleryUserData, &labels.user_data.emplace())) {
      return SetApiError(res, *e);
    }
  }
  // Nothing to change (Azure accepts an empty body): the group as it is, nothing written.
  auto updated = labels.display_name || labels.user_data
                     ? store->UpdateGallery(ctx.path_params[0], labels, CallerAudit(ctx))
                     : store->GetGallery(ctx.path_params[0]);
  if (!updated.ok()) return SetGalleryError(res, ctx, updated.status());
  SetJson(res, 200, GroupJson(*updated, ctx.large_group));
}

void Api::DeleteGroup(const httplib::Request& req, httplib::Response& res,
                      const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {"purpose"}, &q)) return SetApiError(res, *e);
  const Status deleted = store->DeleteGallery(ctx.path_params[0], CallerAudit(ctx, q["purpose"]));
  if (!deleted.ok()) return SetGalleryError(res, ctx, deleted);
  SetJson(res, 200, {{"personGroupId", ctx.path_params[0]}, {"deleted", true}});
}

// --- persons

void Api::AddPerson(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  if (auto e = CheckKnownFields(body, {"personId", "name", "userData"})) {
    return SetApiError(res, *e);
  }
  PersonSpec spec;
  if (auto e = GetString(body, "personId", false, 128, &spec.person_id)) {
    return SetApiError(res, *e);
  }
  if (spec.person_id.empty()) spec.person_id = RandomUuid();
  if (auto e = GetText(body, "name", false, kMaxText, &spec.display_name)) {
    return SetApiError(res, *e);
  }
  if (auto e = GetString(body, "userData", false, kMaxText, &spec.external_ref)) {
    return SetApiError(res, *e);
  }
  auto added = store->AddPerson(ctx.path_params[0], spec, CallerAudit(ctx));
  if (!added.ok()) {
    if (added.status().code() == StatusCode::kFailedPrecondition &&
        !IsStoreUnavailable(added.status())) {
      return SetError(res, 409, "PersonExists", added.status().message());
    }
    return SetGalleryError(res, ctx, added.status());
  }
  SetJson(res, 200, PersonJson(*added));
}

void Api::ListPersons(const httplib::Request& req, httplib::Response& res,
                      const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  ListPage page;
  if (auto e = ParseQuery(req.params, {"start", "top", "returnConsents"}, &q)) {
    return SetApiError(res, *e);
  }
  if (auto e = ParseListPage(q, &page)) return SetApiError(res, *e);
  bool with_consents = false;  // facet's: each person's consents, for a gallery overview
  if (q.count("returnConsents") != 0) {
    if (q["returnConsents"] != "true" && q["returnConsents"] != "false") {
      return SetError(res, 400, "BadArgument", "returnConsents must be true or false");
    }
    with_consents = q["returnConsents"] == "true";
  }
  auto list = store->ListPersons(ctx.path_params[0]);
  if (!list.ok()) return SetGalleryError(res, ctx, list.status());
  std::sort(list->begin(), list->end(),
            [](const PersonInfo& a, const PersonInfo& b) { return a.person_id < b.person_id; });
  nlohmann::json out = nlohmann::json::array();
  for (const PersonInfo& p : *list) {
    if (p.person_id <= page.start || std::ssize(out) >= page.top) continue;
    out.push_back(PersonJson(p));
    if (!with_consents) continue;
    auto consents = store->ListConsents(ctx.path_params[0], p.person_id);
    if (!consents.ok()) return SetGalleryError(res, ctx, consents.status());
    nlohmann::json& list_json = out.back()["consents"] = nlohmann::json::array();
    for (const ConsentInfo& c : *consents) list_json.push_back(ConsentJson(c));
  }
  SetJson(res, 200, out);
}

void Api::GetPerson(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {}, &q)) return SetApiError(res, *e);
  auto person = store->GetPerson(ctx.path_params[0], ctx.path_params[1]);
  if (!person.ok()) return SetGalleryError(res, ctx, person.status());
  auto faces = store->ListFaces(ctx.path_params[0], ctx.path_params[1]);
  if (!faces.ok()) return SetGalleryError(res, ctx, faces.status());
  nlohmann::json out = PersonJson(*person);
  out["persistedFaceIds"] = nlohmann::json::array();  // as Azure's person
  for (const FaceInfo& f : *faces) out["persistedFaceIds"].push_back(std::to_string(f.face_id));
  SetJson(res, 200, out);
}

void Api::UpdatePerson(const httplib::Request& req, httplib::Response& res,
                       const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  if (auto e = CheckKnownFields(body, {"name", "userData"})) return SetApiError(res, *e);
  auto current = store->GetPerson(ctx.path_params[0], ctx.path_params[1]);
  if (!current.ok()) return SetGalleryError(res, ctx, current.status());
  PersonSpec spec{.person_id = current->person_id,
                  .display_name = current->display_name,
                  .external_ref = current->external_ref};
  if (auto e = GetText(body, "name", false, kMaxText, &spec.display_name)) {
    return SetApiError(res, *e);
  }
  if (auto e = GetString(body, "userData", false, kMaxText, &spec.external_ref)) {
    return SetApiError(res, *e);
  }
  auto updated = store->UpdatePerson(ctx.path_params[0], spec, CallerAudit(ctx));
  if (!updated.ok()) return SetGalleryError(res, ctx, updated.status());
  SetJson(res, 200, PersonJson(*updated));
}

void Api::ErasePerson(const httplib::Request& req, httplib::Response& res,
                      const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {"purpose"}, &q)) return SetApiError(res, *e);
  const Status erased =
      store->ErasePerson(ctx.path_params[0], ctx.path_params[1], CallerAudit(ctx, q["purpose"]));
  if (!erased.ok()) return SetGalleryError(res, ctx, erased);
  SetJson(res, 200, {{"personId", ctx.path_params[1]}, {"erased", true}});
}

void Api::ExportPerson(const httplib::Request& req, httplib::Response& res,
                       const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {"purpose"}, &q)) return SetApiError(res, *e);
  if (q["purpose"].empty()) {
    return SetError(res, 400, "PurposeRequired", "an export needs a purpose (?purpose=...)");
  }
  auto exported =
      store->ExportPerson(ctx.path_params[0], ctx.path_params[1], CallerAudit(ctx, q["purpose"]));
  if (!exported.ok()) return SetGalleryError(res, ctx, exported.status());
  res.status = 200;
  res.set_header("Content-Disposition", "attachment; filename=\"person.json\"");
  res.set_content(std::move(exported).value(), "application/json; charset=utf-8");
}

// --- consents

void Api::GrantConsent(const httplib::Request& req, httplib::Response& res,
                       const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  nlohmann::json body;
  if (auto e = ParseJsonObject(req, &body)) return SetApiError(res, *e);
  if (auto e = CheckKnownFields(body, {"grantedBy", "scope", "purpose", "expiresDateTime",
                                       "evidence"})) {
    return SetApiError(res, *e);
  }
  ConsentSpec spec;
  std::string scope, expires;
  if (auto e = GetText(body, "grantedBy", true, kMaxText, &spec.granted_by)) {
    return SetApiError(res, *e);
  }
  if (auto e = GetString(body, "scope", true, 16, &scope)) return SetApiError(res, *e);
  if (auto e = GetText(body, "purpose", true, kMaxText, &spec.purpose)) {
    return SetApiError(res, *e);
  }
  if (auto e = GetString(body, "expiresDateTime", false, 64, &expires)) {
    return SetApiError(res, *e);
  }
  if (auto e = GetString(body, "evidence", false, kMaxText, &spec.evidence)) {
    return SetApiError(res, *e);
  }
  auto parsed_scope = ParseConsentScope(scope);
  if (!parsed_scope.ok()) {
    return SetError(res, 400, "BadArgument", "scope must be identify or verify");
  }
  spec.scope = parsed_scope.value();
  if (!expires.empty()) {
    auto when = ParseTime(expires);
    if (!when.ok()) {
      return SetError(res, 400, "BadArgument",
                      "expiresDateTime must be an ISO 8601 UTC time (2027-01-31T00:00:00Z): " +
                          when.status().message());
    }
    spec.expires_at = when.value();
  }
  auto granted =
      store->GrantConsent(ctx.path_params[0], ctx.path_params[1], spec, CallerAudit(ctx));
  if (!granted.ok()) return SetGalleryError(res, ctx, granted.status());
  SetJson(res, 200, ConsentJson(*granted));
}

void Api::ListConsents(const httplib::Request& req, httplib::Response& res,
                       const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {}, &q)) return SetApiError(res, *e);
  auto list = store->ListConsents(ctx.path_params[0], ctx.path_params[1]);
  if (!list.ok()) return SetGalleryError(res, ctx, list.status());
  nlohmann::json out = nlohmann::json::array();
  for (const ConsentInfo& c : *list) out.push_back(ConsentJson(c));
  SetJson(res, 200, out);
}

void Api::RevokeConsent(const httplib::Request& req, httplib::Response& res,
                        const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {"purpose"}, &q)) return SetApiError(res, *e);
  int64_t consent_id = 0;
  if (auto e = ParseIntText("consentId", ctx.path_params[2], 1, INT64_MAX / 2, &consent_id)) {
    return SetError(res, 404, "NotFound", e->message);
  }
  const Status revoked = store->RevokeConsent(ctx.path_params[0], ctx.path_params[1], consent_id,
                                              CallerAudit(ctx, q["purpose"]));
  if (!revoked.ok()) {
    if (revoked.code() == StatusCode::kFailedPrecondition && !IsStoreUnavailable(revoked)) {
      return SetError(res, 409, "AlreadyRevoked", revoked.message());
    }
    return SetGalleryError(res, ctx, revoked);
  }
  auto person = store->GetPerson(ctx.path_params[0], ctx.path_params[1]);
  if (!person.ok()) return SetGalleryError(res, ctx, person.status());
  SetJson(res, 200, {{"consentId", consent_id},
                     {"revoked", true},
                     {"templatesShredded", !person->has_data_key}});
}

}  // namespace facet::service
