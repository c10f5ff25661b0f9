#include "crypto/crypto.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace facet::crypto {

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kKeyBytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES ==
              kSealOverhead);
static_assert(crypto_kdf_KEYBYTES == kKeyBytes);

Status EnsureSodium() {
  static const int result = sodium_init();  // thread-safe: static initialisation
  if (result < 0) return Status::Internal("libsodium failed to initialise");
  return Status::Ok();
}

void SecretKey::Free::operator()(uint8_t* p) const { sodium_free(p); }

Result<SecretKey> SecretKey::FromBytes(std::span<const uint8_t> bytes) {
  FACET_RETURN_IF_ERROR(EnsureSodium());
  if (bytes.size() != kKeyBytes) {
    return Status::InvalidArgument("a key must be " + std::to_string(kKeyBytes) + " bytes, not " +
                                   std::to_string(bytes.size()));
  }
  auto* memory = static_cast<uint8_t*>(sodium_malloc(kKeyBytes));
  if (memory == nullptr) return Status::ResourceExhausted("cannot allocate guarded key memory");
  std::memcpy(memory, bytes.data(), kKeyBytes);
  return SecretKey(std::unique_ptr<uint8_t, Free>(memory));
}

Result<SecretKey> SecretKey::Random() {
  FACET_RETURN_IF_ERROR(EnsureSodium());
  std::array<uint8_t, kKeyBytes> buffer{};
  randombytes_buf(buffer.data(), buffer.size());
  auto key = FromBytes(buffer);
  sodium_memzero(buffer.data(), buffer.size());
  return key;
}

Result<SecretKey> SecretKey::FromHex(std::string_view hex) {
  FACET_RETURN_IF_ERROR(EnsureSodium());
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
  if (hex.size() != 2 * kKeyBytes) {
    return Status::InvalidArgument("a master key must be 64 hexadecimal characters");
  }
  std::array<uint8_t, kKeyBytes> buffer{};
  size_t written = 0;
  if (sodium_hex2bin(buffer.data(), buffer.size(), hex.data(), hex.size(), nullptr, &written,
                     nullptr) != 0 ||
      written != kKeyBytes) {
    return Status::InvalidArgument("a master key must be 64 hexadecimal characters");
  }
  auto key = FromBytes(buffer);
  sodium_memzero(buffer.data(), buffer.size());
  return key;
}

std::span<const uint8_t, kKeyBytes> SecretKey::bytes() const {
  return std::span<const uint8_t, kKeyBytes>(key_.get(), kKeyBytes);
}

Result<SecretKey> DeriveSubkey(const SecretKey& master, uint64_t id, std::string_view context) {
  FACET_RETURN_IF_ERROR(EnsureSodium());
  if (context.size() != crypto_kdf_CONTEXTBYTES) {
    return Status::Internal("a KDF context must be 8 characters");
  }
  std::array<uint8_t, kKeyBytes> buffer{};
  char ctx[crypto_kdf_CONTEXTBYTES];
  std::memcpy(ctx, context.data(), sizeof ctx);
  if (crypto_kdf_derive_from_key(buffer.data(), buffer.size(), id, ctx, master.bytes().data()) !=
      0) {
    return Status::Internal("key derivation failed");
  }
  auto key = SecretKey::FromBytes(buffer);
  sodium_memzero(buffer.data(), buffer.size());
  return key;
}

Result<std::vector<uint8_t>> Seal(const SecretKey& key, std::span<const uint8_t> plaintext,
                                  std::string_view associated) {
  FACET_RETURN_IF_ERROR(EnsureSodium());
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::vector<uint8_t> out(kNonce + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  randombytes_buf(out.data(), kNonce);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(
          out.data() + kNonce, &written, plaintext.data(), plaintext.size(),
          reinterpret_cast<const unsigned char*>(associated.data()), associated.size(), nullptr,
          out.data(), key.bytes().data()) != 0) {
    return Status::Internal("encryption failed");
  }
  out.resize(kNonce + written);
  return out;
}

