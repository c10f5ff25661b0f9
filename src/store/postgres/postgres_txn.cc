// The PostgreSQL store's row operations: the same statements as the SQLite store's, in
// PostgreSQL's dialect, with the ids of changed faces and galleries noted for the change log.
#include "store/postgres/postgres_txn.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "audit/chain.h"
#include "crypto/crypto.h"
#include "store/record_rows.h"

namespace facet::store {
namespace {

using pg::Params;
using pg::PgResult;

constexpr const char* kAuditColumns =
    "seq, time_ms, actor, action, gallery, purpose, subjects, details, previous_hash, hash";
// Rows per FETCH when scanning a gallery's faces or the audit log (bounded memory).
constexpr int kFetchRows = 5000;

// One row of a result, for the shared row decoding (store/record_rows.h).
struct PgRow {
  const PgResult& result;
  int row;
  int64_t Int(int c) const { return result.Int(row, c); }
  double Real(int c) const { return result.Real(row, c); }
  bool Bool(int c) const { return result.Bool(row, c); }
  std::string Text(int c) const { return result.Text(row, c); }
  std::vector<uint8_t> Bytes(int c) const { return result.Bytes(row, c); }
  std::optional<int64_t> OptionalInt(int c) const { return result.OptionalInt(row, c); }
};

GalleryRecord ReadGallery(const PgResult& r, int i) { return GalleryFromRow(PgRow{r, i}); }
PersonRecord ReadPerson(const PgResult& r, int i) { return PersonFromRow(PgRow{r, i}); }
ConsentRecord ReadConsent(const PgResult& r, int i) { return ConsentFromRow(PgRow{r, i}); }
FaceRecord ReadFace(const PgResult& r, int i) { return FaceFromRow(PgRow{r, i}); }

// Runs `sql` through a cursor, calling `fn` for each row until it returns false or an error.
Status ForEachRow(pg::PgConnection& conn, const std::string& sql, const Params& params,
                  const std::function<Result<bool>(const PgResult&, int)>& fn) {
  FACET_RETURN_IF_ERROR(conn.Run("DECLARE facet_scan NO SCROLL CURSOR FOR " + sql, params));
  Status status;
  bool more = true;
  while (more && status.ok()) {
    auto batch = conn.Exec("FETCH " + std::to_string(kFetchRows) + " FROM facet_scan");
    if (!batch.ok()) return batch.status();  // the transaction is aborted; no CLOSE
    for (int i = 0; i < batch->rows() && more; ++i) {
      auto go_on = fn(*batch, i);
      if (!go_on.ok()) {
        status = go_on.status();
        break;
      }
      more = go_on.value();
    }
    if (batch->rows() < kFetchRows) more = false;
  }
  const Status closed = conn.Run("CLOSE facet_scan");
  return status.ok() ? closed : status;
}

// A text[] literal: {"a","b"} with quotes and backslashes escaped.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

template <typename T>
Result<std::optional<T>> First(Result<PgResult> result, T (*read)(const PgResult&, int)) {
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return std::optional<T>();
  return std::optional<T>(read(*result, 0));
}

Result<int64_t> ReturnedId(Result<PgResult> result) {
  if (!result.ok()) return result.status();
  if (result->rows() != 1) return Status::Internal("PostgreSQL store: INSERT returned no id");
  return result->Int(0, 0);
}

}  // namespace

std::string ChangeSet::ToJson() const {
  nlohmann::json j;
  j["g"] = galleries;
  j["dg"] = deleted_galleries;
  j["add"] = added_faces;
  j["del"] = removed_faces;
  j["shred"] = shredded_persons;
  return j.dump();
}

Status PostgresTxn::CheckWritable() const {
  return writable_ ? Status::Ok() : Status::Internal("write inside a read transaction");
}

Result<std::optional<std::string>> PostgresTxn::GetMeta(const std::string& key) {
  auto r = conn_.Exec("SELECT value FROM meta WHERE key = $1", Params().Add(key));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r->Text(0, 0));
}

Status PostgresTxn::PutMeta(const std::string& key, const std::string& value) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  return conn_.Run(
      "INSERT INTO meta(key, value) VALUES($1, $2) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      Params().Add(key).Add(value));
}

