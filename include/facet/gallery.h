// Galleries: the part of facet that remembers people, with consent, encryption and an audit log.
//
// A store (one SQLite file by default, created by Galleries::Create / `facet init`) holds
// galleries. A gallery has a name, a stated purpose, the recognition model its templates come
// from, and a use: `identify` (1:N search) or `verify` (1:1 only). Persons belong to a gallery.
// A face can only be enrolled for a person holding a valid consent whose scope covers the
// gallery's use (identify covers verify). When the last such consent is revoked or expires, the
// person's data key is destroyed and their templates leave the store and the index at once
// (crypto-shredding). Every change, verification, identification and export is audited
// (facet/audit.h). docs/store_format.md describes the files; docs/galleries.md the rules.
//
//   auto galleries = facet::Galleries::Open({.store = "facet.db", .key_file = "master.key"});
//   (*galleries)->CreateGallery({.name = "office", .purpose = "door access"}, info, ctx);
//   (*galleries)->AddPerson("office", {.person_id = "amy"}, ctx);
//   (*galleries)->GrantConsent("office", "amy", {.granted_by = "amy", ...}, ctx);
//   (*galleries)->Enroll({.gallery = "office", .person_id = "amy", .embedding = e}, ctx);
//   auto found = (*galleries)->Identify("office", probes, {.actor = "door-1", .purpose = "entry"});
//
// Thread-safety: every Galleries method may be called concurrently from any number of threads.
// Identifications of one gallery run in parallel; changes to a gallery are serialised and are
// visible to searches atomically (a revoked person is never returned once Revoke returned).
// Several processes may open the same store; each sees the others' changes at its next call.
#ifndef FACET_GALLERY_H_
#define FACET_GALLERY_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "facet/audit.h"
#include "facet/engine.h"
#include "facet/status.h"
#include "facet/types.h"

