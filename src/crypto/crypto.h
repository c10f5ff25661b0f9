// Encryption at rest with libsodium: XChaCha20-Poly1305 (IETF) for data and wrapped keys,
// BLAKE2b for checksums and the audit chain, SHA-256 for content hashes, crypto_kdf for subkeys.
//
// Key hierarchy (docs/store_format.md): a 32-byte master key (key file or environment variable)
// wraps one random data key per person; templates and photos are sealed under the person's key.
// Subkeys for the audit chain, profile fields and index snapshots are derived from the master key.
//
// Thread-safety: SecretKey is immutable after construction; all functions are reentrant.
#ifndef FACET_SRC_CRYPTO_CRYPTO_H_
#define FACET_SRC_CRYPTO_CRYPTO_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "facet/status.h"

namespace facet::crypto {

inline constexpr size_t kKeyBytes = 32;
// nonce (24) + Poly1305 tag (16) added by Seal.
inline constexpr size_t kSealOverhead = 24 + 16;

// Initialises libsodium once (thread-safe). kInternal if it cannot.
Status EnsureSodium();

// A 32-byte secret key in guarded memory (sodium_malloc: locked, zeroed on release).
class SecretKey {
 public:
  // A fresh random key.
  static Result<SecretKey> Random();
  // Copies exactly kKeyBytes bytes.
  static Result<SecretKey> FromBytes(std::span<const uint8_t> bytes);
  // 64 hexadecimal characters (surrounding whitespace ignored).
  static Result<SecretKey> FromHex(std::string_view hex);

  SecretKey(SecretKey&&) noexcept = default;
  SecretKey& operator=(SecretKey&&) noexcept = default;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  std::span<const uint8_t, kKeyBytes> bytes() const;

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  explicit SecretKey(std::unique_ptr<uint8_t, Free> key) : key_(std::move(key)) {}
  std::unique_ptr<uint8_t, Free> key_;
};

// Derives subkey `id` of `master` for the 8-character `context` (crypto_kdf).
Result<SecretKey> DeriveSubkey(const SecretKey& master, uint64_t id, std::string_view context);

// XChaCha20-Poly1305: random nonce || ciphertext || tag. `associated` is authenticated but not
// stored: opening with different associated data fails (it binds a blob to its row).
Result<std::vector<uint8_t>> Seal(const SecretKey& key, std::span<const uint8_t> plaintext,
                                  std::string_view associated);
// kCorruptData when the blob was altered, truncated, sealed under another key or for other
// associated data.
Result<std::vector<uint8_t>> Open(const SecretKey& key, std::span<const uint8_t> sealed,
                                  std::string_view associated);

// Wraps (seals) a data key under a key-encryption key, and back.
Result<std::vector<uint8_t>> WrapKey(const SecretKey& kek, const SecretKey& key,
                                     std::string_view associated);
Result<SecretKey> UnwrapKey(const SecretKey& kek, std::span<const uint8_t> wrapped,
                            std::string_view associated);

// BLAKE2b-256 of `data`, keyed when `key` is non-null.
std::array<uint8_t, 32> Blake2b256(std::span<const uint8_t> data, const SecretKey* key = nullptr);

// Incremental BLAKE2b-256 (optionally keyed).
class Blake2bHasher {
 public:
  explicit Blake2bHasher(const SecretKey* key = nullptr);
  ~Blake2bHasher();
  Blake2bHasher(const Blake2bHasher&) = delete;
  Blake2bHasher& operator=(const Blake2bHasher&) = delete;
  void Update(std::span<const uint8_t> data);
  void Update(std::string_view text);
  std::array<uint8_t, 32> Final();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// SHA-256 of `data` as 64 lowercase hex characters.
std::string Sha256Hex(std::span<const uint8_t> data);

std::string ToHex(std::span<const uint8_t> bytes);
// Hex (even length, 0-9a-fA-F) to bytes; kInvalidArgument otherwise.
Result<std::vector<uint8_t>> FromHex(std::string_view hex);
// Constant-time comparison of equal-length buffers (false when lengths differ).
bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

// Standard base64 with padding.
std::string Base64(std::span<const uint8_t> bytes);

// `n` random bytes as hex.
std::string RandomHex(size_t n);

// Creates `path` with mode 0600 (fails if it exists) holding a fresh master key as 64 hex
// characters and a newline, fsynced. Returns the key.
Result<SecretKey> CreateKeyFile(const std::string& path);

// Reads a master key file. Refuses a file readable or writable by group or others.
Result<SecretKey> ReadKeyFile(const std::string& path);

}  // namespace facet::crypto

#endif  // FACET_SRC_CRYPTO_CRYPTO_H_
