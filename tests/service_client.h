// An HTTP client for the service tests: one request with an API key, and readers of the answer.
#ifndef FACET_TESTS_SERVICE_CLIENT_H_
#define FACET_TESTS_SERVICE_CLIENT_H_

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace facet::fixtures {

// `method` `path` on the service at 127.0.0.1:`port` with `key` (Ocp-Apim-Subscription-Key);
// `body` of content type `type` for PUT, PATCH and POST.
inline httplib::Result CallService(int port, const std::string& method, const std::string& path,
                                   const std::string& body, const std::string& type,
                                   const std::string& key) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60, 0);
  httplib::Headers h{{"Ocp-Apim-Subscription-Key", key}};
  if (method == "GET") return c.Get(path, h);
  if (method == "DELETE") return c.Delete(path, h);
  if (method == "PUT") return c.Put(path, h, body, type);
  if (method == "PATCH") return c.Patch(path, h, body, type);
  return c.Post(path, h, body, type);
}

// The body of a 200 answer (fails the test otherwise).
inline nlohmann::json OkBody(const httplib::Result& res) {
  EXPECT_TRUE(res);
  if (!res) return nlohmann::json();
  EXPECT_EQ(res->status, 200) << res->body;
  return nlohmann::json::parse(res->body, nullptr, false);
}

// Status and error code of an answer (code empty for success).
inline std::pair<int, std::string> ErrorOutcome(const httplib::Result& res) {
  if (!res) return {0, "no response"};
  const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  std::string code;
  if (body.is_object() && body.contains("error")) code = body["error"].value("code", "");
  return {res->status, code};
}

// The error message of an answer ("" when there is none).
inline std::string ErrorMessage(const httplib::Result& res) {
  if (!res) return "";
  const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  return body.is_object() && body.contains("error") ? body["error"].value("message", "") : "";
}

}  // namespace facet::fixtures

#endif  // FACET_TESTS_SERVICE_CLIENT_H_
