// Unit tests of the service's parts that need no model: API keys, authentication, rate limits,
// transient faceIds, the inference pool's bounds, request parsing and routing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "facet/api_keys.h"
#include "service/api.h"
#include "service/azure_compat.h"
#include "service/auth.h"
#include "service/face_ids.h"
#include "service/inference_pool.h"
#include "service/rate_limit.h"
#include "service/request_parsing.h"

namespace facet::service {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/facet_service_test_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

TEST(ApiScopes, ParseAndPrint) {
  EXPECT_EQ(ParseApiScopes("detect").value(), kScopeDetect);
  EXPECT_EQ(ParseApiScopes("verify, identify").value(), kScopeVerify | kScopeIdentify);
  EXPECT_EQ(ParseApiScopes("all").value(), kScopeAll);
  EXPECT_FALSE(ParseApiScopes("").ok());
  EXPECT_FALSE(ParseApiScopes("detect,root").ok());
  EXPECT_EQ(ApiScopesToString(kScopeAll), "detect,verify,identify,admin");
}

TEST(ApiKeys, MadeKeyVerifiesAndOnlyItsHashIsKept) {
  auto made = MakeApiKey({.name = "door", .scopes = kScopeVerify});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto parts = SplitApiKey(made->key);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->id, made->record.id);
  EXPECT_EQ(made->record.hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(made->record.hash.find(parts->secret), std::string::npos);
  EXPECT_TRUE(VerifyApiKeySecret(made->record, parts->secret));
  std::string wrong = parts->secret;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyApiKeySecret(made->record, wrong));
  EXPECT_FALSE(MakeApiKey({.name = "", .scopes = kScopeVerify}).ok());
  EXPECT_FALSE(MakeApiKey({.name = "x", .scopes = 0}).ok());
}

TEST(ApiKeys, SplitRefusesWhatIsNotAKey) {
  EXPECT_FALSE(SplitApiKey("").ok());
  EXPECT_FALSE(SplitApiKey("Bearer x").ok());
  EXPECT_FALSE(SplitApiKey("fk_0123456789ab_short").ok());
  EXPECT_FALSE(SplitApiKey("fk_0123456789AB_" + std::string(43, 'a')).ok());  // upper-case id
  EXPECT_FALSE(SplitApiKey("fk_0123456789ab_" + std::string(42, 'a') + "!").ok());
  EXPECT_TRUE(SplitApiKey("fk_0123456789ab_" + std::string(43, 'a')).ok());
}

