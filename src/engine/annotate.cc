#include "facet/annotate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "image/convert.h"

namespace facet {

Image AnnotateFaces(const Image& image, const std::vector<Face>& faces) {
  Image out = image;
  cv::Mat canvas = image::AsMutableMat(out);
  const int thickness = std::max(1, static_cast<int>(std::lround(std::max(image.width(), image.height()) / 500.0)));
  for (const Face& face : faces) {
    cv::Scalar colour(0, 0, 255);
    if (face.quality.level == QualityLevel::kHigh) colour = cv::Scalar(0, 200, 0);
    if (face.quality.level == QualityLevel::kMedium) colour = cv::Scalar(0, 200, 255);
    const cv::Rect box(static_cast<int>(std::lround(face.box.x)), static_cast<int>(std::lround(face.box.y)),
                       static_cast<int>(std::lround(face.box.width)),
                       static_cast<int>(std::lround(face.box.height)));
    cv::rectangle(canvas, box, colour, thickness, cv::LINE_AA);
    for (const Point& p : face.landmarks68) {
      cv::circle(canvas, cv::Point(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y))),
                 thickness, cv::Scalar(255, 255, 0), cv::FILLED, cv::LINE_AA);
    }
    for (const Point& p : face.landmarks) {
      cv::circle(canvas, cv::Point(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y))),
                 thickness + 1, cv::Scalar(255, 128, 0), cv::FILLED, cv::LINE_AA);
    }
    char label[64];
    if (face.landmarks68.empty()) {
      std::snprintf(label, sizeof(label), "%.2f", face.score);
    } else {
      // A pose from the 5 landmarks (the mesh failed or was contradicted) is marked "5pt".
      std::snprintf(label, sizeof(label), "%.2f %s yaw %+.0f pitch %+.0f%s", face.score,
                    QualityLevelName(face.quality.level), face.quality.yaw_degrees,
                    face.quality.pitch_degrees,
                    face.quality.pose_method == PoseMethod::kFivePoints ? " 5pt" : "");
    }
    cv::putText(canvas, label, cv::Point(box.x, std::max(12, box.y - 4)), cv::FONT_HERSHEY_SIMPLEX,
                0.4 * thickness, colour, thickness, cv::LINE_AA);
  }
  return out;
}

}  // namespace facet
