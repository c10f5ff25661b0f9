// Galleries: the in-memory search index of each gallery — built from the store, loaded from an
// encrypted snapshot, kept in step with other processes' changes — and its snapshots beside the
// SQLite store (a following node's own snapshots: node_snapshot.cc).
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <unordered_set>

#include "gallery/change_follower.h"
#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"
#include "gallery/template_opener.h"
#include "index/bytes.h"
#include "index/snapshot.h"

namespace facet {

using gallery::GalleryState;

namespace {

index::IndexKind KindFor(int64_t faces, const IndexPolicy& policy) {
  if (faces >= policy.hnsw_min_faces) return index::IndexKind::kHnsw;
  if (faces >= policy.int8_min_faces) return index::IndexKind::kExactInt8;
  return index::IndexKind::kExactF32;
}

Result<std::unique_ptr<index::VectorIndex>> NewIndex(index::IndexKind kind, int dimensions,
                                                     const IndexPolicy& policy) {
  if (kind == index::IndexKind::kHnsw) return index::NewHnswIndex(dimensions, gallery::HnswOptionsOf(policy));
  return index::NewExactIndex(dimensions, kind);
}

std::string SnapshotLabel(const std::string& store_uid, const store::GalleryRecord& g) {
  return "facet.index.v1|" + store_uid + "|" + std::to_string(g.id) + "|" + g.model + "|" +
         g.model_version;
}

// Adds the faces whose ids are in `wanted` (all when null) to the state's index.
Status AddFaces(const Galleries::Impl& impl, store::StoreTxn& txn, GalleryState& state,
                const std::unordered_set<int64_t>* wanted) {
  gallery::TemplateOpener opener(impl, state.record);
  FACET_RETURN_IF_ERROR(opener.AddPersonsOf(txn, state));
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  auto flush = [&]() -> Status {
    FACET_RETURN_IF_ERROR(state.index->Add(ids, vectors));
    ids.clear();
    vectors.clear();
    return Status::Ok();
  };
  FACET_RETURN_IF_ERROR(txn.ScanFaces(state.record.id, [&](const store::FaceRecord& f) -> Status {
    if (wanted != nullptr && wanted->count(f.id) == 0) return Status::Ok();
    auto values = opener.Open(f);
    if (!values.ok()) {
      if (values.status().code() != StatusCode::kStoreCorrupt) return values.status();
      // One damaged row must not take the gallery down: the face is left out (its person cannot
      // be identified by it: fail closed) and every search reports it.
      state.damaged_faces[f.id] = values.status().message();
      return Status::Ok();
    }
    ids.push_back(f.id);
    vectors.insert(vectors.end(), values->begin(), values->end());
    state.face_person[f.id] = f.person_id;
    if (ids.size() >= gallery::kIndexAddBatch) return flush();
    return Status::Ok();
  }));
  return flush();
}

}  // namespace

std::string Galleries::Impl::SnapshotPath(const GalleryState& state) const {
  const std::string dir =
      options.index.snapshot_dir.empty() ? store_path + ".index" : options.index.snapshot_dir;
  return (std::filesystem::path(dir) / ("gallery-" + std::to_string(state.record.id) + ".fidx"))
      .string();
}

void Galleries::Impl::DropSnapshotLocked(GalleryState& state) {
  // A node's snapshot holds no template (the graph only): it is rewritten, not deleted.
  if (!database_store) {
    std::error_code ec;
    std::filesystem::remove(SnapshotPath(state), ec);
  }
  state.snapshot_dirty = true;
}

Status Galleries::Impl::SaveSnapshotLocked(GalleryState& state) {
  // A damaged gallery is not cached: the next process checks its rows again.
  if (!state.loaded || !state.snapshot_dirty || !state.damaged_faces.empty() ||
      static_cast<int64_t>(state.index->size()) < options.index.snapshot_min_faces) {
    return Status::Ok();
  }
  std::vector<uint8_t> plain;
  std::vector<uint8_t> index_bytes;
  FACET_RETURN_IF_ERROR(state.index->Serialize(&index_bytes));
  index::ByteWriter w(&plain);
  w.Put<uint64_t>(index_bytes.size());
  w.PutArray<uint8_t>(index_bytes);
  index_bytes = {};
  w.Put<uint64_t>(state.face_person.size());
  for (const auto& [face, person] : state.face_person) {
    w.Put<int64_t>(face);
    w.Put<int64_t>(person);
  }
  const std::string label = SnapshotLabel(store_uid, state.record);
  auto sealed = crypto::Seal(snapshot_key, plain, label);
  std::fill(plain.begin(), plain.end(), uint8_t{0});
  if (!sealed.ok()) return sealed.status();
  const std::string path = SnapshotPath(state);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  ::chmod(std::filesystem::path(path).parent_path().c_str(), 0700);
  index::SnapshotHeader header;
  header.kind = state.index->kind();
  header.dimensions = state.index->dimensions();
  header.flags = index::kSnapshotSealed;
  header.generation = static_cast<uint64_t>(state.generation);
  header.label = label;
  FACET_RETURN_IF_ERROR(index::WriteSnapshotFile(path, header, sealed.value()));
  state.snapshot_dirty = false;
  return Status::Ok();
}

namespace {

// Reads the snapshot into `state` when it is this gallery's and sound; false otherwise (the
// store is the source of truth: a missing, stale-format or damaged snapshot is rebuilt).
bool LoadSnapshot(const Galleries::Impl& impl, GalleryState& state, index::IndexKind wanted_kind) {
  auto snapshot = index::ReadSnapshotFile(impl.SnapshotPath(state));
  if (!snapshot.ok()) return false;
  const std::string label = SnapshotLabel(impl.store_uid, state.record);
  const index::SnapshotHeader& h = snapshot->header;
  if (h.label != label || h.flags != index::kSnapshotSealed || h.kind != wanted_kind ||
      h.dimensions != state.record.dimensions) {
    return false;
  }
  auto plain = crypto::Open(impl.snapshot_key, snapshot->payload, label);
  snapshot->payload = {};
  if (!plain.ok()) return false;
  index::ByteReader r(plain.value());
  uint64_t index_size = 0;
  if (!r.Get(&index_size) || index_size > r.Rest().size()) return false;
  auto loaded = index::DeserializeIndex(h.kind, h.dimensions, r.Rest().subspan(0, index_size),
                                        gallery::HnswOptionsOf(impl.options.index));
  r.Skip(index_size);
  uint64_t pairs = 0;
  if (!loaded.ok() || !r.Get(&pairs)) return false;
  std::unordered_map<int64_t, int64_t> face_person;
  face_person.reserve(pairs);
  for (uint64_t i = 0; i < pairs; ++i) {
    int64_t face = 0;
    int64_t person = 0;
    if (!r.Get(&face) || !r.Get(&person) || !(*loaded)->Contains(face)) return false;
    face_person[face] = person;
  }
  if (!r.AtEnd() || face_person.size() != (*loaded)->size()) return false;
  state.index = std::move(loaded).value();
  state.face_person = std::move(face_person);
  state.generation = static_cast<int64_t>(h.generation);
  state.loaded = true;
  state.snapshot_dirty = false;
  return true;
}

}  // namespace

Status Galleries::Impl::EnsureIndexLocked(GalleryState& state) {
  // A following node's change follower keeps every loaded index current (its lease says how
  // current): no round trip here.
  if (state.loaded && follower.load() != nullptr) return Status::Ok();
  // The common case costs one indexed read: nothing changed since the index was brought up to
  // date. (Counting the faces would scan the gallery: only done when building.)
  int64_t generation = 0;
  int64_t faces = 0;
  FACET_RETURN_IF_ERROR(store->Read([&](store::StoreTxn& txn) -> Status {
    auto g = txn.GetGeneration(state.record.id);
    if (!g.ok()) return Status::NotFound("gallery '" + state.record.name + "' was deleted");
    generation = g.value();
    if (state.loaded) return Status::Ok();
    auto count = txn.CountFaces(state.record.id);
    if (!count.ok()) return count.status();
    faces = count.value();
    return Status::Ok();
  }));
  if (state.loaded && state.generation == generation) return Status::Ok();
  // Another process changed the gallery (or nothing is loaded yet): its consents too.
  state.next_purge_ms.store(0);
  const index::IndexKind kind = KindFor(faces, options.index);
  if (!state.loaded) LoadSnapshot(*this, state, kind);
  if (!state.loaded) {
    // Build from the store.
    auto fresh = NewIndex(kind, state.record.dimensions, options.index);
    if (!fresh.ok()) return fresh.status();
    state.index = std::move(fresh).value();
    state.face_person.clear();
    state.damaged_faces.clear();
    FACET_RETURN_IF_ERROR(store->Read([&](store::StoreTxn& txn) -> Status {
      auto g = txn.GetGeneration(state.record.id);
      if (!g.ok()) return g.status();
      state.generation = g.value();
      return AddFaces(*this, txn, state, nullptr);
    }));
    state.loaded = true;
    state.snapshot_dirty = true;
  } else {
    // Bring the loaded index in step with the store: remove faces that are gone, add new ones.
    bool removed_any = false;
    FACET_RETURN_IF_ERROR(store->Read([&](store::StoreTxn& txn) -> Status {
      auto g = txn.GetGeneration(state.record.id);
      if (!g.ok()) return g.status();
      if (g.value() == state.generation) return Status::Ok();
      auto ids = txn.FaceIds(state.record.id);
      if (!ids.ok()) return ids.status();
      std::unordered_set<int64_t> live;
      std::unordered_set<int64_t> missing;
      for (const auto& [face, person] : ids.value()) {
        live.insert(face);
        if (!state.index->Contains(face)) missing.insert(face);
      }
      std::vector<int64_t> gone;
      for (const auto& [face, person] : state.face_person) {
        if (live.count(face) == 0) gone.push_back(face);
      }
      state.index->Remove(gone);
      for (int64_t face : gone) state.face_person.erase(face);
      removed_any = !gone.empty();
      state.person_ids.clear();
      state.person_uids.clear();
      // Damaged faces are not in the index, so they are in `missing`: checked again.
      state.damaged_faces.clear();
      FACET_RETURN_IF_ERROR(AddFaces(*this, txn, state, &missing));
      state.generation = g.value();
      state.snapshot_dirty = true;
      return Status::Ok();
    }));
    if (removed_any) DropSnapshotLocked(state);
  }
  if (state.person_ids.empty() && !state.face_person.empty()) {
    // Loaded from a snapshot: person ids come from the store.
    FACET_RETURN_IF_ERROR(store->Read([&](store::StoreTxn& txn) -> Status {
      auto persons = txn.ListPersons(state.record.id);
      if (!persons.ok()) return persons.status();
      for (const store::PersonRecord& p : persons.value()) {
        state.person_ids[p.id] = p.person_id;
        state.person_uids[p.id] = p.uid;
      }
      return Status::Ok();
    }));
  }
  return SaveSnapshotLocked(state);
}

Status Galleries::Impl::AddFaceRowsLocked(GalleryState& state,
                                          std::span<const store::FaceRecord> faces,
                                          const std::map<int64_t, store::PersonRecord>& persons) {
  gallery::TemplateOpener opener(*this, state.record);
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  for (const store::FaceRecord& f : faces) {
    auto person = persons.find(f.person_id);
    if (person == persons.end()) continue;  // erased since: its faces are gone too
    FACET_RETURN_IF_ERROR(opener.AddPerson(person->second));
    state.person_ids[person->first] = person->second.person_id;
    state.person_uids[person->first] = person->second.uid;
    if (state.index->Contains(f.id)) continue;
    auto values = opener.Open(f);
    if (!values.ok()) {
      if (values.status().code() != StatusCode::kStoreCorrupt) return values.status();
      state.damaged_faces[f.id] = values.status().message();
      continue;
    }
    ids.push_back(f.id);
    vectors.insert(vectors.end(), values->begin(), values->end());
    state.face_person[f.id] = f.person_id;
  }
  if (ids.empty()) return Status::Ok();
  return state.index->Add(ids, vectors);
}

Status Galleries::Flush() {
  std::vector<std::shared_ptr<GalleryState>> states;
  {
    std::lock_guard<std::mutex> lock(impl_->states_mutex);
    for (auto& [name, state] : impl_->states) states.push_back(state);
  }
  Status first;
  for (auto& state : states) {
    std::unique_lock lock(state->mutex);
    Status status = impl_->SaveSnapshotLocked(*state);
    if (first.ok() && !status.ok()) first = status;
  }
  // A following node's own snapshots (change_follower.h).
  if (gallery::ChangeFollower* follower = impl_->follower.load(); follower != nullptr) {
    Status status = follower->WriteSnapshots();
    if (first.ok() && !status.ok()) first = status;
  }
  return first;
}

Status Galleries::CheckIntegrity() { return impl_->store->CheckIntegrity(); }

Status Galleries::LoadIndexes() {
  auto galleries = ListGalleries();
  if (!galleries.ok()) return galleries.status();
  for (const GalleryInfo& info : galleries.value()) {
    auto state = impl_->State(info.name);
    if (!state.ok()) {
      if (state.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
      return state.status();
    }
    std::unique_lock lock((*state)->mutex);
    FACET_RETURN_IF_ERROR(impl_->EnsureIndexLocked(**state));
  }
  return Status::Ok();
}

Status Galleries::CheckStore() {
  return impl_->store->Read([](store::StoreTxn& txn) { return txn.GetMeta("store_uid").status(); });
}

}  // namespace facet