TEST(ApiKeys, ADeclaredPurposeIsKeptAndABlankOneRefused) {
  TempDir dir;
  const std::string path = dir.File("keys.json");
  auto door = AddApiKey(path, {.name = "door", .scopes = kScopeIdentify, .purpose = "door access"});
  auto none = AddApiKey(path, {.name = "none", .scopes = kScopeIdentify});
  ASSERT_TRUE(door.ok() && none.ok());
  auto loaded = ApiKeyFile::Load(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->Find(door->record.id)->purpose, "door access");
  EXPECT_EQ(loaded->Find(none->record.id)->purpose, "");
  EXPECT_EQ(MakeApiKey({.name = "x", .scopes = kScopeAll, .purpose = " \t\n"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeApiKey({.name = "  ", .scopes = kScopeAll}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ApiKeys, FileRoundTripRevokeAndPermissions) {
  TempDir dir;
  const std::string path = dir.File("sub/keys.json");
  auto empty = ApiKeyFile::Load(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->keys.empty());
  auto a = AddApiKey(path, {.name = "a", .scopes = kScopeDetect, .rate_per_second = 5, .burst = 7});
  auto b = AddApiKey(path, {.name = "b", .scopes = kScopeAdmin});
  ASSERT_TRUE(a.ok() && b.ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(a->key), std::string::npos) << "the key itself must never be stored";

  auto loaded = ApiKeyFile::Load(path);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->keys.size(), 2u);
  EXPECT_EQ(loaded->ActiveCount(), 2);
  const ApiKeyRecord* ra = loaded->Find(a->record.id);
  ASSERT_NE(ra, nullptr);
  EXPECT_EQ(ra->scopes, kScopeDetect);
  EXPECT_EQ(ra->rate_per_second, 5);
  EXPECT_EQ(ra->burst, 7);

  ASSERT_TRUE(RevokeApiKey(path, a->record.id).ok());
  EXPECT_EQ(RevokeApiKey(path, "000000000000").code(), StatusCode::kNotFound);
  loaded = ApiKeyFile::Load(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->Find(a->record.id)->active());
  EXPECT_EQ(loaded->ActiveCount(), 1);

  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(ApiKeyFile::Load(path).status().code(), StatusCode::kFailedPrecondition);
}

TEST(ApiKeys, CorruptFilesAreReported) {
  TempDir dir;
  const std::string path = dir.File("keys.json");
  for (const char* text :
       {"", "[]", "{\"version\": 1}", "{\"version\": 9, \"keys\": []}",
        "{\"version\": 1, \"keys\": [{\"id\": \"x\"}]}",
        "{\"version\": 1, \"keys\": [{\"id\": \"0123456789ab\", \"name\": \"n\", \"scopes\": "
        "\"detect\", \"hash\": \"plain\", \"created_unix\": 1}]}"}) {
    {
      std::ofstream out(path, std::ios::trunc);
      out << text;
    }
    ::chmod(path.c_str(), 0600);
    EXPECT_EQ(ApiKeyFile::Load(path).status().code(), StatusCode::kCorruptData) << text;
  }
}

TEST(Authenticator, KeysScopesRevocationAndReload) {
  TempDir dir;
  const std::string path = dir.File("keys.json");
  auto made = AddApiKey(path, {.name = "a", .scopes = kScopeDetect | kScopeVerify});
  ASSERT_TRUE(made.ok());
  AuthOptions options;
  options.key_file = path;
  options.reload_interval = std::chrono::milliseconds(0);
  auto auth = Authenticator::Create(options);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  Caller caller;
  EXPECT_EQ((*auth)->Authenticate("", &caller), AuthOutcome::kMissing);
  EXPECT_EQ((*auth)->Authenticate("nonsense", &caller), AuthOutcome::kInvalid);
  std::string forged = made->key;
  forged.back() = forged.back() == 'x' ? 'y' : 'x';
  EXPECT_EQ((*auth)->Authenticate(forged, &caller), AuthOutcome::kInvalid);
  int slow_failures = 0;
  std::string asked_for;
  EXPECT_EQ((*auth)->Authenticate(forged, &caller,
                                  [&](const std::string& id) {
                                    asked_for = id;
                                    return false;
                                  }),
            AuthOutcome::kThrottled);
  EXPECT_EQ(asked_for, made->record.id) << "the hooks are told which key is being checked";
  const auto allow = [](const std::string&) { return true; };
  const auto count_failure = [&](const std::string&) { ++slow_failures; };
  EXPECT_EQ((*auth)->Authenticate(forged, &caller, allow, count_failure), AuthOutcome::kInvalid);
  EXPECT_EQ(slow_failures, 1);
  EXPECT_EQ((*auth)->Authenticate("fk_000000000000_" + std::string(43, 'a'), &caller, allow,
                                  count_failure),
            AuthOutcome::kInvalid);
  EXPECT_EQ(slow_failures, 1) << "an unknown id costs no Argon2id evaluation";
  ASSERT_EQ((*auth)->Authenticate(made->key, &caller), AuthOutcome::kOk);
  EXPECT_EQ(caller.key_id, made->record.id);
  EXPECT_EQ((*auth)->Authenticate(made->key, &caller, [](const std::string&) { return false; }),
            AuthOutcome::kOk)
      << "a recently verified key needs no slow check";
  EXPECT_EQ(caller.scopes, kScopeDetect | kScopeVerify);
  // Cached now; a revocation must still apply at once (the file changed).
  ASSERT_EQ((*auth)->Authenticate(made->key, &caller), AuthOutcome::kOk);
  ASSERT_TRUE(RevokeApiKey(path, made->record.id).ok());
  EXPECT_EQ((*auth)->Authenticate(made->key, &caller), AuthOutcome::kInvalid);
  // A key added while running is accepted.
  auto later = AddApiKey(path, {.name = "b", .scopes = kScopeAdmin});
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*auth)->Authenticate(later->key, &caller), AuthOutcome::kOk);
  EXPECT_EQ(caller.scopes, kScopeAdmin);
}

TEST(Authenticator, PresentedKeyHeaders) {
  EXPECT_EQ(PresentedKey(" k1 ", "Bearer k2"), "k1");
  EXPECT_EQ(PresentedKey("", "Bearer k2"), "k2");
  EXPECT_EQ(PresentedKey("", "bearer  k2 "), "k2");
  EXPECT_EQ(PresentedKey("", "Basic abc"), "");
  EXPECT_EQ(PresentedKey("", "Bearer "), "");
}

TEST(RateLimiter, TokenBucket) {
  SteadyClock::time_point now{};
  RateLimiter limiter(100, [&] { return now; });
  EXPECT_EQ(limiter.Acquire("k", 2, 3), 0);
  EXPECT_EQ(limiter.Acquire("k", 2, 3), 0);
  EXPECT_EQ(limiter.Acquire("k", 2, 3), 0);
  const double wait = limiter.Acquire("k", 2, 3);
  EXPECT_NEAR(wait, 0.5, 1e-6);
  EXPECT_EQ(limiter.Acquire("other", 2, 3), 0) << "buckets are per key";
  now += std::chrono::milliseconds(500);
  EXPECT_EQ(limiter.Peek("k", 2, 3), 0);
  EXPECT_EQ(limiter.Acquire("k", 2, 3), 0);
  EXPECT_GT(limiter.Acquire("k", 2, 3), 0);
  EXPECT_GT(limiter.Acquire("zero", 0, 3), 0) << "a zero rate allows nothing";
}

TEST(RateLimiter, TableStaysBounded) {
  SteadyClock::time_point now{};
  RateLimiter limiter(10, [&] { return now; });
  for (int i = 0; i < 1000; ++i) (void)limiter.Acquire("k" + std::to_string(i), 1, 1);
  EXPECT_LE(limiter.size(), 10u);
}

Embedding Template(float first) {
  Embedding e;
  e.model = "mobilefacenet";
  e.values.assign(4, 0.0f);
  e.values[0] = first;
  return e;
}

TEST(FaceIdStore, OwnerTtlAndCapacity) {
  FaceIdStore::Clock::time_point now{};
  FaceIdStore store(3, std::chrono::seconds(60), [&] { return now; });
  ASSERT_TRUE(store.enabled());
  const std::string a = store.Put("key1", Template(1), std::chrono::seconds(600));
  EXPECT_TRUE(IsUuid(a));
  auto got = store.Get("key1", a);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->values[0], 1.0f);
  EXPECT_EQ(store.Get("key2", a).status().code(), StatusCode::kNotFound)
      << "another key must not see it";
  // TTL is capped at the maximum (60 s even though 600 s was asked).
  now += std::chrono::seconds(61);
  EXPECT_EQ(store.Get("key1", a).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.size(), 0u);
  // Capacity: the one closest to expiry goes first.
  const std::string b = store.Put("k", Template(2), std::chrono::seconds(10));
  const std::string c = store.Put("k", Template(3), std::chrono::seconds(50));
  const std::string d = store.Put("k", Template(4), std::chrono::seconds(50));
  const std::string e = store.Put("k", Template(5), std::chrono::seconds(50));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.Get("k", b).ok());
  EXPECT_TRUE(store.Get("k", c).ok() && store.Get("k", d).ok() && store.Get("k", e).ok());
  FaceIdStore disabled(0, std::chrono::seconds(60));
  EXPECT_FALSE(disabled.enabled());
}

