// Plans the regions a detector scans: the whole frame and, for small faces, overlapping tiles
// at successively halved sizes (an image pyramid done by cropping instead of scaling).
#ifndef FACET_SRC_DETECT_TILING_H_
#define FACET_SRC_DETECT_TILING_H_

#include <vector>

#include <opencv2/core.hpp>

namespace facet::detect {

struct TilingOptions {
  // Extra levels below the full frame: level l uses square tiles of side max(W,H) / 2^l.
  // 0 = the whole frame only.
  int max_levels = 2;
  // Tiles smaller than this side (pixels) are not used: below ~the detector's input size the
  // tile would be upsampled and finds little more. Default: 192 (at most 1.33x upsampling).
  int min_tile_side = 192;
  // Neighbouring tiles overlap by at least this share of the tile side, so that a face up to
  // this share of a tile lies whole in at least one tile. Default: 0.25.
  float min_overlap = 0.25f;
  // The smallest face wanted (pixels); levels whose tiles are so small that they only add
  // faces below it are skipped. The detector finds faces down to about 1/16 of a tile side.
  float min_face_size = 0;
};

struct Tile {
  cv::Rect rect;
  int level = 0;  // 0 = whole frame
};

// Returns the full frame first, then the tiles of each level. Pure function.
std::vector<Tile> PlanTiles(int width, int height, const TilingOptions& options);

// The smallest face (pixels) the detector reliably finds in a tile of this side.
inline float SmallestFaceInTile(float tile_side) { return tile_side / 16.0f; }

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_TILING_H_
