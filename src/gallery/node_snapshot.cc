// Galleries: a following node's index snapshots (docs/cluster.md, "Index snapshots of a node"):
// the HNSW graph only, no template, sealed with the snapshot key and checked against the change
// log when read; the vectors come from the store when one is loaded.
#include <sys/stat.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"
#include "gallery/template_opener.h"
#include "index/bytes.h"
#include "index/snapshot.h"

namespace facet {

using gallery::GalleryState;

namespace {

std::string NodeSnapshotLabel(const std::string& store_uid, const store::GalleryRecord& g) {
  return "facet.node-index.v1|" + store_uid + "|" + std::to_string(g.id) + "|" + g.model + "|" +
         g.model_version;
}

constexpr std::string_view kFilePrefix = "gallery-";
constexpr std::string_view kFileSuffix = ".node.fidx";

std::filesystem::path NodeSnapshotPath(const std::string& dir, int64_t gallery_id) {
  return std::filesystem::path(dir) /
         (std::string(kFilePrefix) + std::to_string(gallery_id) + std::string(kFileSuffix));
}

std::string NodeSnapshotPath(const std::string& dir, const store::GalleryRecord& g) {
  return NodeSnapshotPath(dir, g.id).string();
}

// The gallery id of a file named as NodeSnapshotPath names them, or nothing.
std::optional<int64_t> GalleryOfSnapshotFile(const std::string& name) {
  if (!name.starts_with(kFilePrefix) || !name.ends_with(kFileSuffix)) return std::nullopt;
  const std::string_view digits = std::string_view(name).substr(
      kFilePrefix.size(), name.size() - kFilePrefix.size() - kFileSuffix.size());
  int64_t id = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      digits.front() == '-' || std::to_string(id) != digits) {
    return std::nullopt;
  }
  return id;
}

}  // namespace

Result<bool> Galleries::Impl::RemoveNodeSnapshot(const std::string& dir, int64_t gallery_id) {
  std::error_code ec;
  const std::filesystem::path path = NodeSnapshotPath(dir, gallery_id);
  const bool removed = std::filesystem::remove(path, ec);
  if (ec) return Status::Internal("cannot remove " + path.string() + ": " + ec.message());
  return removed;
}

Result<std::vector<int64_t>> Galleries::Impl::NodeSnapshotGalleries(const std::string& dir) {
  std::vector<int64_t> ids;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return ids;
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::optional<int64_t> id = GalleryOfSnapshotFile(it->path().filename().string());
    std::error_code type_ec;
    if (id && it->is_regular_file(type_ec)) ids.push_back(*id);
  }
  if (ec) return Status::Internal("cannot list " + dir + ": " + ec.message());
  std::sort(ids.begin(), ids.end());
  return ids;
}

namespace {

// Whether a graph with `removed` dead nodes besides `live` ones is to be built anew.
bool WantsCompaction(const gallery::SnapshotCompaction* compaction, size_t live, size_t removed) {
  return compaction != nullptr && removed > 0 &&
         static_cast<double>(removed) >=
             compaction->removed_share * static_cast<double>(live + removed);
}

// A graph of the live vectors alone (`ids`, `vectors`), serialised into `plain`;
// kFailedPrecondition when `compaction.stop` says so between batches.
Status SerializeCompactedGraph(const std::vector<int64_t>& ids, const std::vector<float>& vectors,
                               int dimensions, const index::HnswOptions& options,
                               const gallery::SnapshotCompaction& compaction,
                               std::vector<uint8_t>* plain) {
  auto built = index::NewHnswIndex(dimensions, options);
  if (!built.ok()) return built.status();
  const auto dims = static_cast<size_t>(dimensions);
  for (size_t first = 0; first < ids.size(); first += gallery::kIndexAddBatch) {
    if (compaction.stop && compaction.stop()) {
      return Status::FailedPrecondition("stopping: the compacted graph was abandoned");
    }
    const size_t n = std::min(gallery::kIndexAddBatch, ids.size() - first);
    FACET_RETURN_IF_ERROR((*built)->Add(std::span<const int64_t>(ids).subspan(first, n),
                                        std::span<const float>(vectors).subspan(first * dims,
                                                                                n * dims)));
  }
  return (*built)->SerializeGraph(plain);
}

}  // namespace