TEST(InferencePool, BoundedQueueRefusesAtOnce) {
  InferencePool::Options options;
  options.workers = 1;
  options.queue_depth = 1;
  options.queue_timeout = std::chrono::milliseconds(5000);
  auto pool = InferencePool::Create({}, options);
  ASSERT_TRUE(pool.ok());
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  std::atomic<bool> started{false};
  auto slow = [&](WorkerSessions&) {
    started = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ++ran;
  };
  std::thread first([&] { EXPECT_TRUE((*pool)->Run(slow).ok()); });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread second([&] { EXPECT_TRUE((*pool)->Run(slow).ok()); });
  while ((*pool)->queued() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto start = std::chrono::steady_clock::now();
  const Status third = (*pool)->Run(slow);
  EXPECT_EQ(third.code(), StatusCode::kResourceExhausted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500))
      << "a full queue must refuse at once";
  release = true;
  first.join();
  second.join();
  EXPECT_EQ(ran, 2);
}

TEST(InferencePool, WaitingTooLongIsRefusedAndNeverRuns) {
  InferencePool::Options options;
  options.workers = 1;
  options.queue_depth = 4;
  options.queue_timeout = std::chrono::milliseconds(100);
  auto pool = InferencePool::Create({}, options);
  ASSERT_TRUE(pool.ok());
  std::atomic<bool> release{false};
  std::atomic<bool> late_ran{false};
  std::atomic<bool> started{false};
  std::thread first([&] {
    EXPECT_TRUE((*pool)->Run([&](WorkerSessions&) {
                  started = true;
                  while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                }).ok());
  });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const Status late = (*pool)->Run([&](WorkerSessions&) { late_ran = true; });
  EXPECT_EQ(late.code(), StatusCode::kResourceExhausted);
  release = true;
  first.join();
  EXPECT_FALSE(late_ran);
  auto none = InferencePool::Create({}, {.workers = 0});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->Run([](WorkerSessions&) {}).code(), StatusCode::kResourceExhausted);
}

