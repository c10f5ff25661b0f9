// Text form of AuditAnchor (include/facet/audit.h).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "audit/chain.h"
#include "crypto/crypto.h"
#include "facet/audit.h"

namespace facet {
namespace {

constexpr char kAnchorFormat[] = "facet.audit.anchor.v1";

Result<std::array<uint8_t, 32>> Hash32(const nlohmann::json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) {
    return Status::InvalidArgument(std::string("audit anchor: no \"") + field + "\"");
  }
  auto bytes = crypto::FromHex(j[field].get<std::string>());
  if (!bytes.ok() || bytes->size() != 32) {
    return Status::InvalidArgument(std::string("audit anchor: \"") + field +
                                   "\" is not 64 hex digits");
  }
  std::array<uint8_t, 32> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace

std::string FormatAuditAnchor(const AuditAnchor& anchor) {
  return nlohmann::json{{"format", kAnchorFormat},
                        {"store_uid", anchor.store_uid},
                        {"count", anchor.count},
                        {"hash", crypto::ToHex(anchor.hash)},
                        {"mac", crypto::ToHex(anchor.mac)},
                        {"time_ms", audit::ToUnixMillis(anchor.time)}}
      .dump();
}

Result<AuditAnchor> ParseAuditAnchor(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("audit anchor: not a JSON object");
  }
  if (j.value("format", std::string()) != kAnchorFormat) {
    return Status::InvalidArgument(std::string("audit anchor: \"format\" is not ") + kAnchorFormat);
  }
  AuditAnchor anchor;
  if (!j.contains("store_uid") || !j["store_uid"].is_string() ||
      j["store_uid"].get<std::string>().empty()) {
    return Status::InvalidArgument("audit anchor: no \"store_uid\"");
  }
  anchor.store_uid = j["store_uid"].get<std::string>();
  if (!j.contains("count") || !j["count"].is_number_integer() || j["count"].get<int64_t>() < 1) {
    return Status::InvalidArgument("audit anchor: \"count\" is not a positive integer");
  }
  anchor.count = j["count"].get<int64_t>();
  if (!j.contains("time_ms") || !j["time_ms"].is_number_integer()) {
    return Status::InvalidArgument("audit anchor: no \"time_ms\"");
  }
  anchor.time = audit::FromUnixMillis(j["time_ms"].get<int64_t>());
  auto hash = Hash32(j, "hash");
  if (!hash.ok()) return hash.status();
  anchor.hash = hash.value();
  auto mac = Hash32(j, "mac");
  if (!mac.ok()) return mac.status();
  anchor.mac = mac.value();
  return anchor;
}

}  // namespace facet
