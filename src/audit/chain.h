// The audit hash chain: hashing, linking and verifying AuditEntry sequences.
//
// hash(e) = BLAKE2b-256 keyed with the audit key over a length-prefixed encoding of
// "facet.audit.v1", seq, time (ms), actor, action, gallery, purpose, subjects, details and
// previous_hash. The first entry's previous_hash is the genesis value, a keyed hash of the
// store's uid (so a log cannot be moved to another store). The head record (count + newest
// hash) is MACed under the same key.
//
// Thread-safety: AuditChain is immutable after construction; AuditVerifier is single-threaded.
#ifndef FACET_SRC_AUDIT_CHAIN_H_
#define FACET_SRC_AUDIT_CHAIN_H_

#include <array>
#include <cstdint>
#include <string>

#include "crypto/crypto.h"
#include "facet/audit.h"

namespace facet::audit {

using Hash = std::array<uint8_t, 32>;

class AuditChain {
 public:
  AuditChain(crypto::SecretKey key, std::string store_uid);

  Hash Genesis() const;
  Hash EntryHash(const AuditEntry& entry) const;
  // Sets next.seq (previous seq + 1, or 1), next.previous_hash and next.hash.
  void Link(const AuditEntry* previous, AuditEntry* next) const;
  // MAC of the head record (entry count and newest hash).
  Hash HeadMac(int64_t count, const Hash& newest) const;
  const std::string& store_uid() const { return store_uid_; }

 private:
  crypto::SecretKey key_;
  std::string store_uid_;
};

// Feed entries in storage order (ascending seq as stored); then Finish with the stored head.
// With an anchor (a head recorded earlier, kept elsewhere), the log must also still contain the
// anchored entry with the anchored hash: a log cut back, forked or replaced since fails.
class AuditVerifier {
 public:
  explicit AuditVerifier(const AuditChain& chain, const AuditAnchor* anchor = nullptr);
  // Returns false once a problem was found (further entries are ignored).
  bool Add(const AuditEntry& entry);
  AuditReport Finish(int64_t head_count, const Hash& head_hash, const Hash& head_mac);

 private:
  void Fail(int64_t seq, std::string problem);
  const AuditChain& chain_;
  const AuditAnchor* const anchor_;  // may be null; not owned
  AuditReport report_;
  Hash previous_;
  int64_t previous_seq_ = 0;
  bool failed_ = false;
};

int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);

}  // namespace facet::audit

#endif  // FACET_SRC_AUDIT_CHAIN_H_