namespace facet {

enum class ConsentScope { kVerify, kIdentify };
const char* ConsentScopeName(ConsentScope scope);               // "verify" / "identify"
Result<ConsentScope> ParseConsentScope(std::string_view name);  // kInvalidArgument otherwise

// Who asks, and why. Every call that changes, searches or exports takes one; it is written to the
// audit log. `actor` is always required; `purpose` is required for identify, verify and export
// (for changes it is recorded as the reason when given).
struct AuditContext {
  std::string actor{};
  std::string purpose{};
};

// How a gallery's search index is chosen and kept (docs/galleries.md).
struct IndexPolicy {
  // Exact float32 below this many faces, exact int8 from it. Default 50,000.
  int64_t int8_min_faces = 50'000;
  // FAISS HNSW from this many faces. Default 200,000.
  int64_t hnsw_min_faces = 200'000;
  int hnsw_m = 32;
  int hnsw_ef_construction = 40;
  // Candidates an HNSW search keeps and re-ranks exactly. At 1M faces, 512 agrees with exact
  // search on the mate's rank for 99.5 % of LFW probes at ~0.65 ms (docs/benchmarks.md).
  int hnsw_ef_search = 512;
  // Galleries with at least this many faces keep an encrypted index snapshot beside the store
  // (loaded instead of rebuilt). Default 20,000.
  int64_t snapshot_min_faces = 20'000;
  // Where snapshots go. Empty: "<store path>.index/".
  std::string snapshot_dir{};
};

struct GalleriesOptions {
  // The store: a file path or "sqlite:PATH".
  std::string store{};
  // The master key: a key file (64 hex characters, mode 0600) or the key itself in hex.
  // Exactly one must be set.
  std::string key_file{};
  std::string master_key_hex{};
  // The clock for consent validity, expiry purges and audit times. Default: system_clock::now.
  std::function<TimePoint()> clock{};
  // Quick consistency check of the store on open (detects truncated or corrupted files).
  bool check_on_open = true;
  IndexPolicy index{};
};

struct GallerySpec {
  std::string name{};     // 1-64 characters of [A-Za-z0-9._-]
  std::string purpose{};  // required: what the gallery is for, in words
  ConsentScope use = ConsentScope::kIdentify;
  // False-match rate the decision threshold is calibrated for: 1e-3 or 1e-4 (default).
  double fmr = 1e-4;
  // Keep the enrolled source images (sealed under the person's key). Default false: no photos.
  bool keep_photos = false;
  // Optional labels for callers that keep them (Azure Face's group name and userData): stored
  // sealed, as a person's display name is. display_name at most 128 bytes, user_data 16 KiB.
  std::string display_name{};
  std::string user_data{};
  // The recognition model name the caller asked for (e.g. Azure's "recognition_04"), kept to be
  // given back; the templates come from `recognizer` whatever it says. Optional, at most 64 bytes.
  std::string requested_model{};
};

struct GalleryInfo {
  std::string name{};
  std::string purpose{};
  ConsentScope use = ConsentScope::kIdentify;
  RecognizerInfo recognizer{};  // model name, version, dimensions and calibrated thresholds
  double fmr = 1e-4;
  float threshold = 0;  // decision threshold (cosine similarity) at `fmr`
  bool keep_photos = false;
  TimePoint created_at{};
  int64_t persons = 0;
  int64_t faces = 0;
  std::string display_name{};     // as given (GallerySpec, UpdateGallery); empty: none
  std::string user_data{};        // likewise
  std::string requested_model{};  // GallerySpec::requested_model; empty: none asked for
};

// The longest labels, in bytes (Azure Face's limits).
inline constexpr size_t kMaxGalleryDisplayName = 128;
inline constexpr size_t kMaxGalleryUserData = 16 * 1024;
inline constexpr size_t kMaxRequestedModel = 64;
inline constexpr size_t kMaxFaceUserData = 1024;

// Galleries::UpdateGallery: the labels to replace; an unset field is left as it is.
struct GalleryLabels {
  std::optional<std::string> display_name{};
  std::optional<std::string> user_data{};
};

struct PersonSpec {
  std::string person_id{};     // 1-128 printable characters, unique in the gallery
  std::string display_name{};  // optional; stored encrypted
  std::string external_ref{};  // optional; stored encrypted
};

struct PersonInfo {
  std::string person_id{};
  std::string uid{};  // random pseudonym; how the audit log refers to the person
  std::string display_name{};
  std::string external_ref{};
  TimePoint created_at{};
  int64_t faces = 0;
  bool has_data_key = false;  // false after a shred until the next enrollment
};

struct ConsentSpec {
  std::string granted_by{};  // who granted it (the person, a guardian, ...); required
  ConsentScope scope = ConsentScope::kIdentify;
  std::string purpose{};  // required
  std::optional<TimePoint> expires_at{};
  std::string evidence{};  // e.g. a hash of the signed form; optional
};

struct ConsentInfo {
  int64_t consent_id = 0;
  std::string granted_by{};
  ConsentScope scope = ConsentScope::kIdentify;
  std::string purpose{};
  std::string evidence{};
  TimePoint granted_at{};
  std::optional<TimePoint> expires_at{};
  std::optional<TimePoint> revoked_at{};
  bool valid = false;  // not revoked and not expired at the clock's now
};

struct EnrollRequest {
  std::string gallery{};
  std::string person_id{};
  // Must come from the gallery's model and version (Session::Embed sets both).
  Embedding embedding{};
  QualityLevel quality = QualityLevel::kLow;
  // Hash of the source image file (e.g. Sha256Hex of its bytes). Required.
  std::string source_sha256{};
  // The encoded source image; stored (sealed) only when the gallery keeps photos.
  std::vector<uint8_t> photo{};
  // Optional free text about this face (Azure's userData), at most 1 KiB: sealed under the
  // person's data key, so it is shredded with their templates.
  std::string user_data{};
};

struct FaceInfo {
  int64_t face_id = 0;
  QualityLevel quality = QualityLevel::kLow;
  std::string source_sha256{};
  TimePoint created_at{};
  bool has_photo = false;
  std::string user_data{};  // EnrollRequest::user_data or UpdateFace's; empty: none
  // Set by Enroll when this source image was already enrolled for the person: nothing was added
  // (re-running a bulk enrollment is safe); the info is the stored face's, user_data included
  // (the request's user_data is not applied: UpdateFace changes it).
  bool duplicate = false;
};

struct IdentifyOptions {
  std::string actor{};    // required
  std::string purpose{};  // required
  // Candidates returned per probe, best first. Only persons at or above the gallery's threshold
  // are candidates: a stranger gets none. 1..100, default 3.
  int max_candidates = 3;
};

struct Candidate {
  std::string person_id{};
  float similarity = 0;  // best cosine similarity over the person's faces
  float confidence = 0;  // SimilarityToConfidence(similarity, gallery's recognizer)
};

struct Identification {
  std::vector<Candidate> candidates{};
  // The decision: the best candidate's person id, or empty for "unknown".
  std::string person_id{};
  // Faces of the gallery left out of the search because their stored row failed its integrity
  // check (changed outside facet: kStoreCorrupt, recorded in the audit entry); 0 normally. Their
  // persons cannot be identified until the rows are repaired or the persons re-enrolled.
  int64_t damaged_faces_skipped = 0;
  bool known() const { return !person_id.empty(); }
};

struct Verification {
  bool same = false;
  float similarity = 0;
  float confidence = 0;
  float threshold = 0;
};

// How a service node follows a database store's change log (Galleries::FollowChanges,
// docs/cluster.md "What each node does").
struct FollowOptions {
  // The lease: searches are answered only while the node proved, at most this long ago, that it
  // had applied every change the primary had committed (counted from the moment the proving
  // read of the log's head was sent). Default 500 ms.
  int max_staleness_ms = 500;
  // How often the head is read without a notification (the lease renewed). Default 100 ms; must
  // be below max_staleness_ms.
  int poll_ms = 100;
  // Each statement of the follower's own connection is answered within this or the database
  // counts as unreachable (the lease then runs out). Default 5 s.
  int statement_timeout_ms = 5'000;
  // Index snapshots of this node (docs/cluster.md, "Index snapshots of a node"): when set, every
  // HNSW gallery's graph (no template: the vectors are read from the store) is written here,
  // encrypted, with the change it reflects, after the first build, every
  // snapshot_interval_s while the index changes, and at Flush() (a clean shutdown). At start a
  // snapshot whose change the log still holds with the same hash is loaded instead of building
  // the graph; any other is refused (said through `log`) and the gallery built from the store.
  // A deleted gallery's snapshot is removed, and at each build from the store so is every
  // `gallery-<id>.node.fidx` here whose gallery the store does not hold: the directory belongs to
  // this node and this store alone.
  std::string snapshot_dir{};
  int snapshot_interval_s = 600;
  // HNSW cannot delete a node: a removed face stays in the graph as a dead node. When the snapshot
  // thread (not Flush) writes a graph whose removed nodes are at least this share of its nodes,
  // it builds a graph of the live vectors alone, beside the index in memory (which is unchanged;
  // its build takes the snapshot thread ~8 min at 1 M faces on 2 cores and ~3.4 GB), and
  // writes that instead: the node's next start loads a graph without them. Default 0.25; above
  // 1: never.
  double snapshot_compact_removed_share = 0.25;
  // Where the follower tells what it did with its snapshots (a line each, no newline). Optional.
  std::function<void(const std::string&)> log{};
};

// What a following node knows (Galleries::GetFollowStatus).
struct FollowStatus {
  bool following = false;
  bool fresh = false;          // within the lease now
  int64_t applied_change = 0;  // every change up to this one is in the indexes
  int64_t lease_age_ms = -1;   // since the last proof's read was sent; -1 when there is none
  int64_t rebuilds = 0;        // after a gap, a hash mismatch or a diverged history
  std::string problem{};       // why the lease was last not renewed, or the last rebuild
};

// How identifications' audit entries were committed (Galleries::GetAuditCommitStats): entries
// of concurrent identifications are appended together, one transaction per batch, and each
// answer leaves only after the transaction holding its entry committed.
struct AuditCommitStats {
  int64_t commits = 0;         // transactions attempted
  int64_t failed_commits = 0;  // of which failed (every request in them failed)
  int64_t entries = 0;         // entries in those transactions
  int64_t largest_batch = 0;   // most entries in one transaction
  // Transactions by entries: [0] 1, [1] 2-3, [2] 4-7, [3] 8-15, [4] 16-31, [5] 32 or more.
  std::array<int64_t, 6> by_batch_size{};
};

// In the message of a kFailedPrecondition from a search on a node that cannot prove it is
// current (its lease ran out): another node, or this one a little later, may answer.
// IsNodeStale() tests it.
inline constexpr const char* kNodeStaleMarker = "this node cannot prove it is current";
bool IsNodeStale(const Status& status);

class IdentificationRun;

// What Galleries::CheckRows found.
struct StoreRowReport {
  int64_t rows_checked = 0;
  std::vector<std::string> problems{};  // one line per bad row, naming it; empty when intact
};

class Galleries {
 public:
  // Creates a new store (refuses to overwrite one). With `key_file` set and absent, creates the
  // key file (mode 0600) with a fresh master key; an existing key file or master_key_hex is used
  // as is.
  static Result<std::unique_ptr<Galleries>> Create(const GalleriesOptions& options);
  // Opens an existing store. kCorruptData for a damaged, truncated or foreign file;
  // kFailedPrecondition when the master key is not this store's.
  static Result<std::unique_ptr<Galleries>> Open(const GalleriesOptions& options);
  // Writes pending index snapshots.
  ~Galleries();
  Galleries(const Galleries&) = delete;
  Galleries& operator=(const Galleries&) = delete;

