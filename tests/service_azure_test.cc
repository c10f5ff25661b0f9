// Azure Face's request shapes against a real Service with a gallery store, on a free loopback
// port: every API version, detect with Azure's parameters and attributes, LargePersonGroup with
// Azure's bodies, train as a long-running operation, identify/verify without a body purpose (the
// key's declared purpose is audited instead), and Azure's error codes. The official JavaScript
// client runs the same flows in tests/azure_client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "facet/api_keys.h"
#include "facet/gallery.h"
#include "facet/service.h"
#include "service_gallery_fixture.h"

namespace facet {
namespace {

using nlohmann::json;

constexpr int kMaxFaceIdTtl = 300;

class AzureApiTest : public fixtures::GalleryServiceTest {
 protected:
  void AddKeys(const std::string& keys) override {
    door_ = AddApiKey(keys, {.name = "door", .scopes = kScopeAll, .purpose = "door access"})->key;
    plain_ = AddApiKey(keys, {.name = "plain", .scopes = kScopeAll})->key;
  }
  void Configure(ServiceOptions& o) override { o.face_id_max_ttl_s = kMaxFaceIdTtl; }

  httplib::Result Detect(const std::string& version, const std::string& query,
                         const std::string& image, const std::string& key) {
    return Call("POST", "/face/" + version + "/detect" + query, image, "application/octet-stream",
                key);
  }
  std::vector<std::string> FaceIds(const std::string& image, const std::string& key) {
    json faces =
        Ok(Detect("v1.2", "?returnFaceId=true&recognitionModel=recognition_04", image, key));
    std::vector<std::string> ids;
    for (const json& f : faces) ids.push_back(f["faceId"]);
    return ids;
  }

