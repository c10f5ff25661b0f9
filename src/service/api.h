// The API layer of the service: routing, authentication, scopes, rate limits, JSON errors, and
// the endpoint handlers (face_api.cc). Transport-independent enough to be driven directly by the
// fuzzer: it sees httplib::Request / httplib::Response only.
//
// A request goes through PreRoute before its body is read (route lookup, key, scope, rate limit,
// declared length: a refused request never makes the server read its body) and Handle once the
// body is there. Errors are {"error": {"code", "message"}} with the matching status, never 200.
//
// Thread-safety: one Api serves all connection threads; PreRoute and Handle of one request run on
// the same thread (the route and caller pass between them in a thread_local).
#ifndef FACET_SRC_SERVICE_API_H_
#define FACET_SRC_SERVICE_API_H_

#include <chrono>
#include <functional>
#include <span>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "facet/engine.h"
#include "facet/gallery.h"
#include "facet/service.h"
#include "service/auth.h"
#include "service/face_ids.h"
#include "service/inference_pool.h"
#include "service/rate_limit.h"
#include "service/request_parsing.h"
#include "service/training_operations.h"

namespace facet::service {

// Writes {"error": {"code": code, "message": message}} with `status`.
void SetError(httplib::Response& res, int status, std::string_view code,
              std::string_view message);
// Writes `body` as JSON with `status`.
void SetJson(httplib::Response& res, int status, const nlohmann::json& body);
// Maps a facet Status to an HTTP status and error code and writes it.
void SetStatusError(httplib::Response& res, const Status& status);
void SetApiError(httplib::Response& res, const ApiError& e);
// 503 ServerBusy with Retry-After (the inference queue refused the job).
void SetBusy(httplib::Response& res, const Status& status);
std::span<const uint8_t> AsBytes(std::string_view s);
// An encoded image's header checked: 400 InvalidImage if it is not an image, 413
// InvalidImageSize above `max_pixels` (before any worker is queued for).
MaybeError CheckImageHeader(std::string_view bytes, int64_t max_pixels);
// The request's encoded image (RequestImage), its header checked (CheckImageHeader).
MaybeError CheckedRequestImage(const httplib::Request& req, int64_t max_pixels,
                               std::string_view* bytes);

// What a handler gets besides the request.
struct CallContext {
  Caller caller;
  std::vector<std::string> path_params;  // the {...} segments of the route, in order
  std::string api_version;               // "v1.0", "v1.2", ... (azure_compat.h)
  bool large_group = false;              // a /largepersongroups route (named so in answers)
  std::string_view route_pattern;        // the matched Route's pattern
};

// Who acts in the audit log for this request (its key's name, else the key's id) and why.
AuditContext CallerAudit(const CallContext& ctx, std::string purpose = {});

class Api;
using Handler = void (Api::*)(const httplib::Request&, httplib::Response&, const CallContext&);

struct Route {
  const char* method;
  std::string pattern;  // "/persongroups/{personGroupId}" after /face/{version}; {x}: one segment
  uint32_t scope;       // ApiScope the caller needs
  Handler handler;
  bool has_body;        // false: a request body is refused (400)
};

// Read-your-writes (docs/service.md, "Several nodes"): a successful change to a person group
// answers with the change number that covers it; a request may ask to wait for one.
inline constexpr const char* kChangeHeader = "Facet-Change";
inline constexpr const char* kMinChangeHeader = "Facet-Min-Change";

class Api {
 public:
  struct Deps {
    ServiceOptions options;
    std::vector<std::shared_ptr<const Engine>> engines;  // the default recognition model first
    Authenticator* auth = nullptr;
    InferencePool* pool = nullptr;
    FaceIdStore* face_ids = nullptr;
    std::shared_ptr<Galleries> galleries;  // null: no store (gallery endpoints answer 409)
  };
  explicit Api(Deps deps);

  // Before the body is read. Handled: the response is final (and the connection closes if a body
  // was announced). Unhandled: go on reading the body, then Handle (API routes), or serve the
  // static files and /health.
  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req, httplib::Response& res);
  // A request with "Expect: 100-continue": runs PreRoute's checks before httplib answers 100, so
  // that a refused request (401, 413, 429, ...) is answered before the client sends its body.
  // Returns 100 (go on; PreRoute then does not run the checks twice) or the refusal's status
  // (`res` holds the refusal).
  int ExpectContinue(const httplib::Request& req, httplib::Response& res);
  // Once the body is read: runs the route PreRoute found.
  void Handle(const httplib::Request& req, httplib::Response& res);
  // Fills an empty error response (httplib's own 400/413/414... and transport limits) as JSON.
  httplib::Server::HandlerResponse FillError(const httplib::Request& req, httplib::Response& res);
  // One access-log line: never bodies, never query values.
  void Log(const httplib::Request& req, const httplib::Response& res);

