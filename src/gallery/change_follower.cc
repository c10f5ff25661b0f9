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
  if (!options_.snapshot_dir.empty()) {
    // Snapshots of galleries deleted while this node was stopped, or during a gap in the log.
    auto on_disk = Galleries::Impl::NodeSnapshotGalleries(options_.snapshot_dir);
    if (!on_disk.ok()) {
      Log("index snapshots not listed: " + on_disk.status().message());
    } else {
      std::set<int64_t> listed;
      for (const store::GalleryRecord& g : galleries) listed.insert(g.id);
      std::vector<int64_t> deleted;
      for (const int64_t id : on_disk.value()) {
        if (listed.count(id) == 0) deleted.push_back(id);
      }
      QueueSnapshotRemoval(deleted);
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
    if (std::shared_ptr<GalleryState> state = impl_.StateById(gallery_id)) {
      std::unique_lock lock(state->mutex);
      state->loaded = false;  // searches holding it answer "deleted"
      lock.unlock();
      std::lock_guard<std::mutex> states_lock(impl_.states_mutex);
      auto it = impl_.states.find(state->record.name);
      if (it != impl_.states.end() && it->second == state) impl_.states.erase(it);
    }
    // Its snapshot is removed by the snapshot thread. Queued only now: a write that starts
    // later sees the gallery unloaded, and one under way ends before the removal (both hold
    // snapshot_write_mutex_).
    QueueSnapshotRemoval({gallery_id});
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
  if (!(options.snapshot_compact_removed_share > 0)) {  // NaN too
    return Status::InvalidArgument("the removed share that compacts a snapshot must be above 0");
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
