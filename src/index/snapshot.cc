#include "index/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "crypto/crypto.h"
#include "index/bytes.h"

namespace facet::index {
namespace {

constexpr char kMagic[8] = {'F', 'A', 'C', 'E', 'T', 'I', 'X', '\0'};

Status WriteAll(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Internal(path + ": write failed: " + std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status FsyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Internal(dir.string() + ": cannot open directory to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::Internal(dir.string() + ": fsync failed");
}

}  // namespace

Status WriteSnapshotFile(const std::string& path, const SnapshotHeader& header,
                         std::span<const uint8_t> payload) {
  std::vector<uint8_t> head;
  ByteWriter w(&head);
  w.PutArray<char>(std::span<const char>(kMagic, sizeof kMagic));
  w.Put<uint32_t>(kSnapshotFormatVersion);
  w.Put<uint32_t>(static_cast<uint32_t>(header.kind));
  w.Put<uint32_t>(static_cast<uint32_t>(header.dimensions));
  w.Put<uint32_t>(header.flags);
  w.Put<uint64_t>(header.generation);
  w.PutString(header.label);
  w.Put<uint64_t>(payload.size());
  crypto::Blake2bHasher hasher;
  hasher.Update(head);
  hasher.Update(payload);
  const auto checksum = hasher.Final();

  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal(temporary + ": cannot create: " + std::strerror(errno));
  Status status = WriteAll(fd, head.data(), head.size(), temporary);
  if (status.ok()) status = WriteAll(fd, payload.data(), payload.size(), temporary);
  if (status.ok()) status = WriteAll(fd, checksum.data(), checksum.size(), temporary);
  if (status.ok() && ::fsync(fd) != 0) status = Status::Internal(temporary + ": fsync failed");
  ::close(fd);
  if (status.ok() && std::rename(temporary.c_str(), path.c_str()) != 0) {
    status = Status::Internal(path + ": rename failed: " + std::strerror(errno));
  }
  if (!status.ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  return FsyncDirectory(std::filesystem::path(path).parent_path());
}

Result<Snapshot> ReadSnapshotFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + ": no index snapshot");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::NotFound(path + ": cannot open index snapshot");
  // One read of the whole file (a node's snapshot is hundreds of MB at 1 M faces).
  const std::streamoff size = in.tellg();
  if (size < 0) return Status::CorruptData(path + ": cannot read index snapshot");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return Status::CorruptData(path + ": cannot read index snapshot");
  }
  const std::string prefix = path + ": ";
  if (bytes.size() < sizeof kMagic + 32 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return Status::CorruptData(prefix + "not a facet index snapshot");
  }
  const std::span<const uint8_t> body(bytes.data(), bytes.size() - 32);
  const auto checksum = crypto::Blake2b256(body);
  ByteReader r(body.subspan(sizeof kMagic));
  uint32_t version = 0;
  uint32_t kind = 0;
  uint32_t dimensions = 0;
  Snapshot snapshot;
  uint64_t payload_size = 0;
  if (!r.Get(&version)) return Status::CorruptData(prefix + "truncated index snapshot");
  if (version > kSnapshotFormatVersion) {
    return Status::FailedPrecondition(prefix + "index snapshot format " + std::to_string(version) +
                                      " is newer than this facet reads (" +
                                      std::to_string(kSnapshotFormatVersion) + ")");
  }
  if (!r.Get(&kind) || !r.Get(&dimensions) || !r.Get(&snapshot.header.flags) ||
      !r.Get(&snapshot.header.generation) || !r.GetString(&snapshot.header.label) ||
      !r.Get(&payload_size) || payload_size != r.Rest().size()) {
    return Status::CorruptData(prefix + "truncated or malformed index snapshot");
  }
  if (!crypto::ConstantTimeEqual(checksum,
                                 std::span<const uint8_t>(bytes.data() + body.size(), 32))) {
    return Status::CorruptData(prefix + "index snapshot checksum mismatch (corrupted)");
  }
  if (kind < 1 || kind > 3) return Status::CorruptData(prefix + "unknown index kind");
  snapshot.header.kind = static_cast<IndexKind>(kind);
  snapshot.header.dimensions = static_cast<int>(dimensions);
  // Move the payload to the front of the buffer rather than copying it (snapshots can be large).
  const size_t offset = body.size() - payload_size;
  bytes.resize(body.size());
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(offset));
  snapshot.payload = std::move(bytes);
  return snapshot;
}

}  // namespace facet::index
