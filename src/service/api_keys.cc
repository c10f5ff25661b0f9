// API key file and key hashing (facet/api_keys.h).
#include "facet/api_keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace facet {
namespace {

constexpr int kFileVersion = 1;
constexpr size_t kIdBytes = 6;       // 12 hex characters
constexpr size_t kSecretBytes = 32;  // 43 base64url characters
// Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1): the secrets are 256 random bits, so
// the hash only has to make a stolen key file useless, not slow down guessing of weak secrets.
constexpr unsigned long long kOpsLimit = 2;
constexpr size_t kMemLimit = 19ull << 20;

struct ScopeName {
  ApiScope scope;
  const char* name;
};
constexpr ScopeName kScopeNames[] = {{kScopeDetect, "detect"},
                                     {kScopeVerify, "verify"},
                                     {kScopeIdentify, "identify"},
                                     {kScopeAdmin, "admin"}};

Status EnsureSodium() {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  return Status::Ok();
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Empty or only whitespace: says nothing.
bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

bool IsBase64Url(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

nlohmann::json RecordToJson(const ApiKeyRecord& r) {
  nlohmann::json j = {{"id", r.id},
                      {"name", r.name},
                      {"scopes", ApiScopesToString(r.scopes)},
                      {"hash", r.hash},
                      {"created_unix", r.created_unix},
                      {"rate_per_second", r.rate_per_second},
                      {"burst", r.burst}};
  if (!r.purpose.empty()) j["purpose"] = r.purpose;
  j["revoked_unix"] = r.revoked_unix ? nlohmann::json(*r.revoked_unix) : nlohmann::json(nullptr);
  return j;
}

Result<ApiKeyRecord> RecordFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::CorruptData("a key entry is not an object");
  ApiKeyRecord r;
  try {
    r.id = j.at("id").get<std::string>();
    r.name = j.at("name").get<std::string>();
    auto scopes = ParseApiScopes(j.at("scopes").get<std::string>());
    if (!scopes.ok()) return Status::CorruptData("key " + r.id + ": " + scopes.status().message());
    r.scopes = scopes.value();
    r.hash = j.at("hash").get<std::string>();
    r.created_unix = j.at("created_unix").get<int64_t>();
    if (j.contains("revoked_unix") && !j.at("revoked_unix").is_null()) {
      r.revoked_unix = j.at("revoked_unix").get<int64_t>();
    }
    r.rate_per_second = j.value("rate_per_second", 0.0);
    r.burst = j.value("burst", 0);
    r.purpose = j.value("purpose", std::string());
  } catch (const nlohmann::json::exception& e) {
    return Status::CorruptData(std::string("a key entry is malformed: ") + e.what());
  }
  if (r.id.size() != 2 * kIdBytes || !IsHex(r.id)) {
    return Status::CorruptData("a key id is malformed: '" + r.id + "'");
  }
  if (r.hash.rfind("$argon2id$", 0) != 0) {
    return Status::CorruptData("key " + r.id + ": hash is not an Argon2id string");
  }
  if (r.rate_per_second < 0 || r.burst < 0) {
    return Status::CorruptData("key " + r.id + ": negative rate limit");
  }
  return r;
}

// Holds an exclusive flock on "<path>.lock" for its lifetime.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path) {
    const std::string lock_path = path + ".lock";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::FailedPrecondition(lock_path + ": cannot open lock file");
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return Status::FailedPrecondition(lock_path + ": cannot lock");
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

void MakeParentDirectory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  if (std::filesystem::create_directories(parent, ec)) ::chmod(parent.c_str(), 0700);
}

}  // namespace

Result<uint32_t> ParseApiScopes(std::string_view text) {
  uint32_t mask = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    if (!word.empty()) {
      bool known = false;
      if (word == "all") {
        mask |= kScopeAll;
        known = true;
      }
      for (const ScopeName& s : kScopeNames) {
        if (word == s.name) {
          mask |= s.scope;
          known = true;
        }
      }
      if (!known) {
        return Status::InvalidArgument("unknown scope '" + std::string(word) +
                                       "' (known: detect, verify, identify, admin, all)");
      }
    }
    start = end + 1;
  }
  if (mask == 0) return Status::InvalidArgument("no scope given");
  return mask;
}

std::string ApiScopesToString(uint32_t scopes) {
  std::string out;
  for (const ScopeName& s : kScopeNames) {
    if ((scopes & s.scope) != 0) out += (out.empty() ? "" : ",") + std::string(s.name);
  }
  return out;
}

Result<ApiKeyFile> ApiKeyFile::Load(const std::string& path) {
  ApiKeyFile file;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return file;  // no file yet: no keys
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    return Status::FailedPrecondition(path + ": the key file is readable by others (chmod 600 " +
                                      path + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FailedPrecondition(path + ": cannot read the key file");
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::CorruptData(path + ": the key file is not a JSON object");
  }
  if (j.value("version", 0) != kFileVersion) {
    return Status::CorruptData(path + ": unknown key file version");
  }
  const auto keys = j.find("keys");
  if (keys == j.end() || !keys->is_array()) {
    return Status::CorruptData(path + ": the key file has no \"keys\" array");
  }
  for (const nlohmann::json& entry : *keys) {
    auto record = RecordFromJson(entry);
    if (!record.ok()) return Status::CorruptData(path + ": " + record.status().message());
    if (file.Find(record->id) != nullptr) {
      return Status::CorruptData(path + ": key id " + record->id + " appears twice");
    }
    file.keys.push_back(std::move(record).value());
  }
  return file;
}

