// The HTTP API end to end: a real Service (engine, keys, workers) on a free loopback port, real
// clients, bad and hostile requests. After every bad request the server must still serve.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "facet/service.h"
#include "service/test_socket.h"
#include "service_api_fixture.h"

namespace facet {
namespace {

using fixtures::ApiTest;
using fixtures::json;
using fixtures::ReadFile;
using fixtures::Sample;
using fixtures::SharedEngine;
using service::testing::RawClient;
using std::chrono::milliseconds;

TEST_F(ApiTest, DetectInAzureShape) {
  const std::string image = Sample(1);
  json faces = Detect(image);
  ASSERT_EQ(faces.size(), 3u);
  for (const json& f : faces) {
    EXPECT_FALSE(f.contains("faceId")) << "faceIds are opt-in";
    EXPECT_FALSE(f.contains("faceLandmarks"));
    for (const char* k : {"top", "left", "width", "height"}) EXPECT_TRUE(f["faceRectangle"][k].is_number_integer());
  }
  const int first_area = faces[0]["faceRectangle"]["width"].get<int>() *
                         faces[0]["faceRectangle"]["height"].get<int>();
  const int last_area = faces[2]["faceRectangle"]["width"].get<int>() *
                        faces[2]["faceRectangle"]["height"].get<int>();
  EXPECT_GE(first_area, last_area) << "largest face first";

  faces = Detect(image,
                 "?returnFaceLandmarks=true&returnFaceAttributes=qualityForRecognition,headPose,"
                 "qualityDetails&returnRecognitionModel=true");
  ASSERT_EQ(faces.size(), 3u);
  EXPECT_GE(Detect(image, "?detectionModel=recall").size(), 3u);
  const json& f = faces[0];
  for (const char* p : {"pupilLeft", "pupilRight", "noseTip", "mouthLeft", "mouthRight"}) {
    EXPECT_TRUE(f["faceLandmarks"][p]["x"].is_number()) << p;
  }
  EXPECT_LT(f["faceLandmarks"]["pupilLeft"]["x"].get<double>(),
            f["faceLandmarks"]["pupilRight"]["x"].get<double>());
  const std::string q = f["faceAttributes"]["qualityForRecognition"];
  EXPECT_TRUE(q == "low" || q == "medium" || q == "high");
  EXPECT_TRUE(f["faceAttributes"]["headPose"]["yaw"].is_number());
  EXPECT_GT(f["faceAttributes"]["qualityDetails"]["detectionScore"].get<double>(), 0.5);
  const std::string pose_method = f["faceAttributes"]["qualityDetails"]["poseMethod"];
  EXPECT_TRUE(pose_method == "mesh" || pose_method == "five_points") << pose_method;
  EXPECT_EQ(f["recognitionModel"], "mobilefacenet");

  // Multipart carries the same image.
  httplib::MultipartFormDataItems items = {{"image", image, "a.jpg", "image/jpeg"}};
  httplib::Headers h = {{"Authorization", "Bearer " + full_}};
  auto res = Client().Post("/face/v1.0/detect", h, items);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body).size(), 3u);
  // A photo without faces is an empty list, not an error.
  std::string blank;
  {
    Image grey(64, 48, std::vector<uint8_t>(64 * 48 * 3, 128));
    ASSERT_TRUE(SaveImage(grey, dir_.File("grey.png")).ok());
    blank = ReadFile(dir_.File("grey.png"));
  }
  EXPECT_EQ(Detect(blank, "?returnFaceId=true").size(), 0u);
}