  // --- galleries
  // `recognizer` is the model the gallery's templates will come from (Engine::recognizer()).
  Result<GalleryInfo> CreateGallery(const GallerySpec& spec, const RecognizerInfo& recognizer,
                                    const AuditContext& context);
  Result<GalleryInfo> GetGallery(const std::string& gallery);
  // The gallery's settings (name, purpose, use, recognizer, fmr, threshold, keep_photos,
  // created_at; persons and faces are left 0). On a node following the change log they come
  // from memory (kept current by the log: no round trip); otherwise as GetGallery.
  Result<GalleryInfo> GetGallerySettings(const std::string& gallery);
  Result<std::vector<GalleryInfo>> ListGalleries();
  // Erases every person of the gallery (as ErasePerson) and the gallery.
  Status DeleteGallery(const std::string& gallery, const AuditContext& context);
  // Replaces the labels that are set in `labels` (audited as gallery_update, naming the fields
  // changed, never their text).
  Result<GalleryInfo> UpdateGallery(const std::string& gallery, const GalleryLabels& labels,
                                    const AuditContext& context);

  // --- persons
  Result<PersonInfo> AddPerson(const std::string& gallery, const PersonSpec& spec,
                               const AuditContext& context);
  // Replaces display name and external reference.
  Result<PersonInfo> UpdatePerson(const std::string& gallery, const PersonSpec& spec,
                                  const AuditContext& context);
  Result<PersonInfo> GetPerson(const std::string& gallery, const std::string& person_id);
  Result<std::vector<PersonInfo>> ListPersons(const std::string& gallery);
  // Everything held about the person, as a JSON document (profile, consents, faces with their
  // templates, kept photos in base64, and the audit entries naming them). Audited; needs a purpose.
  Result<std::string> ExportPerson(const std::string& gallery, const std::string& person_id,
                                   const AuditContext& context);
  // Destroys the person's data key and deletes the person, their consents and faces. A row that
  // fails its integrity check (changed outside facet) does not block it: the erasure then goes
  // ahead on the rows as they are, and its audit entry says what was damaged (the same for
  // DeleteGallery).
  Status ErasePerson(const std::string& gallery, const std::string& person_id,
                     const AuditContext& context);

