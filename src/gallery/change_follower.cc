// The change follower of a service node on a database store, and the Galleries methods that
// start it and answer from it.
#include "gallery/change_follower.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <shared_mutex>
#include <utility>

#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"
#include "gallery/protected_store.h"

namespace facet {

namespace gallery {
namespace {

using nlohmann::json;

// Changes read per statement while catching up.
constexpr int kChangesPerRead = 1000;

int64_t ToNs(ChangeFollower::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

ChangeFollower::Clock::time_point FromNs(int64_t ns) {
  return ChangeFollower::Clock::time_point(
      std::chrono::duration_cast<ChangeFollower::Clock::duration>(std::chrono::nanoseconds(ns)));
}

std::vector<int64_t> Ids(const json& payload, const char* key) {
  std::vector<int64_t> out;
  auto it = payload.find(key);
  if (it == payload.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  }
  return out;
}

Status Diverged(const std::string& what) { return Status::CorruptData("the change log " + what); }

}  // namespace

ChangeFollower::ChangeFollower(Galleries::Impl& impl, const FollowOptions& options,
                               std::unique_ptr<store::ChangeFeed> feed)
    : impl_(impl), options_(options), feed_(std::move(feed)) {}

ChangeFollower::~ChangeFollower() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  if (thread_.joinable()) thread_.join();
}

void ChangeFollower::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

Status ChangeFollower::Start() {
  FACET_RETURN_IF_ERROR(Build());
  // The first proof: a node reports ready only once it is current.
  const Clock::time_point sent = Clock::now();
  auto head = feed_->ReadHead();
  if (!head.ok()) return head.status();
  FACET_RETURN_IF_ERROR(CatchUp(head.value()));
  lease_start_ns_.store(ToNs(sent));
  thread_ = std::thread([this] { Run(); });
  if (!options_.snapshot_dir.empty()) snapshot_thread_ = std::thread([this] { SnapshotLoop(); });
  return Status::Ok();
}

void ChangeFollower::SnapshotLoop() {
  // First the galleries just built (a loaded snapshot with nothing added is not rewritten), then
  // every interval those that changed.
  while (true) {
    const auto started = Clock::now();
    const Status written = WriteSnapshots();
    if (!written.ok()) Log("index snapshot not written: " + written.message());
    std::unique_lock<std::mutex> lock(mutex_);
    // A deleted gallery's snapshot goes at once; the others wait for the interval.
    while (changed_.wait_until(lock, started + std::chrono::seconds(options_.snapshot_interval_s),
                               [this] { return stop_ || !deleted_galleries_.empty(); })) {
      if (stop_) return;
      lock.unlock();
      {
        std::lock_guard<std::mutex> writing(snapshot_write_mutex_);
        RemoveDeletedGallerySnapshots();
      }
      lock.lock();
    }
  }
}

void ChangeFollower::RemoveDeletedGallerySnapshots() {
  std::vector<int64_t> deleted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    deleted.swap(deleted_galleries_);
  }
  for (const int64_t id : deleted) {
    if (Galleries::Impl::RemoveNodeSnapshot(options_.snapshot_dir, id)) {
      Log("gallery " + std::to_string(id) + " was deleted: its index snapshot removed");
    }
  }
}

Status ChangeFollower::WriteSnapshots() {
  if (options_.snapshot_dir.empty()) return Status::Ok();
  std::lock_guard<std::mutex> writing(snapshot_write_mutex_);
  RemoveDeletedGallerySnapshots();
  // The change mark is read before each index is copied: an index holds at least every change up
  // to it (a node's own writes may already be in it; loading reads every vector from the store,
  // so a face of a later change is filled or removed then, never wrong).
  int64_t change = 0;
  std::vector<uint8_t> hash;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    change = applied_.load();
    hash = applied_hash_copy_;
  }
  if (lease_start_ns_.load() == 0 || change < 1) return Status::Ok();  // rebuilding, or empty
  std::vector<std::shared_ptr<GalleryState>> states;
  {
    std::lock_guard<std::mutex> lock(impl_.states_mutex);
    for (const auto& [name, state] : impl_.states) states.push_back(state);
  }
  Status first;
  for (const auto& state : states) {
    const auto start = Clock::now();
    double locked_s = -1;  // stays so when nothing was written
    const Status written =
        impl_.WriteNodeSnapshot(*state, options_.snapshot_dir, change, hash, &locked_s);
    if (!written.ok()) {
      if (first.ok()) {
        first =
            Status(written.code(), "gallery '" + state->record.name + "': " + written.message());
      }
      continue;
    }
    if (locked_s < 0) continue;
    size_t faces = 0;
    {
      std::shared_lock lock(state->mutex);
      if (state->index) faces = state->index->size();
    }
    char line[320];
    std::snprintf(line, sizeof line,
                  "gallery '%s': index snapshot at change %lld written in %.2f s (%zu faces; the "
                  "graph copied in %.2f s under the gallery's read lock)",
                  state->record.name.c_str(), static_cast<long long>(change),
                  std::chrono::duration<double>(Clock::now() - start).count(), faces, locked_s);
    Log(line);
  }
  return first;
}

