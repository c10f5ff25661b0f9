// Galleries: opening a store, keys, galleries, persons and consents.
#include <algorithm>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"
#include "gallery/protected_store.h"

namespace facet {

using gallery::GalleryState;
using gallery::Ms;
using nlohmann::json;

const char* ConsentScopeName(ConsentScope scope) {
  return scope == ConsentScope::kVerify ? "verify" : "identify";
}

Result<ConsentScope> ParseConsentScope(std::string_view name) {
  if (name == "verify") return ConsentScope::kVerify;
  if (name == "identify") return ConsentScope::kIdentify;
  return Status::InvalidArgument("unknown consent scope '" + std::string(name) +
                                 "' (known: verify, identify)");
}

std::string Sha256Hex(std::span<const uint8_t> bytes) { return crypto::Sha256Hex(bytes); }

namespace gallery {

std::string PersonKeyContext(const std::string& uid) { return "facet.person-key.v1|" + uid; }
std::string ProfileContext(const std::string& uid) { return "facet.profile.v1|" + uid; }
std::string PhotoContext(const std::string& uid) { return "facet.photo.v1|" + uid; }
std::string TemplateContext(const std::string& uid, int64_t gallery_id, const std::string& model,
                            const std::string& version) {
  return "facet.template.v1|" + uid + "|" + std::to_string(gallery_id) + "|" + model + "|" +
         version;
}

std::vector<std::string> CoveringScopes(const std::string& use) {
  if (use == "verify") return {"verify", "identify"};
  return {"identify"};
}

bool ConsentValidAt(const store::ConsentRecord& consent, int64_t now_ms) {
  return !consent.revoked_ms && (!consent.expires_ms || *consent.expires_ms > now_ms);
}

RecognizerInfo RecognizerOf(const store::GalleryRecord& record) {
  return {record.model, record.model_version, record.dimensions, record.threshold_fmr_1e3,
          record.threshold_fmr_1e4};
}

}  // namespace gallery

namespace {

constexpr const char* kKeyCheckDomain = "facet.keycheck.v1|";

std::string KeyCheck(const crypto::SecretKey& master, const std::string& store_uid) {
  const std::string text = kKeyCheckDomain + store_uid;
  return crypto::ToHex(crypto::Blake2b256(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
      &master));
}

Result<crypto::SecretKey> LoadMasterKey(const GalleriesOptions& options, bool create,
                                        bool* created_file) {
  *created_file = false;
  if (!options.key_file.empty() && !options.master_key_hex.empty()) {
    return Status::InvalidArgument("give the master key either as a key file or in hex, not both");
  }
  if (!options.master_key_hex.empty()) {
    auto key = crypto::SecretKey::FromHex(options.master_key_hex);
    if (!key.ok()) return Status::InvalidArgument("master key: " + key.status().message());
    return key;
  }
  if (options.key_file.empty()) {
    return Status::InvalidArgument(
        "no master key: give a key file (facet init creates one) or the key in hex");
  }
  std::error_code ec;
  if (create && !std::filesystem::exists(options.key_file, ec)) {
    *created_file = true;
    return crypto::CreateKeyFile(options.key_file);
  }
  return crypto::ReadKeyFile(options.key_file);
}

Result<std::unique_ptr<Galleries::Impl>> MakeImpl(const GalleriesOptions& options,
                                                  crypto::SecretKey master) {
  auto profile = crypto::DeriveSubkey(master, 2, "facetprf");
  if (!profile.ok()) return profile.status();
  auto snapshot = crypto::DeriveSubkey(master, 3, "facetidx");
  if (!snapshot.ok()) return snapshot.status();
  auto row_mac = gallery::DeriveRowMacKey(master);
  if (!row_mac.ok()) return row_mac.status();
  auto impl = std::make_unique<Galleries::Impl>(std::move(master), std::move(profile).value(),
                                                std::move(snapshot).value(),
                                                std::move(row_mac).value());
  impl->options = options;
  if (!impl->options.clock) impl->options.clock = [] { return std::chrono::system_clock::now(); };
  std::string path = options.store;
  if (path.rfind("sqlite:", 0) == 0) path = path.substr(7);
  impl->store_path = path;
  if (IsDatabaseStore(path)) {
    // A database is no directory for index snapshots: none are kept beside it. A following node
    // keeps its own (FollowOptions::snapshot_dir), checked against the change log when read.
    impl->store_path = StoreForDisplay(path);
    impl->database_store = true;
    impl->options.index.snapshot_min_faces = std::numeric_limits<int64_t>::max();
    impl->options.index.snapshot_dir = "/nonexistent/facet-no-snapshots";
  }
  return impl;
}

Status AttachAudit(Galleries::Impl& impl) {
  auto audit_key = crypto::DeriveSubkey(impl.master, 1, "facetaud");
  if (!audit_key.ok()) return audit_key.status();
  impl.chain = std::make_unique<audit::AuditChain>(std::move(audit_key).value(), impl.store_uid);
  impl.audit_commits = std::make_unique<gallery::AuditGroupCommit>(
      [&impl](const gallery::AuditGroupCommit::TakeFn& take) {
        // The batch is taken inside the transaction, once it holds the write lock (PostgreSQL:
        // change_head, which another node's commit may hold), so it includes what queued
        // meanwhile.
        return impl.store->Write([&](store::StoreTxn& txn) -> Status {
          return impl.AuditAll(txn, impl.NowMs(), take());
        });
      },
      gallery::AuditGroupCommit::Options{});
  return Status::Ok();
}

}  // namespace

Galleries::Galleries(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Galleries::~Galleries() {
  // Identifications still waiting for their audit commit are answered first.
  if (impl_->audit_commits) impl_->audit_commits->Close();
  (void)Flush();
}

Result<std::unique_ptr<Galleries>> Galleries::Create(const GalleriesOptions& options) {
  bool created_file = false;
  auto master = LoadMasterKey(options, true, &created_file);
  if (!master.ok()) return master.status();
  auto fail = [&](const Status& status) -> Status {
    if (created_file) std::filesystem::remove(options.key_file);
    return status;
  };
  auto impl = MakeImpl(options, std::move(master).value());
  if (!impl.ok()) return fail(impl.status());
  store::StoreOpenOptions open;
  open.location = options.store;
  open.create = true;
  auto opened = store::OpenStore(open);
  if (!opened.ok()) return fail(opened.status());
  (*impl)->store_uid = crypto::RandomHex(16);
  (*impl)->ProtectStore(std::move(opened).value());
  Status status = AttachAudit(**impl);
  Impl& self = **impl;
  if (status.ok()) {
    status = self.store->Write([&](store::StoreTxn& txn) -> Status {
      const int64_t now = self.NowMs();
      FACET_RETURN_IF_ERROR(txn.PutMeta("schema_version", std::to_string(store::kSchemaVersion)));
      FACET_RETURN_IF_ERROR(txn.PutMeta("store_uid", self.store_uid));
      FACET_RETURN_IF_ERROR(txn.PutMeta("key_check", KeyCheck(self.master, self.store_uid)));
      FACET_RETURN_IF_ERROR(txn.PutMeta("created_ms", std::to_string(now)));
      FACET_RETURN_IF_ERROR(txn.PutMeta(gallery::kRowMacsMeta, "1"));
      return self.Audit(txn, now, {"facet init", ""}, "store_create", "", "",
                        json{{"row_macs", true}}.dump());
    });
  }
  if (!status.ok()) {
    (*impl)->store.reset();
    if (!IsDatabaseStore(options.store)) std::filesystem::remove(self.store_path);
    return fail(status);
  }
  return std::make_unique<Galleries>(std::move(impl).value());
}

Result<std::unique_ptr<Galleries>> Galleries::Open(const GalleriesOptions& options) {
  bool created_file = false;
  auto master = LoadMasterKey(options, false, &created_file);
  if (!master.ok()) return master.status();
  auto impl = MakeImpl(options, std::move(master).value());
  if (!impl.ok()) return impl.status();
  store::StoreOpenOptions open;
  open.location = options.store;
  open.check_on_open = options.check_on_open;
  auto opened = store::OpenStore(open);
  if (!opened.ok()) return opened.status();
  Impl& self = **impl;
  std::unique_ptr<store::TemplateStore> backend = std::move(opened).value();
  std::string key_check;
  FACET_RETURN_IF_ERROR(backend->Read([&](store::StoreTxn& txn) -> Status {
    auto uid = txn.GetMeta("store_uid");
    if (!uid.ok()) return uid.status();
    auto check = txn.GetMeta("key_check");
    if (!check.ok()) return check.status();
    if (!uid->has_value() || !check->has_value()) {
      return Status::CorruptData(self.store_path + ": store metadata is missing (damaged store)");
    }
    self.store_uid = **uid;
    key_check = **check;
    return Status::Ok();
  }));
  const std::string expected = KeyCheck(self.master, self.store_uid);
  if (!crypto::ConstantTimeEqual(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(expected.data()),
                                   expected.size()),
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key_check.data()),
                                   key_check.size()))) {
    return Status::FailedPrecondition(self.store_path +
                                      ": the master key does not belong to this store");
  }
  self.ProtectStore(std::move(backend));
  FACET_RETURN_IF_ERROR(AttachAudit(self));
  FACET_RETURN_IF_ERROR(self.ProtectRowsOnce());
  return std::make_unique<Galleries>(std::move(impl).value());
}

