// Index snapshot files: a versioned, checksummed container for a serialised index, so a large
// gallery's index (an HNSW graph takes minutes per 100k templates to build) is loaded, not rebuilt.
//
//   "FACETIX\0" | u32 format version | u32 index kind | u32 dimensions | u32 flags |
//   u64 store generation | string label | u64 payload size | payload | BLAKE2b-256 of all before
//
// Strings are u32 length + bytes; integers little-endian. Flag 1: the payload is sealed (the
// gallery layer encrypts it; templates are never written in the clear). Writes are atomic
// (temporary file, fsync, rename, fsync of the directory). docs/store_format.md.
#ifndef FACET_SRC_INDEX_SNAPSHOT_H_
#define FACET_SRC_INDEX_SNAPSHOT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "facet/status.h"
#include "index/vector_index.h"

namespace facet::index {

inline constexpr uint32_t kSnapshotFormatVersion = 1;
inline constexpr uint32_t kSnapshotSealed = 1;
// Flag 2: a node's snapshot: the HNSW graph without vectors, and the change it reflects
// (docs/cluster.md); read only by a node following a database store's change log.
inline constexpr uint32_t kSnapshotGraphOnly = 2;

struct SnapshotHeader {
  IndexKind kind = IndexKind::kExactF32;
  int dimensions = 0;
  uint32_t flags = 0;
  uint64_t generation = 0;  // the store's gallery generation the snapshot reflects
  std::string label;        // what the snapshot is of (gallery, model), checked on load
};

struct Snapshot {
  SnapshotHeader header;
  std::vector<uint8_t> payload;
};

Status WriteSnapshotFile(const std::string& path, const SnapshotHeader& header,
                         std::span<const uint8_t> payload);

// kNotFound if absent; kCorruptData if not a snapshot, truncated or failing its checksum;
// kFailedPrecondition if written by a newer format version.
Result<Snapshot> ReadSnapshotFile(const std::string& path);

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_SNAPSHOT_H_