void ChangeFollower::LoadSnapshot(GalleryState& state, const store::ChangeHead& head) {
  const std::string name = "gallery '" + state.record.name + "': ";
  const auto read_start = Clock::now();
  auto snapshot = impl_.ReadNodeSnapshot(state.record, options_.snapshot_dir);
  const double read_s = std::chrono::duration<double>(Clock::now() - read_start).count();
  if (!snapshot.ok()) {
    if (snapshot.status().code() == StatusCode::kNotFound) {
      Log(name + "no index snapshot in " + options_.snapshot_dir + ": building from the store");
    } else {
      Log(name + "index snapshot refused (" + snapshot.status().message() +
          "): building from the store");
    }
    return;
  }
  const int64_t change = snapshot->change;
  const std::string at = "index snapshot at change " + std::to_string(change);
  auto refuse = [&](const std::string& why) {
    Log(name + at + " refused: " + why + ": building from the store");
  };
  // The history it reflects must be the database's: the log holds its change, with its hash.
  if (change > head.seq) {
    return refuse("the database's change log ends at " + std::to_string(head.seq) +
                  " (a diverged history or a restored database)");
  }
  auto rows = feed_->ReadChanges(change - 1, change, 1);
  if (!rows.ok()) return refuse("the change log could not be read: " + rows.status().message());
  if (rows->empty() || rows->front().seq != change) {
    return refuse("the change log no longer holds that change");
  }
  const store::ChangeRecord& row = rows->front();
  if (row.hash != snapshot->change_hash ||
      store::ChangeLogHash(row.previous_hash, row.seq, row.payload) != row.hash) {
    return refuse("the database's change " + std::to_string(change) +
                  " has another hash (a diverged history or a restored database)");
  }
  const auto start = Clock::now();
  NodeSnapshotLoad load;
  const Status loaded = impl_.LoadNodeSnapshotLocked(state, snapshot.value(), &load);
  if (!loaded.ok()) return refuse(loaded.message());
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  char line[400];
  std::snprintf(line, sizeof line,
                "%s loaded in %.2f s: %lld faces (%lld enrolled since inserted, %lld removed "
                "since left out), up to date with the store at change %lld or later (file "
                "%.2f s, rows read and decrypted %.2f s, codes and insertions %.2f s)",
                at.c_str(), read_s + total, static_cast<long long>(load.faces),
                static_cast<long long>(load.added), static_cast<long long>(load.removed),
                static_cast<long long>(head.seq), read_s, load.scan_s, load.finish_s);
  Log(name + line);
}

void ChangeFollower::Run() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
    }
    Tick();
    const Status woken = feed_->WaitForNotification(options_.poll_ms);
    if (!woken.ok()) {
      // The connection broke: the next round reconnects; do not spin meanwhile.
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                        [this] { return stop_; });
    }
  }
}

void ChangeFollower::Tick() {
  if (must_rebuild_) {
    const Status built = Build();
    if (!built.ok()) {
      SetProblem("rebuild failed: " + built.message());
      return;
    }
    must_rebuild_ = false;
  }
  const Clock::time_point sent = Clock::now();
  auto head = feed_->ReadHead();
  if (!head.ok()) {
    SetProblem("the change log's head could not be read: " + head.status().message());
    return;
  }
  const Status caught_up = CatchUp(head.value());
  if (caught_up.ok()) {
    lease_start_ns_.store(ToNs(sent));
    return;
  }
  if (caught_up.code() == StatusCode::kCorruptData) {
    // A gap, a mismatch or a diverged history: nothing held can be trusted any more.
    lease_start_ns_.store(0);
    must_rebuild_ = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++rebuilds_;
    }
    SetProblem("rebuilding the indexes: " + caught_up.message());
    return;
  }
  SetProblem("applying the change log: " + caught_up.message());
}

