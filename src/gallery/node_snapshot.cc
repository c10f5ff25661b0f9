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

bool Galleries::Impl::RemoveNodeSnapshot(const std::string& dir, int64_t gallery_id) {
  std::error_code ec;
  return std::filesystem::remove(NodeSnapshotPath(dir, gallery_id), ec);
}

std::vector<int64_t> Galleries::Impl::RemoveOrphanNodeSnapshots(
    const std::string& dir, const std::set<int64_t>& galleries) {
  std::vector<int64_t> removed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::optional<int64_t> id = GalleryOfSnapshotFile(entry.path().filename().string());
    if (!id || galleries.count(*id) != 0 || !entry.is_regular_file(ec)) continue;
    if (RemoveNodeSnapshot(dir, *id)) removed.push_back(*id);
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

Status Galleries::Impl::WriteNodeSnapshot(GalleryState& state, const std::string& dir,
                                          int64_t change, const std::vector<uint8_t>& change_hash,
                                          double* locked_s) {
  // The plaintext: u64 change | string change hash | the graph (no vector, no template).
  std::vector<uint8_t> plain;
  index::ByteWriter w(&plain);
  w.Put<uint64_t>(static_cast<uint64_t>(change));
  w.PutString(std::string(change_hash.begin(), change_hash.end()));
  {
    // The copy below holds the read lock, so a change waits for it. Copying 280 MB (1 M faces)
    // into pages the kernel must first map takes ~12x as long as into pages already there
    // (0.30 s against 0.024 s), so the buffer is sized and its pages touched before the lock;
    // 1/16 more leaves room for faces enrolled meanwhile.
    size_t graph_bytes = 0;
    {
      std::shared_lock lock(state.mutex);
      if (state.index != nullptr) graph_bytes = state.index->SerializedGraphBytes();
    }
    const size_t header_bytes = plain.size();
    plain.resize(header_bytes + graph_bytes + graph_bytes / 16);
    plain.resize(header_bytes);
  }
  index::IndexKind kind{};
  int dimensions = 0;
  {
    const auto start = std::chrono::steady_clock::now();
    std::shared_lock lock(state.mutex);
    if (!state.loaded || state.index == nullptr || state.index->kind() != index::IndexKind::kHnsw) {
      return Status::Ok();
    }
    if (!state.snapshot_dirty.exchange(false)) return Status::Ok();
    kind = state.index->kind();
    dimensions = state.index->dimensions();
    Status copied = state.index->SerializeGraph(&plain);
    if (!copied.ok()) {
      state.snapshot_dirty = true;
      return copied;
    }
    if (locked_s != nullptr) {
      *locked_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  auto fail = [&](const Status& status) {
    state.snapshot_dirty = true;  // tried again at the next write
    return status;
  };
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
  const Status written =
      index::WriteSnapshotFile(NodeSnapshotPath(dir, state.record), header, sealed.value());
  return written.ok() ? written : fail(written);
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
