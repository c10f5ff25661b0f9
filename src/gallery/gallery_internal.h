// Internals of Galleries shared by gallery*.cc: the wiring of store, crypto, audit and index.
//
// Locking: each gallery has a GalleryState whose shared_mutex guards its in-memory index. Every
// change to a gallery (enroll, delete, revoke, erase, purge) holds it exclusively across the
// store commit and the index update, so a search never sees a state the store does not have.
// Searches hold it shared. Lock order: GalleryState::mutex, then the store's own lock.
#ifndef FACET_SRC_GALLERY_GALLERY_INTERNAL_H_
#define FACET_SRC_GALLERY_GALLERY_INTERNAL_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "audit/chain.h"
#include "crypto/crypto.h"
#include "facet/gallery.h"
#include "gallery/audit_group_commit.h"
#include "gallery/row_protector.h"
#include "index/vector_index.h"
#include "store/template_store.h"

namespace facet {

namespace gallery {

// Associated data binding each sealed blob to its owner (docs/store_format.md).
std::string PersonKeyContext(const std::string& uid);
std::string ProfileContext(const std::string& uid);
std::string TemplateContext(const std::string& uid, int64_t gallery_id, const std::string& model,
                            const std::string& version);
std::string PhotoContext(const std::string& uid);

// The scopes that cover a gallery's use: identify -> {identify}; verify -> {verify, identify}.
std::vector<std::string> CoveringScopes(const std::string& use);
bool ConsentValidAt(const store::ConsentRecord& consent, int64_t now_ms);

RecognizerInfo RecognizerOf(const store::GalleryRecord& record);

// Decoded (decrypted) profile.
struct Profile {
  std::string display_name;
  std::string external_ref;
};

// A gallery's decoded labels (gallery_labels.cc).
struct GalleryProfile {
  std::string display_name;
  std::string user_data;
};
std::string GalleryProfileContext(const store::GalleryRecord& record);
std::string FaceUserDataContext(const std::string& uid, int64_t face_id);
Status CheckGalleryLabels(const GalleryLabels& labels);
// Empty `user_data`: an empty blob (none stored).
Result<std::vector<uint8_t>> SealFaceUserData(const crypto::SecretKey& person_key,
                                              const std::string& uid, int64_t face_id,
                                              const std::string& user_data);

// The searchable state of one gallery.
struct GalleryState {
  store::GalleryRecord record;  // fixed at creation (generation below is the live one)
  std::shared_mutex mutex;
  // Below: guarded by mutex.
  bool loaded = false;  // index built or read
  std::unique_ptr<index::VectorIndex> index;
  std::unordered_map<int64_t, int64_t> face_person;  // face id -> person row id
  std::unordered_map<int64_t, std::string> person_ids;  // person row id -> person id
  std::unordered_map<int64_t, std::string> person_uids;  // person row id -> uid
  int64_t generation = -1;   // store generation the index reflects
  // Faces left out of the index because their row failed its integrity check: face id -> why.
  // A gallery with damaged faces is never cached in a snapshot (it is re-checked on load).
  std::map<int64_t, std::string> damaged_faces;
  // The index changed since its snapshot was written (atomic: a node's snapshot writer reads and
  // clears it holding mutex shared).
  std::atomic<bool> snapshot_dirty{false};
  // Earliest consent expiry to act on; 0 = check at the next call.
  std::atomic<int64_t> next_purge_ms{0};

