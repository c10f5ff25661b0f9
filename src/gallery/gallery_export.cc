// Galleries: person export (everything held about a person) and the audit log.
#include <ctime>

#include <nlohmann/json.hpp>

#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"

namespace facet {

using nlohmann::json;

std::string FormatTime(TimePoint time) {
  const int64_t ms = audit::ToUnixMillis(time);
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&t, &parts);
  char buffer[40];
  const size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &parts);
  std::string out(buffer, n);
  if (millis != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(millis));
    out += frac;
  }
  return out + "Z";
}

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2200;

namespace {

// Reads exactly `digits` decimal digits at `*at` into `value`, advancing `*at`.
bool ReadDigits(const char** at, int digits, int* value) {
  *value = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = (*at)[i];
    if (c < '0' || c > '9') return false;
    *value = *value * 10 + (c - '0');
  }
  *at += digits;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

// Strict: a date or time that does not exist (2027-02-30, 24:00:00, 23:59:60) is refused, never
// moved to the next valid one, and every field has its full number of digits.
Result<TimePoint> ParseTime(std::string_view text) {
  const std::string s(text);
  const char* rest = s.c_str();
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!ReadDigits(&rest, 4, &year) || *rest++ != '-' || !ReadDigits(&rest, 2, &month) ||
      *rest++ != '-' || !ReadDigits(&rest, 2, &day)) {
    return Status::InvalidArgument("'" + s + "' is not a date (YYYY-MM-DD[THH:MM:SS[.mmm]Z])");
  }
  if (*rest == 'T') {
    ++rest;
    if (!ReadDigits(&rest, 2, &hour) || *rest++ != ':' || !ReadDigits(&rest, 2, &minute) ||
        *rest++ != ':' || !ReadDigits(&rest, 2, &second)) {
      return Status::InvalidArgument("'" + s + "': bad time of day (HH:MM:SS)");
    }
    if (*rest == '.') {
      ++rest;
      int digits = 0;
      while (*rest >= '0' && *rest <= '9') {
        if (digits < 3) millis = millis * 10 + (*rest - '0');
        ++digits;
        ++rest;
      }
      if (digits == 0) return Status::InvalidArgument("'" + s + "': bad fraction of a second");
      for (int d = digits; d < 3; ++d) millis *= 10;
    }
    if (*rest == 'Z') ++rest;
  }
  if (*rest != '\0') {
    return Status::InvalidArgument("'" + s + "': only UTC times (ending in Z) are accepted");
  }
  // TimePoint counts nanoseconds in 64 bits (years 1677..2262); a year outside 1970..2200 is a
  // typo, not a consent expiry, and would not fit.
  if (year < kFirstYear || year > kLastYear) {
    return Status::InvalidArgument("'" + s + "': the year must be within " +
                                   std::to_string(kFirstYear) + ".." + std::to_string(kLastYear));
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return Status::InvalidArgument("'" + s + "': no such date");
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return Status::InvalidArgument("'" + s + "': no such time of day");
  }
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  const std::time_t seconds = timegm(&parts);
  return audit::FromUnixMillis(static_cast<int64_t>(seconds) * 1000 + millis);
}

namespace {

json AuditToJson(const AuditEntry& e) {
  json details = json::parse(e.details, nullptr, false);
  if (details.is_discarded()) details = e.details;
  return {{"seq", e.seq},         {"time", FormatTime(e.time)}, {"actor", e.actor},
          {"action", e.action},   {"gallery", e.gallery},       {"purpose", e.purpose},
          {"subjects", e.subjects}, {"details", details}};
}

bool MentionsSubject(const std::string& subjects, const std::string& uid) {
  size_t pos = 0;
  while ((pos = subjects.find(uid, pos)) != std::string::npos) {
    const size_t end = pos + uid.size();
    if ((pos == 0 || subjects[pos - 1] == ' ') && (end == subjects.size() || subjects[end] == ' ')) {
      return true;
    }
    pos = end;
  }
  return false;
}

}  // namespace

