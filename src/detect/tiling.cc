#include "detect/tiling.h"

#include <algorithm>
#include <cmath>

namespace facet::detect {
namespace {

// Start offsets of the tiles of side `tile` covering [0, extent) with at least
// `min_overlap` overlap, spread evenly.
std::vector<int> TileOffsets(int extent, int tile, float min_overlap) {
  if (tile >= extent) return {0};
  const float stride_max = static_cast<float>(tile) * (1.0f - min_overlap);
  const int count = 1 + static_cast<int>(std::ceil(static_cast<float>(extent - tile) / stride_max));
  std::vector<int> offsets;
  offsets.reserve(count);
  for (int i = 0; i < count; ++i) {
    offsets.push_back(static_cast<int>(std::lround(static_cast<double>(extent - tile) * i /
                                                   std::max(1, count - 1))));
  }
  return offsets;
}

}  // namespace

std::vector<Tile> PlanTiles(int width, int height, const TilingOptions& options) {
  std::vector<Tile> tiles;
  if (width <= 0 || height <= 0) return tiles;
  tiles.push_back({cv::Rect(0, 0, width, height), 0});
  const int frame_side = std::max(width, height);
  for (int level = 1; level <= options.max_levels; ++level) {
    const int side = frame_side >> level;
    if (side < options.min_tile_side) break;
    // Faces this level adds are between SmallestFaceInTile(side) and the previous level's.
    if (options.min_face_size > 0 && SmallestFaceInTile(static_cast<float>(side) * 2) <=
                                         options.min_face_size) {
      break;
    }
    const int tile_w = std::min(side, width);
    const int tile_h = std::min(side, height);
    for (int y : TileOffsets(height, tile_h, options.min_overlap)) {
      for (int x : TileOffsets(width, tile_w, options.min_overlap)) {
        tiles.push_back({cv::Rect(x, y, tile_w, tile_h), level});
      }
    }
  }
  return tiles;
}

}  // namespace facet::detect