  // Drops the index and the maps into it (loaded false), so the next use builds or reads it
  // anew; record and generation stay. Needs mutex held exclusively.
  void Unload() {
    loaded = false;
    index.reset();
    face_person.clear();
    person_ids.clear();
    person_uids.clear();
    damaged_faces.clear();
  }
};

// What a 1:N search found, before it is audited.
struct SearchOutcome {
  std::vector<Identification> results;
  std::vector<std::string> subjects;  // uid of each known decision
  std::string index_kind;
  std::map<int64_t, std::string> damaged_faces;  // skipped (see GalleryState)
  // On a following node: when the read that proved the searched state current was sent (the
  // answer may leave only within the lease counted from it). Unset when not following.
  std::optional<std::chrono::steady_clock::time_point> proof;
};

// A node's index snapshot as read (Galleries::Impl::ReadNodeSnapshot).
struct NodeSnapshot {
  int64_t change = 0;                // the change log row the snapshot reflects
  std::vector<uint8_t> change_hash;  // that row's hash
  std::vector<uint8_t> graph;        // VectorIndex::SerializeGraph's bytes
};
// Writing a node's snapshot from a graph with many removed nodes (FollowOptions::
// snapshot_compact_removed_share): a graph of the live vectors is built and written instead.
struct SnapshotCompaction {
  double removed_share = 0.25;  // of the graph's nodes, at least this many removed
  std::function<bool()> stop;   // polled between batches of the build; true abandons it
};
// What writing one did.
struct NodeSnapshotWrite {
  double locked_s = -1;          // the copy's time under the read lock; -1: nothing written
  int64_t removed_left_out = 0;  // removed nodes a graph built anew left out (0: not built)
};
// What loading one did.
struct NodeSnapshotLoad {
  int64_t faces = 0;    // in the index afterwards
  int64_t added = 0;    // faces the store held and the graph lacked (inserted)
  int64_t removed = 0;  // nodes of the graph the store no longer held
  double scan_s = 0;    // reading and decrypting the gallery's rows into the graph
  double finish_s = 0;  // walk codes and neighbour codes of every vector, inserting the new faces
};

class ChangeFollower;
// Deletes a ChangeFollower where its type is complete (change_follower.cc).
struct ChangeFollowerDeleter {
  void operator()(ChangeFollower* follower) const;
};

// The audit chain's check through `txn` (against `anchor` when not null), then the append-only
// guards; the head read is stored in `head_out` when not null (gallery_export.cc).
Result<AuditReport> VerifyAuditIn(store::StoreTxn& txn, const audit::AuditChain& chain,
                                  const AuditAnchor* anchor, store::AuditHead* head_out);

}  // namespace gallery

struct Galleries::Impl {
  GalleriesOptions options;
  // Checks and MACs rows (set once the store's uid is known; borrowed by `store`).
  std::unique_ptr<gallery::RowProtector> rows;
  // The backend wrapped in a gallery::ProtectedStore: every row read through it is checked.
  std::unique_ptr<store::TemplateStore> store;
  store::TemplateStore* backend = nullptr;  // the unchecked backend inside `store`
  std::string store_path;  // for the snapshot directory
  std::string store_uid;
  crypto::SecretKey master;
  crypto::SecretKey profile_key;
  crypto::SecretKey snapshot_key;
  crypto::SecretKey row_mac_key;
  std::unique_ptr<audit::AuditChain> chain;
  // Identifications' audit entries, committed in batches (set with `chain`; uses `store`).
  std::unique_ptr<gallery::AuditGroupCommit> audit_commits;

  std::mutex states_mutex;
  std::map<std::string, std::shared_ptr<gallery::GalleryState>> states;  // by gallery name

  Impl(crypto::SecretKey master_key, crypto::SecretKey profile, crypto::SecretKey snapshot,
       crypto::SecretKey row_mac)
      : master(std::move(master_key)),
        profile_key(std::move(profile)),
        snapshot_key(std::move(snapshot)),
        row_mac_key(std::move(row_mac)) {}

  int64_t NowMs() const;

  // Wraps the opened backend so that its rows are checked (store_uid must be set).
  void ProtectStore(std::unique_ptr<store::TemplateStore> opened);
  // Gives the rows of a store from before schema 3 their MACs, once (gallery_protect.cc).
  Status ProtectRowsOnce();
  // Erasure is never blocked by a damaged row: erases `person_id` (every person and the gallery
  // itself when empty) through the unchecked backend, destroying keys and faces as the checked
  // path does, and audits it with `damage` (the kStoreCorrupt message that stopped that path).
  Status DestroyDespiteDamage(const std::string& gallery, const std::string& person_id,
                              const AuditContext& context, const std::string& damage);

  // Appends an audit entry inside `txn` (same transaction as the change it records).
  Status Audit(store::StoreTxn& txn, int64_t now_ms, const AuditContext& context,
               const std::string& action, const std::string& gallery, const std::string& subjects,
               const std::string& details);
  // Appends `records` inside `txn`, in order, each its own link of the chain.
  Status AuditAll(store::StoreTxn& txn, int64_t now_ms,
                  std::span<const gallery::AuditRecord* const> records);

  // The state of a gallery (created on first use); kNotFound for an unknown gallery.
  Result<std::shared_ptr<gallery::GalleryState>> State(const std::string& gallery);
  void ForgetState(const std::string& gallery);

  Result<std::vector<uint8_t>> SealProfile(const std::string& uid, const gallery::Profile& p) const;
  Result<gallery::Profile> OpenProfile(const store::PersonRecord& person) const;
  // A gallery's labels (an empty blob when it has none) and back; kCorruptData when they do not
  // open.
  Result<std::vector<uint8_t>> SealGalleryProfile(const store::GalleryRecord& record,
                                                  const gallery::GalleryProfile& profile) const;
  Result<gallery::GalleryProfile> OpenGalleryProfile(const store::GalleryRecord& record) const;
  // The person's data key, unwrapped; kFailedPrecondition when destroyed (or never made).
  Result<crypto::SecretKey> PersonDataKey(const store::PersonRecord& person) const;