Result<std::string> Galleries::ExportPerson(const std::string& gallery_name,
                                            const std::string& person_id,
                                            const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActorAndPurpose(context));
  Impl& self = *impl_;
  json out;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto record = gallery::FindGalleryOrError(txn, gallery_name);
    if (!record.ok()) return record.status();
    auto person = gallery::FindPersonOrError(txn, gallery_name, person_id);
    if (!person.ok()) return person.status();
    auto profile = self.OpenProfile(person.value());
    if (!profile.ok()) return profile.status();
    const int64_t now = self.NowMs();
    out["format"] = "facet.person-export.v1";
    out["exported_at"] = FormatTime(audit::FromUnixMillis(now));
    out["gallery"] = {{"name", record->name}, {"purpose", record->purpose}, {"use", record->use}};
    out["person"] = {{"person_id", person->person_id},
                     {"uid", person->uid},
                     {"display_name", profile->display_name},
                     {"external_ref", profile->external_ref},
                     {"created_at", FormatTime(audit::FromUnixMillis(person->created_ms))}};
    json consents = json::array();
    auto consent_records = txn.ListConsents(person->id);
    if (!consent_records.ok()) return consent_records.status();
    for (const store::ConsentRecord& c : consent_records.value()) {
      json item = {{"consent_id", c.id},
                   {"granted_by", c.granted_by},
                   {"scope", c.scope},
                   {"purpose", c.purpose},
                   {"evidence", c.evidence},
                   {"granted_at", FormatTime(audit::FromUnixMillis(c.granted_ms))},
                   {"expires_at", nullptr},
                   {"revoked_at", nullptr},
                   {"valid", gallery::ConsentValidAt(c, now)}};
      if (c.expires_ms) item["expires_at"] = FormatTime(audit::FromUnixMillis(*c.expires_ms));
      if (c.revoked_ms) item["revoked_at"] = FormatTime(audit::FromUnixMillis(*c.revoked_ms));
      consents.push_back(std::move(item));
    }
    out["consents"] = std::move(consents);
    json faces = json::array();
    auto face_records = txn.ListFaces(person->id, true);
    if (!face_records.ok()) return face_records.status();
    if (!face_records->empty()) {
      auto key = crypto::UnwrapKey(self.master, person->wrapped_key,
                                   gallery::PersonKeyContext(person->uid));
      if (!key.ok()) return key.status();
      for (const store::FaceRecord& f : face_records.value()) {
        auto plain = crypto::Open(key.value(), f.sealed_template,
                                  gallery::TemplateContext(person->uid, record->id, record->model,
                                                           record->model_version));
        if (!plain.ok()) return plain.status();
        auto values = gallery::BytesToFloats(plain.value(), record->dimensions);
        if (!values.ok()) return values.status();
        json item = {{"face_id", f.id},
                     {"quality", f.quality},
                     {"source_sha256", f.source_sha256},
                     {"created_at", FormatTime(audit::FromUnixMillis(f.created_ms))},
                     {"model", record->model},
                     {"model_version", record->model_version},
                     {"template", values.value()},
                     {"photo_base64", nullptr}};
        if (!f.sealed_user_data.empty()) {
          auto user_data = crypto::Open(key.value(), f.sealed_user_data,
                                        gallery::FaceUserDataContext(person->uid, f.id));
          if (!user_data.ok()) return user_data.status();
          item["user_data"] = std::string(user_data->begin(), user_data->end());
        }
        if (!f.sealed_photo.empty()) {
          auto photo = crypto::Open(key.value(), f.sealed_photo, gallery::PhotoContext(person->uid));
          if (!photo.ok()) return photo.status();
          item["photo_base64"] = crypto::Base64(photo.value());
        }
        faces.push_back(std::move(item));
      }
    }
    out["faces"] = std::move(faces);
    json entries = json::array();
    FACET_RETURN_IF_ERROR(txn.ScanAudit(1, [&](const AuditEntry& e) {
      if (MentionsSubject(e.subjects, person->uid)) entries.push_back(AuditToJson(e));
      return true;
    }));
    out["audit"] = std::move(entries);
    return self.Audit(txn, now, context, "person_export", gallery_name, person->uid,
                      json{{"faces", out["faces"].size()}}.dump());
  }));
  // Text is checked to be UTF-8 on the way in (CheckText); a store written before that check
  // could hold other bytes, which are replaced rather than failing the subject's export.
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

