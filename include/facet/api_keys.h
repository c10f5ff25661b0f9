// API keys of `facet serve`: who may call the service, with which scopes, at what rate.
//
// A key is shown once, when it is made: "fk_<id>_<secret>" (id: 12 hex characters; secret: 32
// random bytes in base64url). The key file keeps only the id, a name, the scopes, the rate limit
// and an Argon2id hash of the secret (libsodium crypto_pwhash_str), never the key itself. The file
// is JSON, written atomically with mode 0600 (docs/service.md describes it).
//
// Thread-safety: ApiKeyFile is a value type; Load/Save are reentrant. Concurrent writers of the
// same file are serialised with an advisory lock (flock) around read-modify-write in the helpers
// AddApiKey / RevokeApiKey.
#ifndef FACET_API_KEYS_H_
#define FACET_API_KEYS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "facet/status.h"

namespace facet {

// What a key may do. A request needs the scope of its endpoint (docs/service.md); `admin` is
// needed to manage galleries, persons, consents, faces and to read the audit log. Scopes do not
// imply each other.
enum ApiScope : uint32_t {
  kScopeDetect = 1u << 0,
  kScopeVerify = 1u << 1,
  kScopeIdentify = 1u << 2,
  kScopeAdmin = 1u << 3,
  kScopeAll = kScopeDetect | kScopeVerify | kScopeIdentify | kScopeAdmin,
};

// "detect,verify" -> mask; "all" is every scope. kInvalidArgument for an unknown name or none.
Result<uint32_t> ParseApiScopes(std::string_view comma_separated);
// Mask -> "detect,verify,..." (in the order above).
std::string ApiScopesToString(uint32_t scopes);

struct ApiKeyRecord {
  std::string id;    // 12 lowercase hex characters
  std::string name;  // for people: who or what uses the key
  uint32_t scopes = 0;
  std::string hash;  // Argon2id string ("$argon2id$v=19$m=...")
  int64_t created_unix = 0;
  std::optional<int64_t> revoked_unix;
  // Requests per second this key may make (token bucket), and the bucket's size. 0: the
  // server's default.
  double rate_per_second = 0;
  int burst = 0;
  // What requests made with this key are for ("door access"), declared once when the key is
  // made. Identifications and verifications that name no purpose are audited with this one
  // (docs/service.md); empty: such requests must name a purpose.
  std::string purpose;

  bool active() const { return !revoked_unix.has_value(); }
};

struct ApiKeyFile {
  std::vector<ApiKeyRecord> keys;

  // Reads `path`. A missing file is an empty key list; a malformed one is kCorruptData; a file
  // readable by group or others is kFailedPrecondition (it must be 0600).
  static Result<ApiKeyFile> Load(const std::string& path);
  // Writes atomically (temporary file, fsync, rename) with mode 0600.
  Status Save(const std::string& path) const;

  const ApiKeyRecord* Find(std::string_view id) const;
  int ActiveCount() const;
};

struct NewApiKey {
  ApiKeyRecord record;
  std::string key;  // the full key: shown once, never stored
};

struct ApiKeyOptions {
  std::string name;
  uint32_t scopes = 0;
  double rate_per_second = 0;
  int burst = 0;
  std::string purpose{};  // optional (ApiKeyRecord::purpose)
};

// Makes a key (random id and secret, Argon2id hash of the secret). kInvalidArgument for a name
// that is empty or only whitespace, a purpose of only whitespace, or no scope.
Result<NewApiKey> MakeApiKey(const ApiKeyOptions& options);

// Load + add a new key + save, under the file's lock.
Result<NewApiKey> AddApiKey(const std::string& path, const ApiKeyOptions& options);
// Load + mark the key revoked + save, under the file's lock. kNotFound for an unknown id.
Status RevokeApiKey(const std::string& path, std::string_view id);

// Splits "fk_<id>_<secret>"; kInvalidArgument when the text is not shaped like a key.
struct ApiKeyParts {
  std::string id;
  std::string secret;
};
Result<ApiKeyParts> SplitApiKey(std::string_view key);

// True when `secret` matches the record's Argon2id hash. Costs one Argon2id evaluation
// (about 20 MiB and tens of milliseconds): callers cache positive answers.
bool VerifyApiKeySecret(const ApiKeyRecord& record, std::string_view secret);

// The default key file: $FACET_API_KEYS, else $XDG_CONFIG_HOME/facet/api_keys.json
// (~/.config/facet/api_keys.json).
std::string DefaultApiKeyFile();

}  // namespace facet

#endif  // FACET_API_KEYS_H_