  // Endpoints (face_api.cc).
  void Detect(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void Verify(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void Models(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  // Photo redaction (redact_api.cc): the photo back with every face blurred, pixelated or filled.
  void Redact(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);

  // Searches (search_api.cc): faceIds against a gallery or each other.
  void Identify(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void FindSimilarFaces(const httplib::Request& req, httplib::Response& res,
                        const CallContext& ctx);
  void Group(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  // Verify's face-to-person form (a body with personGroupId and personId).
  void VerifyPerson(const nlohmann::json& body, httplib::Response& res, const CallContext& ctx);

  // Person groups (galleries), persons, consents, faces, audit (gallery_api.cc).
  void ListGroups(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void CreateGroup(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void GetGroup(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void DeleteGroup(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void AddPerson(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void ListPersons(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void GetPerson(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void UpdatePerson(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void ErasePerson(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void ExportPerson(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void GrantConsent(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void ListConsents(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void RevokeConsent(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void UpdateGroup(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  // A person's persisted faces (persisted_face_api.cc).
  void AddFace(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void ListFaces(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void GetFace(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void UpdateFace(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void DeleteFace(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  // Training (group_api.cc): facet's index needs none; Azure clients get the answers of a
  // training that already succeeded, as a long-running operation where Azure's version has one.
  void Train(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void TrainingStatus(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void GetOperation(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void ReadAudit(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);
  void VerifyAudit(const httplib::Request& req, httplib::Response& res, const CallContext& ctx);

  const Deps& deps() const { return deps_; }

 private:
  // Decodes `bytes` (within the server's pixel and byte limits) on an inference worker and runs
  // `work` on the image there, unless the client hung up while the job was queued. False after
  // writing the error response: 503 busy, 408 client gone, or the decode's or work's failure
  // (a thrown exception answers 500).
  bool RunOnDecodedImage(std::string_view bytes, httplib::Response& res,
                         const std::function<Status(WorkerSessions&, Image&)>& work) const;
  // The engine of a recognition model name; null if not offered.
  const Engine* EngineFor(std::string_view model, int* index) const;
  // The engine of a recognition model as a client names it: facet's name, Azure's
  // (recognition_01..04, azure_compat.h) or empty for the default; null if not offered.
  const Engine* RecognitionEngine(std::string_view name, int* index) const;
  std::string OfferedRecognitionModels() const;
  // The gallery store, or null after answering 409 NoGalleryStore.
  Galleries* Store(httplib::Response& res) const;
  // The engine a gallery's templates come from, or null after answering 404 (no gallery) or
  // 409 ModelMismatch (this server does not offer the gallery's model and version).
  // `large`: name the group a large person group in a 404 (LargePersonGroupNotFound).
  const Engine* GalleryEngine(const std::string& gallery, httplib::Response& res,
                              GalleryInfo* info, int* index, bool large = false) const;
  // Writes a store failure of a person-group route: a kNotFound is told apart as Azure does
  // (PersonGroupNotFound / LargePersonGroupNotFound, PersonNotFound, PersistedFaceNotFound) from
  // the route's path parameters; anything else as SetStatusError.
  void SetGalleryError(httplib::Response& res, const CallContext& ctx, const Status& status) const;
  // The route's {persistedFaceId} (its third parameter); false after answering 404 (Azure's code
  // for whichever of group, person or face is missing).
  bool ParseFaceId(const CallContext& ctx, httplib::Response& res, int64_t* face_id) const;

  Deps deps_;
  std::vector<Route> routes_;
  TrainingOperations training_operations_;
  RateLimiter key_limiter_;
  RateLimiter auth_failure_limiter_;
};

// The purpose an identification, verification or new person group is audited with: the body's
// "purpose" when it has one (only whitespace is refused as missing), else the purpose declared
// with the caller's API key; 400 PurposeRequired when neither says one. `what` names the request
// in the message ("identify").
MaybeError ResolvePurpose(const nlohmann::json& body, const Caller& caller, std::string_view what,
                          std::string* purpose);

// Routes every request of `server` through `api` (pre-routing, handlers, errors, logging) and
// sets the security headers of every response (HSTS too when `tls`).
void InstallApi(httplib::Server& server, Api* api, bool tls);

// The path of a request target as sent (still percent-encoded), without the query.
std::string_view RawPath(std::string_view target);

// Matches a raw (percent-encoded) path against a route pattern segment by segment and fills
// `params` with the percent-decoded {parameters}: an id holding '/' is addressed as %2F (httplib's
// decoded req.path cannot tell it from a separator). False on a malformed escape.
bool MatchRoute(std::string_view pattern, std::string_view raw_path,
                std::vector<std::string>* params);

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_API_H_