  std::string door_, plain_;
};

TEST_F(AzureApiTest, EveryApiVersionServesTheSameAnswers) {
  const std::string photo = Sample(1);
  json reference = Ok(Detect("v1.0", "", photo, plain_));
  ASSERT_FALSE(reference.empty());
  for (const char* version : {"v1.1-preview.1", "v1.2-preview.1", "v1.2"}) {
    EXPECT_EQ(Ok(Detect(version, "", photo, plain_)), reference) << version;
  }
  auto unknown = Detect("v9.9", "", photo, plain_);
  EXPECT_EQ(Outcome(unknown), std::make_pair(404, std::string("NotFound")));
  EXPECT_NE(Message(unknown).find("v1.2"), std::string::npos) << Message(unknown);
  EXPECT_EQ(Outcome(Call("GET", "/face/", "", "", plain_)).first, 404);
}

TEST_F(AzureApiTest, DetectTakesAzureParametersAndComputesQualityAttributes) {
  const std::string photo = Sample(3);
  auto res = Detect("v1.2",
                    "?detectionModel=detection_03&recognitionModel=recognition_04"
                    "&returnFaceId=true&returnFaceLandmarks=true&returnRecognitionModel=true"
                    "&faceIdTimeToLive=86400"
                    "&returnFaceAttributes=headPose,qualityForRecognition,blur,exposure,noise",
                    photo, plain_);
  json faces = Ok(res);
  ASSERT_GE(faces.size(), 2u);
  // The life asked for is capped at the server's maximum, and the cap is reported.
  EXPECT_EQ(res->get_header_value("Facet-FaceId-Time-To-Live"), std::to_string(kMaxFaceIdTtl));
  for (const json& f : faces) {
    EXPECT_EQ(f["recognitionModel"], "recognition_04");
    EXPECT_EQ(f["facetRecognitionModel"], engine_->recognizer().name);
    EXPECT_EQ(f["faceId"].get<std::string>().size(), 36u);
    // 23 of Azure's 27 named points, where a face has them: brows outside the eyes, lids above
    // and below the pupil, the upper lip above the lower; the nose roots and alar tops absent.
    const json& l = f["faceLandmarks"];
    EXPECT_EQ(l.size(), 23u) << l;
    auto x = [&](const char* name) { return l[name]["x"].get<double>(); };
    auto y = [&](const char* name) { return l[name]["y"].get<double>(); };
    EXPECT_LT(x("eyebrowLeftOuter"), x("eyeLeftInner"));
    EXPECT_LT(x("eyeLeftOuter"), x("pupilLeft"));
    EXPECT_LT(x("pupilLeft"), x("eyeLeftInner"));
    EXPECT_LT(x("eyeRightInner"), x("pupilRight"));
    EXPECT_LT(x("pupilRight"), x("eyeRightOuter"));
    EXPECT_LT(x("eyebrowRightInner"), x("eyebrowRightOuter"));
    EXPECT_LT(y("eyebrowLeftInner"), y("eyeLeftTop"));
    EXPECT_LE(y("eyeLeftTop"), y("eyeLeftBottom"));
    EXPECT_LE(y("eyeRightTop"), y("eyeRightBottom"));
    EXPECT_LT(x("noseLeftAlarOutTip"), x("noseRightAlarOutTip"));
    EXPECT_LT(y("upperLipTop"), y("underLipBottom"));
    EXPECT_LE(y("upperLipBottom"), y("underLipTop") + 1);
    EXPECT_LT(y("pupilLeft"), y("upperLipTop"));
    for (const char* absent :
         {"noseRootLeft", "noseRootRight", "noseLeftAlarTop", "noseRightAlarTop"}) {
      EXPECT_FALSE(l.contains(absent)) << absent;
    }
    const json& a = f["faceAttributes"];
    for (const char* name : {"headPose", "qualityForRecognition", "blur", "exposure", "noise"}) {
      EXPECT_TRUE(a.contains(name)) << name;
    }
    // Levels agree with values on Azure's scales.
    const double blur = a["blur"]["value"], exposure = a["exposure"]["value"],
                 noise = a["noise"]["value"];
    EXPECT_EQ(a["blur"]["blurLevel"], blur < 0.25 ? "low" : blur < 0.75 ? "medium" : "high");
    EXPECT_EQ(a["exposure"]["exposureLevel"], exposure < 0.25   ? "underExposure"
                                              : exposure < 0.75 ? "goodExposure"
                                                                : "overExposure");
    EXPECT_EQ(a["noise"]["noiseLevel"], noise < 0.3 ? "low" : noise < 0.7 ? "medium" : "high");
    for (double v : {blur, exposure, noise}) {
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
    }
  }
  // A face rated high for recognition is not very blurred (the blur scale follows the quality
  // rules' sharpness limits).
  for (const json& f : faces) {
    if (f["faceAttributes"]["qualityForRecognition"] == "high") {
      EXPECT_EQ(f["faceAttributes"]["blur"]["blurLevel"], "low") << f.dump();
    }
  }
  // The default recognition model needs no name; facet's own names still work.
  EXPECT_FALSE(Ok(Detect("v1.2", "?returnRecognitionModel=true&detectionModel=detection_01", photo,
                         plain_))[0]["recognitionModel"]
                   .get<std::string>()
                   .empty());
  EXPECT_EQ(Outcome(Detect("v1.2", "?recognitionModel=recognition_05", photo, plain_)).first, 400);
  EXPECT_EQ(Outcome(Detect("v1.2", "?detectionModel=detection_04", photo, plain_)).first, 400);
}

TEST_F(AzureApiTest, AttributesWithoutAModelOrNeverInferredAre400NamingThem) {
  const std::string photo = Sample(1);
  for (const char* attribute : {"mask", "glasses", "accessories", "occlusion"}) {
    auto res =
        Detect("v1.2", std::string("?returnFaceAttributes=headPose,") + attribute, photo, plain_);
    EXPECT_EQ(Outcome(res), std::make_pair(400, std::string("BadArgument"))) << attribute;
    EXPECT_NE(Message(res).find(attribute), std::string::npos) << Message(res);
    EXPECT_NE(Message(res).find("no model"), std::string::npos) << Message(res);
  }
  for (const char* attribute :
       {"age", "gender", "emotion", "smile", "hair", "makeup", "facialHair", "Age"}) {
    auto res = Detect("v1.0", std::string("?returnFaceAttributes=") + attribute, photo, plain_);
    EXPECT_EQ(Outcome(res).first, 400) << attribute;
    EXPECT_NE(Message(res).find("never infers"), std::string::npos) << Message(res);
  }
}

TEST_F(AzureApiTest, LargePersonGroupTrainAndIdentifyWithTheKeysPurpose) {
  const std::string lpg = "/face/v1.2/largepersongroups/lpg_family";
  // A key without a purpose must name one; a blank one is no purpose.
  EXPECT_EQ(Outcome(Json("PUT", lpg, {{"name", "My Family"}}, plain_)),
            std::make_pair(400, std::string("PurposeRequired")));
  EXPECT_EQ(Outcome(Json("PUT", lpg, {{"name", "My Family"}, {"purpose", " \t"}}, plain_)).first,
            400);
  // Azure's body with the door key: the group's purpose is the key's.
  json group = Ok(Json(
      "PUT", lpg,
      {{"name", "My Family"}, {"userData", "x"}, {"recognitionModel", "recognition_04"}}, door_));
  EXPECT_EQ(group["largePersonGroupId"], "lpg_family");
  EXPECT_EQ(group["purpose"], "door access");
  EXPECT_EQ(group["name"], "My Family");
  EXPECT_EQ(group["userData"], "x");
  EXPECT_EQ(group["recognitionModel"], "recognition_04");
  EXPECT_EQ(group["facetRecognitionModel"], engine_->recognizer().name);
  EXPECT_EQ(Ok(Call("GET", "/face/v1.0/persongroups/lpg_family", "", "", door_))["personGroupId"],
            "lpg_family");
  EXPECT_EQ(Outcome(Call("GET", "/face/v1.2/largepersongroups/nowhere", "", "", door_)),
            std::make_pair(404, std::string("LargePersonGroupNotFound")));
  EXPECT_EQ(Outcome(Call("GET", "/face/v1.2/persongroups/nowhere", "", "", door_)),
            std::make_pair(404, std::string("PersonGroupNotFound")));
  EXPECT_EQ(Outcome(Json("POST", lpg + "/persons", {{"name", "  "}}, door_)).first, 400);

  // Azure's list paging: ids after `start`, at most `top`, in id order.
  for (const char* id : {"b", "a", "c"})
    Ok(Json("POST", lpg + "/persons", {{"personId", id}}, door_));
  json page = Ok(Call("GET", lpg + "/persons?start=a&top=1", "", "", door_));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0]["personId"], "b");
  EXPECT_EQ(Ok(Call("GET", lpg + "/persons?start=c", "", "", door_)).size(), 0u);
  EXPECT_EQ(Outcome(Call("GET", lpg + "/persons?top=0", "", "", door_)).first, 400);
  EXPECT_EQ(
      Ok(Call("GET", "/face/v1.2/largepersongroups?top=1", "", "", door_))[0]["largePersonGroupId"],
      "lpg_family");

