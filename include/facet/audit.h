// The audit log of a gallery store: append-only and hash-chained.
//
// Every enrollment, verification, identification, deletion, consent change and export appends
// one entry, in the same transaction as the change itself. Entries carry the actor, the stated
// purpose, the time and counts; never templates, photos or names. Persons appear only by their
// pseudonymous uid (`PersonInfo::uid`), which means nothing once the person is erased.
//
// Each entry's hash is a keyed BLAKE2b (key derived from the master key) over its fields and the
// previous entry's hash; the store also keeps a keyed record of the newest entry. Editing,
// removing, inserting or reordering entries breaks the chain (docs/store_format.md).
//
// Thread-safety: plain value types.
#ifndef FACET_AUDIT_H_
#define FACET_AUDIT_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "facet/status.h"

namespace facet {

using TimePoint = std::chrono::system_clock::time_point;

struct AuditEntry {
  int64_t seq = 0;  // 1, 2, 3, ... without gaps
  TimePoint time{};
  std::string actor{};     // who did it (as stated by the caller)
  std::string action{};    // "enroll", "identify", "verify", "consent_grant", ... (docs/store_format.md)
  std::string gallery{};   // gallery name, empty for store-wide actions
  std::string purpose{};   // the stated purpose (identify/verify/export), or a reason
  std::string subjects{};  // space-separated person uids concerned (may be empty)
  std::string details{};   // a JSON object of counts and ids; never templates
  std::array<uint8_t, 32> previous_hash{};
  std::array<uint8_t, 32> hash{};
};

// Result of checking the whole chain.
struct AuditReport {
  bool intact = false;
  int64_t entries = 0;         // entries read
  int64_t first_bad_seq = 0;   // 0 when intact
  std::string problem{};         // what is wrong, for a person to read; empty when intact
  std::string head_hash_hex{};   // hash of the newest entry (record it elsewhere to detect rollback)
};

// A copy of the audit log's head (entry count, newest hash and its keyed MAC) to keep outside the
// store. Someone who can write the store file could cut the log back to an older head and write
// that head's record back (the MAC of an old head stays valid); an anchor taken later shows it:
// the log must still contain the anchored entry with the anchored hash. The MAC proves that the
// anchor was made from this store with its master key. Not secret: it holds no personal data.
struct AuditAnchor {
  std::string store_uid{};  // the store's random id (meta store_uid)
  int64_t count = 0;        // entries in the log when anchored (the newest entry's seq)
  std::array<uint8_t, 32> hash{};  // the newest entry's hash
  std::array<uint8_t, 32> mac{};   // the head record's MAC over count and hash
  TimePoint time{};                // when the anchor was taken
};

// The anchor as one line of JSON ({"format":"facet.audit.anchor.v1", ...}), and back.
// ParseAuditAnchor: kInvalidArgument naming what is missing or malformed.
std::string FormatAuditAnchor(const AuditAnchor& anchor);
Result<AuditAnchor> ParseAuditAnchor(const std::string& text);

}  // namespace facet

#endif  // FACET_AUDIT_H_