Status ApiKeyFile::Save(const std::string& path) const {
  nlohmann::json keys_json = nlohmann::json::array();
  for (const ApiKeyRecord& r : keys) keys_json.push_back(RecordToJson(r));
  const std::string text =
      nlohmann::json{{"version", kFileVersion}, {"keys", keys_json}}.dump(2) + "\n";
  MakeParentDirectory(path);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FailedPrecondition(tmp + ": cannot create");
  ::fchmod(fd, 0600);
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::Internal(tmp + ": write failed");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::Internal(tmp + ": fsync failed");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Internal(path + ": rename failed");
  }
  return Status::Ok();
}

const ApiKeyRecord* ApiKeyFile::Find(std::string_view id) const {
  for (const ApiKeyRecord& r : keys) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

int ApiKeyFile::ActiveCount() const {
  int n = 0;
  for (const ApiKeyRecord& r : keys) n += r.active() ? 1 : 0;
  return n;
}

Result<NewApiKey> MakeApiKey(const ApiKeyOptions& options) {
  if (IsBlank(options.name)) return Status::InvalidArgument("a key needs a name");
  if (!options.purpose.empty() && IsBlank(options.purpose)) {
    return Status::InvalidArgument("a key's purpose must say something (it is only whitespace)");
  }
  if (options.purpose.size() > 1000) {
    return Status::InvalidArgument("a key's purpose is at most 1000 bytes");
  }
  if (options.scopes == 0 || (options.scopes & ~static_cast<uint32_t>(kScopeAll)) != 0) {
    return Status::InvalidArgument("a key needs at least one known scope");
  }
  if (options.rate_per_second < 0 || options.burst < 0) {
    return Status::InvalidArgument("rate limits must not be negative");
  }
  FACET_RETURN_IF_ERROR(EnsureSodium());
  unsigned char id_bytes[kIdBytes];
  unsigned char secret_bytes[kSecretBytes];
  randombytes_buf(id_bytes, sizeof id_bytes);
  randombytes_buf(secret_bytes, sizeof secret_bytes);
  char id_hex[2 * kIdBytes + 1];
  sodium_bin2hex(id_hex, sizeof id_hex, id_bytes, sizeof id_bytes);
  char secret_b64[sodium_base64_ENCODED_LEN(kSecretBytes,
                                            sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(secret_b64, sizeof secret_b64, secret_bytes, sizeof secret_bytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(secret_bytes, sizeof secret_bytes);

  NewApiKey made;
  made.record.id = id_hex;
  made.record.name = options.name;
  made.record.scopes = options.scopes;
  made.record.created_unix = static_cast<int64_t>(std::time(nullptr));
  made.record.rate_per_second = options.rate_per_second;
  made.record.burst = options.burst;
  made.record.purpose = options.purpose;
  char hash[crypto_pwhash_STRBYTES];
  const std::string_view secret(secret_b64);
  if (crypto_pwhash_str_alg(hash, secret.data(), secret.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    sodium_memzero(secret_b64, sizeof secret_b64);
    return Status::Internal("Argon2id hashing failed (out of memory?)");
  }
  made.record.hash = hash;
  made.key = "fk_" + made.record.id + "_" + std::string(secret);
  sodium_memzero(secret_b64, sizeof secret_b64);
  return made;
}

Result<NewApiKey> AddApiKey(const std::string& path, const ApiKeyOptions& options) {
  MakeParentDirectory(path);
  auto lock = FileLock::Acquire(path);
  if (!lock.ok()) return lock.status();
  auto file = ApiKeyFile::Load(path);
  if (!file.ok()) return file.status();
  auto made = MakeApiKey(options);
  if (!made.ok()) return made.status();
  file->keys.push_back(made->record);
  FACET_RETURN_IF_ERROR(file->Save(path));
  return made;
}

Status RevokeApiKey(const std::string& path, std::string_view id) {
  auto lock = FileLock::Acquire(path);
  if (!lock.ok()) return lock.status();
  auto file = ApiKeyFile::Load(path);
  if (!file.ok()) return file.status();
  for (ApiKeyRecord& r : file->keys) {
    if (r.id != id) continue;
    if (!r.revoked_unix) r.revoked_unix = static_cast<int64_t>(std::time(nullptr));
    return file->Save(path);
  }
  return Status::NotFound("no key with id '" + std::string(id) + "'");
}

Result<ApiKeyParts> SplitApiKey(std::string_view key) {
  // "fk_" + 12 hex + "_" + 43 base64url
  constexpr size_t kSecretChars = 43;
  constexpr size_t kLength = 3 + 2 * kIdBytes + 1 + kSecretChars;
  if (key.size() != kLength || key.substr(0, 3) != "fk_" || key[3 + 2 * kIdBytes] != '_') {
    return Status::InvalidArgument("not a facet API key");
  }
  ApiKeyParts parts{std::string(key.substr(3, 2 * kIdBytes)),
                    std::string(key.substr(4 + 2 * kIdBytes))};
  if (!IsHex(parts.id) || !IsBase64Url(parts.secret)) {
    return Status::InvalidArgument("not a facet API key");
  }
  return parts;
}

bool VerifyApiKeySecret(const ApiKeyRecord& record, std::string_view secret) {
  if (!EnsureSodium().ok()) return false;
  // crypto_pwhash_str_verify needs a NUL-terminated hash of at most STRBYTES - 1 characters.
  if (record.hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(record.hash.c_str(), secret.data(), secret.size()) == 0;
}

std::string DefaultApiKeyFile() {
  const char* env = std::getenv("FACET_API_KEYS");
  if (env != nullptr && *env != '\0') return env;
  const char* config = std::getenv("XDG_CONFIG_HOME");
  if (config != nullptr && *config != '\0') return std::string(config) + "/facet/api_keys.json";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/facet/api_keys.json";
}

}  // namespace facet
