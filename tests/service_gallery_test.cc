// The gallery endpoints end to end: a real Service with a real gallery store (SQLite, master key
// file) on a free loopback port. The whole life of a person through the API: create gallery ->
// person -> consent -> enroll -> identify (found) -> stranger unknown -> revoke consent ->
// identify no longer finds -> export -> erase, with the audit log checked, and the refusals
// (scopes, purpose, consent, unknown gallery, model mismatch).
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "facet/api_keys.h"
#include "facet/gallery.h"
#include "facet/service.h"
#include "service_gallery_fixture.h"

namespace facet {
namespace {

using nlohmann::json;

class GalleryApiTest : public fixtures::GalleryServiceTest {
 protected:
  void AddKeys(const std::string& keys) override {
    full_ = AddApiKey(keys, {.name = "front-desk", .scopes = kScopeAll})->key;
    detect_only_ = AddApiKey(keys, {.name = "camera", .scopes = kScopeDetect})->key;
    identify_only_ =
        AddApiKey(keys, {.name = "door", .scopes = kScopeDetect | kScopeIdentify | kScopeVerify})
            ->key;
  }
  // faceIds are bound to the key that made them.
  std::vector<std::string> FaceIds(const std::string& image, const std::string& key) {
    json faces = Ok(Call("POST", "/face/v1.0/detect?returnFaceId=true", image,
                         "application/octet-stream", key));
    std::vector<std::string> ids;
    for (const json& f : faces) ids.push_back(f["faceId"]);
    return ids;
  }

