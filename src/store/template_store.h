// Storage behind the galleries: the records and the transaction interface a backend implements.
//
// The store holds rows and opaque blobs; it never sees a key or a plaintext template (sealing is
// done above it, in the gallery layer). A backend implements TemplateStore (transactions) and
// StoreTxn (row operations), in its own folder beside this header with its schema and migrations;
// SQLite is the embedded default (sqlite/). Another backend (e.g. PostgreSQL) is added by
// implementing these two classes and one case in OpenStore() (template_store.cc): the gallery
// layer, the CLI and the service only see this interface. docs/store_format.md.
//
// Thread-safety: TemplateStore::Write/Read may be called from any thread; the backend serialises
// them as it needs. A StoreTxn is only valid inside the callback it was passed to.
#ifndef FACET_SRC_STORE_TEMPLATE_STORE_H_
#define FACET_SRC_STORE_TEMPLATE_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "facet/audit.h"
#include "facet/status.h"

namespace facet::store {

// Version of the logical schema (tables, columns, meaning of blobs). Stores written by a newer
// version are refused; older ones are migrated on open (docs/store_format.md, "Versions").
// 2: galleries.sealed_profile and galleries.requested_model, faces.sealed_user_data (Azure Face's
//    name/userData).
// 3: row MACs (`mac` on galleries, persons, consents, faces), sealed consent details and face
//    sources (`consents.sealed_details`, `faces.sealed_source`).
inline constexpr int kSchemaVersion = 3;

// The tables whose rows carry a MAC (computed and checked above the store, in the gallery
// layer, under a key the store never sees). An empty `mac` in a record is a row without one
// (written before schema 3 and not yet adopted, or cleared outside facet).
enum class RowTable { kGalleries, kPersons, kConsents, kFaces };
// "galleries", "persons", "consents", "faces": the SQL table name.
const char* RowTableName(RowTable table);

struct GalleryRecord {
  int64_t id = 0;
  std::string name;
  std::string purpose;
  std::string use;  // "identify" or "verify"
  std::string model;
  std::string model_version;
  int dimensions = 0;
  double fmr = 1e-4;
  float threshold = 0;          // decision threshold at `fmr`
  float threshold_fmr_1e3 = 0;  // the model's calibration, for confidences
  float threshold_fmr_1e4 = 0;
  bool keep_photos = false;
  int64_t created_ms = 0;
  int64_t generation = 0;  // bumped by every change to the gallery's persons, consents or faces
  // Schema 2. The display name and free text the creator gave (Azure's name, userData), sealed;
  // empty: none given. Changed by SetGalleryProfile.
  std::vector<uint8_t> sealed_profile;
  // Schema 2. The recognition model name the creator asked for (e.g. Azure's "recognition_04");
  // `model` is the one that runs. Empty: none asked for.
  std::string requested_model;
  std::vector<uint8_t> mac;  // over every field but `generation` (a counter, not a decision)
};

struct PersonRecord {
  int64_t id = 0;
  int64_t gallery_id = 0;
  std::string person_id;                // the caller's id, unique in the gallery
  std::string uid;                      // random, pseudonymous; the only person reference in audit
  std::vector<uint8_t> sealed_profile;  // display name + external reference, sealed
  std::vector<uint8_t> wrapped_key;     // the person's data key, wrapped; empty when destroyed/none
  int64_t created_ms = 0;
  std::vector<uint8_t> mac;
};

struct ConsentRecord {
  int64_t id = 0;
  int64_t person_id = 0;
  // Plaintext columns of a store before schema 3; empty once sealed into `sealed_details`.
  std::string granted_by;
  std::string scope;  // "verify" or "identify" (plaintext: the lapse queries need it)
  std::string purpose;
  std::string evidence;
  int64_t granted_ms = 0;
  std::optional<int64_t> expires_ms;
  std::optional<int64_t> revoked_ms;
  std::vector<uint8_t> sealed_details;  // granted_by, purpose, evidence, sealed
  std::vector<uint8_t> mac;
};

struct FaceRecord {
  int64_t id = 0;
  int64_t person_id = 0;
  int64_t gallery_id = 0;
  std::vector<uint8_t> sealed_template;
  std::string quality;  // "low", "medium" or "high"
  std::string source_sha256;  // plaintext column before schema 3; empty once sealed below
  int64_t created_ms = 0;
  std::vector<uint8_t> sealed_photo;  // empty unless the gallery keeps photos (or not asked for)
  bool has_photo = false;             // a photo is stored (set even when not read)
  // Schema 2. The caller's free text about this face (Azure's userData), sealed under the
  // person's data key; empty: none. Changed by SetFaceUserData.
  std::vector<uint8_t> sealed_user_data;
  std::vector<uint8_t> sealed_source;  // source_sha256, sealed
  std::vector<uint8_t> mac;
  // Never stored: set by the gallery layer's row check when the row fails it (why, naming the
  // row), so that a scan can leave out one damaged face instead of failing the gallery.
  std::string integrity_error;
};

struct AuditHead {
  int64_t count = 0;
  std::array<uint8_t, 32> hash{};
  std::array<uint8_t, 32> mac{};
};

// The audit head is kept as three meta rows: audit_head_count (decimal), audit_head_hash and
// audit_head_mac (64 hex digits each). Sets the field of `head` that `key` names from `value`;
// kCorruptData when the value is malformed. Keys other than those three are ignored. Both
// backends read the head with it.
Status ParseAuditHeadField(const std::string& key, const std::string& value, AuditHead& head);

class StoreTxn {
 public:
  virtual ~StoreTxn() = default;

  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;