httplib::Params Params(std::initializer_list<std::pair<std::string, std::string>> list) {
  httplib::Params p;
  for (const auto& kv : list) p.emplace(kv);
  return p;
}

TEST(RequestParsing, DetectParams) {
  DetectParams p;
  EXPECT_FALSE(ParseDetectParams({}, &p).has_value());
  EXPECT_FALSE(p.return_face_id) << "faceIds are opt-in";
  EXPECT_FALSE(ParseDetectParams(Params({{"returnFaceId", "TRUE"},
                                         {"returnFaceLandmarks", "true"},
                                         {"returnFaceAttributes", "qualityForRecognition, headPose"},
                                         {"detectionModel", "recall"},
                                         {"recognitionModel", "dlib_resnet"},
                                         {"faceIdTimeToLive", "120"}}),
                                 &p)
                   .has_value());
  EXPECT_TRUE(p.return_face_id && p.return_landmarks && p.quality && p.head_pose);
  EXPECT_EQ(p.detector, ParseDetectorMode(FacetDetectorFor("detection_03")).value());
  EXPECT_EQ(p.recognition_model, "dlib_resnet");
  EXPECT_EQ(p.face_id_ttl_s, 120);
  for (const auto& bad : std::vector<httplib::Params>{
           Params({{"returnFaceId", "yes"}}), Params({{"returnFaceAttributes", "age"}}),
           Params({{"returnFaceAttributes", "headPose,gender"}}),
           Params({{"returnFaceAttributes", "emotion"}}), Params({{"returnFaceAttributes", "mask"}}),
           Params({{"returnFaceAttributes", "shoeSize"}}),
           Params({{"detectionModel", "detection_04"}}), Params({{"faceIdTimeToLive", "5"}}),
           Params({{"faceIdTimeToLive", "99999999999"}}), Params({{"bogus", "1"}}),
           Params({{"returnFaceId", "true"}, {"returnFaceId", "false"}})}) {
    auto e = ParseDetectParams(bad, &p);
    ASSERT_TRUE(e.has_value()) << bad.begin()->first << "=" << bad.begin()->second;
    EXPECT_EQ(e->status, 400);
  }
  auto refused = ParseDetectParams(Params({{"returnFaceAttributes", "age"}}), &p);
  EXPECT_NE(refused->message.find("never infers"), std::string::npos);
  auto no_model = ParseDetectParams(Params({{"returnFaceAttributes", "Glasses"}}), &p);
  EXPECT_NE(no_model->message.find("'glasses' is not offered: facet has no model"),
            std::string::npos)
      << no_model->message;
  // Azure's names and computed attributes.
  ASSERT_FALSE(ParseDetectParams(Params({{"detectionModel", "detection_03"},
                                         {"returnFaceAttributes", "blur, Exposure,noise"}}),
                                 &p)
                   .has_value());
  EXPECT_EQ(p.detector, ParseDetectorMode(FacetDetectorFor("detection_03")).value());
  EXPECT_TRUE(p.blur && p.exposure && p.noise);
  EXPECT_FALSE(p.quality || p.head_pose);
}