  std::string full_, detect_only_, identify_only_;
};

const std::string kGroups = "/face/v1.0/persongroups";
const std::string kAlice = "/face/v1.0/persongroups/office/persons/alice";

TEST_F(GalleryApiTest, ThePersonLifecycleThroughTheApi) {
  // Create a gallery (person group); twice is a conflict; unknown ones are 404.
  json group = Ok(Json("PUT", kGroups + "/office", {{"purpose", "door access"}}, full_));
  EXPECT_EQ(group["personGroupId"], "office");
  EXPECT_EQ(group["recognitionModel"], engine_->recognizer().name);
  EXPECT_EQ(Outcome(Json("PUT", kGroups + "/office", {{"purpose", "x"}}, full_)),
            std::make_pair(409, std::string("PersonGroupExists")));
  EXPECT_EQ(Outcome(Json("PUT", kGroups + "/nopurpose", json::object(), full_)).first, 400);
  EXPECT_EQ(Outcome(Call("GET", kGroups + "/nowhere", "", "", full_)).first, 404);
  EXPECT_EQ(Outcome(Json("PUT", kGroups + "/x", {{"purpose", "p"}}, identify_only_)),
            std::make_pair(403, std::string("PermissionDenied")));

  // A person; enrollment without consent is refused before any inference.
  json person = Ok(Json("POST", kGroups + "/office/persons",
                        {{"personId", "alice"}, {"name", "Alice Example"}}, full_));
  EXPECT_EQ(person["personId"], "alice");
  // The store's checks are reported in the API's words: userData, not "external reference".
  httplib::Result bad_user_data = Json("POST", kGroups + "/office/persons",
                                       {{"name", "Carol"}, {"userData", "a\u0001b"}}, full_);
  ASSERT_TRUE(bad_user_data);
  EXPECT_EQ(bad_user_data->status, 400);
  EXPECT_NE(bad_user_data->body.find("userData contains a control character"), std::string::npos)
      << bad_user_data->body;
  EXPECT_EQ(Outcome(Call("GET", kGroups + "/office/persons/bob", "", "", full_)).first, 404);
  const std::string photo = Sample(3);
  EXPECT_EQ(Outcome(Call("POST", kAlice + "/persistedfaces", photo, "image/jpeg", full_)),
            std::make_pair(403, std::string("ConsentRequired")));

  // A consent expiring in a year the clock cannot hold is a 400, not an overflow (fuzzer find).
  EXPECT_EQ(Outcome(Json("POST", kAlice + "/consents",
                         {{"grantedBy", "alice"},
                          {"scope", "identify"},
                          {"purpose", "door access"},
                          {"expiresDateTime", "5578-01-01T00:00:00Z"}},
                         full_)),
            std::make_pair(400, std::string("BadArgument")));

  // Consent, then enrollment of the photo's largest face.
  json consent = Ok(Json("POST", kAlice + "/consents",
                         {{"grantedBy", "alice"},
                          {"scope", "identify"},
                          {"purpose", "door access"},
                          {"evidence", "sha256:0123"},
                          {"expiresDateTime", "2099-01-01T00:00:00Z"}},
                         full_));
  ASSERT_TRUE(consent["valid"].get<bool>());
  json face = Ok(Call("POST", kAlice + "/persistedfaces", photo, "image/jpeg", full_));
  EXPECT_FALSE(face["persistedFaceId"].get<std::string>().empty());
  EXPECT_GE(face["facesInImage"].get<int>(), 2);
  EXPECT_EQ(Ok(Call("GET", kAlice, "", "", full_))["faceCount"], 1);

  // Identify: the largest face of the photo is alice, every other face (strangers) unknown.
  const std::vector<std::string> ids = FaceIds(photo, identify_only_);
  ASSERT_GE(ids.size(), 2u);
  auto identify = [&](const std::string& key, const json& extra) {
    json body = {{"personGroupId", "office"}, {"faceIds", ids}};
    body.update(extra);
    return Json("POST", "/face/v1.0/identify", body, key);
  };
  EXPECT_EQ(Outcome(identify(full_, json::object())),
            std::make_pair(400, std::string("PurposeRequired")));
  EXPECT_EQ(Outcome(identify(detect_only_, {{"purpose", "entry"}})).first, 403);
  EXPECT_EQ(Outcome(Json("POST", "/face/v1.0/identify",
                         {{"personGroupId", "nowhere"}, {"faceIds", ids}, {"purpose", "entry"}},
                         full_))
                .first,
            404);
  // Another key cannot use these faceIds.
  EXPECT_EQ(Outcome(identify(full_, {{"purpose", "door test"}})).first, 404);
  json found = Ok(identify(identify_only_, {{"purpose", "door test"}}));
  ASSERT_EQ(found.size(), ids.size());
  EXPECT_EQ(found[0]["decision"], "alice");
  ASSERT_FALSE(found[0]["candidates"].empty());
  EXPECT_EQ(found[0]["candidates"][0]["personId"], "alice");
  EXPECT_GT(found[0]["candidates"][0]["confidence"].get<double>(), 0.5);
  for (size_t i = 1; i < found.size(); ++i) {
    EXPECT_EQ(found[i]["decision"], "unknown") << "face " << i;
    EXPECT_TRUE(found[i]["candidates"].empty());
  }

  // Verify face to person: alice yes, a stranger no; a purpose is required.
  auto verify = [&](const std::string& face_id, const json& extra,
                    const std::string& key = "") {
    json body = {{"faceId", face_id}, {"personGroupId", "office"}, {"personId", "alice"}};
    body.update(extra);
    return Json("POST", "/face/v1.0/verify", body, key.empty() ? identify_only_ : key);
  };
  EXPECT_EQ(Outcome(verify(ids[0], {{"purpose", "check"}}, detect_only_)).first, 403);
  EXPECT_TRUE(Ok(verify(ids[0], {{"purpose", "check"}}))["isIdentical"].get<bool>());
  EXPECT_FALSE(Ok(verify(ids[1], {{"purpose", "check"}}))["isIdentical"].get<bool>());
  EXPECT_EQ(Outcome(verify(ids[0], json::object())).first, 400);

  // Revoking the only consent shreds the templates at once: identify no longer finds alice.
  json revoked = Ok(Call("DELETE",
                         kAlice + "/consents/" + std::to_string(consent["consentId"].get<int64_t>()),
                         "", "", full_));
  EXPECT_TRUE(revoked["templatesShredded"].get<bool>());
  json after = Ok(identify(identify_only_, {{"purpose", "door test"}}));
  for (const json& f : after) EXPECT_EQ(f["decision"], "unknown");
  EXPECT_EQ(Outcome(verify(ids[0], {{"purpose", "check"}})),
            std::make_pair(403, std::string("ConsentRequired")));

  // Export (needs a purpose), then erase.
  EXPECT_EQ(Outcome(Call("GET", kAlice + "/export", "", "", full_)).first, 400);
  json exported = Ok(Call("GET", kAlice + "/export?purpose=access%20request", "", "", full_));
  EXPECT_EQ(exported["person"]["display_name"], "Alice Example");
  EXPECT_EQ(exported["consents"].size(), 1u);
  EXPECT_EQ(Ok(Call("DELETE", kAlice, "", "", full_))["erased"], true);
  EXPECT_EQ(Outcome(Call("GET", kAlice, "", "", full_)).first, 404);

  // The audit log: admin only; intact; identify entries carry the key's name and the purpose;
  // no name of a person in it.
  EXPECT_EQ(Outcome(Call("GET", "/face/v1.0/audit", "", "", identify_only_)).first, 403);
  json audit = Ok(Call("GET", "/face/v1.0/audit?limit=1000", "", "", full_));
  int identifies = 0;
  std::set<std::string> actions;
  for (const json& e : audit["entries"]) {
    actions.insert(e["action"].get<std::string>());
    if (e["action"] == "identify") {
      ++identifies;
      EXPECT_EQ(e["purpose"], "door test");
      EXPECT_EQ(e["actor"], "door");
    }
  }
  EXPECT_EQ(identifies, 2);
  for (const char* action : {"enroll", "verify", "person_export", "consent_revoke"}) {
    EXPECT_EQ(actions.count(action), 1u) << action << " not audited";
  }
  EXPECT_EQ(audit.dump().find("Alice Example"), std::string::npos);
  EXPECT_TRUE(Ok(Call("GET", "/face/v1.0/audit/verify", "", "", full_))["intact"].get<bool>());
}

// Every byte but the unreserved ones (RFC 3986) as %XX: '/' and '.' included.
std::string EncodeSegment(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[u >> 4], kHex[u & 15]};
    }
  }
  return out;
}