int64_t Galleries::Impl::NowMs() const { return Ms(options.clock()); }

Status Galleries::Impl::Audit(store::StoreTxn& txn, int64_t now_ms, const AuditContext& context,
                              const std::string& action, const std::string& gallery_name,
                              const std::string& subjects, const std::string& details) {
  const gallery::AuditRecord record{context, action, gallery_name, subjects, details};
  const gallery::AuditRecord* const one[] = {&record};
  return AuditAll(txn, now_ms, one);
}

Status Galleries::Impl::AuditAll(store::StoreTxn& txn, int64_t now_ms,
                                 std::span<const gallery::AuditRecord* const> records) {
  auto head = txn.GetAuditHead();
  if (!head.ok()) return head.status();
  std::vector<AuditEntry> entries(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const gallery::AuditRecord* record = records[i];
    AuditEntry& entry = entries[i];
    entry.time = audit::FromUnixMillis(now_ms);
    entry.actor = record->context.actor;
    entry.action = record->action;
    entry.gallery = record->gallery;
    entry.purpose = record->context.purpose;
    entry.subjects = record->subjects;
    entry.details = record->details;
    // Each entry is its own link, after the head or the entry before it in this batch.
    if (i > 0) {
      chain->Link(&entries[i - 1], &entry);
    } else if (head->count > 0) {
      AuditEntry previous;
      previous.seq = head->count;
      previous.hash = head->hash;
      chain->Link(&previous, &entry);
    } else {
      chain->Link(nullptr, &entry);
    }
  }
  if (entries.empty()) return Status::Ok();
  store::AuditHead next;
  next.count = entries.back().seq;
  next.hash = entries.back().hash;
  next.mac = chain->HeadMac(next.count, next.hash);
  return txn.AppendAuditEntries(entries, next);
}

