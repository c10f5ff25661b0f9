// A following node's index snapshots (docs/cluster.md, "Index snapshots of a node"): the
// snapshot thread's loop, writing them, loading them at the first build, and removing those of
// deleted galleries. The rest of the follower is in change_follower.cc.
#include <chrono>
#include <cstdio>
#include <shared_mutex>
#include <string>

#include "gallery/change_follower.h"
#include "gallery/gallery_internal.h"

namespace facet::gallery {

void ChangeFollower::SnapshotLoop() {
  // First the galleries just built (a loaded snapshot with nothing added is not rewritten), then
  // every interval those that changed.
  while (true) {
    const auto started = Clock::now();
    const Status written = WriteSnapshots(/*compact=*/true);
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

void ChangeFollower::QueueSnapshotRemoval(const std::vector<int64_t>& gallery_ids) {
  if (options_.snapshot_dir.empty() || gallery_ids.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  deleted_galleries_.insert(deleted_galleries_.end(), gallery_ids.begin(), gallery_ids.end());
  changed_.notify_all();
}

void ChangeFollower::RemoveDeletedGallerySnapshots() {
  std::vector<int64_t> deleted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    deleted.swap(deleted_galleries_);
  }
  for (const int64_t id : deleted) {
    auto removed = Galleries::Impl::RemoveNodeSnapshot(options_.snapshot_dir, id);
    if (!removed.ok()) {
      Log("gallery " + std::to_string(id) + " was deleted, but its index snapshot was not " +
          "removed: " + removed.status().message());
    } else if (removed.value()) {
      Log("gallery " + std::to_string(id) + " was deleted: its index snapshot removed");
    }
  }
}

Status ChangeFollower::WriteSnapshots(bool compact) {
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
    NodeSnapshotWrite write;
    SnapshotCompaction compaction;
    compaction.removed_share = options_.snapshot_compact_removed_share;
    compaction.stop = [this] {
      std::lock_guard<std::mutex> lock(mutex_);
      return stop_;
    };
    const Status written = impl_.WriteNodeSnapshot(*state, options_.snapshot_dir, change, hash,
                                                   compact ? &compaction : nullptr, &write);
    if (!written.ok()) {
      if (first.ok()) {
        first =
            Status(written.code(), "gallery '" + state->record.name + "': " + written.message());
      }
      continue;
    }
    if (write.locked_s < 0) continue;
    size_t faces = 0;
    {
      std::shared_lock lock(state->mutex);
      if (state->index) faces = state->index->size();
    }
    const std::string copied =
        write.removed_left_out > 0
            ? "a graph built anew without its " + std::to_string(write.removed_left_out) +
                  " removed nodes; the live vectors copied"
            : "the graph copied";
    char line[400];
    std::snprintf(line, sizeof line,
                  "gallery '%s': index snapshot at change %lld written in %.2f s (%zu faces; %s "
                  "in %.2f s under the gallery's read lock)",
                  state->record.name.c_str(), static_cast<long long>(change),
                  std::chrono::duration<double>(Clock::now() - start).count(), faces,
                  copied.c_str(), write.locked_s);
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

}  // namespace facet::gallery
