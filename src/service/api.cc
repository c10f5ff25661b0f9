#include "service/api.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "service/azure_compat.h"
#include "service/transport.h"
#include "service/web_assets.h"

namespace facet::service {
namespace {

using Clock = std::chrono::steady_clock;

// Carried from PreRoute to Handle/Log on the connection's thread.
struct RequestState {
  const httplib::Request* request = nullptr;
  const Route* route = nullptr;
  CallContext context;
  Clock::time_point start;
};
thread_local RequestState t_request;

const char* ScopeName(uint32_t scope) {
  switch (scope) {
    case kScopeDetect: return "detect";
    case kScopeVerify: return "verify";
    case kScopeIdentify: return "identify";
    case kScopeAdmin: return "admin";
    default: return "any";
  }
}

const char* DefaultErrorCode(int status) {
  switch (status) {
    case 400: return "BadArgument";
    case 401: return "Unauthorized";
    case 403: return "PermissionDenied";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 408: return "Timeout";
    case 409: return "Conflict";
    case 411: return "LengthRequired";
    case 413: return "PayloadTooLarge";
    case 414: return "UriTooLong";
    case 415: return "UnsupportedMediaType";
    case 416: return "BadArgument";
    case 429: return "RateLimitExceeded";
    case 431: return "HeadersTooLarge";
    case 501: return "NotImplemented";
    case 503: return "ServerBusy";
    default: return status >= 500 ? "InternalError" : "BadArgument";
  }
}

const char* DefaultErrorMessage(int status) {
  switch (status) {
    case 400: return "the request is malformed";
    case 408: return "the request was not received in time";
    case 413: return "the request body is too large";
    case 414: return "the request URI is too long";
    case 416: return "range requests are not supported";
    case 431: return "the request headers are too large";
    default: return status >= 500 ? "internal error" : "the request was refused";
  }
}

// Whether the request announces a body (which PreRoute may leave unread).
bool AnnouncesBody(const httplib::Request& req, bool* bad_length, uint64_t* length) {
  *bad_length = false;
  *length = 0;
  if (req.has_header("Transfer-Encoding")) return true;
  if (!req.has_header("Content-Length")) return false;
  const std::string value = req.get_header_value("Content-Length");
  if (value.empty() || value.size() > 19 || req.get_header_value_count("Content-Length") != 1) {
    *bad_length = true;
    return true;
  }
  for (char c : value) {
    if (c < '0' || c > '9') {
      *bad_length = true;
      return true;
    }
  }
  *length = std::stoull(value);
  return *length > 0;
}

void CloseAfterResponse(httplib::Response& res) {
  if (ConnectionState* c = ConnectionState::Current()) c->close_after_response = true;
  res.set_header("Connection", "close");
}

// A log field: control characters as '?', cut at `max` bytes, "-" when empty (so that every
// line has the same fields).
std::string Sanitize(std::string_view s, size_t max) {
  if (s.empty()) return "-";
  std::string out;
  for (char c : s.substr(0, max)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace

void SetJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

void SetError(httplib::Response& res, int status, std::string_view code,
              std::string_view message) {
  SetJson(res, status, {{"error", {{"code", code}, {"message", message}}}});
}

void SetStatusError(httplib::Response& res, const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument: SetError(res, 400, "BadArgument", status.message()); return;
    case StatusCode::kNotFound: SetError(res, 404, "NotFound", status.message()); return;
    case StatusCode::kCorruptData: SetError(res, 400, "InvalidImage", status.message()); return;
    case StatusCode::kResourceExhausted:
      SetError(res, 413, "InvalidImageSize", status.message());
      return;
    case StatusCode::kFailedPrecondition:
      if (IsNodeStale(status)) {  // past its lease: another node (or this one soon) answers
        res.set_header("Retry-After", "1");
        SetError(res, 503, "NodeStale", status.message());
        return;
      }
      if (IsStoreUnavailable(status)) {  // the database is down or failing over: retry
        res.set_header("Retry-After", "1");
        SetError(res, 503, "StoreUnavailable", "the gallery store cannot be reached now");
        return;
      }
      SetError(res, 409, "FailedPrecondition", status.message());
      return;
    case StatusCode::kNoFace: SetError(res, 400, "NoFaceDetected", status.message()); return;
    case StatusCode::kStoreCorrupt:
      // The server's data is damaged, not the request: a 500 that names the row for the admin.
      SetError(res, 500, "StoreCorrupt", status.message());
      return;
    case StatusCode::kOk:
    case StatusCode::kCancelled:  // the service cancels nothing; never expected here
    case StatusCode::kInternal: break;
  }
  SetError(res, 500, "InternalError", "internal error");  // details stay out of responses
}

void SetApiError(httplib::Response& res, const ApiError& e) {
  SetError(res, e.status, e.code, e.message);
}

void SetBusy(httplib::Response& res, const Status& status) {
  res.set_header("Retry-After", "1");
  SetError(res, 503, "ServerBusy", status.message());
}

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strict percent-decoding of one path segment ('+' stays '+'); false on a malformed escape.
bool DecodeSegment(std::string_view segment, std::string* out) {
  out->clear();
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out->push_back(segment[i]);
      continue;
    }
    if (i + 2 >= segment.size()) return false;
    const int high = HexDigit(segment[i + 1]);
    const int low = HexDigit(segment[i + 2]);
    if (high < 0 || low < 0) return false;
    out->push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return true;
}

}  // namespace

std::string_view RawPath(std::string_view target) {
  return target.substr(0, target.find('?'));
}

bool MatchRoute(std::string_view pattern, std::string_view raw_path,
                std::vector<std::string>* params) {
  params->clear();
  size_t p = 0, q = 0;
  while (p < pattern.size() && q < raw_path.size()) {
    if (pattern[p] == '{') {
      const size_t close = pattern.find('}', p);
      const size_t end = raw_path.find('/', q);
      const std::string_view segment =
          raw_path.substr(q, end == std::string_view::npos ? end : end - q);
      std::string decoded;
      if (segment.empty() || !DecodeSegment(segment, &decoded) || decoded.empty()) return false;
      params->push_back(std::move(decoded));
      p = close + 1;
      q += segment.size();
      continue;
    }
    if (pattern[p] != raw_path[q]) return false;
    ++p;
    ++q;
  }
  return p == pattern.size() && q == raw_path.size();
}

Api::Api(Deps deps) : deps_(std::move(deps)) {
  routes_ = {
      {"POST", "/detect", kScopeDetect, &Api::Detect, true},
      {"POST", "/verify", kScopeVerify, &Api::Verify, true},
      {"POST", "/redact", kScopeDetect, &Api::Redact, true},
      {"GET", "/models", 0, &Api::Models, false},
      {"POST", "/identify", kScopeIdentify, &Api::Identify, true},
      {"POST", "/findsimilars", kScopeIdentify, &Api::FindSimilarFaces, true},
      {"POST", "/group", kScopeIdentify, &Api::Group, true},
      {"GET", "/operations/{o}", kScopeAdmin, &Api::GetOperation, false},
      {"GET", "/audit", kScopeAdmin, &Api::ReadAudit, false},
      {"GET", "/audit/verify", kScopeAdmin, &Api::VerifyAudit, false},
  };
  // Azure's PersonGroup and LargePersonGroup routes, alike: facet has one kind of group (a
  // gallery), reachable under both names.
  const Route group_routes[] = {
      {"GET", "", kScopeAdmin, &Api::ListGroups, false},
      {"PUT", "/{g}", kScopeAdmin, &Api::CreateGroup, true},
      {"GET", "/{g}", kScopeAdmin, &Api::GetGroup, false},
      {"PATCH", "/{g}", kScopeAdmin, &Api::UpdateGroup, true},
      {"DELETE", "/{g}", kScopeAdmin, &Api::DeleteGroup, false},
      {"POST", "/{g}/train", kScopeAdmin, &Api::Train, false},
      {"GET", "/{g}/training", kScopeAdmin, &Api::TrainingStatus, false},
      {"POST", "/{g}/persons", kScopeAdmin, &Api::AddPerson, true},
      {"GET", "/{g}/persons", kScopeAdmin, &Api::ListPersons, false},
      {"GET", "/{g}/persons/{p}", kScopeAdmin, &Api::GetPerson, false},
      {"PATCH", "/{g}/persons/{p}", kScopeAdmin, &Api::UpdatePerson, true},
      {"DELETE", "/{g}/persons/{p}", kScopeAdmin, &Api::ErasePerson, false},
      {"GET", "/{g}/persons/{p}/export", kScopeAdmin, &Api::ExportPerson, false},
      {"POST", "/{g}/persons/{p}/consents", kScopeAdmin, &Api::GrantConsent, true},
      {"GET", "/{g}/persons/{p}/consents", kScopeAdmin, &Api::ListConsents, false},
      {"DELETE", "/{g}/persons/{p}/consents/{c}", kScopeAdmin, &Api::RevokeConsent, false},
      {"POST", "/{g}/persons/{p}/persistedfaces", kScopeAdmin, &Api::AddFace, true},
      {"GET", "/{g}/persons/{p}/persistedfaces", kScopeAdmin, &Api::ListFaces, false},
      {"GET", "/{g}/persons/{p}/persistedfaces/{f}", kScopeAdmin, &Api::GetFace, false},
      {"PATCH", "/{g}/persons/{p}/persistedfaces/{f}", kScopeAdmin, &Api::UpdateFace, true},
      {"DELETE", "/{g}/persons/{p}/persistedfaces/{f}", kScopeAdmin, &Api::DeleteFace, false},
  };
  for (const char* kind : {"/persongroups", "/largepersongroups"}) {
    for (Route r : group_routes) {
      r.pattern = kind + r.pattern;
      routes_.push_back(std::move(r));
    }
  }
}

const Engine* Api::EngineFor(std::string_view model, int* index) const {
  for (size_t i = 0; i < deps_.engines.size(); ++i) {
    if (deps_.engines[i]->recognizer().name == model) {
      if (index != nullptr) *index = static_cast<int>(i);
      return deps_.engines[i].get();
    }
  }
  return nullptr;
}

httplib::Server::HandlerResponse Api::PreRoute(const httplib::Request& req,
                                               httplib::Response& res) {
  using HR = httplib::Server::HandlerResponse;
  // ExpectContinue ran (and passed) everything below for this request: once is enough (a rate
  // limit counts a request once), and t_request still holds what it found.
  if (ConnectionState* c = ConnectionState::Current(); c != nullptr && c->head_checked) {
    c->head_checked = false;
    return HR::Unhandled;
  }
  t_request = RequestState{};
  t_request.request = &req;
  t_request.start = Clock::now();
  res.set_header("Cache-Control", "no-store");
  // Range requests are not served (RFC 9110 lets a server ignore Range and send the whole
  // representation; facet's answers are small JSON documents and pages). cpp-httplib 0.11 would
  // cut every routed response to the range, an error's JSON included: the fuzzer found a 400
  // reduced to the 2 bytes '{"' (tests/fuzz/service_seeds/range_header). The Request is
  // httplib's own non-const local, handed here as const, so clearing its parsed ranges is
  // well-defined.
  const_cast<httplib::Request&>(req).ranges.clear();

  bool bad_length = false;
  uint64_t length = 0;
  const bool has_body = AnnouncesBody(req, &bad_length, &length);
  // Every refusal below leaves an announced body unread: close the connection after answering.
  auto refuse = [&](int status, std::string_view code, std::string_view message) {
    SetError(res, status, code, message);
    if (has_body) CloseAfterResponse(res);
    return HR::Handled;
  };
  if (auto e = CheckRequestHead(req)) return refuse(e->status, e->code, e->message);
  if (bad_length) return refuse(400, "BadArgument", "malformed Content-Length");
  if (req.has_header("Transfer-Encoding") && req.has_header("Content-Length")) {
    return refuse(400, "BadArgument", "both Content-Length and Transfer-Encoding");
  }

  // Static files and the health check: no key, no body.
  if (req.path.rfind("/face/", 0) != 0) {
    if (req.method != "GET" && req.method != "HEAD") {
      res.set_header("Allow", "GET, HEAD");
      return refuse(405, "MethodNotAllowed", "only GET is allowed here");
    }
    if (has_body) return refuse(400, "BadArgument", "a GET request has no body");
    if (req.path == "/health") {
      SetJson(res, 200, {{"status", "ok"}});
      return HR::Handled;
    }
    if (req.path == "/readyz") {  // ready to answer (load balancers' health check)
      const Status ready = deps_.options.ready_check ? deps_.options.ready_check() : Status::Ok();
      if (ready.ok()) {
        SetJson(res, 200, {{"status", "ready"}});
      } else {
        SetJson(res, 503, {{"status", "not ready"}, {"reason", StatusCodeName(ready.code())}});
      }
      return HR::Handled;
    }
    const WebAsset* asset = deps_.options.web_ui ? FindWebAsset(req.path) : nullptr;
    if (asset == nullptr) return refuse(404, "NotFound", "no such page");
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
    return HR::Handled;
  }

  // API routes: /face/{version}/..., every version served alike (docs/service.md).
  std::string_view version, api_path;
  // Routes match the raw (still percent-encoded) path, so that an id holding an escaped '/' is
  // one segment; each id segment is decoded by MatchRoute.
  if (!SplitVersionedPath(RawPath(req.target), &version, &api_path)) {
    return refuse(404, "NotFound", "no such endpoint");
  }
  if (!IsApiVersion(version)) {
    return refuse(404, "NotFound",
                  "no such API version (facet serves /face/{" + ApiVersionList() + "}/...)");
  }
  t_request.context.api_version = std::string(version);
  const Route* route = nullptr;
  bool path_known = false;
  std::string allowed;
  for (const Route& r : routes_) {
    if (!MatchRoute(r.pattern, api_path, &t_request.context.path_params)) continue;
    path_known = true;
    allowed += (allowed.empty() ? "" : ", ") + std::string(r.method);
    // HEAD is GET without the content (RFC 9110: every GET resource takes it).
    if (req.method == r.method || (req.method == "HEAD" && std::string_view(r.method) == "GET")) {
      route = &r;
      break;
    }
  }
  if (route == nullptr) {
    if (!path_known) return refuse(404, "NotFound", "no such endpoint");
    if (allowed.find("GET") != std::string::npos) allowed += ", HEAD";
    res.set_header("Allow", allowed);
    return refuse(405, "MethodNotAllowed", "use " + allowed + " for this endpoint");
  }
  if (route->has_body && has_body && length > static_cast<uint64_t>(deps_.options.max_body_bytes)) {
    return refuse(413, "PayloadTooLarge",
                  "the request body exceeds " + std::to_string(deps_.options.max_body_bytes) +
                      " bytes");
  }
  if (!route->has_body && has_body) return refuse(400, "BadArgument", "this request has no body");
  if (route->has_body && has_body && length > kMaxJsonBytes &&
      MediaType(req.get_header_value("Content-Type")) == "application/json") {
    return refuse(413, "PayloadTooLarge", "a JSON body is at most 1 MiB");
  }

  // Authentication. A key that needs an Argon2id evaluation (not verified recently) is checked
  // while its client address or its key id still has failures to spend: a flood of forged keys
  // cannot burn the CPU (an unknown id costs no evaluation, and each known id and each address
  // only a few a second), and forged secrets for one key id hold up neither other keys from the
  // same address (loopback, a proxy) nor that key from other addresses. Valid keys in the cache
  // are never held up.
  const ServiceOptions& o = deps_.options;
  // One key per request: with two (a header repeated, or both headers naming different keys),
  // which one is checked would be a guess.
  const std::string subscription_key =
      PresentedKey(req.get_header_value("Ocp-Apim-Subscription-Key"), "");
  const std::string bearer_key = PresentedKey("", req.get_header_value("Authorization"));
  if (req.get_header_value_count("Ocp-Apim-Subscription-Key") > 1 ||
      req.get_header_value_count("Authorization") > 1 ||
      (!subscription_key.empty() && !bearer_key.empty() && subscription_key != bearer_key)) {
    return refuse(400, "BadArgument",
                  "send one API key, in Ocp-Apim-Subscription-Key or Authorization: Bearer");
  }
  // PresentedKey's order: Azure's header first.
  const std::string& presented = subscription_key.empty() ? bearer_key : subscription_key;
  if (presented.empty()) {
    res.set_header("WWW-Authenticate", "Bearer");
    return refuse(401, "Unauthorized",
                  "an API key is required: send it in Ocp-Apim-Subscription-Key or "
                  "Authorization: Bearer (facet serve keys add)");
  }
  Caller& caller = t_request.context.caller;
  double blocked = 0;
  const std::string address_bucket = "address " + req.remote_addr;
  const AuthOutcome outcome = deps_.auth->Authenticate(
      presented, &caller,
      [&](const std::string& key_id) {
        blocked = std::min(auth_failure_limiter_.Peek(address_bucket, o.auth_failures_per_second,
                                                      o.auth_failure_burst),
                           auth_failure_limiter_.Peek("key " + key_id, o.auth_failures_per_second,
                                                      o.auth_failure_burst));
        return blocked <= 0;
      },
      [&](const std::string& key_id) {
        (void)auth_failure_limiter_.Acquire(address_bucket, o.auth_failures_per_second,
                                            o.auth_failure_burst);
        (void)auth_failure_limiter_.Acquire("key " + key_id, o.auth_failures_per_second,
                                            o.auth_failure_burst);
      });
  if (outcome == AuthOutcome::kThrottled) {
    res.set_header("Retry-After", std::to_string(static_cast<int>(std::ceil(blocked))));
    return refuse(429, "RateLimitExceeded",
                  "too many failed authentications with this key id from this address");
  }
  if (outcome != AuthOutcome::kOk) {
    res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return refuse(401, "Unauthorized", "the API key is not valid (unknown, revoked or malformed)");
  }
  if (route->scope != 0 && (caller.scopes & route->scope) == 0) {
    return refuse(403, "PermissionDenied",
                  std::string("this API key lacks the '") + ScopeName(route->scope) + "' scope");
  }
  const double rate = caller.rate_per_second > 0 ? caller.rate_per_second : o.rate_per_second;
  const int burst = caller.burst > 0 ? caller.burst : o.burst;
  const double wait = key_limiter_.Acquire(caller.key_id, rate, burst);
  if (wait > 0) {
    res.set_header("Retry-After", std::to_string(static_cast<int>(std::ceil(wait))));
    return refuse(429, "RateLimitExceeded", "this API key's rate limit is exceeded");
  }
  t_request.route = route;
  t_request.context.route_pattern = route->pattern;
  t_request.context.large_group = route->pattern.starts_with("/largepersongroups");
  return HR::Unhandled;
}

void Api::Handle(const httplib::Request& req, httplib::Response& res) {
  if (t_request.request != &req || t_request.route == nullptr) {
    SetError(res, 500, "InternalError", "internal error");
    return;
  }
  // Read-your-writes (docs/service.md): wait until this node applied the change the client
  // saw its write commit.
  if (req.has_header(kMinChangeHeader)) {
    const std::string text = req.get_header_value(kMinChangeHeader);
    int64_t change = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), change);
    if (error != std::errc() || end != text.data() + text.size() || change < 0) {
      return SetError(res, 400, "BadArgument",
                      std::string(kMinChangeHeader) + " must be a change number (0 or more)");
    }
    if (deps_.galleries) {
      const Status applied = deps_.galleries->WaitForChange(
          change, std::chrono::milliseconds(deps_.options.change_wait_ms));
      if (!applied.ok()) {
        res.set_header("Retry-After", "1");
        return SetError(res, 503, "ChangeNotApplied", applied.message());
      }
    }
  }
  try {
    (this->*(t_request.route->handler))(req, res, t_request.context);
  } catch (const std::exception&) {
    SetError(res, 500, "InternalError", "internal error");
  }
  if (res.status < 100) SetError(res, 500, "InternalError", "internal error");
  // A change to a person group says which change number covers it.
  const std::string_view pattern = t_request.route->pattern;
  if (req.method != "GET" && req.method != "HEAD" && res.status >= 200 && res.status < 300 &&
      deps_.galleries &&
      (pattern.starts_with("/persongroups") || pattern.starts_with("/largepersongroups"))) {
    if (const int64_t change = deps_.galleries->LastCommittedChange(); change > 0) {
      res.set_header(kChangeHeader, std::to_string(change));
    }
  }
}

