// OpenStore(): picks the backend from the location's scheme. One case per backend folder.
#include "store/template_store.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>

#include "crypto/crypto.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace facet::store {

const char* RowTableName(RowTable table) {
  switch (table) {
    case RowTable::kGalleries: return "galleries";
    case RowTable::kPersons: return "persons";
    case RowTable::kConsents: return "consents";
    case RowTable::kFaces: return "faces";
  }
  return "?";
}

Status ParseAuditHeadField(const std::string& key, const std::string& value, AuditHead& head) {
  if (key == "audit_head_count") {
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), head.count);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return Status::CorruptData("audit head record is malformed");
    }
  } else if (key == "audit_head_hash" || key == "audit_head_mac") {
    auto bytes = crypto::FromHex(value);
    if (!bytes.ok() || bytes->size() != 32) {
      return Status::CorruptData("audit head record is malformed");
    }
    std::copy(bytes->begin(), bytes->end(),
              (key == "audit_head_hash" ? head.hash : head.mac).begin());
  }
  return Status::Ok();
}

std::vector<uint8_t> ChangeLogHash(std::span<const uint8_t> previous_hash, int64_t seq,
                                   const std::string& payload) {
  std::vector<uint8_t> bytes(previous_hash.begin(), previous_hash.end());
  for (int shift = 56; shift >= 0; shift -= 8) {
    bytes.push_back(static_cast<uint8_t>(static_cast<uint64_t>(seq) >> shift));
  }
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  const auto hash = crypto::Blake2b256(bytes);
  return {hash.begin(), hash.end()};
}

Result<std::unique_ptr<TemplateStore>> OpenStore(const StoreOpenOptions& options) {
  std::string path = options.location;
  const std::string scheme_sqlite = "sqlite:";
  if (pg::IsPostgresLocation(path)) return OpenPostgresStore(options);
  if (path.rfind(scheme_sqlite, 0) == 0) {
    path = path.substr(scheme_sqlite.size());
  } else if (path.find("://") != std::string::npos) {
    return Status::InvalidArgument(options.location +
                                   ": unsupported store location (SQLite files and "
                                   "postgresql:// URIs are built in)");
  }
  return OpenSqliteStore(path, options);
}

}  // namespace facet::store