// Issue 18: an id that can be created must be usable in every route, erasure included.
TEST_F(GalleryApiTest, EveryAcceptedPersonIdRoundTripsOverHttp) {
  Ok(Json("PUT", kGroups + "/ids", {{"purpose", "id round trip"}}, full_));
  httplib::Client c("127.0.0.1", service_->port());
  c.set_url_encode(false);  // the paths below are encoded already
  const httplib::Headers h{{"Ocp-Apim-Subscription-Key", full_}};
  for (const std::string id : {"a/b", "/lead", "x y", "50%", "a%2Fb", "q?x=1", "h#1", "plus+1",
                               ".", "..", "\u00fcml\u00e4ut \u20ac", "semi;colon", "back\\slash"}) {
    SCOPED_TRACE(id);
    Ok(Json("POST", kGroups + "/ids/persons", {{"personId", id}}, full_));
    const std::string person = kGroups + "/ids/persons/" + EncodeSegment(id);
    auto got = c.Get(person, h);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, 200) << got->body;
    EXPECT_EQ(json::parse(got->body, nullptr, false).value("personId", ""), id);
    auto consents = c.Get(person + "/consents", h);
    ASSERT_TRUE(consents);
    EXPECT_EQ(consents->status, 200) << consents->body;
    auto exported = c.Get(person + "/export?purpose=round%20trip", h);
    ASSERT_TRUE(exported);
    EXPECT_EQ(exported->status, 200) << exported->body;
    auto erased = c.Delete(person, h);
    ASSERT_TRUE(erased);
    EXPECT_EQ(erased->status, 200) << erased->body;
    auto gone = c.Get(person, h);
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->status, 404);
  }
  // A malformed escape is no id at all.
  auto bad = c.Get(kGroups + "/ids/persons/x%zz", h);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 404);
}

TEST_F(GalleryApiTest, FindSimilarGroupAndModelMismatch) {
  const std::vector<std::string> a = FaceIds(Sample(1), identify_only_);
  const std::vector<std::string> b = FaceIds(Sample(1), identify_only_);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  // The same face detected twice is the most similar; strangers are below the threshold.
  json similar = Ok(Json("POST", "/face/v1.0/findsimilars", {{"faceId", a[0]}, {"faceIds", b}},
                         identify_only_));
  ASSERT_EQ(similar.size(), 1u);
  EXPECT_EQ(similar[0]["faceId"], b[0]);
  json ranked = Ok(Json("POST", "/face/v1.0/findsimilars",
                        {{"faceId", a[0]}, {"faceIds", b}, {"mode", "matchFace"}},
                        identify_only_));
  EXPECT_EQ(ranked.size(), 3u);
  // Grouping: each face with its twin.
  std::vector<std::string> all = a;
  all.insert(all.end(), b.begin(), b.end());
  json grouped = Ok(Json("POST", "/face/v1.0/group", {{"faceIds", all}}, identify_only_));
  ASSERT_EQ(grouped["groups"].size(), 3u) << grouped.dump();
  for (const json& g : grouped["groups"]) EXPECT_EQ(g.size(), 2u);
  EXPECT_TRUE(grouped["messyGroup"].empty());
  EXPECT_EQ(Outcome(Json("POST", "/face/v1.0/group", {{"faceIds", all}}, detect_only_)).first,
            403);

  // A gallery of another model version: identify refuses with 409, not a wrong answer.
  RecognizerInfo other = engine_->recognizer();
  other.version += "-other";
  ASSERT_TRUE(galleries_->CreateGallery({.name = "legacy", .purpose = "old"}, other,
                                        {.actor = "test"}).ok());
  EXPECT_EQ(Outcome(Json("POST", "/face/v1.0/identify",
                         {{"personGroupId", "legacy"}, {"faceIds", {a[0]}}, {"purpose", "p"}},
                         identify_only_)),
            std::make_pair(409, std::string("ModelMismatch")));
}