  // Loads or refreshes the gallery's index so that it matches the store. Caller holds
  // state.mutex exclusively.
  Status EnsureIndexLocked(gallery::GalleryState& state);
  // Writes the snapshot if the gallery is large enough and it changed. Caller holds state.mutex.
  Status SaveSnapshotLocked(gallery::GalleryState& state);
  // Deletes the snapshot file (after a removal: it may hold shredded templates).
  void DropSnapshotLocked(gallery::GalleryState& state);
  std::string SnapshotPath(const gallery::GalleryState& state) const;
  // A database store (no snapshot beside it: a following node keeps its own, below).
  bool database_store = false;

  // A following node's index snapshots (docs/cluster.md, "Index snapshots of a node"): the HNSW
  // graph only, no template; the vectors are read from the store when it is loaded.
  // Writes the snapshot of `state` as reflecting change `change` (hash `change_hash`) into
  // `dir`; copies the graph holding state.mutex shared (the caller must not hold it). OK and
  // nothing written when the index has no graph (exact) or nothing changed since the last write.
  // With `compaction` (not null) a graph with many removed nodes is built anew first (above).
  // `written` (when not null): what was done.
  Status WriteNodeSnapshot(gallery::GalleryState& state, const std::string& dir, int64_t change,
                           const std::vector<uint8_t>& change_hash,
                           const gallery::SnapshotCompaction* compaction = nullptr,
                           gallery::NodeSnapshotWrite* written = nullptr);
  // The snapshot in `dir` of `gallery`: kNotFound when there is none; kCorruptData saying why when
  // it is not a sound snapshot of this gallery of this store with this master key.
  Result<gallery::NodeSnapshot> ReadNodeSnapshot(const store::GalleryRecord& gallery,
                                                 const std::string& dir) const;
  // Removes the snapshot in `dir` of the gallery with this id, if any (a deleted gallery's: it
  // names no one, but nothing would read it again). True when a file was removed, false when
  // there was none; an error saying why when it could not be removed.
  static Result<bool> RemoveNodeSnapshot(const std::string& dir, int64_t gallery_id);
  // The gallery ids of the snapshots in `dir` (files named as this node names them; nothing else
  // counts). None when `dir` does not exist; an error when it cannot be read.
  static Result<std::vector<int64_t>> NodeSnapshotGalleries(const std::string& dir);
  // Sets the state's index to the snapshot's graph with every face of the gallery the store holds
  // now (faces of the graph the store no longer holds are removed, faces it lacks are added).
  // Caller holds state.mutex exclusively; on an error the state is left unloaded.
  Status LoadNodeSnapshotLocked(gallery::GalleryState& state, const gallery::NodeSnapshot& snapshot,
                                gallery::NodeSnapshotLoad* load);

  // Destroys a person's key and deletes their faces inside `txn`; returns the face ids removed.
  Result<std::vector<int64_t>> ShredInTxn(store::StoreTxn& txn, const store::PersonRecord& person);
  // After a commit that removed `faces` (caller holds state.mutex exclusively).
  void RemoveFromIndexLocked(gallery::GalleryState& state, const std::vector<int64_t>& faces,
                             int64_t generation_before);
  // Shreds persons of the gallery whose covering consents lapsed; cheap when nothing is due.
  Result<int64_t> PurgeExpiredFor(gallery::GalleryState& state, const AuditContext& context);

  // The search of Galleries::Identify without its audit entry (callers write it).
  Result<gallery::SearchOutcome> Search(const std::string& gallery,
                                        std::span<const Embedding> probes,
                                        const IdentifyOptions& request);
  // Appends one "identify" audit entry; returns once the transaction holding it (shared with
  // concurrent identifications: audit_commits) committed, or with that transaction's error.
  Status AuditIdentify(const std::string& gallery, const IdentifyOptions& request,
                       const std::vector<std::string>& subjects, const std::string& details);

  // Following a database store's change log (gallery/change_follower.h).
  // Adds `faces` (rows read from the store, each of this gallery) whose person is in `persons`
  // and that the index lacks; sets the persons' ids. Caller holds state.mutex exclusively.
  Status AddFaceRowsLocked(gallery::GalleryState& state, std::span<const store::FaceRecord> faces,
                           const std::map<int64_t, store::PersonRecord>& persons);
  // The state of the gallery with row id `id`, if one is held.
  std::shared_ptr<gallery::GalleryState> StateById(int64_t id);
  // OK when not following or within the lease; the stale error otherwise.
  Status CheckFreshNow() const;
  // Set once by Galleries::FollowChanges; read by every search. Declared last: destroyed
  // (its thread stopped) before everything it uses.
  std::atomic<gallery::ChangeFollower*> follower{nullptr};
  std::unique_ptr<gallery::ChangeFollower, gallery::ChangeFollowerDeleter> follower_owner;
};

}  // namespace facet

#endif  // FACET_SRC_GALLERY_GALLERY_INTERNAL_H_
