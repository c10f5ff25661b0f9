// Bulk-loads synthetic templates into an existing gallery, below the galleries API, for the
// time-to-ready measurement of a node at 1 M templates (docs/benchmarks.md, "Cluster"):
// enrolling through the API is one synchronous transaction per face (~2 ms), so 1 M faces would
// take over half an hour. Each face is a fresh random unit vector sealed under its person's data
// key exactly as Galleries::Enroll seals it, inserted 10,000 per transaction (each one change-log
// row, as any write). No audit entry is written per face: a benchmark loader, not a way to
// enroll people.
//   bulk_templates --store S --key-file K --gallery G --faces N [--seed 1]
// The gallery's persons must hold a data key (e.g. filled by gallery_fill: one enrolled face
// each); the faces are spread over the first 1,000 of them round robin.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"
#include "gallery/protected_store.h"
#include "gallery/row_protector.h"
#include "store/template_store.h"

namespace {

int Fail(const char* what, const facet::Status& status) {
  std::fprintf(stderr, "bulk_templates: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

constexpr size_t kMaxOwners = 1'000;

struct Owner {
  facet::store::PersonRecord person;
  facet::crypto::SecretKey key;
};

}  // namespace

int main(int argc, char** argv) {
  using facet::Status;
  namespace store = facet::store;
  std::string location, key_file, gallery_name;
  long faces = 0;
  unsigned seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--store")
      location = value;
    else if (flag == "--key-file")
      key_file = value;
    else if (flag == "--gallery")
      gallery_name = value;
    else if (flag == "--faces")
      faces = std::strtol(value.c_str(), nullptr, 10);
    else if (flag == "--seed")
      seed = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 10));
  }
  if (location.empty() || key_file.empty() || gallery_name.empty() || faces <= 0 || argc % 2 == 0) {
    std::fprintf(stderr,
                 "usage: bulk_templates --store S --key-file K --gallery G --faces N [--seed 1]\n");
    return 2;
  }
  auto master = facet::crypto::ReadKeyFile(key_file);
  if (!master.ok()) return Fail("master key", master.status());
  auto opened = store::OpenStore({.location = location});
  if (!opened.ok()) return Fail(location.c_str(), opened.status());
  // Rows go in through the row checks, as Enroll writes them: each face gets its MAC and its
  // sealed source (a face without them is refused as damaged when an index is built).
  std::string store_uid;
  Status uid_read = (*opened)->Read([&](store::StoreTxn& txn) -> Status {
    auto uid = txn.GetMeta("store_uid");
    if (!uid.ok()) return uid.status();
    store_uid = uid->value_or("");
    return Status::Ok();
  });
  if (!uid_read.ok()) return Fail("store uid", uid_read);
  auto row_mac_key = facet::gallery::DeriveRowMacKey(*master);
  auto profile_key = facet::crypto::DeriveSubkey(*master, 2, "facetprf");
  if (!row_mac_key.ok() || !profile_key.ok()) return Fail("keys", row_mac_key.status());
  const facet::gallery::RowProtector protector(*row_mac_key, *profile_key, store_uid);
  facet::gallery::ProtectedStore db(std::move(opened).value(), protector);
  store::GalleryRecord gallery;
  std::vector<Owner> owners;
  Status read = db.Read([&](store::StoreTxn& txn) -> Status {
    auto found = txn.FindGallery(gallery_name);
    if (!found.ok()) return found.status();
    if (!*found) return Status::NotFound("no gallery " + gallery_name);
    gallery = **found;
    auto persons = txn.ListPersons(gallery.id);
    if (!persons.ok()) return persons.status();
    for (store::PersonRecord& p : *persons) {
      // Keys live in locked memory (a few thousand at most): 1,000 owners are enough.
      if (p.wrapped_key.empty() || owners.size() == kMaxOwners) continue;
      auto key =
          facet::crypto::UnwrapKey(*master, p.wrapped_key, facet::gallery::PersonKeyContext(p.uid));
      if (!key.ok()) return key.status();
      owners.push_back({std::move(p), std::move(key).value()});
    }
    return Status::Ok();
  });
  if (!read.ok()) return Fail("reading the gallery", read);
  if (owners.empty()) return Fail("persons", Status::NotFound("no person holds a data key"));
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  const auto start = std::chrono::steady_clock::now();
  constexpr long kPerTransaction = 10'000;
  for (long done = 0; done < faces;) {
    const long batch = std::min(kPerTransaction, faces - done);
    Status wrote = db.Write([&](store::StoreTxn& txn) -> Status {
      for (long i = 0; i < batch; ++i) {
        const Owner& owner =
            owners[static_cast<size_t>((done + i) % static_cast<long>(owners.size()))];
        std::vector<float> v(static_cast<size_t>(gallery.dimensions));
        double norm = 0;
        for (float& x : v) {
          x = normal(rng);
          norm += double{x} * x;
        }
        for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
        auto sealed = facet::crypto::Seal(
            owner.key, facet::gallery::FloatBytes(v),
            facet::gallery::TemplateContext(owner.person.uid, gallery.id, gallery.model,
                                            gallery.model_version));
        if (!sealed.ok()) return sealed.status();
        store::FaceRecord face;
        face.person_id = owner.person.id;
        face.gallery_id = gallery.id;
        face.sealed_template = std::move(sealed).value();
        face.quality = "high";
        char source[65];
        std::snprintf(source, sizeof source, "%064ld", done + i);  // unique, not a real hash
        face.source_sha256 = source;
        face.created_ms = 0;
        auto id = txn.InsertFace(face);
        if (!id.ok()) return id.status();
      }
      return txn.BumpGeneration(gallery.id);
    });
    if (!wrote.ok()) return Fail("inserting", wrote);
    done += batch;
    std::fprintf(stderr, "bulk_templates: %ld faces (%.0f s)\n", done,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return 0;
}
