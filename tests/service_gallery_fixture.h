// The fixture of the gallery API tests (service_gallery_test.cc, service_azure_test.cc): a real
// Service with a real gallery store (SQLite, master key file, in a fresh temporary folder) on a
// free loopback port, one worker, a generous rate, no access log; and the calls the tests make.
// A test class adds its keys (AddKeys) and may change the options (Configure).
#ifndef FACET_TESTS_SERVICE_GALLERY_FIXTURE_H_
#define FACET_TESTS_SERVICE_GALLERY_FIXTURE_H_

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "facet/api_keys.h"
#include "facet/engine.h"
#include "facet/gallery.h"
#include "facet/service.h"
#include "samples.h"
#include "service_client.h"

namespace facet::fixtures {

class GalleryServiceTest : public ::testing::Test {
 protected:
  using json = nlohmann::json;

  void SetUp() override {
    char tmpl[] = "/tmp/facet_gallery_service_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR, .num_threads = 1});
    ASSERT_TRUE(engine.ok()) << "models missing: run scripts/models.sh";
    engine_ = engine.value();
    auto galleries =
        Galleries::Create({.store = dir_ + "/store.db", .key_file = dir_ + "/master.key"});
    ASSERT_TRUE(galleries.ok()) << galleries.status().ToString();
    galleries_ = std::move(galleries).value();
    keys_file_ = dir_ + "/keys.json";
    AddKeys(keys_file_);
    ServiceOptions o;
    o.port = 0;
    o.api_key_file = keys_file_;
    o.workers = 1;
    o.rate_per_second = 1000;
    o.burst = 1000;
    o.access_log = [](const std::string&) {};
    Configure(o);
    auto service = Service::Create(o, {engine_}, galleries_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(service).value();
    ASSERT_TRUE(service_->Start().ok());
  }
  void TearDown() override {
    service_.reset();
    galleries_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Writes the test's API keys to `keys_file` (facet::AddApiKey) and keeps them.
  virtual void AddKeys(const std::string& keys_file) = 0;
  // Changes the service's options before it is created.
  virtual void Configure(ServiceOptions& /*options*/) {}

  httplib::Result Call(const std::string& method, const std::string& path, const std::string& body,
                       const std::string& type, const std::string& key) {
    return CallService(service_->port(), method, path, body, type, key);
  }
  httplib::Result Json(const std::string& method, const std::string& path, const json& body,
                       const std::string& key) {
    return Call(method, path, body.dump(), "application/json", key);
  }
  static json Ok(const httplib::Result& res) { return OkBody(res); }
  static std::pair<int, std::string> Outcome(const httplib::Result& res) {
    return ErrorOutcome(res);
  }
  static std::string Message(const httplib::Result& res) { return ErrorMessage(res); }
  static std::string Sample(int i) { return ReadFile(SamplePath(i)); }

  std::string dir_, keys_file_;
  std::shared_ptr<const Engine> engine_;
  std::shared_ptr<Galleries> galleries_;
  std::unique_ptr<Service> service_;
};

}  // namespace facet::fixtures

#endif  // FACET_TESTS_SERVICE_GALLERY_FIXTURE_H_
