// Galleries: identification (1:N) and verification (1:1), both audited.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "gallery/change_follower.h"
#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"

namespace facet {

using gallery::GalleryState;
using nlohmann::json;

namespace {

Status CheckProbe(const Embedding& e, const store::GalleryRecord& g) {
  if (e.model != g.model || e.model_version != g.model_version) {
    return Status::InvalidArgument("probe template of model '" + e.model + "' version '" +
                                   e.model_version + "' cannot be searched in gallery '" + g.name +
                                   "' of model '" + g.model + "' version '" + g.model_version + "'");
  }
  if (e.values.size() != static_cast<size_t>(g.dimensions)) {
    return Status::InvalidArgument("probe template has the wrong number of values");
  }
  return Status::Ok();
}

// Records faces skipped for a failed integrity check in an identify entry's details:
// "store_corrupt": {"skipped_faces": [face ids], "problem": the first one's message}.
void AddDamage(const std::map<int64_t, std::string>& damaged, json* details) {
  if (damaged.empty()) return;
  json ids = json::array();
  for (const auto& [face, why] : damaged) ids.push_back(face);
  (*details)["store_corrupt"] = {{"skipped_faces", std::move(ids)},
                                 {"problem", damaged.begin()->second}};
}

}  // namespace

Result<gallery::SearchOutcome> Galleries::Impl::Search(const std::string& gallery_name,
                                                      std::span<const Embedding> probes,
                                                      const IdentifyOptions& request) {
  FACET_RETURN_IF_ERROR(gallery::CheckActorAndPurpose({request.actor, request.purpose}));
  if (request.max_candidates < 1 || request.max_candidates > 100) {
    return Status::InvalidArgument("max_candidates must be 1..100");
  }
  auto state_or = State(gallery_name);
  if (!state_or.ok()) return state_or.status();
  GalleryState& state = **state_or;
  const store::GalleryRecord& record = state.record;
  if (record.use != "identify") {
    return Status::FailedPrecondition("gallery '" + gallery_name +
                                      "' is for verification only (1:1); identification refused");
  }
  for (const Embedding& probe : probes) FACET_RETURN_IF_ERROR(CheckProbe(probe, record));
  // A node past its lease refuses at once (checked again below, at the search itself).
  FACET_RETURN_IF_ERROR(CheckFreshNow());
  const AuditContext context{request.actor, request.purpose};
  {
    std::unique_lock lock(state.mutex);
    FACET_RETURN_IF_ERROR(EnsureIndexLocked(state));
    auto purged = PurgeExpiredFor(state, context);
    if (!purged.ok()) return purged.status();
  }
  // Between the two locks another thread may change the gallery; the search then sees a state
  // that was committed, never a half-applied one.
  gallery::SearchOutcome outcome;
  std::vector<Identification>& results = outcome.results;
  results.resize(probes.size());
  {
    std::shared_lock lock(state.mutex);
    if (!state.loaded) return Status::NotFound("gallery '" + gallery_name + "' was deleted");
    if (const gallery::ChangeFollower* f = follower.load()) {
      // A following node answers only from a state proven current within its lease.
      outcome.proof = f->LeaseStart();
      if (!outcome.proof || !f->WithinLease(*outcome.proof)) return f->CheckFresh();
    }
    outcome.index_kind = index::IndexKindName(state.index->kind());
    outcome.damaged_faces = state.damaged_faces;
    for (Identification& r : results) {
      r.damaged_faces_skipped = static_cast<int64_t>(state.damaged_faces.size());
    }
    const RecognizerInfo recognizer = gallery::RecognizerOf(record);
    // Several faces per person: fetch enough faces to fill the candidate list.
    const int k = request.max_candidates * 4 + 16;
    std::vector<index::SearchHit> hits;
    for (size_t i = 0; i < probes.size(); ++i) {
      state.index->Search(probes[i].values, k, &hits);
      std::unordered_set<int64_t> seen;
      for (const index::SearchHit& hit : hits) {  // best first
        if (hit.similarity < record.threshold) break;
        auto person = state.face_person.find(hit.id);
        if (person == state.face_person.end() || !seen.insert(person->second).second) continue;
        auto id = state.person_ids.find(person->second);
        auto uid = state.person_uids.find(person->second);
        if (id == state.person_ids.end() || uid == state.person_uids.end()) continue;
        Candidate c;
        c.person_id = id->second;
        c.similarity = hit.similarity;
        c.confidence = SimilarityToConfidence(hit.similarity, recognizer);
        results[i].candidates.push_back(std::move(c));
        // The decision's subject goes to the audit log, by uid.
        if (results[i].candidates.size() == 1) outcome.subjects.push_back(uid->second);
        if (static_cast<int>(results[i].candidates.size()) == request.max_candidates) break;
      }
      if (!results[i].candidates.empty()) results[i].person_id = results[i].candidates[0].person_id;
    }
  }
  return outcome;
}

Status Galleries::Impl::AuditIdentify(const std::string& gallery_name,
                                      const IdentifyOptions& request,
                                      const std::vector<std::string>& subjects,
                                      const std::string& details) {
  std::set<std::string> unique(subjects.begin(), subjects.end());
  std::string subject_list;
  for (const std::string& uid : unique) subject_list += (subject_list.empty() ? "" : " ") + uid;
  // Group commit: the entry shares a transaction with those of concurrent identifications and
  // this returns only after that transaction committed (or with its error).
  return audit_commits->Append(
      {{request.actor, request.purpose}, "identify", gallery_name, subject_list, details});
}

Result<std::vector<Identification>> Galleries::Identify(const std::string& gallery_name,
                                                        std::span<const Embedding> probes,
                                                        const IdentifyOptions& options) {
  auto outcome = impl_->Search(gallery_name, probes, options);
  if (!outcome.ok()) return outcome.status();
  // No result leaves without its audit entry.
  const std::vector<Identification>& results = outcome->results;
  const size_t identified = static_cast<size_t>(
      std::count_if(results.begin(), results.end(), [](const auto& r) { return r.known(); }));
  json details = {{"probes", probes.size()},
                  {"identified", identified},
                  {"unknown", probes.size() - identified},
                  {"index", outcome->index_kind}};
  AddDamage(outcome->damaged_faces, &details);
  FACET_RETURN_IF_ERROR(
      impl_->AuditIdentify(gallery_name, options, outcome->subjects, details.dump()));
  // The audit write took time: the answer leaves only while the lease it was searched under
  // holds (an erasure is never in an answer given later than max_staleness after it).
  if (const gallery::ChangeFollower* f = impl_->follower.load();
      f != nullptr && outcome->proof && !f->WithinLease(*outcome->proof)) {
    return Status::FailedPrecondition(std::string(kNodeStaleMarker) +
                                      " (the lease this search was answered under ran out "
                                      "before the answer could leave): retry");
  }
  return std::move(outcome->results);
}

// --- IdentificationRun: many searches, one audit entry.

struct IdentificationRun::Counts {
  mutable std::mutex mutex;
  bool finished = false;
  int64_t searches = 0;
  int64_t probes = 0;
  int64_t identified = 0;
  std::set<std::string> subjects;
  std::string index_kind;
  std::map<int64_t, std::string> damaged_faces;
};

Result<std::unique_ptr<IdentificationRun>> Galleries::StartIdentification(
    const std::string& gallery, const IdentifyOptions& options, const std::string& activity) {
  // An empty search checks what Identify checks (purpose, gallery, use) and loads the index.
  auto checked = impl_->Search(gallery, {}, options);
  if (!checked.ok()) return checked.status();
  return std::make_unique<IdentificationRun>(*this, gallery, options, activity);
}

IdentificationRun::IdentificationRun(Galleries& galleries, std::string gallery,
                                     IdentifyOptions options, std::string activity)
    : galleries_(galleries),
      gallery_(std::move(gallery)),
      options_(std::move(options)),
      activity_(std::move(activity)),
      counts_(std::make_unique<Counts>()) {}

IdentificationRun::~IdentificationRun() {
  try {
    (void)Finish(false);
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; best effort
  }
}

Result<std::vector<Identification>> IdentificationRun::Identify(
    std::span<const Embedding> probes) {
  {
    std::lock_guard<std::mutex> lock(counts_->mutex);
    if (counts_->finished) return Status::FailedPrecondition("identification run is finished");
  }
  auto outcome = galleries_.impl_->Search(gallery_, probes, options_);
  if (!outcome.ok()) return outcome.status();
  std::lock_guard<std::mutex> lock(counts_->mutex);
  // A search racing Finish still counts: Finish takes the same lock.
  ++counts_->searches;
  counts_->probes += static_cast<int64_t>(probes.size());
  for (const Identification& r : outcome->results) counts_->identified += r.known() ? 1 : 0;
  counts_->subjects.insert(outcome->subjects.begin(), outcome->subjects.end());
  counts_->index_kind = outcome->index_kind;
  counts_->damaged_faces.insert(outcome->damaged_faces.begin(), outcome->damaged_faces.end());
  return std::move(outcome->results);
}

Status IdentificationRun::Finish(bool completed) {
  std::lock_guard<std::mutex> lock(counts_->mutex);
  if (counts_->finished) return Status::Ok();
  counts_->finished = true;
  json details = {{"activity", activity_},
                  {"completed", completed},
                  {"searches", counts_->searches},
                  {"probes", counts_->probes},
                  {"identified", counts_->identified},
                  {"unknown", counts_->probes - counts_->identified},
                  {"index", counts_->index_kind}};
  AddDamage(counts_->damaged_faces, &details);
  const std::vector<std::string> subjects(counts_->subjects.begin(), counts_->subjects.end());
  return galleries_.impl_->AuditIdentify(gallery_, options_, subjects, details.dump());
}

int64_t IdentificationRun::probes() const {
  std::lock_guard<std::mutex> lock(counts_->mutex);
  return counts_->probes;
}

int64_t IdentificationRun::identified() const {
  std::lock_guard<std::mutex> lock(counts_->mutex);
  return counts_->identified;
}

Result<Verification> Galleries::Verify(const std::string& gallery_name,
                                       const std::string& person_id, const Embedding& probe,
                                       const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActorAndPurpose(context));
  Impl& self = *impl_;
  // Verification reads the person from the store itself, but a node past its lease answers
  // nothing that decides about a person (docs/cluster.md).
  FACET_RETURN_IF_ERROR(self.CheckFreshNow());
  auto state_or = self.State(gallery_name);
  if (!state_or.ok()) return state_or.status();
  GalleryState& state = **state_or;
  FACET_RETURN_IF_ERROR(CheckProbe(probe, state.record));
  {
    std::unique_lock lock(state.mutex);
    auto purged = self.PurgeExpiredFor(state, context);
    if (!purged.ok()) return purged.status();
  }
  std::shared_lock lock(state.mutex);
  Verification result;
  result.threshold = state.record.threshold;
  const RecognizerInfo recognizer = gallery::RecognizerOf(state.record);
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindPersonOrError(txn, gallery_name, person_id);
    if (!person.ok()) return person.status();
    auto consents = txn.ListConsents(person->id);
    if (!consents.ok()) return consents.status();
    const int64_t now = self.NowMs();
    const bool consented = std::any_of(consents->begin(), consents->end(), [&](const auto& c) {
      return gallery::ConsentValidAt(c, now);
    });
    if (!consented) {
      return Status::FailedPrecondition("verification refused: person '" + person_id +
                                        "' has no valid consent");
    }
    auto faces = txn.ListFaces(person->id, false);
    if (!faces.ok()) return faces.status();
    if (faces->empty()) {
      return Status::FailedPrecondition("person '" + person_id + "' has no enrolled face");
    }
    auto key = crypto::UnwrapKey(self.master, person->wrapped_key,
                                 gallery::PersonKeyContext(person->uid));
    if (!key.ok()) {
      return Status::StoreCorrupt("store integrity: the key of person " + person->uid +
                                  " (gallery '" + gallery_name + "') does not open: " +
                                  key.status().message());
    }
    float best = -2;
    for (const store::FaceRecord& face : faces.value()) {
      auto plain = crypto::Open(key.value(), face.sealed_template,
                                gallery::TemplateContext(person->uid, state.record.id,
                                                         state.record.model,
                                                         state.record.model_version));
      const std::string row = "store integrity: the template of face " +
                              std::to_string(face.id) + " (person " + person->uid + ", gallery '" +
                              gallery_name + "') does not open: ";
      if (!plain.ok()) return Status::StoreCorrupt(row + plain.status().message());
      auto values = gallery::BytesToFloats(plain.value(), state.record.dimensions);
      if (!values.ok()) return Status::StoreCorrupt(row + values.status().message());
      Embedding enrolled{state.record.model, std::move(values).value(), state.record.model_version};
      auto similarity = CosineSimilarity(probe, enrolled);
      if (!similarity.ok()) return similarity.status();
      best = std::max(best, similarity.value());
    }
    result.similarity = best;
    result.same = best >= state.record.threshold;
    result.confidence = SimilarityToConfidence(best, recognizer);
    const json details = {{"faces_compared", faces->size()}, {"matched", result.same ? 1 : 0}};
    return self.Audit(txn, now, context, "verify", gallery_name, person->uid, details.dump());
  }));
  return result;
}

}  // namespace facet
