// A service node on a database store keeps its in-memory indexes current by following the
// store's change log, and holds a lease that bounds how stale its answers can be
// (docs/cluster.md, "What each node does").
//
// The log (store::ChangeFeed) is gapless, in commit order and hash-chained. The follower reads
// its head on the primary at least every poll_ms (and at once when the database notifies a
// commit), applies each change after the last one it applied, in order, recomputing each row's
// hash and checking it links to the one before, and rebuilds every index from the store after a
// gap, a mismatch or a head behind or unlike what it applied (a diverged history). A read of the
// head sent at t, with every change up to it applied, proves the node current at t: answers may
// be given until t + max_staleness_ms, then searches are refused until a new proof.
//
// Ownership: owned by Galleries::Impl, which it uses (states, store) and must outlive it.
// Thread-safety: Start once; then every other method may be called from any thread (one thread
// of its own applies changes; the destructor stops and joins it).
#ifndef FACET_SRC_GALLERY_CHANGE_FOLLOWER_H_
#define FACET_SRC_GALLERY_CHANGE_FOLLOWER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "facet/gallery.h"
#include "store/template_store.h"

namespace facet::gallery {

struct GalleryState;

class ChangeFollower {
 public:
  using Clock = std::chrono::steady_clock;

  ChangeFollower(Galleries::Impl& impl, const FollowOptions& options,
                 std::unique_ptr<store::ChangeFeed> feed);
  ~ChangeFollower();
  ChangeFollower(const ChangeFollower&) = delete;
  ChangeFollower& operator=(const ChangeFollower&) = delete;

  // Builds every index, proves it current, then starts the thread.
  Status Start();

  // When the read behind the current lease was sent; unset when there is no lease.
  std::optional<Clock::time_point> LeaseStart() const;
  // True when an answer computed from the state proven at `proof` may still be given now.
  bool WithinLease(Clock::time_point proof) const;
  // OK within the lease; kFailedPrecondition with kNodeStaleMarker otherwise.
  Status CheckFresh() const;
  Status WaitFor(int64_t change, std::chrono::milliseconds timeout);
  FollowStatus GetStatus() const;
  // Writes the snapshot of every HNSW gallery that changed since its last one (when
  // FollowOptions::snapshot_dir is set and the node holds a lease: a rebuilding node writes none),
  // after removing those of galleries deleted since the last call. With `compact`, a graph with
  // many removed nodes is written as a graph built anew without them
  // (FollowOptions::snapshot_compact_removed_share; the snapshot thread's writes, not Flush's).
  Status WriteSnapshots(bool compact = false);

 private:
  void Run();
  // One round: read the head, apply what is new, renew the lease (or rebuild).
  void Tick();
  // Rebuilds every index from the store, from a head read first; applied_ = that head.
  Status Build();
  // Applies the changes after applied_ up to `head`; kCorruptData for a gap, a hash mismatch or
  // a diverged history (the caller rebuilds), another error when the database did not answer.
  Status CatchUp(const store::ChangeHead& head);
  Status Apply(const store::ChangeRecord& change);
  // Holds and indexes a gallery created after the build (found by its row id).
  Status HoldNewGallery(int64_t gallery_id);
  // At the first build: loads the gallery's snapshot if its change is in the log with its hash
  // (`head` read before); says what it did through options_.log. Caller holds state.mutex.
  void LoadSnapshot(GalleryState& state, const store::ChangeHead& head);
  void SnapshotLoop();
  // Hands the snapshot thread galleries whose snapshots it must remove (and wakes it).
  void QueueSnapshotRemoval(const std::vector<int64_t>& gallery_ids);
  // Removes the snapshots of the galleries in deleted_galleries_, saying so (or why not) through
  // Log. Caller holds snapshot_write_mutex_ (so a write of one in progress has ended), not mutex_.
  void RemoveDeletedGallerySnapshots();
  void Log(const std::string& line) const;
  void SetProblem(const std::string& problem);
  Status StaleError() const;

  Galleries::Impl& impl_;
  const FollowOptions options_;
  std::unique_ptr<store::ChangeFeed> feed_;  // used by Start, then only by the thread

  // Clock::time_point of the lease's proof as nanoseconds since the clock's epoch; 0: none.
  std::atomic<int64_t> lease_start_ns_{0};
  std::atomic<int64_t> applied_{0};
  std::vector<uint8_t> applied_hash_;  // thread only (Start before it)
  bool must_rebuild_ = false;          // thread only
  bool first_build_ = true;            // snapshots are read at the first build only

  std::mutex snapshot_write_mutex_;  // one snapshot writer at a time (the loop or Flush)

  mutable std::mutex mutex_;         // guards the fields below
  std::condition_variable changed_;  // applied_ moved, stop_, or deleted_galleries_ grew
  bool stop_ = false;
  std::string problem_;
  int64_t rebuilds_ = 0;
  std::vector<uint8_t> applied_hash_copy_;  // applied_hash_, for the snapshot writer
  // Galleries whose snapshots are removed by the next snapshot write (the loop's, woken for it,
  // or Flush's).
  std::vector<int64_t> deleted_galleries_;
  std::thread thread_;
  std::thread snapshot_thread_;
};

}  // namespace facet::gallery

#endif  // FACET_SRC_GALLERY_CHANGE_FOLLOWER_H_