Result<int64_t> PostgresTxn::InsertGallery(const GalleryRecord& g) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  Params p;
  p.Add(g.name).Add(g.purpose).Add(g.use).Add(g.model).Add(g.model_version);
  p.Add(int64_t{g.dimensions}).Add(g.fmr).Add(double{g.threshold});
  p.Add(double{g.threshold_fmr_1e3}).Add(double{g.threshold_fmr_1e4}).Add(g.keep_photos);
  p.Add(g.created_ms).Add(g.sealed_profile).Add(g.requested_model);
  auto id = ReturnedId(conn_.Exec(
      "INSERT INTO galleries(name, purpose, use, model, model_version, dimensions, fmr, threshold, "
      "threshold_fmr_1e3, threshold_fmr_1e4, keep_photos, created_ms, sealed_profile, "
      "requested_model) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
      "RETURNING id",
      p));
  if (id.ok()) changes_.galleries.insert(id.value());
  return id;
}

Result<std::optional<GalleryRecord>> PostgresTxn::FindGallery(const std::string& name) {
  return First<GalleryRecord>(
      conn_.Exec(std::string("SELECT ") + kGalleryColumns + " FROM galleries WHERE name = $1",
                 Params().Add(name)),
      ReadGallery);
}

Result<std::vector<GalleryRecord>> PostgresTxn::ListGalleries() {
  // COLLATE "C": the byte order SQLite's ORDER BY gives.
  auto r = conn_.Exec(std::string("SELECT ") + kGalleryColumns +
                      " FROM galleries ORDER BY name COLLATE \"C\"");
  if (!r.ok()) return r.status();
  std::vector<GalleryRecord> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadGallery(*r, i));
  return out;
}

Result<int64_t> PostgresTxn::GetGeneration(int64_t gallery_id) {
  auto r = conn_.Exec("SELECT generation FROM galleries WHERE id = $1", Params().Add(gallery_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::NotFound("gallery was deleted");
  return r->Int(0, 0);
}

Status PostgresTxn::BumpGeneration(int64_t gallery_id) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  changes_.galleries.insert(gallery_id);
  return conn_.Run("UPDATE galleries SET generation = generation + 1 WHERE id = $1",
                   Params().Add(gallery_id));
}

Status PostgresTxn::DeleteGallery(int64_t gallery_id) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  changes_.deleted_galleries.insert(gallery_id);
  changes_.galleries.insert(gallery_id);
  return conn_.Run("DELETE FROM galleries WHERE id = $1", Params().Add(gallery_id));
}

Status PostgresTxn::SetGalleryProfile(int64_t gallery_id, std::span<const uint8_t> sealed_profile) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  return conn_.Run("UPDATE galleries SET sealed_profile = $1 WHERE id = $2",
                   Params().Add(sealed_profile).Add(gallery_id));
}

Result<int64_t> PostgresTxn::InsertPerson(const PersonRecord& person) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  Params p;
  p.Add(person.gallery_id).Add(person.person_id).Add(person.uid).Add(person.sealed_profile);
  p.Add(person.wrapped_key).Add(person.created_ms);
  return ReturnedId(conn_.Exec(
      "INSERT INTO persons(gallery_id, person_id, uid, sealed_profile, wrapped_key, created_ms) "
      "VALUES($1, $2, $3, $4, $5, $6) RETURNING id",
      p));
}

Result<std::optional<PersonRecord>> PostgresTxn::FindPerson(int64_t gallery_id,
                                                            const std::string& person_id) {
  return First<PersonRecord>(
      conn_.Exec(std::string("SELECT ") + kPersonColumns +
                     " FROM persons WHERE gallery_id = $1 AND person_id = $2",
                 Params().Add(gallery_id).Add(person_id)),
      ReadPerson);
}

Result<std::optional<PersonRecord>> PostgresTxn::GetPerson(int64_t person) {
  return First<PersonRecord>(
      conn_.Exec(std::string("SELECT ") + kPersonColumns + " FROM persons WHERE id = $1",
                 Params().Add(person)),
      ReadPerson);
}

Result<std::vector<PersonRecord>> PostgresTxn::ListPersons(int64_t gallery_id) {
  auto r = conn_.Exec(std::string("SELECT ") + kPersonColumns +
                          " FROM persons WHERE gallery_id = $1 ORDER BY person_id COLLATE \"C\"",
                      Params().Add(gallery_id));
  if (!r.ok()) return r.status();
  std::vector<PersonRecord> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadPerson(*r, i));
  return out;
}

Status PostgresTxn::SetPersonKey(int64_t person, std::span<const uint8_t> wrapped) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  if (wrapped.empty()) changes_.shredded_persons.insert(person);
  return conn_.Run("UPDATE persons SET wrapped_key = $1 WHERE id = $2",
                   Params().Add(wrapped).Add(person));
}

