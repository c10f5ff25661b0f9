// Person groups as Azure Face clients see them: the not-found codes of the group routes, the
// purpose of requests that name none, and training. facet's search index is always up to date
// (a face is searchable once added), so train has nothing to do: it answers as an Azure training
// that already succeeded, in the shape of the API version asked (202, and from v1.1-preview.1 on
// an Operation-Location the official clients' pollers follow to "succeeded").
#include <cctype>
#include <string_view>
#include <utility>

#include "service/api.h"
#include "service/azure_compat.h"

namespace facet::service {
namespace {

constexpr size_t kMaxPurpose = 1000;
constexpr const char* kNoTrainingNeeded =
    "facet's search index needs no training: faces are searchable as soon as they are added";

// A Host header fit to be written back into an absolute URL: a host name or address and an
// optional port, nothing else.
bool IsPlainHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                    c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

MaybeError ResolvePurpose(const nlohmann::json& body, const Caller& caller, std::string_view what,
                          std::string* purpose) {
  purpose->clear();
  if (auto e = GetText(body, "purpose", false, kMaxPurpose, purpose)) return e;
  if (!purpose->empty()) return std::nullopt;
  if (!IsBlank(caller.purpose)) {
    *purpose = caller.purpose;
    return std::nullopt;
  }
  return ApiError{400, "PurposeRequired",
                  std::string(what) +
                      " needs a purpose (what it is for; it is audited): send \"purpose\" in the "
                      "body, or use an API key made with one (facet serve keys add --purpose)"};
}

namespace {

// A gallery check's message names the field in the gallery's words ("external reference is
// longer than ..."); the caller sent the API's field: say that one.
Status InApiTerms(const Status& status) {
  if (status.code() != StatusCode::kInvalidArgument) return status;
  static constexpr std::pair<std::string_view, std::string_view> kFields[] = {
      {"gallery display name ", "name "},   {"display name ", "name "},
      {"external reference ", "userData "}, {"consent purpose ", "purpose "},
      {"granted_by ", "grantedBy "},        {"person id ", "personId "}};
  const std::string& message = status.message();
  for (const auto& [gallery_word, api_word] : kFields) {
    if (message.rfind(gallery_word, 0) == 0) {
      return Status::InvalidArgument(std::string(api_word) + message.substr(gallery_word.size()));
    }
  }
  return status;
}

}  // namespace

void Api::SetGalleryError(httplib::Response& res, const CallContext& ctx,
                          const Status& status) const {
  const std::vector<std::string>& p = ctx.path_params;
  if (status.code() != StatusCode::kNotFound || p.empty() || deps_.galleries == nullptr) {
    return SetStatusError(res, InApiTerms(status));
  }
  if (!deps_.galleries->GetGallery(p[0]).ok()) {
    return SetError(
        res, 404, ctx.large_group ? "LargePersonGroupNotFound" : "PersonGroupNotFound",
        (ctx.large_group ? "large person group '" : "person group '") + p[0] + "' is not found");
  }
  if (p.size() >= 2 && !deps_.galleries->GetPerson(p[0], p[1]).ok()) {
    return SetError(res, 404, "PersonNotFound",
                    "person '" + p[1] + "' is not found in '" + p[0] + "'");
  }
  if (p.size() >= 3 && ctx.route_pattern.find("/persistedfaces/") != std::string_view::npos) {
    return SetError(res, 404, "PersistedFaceNotFound",
                    "face '" + p[2] + "' of person '" + p[1] + "' is not found");
  }
  SetStatusError(res, status);
}

void Api::Train(const httplib::Request& req, httplib::Response& res, const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  if (!req.params.empty()) return SetError(res, 400, "BadArgument", "train takes no parameters");
  GalleryInfo gallery;
  if (GalleryEngine(ctx.path_params[0], res, &gallery, nullptr, ctx.large_group) == nullptr) {
    return;
  }
  res.status = 202;
  if (!TrainIsLongRunning(ctx.api_version)) return;  // v1.0: poll .../training
  const std::string host = req.get_header_value("Host");
  if (!IsPlainHost(host)) {
    return SetError(res, 400, "BadArgument",
                    "a Host header (name or address, optional port) is needed for the "
                    "Operation-Location of the training");
  }
  const TrainingOperation op = training_operations_.Add(ctx.caller.key_id, gallery.name);
  const char* scheme = deps_.options.tls_cert_file.empty() ? "http://" : "https://";
  res.set_header("Operation-Location",
                 scheme + host + "/face/" + ctx.api_version + "/operations/" + op.id);
}

void Api::TrainingStatus(const httplib::Request& req, httplib::Response& res,
                         const CallContext& ctx) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  if (!req.params.empty()) {
    return SetError(res, 400, "BadArgument", "training status takes no parameters");
  }
  auto gallery = store->GetGallery(ctx.path_params[0]);
  if (!gallery.ok()) return SetGalleryError(res, ctx, gallery.status());
  const std::string now = FormatTime(std::chrono::system_clock::now());
  SetJson(res, 200,
          {{"status", "succeeded"},
           {"createdDateTime", FormatTime(gallery->created_at)},
           {"lastActionDateTime", now},
           {"lastSuccessfulTrainingDateTime", now},
           {"message", kNoTrainingNeeded}});
}

void Api::GetOperation(const httplib::Request& req, httplib::Response& res,
                       const CallContext& ctx) {
  if (!req.params.empty()) return SetError(res, 400, "BadArgument", "this takes no parameters");
  const auto op = training_operations_.Find(ctx.caller.key_id, ctx.path_params[0]);
  if (!op) {
    return SetError(res, 404, "NotFound",
                    "no operation '" + ctx.path_params[0].substr(0, 64) +
                        "' (operations are held in memory, for the key that started them)");
  }
  const std::string created = FormatTime(op->created);
  SetJson(res, 200,
          {{"operationId", op->id},
           {"status", "succeeded"},
           {"createdTime", created},
           {"lastActionTime", created},
           {"finishedTime", created},
           {"message", kNoTrainingNeeded}});
}

}  // namespace facet::service