TEST(RequestParsing, RedactParams) {
  RedactParams p;
  EXPECT_FALSE(ParseRedactParams({}, &p).has_value());
  EXPECT_EQ(p.options.mode, RedactMode::kBlur);
  EXPECT_EQ(p.format, ImageFormat::kJpeg);
  EXPECT_FLOAT_EQ(p.options.scale, RedactOptions{}.scale);
  EXPECT_FALSE(ParseRedactParams(Params({{"mode", "fill"},
                                         {"shape", "box"},
                                         {"threshold", "0.35"},
                                         {"scale", "2"},
                                         {"format", "png"}}),
                                 &p)
                   .has_value());
  EXPECT_EQ(p.options.mode, RedactMode::kFill);
  EXPECT_EQ(p.options.shape, RedactShape::kBox);
  EXPECT_FLOAT_EQ(p.options.score_threshold, 0.35f);
  EXPECT_FLOAT_EQ(p.options.scale, 2.0f);
  EXPECT_EQ(p.format, ImageFormat::kPng);
  for (const auto& bad : std::vector<httplib::Params>{
           Params({{"mode", "smudge"}}), Params({{"shape", "circle"}}),
           Params({{"threshold", "0"}}), Params({{"threshold", "1"}}),
           Params({{"threshold", "-0.1"}}), Params({{"threshold", "1e-1"}}),
           Params({{"threshold", "nan"}}), Params({{"scale", "0.9"}}),
           Params({{"scale", "4.01"}}), Params({{"scale", "1..2"}}),
           Params({{"format", "gif"}}), Params({{"keep", "g"}}),
           Params({{"mode", "blur"}, {"mode", "fill"}})}) {
    auto e = ParseRedactParams(bad, &p);
    ASSERT_TRUE(e.has_value()) << bad.begin()->first << "=" << bad.begin()->second;
    EXPECT_EQ(e->status, 400);
  }
}