Status PostgresTxn::SetPersonProfile(int64_t person, std::span<const uint8_t> sealed_profile) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  return conn_.Run("UPDATE persons SET sealed_profile = $1 WHERE id = $2",
                   Params().Add(sealed_profile).Add(person));
}

Status PostgresTxn::DeletePerson(int64_t person) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  changes_.shredded_persons.insert(person);
  // The cascade removes the person's faces: note them (and their gallery) for the change log.
  auto faces =
      conn_.Exec("SELECT id, gallery_id FROM faces WHERE person_id = $1", Params().Add(person));
  if (!faces.ok()) return faces.status();
  for (int i = 0; i < faces->rows(); ++i) {
    changes_.removed_faces.push_back(faces->Int(i, 0));
    changes_.galleries.insert(faces->Int(i, 1));
  }
  return conn_.Run("DELETE FROM persons WHERE id = $1", Params().Add(person));
}

Result<int64_t> PostgresTxn::InsertConsent(const ConsentRecord& c) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  Params p;
  p.Add(c.person_id).Add(c.granted_by).Add(c.scope).Add(c.purpose).Add(c.evidence);
  p.Add(c.granted_ms).Add(c.expires_ms).Add(c.revoked_ms).Add(c.sealed_details);
  return ReturnedId(conn_.Exec(
      "INSERT INTO consents(person_id, granted_by, scope, purpose, evidence, granted_ms, "
      "expires_ms, revoked_ms, sealed_details) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "RETURNING id",
      p));
}

Result<std::optional<ConsentRecord>> PostgresTxn::GetConsent(int64_t consent) {
  return First<ConsentRecord>(
      conn_.Exec(std::string("SELECT ") + kConsentColumns + " FROM consents WHERE id = $1",
                 Params().Add(consent)),
      ReadConsent);
}

Result<std::vector<ConsentRecord>> PostgresTxn::ListGalleryConsents(int64_t gallery_id) {
  auto r = conn_.Exec(std::string("SELECT ") + kConsentColumns +
                          " FROM consents WHERE person_id IN (SELECT id FROM persons WHERE "
                          "gallery_id = $1) ORDER BY id",
                      Params().Add(gallery_id));
  if (!r.ok()) return r.status();
  std::vector<ConsentRecord> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadConsent(*r, i));
  return out;
}

Status PostgresTxn::SetConsentSealedDetails(int64_t consent, std::span<const uint8_t> sealed) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  return conn_.Run(
      "UPDATE consents SET sealed_details = $1, granted_by = '', purpose = '', evidence = '' "
      "WHERE id = $2",
      Params().Add(sealed).Add(consent));
}

Status PostgresTxn::SetFaceSealedSource(int64_t face, std::span<const uint8_t> sealed) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  return conn_.Run("UPDATE faces SET sealed_source = $1, source_sha256 = '' WHERE id = $2",
                   Params().Add(sealed).Add(face));
}

Status PostgresTxn::SetRowMac(RowTable table, int64_t id, std::span<const uint8_t> mac) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  return conn_.Run(std::string("UPDATE ") + RowTableName(table) + " SET mac = $1 WHERE id = $2",
                   Params().Add(mac).Add(id));
}

Result<std::vector<ConsentRecord>> PostgresTxn::ListConsents(int64_t person) {
  auto r = conn_.Exec(
      std::string("SELECT ") + kConsentColumns + " FROM consents WHERE person_id = $1 ORDER BY id",
      Params().Add(person));
  if (!r.ok()) return r.status();
  std::vector<ConsentRecord> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadConsent(*r, i));
  return out;
}

Status PostgresTxn::SetConsentRevoked(int64_t consent, int64_t revoked_ms) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  return conn_.Run("UPDATE consents SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
                   Params().Add(revoked_ms).Add(consent));
}

Result<std::vector<int64_t>> PostgresTxn::PersonsWithLapsedConsent(
    int64_t gallery_id, int64_t now_ms, const std::vector<std::string>& scopes) {
  auto r = conn_.Exec(
      "SELECT DISTINCT p.id FROM consents e JOIN persons p ON p.id = e.person_id "
      "WHERE e.expires_ms IS NOT NULL AND e.expires_ms <= $1 AND p.gallery_id = $2 "
      "AND p.wrapped_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM consents c "
      "WHERE c.person_id = p.id AND c.revoked_ms IS NULL "
      "AND (c.expires_ms IS NULL OR c.expires_ms > $1) AND c.scope = ANY($3::text[])) "
      "ORDER BY p.id",
      Params().Add(now_ms).Add(gallery_id).Add(TextArray(scopes)));
  if (!r.ok()) return r.status();
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->Int(i, 0));
  return out;
}

