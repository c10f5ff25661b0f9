// libFuzzer target: raw bytes as one or more HTTP requests, through cpp-httplib's request parser
// and facet's whole API layer (routing, keys, scopes, limits, query and JSON parsing, image
// bodies and probing), with no model: inference is refused (0 workers) so every path up to it is
// reached quickly. The text "@K" in the input stands for a valid API key (every scope). A gallery
// store in a temporary directory holds person group "g" (of a model this harness does not offer,
// so searches stop at 409 ModelMismatch) with person "p" and a consent: the person-group, person,
// consent and audit routes run for real.
//
// Properties checked beyond the sanitizers: every request gets an HTTP response, never a 500 (an
// unhandled error), and every error body is JSON {"error": {"code", "message"}}.
//
// Build and run: bash scripts/fuzz.sh [seconds] (preset "fuzz", clang-14).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "facet/api_keys.h"
#include "service/api.h"
#include "service/request_parsing.h"

namespace facet::service {
namespace {

// Reads requests from the fuzz input; collects what the server writes.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string input) : input_(std::move(input)) {}
  bool is_readable() const override { return pos_ < input_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, input_.size() - pos_);
    std::memcpy(ptr, input_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    output_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return 3; }
  bool exhausted() const { return pos_ >= input_.size(); }
  size_t position() const { return pos_; }
  std::string& output() { return output_; }

 private:
  std::string input_;
  size_t pos_ = 0;
  std::string output_;
};

class FuzzServer : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

struct Harness {
  std::string key;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<InferencePool> pool;
  std::unique_ptr<FaceIdStore> face_ids;
  std::shared_ptr<Galleries> galleries;
  std::unique_ptr<Api> api;
  FuzzServer server;
  std::string store_dir;

  Harness() {
    auto made = MakeApiKey({.name = "fuzz", .scopes = kScopeAll});
    if (!made.ok()) std::abort();
    key = made->key;
    AuthOptions auth_options;
    auth_options.memory_keys.push_back(made->record);
    auth = std::move(Authenticator::Create(auth_options)).value();
    pool = std::move(InferencePool::Create({}, {.workers = 0})).value();
    face_ids = std::make_unique<FaceIdStore>(16, std::chrono::seconds(60));
    char dir[] = "/tmp/facet_fuzz_store_XXXXXX";
    if (::mkdtemp(dir) == nullptr) std::abort();
    store_dir = dir;
    auto opened = Galleries::Create({.store = store_dir + "/store.db",
                                     .master_key_hex = std::string(64, 'a')});
    if (!opened.ok()) std::abort();
    galleries = std::move(opened).value();
    const AuditContext who{.actor = "fuzz", .purpose = "seed"};
    const RecognizerInfo model{.name = "fuzz-model", .version = "1", .dimensions = 4,
                               .threshold_fmr_1e3 = 0.5F, .threshold_fmr_1e4 = 0.6F};
    if (!galleries->CreateGallery({.name = "g", .purpose = "fuzz"}, model, who).ok() ||
        !galleries->AddPerson("g", {.person_id = "p"}, who).ok() ||
        !galleries->GrantConsent("g", "p", {.granted_by = "p", .purpose = "fuzz"}, who).ok()) {
      std::abort();
    }
    // One face (id 1, with userData), so the persisted-face routes reach the store.
    EnrollRequest face{.gallery = "g", .person_id = "p"};
    face.embedding = {.model = "fuzz-model", .values = {1, 0, 0, 0}, .model_version = "1"};
    face.source_sha256 = std::string(64, 'b');
    face.user_data = "u";
    if (!galleries->Enroll(face, who).ok()) std::abort();
    Api::Deps deps;
    deps.options.max_body_bytes = 1 << 20;
    deps.options.max_pixels = 4'000'000;
    deps.options.rate_per_second = 1e9;
    deps.options.burst = 1'000'000'000;
    // One forged key may cost an Argon2id evaluation; after that the address is throttled, so
    // the fuzzer does not spend its time hashing.
    deps.options.auth_failures_per_second = 1e-9;
    deps.options.auth_failure_burst = 1;
    deps.auth = auth.get();
    deps.pool = pool.get();
    deps.face_ids = face_ids.get();
    deps.galleries = galleries;
    api = std::make_unique<Api>(std::move(deps));
    server.set_payload_max_length(1 << 20);
    InstallApi(server, api.get(), false);
  }
};

[[noreturn]] void Fail(const char* why, const std::string& out) {
  std::fprintf(stderr, "%s:\n%s\n", why, out.c_str());
  std::abort();
}

// Walks the responses written: each is "HTTP/1.1 NNN ...", headers, Content-Length bytes.
void CheckResponses(const std::string& out) {
  size_t pos = 0;
  while (pos < out.size()) {
    if (out.compare(pos, 9, "HTTP/1.1 ") != 0) Fail("not an HTTP response", out);
    const int status = std::atoi(out.substr(pos + 9, 3).c_str());
    if (status == 500) Fail("500 answered", out);
    const size_t head_end = out.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) Fail("response head not terminated", out);
    const std::string head = out.substr(pos, head_end - pos);
    const size_t cl = head.find("\r\nContent-Length: ");
    size_t length = cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 18, nullptr, 10);
    // A response to HEAD announces a length but carries no body.
    const bool bodiless = out.compare(head_end + 4, 9, "HTTP/1.1 ") == 0 || head_end + 4 == out.size();
    if (bodiless) length = 0;
    const std::string body = out.substr(head_end + 4, length);
    if (bodiless) {
      // nothing to check
    } else if (status >= 400 && head.find("Content-Type: application/json") != std::string::npos) {
      const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
      if (j.is_discarded() || !j.contains("error") || !j["error"].contains("code") ||
          !j["error"].contains("message")) {
        Fail("error body is not {\"error\": {\"code\", \"message\"}}", out);
      }
    } else if (status >= 400) {
      Fail("error without a JSON body", out);
    }
    pos = head_end + 4 + length;
  }
}

}  // namespace
}  // namespace facet::service

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facet::service;
  static Harness* harness = [] {
    auto* h = new Harness();
    // The store lives as long as the process; remove its files at exit.
    static const std::string dir = h->store_dir;
    std::atexit([] { std::filesystem::remove_all(dir); });
    return h;
  }();
  std::string input(reinterpret_cast<const char*>(data), size);
  for (size_t at = input.find("@K"); at != std::string::npos; at = input.find("@K", at)) {
    input.replace(at, 2, harness->key);
    at += harness->key.size();
  }
  // The pure parsers on the raw bytes too.
  {
    httplib::Request req;
    req.set_header("Content-Type", "application/json");
    req.body = input;
    nlohmann::json body;
    if (!ParseJsonObject(req, &body).has_value()) {
      std::string id;
      std::vector<std::string> ids;
      (void)GetFaceId(body, "faceId1", &id);
      (void)GetFaceIdList(body, "faceIds", 1000, &ids);
      (void)CheckKnownFields(body, {"faceId1", "faceId2"});
    }
  }
  MemoryStream stream(std::move(input));
  for (int i = 0; i < 8 && !stream.exhausted(); ++i) {
    const size_t before = stream.position();
    bool closed = false;
    if (!harness->server.process_request(stream, false, closed, nullptr) || closed) break;
    if (stream.position() == before) break;
  }
  CheckResponses(stream.output());
  return 0;
}