// What the web UI's Galleries and Audit pages read (issue 17): persons with their consents and
// face counts in one call; the audit log newest first, paged to the end, filtered.
TEST_F(GalleryApiTest, GalleryOverviewAndAuditPages) {
  for (const char* g : {"lobby", "lab"}) {
    Ok(Json("PUT", kGroups + "/" + g, {{"purpose", "overview test"}}, full_));
  }
  for (int i = 0; i < 12; ++i) {
    const std::string id = "p" + std::to_string(10 + i);
    Ok(Json("POST", kGroups + "/lobby/persons", {{"personId", id}}, full_));
    if (i % 3 == 0) {
      Ok(Json("POST", kGroups + "/lobby/persons/" + id + "/consents",
              {{"grantedBy", id}, {"scope", "identify"}, {"purpose", "lobby"}}, full_));
    }
  }
  Ok(Json("POST", kGroups + "/lab/persons", {{"personId", "q1"}}, full_));

  json persons = Ok(Call("GET", kGroups + "/lobby/persons?returnConsents=true", "", "", full_));
  ASSERT_EQ(persons.size(), 12u);
  for (size_t i = 0; i < persons.size(); ++i) {
    EXPECT_EQ(persons[i]["faceCount"], 0);
    ASSERT_TRUE(persons[i]["consents"].is_array()) << persons[i].dump();
    EXPECT_EQ(persons[i]["consents"].size(), i % 3 == 0 ? 1u : 0u) << persons[i].dump();
  }
  EXPECT_EQ(persons[0]["consents"][0]["purpose"], "lobby");
  EXPECT_TRUE(persons[0]["consents"][0]["valid"].get<bool>());
  EXPECT_FALSE(Ok(Call("GET", kGroups + "/lobby/persons", "", "", full_))[0].contains("consents"));
  EXPECT_EQ(Outcome(Call("GET", kGroups + "/lobby/persons?returnConsents=yes", "", "", full_)),
            std::make_pair(400, std::string("BadArgument")));

  // Newest first, 5 a page, followed to the end: every entry once, in descending order.
  std::vector<int64_t> seqs;
  std::string from;
  int64_t last = 0;
  for (int page = 0; page < 100; ++page) {
    json audit = Ok(Call("GET", "/face/v1.0/audit?order=newest&limit=5" + from, "", "", full_));
    last = audit["lastSeq"];
    for (const json& e : audit["entries"]) seqs.push_back(e["seq"]);
    if (audit["nextFrom"].is_null()) break;
    EXPECT_EQ(audit["entries"].size(), 5u);
    from = "&from=" + std::to_string(audit["nextFrom"].get<int64_t>());
  }
  ASSERT_EQ(last, 20);  // the store, 2 groups, 13 persons, 4 consents
  ASSERT_EQ(std::ssize(seqs), last);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], last - static_cast<int64_t>(i));
  // Oldest first is still the default, and ends with nextFrom null.
  json all = Ok(Call("GET", "/face/v1.0/audit?limit=1000", "", "", full_));
  EXPECT_EQ(all["entries"][0]["seq"], 1);
  EXPECT_EQ(std::ssize(all["entries"]), last);
  EXPECT_TRUE(all["nextFrom"].is_null());
  // Filters: by person group, by action, by actor (the key's name).
  json lab = Ok(Call("GET", "/face/v1.0/audit?order=newest&personGroupId=lab", "", "", full_));
  ASSERT_EQ(lab["entries"].size(), 2u);  // the group and its person
  for (const json& e : lab["entries"]) EXPECT_EQ(e["personGroupId"], "lab");
  json grants =
      Ok(Call("GET", "/face/v1.0/audit?order=newest&action=consent_grant", "", "", full_));
  EXPECT_EQ(grants["entries"].size(), 4u);
  for (const json& e : grants["entries"]) EXPECT_EQ(e["action"], "consent_grant");
  const auto by_desk = std::count_if(all["entries"].begin(), all["entries"].end(),
                                     [](const json& e) { return e["actor"] == "front-desk"; });
  EXPECT_EQ(by_desk, last - 1);  // all but the store's creation
  EXPECT_EQ(std::ssize(Ok(Call("GET", "/face/v1.0/audit?actor=front-desk&limit=1000", "", "",
                               full_))["entries"]),
            by_desk);
  EXPECT_TRUE(Ok(Call("GET", "/face/v1.0/audit?actor=nobody", "", "", full_))["entries"].empty());
  EXPECT_EQ(Outcome(Call("GET", "/face/v1.0/audit?order=sideways", "", "", full_)).first, 400);
  // A start beyond the head starts at the head.
  EXPECT_EQ(Ok(Call("GET", "/face/v1.0/audit?order=newest&limit=1&from=999999", "", "",
                    full_))["entries"][0]["seq"],
            last);
}

}  // namespace
}  // namespace facet