Status ChangeFollower::Build() {
  lease_start_ns_.store(0);
  auto head = feed_->ReadHead();
  if (!head.ok()) return head.status();
  {
    std::lock_guard<std::mutex> lock(impl_.states_mutex);
    impl_.states.clear();  // searches still holding an old state are refused: no lease
  }
  std::vector<store::GalleryRecord> galleries;
  FACET_RETURN_IF_ERROR(impl_.store->Read([&](store::StoreTxn& txn) -> Status {
    auto listed = txn.ListGalleries();
    if (!listed.ok()) return listed.status();
    galleries = std::move(listed).value();
    return Status::Ok();
  }));
  // Each index is read at a snapshot at or after `head`; applying the changes after `head` on
  // top is idempotent (a face present is not added twice, one absent is not removed). So is a
  // node's snapshot: its graph gets its vectors from the store at a read at or after `head`.
  // Only the first build reads snapshots: a rebuild follows a gap or a diverged history.
  const bool from_snapshots = first_build_ && !options_.snapshot_dir.empty();
  first_build_ = false;
  if (from_snapshots) {
    std::set<int64_t> ids;
    for (const store::GalleryRecord& g : galleries) ids.insert(g.id);
    for (const int64_t id : Galleries::Impl::RemoveOrphanNodeSnapshots(options_.snapshot_dir, ids)) {
      Log("gallery " + std::to_string(id) +
          " was deleted while this node was stopped: its index snapshot removed");
    }
  }
  for (const store::GalleryRecord& g : galleries) {
    auto state = impl_.State(g.name);
    if (!state.ok()) {
      if (state.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
      return state.status();
    }
    std::unique_lock lock((*state)->mutex);
    if (from_snapshots) LoadSnapshot(**state, head.value());
    Status built = impl_.EnsureIndexLocked(**state);
    if (!built.ok() && built.code() != StatusCode::kNotFound) return built;
  }
  applied_hash_ = head->hash;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    applied_.store(head->seq);
    applied_hash_copy_ = applied_hash_;
  }
  changed_.notify_all();
  return Status::Ok();
}

Status ChangeFollower::CatchUp(const store::ChangeHead& head) {
  const int64_t applied = applied_.load();
  if (head.seq < applied) {
    return Diverged("is behind this node (head " + std::to_string(head.seq) + ", applied " +
                    std::to_string(applied) + "): a diverged history");
  }
  if (head.seq == applied) {
    if (head.hash != applied_hash_) {
      return Diverged("head " + std::to_string(head.seq) +
                      " differs from the one this node applied: a diverged history");
    }
    return Status::Ok();
  }
  while (applied_.load() < head.seq) {
    auto rows = feed_->ReadChanges(applied_.load(), head.seq, kChangesPerRead);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) {
      return Diverged("has a gap after change " + std::to_string(applied_.load()) + " (head " +
                      std::to_string(head.seq) + ")");
    }
    for (const store::ChangeRecord& change : rows.value()) {
      const int64_t next = applied_.load() + 1;
      if (change.seq != next) {
        return Diverged("has a gap: change " + std::to_string(change.seq) + " follows " +
                        std::to_string(next - 1));
      }
      if (change.previous_hash != applied_hash_) {
        return Diverged("does not chain at change " + std::to_string(change.seq) +
                        " (its previous hash is not the one applied): a diverged history");
      }
      if (store::ChangeLogHash(change.previous_hash, change.seq, change.payload) != change.hash) {
        return Diverged("row " + std::to_string(change.seq) + " does not match its hash");
      }
      FACET_RETURN_IF_ERROR(Apply(change));
      applied_hash_ = change.hash;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        applied_.store(change.seq);
        applied_hash_copy_ = applied_hash_;
      }
      changed_.notify_all();
    }
  }
  if (applied_hash_ != head.hash) {
    return Diverged("head " + std::to_string(head.seq) + " does not match its last row");
  }
  return Status::Ok();
}

