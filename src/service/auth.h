// Authentication of API requests: key lookup in the key file (re-read when it changes), Argon2id
// verification with a cache of recent successes, scope checks, per-key and per-address limits.
//
// Thread-safety: every method may be called concurrently.
#ifndef FACET_SRC_SERVICE_AUTH_H_
#define FACET_SRC_SERVICE_AUTH_H_

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "facet/api_keys.h"
#include "facet/status.h"
#include "service/rate_limit.h"

namespace facet::service {

struct AuthOptions {
  std::string key_file;
  // Extra keys held only in memory (the ephemeral key of a loopback server without keys).
  std::vector<ApiKeyRecord> memory_keys;
  // A verified key is trusted for this long without a new Argon2id evaluation (revocation and
  // key-file changes clear the cache at once).
  std::chrono::seconds cache_ttl{300};
  // Argon2id evaluations running at once (each takes ~19 MiB); further ones wait.
  int max_concurrent_verifications = 2;
  // The key file's modification time is checked at most this often.
  std::chrono::milliseconds reload_interval{1000};
};

struct Caller {
  std::string key_id;
  std::string key_name;
  uint32_t scopes = 0;
  double rate_per_second = 0;  // 0: the server's default
  int burst = 0;
  std::string purpose;  // the key's declared purpose (ApiKeyRecord::purpose); may be empty
};

enum class AuthOutcome {
  kOk,
  kMissing,    // no key in the request: 401
  kInvalid,    // malformed, unknown, revoked or wrong secret: 401
  kThrottled,  // an Argon2id check was needed and `allow_slow_check` said no: 429
};

class Authenticator {
 public:
  // Loads the key file; fails as ApiKeyFile::Load does.
  static Result<std::unique_ptr<Authenticator>> Create(AuthOptions options);

  // Checks the presented key (empty: none was sent). On kOk fills `caller`. A key recently
  // verified is accepted from the cache; otherwise, before an Argon2id evaluation (the only costly
  // step, run only for the id of an active key), `allow_slow_check` is asked with that key id (the
  // caller's failure limits), and `on_slow_failure` is told the id when that evaluation rejected
  // the key.
  using SlowCheckHook = std::function<bool(const std::string& key_id)>;
  using SlowFailureHook = std::function<void(const std::string& key_id)>;
  AuthOutcome Authenticate(const std::string& presented_key, Caller* caller,
                           const SlowCheckHook& allow_slow_check = nullptr,
                           const SlowFailureHook& on_slow_failure = nullptr);

  // Active keys (file + memory) as last loaded.
  int ActiveKeys();

  // Re-reads the key file now if it changed (called by Authenticate at most every
  // reload_interval). A file that became unreadable or malformed keeps the previous keys and
  // reports the error.
  Status ReloadIfChanged();

 private:
  explicit Authenticator(AuthOptions options);
  std::optional<ApiKeyRecord> FindKey(const std::string& id);
  bool VerifyLimited(const ApiKeyRecord& record, const std::string& secret);
  std::array<uint8_t, 32> CacheKey(const std::string& presented) const;

  const AuthOptions options_;
  std::array<uint8_t, 32> cache_secret_{};

  std::mutex mutex_;  // guards everything below
  std::vector<ApiKeyRecord> keys_;
  bool loaded_once_ = false;
  int64_t file_mtime_ns_ = -1;
  int64_t file_size_ = -1;
  int64_t file_inode_ = -1;
  std::chrono::steady_clock::time_point last_check_;
  struct CacheEntry {
    std::string key_id;
    std::chrono::steady_clock::time_point expires;
  };
  std::unordered_map<std::string, CacheEntry> cache_;  // keyed by BLAKE2b(presented key)

  std::mutex verify_mutex_;
  std::condition_variable verify_cv_;
  int verifying_ = 0;
};

// The key a request presents: "Ocp-Apim-Subscription-Key: KEY" (Azure's header) or
// "Authorization: Bearer KEY". Empty when neither is present.
std::string PresentedKey(const std::string& subscription_header,
                         const std::string& authorization_header);

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_AUTH_H_
