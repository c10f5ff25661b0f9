// Redaction drawing: the area a face's region covers (an ellipse or a box, rasterised row by row
// with one rule shared by drawing and coverage measurement) and blur / pixelate / fill over it.
//
// Thread-safety: pure functions of their arguments.
#ifndef FACET_SRC_REDACT_DRAW_H_
#define FACET_SRC_REDACT_DRAW_H_

#include <opencv2/core.hpp>
#include <vector>

#include "facet/redact.h"
#include "facet/types.h"

namespace facet::redact {

// `face` scaled by `scale` about its centre.
Box ScaleBox(const Box& face, float scale);

// The head around a detector box: BlazeFace's box spans brows to chin; a head (as WIDER FACE
// annotates faces) is about 1.2 times as tall and centred 0.08 of the box height higher (medians
// over 359 matched faces of the first 150 WIDER dev images; docs/redact.md).
inline constexpr float kHeadHeight = 1.2f;
inline constexpr float kHeadRaise = 0.08f;
Box HeadBox(const Box& face);

// The region drawn for a detector box: its head box scaled by `scale` about the centre.
Box RegionForFace(const Box& face, float scale);

// Regions whose face box lies mostly (>= half its area) inside a kept region's face box are
// parts or duplicates of that face: they are kept too, so that the keep filter's decision is not
// undone by a second detection of the same face.
void PropagateKeep(std::vector<RedactedRegion>& regions);

// One row of a drawn area: pixels [x_begin, x_end) of row y.
struct Span {
  int y = 0;
  int x_begin = 0;
  int x_end = 0;
};

// The pixels of `region` clipped to a width x height image, one span per non-empty row. A pixel
// belongs to the area when its centre does: inside the box, or inside the inscribed ellipse.
std::vector<Span> RegionSpans(const Box& region, RedactShape shape, int width, int height);

// Bounding rectangle of RegionSpans (empty when the region misses the image).
cv::Rect RegionBounds(const Box& region, int width, int height);

// Redacts `region` of `image_bgr` (CV_8UC3) in place; pixels outside the area are untouched.
void RedactRegion(cv::Mat& image_bgr, const Box& region, RedactMode mode, RedactShape shape);

// Marks the area of every region (255) in `mask` (CV_8UC1, created at width x height, zeroed).
void RenderMask(const std::vector<Box>& regions, RedactShape shape, int width, int height,
                cv::Mat* mask);

// Share of `box` (clipped to the mask) whose pixels are set in `mask`; 0 for an empty clip.
float MaskCoverage(const cv::Mat& mask, const Box& box);

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_DRAW_H_