  json bill = Ok(Json("POST", lpg + "/persons", {{"name", "Bill"}, {"userData", "Dad"}}, door_));
  const std::string bill_path = lpg + "/persons/" + bill["personId"].get<std::string>();
  EXPECT_EQ(Outcome(Call("GET", lpg + "/persons/nobody", "", "", door_)),
            std::make_pair(404, std::string("PersonNotFound")));
  const std::string photo = Sample(3);
  const std::string add_face =
      bill_path + "/persistedfaces?userData=Dad-0001&detectionModel=detection_03";
  auto refused = Call("POST", add_face, photo, "application/octet-stream", door_);
  EXPECT_EQ(Outcome(refused), std::make_pair(403, std::string("ConsentRequired")));
  EXPECT_NE(Message(refused).find("POST " + bill_path + "/consents"), std::string::npos)
      << Message(refused);
  EXPECT_EQ(Outcome(Json("POST", bill_path + "/consents",
                         {{"grantedBy", " "}, {"scope", "identify"}, {"purpose", "door"}}, door_))
                .first,
            400);
  Ok(Json("POST", bill_path + "/consents",
          {{"grantedBy", "Bill"}, {"scope", "identify"}, {"purpose", "door access"}}, door_));
  json face = Ok(Call("POST", add_face, photo, "application/octet-stream", door_));
  EXPECT_FALSE(face["persistedFaceId"].get<std::string>().empty());
  EXPECT_EQ(face["userData"], "Dad-0001");
  EXPECT_EQ(Ok(Call("GET", bill_path, "", "", door_))["persistedFaceIds"],
            json::array({face["persistedFaceId"]}));
  // targetFace: the face at the rectangle (here the second largest of a detect), not the largest.
  json detected = Ok(Detect("v1.2", "?detectionModel=detection_03", photo, door_));
  ASSERT_GE(detected.size(), 2u);
  const json& r = detected[1]["faceRectangle"];
  const std::string target =
      std::to_string(r["left"].get<int>()) + "," + std::to_string(r["top"].get<int>()) + "," +
      std::to_string(r["width"].get<int>()) + "," + std::to_string(r["height"].get<int>());
  json clare = Ok(Json("POST", lpg + "/persons", {{"name", "Clare"}}, door_));
  const std::string clare_path = lpg + "/persons/" + clare["personId"].get<std::string>();
  Ok(Json("POST", clare_path + "/consents",
          {{"grantedBy", "Clare"}, {"scope", "identify"}, {"purpose", "door access"}}, door_));
  json at_target = Ok(Call("POST",
                           clare_path +
                               "/persistedfaces?detectionModel=detection_03&minQuality=low"
                               "&targetFace=" +
                               target,
                           photo, "application/octet-stream", door_));
  EXPECT_NEAR(at_target["faceRectangle"]["left"].get<int>(), r["left"].get<int>(), 2);
  EXPECT_NEAR(at_target["faceRectangle"]["width"].get<int>(), r["width"].get<int>(), 2);
  EXPECT_EQ(Outcome(Call("POST", clare_path + "/persistedfaces?targetFace=0,0,3,3", photo,
                         "application/octet-stream", door_)),
            std::make_pair(400, std::string("NoFaceDetected")));
  for (const char* bad : {"1,2,3", "1,2,3,0", "a,b,c,d", "-1,0,5,5", "1,2,3,4,5"}) {
    EXPECT_EQ(Outcome(Call("POST", clare_path + "/persistedfaces?targetFace=" + std::string(bad),
                           photo, "application/octet-stream", door_))
                  .first,
              400)
        << bad;
  }