AuditCommitStats Galleries::GetAuditCommitStats() const {
  return impl_->audit_commits ? impl_->audit_commits->stats() : AuditCommitStats{};
}

Result<std::shared_ptr<GalleryState>> Galleries::Impl::State(const std::string& gallery_name) {
  {
    std::lock_guard<std::mutex> lock(states_mutex);
    auto it = states.find(gallery_name);
    if (it != states.end()) return it->second;
  }
  std::optional<store::GalleryRecord> record;
  FACET_RETURN_IF_ERROR(store->Read([&](store::StoreTxn& txn) -> Status {
    auto found = txn.FindGallery(gallery_name);
    if (!found.ok()) return found.status();
    record = std::move(found).value();
    return Status::Ok();
  }));
  if (!record) return Status::NotFound("gallery '" + gallery_name + "' does not exist");
  std::lock_guard<std::mutex> lock(states_mutex);
  auto& slot = states[gallery_name];
  if (!slot || slot->record.id != record->id) {
    slot = std::make_shared<GalleryState>();
    slot->record = *record;
  }
  return slot;
}

void Galleries::Impl::ForgetState(const std::string& gallery_name) {
  std::lock_guard<std::mutex> lock(states_mutex);
  states.erase(gallery_name);
}

Result<std::vector<uint8_t>> Galleries::Impl::SealProfile(const std::string& uid,
                                                          const gallery::Profile& p) const {
  const std::string text = json{{"display_name", p.display_name}, {"external_ref", p.external_ref}}.dump();
  return crypto::Seal(profile_key, gallery::Bytes(text), gallery::ProfileContext(uid));
}