  // --- consents
  Result<ConsentInfo> GrantConsent(const std::string& gallery, const std::string& person_id,
                                   const ConsentSpec& spec, const AuditContext& context);
  // Revokes one consent; if no valid consent covering the gallery's use remains, the person's
  // templates are shredded before this returns.
  Status RevokeConsent(const std::string& gallery, const std::string& person_id,
                       int64_t consent_id, const AuditContext& context);
  Result<std::vector<ConsentInfo>> ListConsents(const std::string& gallery,
                                                const std::string& person_id);
  // Shreds the templates of persons whose covering consents have expired, in every gallery.
  // Every other call already does this for the gallery it touches; a long-running service may
  // also call it on a timer. Returns the number of persons shredded.
  Result<int64_t> PurgeExpired(const AuditContext& context);

  // --- faces
  // kFailedPrecondition without a valid consent covering the gallery's use; kInvalidArgument for
  // a template of another model or version.
  Result<FaceInfo> Enroll(const EnrollRequest& request, const AuditContext& context);
  Result<std::vector<FaceInfo>> ListFaces(const std::string& gallery, const std::string& person_id);
  // One face of the person; kNotFound when it is not theirs.
  Result<FaceInfo> GetFace(const std::string& gallery, const std::string& person_id,
                           int64_t face_id);
  // Replaces the face's user_data (empty removes it); audited as face_update.
  Result<FaceInfo> UpdateFace(const std::string& gallery, const std::string& person_id,
                              int64_t face_id, const std::string& user_data,
                              const AuditContext& context);
  Status DeleteFace(const std::string& gallery, const std::string& person_id, int64_t face_id,
                    const AuditContext& context);