Result<std::vector<uint8_t>> Open(const SecretKey& key, std::span<const uint8_t> sealed,
                                  std::string_view associated) {
  FACET_RETURN_IF_ERROR(EnsureSodium());
  if (sealed.size() < kSealOverhead) return Status::CorruptData("sealed data is truncated");
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::vector<uint8_t> out(sealed.size() - kSealOverhead);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &written, nullptr, sealed.data() + kNonce, sealed.size() - kNonce,
          reinterpret_cast<const unsigned char*>(associated.data()), associated.size(),
          sealed.data(), key.bytes().data()) != 0) {
    return Status::CorruptData(
        "authentication failed: the data was altered or sealed under another key");
  }
  out.resize(written);
  return out;
}

Result<std::vector<uint8_t>> WrapKey(const SecretKey& kek, const SecretKey& key,
                                     std::string_view associated) {
  return Seal(kek, key.bytes(), associated);
}

Result<SecretKey> UnwrapKey(const SecretKey& kek, std::span<const uint8_t> wrapped,
                            std::string_view associated) {
  auto bytes = Open(kek, wrapped, associated);
  if (!bytes.ok()) return bytes.status();
  auto key = SecretKey::FromBytes(bytes.value());
  sodium_memzero(bytes->data(), bytes->size());
  return key;
}

std::array<uint8_t, 32> Blake2b256(std::span<const uint8_t> data, const SecretKey* key) {
  Blake2bHasher hasher(key);
  hasher.Update(data);
  return hasher.Final();
}

struct Blake2bHasher::State {
  crypto_generichash_state state;
};

Blake2bHasher::Blake2bHasher(const SecretKey* key) : state_(std::make_unique<State>()) {
  (void)EnsureSodium();
  crypto_generichash_init(&state_->state, key != nullptr ? key->bytes().data() : nullptr,
                          key != nullptr ? kKeyBytes : 0, 32);
}

Blake2bHasher::~Blake2bHasher() { sodium_memzero(state_.get(), sizeof(State)); }

void Blake2bHasher::Update(std::span<const uint8_t> data) {
  crypto_generichash_update(&state_->state, data.data(), data.size());
}

void Blake2bHasher::Update(std::string_view text) {
  crypto_generichash_update(&state_->state, reinterpret_cast<const unsigned char*>(text.data()),
                            text.size());
}

std::array<uint8_t, 32> Blake2bHasher::Final() {
  std::array<uint8_t, 32> out{};
  crypto_generichash_final(&state_->state, out.data(), out.size());
  return out;
}

std::string Sha256Hex(std::span<const uint8_t> data) {
  (void)EnsureSodium();
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), data.data(), data.size());
  return ToHex(digest);
}

std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Result<std::vector<uint8_t>> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Status::InvalidArgument("hex string has an odd length");
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = digit(hex[2 * i]);
    const int lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("not a hex string");
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return out;
}

bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64(std::span<const uint8_t> bytes) {
  (void)EnsureSodium();
  const size_t size = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(size, '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(size - 1);  // the terminating NUL
  return out;
}

std::string RandomHex(size_t n) {
  (void)EnsureSodium();
  std::vector<uint8_t> bytes(n);
  randombytes_buf(bytes.data(), n);
  return ToHex(bytes);
}

Result<SecretKey> CreateKeyFile(const std::string& path) {
  auto key = SecretKey::Random();
  if (!key.ok()) return key.status();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status::FailedPrecondition(path + ": key file exists; refusing to overwrite it");
    }
    return Status::InvalidArgument(path + ": cannot create key file: " + std::strerror(errno));
  }
  // The mode given to open() is filtered by the umask, which can only remove bits: still 0600 or
  // stricter. fchmod makes it exactly 0600 whatever the umask.
  std::string text = ToHex(key->bytes()) + "\n";
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  sodium_memzero(text.data(), text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status::Internal(path + ": cannot write key file: " + std::strerror(errno));
  }
  return key;
}

Result<SecretKey> ReadKeyFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Status::NotFound(path + ": key file not found (run `facet init`, or set FACET_MASTER_KEY)");
  }
  if (!S_ISREG(info.st_mode)) return Status::InvalidArgument(path + ": key file is not a file");
  if ((info.st_mode & 077) != 0) {
    return Status::FailedPrecondition(path +
                                      ": key file is accessible by group or others; chmod 600 it");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  auto key = SecretKey::FromHex(text);
  sodium_memzero(text.data(), text.size());
  if (!key.ok()) return Status::InvalidArgument(path + ": " + key.status().message());
  return key;
}

}  // namespace facet::crypto