Result<std::optional<int64_t>> PostgresTxn::NextConsentExpiry(int64_t gallery_id, int64_t now_ms) {
  auto r = conn_.Exec(
      "SELECT MIN(c.expires_ms) FROM consents c JOIN persons p ON p.id = c.person_id "
      "WHERE c.expires_ms > $1 AND c.revoked_ms IS NULL AND p.gallery_id = $2 "
      "AND p.wrapped_key IS NOT NULL",
      Params().Add(now_ms).Add(gallery_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<int64_t>();
  return r->OptionalInt(0, 0);
}

Result<int64_t> PostgresTxn::InsertFace(const FaceRecord& f) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  Params p;
  p.Add(f.person_id).Add(f.gallery_id).Add(f.sealed_template).Add(f.quality);
  p.Add(f.source_sha256).Add(f.created_ms).Add(f.sealed_photo).Add(f.sealed_user_data);
  p.Add(f.sealed_source);
  auto id = ReturnedId(conn_.Exec(
      "INSERT INTO faces(person_id, gallery_id, sealed_template, quality, source_sha256, "
      "created_ms, sealed_photo, sealed_user_data, sealed_source) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "RETURNING id",
      p));
  if (id.ok()) {
    changes_.added_faces.push_back(id.value());
    changes_.galleries.insert(f.gallery_id);
  }
  return id;
}

Result<std::optional<FaceRecord>> PostgresTxn::GetFace(int64_t face) {
  return First<FaceRecord>(
      conn_.Exec("SELECT " + FaceColumns(false) + " FROM faces WHERE id = $1", Params().Add(face)),
      ReadFace);
}

Result<std::vector<FaceRecord>> PostgresTxn::ListFaces(int64_t person, bool with_photos) {
  auto r = conn_.Exec(
      "SELECT " + FaceColumns(with_photos) + " FROM faces WHERE person_id = $1 ORDER BY id",
      Params().Add(person));
  if (!r.ok()) return r.status();
  std::vector<FaceRecord> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadFace(*r, i));
  return out;
}

Result<std::vector<FaceRecord>> PostgresTxn::GetFaces(std::span<const int64_t> ids) {
  std::string list = "{";
  for (int64_t id : ids) list += (list.size() > 1 ? "," : "") + std::to_string(id);
  list += "}";
  auto r = conn_.Exec(
      "SELECT " + FaceColumns(false) + " FROM faces WHERE id = ANY($1::bigint[]) ORDER BY id",
      Params().Add(list));
  if (!r.ok()) return r.status();
  std::vector<FaceRecord> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadFace(*r, i));
  return out;
}

Status PostgresTxn::ScanFaces(int64_t gallery_id,
                              const std::function<Status(const FaceRecord&)>& fn) {
  return ForEachRow(
      conn_, "SELECT " + FaceColumns(false) + " FROM faces WHERE gallery_id = $1 ORDER BY id",
      Params().Add(gallery_id), [&](const PgResult& r, int i) -> Result<bool> {
        FACET_RETURN_IF_ERROR(fn(ReadFace(r, i)));
        return true;
      });
}

Result<std::vector<std::pair<int64_t, int64_t>>> PostgresTxn::FaceIds(int64_t gallery_id) {
  std::vector<std::pair<int64_t, int64_t>> out;
  FACET_RETURN_IF_ERROR(
      ForEachRow(conn_, "SELECT id, person_id FROM faces WHERE gallery_id = $1 ORDER BY id",
                 Params().Add(gallery_id), [&](const PgResult& r, int i) -> Result<bool> {
                   out.emplace_back(r.Int(i, 0), r.Int(i, 1));
                   return true;
                 }));
  return out;
}

Result<int64_t> PostgresTxn::CountFaces(int64_t gallery_id) {
  auto r = conn_.Exec("SELECT count(*) FROM faces WHERE gallery_id = $1", Params().Add(gallery_id));
  if (!r.ok()) return r.status();
  return r->Int(0, 0);
}

Status PostgresTxn::DeleteFace(int64_t face) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  auto r = conn_.Exec("DELETE FROM faces WHERE id = $1 RETURNING gallery_id", Params().Add(face));
  if (!r.ok()) return r.status();
  if (r->rows() > 0) {
    changes_.removed_faces.push_back(face);
    changes_.galleries.insert(r->Int(0, 0));
  }
  return Status::Ok();
}

Status PostgresTxn::SetFaceUserData(int64_t face, std::span<const uint8_t> sealed_user_data) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  return conn_.Run("UPDATE faces SET sealed_user_data = $1 WHERE id = $2",
                   Params().Add(sealed_user_data).Add(face));
}