namespace gallery {

Result<AuditReport> VerifyAuditIn(store::StoreTxn& txn, const audit::AuditChain& chain,
                                  const AuditAnchor* anchor, store::AuditHead* head_out) {
  audit::AuditVerifier verifier(chain, anchor);
  FACET_RETURN_IF_ERROR(txn.ScanAudit(std::numeric_limits<int64_t>::min(),
                                      [&](const AuditEntry& e) { return verifier.Add(e); }));
  auto head = txn.GetAuditHead();
  if (!head.ok()) return head.status();
  AuditReport report = verifier.Finish(head->count, head->hash, head->mac);
  if (head_out != nullptr) *head_out = head.value();
  if (!report.intact) return report;
  auto missing = txn.MissingAuditGuards();
  if (!missing.ok()) return missing.status();
  if (!missing->empty()) {
    std::string names;
    for (const std::string& name : missing.value()) names += (names.empty() ? "" : ", ") + name;
    report.intact = false;
    report.problem = "the audit log's append-only guards were removed (missing triggers: " +
                     names + "); facet never removes them: the store was edited outside facet";
  }
  return report;
}

}  // namespace gallery

using gallery::VerifyAuditIn;

Result<AuditReport> Galleries::VerifyAudit() {
  Impl& self = *impl_;
  Result<AuditReport> report = Status::Internal("audit not read");
  FACET_RETURN_IF_ERROR(self.store->Read([&](store::StoreTxn& txn) -> Status {
    report = VerifyAuditIn(txn, *self.chain, nullptr, nullptr);
    return report.status();
  }));
  return report;
}

Result<AuditReport> Galleries::VerifyAudit(const AuditAnchor& anchor) {
  Impl& self = *impl_;
  Result<AuditReport> report = Status::Internal("audit not read");
  FACET_RETURN_IF_ERROR(self.store->Read([&](store::StoreTxn& txn) -> Status {
    report = VerifyAuditIn(txn, *self.chain, &anchor, nullptr);
    return report.status();
  }));
  return report;
}

Result<AuditAnchor> Galleries::AnchorAudit() {
  Impl& self = *impl_;
  AuditAnchor anchor;
  FACET_RETURN_IF_ERROR(self.store->Read([&](store::StoreTxn& txn) -> Status {
    store::AuditHead head;
    auto report = VerifyAuditIn(txn, *self.chain, nullptr, &head);
    if (!report.ok()) return report.status();
    if (!report->intact) {
      return Status::CorruptData("the audit log is not intact, no anchor taken: " +
                                 report->problem);
    }
    anchor.store_uid = self.store_uid;
    anchor.count = head.count;
    anchor.hash = head.hash;
    anchor.mac = head.mac;
    anchor.time = audit::FromUnixMillis(self.NowMs());
    return Status::Ok();
  }));
  return anchor;
}

Result<std::vector<AuditEntry>> Galleries::ReadAudit(int64_t from_seq, int64_t limit) {
  if (limit < 0) return Status::InvalidArgument("limit must not be negative");
  std::vector<AuditEntry> out;
  FACET_RETURN_IF_ERROR(impl_->store->Read([&](store::StoreTxn& txn) -> Status {
    return txn.ScanAudit(from_seq, [&](const AuditEntry& e) {
      if (static_cast<int64_t>(out.size()) >= limit) return false;
      out.push_back(e);
      return true;
    });
  }));
  return out;
}

}  // namespace facet