TEST_F(ApiTest, RedactReturnsThePhotoWithFewerFindableFaces) {
  const std::string image = Sample(1);
  auto count_faces = [](std::span<const uint8_t> bytes) {
    auto decoded = DecodeImage(bytes);
    EXPECT_TRUE(decoded.ok());
    if (!decoded.ok()) return -1;
    auto session = SharedEngine()->NewSession();
    EXPECT_TRUE(session.ok());
    if (!session.ok()) return -1;
    DetectOptions options;
    options.score_threshold = 0.5f;
    auto faces = session.value()->Detect(decoded.value(), options);
    EXPECT_TRUE(faces.ok());
    return faces.ok() ? static_cast<int>(faces->size()) : -1;
  };
  const int before = count_faces(std::span(reinterpret_cast<const uint8_t*>(image.data()),
                                           image.size()));
  ASSERT_GT(before, 0);

  auto res = Post("/face/v1.0/redact?mode=pixelate", image, "image/jpeg", detect_only_);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_GT(std::stoi(res->get_header_value("X-Faces-Redacted")), 0);
  EXPECT_GE(std::stoi(res->get_header_value("X-Residual-Faces")), 0);
  // The share of the picture changed: some, not most, for a photo of a few faces.
  const double share = std::stod(res->get_header_value("X-Redacted-Share"));
  EXPECT_GT(share, 0.001);
  EXPECT_LT(share, 0.5);
  const std::span<const uint8_t> out(reinterpret_cast<const uint8_t*>(res->body.data()),
                                     res->body.size());
  auto info = ProbeImage(out);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->format, ImageFormat::kJpeg);
  EXPECT_LT(count_faces(out), before);

  // The default blur: verification ends with no face the detector finds at 0.5 (as in
  // RedactTest.VerificationLeavesNoFaceTheDetectorFinds for the same sample).
  auto blurred = Post("/face/v1.0/redact", image, "image/jpeg", detect_only_);
  ASSERT_TRUE(blurred);
  ASSERT_EQ(blurred->status, 200) << blurred->body;
  EXPECT_EQ(blurred->get_header_value("X-Residual-Faces"), "0");

  auto png = Post("/face/v1.0/redact?format=png&mode=fill", image, "image/jpeg", full_);
  ASSERT_TRUE(png);
  EXPECT_EQ(png->status, 200);
  EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");

  EXPECT_EQ(Outcome(Post("/face/v1.0/redact?mode=smudge", image, "image/jpeg", full_)),
            std::make_pair(400, std::string("BadArgument")));
  EXPECT_EQ(Outcome(Post("/face/v1.0/redact?scale=9", image, "image/jpeg", full_)),
            std::make_pair(400, std::string("BadArgument")));
  EXPECT_EQ(Outcome(Post("/face/v1.0/redact", "not an image", "image/jpeg", full_)),
            std::make_pair(400, std::string("InvalidImage")));
  EXPECT_EQ(Outcome(Post("/face/v1.0/redact", image, "image/jpeg", "")).first, 401);
  EXPECT_TRUE(Healthy());
}