int Api::ExpectContinue(const httplib::Request& req, httplib::Response& res) {
  ConnectionState* connection = ConnectionState::Current();
  if (connection == nullptr) return 100;  // outside the transport (the fuzzer): as httplib does
  if (PreRoute(req, res) == httplib::Server::HandlerResponse::Handled) return res.status;
  connection->head_checked = true;
  return 100;
}

httplib::Server::HandlerResponse Api::FillError(const httplib::Request& /*req*/,
                                                httplib::Response& res) {
  if (const ConnectionState* c = ConnectionState::Current()) {
    if (c->limit_hit != ReadLimit::kNone) {
      res.status = StatusForLimit(c->limit_hit);
      res.body.clear();
      res.set_header("Connection", "close");
    }
  }
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  // An error httplib found itself (malformed request line or headers, bad ranges, ...): the
  // client does not speak HTTP as we do; do not keep its connection.
  CloseAfterResponse(res);
  SetError(res, res.status, DefaultErrorCode(res.status), DefaultErrorMessage(res.status));
  return httplib::Server::HandlerResponse::Handled;
}

void Api::Log(const httplib::Request& req, const httplib::Response& res) {
  if (!deps_.options.access_log) return;
  const double ms =
      t_request.request == &req
          ? std::chrono::duration<double, std::milli>(Clock::now() - t_request.start).count()
          : 0.0;
  const std::string key =
      t_request.request == &req && !t_request.context.caller.key_id.empty()
          ? t_request.context.caller.key_id
          : "-";
  char when[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  // httplib fills remote_addr only for a request it could parse.
  const ConnectionState* connection = ConnectionState::Current();
  const std::string& address =
      req.remote_addr.empty() && connection != nullptr ? connection->peer_address : req.remote_addr;
  char line[512];
  std::snprintf(line, sizeof line, "%s %s %s %s %d %.1fms key=%s", when,
                Sanitize(address, 64).c_str(), Sanitize(req.method, 16).c_str(),
                Sanitize(req.path, 200).c_str(), res.status, ms, key.c_str());
  deps_.options.access_log(line);
}

void InstallApi(httplib::Server& server, Api* api, bool tls) {
  httplib::Headers headers = {
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"}};
  if (tls) headers.emplace("Strict-Transport-Security", "max-age=31536000");
  server.set_default_headers(headers);
  server.set_pre_routing_handler(
      [api](const httplib::Request& req, httplib::Response& res) { return api->PreRoute(req, res); });
  server.set_expect_100_continue_handler(
      [api](const httplib::Request& req, httplib::Response& res) {
        return api->ExpectContinue(req, res);
      });
  const auto handle = [api](const httplib::Request& req, httplib::Response& res) {
    api->Handle(req, res);
  };
  server.Get("/face/.*", handle);
  server.Post("/face/.*", handle);
  server.Put("/face/.*", handle);
  server.Patch("/face/.*", handle);
  server.Delete("/face/.*", handle);
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [api](const httplib::Request& req, httplib::Response& res) { return api->FillError(req, res); }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
        SetError(res, 500, "InternalError", "internal error");
      });
  server.set_logger(
      [api](const httplib::Request& req, const httplib::Response& res) { api->Log(req, res); });

}

}  // namespace facet::service
