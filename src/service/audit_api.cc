// The audit log over HTTP: entries oldest or newest first, filtered by action, actor and person
// group, paged by sequence number; and the hash chain's check. Read-only: the log is written by
// the galleries library only.
#include <algorithm>
#include <map>

#include "service/api.h"
#include "service/request_parsing.h"

namespace facet::service {
namespace {

using Query = std::map<std::string, std::string>;

// At most this many entries are examined per request, so a filter that matches nothing costs a
// bounded time; nextFrom then says where to go on.
constexpr int64_t kMaxScanned = 20000;
constexpr int64_t kChunk = 500;

// The sequence number of the newest entry (0 for an empty log). Sequence numbers run 1, 2, 3,
// ... without gaps, so the head is found by doubling then bisecting, ~2 log2(n) tiny reads.
Result<int64_t> LastSeq(Galleries& store) {
  auto exists = [&](int64_t seq) -> Result<bool> {
    auto one = store.ReadAudit(seq, 1);
    if (!one.ok()) return one.status();
    return !one->empty();
  };
  int64_t known = 0;  // an existing seq (or 0)
  int64_t probe = 1;
  while (true) {
    auto found = exists(probe);
    if (!found.ok()) return found.status();
    if (!*found) break;
    known = probe;
    if (probe > INT64_MAX / 4) return known;
    probe *= 2;
  }
  int64_t missing = probe;  // known < head + 1 <= missing
  while (missing - known > 1) {
    const int64_t mid = known + (missing - known) / 2;
    auto found = exists(mid);
    if (!found.ok()) return found.status();
    (*found ? known : missing) = mid;
  }
  return known;
}

nlohmann::json EntryJson(const AuditEntry& e) {
  nlohmann::json details = nlohmann::json::parse(e.details, nullptr, false);
  if (details.is_discarded()) details = e.details;
  return {{"seq", e.seq},
          {"dateTime", FormatTime(e.time)},
          {"actor", e.actor},
          {"action", e.action},
          {"personGroupId", e.gallery},
          {"purpose", e.purpose},
          {"subjects", e.subjects},
          {"details", details}};
}

}  // namespace

void Api::ReadAudit(const httplib::Request& req, httplib::Response& res, const CallContext&) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params,
                          {"from", "limit", "order", "action", "actor", "personGroupId"}, &q)) {
    return SetApiError(res, *e);
  }
  const bool newest = q["order"] == "newest";
  if (!q["order"].empty() && !newest && q["order"] != "oldest") {
    return SetError(res, 400, "BadArgument", "order must be oldest or newest");
  }
  int64_t from = 0, limit = 100;
  if (q.count("from") != 0) {
    if (auto e = ParseIntText("from", q["from"], 1, INT64_MAX / 2, &from)) {
      return SetApiError(res, *e);
    }
  }
  if (q.count("limit") != 0) {
    if (auto e = ParseIntText("limit", q["limit"], 1, 1000, &limit)) return SetApiError(res, *e);
  }
  auto last = LastSeq(*store);
  if (!last.ok()) return SetStatusError(res, last.status());
  auto wanted = [&](const AuditEntry& e) {
    return (q["action"].empty() || e.action == q["action"]) &&
           (q["actor"].empty() || e.actor == q["actor"]) &&
           (q["personGroupId"].empty() || e.gallery == q["personGroupId"]);
  };
  nlohmann::json out = nlohmann::json::array();
  // `next` is the first entry not examined yet, in the order asked for.
  int64_t next = newest ? (from == 0 ? *last : std::min(from, *last)) : std::max<int64_t>(from, 1);
  int64_t scanned = 0;
  while (std::ssize(out) < limit && scanned < kMaxScanned && next >= 1 && next <= *last) {
    const int64_t first = newest ? std::max<int64_t>(1, next - kChunk + 1) : next;
    const int64_t count = newest ? next - first + 1 : std::min(kChunk, *last - next + 1);
    auto entries = store->ReadAudit(first, count);
    if (!entries.ok()) return SetStatusError(res, entries.status());
    if (entries->empty()) break;
    if (newest) std::reverse(entries->begin(), entries->end());
    for (const AuditEntry& e : *entries) {
      if (std::ssize(out) >= limit) break;
      ++scanned;
      next = newest ? e.seq - 1 : e.seq + 1;
      if (wanted(e)) out.push_back(EntryJson(e));
    }
  }
  const bool more = newest ? next >= 1 : next <= *last;
  SetJson(res, 200,
          {{"entries", out},
           {"order", newest ? "newest" : "oldest"},
           {"lastSeq", *last},
           {"nextFrom", more ? nlohmann::json(next) : nlohmann::json(nullptr)}});
}

void Api::VerifyAudit(const httplib::Request& req, httplib::Response& res, const CallContext&) {
  Galleries* store = Store(res);
  if (store == nullptr) return;
  Query q;
  if (auto e = ParseQuery(req.params, {}, &q)) return SetApiError(res, *e);
  auto report = store->VerifyAudit();
  if (!report.ok()) return SetStatusError(res, report.status());
  SetJson(res, 200,
          {{"intact", report->intact},
           {"entries", report->entries},
           {"firstBadSeq", report->first_bad_seq},
           {"problem", report->problem},
           {"headHash", report->head_hash_hex}});
}

}  // namespace facet::service