  virtual Result<int64_t> InsertGallery(const GalleryRecord& gallery) = 0;
  virtual Result<std::optional<GalleryRecord>> FindGallery(const std::string& name) = 0;
  virtual Result<std::vector<GalleryRecord>> ListGalleries() = 0;
  virtual Result<int64_t> GetGeneration(int64_t gallery_id) = 0;
  virtual Status BumpGeneration(int64_t gallery_id) = 0;
  // Deletes the gallery and everything in it.
  virtual Status DeleteGallery(int64_t gallery_id) = 0;
  // Empty `sealed_profile` removes it.
  virtual Status SetGalleryProfile(int64_t gallery_id, std::span<const uint8_t> sealed_profile) = 0;

  virtual Result<int64_t> InsertPerson(const PersonRecord& person) = 0;
  virtual Result<std::optional<PersonRecord>> FindPerson(int64_t gallery_id,
                                                         const std::string& person_id) = 0;
  virtual Result<std::optional<PersonRecord>> GetPerson(int64_t person) = 0;
  virtual Result<std::vector<PersonRecord>> ListPersons(int64_t gallery_id) = 0;
  // Empty `wrapped` destroys the key.
  virtual Status SetPersonKey(int64_t person, std::span<const uint8_t> wrapped) = 0;
  virtual Status SetPersonProfile(int64_t person, std::span<const uint8_t> sealed_profile) = 0;
  // Deletes the person with their consents and faces.
  virtual Status DeletePerson(int64_t person) = 0;

  virtual Result<int64_t> InsertConsent(const ConsentRecord& consent) = 0;
  virtual Result<std::optional<ConsentRecord>> GetConsent(int64_t consent) = 0;
  virtual Result<std::vector<ConsentRecord>> ListConsents(int64_t person) = 0;
  // Every consent of the gallery's persons, in id order.
  virtual Result<std::vector<ConsentRecord>> ListGalleryConsents(int64_t gallery_id) = 0;
  // Stores `sealed` as the consent's details and empties its plaintext granted_by, purpose and
  // evidence (adopting a row written before schema 3).
  virtual Status SetConsentSealedDetails(int64_t consent, std::span<const uint8_t> sealed) = 0;
  virtual Status SetConsentRevoked(int64_t consent, int64_t revoked_ms) = 0;
  // Persons of the gallery holding a data key whose every consent with a scope in `scopes` is
  // revoked or expired at `now_ms`, among those with a consent expired at `now_ms`.
  virtual Result<std::vector<int64_t>> PersonsWithLapsedConsent(
      int64_t gallery_id, int64_t now_ms, const std::vector<std::string>& scopes) = 0;
  // The earliest expiry after `now_ms` of a live consent of a key-holding person, if any.
  virtual Result<std::optional<int64_t>> NextConsentExpiry(int64_t gallery_id, int64_t now_ms) = 0;