Result<gallery::Profile> Galleries::Impl::OpenProfile(const store::PersonRecord& person) const {
  auto plain = crypto::Open(profile_key, person.sealed_profile, gallery::ProfileContext(person.uid));
  if (!plain.ok()) {
    return Status::CorruptData("person '" + person.person_id + "': profile: " +
                               plain.status().message());
  }
  const json parsed = json::parse(plain->begin(), plain->end(), nullptr, false);
  if (!parsed.is_object()) return Status::CorruptData("person profile is malformed");
  gallery::Profile profile;
  profile.display_name = parsed.value("display_name", "");
  profile.external_ref = parsed.value("external_ref", "");
  return profile;
}

// --- galleries

Result<GalleryInfo> Galleries::CreateGallery(const GallerySpec& spec,
                                             const RecognizerInfo& recognizer,
                                             const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  FACET_RETURN_IF_ERROR(gallery::CheckGalleryName(spec.name));
  FACET_RETURN_IF_ERROR(gallery::CheckText("purpose", spec.purpose, true));
  FACET_RETURN_IF_ERROR(gallery::CheckGalleryLabels({spec.display_name, spec.user_data}));
  FACET_RETURN_IF_ERROR(gallery::CheckText("requested model", spec.requested_model, false));
  if (spec.requested_model.size() > kMaxRequestedModel) {
    return Status::InvalidArgument("a requested model name has at most " +
                                   std::to_string(kMaxRequestedModel) + " bytes");
  }
  if (spec.fmr != 1e-3 && spec.fmr != 1e-4) {
    return Status::InvalidArgument("fmr must be 1e-3 or 1e-4 (the calibrated operating points)");
  }
  if (recognizer.name.empty() || recognizer.version.empty() || recognizer.dimensions <= 0 ||
      !(recognizer.threshold_fmr_1e4 > recognizer.threshold_fmr_1e3)) {
    return Status::InvalidArgument("recognizer info is incomplete (use Engine::recognizer())");
  }
  store::GalleryRecord record;
  record.name = spec.name;
  record.purpose = spec.purpose;
  record.use = ConsentScopeName(spec.use);
  record.model = recognizer.name;
  record.model_version = recognizer.version;
  record.dimensions = recognizer.dimensions;
  record.fmr = spec.fmr;
  record.threshold = spec.fmr == 1e-3 ? recognizer.threshold_fmr_1e3 : recognizer.threshold_fmr_1e4;
  record.threshold_fmr_1e3 = recognizer.threshold_fmr_1e3;
  record.threshold_fmr_1e4 = recognizer.threshold_fmr_1e4;
  record.keep_photos = spec.keep_photos;
  record.requested_model = spec.requested_model;
  Impl& self = *impl_;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    record.created_ms = self.NowMs();
    auto existing = txn.FindGallery(spec.name);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      return Status::FailedPrecondition("gallery '" + spec.name + "' already exists");
    }
    auto id = txn.InsertGallery(record);
    if (!id.ok()) return id.status();
    record.id = id.value();
    // The labels are sealed for this row (its id is in the associated data), so after the insert.
    auto sealed = self.SealGalleryProfile(record, {spec.display_name, spec.user_data});
    if (!sealed.ok()) return sealed.status();
    if (!sealed->empty()) FACET_RETURN_IF_ERROR(txn.SetGalleryProfile(record.id, sealed.value()));
    json details = {{"use", record.use},
                    {"model", record.model},
                    {"model_version", record.model_version},
                    {"fmr", record.fmr},
                    {"keep_photos", record.keep_photos}};
    if (!record.requested_model.empty()) details["requested_model"] = record.requested_model;
    return self.Audit(txn, record.created_ms, {context.actor, spec.purpose}, "gallery_create",
                      spec.name, "", details.dump());
  }));
  return GetGallery(spec.name);
}

