// The HTTP API's keys end to end: per-key rate limits, one key per request, failed keys
// throttled without locking out others, TLS and keys off loopback, the one-off loopback key,
// and an access log that holds no secret, face or query.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "facet/api_keys.h"
#include "facet/service.h"
#include "service/test_tls.h"
#include "service_api_fixture.h"

namespace facet {
namespace {

using fixtures::ApiTest;
using fixtures::json;
using fixtures::Sample;
using fixtures::SharedEngine;
using fixtures::TempDir;

TEST_F(ApiTest, PerKeyRateLimitAnswers429) {
  httplib::Headers h = {{"Ocp-Apim-Subscription-Key", slow_}};
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) {
    auto res = Client().Get("/face/v1.0/models", h);
    ASSERT_TRUE(res);
    statuses.push_back(res->status);
    if (res->status == 429) {
      EXPECT_FALSE(res->get_header_value("Retry-After").empty());
      EXPECT_EQ(Outcome(res).second, "RateLimitExceeded");
    }
  }
  EXPECT_EQ(statuses[0], 200);
  EXPECT_EQ(statuses[1], 200);
  EXPECT_EQ(statuses[3], 429);
  // Other keys are not affected.
  auto other =
      Client().Get("/face/v1.0/models", httplib::Headers{{"Ocp-Apim-Subscription-Key", full_}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
}

TEST_F(ApiTest, TwoDifferentKeysInOneRequestAreRefused) {
  const std::string models = "/face/v1.0/models";
  auto status = [&](const httplib::Headers& headers) {
    auto res = Client().Get(models, headers);
    return res ? res->status : -1;
  };
  // The header twice (the first used to win: detect-only then all scopes was 403, the other
  // order 200), or both headers with different keys: 400 either way.
  EXPECT_EQ(
      status({{"Ocp-Apim-Subscription-Key", detect_only_}, {"Ocp-Apim-Subscription-Key", full_}}),
      400);
  EXPECT_EQ(
      status({{"Ocp-Apim-Subscription-Key", full_}, {"Authorization", "Bearer " + detect_only_}}),
      400);
  // The same key in both is one key.
  EXPECT_EQ(status({{"Ocp-Apim-Subscription-Key", full_}, {"Authorization", "Bearer " + full_}}),
            200);
}

TEST_F(ApiTest, RepeatedBadKeysAreThrottled) {
  const std::string wrong = "fk_" + full_.substr(3, 12) + "_" + std::string(43, 'B');
  int throttled = 0;
  for (int i = 0; i < 10; ++i) {
    auto res =
        Client().Get("/face/v1.0/models", httplib::Headers{{"Authorization", "Bearer " + wrong}});
    ASSERT_TRUE(res);
    EXPECT_TRUE(res->status == 401 || res->status == 429) << res->status;
    throttled += res->status == 429 ? 1 : 0;
  }
  EXPECT_GE(throttled, 4);
  // Forged secrets for one key id lock out no other key from the same address, even one that
  // needs its Argon2id check (never used before: not in the cache).
  auto other = Client().Get("/face/v1.0/models",
                            httplib::Headers{{"Ocp-Apim-Subscription-Key", detect_only_}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  // Forged keys spread over many key ids still cost few evaluations: the address's budget is
  // spent, and each id has its own.
  const std::string wrong_slow = "fk_" + slow_.substr(3, 12) + "_" + std::string(43, 'C');
  int slow_throttled = 0;
  for (int i = 0; i < 10; ++i) {
    auto res = Client().Get("/face/v1.0/models",
                            httplib::Headers{{"Authorization", "Bearer " + wrong_slow}});
    ASSERT_TRUE(res);
    slow_throttled += res->status == 429 ? 1 : 0;
  }
  EXPECT_GE(slow_throttled, 4);
}

TEST(ServiceSecurity, NonLoopbackNeedsTlsAndKeys) {
  ASSERT_NE(SharedEngine(), nullptr);
  TempDir dir;
  ASSERT_TRUE(service::testing::WriteSelfSignedCertificate(dir.File("c.pem"), dir.File("k.pem")));
  ServiceOptions o;
  o.api_key_file = dir.File("keys.json");
  o.port = 0;
  o.host = "0.0.0.0";
  EXPECT_EQ(Service::Create(o, {SharedEngine()}).status().code(), StatusCode::kFailedPrecondition);
  o.tls_cert_file = dir.File("c.pem");
  o.tls_key_file = dir.File("k.pem");
  EXPECT_EQ(Service::Create(o, {SharedEngine()}).status().code(), StatusCode::kFailedPrecondition)
      << "TLS without keys";
  o.tls_cert_file.clear();
  o.tls_key_file.clear();
  ASSERT_TRUE(AddApiKey(o.api_key_file, {.name = "k", .scopes = kScopeDetect}).ok());
  EXPECT_EQ(Service::Create(o, {SharedEngine()}).status().code(), StatusCode::kFailedPrecondition)
      << "keys without TLS";
  o.host = "192.168.1.10";
  EXPECT_EQ(Service::Create(o, {SharedEngine()}).status().code(), StatusCode::kFailedPrecondition);
  o.tls_cert_file = dir.File("c.pem");
  o.tls_key_file = dir.File("k.pem");
  o.host = "0.0.0.0";
  EXPECT_TRUE(Service::Create(o, {SharedEngine()}).ok()) << "TLS and keys: allowed";
  o.tls_key_file.clear();
  EXPECT_EQ(Service::Create(o, {SharedEngine()}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1") && IsLoopbackHost("127.8.0.1") && IsLoopbackHost("::1") &&
              IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0") || IsLoopbackHost("::") || IsLoopbackHost("10.0.0.1") ||
               IsLoopbackHost("128.0.0.1") || IsLoopbackHost("example.com"));
}

TEST(ServiceSecurity, LoopbackWithoutKeysUsesAOneOffKey) {
  ASSERT_NE(SharedEngine(), nullptr);
  TempDir dir;
  ServiceOptions o;
  o.api_key_file = dir.File("keys.json");
  o.port = 0;
  std::string ephemeral;
  o.on_ephemeral_key = [&](const std::string& key) { ephemeral = key; };
  o.access_log = [](const std::string&) {};
  auto service = Service::Create(o, {SharedEngine()});
  ASSERT_TRUE(service.ok());
  ASSERT_FALSE(ephemeral.empty());
  EXPECT_FALSE(std::filesystem::exists(o.api_key_file)) << "the one-off key is never written";
  ASSERT_TRUE((*service)->Start().ok());
  httplib::Client client("127.0.0.1", (*service)->port());
  auto without = client.Get("/face/v1.0/models");
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 401);
  auto with =
      client.Get("/face/v1.0/models", httplib::Headers{{"Authorization", "Bearer " + ephemeral}});
  ASSERT_TRUE(with);
  EXPECT_EQ(with->status, 200);
  (*service)->Stop();

  o.ephemeral_key_when_none = false;
  ephemeral.clear();
  auto strict = Service::Create(o, {SharedEngine()});
  ASSERT_TRUE(strict.ok());
  EXPECT_TRUE(ephemeral.empty());
}

TEST_F(ApiTest, TheLogHoldsNoSecretsNoFacesNoQueries) {
  json faces = Detect(Sample(1), "?returnFaceId=true&returnFaceLandmarks=true");
  ASSERT_FALSE(faces.empty());
  (void)Post("/face/v1.0/detect", Sample(1), "image/jpeg",
             "fk_0123456789ab_" + std::string(43, 'S'));
  service_->Stop();
  std::lock_guard<std::mutex> lock(log_mutex_);
  ASSERT_GE(log_.size(), 2u);
  const std::string secret = full_.substr(16);
  for (const std::string& line : log_) {
    EXPECT_EQ(line.find(secret), std::string::npos) << line;
    EXPECT_EQ(line.find(std::string(43, 'S')), std::string::npos) << line;
    EXPECT_EQ(line.find(faces[0]["faceId"].get<std::string>()), std::string::npos) << line;
    EXPECT_EQ(line.find("returnFaceId"), std::string::npos) << line;
    EXPECT_LT(line.size(), 400u);
  }
}

}  // namespace
}  // namespace facet