Status ChangeFollower::Apply(const store::ChangeRecord& change) {
  const json payload = json::parse(change.payload, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return Diverged("row " + std::to_string(change.seq) + " is not a change");
  }
  for (int64_t gallery_id : Ids(payload, "dg")) {
    if (!options_.snapshot_dir.empty()) {  // its snapshot is removed by the snapshot thread
      std::lock_guard<std::mutex> lock(mutex_);
      deleted_galleries_.push_back(gallery_id);
      changed_.notify_all();
    }
    std::shared_ptr<GalleryState> state = impl_.StateById(gallery_id);
    if (!state) continue;
    std::unique_lock lock(state->mutex);
    state->loaded = false;  // searches holding it answer "deleted"
    lock.unlock();
    std::lock_guard<std::mutex> states_lock(impl_.states_mutex);
    auto it = impl_.states.find(state->record.name);
    if (it != impl_.states.end() && it->second == state) impl_.states.erase(it);
  }
  const std::vector<int64_t> removed = Ids(payload, "del");
  const std::vector<int64_t> shredded = Ids(payload, "shred");
  const std::vector<int64_t> added = Ids(payload, "add");
  // The rows of the faces added (those still present) and their persons, read now: a face
  // removed since is absent here, and its removal comes later in the log.
  std::vector<store::FaceRecord> faces;
  std::map<int64_t, store::PersonRecord> persons;
  if (!added.empty()) {
    FACET_RETURN_IF_ERROR(feed_->Read([&](store::StoreTxn& raw) -> Status {
      return WithRowChecks(raw, *impl_.rows, [&](store::StoreTxn& txn) -> Status {
        auto rows = txn.GetFaces(added);
        if (!rows.ok()) return rows.status();
        faces = std::move(rows).value();
        for (const store::FaceRecord& f : faces) {
          if (persons.count(f.person_id) != 0) continue;
          auto person = txn.GetPerson(f.person_id);
          if (!person.ok()) return person.status();
          if (*person) persons[f.person_id] = **person;
        }
        return Status::Ok();
      });
    }));
  }
  const std::vector<int64_t> deleted = Ids(payload, "dg");
  for (int64_t gallery_id : Ids(payload, "g")) {
    if (std::find(deleted.begin(), deleted.end(), gallery_id) != deleted.end()) continue;
    std::shared_ptr<GalleryState> state = impl_.StateById(gallery_id);
    if (!state) {
      // A gallery created since the build: held (and indexed) now, so that its first search
      // needs no round trip. Read at a snapshot at or after this change: complete.
      FACET_RETURN_IF_ERROR(HoldNewGallery(gallery_id));
      continue;
    }
    std::unique_lock lock(state->mutex);
    if (!state->loaded) continue;
    std::vector<int64_t> gone;
    for (int64_t face : removed) {
      if (state->face_person.erase(face) != 0) gone.push_back(face);
      state->damaged_faces.erase(face);
    }
    if (!gone.empty()) {
      state->index->Remove(gone);
      impl_.DropSnapshotLocked(*state);
    }
    // Fail closed: a shredded person is never named again until a change adds a face of theirs.
    for (int64_t person : shredded) {
      state->person_ids.erase(person);
      state->person_uids.erase(person);
    }
    std::vector<store::FaceRecord> mine;
    for (const store::FaceRecord& f : faces) {
      if (f.gallery_id == gallery_id) mine.push_back(f);
    }
    FACET_RETURN_IF_ERROR(impl_.AddFaceRowsLocked(*state, mine, persons));
    state->next_purge_ms.store(0);  // consents may have changed
    state->snapshot_dirty = true;
  }
  return Status::Ok();
}

Status ChangeFollower::HoldNewGallery(int64_t gallery_id) {
  std::optional<store::GalleryRecord> record;
  FACET_RETURN_IF_ERROR(feed_->Read([&](store::StoreTxn& raw) -> Status {
    return WithRowChecks(raw, *impl_.rows, [&](store::StoreTxn& txn) -> Status {
      auto listed = txn.ListGalleries();
      if (!listed.ok()) return listed.status();
      for (store::GalleryRecord& g : listed.value()) {
        if (g.id == gallery_id) record = std::move(g);
      }
      return Status::Ok();
    });
  }));
  if (!record) return Status::Ok();  // deleted since: a later change says so
  auto state = impl_.State(record->name);
  if (!state.ok())
    return state.status().code() == StatusCode::kNotFound ? Status::Ok() : state.status();
  std::unique_lock lock((*state)->mutex);
  Status built = impl_.EnsureIndexLocked(**state);
  return built.code() == StatusCode::kNotFound ? Status::Ok() : built;
}

std::optional<ChangeFollower::Clock::time_point> ChangeFollower::LeaseStart() const {
  const int64_t ns = lease_start_ns_.load();
  if (ns == 0) return std::nullopt;
  return FromNs(ns);
}

bool ChangeFollower::WithinLease(Clock::time_point proof) const {
  return Clock::now() < proof + std::chrono::milliseconds(options_.max_staleness_ms);
}

