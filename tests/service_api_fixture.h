// The fixture of the HTTP API tests (service_api_test.cc, service_auth_test.cc): a real Service
// (engine, keys, one worker) on a free loopback port, its access log kept, and a client.
#ifndef FACET_TESTS_SERVICE_API_FIXTURE_H_
#define FACET_TESTS_SERVICE_API_FIXTURE_H_

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "facet/api_keys.h"
#include "facet/engine.h"
#include "facet/service.h"
#include "samples.h"
#include "service_client.h"

namespace facet::fixtures {

using nlohmann::json;

inline std::string Sample(int i) { return ReadFile(SamplePath(i)); }

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/facet_api_test_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::shared_ptr<const Engine> SharedEngine() {
  static std::shared_ptr<const Engine> engine = [] {
    auto e = Engine::Create({.model_dir = FACET_MODEL_DIR, .num_threads = 1});
    return e.ok() ? e.value() : nullptr;
  }();
  return engine;
}

// A running service with three keys: all scopes, detect only, and a slow one (1 request/s).
class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(SharedEngine(), nullptr) << "models missing: run scripts/models.sh";
    keys_file_ = dir_.File("keys.json");
    full_ = Add("full", kScopeAll);
    detect_only_ = Add("detector", kScopeDetect);
    slow_ = AddApiKey(keys_file_,
                      {.name = "slow", .scopes = kScopeAll, .rate_per_second = 0.2, .burst = 2})
                .value()
                .key;
    ServiceOptions options = Options();
    auto created = Service::Create(options, {SharedEngine()});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    service_ = std::move(created).value();
    ASSERT_TRUE(service_->Start().ok());
  }
  void TearDown() override { service_.reset(); }

  ServiceOptions Options() {
    ServiceOptions o;
    o.port = 0;
    o.api_key_file = keys_file_;
    o.workers = 1;
    o.max_body_bytes = 4 << 20;
    o.max_header_bytes = 8 << 10;
    o.request_timeout_ms = 3000;
    o.idle_timeout_ms = 1000;
    o.auth_failures_per_second = 0.5;
    o.auth_failure_burst = 5;
    o.access_log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_.push_back(line);
    };
    return o;
  }

  std::string Add(const std::string& name, uint32_t scopes) {
    auto made = AddApiKey(keys_file_, {.name = name, .scopes = scopes});
    EXPECT_TRUE(made.ok());
    return made->key;
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", service_->port());
    c.set_read_timeout(30, 0);
    return c;
  }

  httplib::Result Post(const std::string& path, const std::string& body, const std::string& type,
                       const std::string& key) {
    httplib::Headers h;
    if (!key.empty()) h.emplace("Ocp-Apim-Subscription-Key", key);
    return Client().Post(path, h, body, type);
  }

  json Detect(const std::string& image, const std::string& query = "") {
    auto res = Post("/face/v1.0/detect" + query, image, "application/octet-stream", full_);
    EXPECT_TRUE(res);
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body);
  }

  // Status and error code of a response (code empty for success).
  static std::pair<int, std::string> Outcome(const httplib::Result& res) {
    return fixtures::ErrorOutcome(res);
  }

  bool Healthy() {
    auto res = Client().Get("/health");
    return res && res->status == 200;
  }

  TempDir dir_;
  std::string keys_file_;
  std::string full_, detect_only_, slow_;
  std::unique_ptr<Service> service_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

}  // namespace facet::fixtures

#endif  // FACET_TESTS_SERVICE_API_FIXTURE_H_
