// Tamper-evident rows (issue 18, docs/store_format.md "Row MACs"): the MAC of every row that
// decides who may be identified or what is kept (galleries, persons, consents, faces), and the
// sealing of the plaintext a consent or a face would otherwise leave readable in the store.
//
// A row's MAC is keyed BLAKE2b-256 under a subkey of the master key over the store's id, the
// table, the row id and every field of the row but galleries.generation (a cache counter, not a
// decision). A consent's and a face's MAC also cover their person's random uid, so a row copied
// to another person (even one that reuses a deleted person's row id) fails. A face's template is
// covered by its nonce and tag (its AEAD binds the rest), so checking a face never hashes the
// template itself.
//
// Thread-safety: immutable after construction; every method is const and reentrant. The keys
// are borrowed: they must outlive the RowProtector (Galleries::Impl owns both).
#ifndef FACET_SRC_GALLERY_ROW_PROTECTOR_H_
#define FACET_SRC_GALLERY_ROW_PROTECTOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "facet/status.h"
#include "store/template_store.h"

namespace facet::gallery {

class RowProtector {
 public:
  // `mac_key`: the row-MAC subkey; `seal_key`: the key sealing consent details and face
  // sources (the profile subkey, as for display names); `store_uid`: the store's random id.
  RowProtector(const crypto::SecretKey& mac_key, const crypto::SecretKey& seal_key,
               std::string store_uid)
      : mac_key_(mac_key), seal_key_(seal_key), store_uid_(std::move(store_uid)) {}

  std::vector<uint8_t> GalleryMac(const store::GalleryRecord& gallery) const;
  std::vector<uint8_t> PersonMac(const store::PersonRecord& person) const;
  // `uid`: the uid of the consent's (face's) person.
  std::vector<uint8_t> ConsentMac(const store::ConsentRecord& consent,
                                  const std::string& uid) const;
  std::vector<uint8_t> FaceMac(const store::FaceRecord& face, const std::string& uid) const;

  // kStoreCorrupt naming the row ("store integrity: consents row 12 (person <uid>) ...") when
  // the row's stored MAC is missing or does not match its contents. Rows as read from the store.
  Status CheckGallery(const store::GalleryRecord& gallery) const;
  Status CheckPerson(const store::PersonRecord& person) const;
  Status CheckConsent(const store::ConsentRecord& consent, const std::string& uid) const;
  Status CheckFace(const store::FaceRecord& face, const std::string& uid) const;

  // Seals the consent's granted_by, purpose and evidence for its person.
  Result<std::vector<uint8_t>> SealConsentDetails(const store::ConsentRecord& consent,
                                                  const std::string& uid) const;
  // Fills granted_by, purpose and evidence from sealed_details (kStoreCorrupt if it does not
  // open). A consent without sealed details is left as it is.
  Status OpenConsentDetails(store::ConsentRecord& consent, const std::string& uid) const;
  Result<std::vector<uint8_t>> SealFaceSource(const std::string& source_sha256,
                                              const std::string& uid) const;
  // Fills source_sha256 from sealed_source (kStoreCorrupt if it does not open).
  Status OpenFaceSource(store::FaceRecord& face, const std::string& uid) const;

 private:
  Status Compare(const std::vector<uint8_t>& stored, const std::vector<uint8_t>& expected,
                 const std::string& row) const;

  const crypto::SecretKey& mac_key_;
  const crypto::SecretKey& seal_key_;
  std::string store_uid_;
};

// The row-MAC subkey of a master key.
Result<crypto::SecretKey> DeriveRowMacKey(const crypto::SecretKey& master);

}  // namespace facet::gallery

#endif  // FACET_SRC_GALLERY_ROW_PROTECTOR_H_