  virtual Result<int64_t> InsertFace(const FaceRecord& face) = 0;
  // A person's faces (photos included only when asked).
  virtual Result<std::vector<FaceRecord>> ListFaces(int64_t person, bool with_photos) = 0;
  // One face, without its photo (has_photo still set).
  virtual Result<std::optional<FaceRecord>> GetFace(int64_t face) = 0;
  // Every face of the gallery without photos, in id order; stops at the first error `fn` returns.
  virtual Status ScanFaces(int64_t gallery_id,
                           const std::function<Status(const FaceRecord&)>& fn) = 0;
  // (face id, person id) of every face of the gallery, in face id order.
  virtual Result<std::vector<std::pair<int64_t, int64_t>>> FaceIds(int64_t gallery_id) = 0;
  virtual Result<int64_t> CountFaces(int64_t gallery_id) = 0;
  virtual Status DeleteFace(int64_t face) = 0;
  // Empty `sealed_user_data` removes it.
  virtual Status SetFaceUserData(int64_t face, std::span<const uint8_t> sealed_user_data) = 0;
  // Stores `sealed` as the face's source and empties its plaintext source_sha256.
  virtual Status SetFaceSealedSource(int64_t face, std::span<const uint8_t> sealed) = 0;
  // Sets the MAC of one row (after its insert or update, which is when its id and final
  // contents are known).
  virtual Status SetRowMac(RowTable table, int64_t id, std::span<const uint8_t> mac) = 0;
  // Returns the number deleted.
  virtual Result<int64_t> DeleteFacesOfPerson(int64_t person) = 0;

  virtual Result<AuditHead> GetAuditHead() = 0;
  virtual Status AppendAudit(const AuditEntry& entry, const AuditHead& new_head) = 0;
  // Appends consecutive `entries` (each already linked to the one before it) and leaves the
  // head at `new_head` (the last one's): the same rows as AppendAudit for each in turn, in fewer
  // statements where a backend can (PostgreSQL: one INSERT). The default calls AppendAudit for
  // each; inside the transaction, where no one else sees it, the head is the final one at once.
  virtual Status AppendAuditEntries(std::span<const AuditEntry> entries,
                                    const AuditHead& new_head) {
    for (const AuditEntry& entry : entries) FACET_RETURN_IF_ERROR(AppendAudit(entry, new_head));
    return Status::Ok();
  }
  // Entries with seq >= from_seq in storage order (ascending seq as stored); `fn` returns false
  // to stop.
  virtual Status ScanAudit(int64_t from_seq, const std::function<bool(const AuditEntry&)>& fn) = 0;
  // The guards that make the audit table append-only in the backend itself (SQLite: the
  // triggers audit_no_update, audit_no_delete) that are missing; empty when all are in place.
  virtual Result<std::vector<std::string>> MissingAuditGuards() = 0;

  // The faces among `ids` that exist (without photos), in id order. Only stores with a change
  // log implement it (a node applying the log reads the faces a change added); the others
  // answer kFailedPrecondition.
  virtual Result<std::vector<FaceRecord>> GetFaces(std::span<const int64_t> ids) {
    (void)ids;
    return Status::FailedPrecondition("this store keeps no change log");
  }
};

// One row of a database store's change log (docs/store_format.md, "PostgreSQL settings"):
// numbered without gaps in commit order, hash-chained to the row before.
struct ChangeRecord {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string payload;  // JSON {"g","dg","add","del","shred"}: ids the write touched
  std::vector<uint8_t> previous_hash;
  std::vector<uint8_t> hash;
};

// The log's head: the last change committed (seq 0 and 32 zero bytes for an empty log).
struct ChangeHead {
  int64_t seq = 0;
  std::vector<uint8_t> hash;
};

// hash(n) = BLAKE2b-256(hash(n-1) || n as 8 bytes big-endian || payload): what every change row's
// hash must be (a node recomputes it for each row it applies).
std::vector<uint8_t> ChangeLogHash(std::span<const uint8_t> previous_hash, int64_t seq,
                                   const std::string& payload);

// A connection of its own that follows a database store's change log (a facet node keeping its
// in-memory indexes current: gallery/change_follower.h). A broken connection is reconnected by
// the next call (every host of the URI is tried). Thread-safety: none; one thread uses it.
class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Waits at most `timeout_ms` for a notification that a change committed (LISTEN/NOTIFY: a
  // wake-up only, never relied on). Ok on a notification or a timeout; an error when the
  // connection broke.
  virtual Status WaitForNotification(int timeout_ms) = 0;
  // The head as the (read-write) primary has it now.
  virtual Result<ChangeHead> ReadHead() = 0;
  // Rows with after_seq < seq <= up_to_seq in seq order, at most `limit` of them.
  virtual Result<std::vector<ChangeRecord>> ReadChanges(int64_t after_seq, int64_t up_to_seq,
                                                        int limit) = 0;
  // Runs `fn` on a read snapshot over this feed's connection (writes fail inside it).
  virtual Status Read(const std::function<Status(StoreTxn&)>& fn) = 0;
};

class TemplateStore {
 public:
  virtual ~TemplateStore() = default;