  // Train: a long-running operation from v1.1-preview.1 on, already succeeded.
  auto train = Call("POST", lpg + "/train", "", "", door_);
  ASSERT_TRUE(train);
  EXPECT_EQ(train->status, 202);
  const std::string location = train->get_header_value("Operation-Location");
  const std::string prefix =
      "http://127.0.0.1:" + std::to_string(service_->port()) + "/face/v1.2/operations/";
  ASSERT_EQ(location.substr(0, prefix.size()), prefix) << location;
  const std::string operation = "/face/v1.2/operations/" + location.substr(prefix.size());
  json status = Ok(Call("GET", operation, "", "", door_));
  EXPECT_EQ(status["status"], "succeeded");
  EXPECT_EQ(Outcome(Call("GET", operation, "", "", plain_)).first, 404);  // another key's
  EXPECT_EQ(Ok(Call("GET", lpg + "/training", "", "", door_))["status"], "succeeded");
  auto train_v1 = Call("POST", "/face/v1.0/largepersongroups/lpg_family/train", "", "", door_);
  ASSERT_TRUE(train_v1);
  EXPECT_EQ(train_v1->status, 202);
  EXPECT_FALSE(train_v1->has_header("Operation-Location"));
  EXPECT_EQ(Outcome(Call("POST", "/face/v1.2/largepersongroups/nowhere/train", "", "", door_)),
            std::make_pair(404, std::string("LargePersonGroupNotFound")));