  // --- search
  // 1:N: one Identification per probe. kFailedPrecondition for a verify-only gallery;
  // kInvalidArgument without actor or purpose. One audit entry per call.
  Result<std::vector<Identification>> Identify(const std::string& gallery,
                                               std::span<const Embedding> probes,
                                               const IdentifyOptions& options);
  // A series of 1:N searches audited as one entry (e.g. every face of a video, searched frame by
  // frame as it is decoded): see IdentificationRun. Fails at once (kNotFound, kFailedPrecondition,
  // kInvalidArgument) where Identify would. `activity` says what runs the searches (e.g.
  // "redact --keep"); it is written to the entry.
  Result<std::unique_ptr<IdentificationRun>> StartIdentification(const std::string& gallery,
                                                                  const IdentifyOptions& options,
                                                                  const std::string& activity);
  // 1:1: is `probe` the person? Needs a valid consent of either scope. Audited.
  Result<Verification> Verify(const std::string& gallery, const std::string& person_id,
                              const Embedding& probe, const AuditContext& context);

  // --- audit
  // How the audit entries of identifications have been committed so far (batch sizes).
  AuditCommitStats GetAuditCommitStats() const;
  // Checks the whole hash chain and that the store's append-only guards (triggers) are in place
  // (facet audit verify). With `anchor`, also that the log still contains the anchored head.
  Result<AuditReport> VerifyAudit();
  Result<AuditReport> VerifyAudit(const AuditAnchor& anchor);
  // The current head as an anchor to keep elsewhere (facet audit anchor). kCorruptData when the
  // log is not intact now (an anchor of a broken log would vouch for it).
  Result<AuditAnchor> AnchorAudit();
  // Up to `limit` entries from `from_seq` on.
  Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int64_t limit);

  // Writes the index snapshots of large galleries that changed (also done on destruction).
  Status Flush();
  // Full integrity check of the store files (slower than the check on open).
  Status CheckIntegrity();
  // Checks every gallery, person, consent and face row against its MAC and opens its sealed
  // fields (facet store check), listing every bad row rather than stopping at the first; a
  // damaged store file (CheckIntegrity) is one more problem.
  Result<StoreRowReport> CheckRows();
  // Builds (or brings up to date) the in-memory index of every gallery now, not at first use: a
  // service node does this before it reports ready.
  Status LoadIndexes();
  // One round trip to the store (a read of its head): OK when it answers now.
  Status CheckStore();

  // --- several nodes on one database store (docs/cluster.md)
  // Builds every gallery's index, then follows the store's change log on a thread of its own:
  // each change is applied in order (woken by the database's notifications, and polling every
  // options.poll_ms), its hash chain checked, and the indexes rebuilt after a gap, a hash
  // mismatch or a diverged history. From then on searches (Identify, StartIdentification) and
  // Verify answer only within the lease (FollowOptions::max_staleness_ms): kFailedPrecondition
  // with kNodeStaleMarker otherwise. Returns once the first build is done and proven current.
  // Call once, before other threads use this object. kFailedPrecondition for a store without a
  // change log (SQLite).
  Status FollowChanges(const FollowOptions& options);
  FollowStatus GetFollowStatus() const;
  // OK when not following, or within the lease; kFailedPrecondition with kNodeStaleMarker else.
  Status CheckFresh() const;
  // Waits at most `timeout` until every change up to `change` is applied (read-your-writes):
  // kFailedPrecondition with kNodeStaleMarker when it is not by then. OK at once when not
  // following (every read then goes to the store).
  Status WaitForChange(int64_t change, std::chrono::milliseconds timeout);
  // The change number of this process's last committed write (or a later one): a write that
  // returned before this call is in every node that applied this number. 0 without a change log.
  int64_t LastCommittedChange() const;

  struct Impl;  // internal
  explicit Galleries(std::unique_ptr<Impl> impl);

 private:
  friend class IdentificationRun;
  // ErasePerson and DeleteGallery on rows that pass their checks.
  Status EraseCheckedPerson(const std::string& gallery, const std::string& person_id,
                            const AuditContext& context);
  Status DeleteCheckedGallery(const std::string& gallery, const AuditContext& context);
  std::unique_ptr<Impl> impl_;
};

// Searches of one gallery that share one audit entry. Each Identify searches exactly as
// Galleries::Identify does (the gallery's threshold, consents and purges included) but writes no
// entry; Finish writes one, action "identify", with the counts over all searches ("searches",
// "probes", "identified", "unknown", "activity", "completed") and the persons identified, by
// uid. No template is logged. Created by Galleries::StartIdentification; must not outlive it.
// Thread-safety: Identify may be called concurrently; Finish once, after the last Identify.
class IdentificationRun {
 public:
  IdentificationRun(Galleries& galleries, std::string gallery, IdentifyOptions options,
                    std::string activity);
  // Finishes a run that was not (marked "completed": false; any error is lost: call Finish).
  ~IdentificationRun();
  IdentificationRun(const IdentificationRun&) = delete;
  IdentificationRun& operator=(const IdentificationRun&) = delete;