namespace {

// The public view of one gallery; kCorruptData when its labels do not open (only this gallery's
// calls fail then, and the list of all).
Result<GalleryInfo> MakeGalleryInfo(const Galleries::Impl& impl, store::StoreTxn& txn,
                                    const store::GalleryRecord& r) {
  GalleryInfo info = gallery::GallerySettingsOf(r);
  auto labels = impl.OpenGalleryProfile(r);
  if (!labels.ok()) return labels.status();
  info.display_name = labels->display_name;
  info.user_data = labels->user_data;
  auto persons = txn.ListPersons(r.id);
  if (!persons.ok()) return persons.status();
  info.persons = static_cast<int64_t>(persons->size());
  auto faces = txn.CountFaces(r.id);
  if (!faces.ok()) return faces.status();
  info.faces = faces.value();
  return info;
}

}  // namespace

Result<GalleryInfo> Galleries::GetGallery(const std::string& gallery_name) {
  GalleryInfo info;
  FACET_RETURN_IF_ERROR(impl_->store->Read([&](store::StoreTxn& txn) -> Status {
    auto record = gallery::FindGalleryOrError(txn, gallery_name);
    if (!record.ok()) return record.status();
    auto made = MakeGalleryInfo(*impl_, txn, record.value());
    if (!made.ok()) return made.status();
    info = std::move(made).value();
    return Status::Ok();
  }));
  return info;
}

Result<std::vector<GalleryInfo>> Galleries::ListGalleries() {
  std::vector<GalleryInfo> out;
  FACET_RETURN_IF_ERROR(impl_->store->Read([&](store::StoreTxn& txn) -> Status {
    auto records = txn.ListGalleries();
    if (!records.ok()) return records.status();
    for (const store::GalleryRecord& r : records.value()) {
      auto made = MakeGalleryInfo(*impl_, txn, r);
      if (!made.ok()) return made.status();
      out.push_back(std::move(made).value());
    }
    return Status::Ok();
  }));
  return out;
}

// --- persons

Result<PersonInfo> Galleries::AddPerson(const std::string& gallery_name, const PersonSpec& spec,
                                        const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  FACET_RETURN_IF_ERROR(gallery::CheckPersonId(spec.person_id));
  FACET_RETURN_IF_ERROR(gallery::CheckText("display name", spec.display_name, false));
  FACET_RETURN_IF_ERROR(gallery::CheckText("external reference", spec.external_ref, false));
  Impl& self = *impl_;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto record = gallery::FindGalleryOrError(txn, gallery_name);
    if (!record.ok()) return record.status();
    auto existing = txn.FindPerson(record->id, spec.person_id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      return Status::FailedPrecondition("person '" + spec.person_id + "' already exists in '" +
                                        gallery_name + "'");
    }
    store::PersonRecord person;
    person.gallery_id = record->id;
    person.person_id = spec.person_id;
    person.uid = "p_" + crypto::RandomHex(12);
    person.created_ms = self.NowMs();
    auto sealed = self.SealProfile(person.uid, {spec.display_name, spec.external_ref});
    if (!sealed.ok()) return sealed.status();
    person.sealed_profile = std::move(sealed).value();
    auto id = txn.InsertPerson(person);
    if (!id.ok()) return id.status();
    return self.Audit(txn, person.created_ms, context, "person_add", gallery_name, person.uid, "{}");
  }));
  return GetPerson(gallery_name, spec.person_id);
}

Result<PersonInfo> Galleries::UpdatePerson(const std::string& gallery_name, const PersonSpec& spec,
                                           const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  FACET_RETURN_IF_ERROR(gallery::CheckText("display name", spec.display_name, false));
  FACET_RETURN_IF_ERROR(gallery::CheckText("external reference", spec.external_ref, false));
  Impl& self = *impl_;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindPersonOrError(txn, gallery_name, spec.person_id);
    if (!person.ok()) return person.status();
    auto sealed = self.SealProfile(person->uid, {spec.display_name, spec.external_ref});
    if (!sealed.ok()) return sealed.status();
    FACET_RETURN_IF_ERROR(txn.SetPersonProfile(person->id, sealed.value()));
    return self.Audit(txn, self.NowMs(), context, "person_update", gallery_name, person->uid, "{}");
  }));
  return GetPerson(gallery_name, spec.person_id);
}

