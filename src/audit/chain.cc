#include "audit/chain.h"

#include <algorithm>
#include <string_view>

namespace facet::audit {
namespace {

void PutInt(crypto::Blake2bHasher& h, int64_t v) {
  std::array<uint8_t, 8> bytes{};
  auto u = static_cast<uint64_t>(v);
  for (uint8_t& b : bytes) {
    b = static_cast<uint8_t>(u & 0xff);
    u >>= 8;
  }
  h.Update(bytes);
}

void PutString(crypto::Blake2bHasher& h, std::string_view s) {
  PutInt(h, static_cast<int64_t>(s.size()));
  h.Update(s);
}

}  // namespace

int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromUnixMillis(int64_t ms) {
  // Saturates instead of overflowing: a stored or parsed value beyond TimePoint's range (about
  // +-292 years around 1970 in nanoseconds) becomes the nearest representable time.
  using Duration = TimePoint::duration;
  constexpr int64_t kLimit =
      std::chrono::duration_cast<std::chrono::milliseconds>(Duration::max()).count();
  const int64_t clamped = std::clamp<int64_t>(ms, -kLimit, kLimit);
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::milliseconds(clamped)));
}

AuditChain::AuditChain(crypto::SecretKey key, std::string store_uid)
    : key_(std::move(key)), store_uid_(std::move(store_uid)) {}

Hash AuditChain::Genesis() const {
  crypto::Blake2bHasher h(&key_);
  PutString(h, "facet.audit.genesis.v1");
  PutString(h, store_uid_);
  return h.Final();
}

Hash AuditChain::EntryHash(const AuditEntry& e) const {
  crypto::Blake2bHasher h(&key_);
  PutString(h, "facet.audit.v1");
  PutInt(h, e.seq);
  PutInt(h, ToUnixMillis(e.time));
  PutString(h, e.actor);
  PutString(h, e.action);
  PutString(h, e.gallery);
  PutString(h, e.purpose);
  PutString(h, e.subjects);
  PutString(h, e.details);
  h.Update(e.previous_hash);
  return h.Final();
}

void AuditChain::Link(const AuditEntry* previous, AuditEntry* next) const {
  next->seq = previous != nullptr ? previous->seq + 1 : 1;
  next->previous_hash = previous != nullptr ? previous->hash : Genesis();
  next->hash = EntryHash(*next);
}

Hash AuditChain::HeadMac(int64_t count, const Hash& newest) const {
  crypto::Blake2bHasher h(&key_);
  PutString(h, "facet.audit.head.v1");
  PutInt(h, count);
  h.Update(newest);
  return h.Final();
}

AuditVerifier::AuditVerifier(const AuditChain& chain, const AuditAnchor* anchor)
    : chain_(chain), anchor_(anchor), previous_(chain.Genesis()) {
  if (anchor_ == nullptr) return;
  // An anchor of another store, or one not made with this store's key, proves nothing.
  if (anchor_->store_uid != chain_.store_uid()) {
    Fail(0, "the anchor is of another store (store uid " + anchor_->store_uid + ", this store " +
                chain_.store_uid() + ")");
  } else if (chain_.HeadMac(anchor_->count, anchor_->hash) != anchor_->mac) {
    Fail(0, "the anchor was not made with this store's key (forged or damaged anchor)");
  }
}

void AuditVerifier::Fail(int64_t seq, std::string problem) {
  failed_ = true;
  report_.first_bad_seq = seq;
  report_.problem = std::move(problem);
}

bool AuditVerifier::Add(const AuditEntry& entry) {
  if (failed_) return false;
  ++report_.entries;
  const int64_t expected = previous_seq_ + 1;
  if (entry.seq != expected) {
    Fail(entry.seq, entry.seq > expected
                        ? "entry " + std::to_string(expected) + " is missing (removed)"
                        : "entry " + std::to_string(entry.seq) + " is out of order after entry " +
                              std::to_string(previous_seq_));
    return false;
  }
  if (entry.previous_hash != previous_) {
    Fail(entry.seq, "entry " + std::to_string(entry.seq) +
                        " does not link to the entry before it (removed, inserted or reordered)");
    return false;
  }
  if (entry.hash != chain_.EntryHash(entry)) {
    Fail(entry.seq, "entry " + std::to_string(entry.seq) +
                        " was altered (its hash does not match its contents)");
    return false;
  }
  if (anchor_ != nullptr && entry.seq == anchor_->count && entry.hash != anchor_->hash) {
    Fail(entry.seq, "entry " + std::to_string(entry.seq) +
                        " is not the one anchored: the log was forked or replaced after the anchor");
    return false;
  }
  previous_ = entry.hash;
  previous_seq_ = entry.seq;
  return true;
}

AuditReport AuditVerifier::Finish(int64_t head_count, const Hash& head_hash, const Hash& head_mac) {
  if (!failed_) {
    if (chain_.HeadMac(head_count, head_hash) != head_mac) {
      Fail(previous_seq_ + 1, "the head record (entry count and newest hash) was altered");
    } else if (head_count != previous_seq_ || head_hash != previous_) {
      Fail(previous_seq_ + 1,
           "the log ends at entry " + std::to_string(previous_seq_) + " but the head record says " +
               std::to_string(head_count) + " entries (entries removed from the end)");
    } else if (anchor_ != nullptr && previous_seq_ < anchor_->count) {
      Fail(previous_seq_ + 1, "the log ends at entry " + std::to_string(previous_seq_) +
                                  " but the anchor records entry " +
                                  std::to_string(anchor_->count) +
                                  ": the log was cut back (entries removed with an older head "
                                  "written back) or replaced");
    }
  }
  report_.intact = !failed_;
  report_.head_hash_hex = crypto::ToHex(previous_);
  return report_;
}

}  // namespace facet::audit