Status ChangeFollower::StaleError() const {
  const std::optional<Clock::time_point> start = LeaseStart();
  std::string age = "no proof yet";
  if (start) {
    age =
        "last proof " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *start).count()) +
        " ms ago";
  }
  return Status::FailedPrecondition(std::string(kNodeStaleMarker) + " (" + age + ", limit " +
                                    std::to_string(options_.max_staleness_ms) +
                                    " ms): retry, another node may answer");
}

Status ChangeFollower::CheckFresh() const {
  const std::optional<Clock::time_point> start = LeaseStart();
  if (start && WithinLease(*start)) return Status::Ok();
  return StaleError();
}

Status ChangeFollower::WaitFor(int64_t change, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  const bool applied =
      changed_.wait_for(lock, timeout, [&] { return stop_ || applied_.load() >= change; });
  if (applied && applied_.load() >= change) return Status::Ok();
  return Status::FailedPrecondition(std::string(kNodeStaleMarker) + " (change " +
                                    std::to_string(change) + " not applied within " +
                                    std::to_string(timeout.count()) + " ms; applied " +
                                    std::to_string(applied_.load()) + ")");
}

FollowStatus ChangeFollower::GetStatus() const {
  FollowStatus out;
  out.following = true;
  out.applied_change = applied_.load();
  const std::optional<Clock::time_point> start = LeaseStart();
  out.fresh = start && WithinLease(*start);
  if (start) {
    out.lease_age_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *start).count();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  out.rebuilds = rebuilds_;
  out.problem = problem_;
  return out;
}

void ChangeFollower::SetProblem(const std::string& problem) {
  std::lock_guard<std::mutex> lock(mutex_);
  problem_ = problem;
}

void ChangeFollowerDeleter::operator()(ChangeFollower* follower) const { delete follower; }

}  // namespace gallery

bool IsNodeStale(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition &&
         status.message().find(kNodeStaleMarker) != std::string::npos;
}

std::shared_ptr<gallery::GalleryState> Galleries::Impl::StateById(int64_t id) {
  std::lock_guard<std::mutex> lock(states_mutex);
  for (const auto& [name, state] : states) {
    if (state->record.id == id) return state;
  }
  return nullptr;
}

Status Galleries::Impl::CheckFreshNow() const {
  const gallery::ChangeFollower* f = follower.load();
  return f == nullptr ? Status::Ok() : f->CheckFresh();
}

Status Galleries::FollowChanges(const FollowOptions& options) {
  if (impl_->follower.load() != nullptr) {
    return Status::FailedPrecondition("this node already follows the change log");
  }
  if (options.max_staleness_ms < 1 || options.poll_ms < 1 ||
      options.poll_ms >= options.max_staleness_ms || options.statement_timeout_ms < 1) {
    return Status::InvalidArgument(
        "following the change log needs 0 < poll_ms < max_staleness_ms and a statement timeout");
  }
  if (!options.snapshot_dir.empty() && options.snapshot_interval_s < 1) {
    return Status::InvalidArgument("the index snapshot interval must be at least 1 s");
  }
  auto feed = impl_->store->OpenChangeFeed(options.statement_timeout_ms);
  if (!feed.ok()) return feed.status();
  auto follower =
      std::make_unique<gallery::ChangeFollower>(*impl_, options, std::move(feed).value());
  FACET_RETURN_IF_ERROR(follower->Start());
  impl_->follower.store(follower.get());
  impl_->follower_owner.reset(follower.release());
  return Status::Ok();
}

Result<GalleryInfo> Galleries::GetGallerySettings(const std::string& gallery_name) {
  if (impl_->follower.load() == nullptr) return GetGallery(gallery_name);
  auto state = impl_->State(gallery_name);  // held, or one indexed read
  if (!state.ok()) return state.status();
  return gallery::GallerySettingsOf((*state)->record);  // fixed at creation
}

FollowStatus Galleries::GetFollowStatus() const {
  const gallery::ChangeFollower* f = impl_->follower.load();
  return f == nullptr ? FollowStatus{} : f->GetStatus();
}

Status Galleries::CheckFresh() const { return impl_->CheckFreshNow(); }

Status Galleries::WaitForChange(int64_t change, std::chrono::milliseconds timeout) {
  gallery::ChangeFollower* f = impl_->follower.load();
  return f == nullptr ? Status::Ok() : f->WaitFor(change, timeout);
}

int64_t Galleries::LastCommittedChange() const { return impl_->store->LastKnownChange(); }

}  // namespace facet