TEST(RequestParsing, ImageBodies) {
  httplib::Request req;
  std::string_view bytes;
  req.body = "abc";
  req.set_header("Content-Type", "image/jpeg");
  EXPECT_FALSE(RequestImage(req, &bytes).has_value());
  EXPECT_EQ(bytes, "abc");
  req.headers.clear();
  req.set_header("Content-Type", "Application/Octet-Stream; x=1");
  EXPECT_FALSE(RequestImage(req, &bytes).has_value());
  req.headers.clear();
  req.set_header("Content-Type", "text/plain");
  EXPECT_EQ(RequestImage(req, &bytes)->status, 415);
  req.headers.clear();
  EXPECT_EQ(RequestImage(req, &bytes)->status, 415) << "no content type";
  req.set_header("Content-Type", "application/json");
  req.body = R"({"url": "http://example.com/a.jpg"})";
  auto url = RequestImage(req, &bytes);
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->status, 400);
  EXPECT_NE(url->message.find("URL"), std::string::npos);
  req.headers.clear();
  req.set_header("Content-Type", "image/png");
  req.body.clear();
  EXPECT_EQ(RequestImage(req, &bytes)->code, "InvalidImage");
  req.headers.clear();
  req.set_header("Content-Type", "multipart/form-data; boundary=x");
  EXPECT_TRUE(RequestImage(req, &bytes).has_value()) << "no parts";
  req.files.emplace("image", httplib::MultipartFormData{"image", "PIXELS", "a.jpg", "image/jpeg"});
  EXPECT_FALSE(RequestImage(req, &bytes).has_value());
  EXPECT_EQ(bytes, "PIXELS");
  req.files.emplace("other", httplib::MultipartFormData{"other", "X", "", ""});
  EXPECT_FALSE(RequestImage(req, &bytes).has_value()) << "the part named image wins";
}

TEST(RequestParsing, RequestHeads) {
  auto head = [](std::initializer_list<std::pair<std::string, std::string>> headers,
                 const char* version = "HTTP/1.1") {
    httplib::Request req;
    req.version = version;
    for (const auto& [name, value] : headers) req.headers.emplace(name, value);
    return req;
  };
  EXPECT_FALSE(CheckRequestHead(head({{"Host", "x"}, {"Content-Type", "image/jpeg\tq"}})));
  EXPECT_FALSE(CheckRequestHead(head({{"Host", "x"}, {"X-Name", "caf\xc3\xa9"}})));
  EXPECT_FALSE(CheckRequestHead(head({}, "HTTP/1.0"))) << "HTTP/1.0 needs no Host";
  EXPECT_TRUE(CheckRequestHead(head({})));
  EXPECT_TRUE(CheckRequestHead(head({{"Host", "x"}, {"Host", "y"}})));
  EXPECT_TRUE(CheckRequestHead(head({{"Host", "x"}, {"Transfer-Encoding ", "chunked"}})));
  EXPECT_TRUE(CheckRequestHead(head({{"Host", "x"}, {"Ho st", "y"}})));
  EXPECT_TRUE(CheckRequestHead(head({{"Host", "x"}, {"X-A", std::string("a\0b", 3)}})));
  EXPECT_TRUE(CheckRequestHead(head({{"Host", "x"}, {"X-B", "a\rb"}})));
  EXPECT_TRUE(CheckRequestHead(head({{"Host", "x"}, {"X-C", "a\x7f"}})));
}