  // One Identification per probe. kFailedPrecondition after Finish.
  Result<std::vector<Identification>> Identify(std::span<const Embedding> probes);
  // Writes the audit entry; `completed` = false records a run that was cut short (its searches
  // still happened). A second call does nothing.
  Status Finish(bool completed = true);

  int64_t probes() const;
  int64_t identified() const;

 private:
  struct Counts;
  Galleries& galleries_;
  const std::string gallery_;
  const IdentifyOptions options_;
  const std::string activity_;
  std::unique_ptr<Counts> counts_;
};

// Where the store and the master key are when not given explicitly, shared by the CLI and
// `facet serve` (README "Galleries"): the store is `store`, else $FACET_STORE, else
// $XDG_DATA_HOME/facet/store.db (~/.local/share/facet/store.db); the master key is `key_file`,
// else $FACET_MASTER_KEY (64 hex characters), else $FACET_KEY_FILE, else
// $XDG_CONFIG_HOME/facet/master.key (~/.config/facet/master.key). Only reads the environment.
GalleriesOptions ResolveGalleriesOptions(const std::string& store, const std::string& key_file);

// The file a store location names ("sqlite:PATH" or PATH).
std::string StoreFilePath(const std::string& store);

// True for a PostgreSQL store (a postgresql:// or postgres:// URI): not a file.
bool IsDatabaseStore(const std::string& store);
// True when `status` says a database store could not be reached (its server down, failing over,
// or cut off): retrying later may succeed (HTTP 503).
bool IsStoreUnavailable(const Status& status);
// The location for messages: a URI's password replaced by "***".
std::string StoreForDisplay(const std::string& store);

// --- image-level helpers: detection + embedding with a Session, then the gallery call.

struct EnrollImageOptions {
  std::string gallery{};
  std::string person_id{};
  DetectOptions detect{};
  // Refuse faces whose quality for recognition is below this. Default medium.
  QualityLevel min_quality = QualityLevel::kMedium;
  // When set (Azure's targetFace), the detected face overlapping this rectangle best, by
  // intersection over union of at least kMinTargetOverlap, instead of the largest: facet needs a
  // face's landmarks, so it detects again rather than trusting the rectangle alone. Default unset.
  std::optional<Box> target_face{};
  // EnrollRequest::user_data.
  std::string user_data{};
};

// EnrollImageOptions::target_face: the least overlap a detected face must have with it.
inline constexpr float kMinTargetOverlap = 0.3F;

struct EnrolledImage {
  Face face{};  // the face enrolled (the largest in the image, or the one at target_face)
  FaceInfo info{};
  int faces_in_image = 0;
};

// Decodes `encoded` (an image file's bytes), enrolls its largest face (or the one at
// options.target_face). kNoFace without a face (there); kFailedPrecondition for a face below
// min_quality.
Result<EnrolledImage> EnrollImage(Galleries& galleries, Session& session,
                                  std::span<const uint8_t> encoded,
                                  const EnrollImageOptions& options, const AuditContext& context);

struct IdentifiedFace {
  Face face{};
  Identification identification{};
};

// Embeds `faces` (found in `image` by Session::Detect) and identifies them in one audited call.
Result<std::vector<IdentifiedFace>> IdentifyFaces(Galleries& galleries, Session& session,
                                                  const Image& image, std::span<const Face> faces,
                                                  const std::string& gallery,
                                                  const IdentifyOptions& options);

// SHA-256 of `bytes` as lowercase hex (the source hash EnrollRequest wants).
std::string Sha256Hex(std::span<const uint8_t> bytes);

// Times as the CLI, exports and the service write them: ISO 8601 UTC, "2026-11-23T09:30:00Z"
// (milliseconds shown when not zero). ParseTime also takes a date alone ("2027-01-31", midnight
// UTC) and fractional seconds; kInvalidArgument otherwise, and for a date or time that does
// not exist (2027-02-30, 23:59:60: refused, never moved to the next valid one).
std::string FormatTime(TimePoint time);
Result<TimePoint> ParseTime(std::string_view text);

}  // namespace facet

#endif  // FACET_GALLERY_H_