Result<int64_t> PostgresTxn::DeleteFacesOfPerson(int64_t person) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  auto r = conn_.Exec("DELETE FROM faces WHERE person_id = $1 RETURNING id, gallery_id",
                      Params().Add(person));
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    changes_.removed_faces.push_back(r->Int(i, 0));
    changes_.galleries.insert(r->Int(i, 1));
  }
  return int64_t{r->rows()};
}

Result<AuditHead> PostgresTxn::GetAuditHead() {
  AuditHead head;
  auto r = conn_.Exec(
      "SELECT key, value FROM meta WHERE key IN "
      "('audit_head_count', 'audit_head_hash', 'audit_head_mac')");
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    FACET_RETURN_IF_ERROR(ParseAuditHeadField(r->Text(i, 0), r->Text(i, 1), head));
  }
  return head;
}

Status PostgresTxn::AppendAudit(const AuditEntry& e, const AuditHead& new_head) {
  return AppendAuditEntries(std::span<const AuditEntry>(&e, 1), new_head);
}

Status PostgresTxn::AppendAuditEntries(std::span<const AuditEntry> entries,
                                       const AuditHead& new_head) {
  FACET_RETURN_IF_ERROR(CheckWritable());
  // One round trip for the rows, one for the head (a batch of group-committed entries).
  constexpr size_t kColumns = 10;
  constexpr size_t kRowsPerInsert = 6000 / kColumns;  // well below the 65,535 parameters
  for (size_t from = 0; from < entries.size(); from += kRowsPerInsert) {
    const size_t to = std::min(entries.size(), from + kRowsPerInsert);
    Params p;
    std::string sql = std::string("INSERT INTO audit(") + kAuditColumns + ") VALUES";
    for (size_t i = from; i < to; ++i) {
      const AuditEntry& e = entries[i];
      p.Add(e.seq).Add(audit::ToUnixMillis(e.time)).Add(e.actor).Add(e.action).Add(e.gallery);
      p.Add(e.purpose).Add(e.subjects).Add(e.details);
      p.Add(std::span<const uint8_t>(e.previous_hash)).Add(std::span<const uint8_t>(e.hash));
      sql += i == from ? "(" : ", (";
      for (size_t c = 1; c <= kColumns; ++c) {
        sql += "$" + std::to_string((i - from) * kColumns + c) + (c < kColumns ? ", " : ")");
      }
    }
    FACET_RETURN_IF_ERROR(conn_.Run(sql, p));
  }
  Params head;
  head.Add(std::string("audit_head_count")).Add(std::to_string(new_head.count));
  head.Add(std::string("audit_head_hash")).Add(crypto::ToHex(new_head.hash));
  head.Add(std::string("audit_head_mac")).Add(crypto::ToHex(new_head.mac));
  return conn_.Run(
      "INSERT INTO meta(key, value) VALUES($1, $2), ($3, $4), ($5, $6) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      head);
}

Status PostgresTxn::ScanAudit(int64_t from_seq, const std::function<bool(const AuditEntry&)>& fn) {
  return ForEachRow(
      conn_, std::string("SELECT ") + kAuditColumns + " FROM audit WHERE seq >= $1 ORDER BY seq",
      Params().Add(from_seq), [&](const PgResult& r, int i) -> Result<bool> {
        AuditEntry e;
        e.seq = r.Int(i, 0);
        e.time = audit::FromUnixMillis(r.Int(i, 1));
        e.actor = r.Text(i, 2);
        e.action = r.Text(i, 3);
        e.gallery = r.Text(i, 4);
        e.purpose = r.Text(i, 5);
        e.subjects = r.Text(i, 6);
        e.details = r.Text(i, 7);
        e.previous_hash = ToHash(r.Bytes(i, 8));
        e.hash = ToHash(r.Bytes(i, 9));
        return fn(e);
      });
}

Result<std::vector<std::string>> PostgresTxn::MissingAuditGuards() {
  std::vector<std::string> missing;
  for (const char* trigger : {"audit_no_update", "audit_no_delete", "audit_no_truncate"}) {
    auto r = conn_.Exec(
        "SELECT count(*) FROM pg_trigger t WHERE t.tgname = $1 AND NOT t.tgisinternal "
        "AND t.tgenabled <> 'D' AND t.tgrelid = 'audit'::regclass",
        Params().Add(std::string(trigger)));
    if (!r.ok()) return r.status();
    if (r->Int(0, 0) != 1) missing.emplace_back(trigger);
  }
  return missing;
}

}  // namespace facet::store
