#include "service/auth.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>

namespace facet::service {
namespace {
constexpr size_t kMaxCacheEntries = 10'000;

// Trims spaces and tabs around a header value.
std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}
}  // namespace

std::string PresentedKey(const std::string& subscription_header,
                         const std::string& authorization_header) {
  std::string key = Trim(subscription_header);
  if (!key.empty()) return key;
  const std::string auth = Trim(authorization_header);
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() &&
      std::equal(kBearer.begin(), kBearer.end(), auth.begin(),
                 [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return Trim(auth.substr(kBearer.size()));
  }
  return "";
}

Authenticator::Authenticator(AuthOptions options) : options_(std::move(options)) {
  randombytes_buf(cache_secret_.data(), cache_secret_.size());
}

Result<std::unique_ptr<Authenticator>> Authenticator::Create(AuthOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  std::unique_ptr<Authenticator> auth(new Authenticator(std::move(options)));
  FACET_RETURN_IF_ERROR(auth->ReloadIfChanged());
  return auth;
}

Status Authenticator::ReloadIfChanged() {
  int64_t mtime_ns = -1, size = -1, inode = -1;  // -1: no file
  struct stat st {};
  if (!options_.key_file.empty() && ::stat(options_.key_file.c_str(), &st) == 0) {
    mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    size = static_cast<int64_t>(st.st_size);
    inode = static_cast<int64_t>(st.st_ino);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_check_ = std::chrono::steady_clock::now();
    if (loaded_once_ && mtime_ns == file_mtime_ns_ && size == file_size_ && inode == file_inode_) {
      return Status::Ok();
    }
    // Remember what we looked at, so that a broken file is reported once, not on every request.
    file_mtime_ns_ = mtime_ns;
    file_size_ = size;
    file_inode_ = inode;
  }
  std::vector<ApiKeyRecord> keys = options_.memory_keys;
  if (mtime_ns != -1) {
    auto file = ApiKeyFile::Load(options_.key_file);
    if (!file.ok()) return file.status();  // keep serving with the keys we had
    keys.insert(keys.end(), file->keys.begin(), file->keys.end());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  keys_ = std::move(keys);
  loaded_once_ = true;
  cache_.clear();
  return Status::Ok();
}

int Authenticator::ActiveKeys() {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(
      std::count_if(keys_.begin(), keys_.end(), [](const ApiKeyRecord& r) { return r.active(); }));
}

std::optional<ApiKeyRecord> Authenticator::FindKey(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const ApiKeyRecord& r : keys_) {
    if (r.id == id) return r;
  }
  return std::nullopt;
}

std::array<uint8_t, 32> Authenticator::CacheKey(const std::string& presented) const {
  std::array<uint8_t, 32> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const uint8_t*>(presented.data()),
                     presented.size(), cache_secret_.data(), cache_secret_.size());
  return out;
}

bool Authenticator::VerifyLimited(const ApiKeyRecord& record, const std::string& secret) {
  {
    std::unique_lock<std::mutex> lock(verify_mutex_);
    verify_cv_.wait(lock, [&] { return verifying_ < options_.max_concurrent_verifications; });
    ++verifying_;
  }
  const bool ok = VerifyApiKeySecret(record, secret);
  {
    std::lock_guard<std::mutex> lock(verify_mutex_);
    --verifying_;
  }
  verify_cv_.notify_one();
  return ok;
}

AuthOutcome Authenticator::Authenticate(const std::string& presented, Caller* caller,
                                        const SlowCheckHook& allow_slow_check,
                                        const SlowFailureHook& on_slow_failure) {
  if (presented.empty()) return AuthOutcome::kMissing;
  bool check_file = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    check_file = std::chrono::steady_clock::now() - last_check_ >= options_.reload_interval;
  }
  if (check_file) (void)ReloadIfChanged();  // errors keep the previous keys

  auto parts = SplitApiKey(presented);
  if (!parts.ok()) return AuthOutcome::kInvalid;
  const std::optional<ApiKeyRecord> record = FindKey(parts->id);
  if (!record || !record->active()) return AuthOutcome::kInvalid;

  const std::array<uint8_t, 32> digest = CacheKey(presented);
  const std::string cache_key(digest.begin(), digest.end());
  const auto now = std::chrono::steady_clock::now();
  bool cached = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end()) {
      if (it->second.expires > now && it->second.key_id == record->id) {
        cached = true;
      } else {
        cache_.erase(it);
      }
    }
  }
  if (!cached) {
    if (allow_slow_check && !allow_slow_check(record->id)) return AuthOutcome::kThrottled;
    if (!VerifyLimited(*record, parts->secret)) {
      if (on_slow_failure) on_slow_failure(record->id);
      return AuthOutcome::kInvalid;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_[cache_key] = {record->id, now + options_.cache_ttl};
  }
  caller->key_id = record->id;
  caller->key_name = record->name;
  caller->scopes = record->scopes;
  caller->rate_per_second = record->rate_per_second;
  caller->burst = record->burst;
  caller->purpose = record->purpose;
  return AuthOutcome::kOk;
}

}  // namespace facet::service
