// The store as the gallery layer sees it: a TemplateStore wrapping the backend so that every row
// read is checked against its MAC (and its sealed fields opened) and every row written is sealed
// and given its MAC (row_protector.h). The gallery code reads and writes plain records; a row
// changed, swapped or copied outside facet fails closed with kStoreCorrupt naming it, except in
// ScanFaces, which hands a damaged face on with FaceRecord::integrity_error set, so that one
// damaged face is left out of an index instead of failing the gallery.
//
// The decisions the backend would make in SQL over rows it cannot check (which persons' consents
// lapsed, the next expiry) are made here over checked rows: removing a consent's expiry in the
// file makes the next lapse check fail closed instead of keeping the person identifiable.
//
// Ownership: owns the backend; borrows the RowProtector (which must outlive it).
// Thread-safety: as the backend's (Write/Read from any thread).
#ifndef FACET_SRC_GALLERY_PROTECTED_STORE_H_
#define FACET_SRC_GALLERY_PROTECTED_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "audit/chain.h"
#include "gallery/row_protector.h"
#include "store/template_store.h"

namespace facet::gallery {

class ProtectedStore final : public store::TemplateStore {
 public:
  ProtectedStore(std::unique_ptr<store::TemplateStore> backend, const RowProtector& protector)
      : backend_(std::move(backend)), protector_(protector) {}

  Status Write(const std::function<Status(store::StoreTxn&)>& fn) override;
  Status Read(const std::function<Status(store::StoreTxn&)>& fn) override;
  Status PurgeDeleted() override { return backend_->PurgeDeleted(); }
  Status CheckIntegrity() override { return backend_->CheckIntegrity(); }
  std::string Describe() const override { return backend_->Describe(); }
  // The feed's own reads are unchecked: run them through WithRowChecks.
  Result<std::unique_ptr<store::ChangeFeed>> OpenChangeFeed(int timeout_ms) override {
    return backend_->OpenChangeFeed(timeout_ms);
  }
  int64_t LastKnownChange() const override { return backend_->LastKnownChange(); }

  // The backend itself, unchecked: for adopting rows and for CheckAllRows only.
  store::TemplateStore& backend() { return *backend_; }

 private:
  std::unique_ptr<store::TemplateStore> backend_;
  const RowProtector& protector_;
};

// Runs `fn` on `raw` (a transaction of the backend, e.g. a ChangeFeed's) with the row checks
// of a ProtectedStore transaction.
Status WithRowChecks(store::StoreTxn& raw, const RowProtector& protector,
                     const std::function<Status(store::StoreTxn&)>& fn);

// Meta key set once every row carries a MAC (a new store, or an old one after adoption).
inline constexpr const char* kRowMacsMeta = "row_macs";
// The audit action recording the adoption of a store's rows.
inline constexpr const char* kProtectRowsAction = "store_protect_rows";

// Gives every row of a store written before schema 3 its MAC, sealing its consent details and
// face sources, in `txn` (a backend transaction; the rows as they are now are taken as genuine).
// Returns the number of rows adopted.
Result<int64_t> AdoptUnprotectedRows(store::StoreTxn& txn, const RowProtector& protector);

// What CheckAllRows found.
struct RowCheck {
  int64_t rows = 0;                   // rows checked
  std::vector<std::string> problems;  // one line per bad row, naming it
};

// Checks every gallery, person, consent and face row of the store through `txn` (a backend
// transaction), listing each bad row rather than stopping at the first.
Result<RowCheck> CheckAllRows(store::StoreTxn& txn, const RowProtector& protector);

}  // namespace facet::gallery

#endif  // FACET_SRC_GALLERY_PROTECTED_STORE_H_