  // Identify with Azure's body: no purpose; the door key's is audited.
  const std::vector<std::string> ids = FaceIds(photo, door_);
  ASSERT_GE(ids.size(), 2u);
  json found = Ok(Json("POST", "/face/v1.2/identify",
                       {{"faceIds", ids}, {"largePersonGroupId", "lpg_family"}}, door_));
  ASSERT_EQ(found.size(), ids.size());
  ASSERT_FALSE(found[0]["candidates"].empty());
  EXPECT_EQ(found[0]["candidates"][0]["personId"], bill["personId"]);
  EXPECT_TRUE(Ok(Json(
      "POST", "/face/v1.2/identify",
      {{"faceIds", ids}, {"largePersonGroupId", "lpg_family"}, {"confidenceThreshold", 1.0}},
      door_))[0]["candidates"]
                  .empty());
  EXPECT_EQ(Outcome(Json("POST", "/face/v1.2/identify",
                         {{"faceIds", ids},
                          {"largePersonGroupId", "lpg_family"},
                          {"personGroupId", "lpg_family"}},
                         door_))
                .first,
            400);
  // Hostile or malformed Azure fields are a clear 400, never a crash.
  for (const json& extra :
       {json{{"confidenceThreshold", "high"}}, json{{"confidenceThreshold", -1}},
        json{{"confidenceThreshold", 2}}, json{{"largePersonGroupId", 5}},
        json{{"dynamicPersonGroupId", "d"}}, json{{"maxNumOfCandidatesReturned", 0}},
        json{{"purpose", json::array()}}}) {
    json body = {{"faceIds", ids}, {"largePersonGroupId", "lpg_family"}};
    body.update(extra);
    EXPECT_EQ(Outcome(Json("POST", "/face/v1.2/identify", body, door_)).first, 400) << extra;
  }
  for (const json& bad : {json{{"name", std::string(200, 'n')}}, json{{"userData", 7}},
                          json{{"recognitionModel", "recognition_09"}}, json{{"nmae", "typo"}}}) {
    EXPECT_EQ(Outcome(Json("PUT", "/face/v1.2/largepersongroups/other", bad, door_)).first, 400)
        << bad;
  }
  // A body purpose wins over the key's.
  Ok(Json("POST", "/face/v1.2/identify",
          {{"faceIds", ids}, {"largePersonGroupId", "lpg_family"}, {"purpose", "fire drill"}},
          door_));
  // The plain key must still name a purpose.
  const std::vector<std::string> plain_ids = FaceIds(photo, plain_);
  EXPECT_EQ(Outcome(Json("POST", "/face/v1.2/identify",
                         {{"faceIds", plain_ids}, {"largePersonGroupId", "lpg_family"}}, plain_)),
            std::make_pair(400, std::string("PurposeRequired")));
  EXPECT_EQ(
      Outcome(
          Json("POST", "/face/v1.2/identify",
               {{"faceIds", plain_ids}, {"largePersonGroupId", "lpg_family"}, {"purpose", "   "}},
               plain_))
          .first,
      400);
  // Verify to a person with Azure's body, the key's purpose again.
  json verified = Ok(Json(
      "POST", "/face/v1.2/verify",
      {{"faceId", ids[0]}, {"largePersonGroupId", "lpg_family"}, {"personId", bill["personId"]}},
      door_));
  EXPECT_TRUE(verified["isIdentical"].get<bool>());
  EXPECT_EQ(Outcome(Json("POST", "/face/v1.2/findsimilars",
                         {{"faceId", ids[0]}, {"largeFaceListId", "x"}}, door_))
                .first,
            400);