TEST_F(ApiTest, VerifyWithTransientFaceIds) {
  json a = Detect(Sample(1), "?returnFaceId=true");
  json b = Detect(Sample(1), "?returnFaceId=true&faceIdTimeToLive=60");
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  auto verify = [&](const std::string& id1, const std::string& id2, const std::string& key) {
    return Post("/face/v1.0/verify", json({{"faceId1", id1}, {"faceId2", id2}}).dump(),
                "application/json", key);
  };
  auto same = verify(a[0]["faceId"], b[0]["faceId"], full_);
  ASSERT_TRUE(same);
  ASSERT_EQ(same->status, 200) << same->body;
  json s = json::parse(same->body);
  EXPECT_TRUE(s["isIdentical"].get<bool>());
  EXPECT_GT(s["similarity"].get<double>(), 0.99);
  EXPECT_GT(s["confidence"].get<double>(), 0.9);
  auto other = verify(a[0]["faceId"], a[1]["faceId"], full_);
  ASSERT_TRUE(other);
  json d = json::parse(other->body);
  EXPECT_FALSE(d["isIdentical"].get<bool>());
  EXPECT_LT(d["confidence"].get<double>(), 0.5);
  // Unknown ids, and ids of another key, are not found.
  EXPECT_EQ(Outcome(verify(a[0]["faceId"], "0f8fad5b-d9cb-469f-a165-70867728950e", full_)),
            std::make_pair(404, std::string("FaceNotFound")));
  const std::string verifier = Add("verifier", kScopeVerify);
  // A key added to the file is picked up within about a second.
  int status = 0;
  for (int i = 0; i < 30 && (status = Outcome(verify(a[0]["faceId"], b[0]["faceId"], verifier)).first) == 401; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(status, 404);
  EXPECT_EQ(Outcome(verify(a[0]["faceId"], b[0]["faceId"], detect_only_)).first, 403);
  EXPECT_EQ(Outcome(Post("/face/v1.0/verify",
                         json({{"faceId1", a[0]["faceId"]}, {"faceId2", b[0]["faceId"]},
                               {"falseMatchRate", 0.5}})
                             .dump(),
                         "application/json", full_))
                .first,
            400);
}

struct BadRequest {
  std::string name;
  std::string method;
  std::string path;
  std::string type;
  std::string body;
  int key;  // 0 none, 1 full, 2 detect only, 3 malformed, 4 well-formed but unknown
  int status;
  std::string code;
};

TEST_F(ApiTest, BadRequestsGet4xxAndTheServerKeepsServing) {
  const std::string jpeg = Sample(2);
  // A PNG whose header declares 100000 x 100000 pixels.
  const std::string bomb(
      "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00"
      "\x00\x00\x00\x00",
      33);
  const std::string detect = "/face/v1.0/detect";
  const std::string verify = "/face/v1.0/verify";
  const std::string id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const std::vector<BadRequest> cases = {
      {"no key", "POST", detect, "image/jpeg", jpeg, 0, 401, "Unauthorized"},
      {"malformed key", "POST", detect, "image/jpeg", jpeg, 3, 401, "Unauthorized"},
      {"unknown key", "POST", detect, "image/jpeg", jpeg, 4, 401, "Unauthorized"},
      {"wrong scope", "POST", verify, "application/json", "{}", 2, 403, "PermissionDenied"},
      {"text body", "POST", detect, "text/plain", jpeg, 1, 415, "UnsupportedMediaType"},
      {"no content type", "POST", detect, "", jpeg, 1, 415, "UnsupportedMediaType"},
      {"url instead of bytes", "POST", detect, "application/json",
       R"({"url": "http://169.254.169.254/"})", 1, 400, "BadArgument"},
      {"not an image", "POST", detect, "image/jpeg", "hello, I am not an image", 1, 400,
       "InvalidImage"},
      {"truncated jpeg", "POST", detect, "image/jpeg", jpeg.substr(0, 3000), 1, 400,
       "InvalidImage"},
      {"pixel bomb", "POST", detect, "image/png", bomb, 1, 413, "InvalidImageSize"},
      {"too big", "POST", detect, "application/octet-stream", std::string(5 << 20, 'x'), 1, 413,
       "PayloadTooLarge"},
      {"age", "POST", detect + "?returnFaceAttributes=age", "image/jpeg", jpeg, 1, 400,
       "BadArgument"},
      {"gender", "POST", detect + "?returnFaceAttributes=gender,headPose", "image/jpeg", jpeg, 1,
       400, "BadArgument"},
      {"unknown parameter", "POST", detect + "?returnFaceID=true", "image/jpeg", jpeg, 1, 400,
       "BadArgument"},
      {"unknown model", "POST", detect + "?recognitionModel=recognition_05", "image/jpeg", jpeg, 1,
       400, "BadArgument"},
      {"malformed json", "POST", verify, "application/json", "{\"faceId1\": ", 1, 400,
       "BadArgument"},
      {"json array", "POST", verify, "application/json", "[1,2]", 1, 400, "BadArgument"},
      {"deep json", "POST", verify, "application/json", std::string(5000, '[') , 1, 400,
       "BadArgument"},
      {"json as text", "POST", verify, "text/plain", "{}", 1, 415, "UnsupportedMediaType"},
      {"missing faceIds", "POST", verify, "application/json", "{}", 1, 400, "BadArgument"},
      {"bad faceId", "POST", verify, "application/json",
       R"({"faceId1": "../../etc/passwd", "faceId2": "x"})", 1, 400, "BadArgument"},
      {"unknown field", "POST", verify, "application/json",
       R"({"faceId1": ")" + id + R"(", "faceId2": ")" + id + R"(", "mode": 1})", 1, 400,
       "BadArgument"},
      {"face to person without purpose", "POST", verify, "application/json",
       R"({"faceId": ")" + id + R"(", "personId": "p", "personGroupId": "g"})", 1, 400,
       "PurposeRequired"},
      {"face to person without a store", "POST", verify, "application/json",
       R"({"faceId": ")" + id + R"(", "personId": "p", "personGroupId": "g", "purpose": "t"})",
       1, 409, "NoGalleryStore"},
      {"person groups without a store", "GET", "/face/v1.0/persongroups", "", "", 1, 409,
       "NoGalleryStore"},
      {"wrong method", "GET", detect, "", "", 1, 405, "MethodNotAllowed"},
      {"unknown endpoint", "POST", "/face/v1.0/detect2", "image/jpeg", jpeg, 1, 404, "NotFound"},
      {"unknown page", "GET", "/secret.html", "", "", 0, 404, "NotFound"},
      {"post to a page", "POST", "/index.html", "text/plain", "x", 0, 405, "MethodNotAllowed"},
  };
  const std::string unknown_key = "fk_0123456789ab_" + std::string(43, 'A');
  for (const BadRequest& c : cases) {
    httplib::Headers h;
    if (c.key == 1) h.emplace("Ocp-Apim-Subscription-Key", full_);
    if (c.key == 2) h.emplace("Ocp-Apim-Subscription-Key", detect_only_);
    if (c.key == 3) h.emplace("Authorization", "Bearer not-a-key");
    if (c.key == 4) h.emplace("Authorization", "Bearer " + unknown_key);
    httplib::Client client = Client();
    httplib::Result res = c.method == "GET" ? client.Get(c.path, h)
                                            : client.Post(c.path, h, c.body, c.type);
    ASSERT_TRUE(res) << c.name << ": " << httplib::to_string(res.error());
    EXPECT_EQ(res->status, c.status) << c.name << ": " << res->body;
    const auto [status, code] = Outcome(res);
    EXPECT_EQ(code, c.code) << c.name << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json; charset=utf-8") << c.name;
    // RFC 9110: a 405 names the methods the resource takes.
    if (c.status == 405) {
      EXPECT_FALSE(res->get_header_value("Allow").empty()) << c.name;
    }
    ASSERT_TRUE(Healthy()) << "after " << c.name;
  }
  EXPECT_EQ(Detect(jpeg).size(), 3u) << "still detecting after all that";
}

// HEAD is served wherever GET is (the headers of the GET answer, no content); a route without
// GET answers 405 naming its methods.
TEST_F(ApiTest, HeadIsServedWhereGetIs) {
  httplib::Client client = Client();
  const httplib::Headers key = {{"Ocp-Apim-Subscription-Key", full_}};
  auto get = client.Get("/face/v1.0/models", key);
  auto head = client.Head("/face/v1.0/models", key);
  ASSERT_TRUE(get && head);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->get_header_value("Content-Type"), get->get_header_value("Content-Type"));
  auto head_post_only = client.Head("/face/v1.0/detect", key);
  ASSERT_TRUE(head_post_only);
  EXPECT_EQ(head_post_only->status, 405);
  EXPECT_EQ(head_post_only->get_header_value("Allow"), "POST");
  auto head_without_key = client.Head("/face/v1.0/models");
  ASSERT_TRUE(head_without_key);
  EXPECT_EQ(head_without_key->status, 401);
  auto head_health = client.Head("/health");
  ASSERT_TRUE(head_health);
  EXPECT_EQ(head_health->status, 200);
}

// "Expect: 100-continue" (curl sends it for bodies over 1 MiB): a request the API refuses is
// answered before the client sends its body, never with "100 Continue" first; an accepted one
// gets 100, then its answer, and is checked (and rate-counted) once.
TEST_F(ApiTest, ExpectContinueIsAnsweredAfterTheChecks) {
  const std::string jpeg = Sample(1);
  auto head = [&](const std::string& key, size_t length) {
    return "POST /face/v1.0/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
           "Expect: 100-continue\r\nConnection: close\r\nOcp-Apim-Subscription-Key: " +
           key + "\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
  };
  {
    RawClient raw(service_->port());
    raw.Send(head("fk_0123456789ab_" + std::string(43, 'A'), jpeg.size()));
    EXPECT_EQ(RawClient::StatusOf(raw.ReadAll(milliseconds(1500))), 401);
  }
  {
    RawClient raw(service_->port());
    raw.Send(head(full_, 999'999'999));
    EXPECT_EQ(RawClient::StatusOf(raw.ReadAll(milliseconds(1500))), 413);
  }
  // The slow key allows a burst of 2: two requests pass only if each is counted once.
  for (int i = 0; i < 2; ++i) {
    RawClient raw(service_->port());
    raw.Send(head(slow_, jpeg.size()));
    const std::string interim = raw.ReadAll(milliseconds(500));
    ASSERT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << i << ": " << interim;
    raw.Send(jpeg);
    const std::string out = raw.ReadAll(milliseconds(20000));
    EXPECT_EQ(RawClient::StatusOf(out), 200) << i << ": " << out.substr(0, 300);
    EXPECT_NE(out.find("faceRectangle"), std::string::npos) << i;
  }
}

// A request httplib cannot parse is logged with the same fields as any other: the client's
// address, "-" for what is missing, the status.
TEST_F(ApiTest, UnparsableRequestsAreLoggedWithEveryField) {
  for (const char* garbage : {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n"}) {
    RawClient raw(service_->port());
    raw.Send(garbage);
    EXPECT_EQ(RawClient::StatusOf(raw.ReadAll(milliseconds(3000))), 400) << garbage;
  }
  service_->Stop();
  std::lock_guard<std::mutex> lock(log_mutex_);
  int bad = 0;
  for (const std::string& line : log_) {
    if (line.find(" 400 ") == std::string::npos) continue;
    ++bad;
    std::istringstream fields(line);
    std::vector<std::string> parts{std::istream_iterator<std::string>(fields), {}};
    ASSERT_EQ(parts.size(), 7u) << line;
    EXPECT_EQ(parts[1], "127.0.0.1") << line;
    EXPECT_EQ(line.find("  "), std::string::npos) << line;
  }
  EXPECT_EQ(bad, 2);
}

TEST_F(ApiTest, HostileTransportStillServes) {
  // Heads httplib takes but HTTP forbids: 400 and closed (a proxy in front may read them
  // otherwise: "Transfer-Encoding : chunked" is the classic smuggling request).
  for (const std::string& head :
       {std::string("GET /health HTTP/1.1\r\n\r\n"),
        std::string("GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
        std::string("POST /face/v1.0/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n"
                    "Ocp-Apim-Subscription-Key: ") +
            full_ + "\r\n\r\n0\r\n\r\n",
        std::string("GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 43),
        std::string("GET /health HTTP/1.1\r\nHost: x\r\nX-B: a\rb\r\n\r\n")}) {
    RawClient raw(service_->port());
    raw.Send(head);
    bool closed = false;
    const std::string out = raw.ReadAll(milliseconds(3000), &closed);
    EXPECT_EQ(RawClient::StatusOf(out), 400) << head << out;
    EXPECT_NE(out.find("BadArgument"), std::string::npos) << out;
  }
  {
    RawClient raw(service_->port());
    raw.Send("POST /face/v1.0/detect HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(20000, 'p') +
             "\r\n\r\n");
    EXPECT_EQ(RawClient::StatusOf(raw.ReadAll(milliseconds(3000))), 431);
  }
  {
    // Truncated upload with a valid key: the body never arrives in full.
    RawClient raw(service_->port());
    const std::string jpeg = Sample(1);
    raw.Send("POST /face/v1.0/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
             "Ocp-Apim-Subscription-Key: " + full_ + "\r\nContent-Length: " +
             std::to_string(jpeg.size()) + "\r\n\r\n" + jpeg.substr(0, jpeg.size() / 2));
    raw.ShutdownWrite();
    bool closed = false;
    raw.ReadAll(milliseconds(5000), &closed);
    EXPECT_TRUE(closed);
  }
  {
    // Unauthenticated upload: answered 401 before the body is read, then closed.
    RawClient raw(service_->port());
    raw.Send("POST /face/v1.0/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
             "Content-Length: 3000000\r\n\r\n" + std::string(100000, 'j'));
    bool closed = false;
    const std::string out = raw.ReadAll(milliseconds(3000), &closed);
    EXPECT_EQ(RawClient::StatusOf(out), 401);
    EXPECT_TRUE(closed);
  }
  {
    // Announced length over the limit: 413 at once.
    RawClient raw(service_->port());
    raw.Send("POST /face/v1.0/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
             "Ocp-Apim-Subscription-Key: " + full_ + "\r\nContent-Length: 999999999\r\n\r\n");
    EXPECT_EQ(RawClient::StatusOf(raw.ReadAll(milliseconds(3000))), 413);
  }
  {
    // A JSON body announced over its 1 MiB limit (under the image limit): 413 at once, no wait
    // for a body that will be refused anyway.
    RawClient raw(service_->port());
    raw.Send(
        "POST /face/v1.0/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Ocp-Apim-Subscription-Key: " +
        full_ + "\r\nContent-Length: 2000000\r\n\r\n");
    EXPECT_EQ(RawClient::StatusOf(raw.ReadAll(milliseconds(3000))), 413);
  }
  {
    // Conflicting framing (request smuggling shape).
    RawClient raw(service_->port());
    raw.Send("POST /face/v1.0/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(RawClient::StatusOf(raw.ReadAll(milliseconds(3000))), 400);
  }
  EXPECT_TRUE(Healthy());
  EXPECT_EQ(Detect(Sample(1)).size(), 3u);
}

TEST_F(ApiTest, OverloadAnswers503QuicklyNever500) {
  service_.reset();
  ServiceOptions o = Options();
  o.workers = 1;
  o.queue_depth = 1;
  auto created = Service::Create(o, {SharedEngine()});
  ASSERT_TRUE(created.ok());
  service_ = std::move(created).value();
  ASSERT_TRUE(service_->Start().ok());
  const std::string image = Sample(6);
  std::atomic<int> ok{0}, busy{0}, other{0};
  std::atomic<int64_t> slowest_busy_ms{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      const auto start = std::chrono::steady_clock::now();
      auto res = Post("/face/v1.0/detect?detectionModel=recall", image, "image/jpeg", full_);
      const int64_t ms = std::chrono::duration_cast<milliseconds>(
                             std::chrono::steady_clock::now() - start).count();
      if (res && res->status == 200) {
        ++ok;
      } else if (res && res->status == 503 && Outcome(res).second == "ServerBusy" &&
                 !res->get_header_value("Retry-After").empty()) {
        ++busy;
        int64_t prev = slowest_busy_ms.load();
        while (ms > prev && !slowest_busy_ms.compare_exchange_weak(prev, ms)) {
        }
      } else {
        ++other;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(other, 0);
  EXPECT_GE(ok, 2);
  EXPECT_GE(busy, 1);
  EXPECT_LT(slowest_busy_ms, 2000) << "overload must be answered quickly";
  EXPECT_TRUE(Healthy());
}

}  // namespace
}  // namespace facet
