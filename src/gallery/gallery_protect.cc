// Tamper-evident rows at the gallery level (issue 18): wrapping the store, adopting the rows of a
// store from before row MACs once, and `facet store check` (docs/store_format.md "Row MACs").
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "gallery/gallery_internal.h"
#include "gallery/protected_store.h"

namespace facet {

using nlohmann::json;

void Galleries::Impl::ProtectStore(std::unique_ptr<store::TemplateStore> opened) {
  rows = std::make_unique<gallery::RowProtector>(row_mac_key, profile_key, store_uid);
  backend = opened.get();
  store = std::make_unique<gallery::ProtectedStore>(std::move(opened), *rows);
}

// A store from before schema 3 has rows without MACs: they are taken as they are now, once. The
// marker in meta says it was done; a marker removed outside facet does not reopen the door: the
// audit log (whose chain and head MAC need the master key) records the adoption or the creation
// with MACs, and a log that does not verify stops it. Rows without a MAC then fail their check.
Status Galleries::Impl::ProtectRowsOnce() {
  std::optional<std::string> marker;
  FACET_RETURN_IF_ERROR(backend->Read([&](store::StoreTxn& txn) -> Status {
    auto value = txn.GetMeta(gallery::kRowMacsMeta);
    if (!value.ok()) return value.status();
    marker = std::move(value).value();
    return Status::Ok();
  }));
  if (marker.has_value()) return Status::Ok();
  int64_t adopted = -1;
  FACET_RETURN_IF_ERROR(backend->Write([&](store::StoreTxn& txn) -> Status {
    auto report = gallery::VerifyAuditIn(txn, *chain, nullptr, nullptr);
    if (!report.ok()) return report.status();
    if (!report->intact) {
      return Status::StoreCorrupt(
          "store integrity: the rows have no MACs yet and the audit log does not verify (" +
          report->problem + "); facet will not vouch for rows it cannot trace");
    }
    bool protected_before = false;
    FACET_RETURN_IF_ERROR(
        txn.ScanAudit(std::numeric_limits<int64_t>::min(), [&](const AuditEntry& e) {
          protected_before =
              e.action == gallery::kProtectRowsAction ||
              (e.action == "store_create" && e.details.find("row_macs") != std::string::npos);
          return !protected_before;
        }));
    if (!protected_before) {
      auto count = gallery::AdoptUnprotectedRows(txn, *rows);
      if (!count.ok()) return count.status();
      adopted = count.value();
      FACET_RETURN_IF_ERROR(Audit(txn, NowMs(), {"facet", "store upgrade"},
                                  gallery::kProtectRowsAction, "", "",
                                  json{{"rows", adopted}}.dump()));
    }
    return txn.PutMeta(gallery::kRowMacsMeta, "1");
  }));
  // The plaintext the adoption sealed leaves the files.
  if (adopted > 0) (void)store->PurgeDeleted();
  return Status::Ok();
}

Status Galleries::Impl::DestroyDespiteDamage(const std::string& gallery_name,
                                             const std::string& person_id,
                                             const AuditContext& context,
                                             const std::string& damage) {
  const bool whole_gallery = person_id.empty();
  FACET_RETURN_IF_ERROR(backend->Write([&](store::StoreTxn& txn) -> Status {
    auto record = txn.FindGallery(gallery_name);
    if (!record.ok()) return record.status();
    if (!record->has_value()) {
      return Status::NotFound("gallery '" + gallery_name + "' does not exist");
    }
    const int64_t gallery_id = (*record)->id;
    std::vector<store::PersonRecord> persons;
    if (whole_gallery) {
      auto all = txn.ListPersons(gallery_id);
      if (!all.ok()) return all.status();
      persons = std::move(all).value();
    } else {
      auto one = txn.FindPerson(gallery_id, person_id);
      if (!one.ok()) return one.status();
      if (!one->has_value()) {
        return Status::NotFound("person '" + person_id + "' is not in gallery '" + gallery_name +
                                "'");
      }
      persons.push_back(std::move(**one));
    }
    int64_t faces = 0;
    for (const store::PersonRecord& person : persons) {
      auto removed = txn.DeleteFacesOfPerson(person.id);
      if (!removed.ok()) return removed.status();
      faces += removed.value();
      FACET_RETURN_IF_ERROR(txn.SetPersonKey(person.id, {}));
      FACET_RETURN_IF_ERROR(
          Audit(txn, NowMs(), context, "person_erase", gallery_name, person.uid,
                json{{"shredded_faces", removed.value()}, {"store_corrupt", damage}}.dump()));
      FACET_RETURN_IF_ERROR(txn.DeletePerson(person.id));
    }
    if (!whole_gallery) return txn.BumpGeneration(gallery_id);
    FACET_RETURN_IF_ERROR(txn.DeleteGallery(gallery_id));
    const json details = {
        {"persons", persons.size()}, {"shredded_faces", faces}, {"store_corrupt", damage}};
    return Audit(txn, NowMs(), context, "gallery_delete", gallery_name, "", details.dump());
  }));
  // The in-memory index may hold the erased faces: it is rebuilt (or refused) at the next use.
  ForgetState(gallery_name);
  return store->PurgeDeleted();
}

Result<StoreRowReport> Galleries::CheckRows() {
  Impl& self = *impl_;
  StoreRowReport report;
  const Status files = self.backend->CheckIntegrity();
  if (!files.ok()) {
    if (files.code() != StatusCode::kCorruptData) return files;
    report.problems.push_back(files.message());
  }
  FACET_RETURN_IF_ERROR(self.backend->Read([&](store::StoreTxn& txn) -> Status {
    auto rows = gallery::CheckAllRows(txn, *self.rows);
    if (!rows.ok()) return rows.status();
    report.rows_checked = rows->rows;
    report.problems.insert(report.problems.end(), rows->problems.begin(), rows->problems.end());
    return Status::Ok();
  }));
  return report;
}

}  // namespace facet