  // Runs `fn` in one atomic and durable transaction: when Write returns OK everything `fn` wrote
  // is on disk; when `fn` (or the commit) fails nothing it wrote remains.
  virtual Status Write(const std::function<Status(StoreTxn&)>& fn) = 0;
  // Runs `fn` on a consistent read snapshot; writes fail inside it.
  virtual Status Read(const std::function<Status(StoreTxn&)>& fn) = 0;
  // Makes deleted rows physically leave the store's files (after an erase or a shred).
  virtual Status PurgeDeleted() = 0;
  // Full consistency check of the backend's files; kCorruptData with details if damaged.
  virtual Status CheckIntegrity() = 0;
  // For messages: e.g. "sqlite:/path/store.db".
  virtual std::string Describe() const = 0;

  // Stores with a change log (PostgreSQL): a new connection following it, each statement
  // answered within `timeout_ms` or the feed reports the database unavailable. Others:
  // kFailedPrecondition.
  virtual Result<std::unique_ptr<ChangeFeed>> OpenChangeFeed(int timeout_ms) {
    (void)timeout_ms;
    return Status::FailedPrecondition(Describe() + ": this store keeps no change log");
  }
  // The number of the last change this process saw committed (its own writes, and the head as
  // it found it when it last wrote): at or after the change of any write of this process that
  // returned before the call. 0 for a store without a change log.
  virtual int64_t LastKnownChange() const { return 0; }
};

// In the message of a kFailedPrecondition from a database store that could not be reached (its
// server down, failing over, or cut off): a retry may succeed. IsStoreUnavailable() tests it.
inline constexpr const char* kStoreUnavailableMarker = "the database is unavailable; retry";

struct StoreOpenOptions {
  // "sqlite:PATH" or a plain path (SQLite); postgresql://... or postgres://... (a libpq URI: the
  // PostgreSQL store, store/postgres/postgres_store.h).
  std::string location;
  // Create an empty store if absent (facet init); otherwise a missing store is kNotFound.
  bool create = false;
  // Run the backend's quick consistency check on open (detects truncated/corrupted files).
  bool check_on_open = true;
  // How long to wait for another process's write lock.
  int busy_timeout_ms = 10'000;
};

// Opens (or creates) a store. A damaged or foreign file is kCorruptData with a clear message; a
// store from a newer facet is kFailedPrecondition. A new SQLite store is created mode 0600 (its
// -wal and -shm files follow) whatever the umask; an existing one whose files are accessible by
// group or others is refused (kFailedPrecondition naming them and the chmod that fixes it), as
// OpenSSH does for private keys and PostgreSQL for its data directory.
Result<std::unique_ptr<TemplateStore>> OpenStore(const StoreOpenOptions& options);

// Ok when the SQLite store at `path` and its -wal, -shm and -journal files (those present) are
// accessible by their owner only; kFailedPrecondition listing the others.
Status CheckPrivateStoreFiles(const std::string& path);

}  // namespace facet::store

#endif  // FACET_SRC_STORE_TEMPLATE_STORE_H_