TEST(RequestParsing, JsonBodiesAndFields) {
  httplib::Request req;
  nlohmann::json body;
  req.body = "{}";
  EXPECT_EQ(ParseJsonObject(req, &body)->status, 415);
  req.set_header("Content-Type", "application/json; charset=utf-8");
  EXPECT_FALSE(ParseJsonObject(req, &body).has_value());
  for (const char* bad : {"", "{", "[]", "3", "\"x\"", "{\"a\":}", "{\"a\":1}}"}) {
    req.body = bad;
    EXPECT_EQ(ParseJsonObject(req, &body)->status, 400) << bad;
  }
  req.body = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(ParseJsonObject(req, &body)->status, 400);
  req.body = "{\"a\": \"" + std::string(100, '[') + "\"}";
  EXPECT_FALSE(ParseJsonObject(req, &body).has_value()) << "brackets inside strings do not nest";
  // A key twice is ambiguous (nlohmann would keep the last): refused, naming the key.
  req.body = R"({"faceId1": "bogus", "faceId1": "x", "faceId2": "y"})";
  auto twice = ParseJsonObject(req, &body);
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->status, 400);
  EXPECT_NE(twice->message.find("'faceId1' twice"), std::string::npos) << twice->message;
  req.body = "{\"a\": \"" + std::string(2 << 20, 'x') + "\"}";
  EXPECT_EQ(ParseJsonObject(req, &body)->status, 413);

  const std::string id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  body = {{"faceId1", id}, {"list", {id, "6ecd8c99-4036-403d-bf84-cf8400f67836"}}, {"n", 5}};
  std::string out;
  EXPECT_FALSE(GetFaceId(body, "faceId1", &out).has_value());
  EXPECT_EQ(out, id);
  EXPECT_TRUE(GetFaceId(body, "faceId2", &out).has_value());
  EXPECT_TRUE(GetFaceId({{"faceId1", "not-a-uuid"}}, "faceId1", &out).has_value());
  EXPECT_TRUE(GetFaceId({{"faceId1", 7}}, "faceId1", &out).has_value());
  std::vector<std::string> ids;
  EXPECT_FALSE(GetFaceIdList(body, "list", 10, &ids).has_value());
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(GetFaceIdList(body, "list", 1, &ids).has_value()) << "too many";
  EXPECT_TRUE(GetFaceIdList({{"list", {id, id}}}, "list", 10, &ids).has_value()) << "twice";
  EXPECT_TRUE(GetFaceIdList({{"list", nlohmann::json::array()}}, "list", 10, &ids).has_value());
  int n = 1;
  EXPECT_FALSE(GetOptionalInt(body, "n", 1, 10, &n).has_value());
  EXPECT_EQ(n, 5);
  EXPECT_TRUE(GetOptionalInt(body, "n", 6, 10, &n).has_value());
  EXPECT_TRUE(GetOptionalInt({{"n", 1.5}}, "n", 1, 10, &n).has_value());
  EXPECT_FALSE(CheckKnownFields(body, {"faceId1", "list", "n"}).has_value());
  EXPECT_TRUE(CheckKnownFields(body, {"faceId1"}).has_value());
}

TEST(Errors, StatusCodesMapToHttp) {
  httplib::Response res;
  SetStatusError(res, Status::StoreCorrupt("store integrity: the template of face 7 ..."));
  EXPECT_EQ(res.status, 500);
  EXPECT_NE(res.body.find("\"StoreCorrupt\""), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("face 7"), std::string::npos) << "names the row";
  SetStatusError(res, Status::CorruptData("truncated JPEG"));
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("InvalidImage"), std::string::npos);
  SetStatusError(res, Status::Internal("secret detail"));
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("secret detail"), std::string::npos);
}

TEST(Routing, Patterns) {
  std::vector<std::string> params;
  EXPECT_TRUE(MatchRoute("/face/v1.0/detect", "/face/v1.0/detect", &params));
  EXPECT_FALSE(MatchRoute("/face/v1.0/detect", "/face/v1.0/detect/", &params));
  EXPECT_FALSE(MatchRoute("/face/v1.0/detect", "/face/v1.0/detec", &params));
  EXPECT_TRUE(MatchRoute("/g/{a}/p/{b}", "/g/x1/p/y2", &params));
  EXPECT_EQ(params, (std::vector<std::string>{"x1", "y2"}));
  EXPECT_FALSE(MatchRoute("/g/{a}/p/{b}", "/g//p/y2", &params));
  EXPECT_FALSE(MatchRoute("/g/{a}", "/g/x/y", &params));
  EXPECT_FALSE(MatchRoute("/g/{a}", "/g/", &params));
  // Parameters are percent-decoded per segment: '/' inside an id is %2F.
  ASSERT_TRUE(MatchRoute("/g/{a}/p/{b}", "/g/x%2Fy/p/%E2%82%AC%20+%25", &params));
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0], "x/y");
  EXPECT_EQ(params[1], "\u20ac +%");
  EXPECT_FALSE(MatchRoute("/g/{a}", "/g/x%2", &params));
  EXPECT_FALSE(MatchRoute("/g/{a}", "/g/x%zz", &params));
  EXPECT_FALSE(MatchRoute("/g/{a}", "/g/x/y%2F", &params));
  EXPECT_EQ(RawPath("/g/a%2Fb?x=%2F"), "/g/a%2Fb");
}

}  // namespace
}  // namespace facet::service