Result<PersonInfo> Galleries::GetPerson(const std::string& gallery_name,
                                        const std::string& person_id) {
  PersonInfo info;
  Impl& self = *impl_;
  FACET_RETURN_IF_ERROR(self.store->Read([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindPersonOrError(txn, gallery_name, person_id);
    if (!person.ok()) return person.status();
    auto made = gallery::MakePersonInfo(self, txn, person.value());
    if (!made.ok()) return made.status();
    info = std::move(made).value();
    return Status::Ok();
  }));
  return info;
}

Result<std::vector<PersonInfo>> Galleries::ListPersons(const std::string& gallery_name) {
  std::vector<PersonInfo> out;
  Impl& self = *impl_;
  FACET_RETURN_IF_ERROR(self.store->Read([&](store::StoreTxn& txn) -> Status {
    auto record = gallery::FindGalleryOrError(txn, gallery_name);
    if (!record.ok()) return record.status();
    auto persons = txn.ListPersons(record->id);
    if (!persons.ok()) return persons.status();
    for (const store::PersonRecord& person : persons.value()) {
      auto made = gallery::MakePersonInfo(self, txn, person);
      if (!made.ok()) return made.status();
      out.push_back(std::move(made).value());
    }
    return Status::Ok();
  }));
  return out;
}

// --- consents

Result<ConsentInfo> Galleries::GrantConsent(const std::string& gallery_name,
                                            const std::string& person_id, const ConsentSpec& spec,
                                            const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  FACET_RETURN_IF_ERROR(gallery::CheckText("granted_by", spec.granted_by, true));
  FACET_RETURN_IF_ERROR(gallery::CheckText("consent purpose", spec.purpose, true));
  FACET_RETURN_IF_ERROR(gallery::CheckText("evidence", spec.evidence, false));
  Impl& self = *impl_;
  auto state = self.State(gallery_name);
  if (!state.ok()) return state.status();
  store::ConsentRecord consent;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindPersonOrError(txn, gallery_name, person_id);
    if (!person.ok()) return person.status();
    consent.person_id = person->id;
    consent.granted_by = spec.granted_by;
    consent.scope = ConsentScopeName(spec.scope);
    consent.purpose = spec.purpose;
    consent.evidence = spec.evidence;
    consent.granted_ms = self.NowMs();
    if (spec.expires_at) {
      consent.expires_ms = Ms(*spec.expires_at);
      if (*consent.expires_ms <= consent.granted_ms) {
        return Status::InvalidArgument("the consent would expire before it is granted");
      }
    }
    auto id = txn.InsertConsent(consent);
    if (!id.ok()) return id.status();
    consent.id = id.value();
    FACET_RETURN_IF_ERROR(txn.BumpGeneration(person->gallery_id));
    json details = {{"consent_id", consent.id}, {"scope", consent.scope}};
    if (consent.expires_ms) details["expires_ms"] = *consent.expires_ms;
    return self.Audit(txn, consent.granted_ms, {context.actor, spec.purpose}, "consent_grant",
                      gallery_name, person->uid, details.dump());
  }));
  (*state)->next_purge_ms.store(0);  // the new consent may expire before the cached next expiry
  return gallery::MakeConsentInfo(consent, self.NowMs());
}

Result<std::vector<ConsentInfo>> Galleries::ListConsents(const std::string& gallery_name,
                                                         const std::string& person_id) {
  std::vector<ConsentInfo> out;
  Impl& self = *impl_;
  FACET_RETURN_IF_ERROR(self.store->Read([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindPersonOrError(txn, gallery_name, person_id);
    if (!person.ok()) return person.status();
    auto consents = txn.ListConsents(person->id);
    if (!consents.ok()) return consents.status();
    const int64_t now = self.NowMs();
    for (const store::ConsentRecord& c : consents.value()) {
      out.push_back(gallery::MakeConsentInfo(c, now));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace facet
