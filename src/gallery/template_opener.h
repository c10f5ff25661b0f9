// Decrypting a gallery's stored templates when its index is built or a node's snapshot loaded.
#ifndef FACET_SRC_GALLERY_TEMPLATE_OPENER_H_
#define FACET_SRC_GALLERY_TEMPLATE_OPENER_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"

namespace facet::gallery {

// Decrypts templates of one gallery, unwrapping each person's key once (at most kMaxOpenKeys
// kept at a time). Not thread-safe; borrows `impl` and `gallery`, which must outlive it.
class TemplateOpener {
 public:
  // Person keys kept unwrapped at once.
  static constexpr size_t kMaxOpenKeys = 1024;

  TemplateOpener(const Galleries::Impl& impl, const store::GalleryRecord& gallery)
      : impl_(impl), gallery_(gallery) {}

  Status AddPerson(const store::PersonRecord& person) {
    uids_[person.id] = person.uid;
    wrapped_[person.id] = person.wrapped_key;
    return Status::Ok();
  }

  // Adds every person of the gallery, and records their ids in `state` (person_ids,
  // person_uids) as a build or a load of its index does.
  Status AddPersonsOf(store::StoreTxn& txn, GalleryState& state) {
    auto persons = txn.ListPersons(state.record.id);
    if (!persons.ok()) return persons.status();
    for (const store::PersonRecord& p : persons.value()) {
      FACET_RETURN_IF_ERROR(AddPerson(p));
      state.person_ids[p.id] = p.person_id;
      state.person_uids[p.id] = p.uid;
    }
    return Status::Ok();
  }

  // kStoreCorrupt, naming the row, when the face's row (or its person's key) does not open:
  // sealed data authenticates its owner, gallery and model, so a row changed, swapped or copied
  // outside facet fails here.
  Result<std::vector<float>> Open(const store::FaceRecord& face) {
    if (!face.integrity_error.empty()) return Status::StoreCorrupt(face.integrity_error);
    auto uid = uids_.find(face.person_id);
    if (uid == uids_.end()) {
      return Status::StoreCorrupt("store integrity: face " + std::to_string(face.id) +
                                  " of gallery '" + gallery_.name + "' belongs to no person");
    }
    auto key = keys_.find(face.person_id);
    if (key == keys_.end()) {
      // Each open key sits in guarded memory with mappings of its own, and a process may have
      // ~65,000 mappings (vm.max_map_count): keeping every person's key of a 20,000-person
      // gallery open made the next allocation fail (std::bad_alloc). A bounded set is kept.
      if (keys_.size() >= kMaxOpenKeys) keys_.clear();
      auto unwrapped = crypto::UnwrapKey(impl_.master, wrapped_[face.person_id],
                                         PersonKeyContext(uid->second));
      if (!unwrapped.ok()) {
        return Status::StoreCorrupt("store integrity: the key of person " + uid->second +
                                    " (face " + std::to_string(face.id) + ", gallery '" +
                                    gallery_.name + "') does not open: " +
                                    unwrapped.status().message());
      }
      key = keys_.emplace(face.person_id, std::move(unwrapped).value()).first;
    }
    auto plain = crypto::Open(key->second, face.sealed_template,
                              TemplateContext(uid->second, gallery_.id, gallery_.model,
                                                       gallery_.model_version));
    if (!plain.ok()) {
      return Status::StoreCorrupt("store integrity: the template of face " +
                                  std::to_string(face.id) + " (person " + uid->second +
                                  ", gallery '" + gallery_.name + "') does not open: " +
                                  plain.status().message());
    }
    auto values = BytesToFloats(plain.value(), gallery_.dimensions);
    if (!values.ok()) {
      return Status::StoreCorrupt("store integrity: the template of face " +
                                  std::to_string(face.id) + ": " + values.status().message());
    }
    return values;
  }

 private:
  const Galleries::Impl& impl_;
  const store::GalleryRecord& gallery_;
  std::unordered_map<int64_t, std::string> uids_;
  std::unordered_map<int64_t, std::vector<uint8_t>> wrapped_;
  std::unordered_map<int64_t, crypto::SecretKey> keys_;
};

}  // namespace facet::gallery

#endif  // FACET_SRC_GALLERY_TEMPLATE_OPENER_H_