  // The audit log holds every identification with the purpose it ran for.
  json audit = Ok(Call("GET", "/face/v1.2/audit?limit=1000", "", "", door_));
  std::multiset<std::string> purposes;
  for (const json& e : audit["entries"]) {
    if (e["action"] == "identify" || e["action"] == "verify") {
      purposes.insert(e["purpose"].get<std::string>());
    }
  }
  EXPECT_EQ(purposes.count("door access"), 3u) << audit.dump();
  EXPECT_EQ(purposes.count("fire drill"), 1u);
  EXPECT_EQ(purposes.size(), 4u);

  EXPECT_EQ(Ok(Call("DELETE", lpg, "", "", door_))["deleted"], true);
}

// Azure's group name/userData and face userData are kept, given back and changed (PATCH), for
// both kinds of group, with Azure's not-found codes and the changes audited without their text.
TEST_F(AzureApiTest, GroupAndFaceLabelsRoundTripForBothGroupKinds) {
  const std::string photo = Sample(3);
  for (const bool large : {false, true}) {
    const std::string kind = large ? "largepersongroups" : "persongroups";
    const std::string id_field = large ? "largePersonGroupId" : "personGroupId";
    const std::string group_missing = large ? "LargePersonGroupNotFound" : "PersonGroupNotFound";
    const std::string group = "/face/v1.2/" + kind + "/labels_" + kind;
    json created = Ok(Json("PUT", group,
                           {{"name", "Front desk"},
                            {"userData", "{\"floor\": 2}"},
                            {"recognitionModel", "recognition_03"}},
                           door_));
    EXPECT_EQ(created[id_field], "labels_" + kind);
    json got = Ok(Call("GET", group + "?returnRecognitionModel=true", "", "", door_));
    EXPECT_EQ(got["name"], "Front desk");
    EXPECT_EQ(got["userData"], "{\"floor\": 2}");
    EXPECT_EQ(got["recognitionModel"], "recognition_03");
    EXPECT_EQ(got["facetRecognitionModel"], engine_->recognizer().name);
    bool listed = false;
    for (const json& g : Ok(Call("GET", "/face/v1.2/" + kind, "", "", door_))) {
      if (g[id_field] == "labels_" + kind) listed = g["name"] == "Front desk";
    }
    EXPECT_TRUE(listed);

    // PATCH changes only what it names; an empty body changes nothing.
    json renamed = Ok(Json("PATCH", group, {{"name", "Reception"}}, door_));
    EXPECT_EQ(renamed["name"], "Reception");
    EXPECT_EQ(renamed["userData"], "{\"floor\": 2}");
    Ok(Json("PATCH", group, {{"userData", "lobby"}}, door_));
    Ok(Json("PATCH", group, json::object(), door_));
    got = Ok(Call("GET", group, "", "", door_));
    EXPECT_EQ(got["name"], "Reception");
    EXPECT_EQ(got["userData"], "lobby");
    Ok(Json("PATCH", group, {{"userData", ""}}, door_));
    EXPECT_FALSE(Ok(Call("GET", group, "", "", door_)).contains("userData"));
    for (const json& bad :
         {json{{"name", "  "}}, json{{"name", std::string(129, 'n')}}, json{{"userData", 5}},
          json{{"nmae", "typo"}}, json{{"recognitionModel", "recognition_04"}}}) {
      EXPECT_EQ(Outcome(Json("PATCH", group, bad, door_)),
                std::make_pair(400, std::string("BadArgument")))
          << bad;
    }
    EXPECT_EQ(Outcome(Json("PATCH", "/face/v1.2/" + kind + "/nowhere", {{"name", "n"}}, door_)),
              std::make_pair(404, group_missing));

    // A face's userData: given when added, read back, changed, cleared.
    json person = Ok(Json("POST", group + "/persons", {{"name", "Ann"}}, door_));
    const std::string person_path = group + "/persons/" + person["personId"].get<std::string>();
    Ok(Json("POST", person_path + "/consents",
            {{"grantedBy", "Ann"}, {"scope", "identify"}, {"purpose", "door access"}}, door_));
    json face = Ok(Call("POST", person_path + "/persistedfaces?userData=badge%20photo", photo,
                        "application/octet-stream", door_));
    EXPECT_EQ(face["userData"], "badge photo");
    const std::string face_path =
        person_path + "/persistedfaces/" + face["persistedFaceId"].get<std::string>();
    json read = Ok(Call("GET", face_path, "", "", door_));
    EXPECT_EQ(read["persistedFaceId"], face["persistedFaceId"]);
    EXPECT_EQ(read["userData"], "badge photo");
    EXPECT_EQ(Ok(Json("PATCH", face_path, {{"userData", "side view"}}, door_))["userData"],
              "side view");
    EXPECT_EQ(Ok(Call("GET", face_path, "", "", door_))["userData"], "side view");
    EXPECT_EQ(Ok(Call("GET", person_path + "/persistedfaces", "", "", door_))[0]["userData"],
              "side view");
    Ok(Json("PATCH", face_path, {{"userData", ""}}, door_));
    EXPECT_FALSE(Ok(Call("GET", face_path, "", "", door_)).contains("userData"));
    EXPECT_EQ(Outcome(Json("PATCH", face_path, {{"userData", std::string(1025, 'u')}}, door_)),
              std::make_pair(400, std::string("BadArgument")));
    EXPECT_EQ(Outcome(Json("PATCH", face_path, {{"name", "x"}}, door_)).first, 400);
    EXPECT_EQ(
        Outcome(Call("POST", person_path + "/persistedfaces?userData=" + std::string(1025, 'u'),
                     photo, "application/octet-stream", door_)),
        std::make_pair(400, std::string("BadArgument")));
    // Azure's not-found codes: the face, the person, the group.
    for (const std::string& missing :
         {person_path + "/persistedfaces/999999", person_path + "/persistedfaces/not-a-number"}) {
      EXPECT_EQ(Outcome(Call("GET", missing, "", "", door_)),
                std::make_pair(404, std::string("PersistedFaceNotFound")))
          << missing;
      EXPECT_EQ(Outcome(Json("PATCH", missing, {{"userData", "u"}}, door_)),
                std::make_pair(404, std::string("PersistedFaceNotFound")))
          << missing;
    }
    EXPECT_EQ(Outcome(Call("GET", group + "/persons/nobody/persistedfaces/1", "", "", door_)),
              std::make_pair(404, std::string("PersonNotFound")));
    EXPECT_EQ(Outcome(Call("GET", "/face/v1.2/" + kind + "/nowhere/persons/p/persistedfaces/1", "",
                           "", door_)),
              std::make_pair(404, group_missing));
    // A face id that is not one of this person's faces.
    EXPECT_EQ(Outcome(Json("PATCH",
                           "/face/v1.2/" + kind + "/labels_" + kind + "/persons/" +
                               person["personId"].get<std::string>() + "/persistedfaces/" +
                               std::to_string(
                                   std::stoll(face["persistedFaceId"].get<std::string>()) + 1000),
                           {{"userData", "u"}}, door_))
                  .first,
              404);
  }
  // Every change audited, by the key, naming fields and ids but never the text.
  json updates = Ok(Call("GET", "/face/v1.2/audit?action=gallery_update", "", "", door_));
  EXPECT_EQ(updates["entries"].size(), 6u);  // three per group kind (the empty PATCH wrote none)
  json face_updates = Ok(Call("GET", "/face/v1.2/audit?action=face_update", "", "", door_));
  EXPECT_EQ(face_updates["entries"].size(), 4u);
  const std::string log = Ok(Call("GET", "/face/v1.2/audit?limit=1000", "", "", door_)).dump();
  for (const char* text : {"Reception", "Front desk", "lobby", "side view", "badge photo"}) {
    EXPECT_EQ(log.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace facet