Status Galleries::Impl::WriteNodeSnapshot(GalleryState& state, const std::string& dir,
                                          int64_t change, const std::vector<uint8_t>& change_hash,
                                          const gallery::SnapshotCompaction* compaction,
                                          gallery::NodeSnapshotWrite* written) {
  // The plaintext: u64 change | string change hash | the graph (no vector, no template).
  std::vector<uint8_t> plain;
  std::vector<int64_t> live_ids;
  std::vector<float> live_vectors;
  index::ByteWriter w(&plain);
  w.Put<uint64_t>(static_cast<uint64_t>(change));
  w.PutString(std::string(change_hash.begin(), change_hash.end()));
  // Caller holds state.mutex (shared).
  const auto holds_graph = [&] {
    return state.loaded && state.index != nullptr &&
           state.index->kind() == index::IndexKind::kHnsw;
  };
  {
    // The copy below holds the read lock, so a change waits for it. Copying 280 MB (1 M faces)
    // into pages the kernel must first map takes ~12x as long as into pages already there
    // (0.30 s against 0.024 s), so the buffer the copy fills (the graph's, or the live vectors'
    // for a graph built anew) is sized and its pages touched before the lock; 1/16 more leaves
    // room for faces enrolled meanwhile.
    size_t graph_bytes = 0;
    size_t live = 0;
    size_t removed = 0;
    {
      std::shared_lock lock(state.mutex);
      // Nothing to write (checked again below, under the copy's lock).
      if (!holds_graph() || !state.snapshot_dirty.load()) return Status::Ok();
      graph_bytes = state.index->SerializedGraphBytes();
      live = state.index->size();
      removed = state.index->removed_count();
    }
    if (WantsCompaction(compaction, live, removed)) {
      live += live / 16;
      live_ids.resize(live);
      live_ids.clear();
      live_vectors.resize(live * static_cast<size_t>(state.record.dimensions));
      live_vectors.clear();
    } else {
      const size_t header_bytes = plain.size();
      plain.resize(header_bytes + graph_bytes + graph_bytes / 16);
      plain.resize(header_bytes);
    }
  }
  index::IndexKind kind{};
  int dimensions = 0;
  int64_t removed_left_out = 0;
  {
    const auto start = std::chrono::steady_clock::now();
    std::shared_lock lock(state.mutex);
    if (!holds_graph() || !state.snapshot_dirty.exchange(false)) return Status::Ok();
    kind = state.index->kind();
    dimensions = state.index->dimensions();
    const bool compact =
        WantsCompaction(compaction, state.index->size(), state.index->removed_count());
    if (compact) removed_left_out = static_cast<int64_t>(state.index->removed_count());
    Status copied = compact ? state.index->CopyLive(&live_ids, &live_vectors)
                            : state.index->SerializeGraph(&plain);
    if (!copied.ok()) {
      state.snapshot_dirty = true;
      return copied;
    }
    if (written != nullptr) {
      written->locked_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  auto fail = [&](const Status& status) {
    state.snapshot_dirty = true;  // tried again at the next write
    if (written != nullptr) written->locked_s = -1;
    return status;
  };
  if (removed_left_out > 0) {
    const Status serialised =
        SerializeCompactedGraph(live_ids, live_vectors, dimensions,
                                gallery::HnswOptionsOf(options.index), *compaction, &plain);
    live_ids = {};
    live_vectors = {};
    if (!serialised.ok()) return fail(serialised);
    if (written != nullptr) written->removed_left_out = removed_left_out;
  }
  const std::string label = NodeSnapshotLabel(store_uid, state.record);
  auto sealed = crypto::Seal(snapshot_key, plain, label + "|" + std::to_string(change));
  plain = {};
  if (!sealed.ok()) return fail(sealed.status());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  index::SnapshotHeader header;
  header.kind = kind;
  header.dimensions = dimensions;
  header.flags = index::kSnapshotSealed | index::kSnapshotGraphOnly;
  header.generation = static_cast<uint64_t>(change);
  header.label = label;
  const Status stored =
      index::WriteSnapshotFile(NodeSnapshotPath(dir, state.record), header, sealed.value());
  return stored.ok() ? stored : fail(stored);
}

Result<gallery::NodeSnapshot> Galleries::Impl::ReadNodeSnapshot(const store::GalleryRecord& g,
                                                                const std::string& dir) const {
  auto file = index::ReadSnapshotFile(NodeSnapshotPath(dir, g));
  if (!file.ok()) return file.status();
  const std::string label = NodeSnapshotLabel(store_uid, g);
  const index::SnapshotHeader& h = file->header;
  if (h.flags != (index::kSnapshotSealed | index::kSnapshotGraphOnly) ||
      h.kind != index::IndexKind::kHnsw) {
    return Status::CorruptData("not a node's snapshot of an HNSW graph");
  }
  if (h.label != label || h.dimensions != g.dimensions) {
    return Status::CorruptData("the snapshot is of another store, gallery or model");
  }
  const auto change = static_cast<int64_t>(h.generation);
  auto plain = crypto::Open(snapshot_key, file->payload, label + "|" + std::to_string(change));
  file->payload = {};
  if (!plain.ok()) {
    return Status::CorruptData("the snapshot does not open with this store's master key");
  }
  index::ByteReader r(plain.value());
  uint64_t sealed_change = 0;
  std::string hash;
  if (!r.Get(&sealed_change) || !r.GetString(&hash, 64) ||
      sealed_change != static_cast<uint64_t>(change) || change < 1 || hash.size() != 32) {
    return Status::CorruptData("the snapshot's change mark is malformed");
  }
  gallery::NodeSnapshot out;
  out.change = change;
  out.change_hash.assign(hash.begin(), hash.end());
  const std::span<const uint8_t> rest = r.Rest();
  const size_t offset = plain->size() - rest.size();
  plain->erase(plain->begin(), plain->begin() + static_cast<std::ptrdiff_t>(offset));
  out.graph = std::move(plain).value();
  return out;
}

Status Galleries::Impl::LoadNodeSnapshotLocked(GalleryState& state,
                                               const gallery::NodeSnapshot& snapshot,
                                               gallery::NodeSnapshotLoad* load) {
  state.Unload();
  std::vector<int64_t> extra_ids;
  std::vector<float> extra;
  int64_t unfilled = 0;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  Clock::time_point scanned = start;
  const Status read = store->Read([&](store::StoreTxn& txn) -> Status {
    auto g = txn.GetGeneration(state.record.id);
    if (!g.ok()) return g.status();
    state.generation = g.value();
    gallery::TemplateOpener opener(*this, state.record);
    FACET_RETURN_IF_ERROR(opener.AddPersonsOf(txn, state));
    // The vectors come from the store, decrypted with each person's key, as when building.
    auto restored = index::RestoreHnswGraph(
        state.record.dimensions, snapshot.graph, gallery::HnswOptionsOf(options.index),
        [&](const index::PutVectorFn& put) -> Status {
          Status scan = txn.ScanFaces(state.record.id, [&](const store::FaceRecord& f) -> Status {
            auto values = opener.Open(f);
            if (!values.ok()) {
              if (values.status().code() != StatusCode::kStoreCorrupt) return values.status();
              state.damaged_faces[f.id] = values.status().message();  // left out, as in a build
              return Status::Ok();
            }
            state.face_person[f.id] = f.person_id;
            if (!put(f.id, values.value())) {  // enrolled after the snapshot
              extra_ids.push_back(f.id);
              extra.insert(extra.end(), values->begin(), values->end());
            }
            return Status::Ok();
          });
          scanned = Clock::now();
          return scan;
        },
        &unfilled);
    if (!restored.ok()) return restored.status();
    state.index = std::move(restored).value();
    return Status::Ok();
  });
  auto fail = [&](const Status& status) {
    state.Unload();
    return status;
  };
  if (!read.ok()) return fail(read);
  for (size_t first = 0; first < extra_ids.size(); first += gallery::kIndexAddBatch) {
    const size_t n = std::min(gallery::kIndexAddBatch, extra_ids.size() - first);
    const Status added = state.index->Add(
        std::span<const int64_t>(extra_ids).subspan(first, n),
        std::span<const float>(extra).subspan(first * static_cast<size_t>(state.record.dimensions),
                                              n * static_cast<size_t>(state.record.dimensions)));
    if (!added.ok()) return fail(added);
  }
  if (load != nullptr) {
    load->scan_s = std::chrono::duration<double>(scanned - start).count();
    load->finish_s = std::chrono::duration<double>(Clock::now() - scanned).count();
    load->faces = static_cast<int64_t>(state.index->size());
    load->added = static_cast<int64_t>(extra_ids.size());
    load->removed = unfilled;
  }
  state.loaded = true;
  // Rewritten at the next write if it changed (faces inserted, removed nodes' ids to drop).
  state.snapshot_dirty = !extra_ids.empty() || unfilled > 0;
  state.next_purge_ms.store(0);
  return Status::Ok();
}

}  // namespace facet
