// Runs detection + embedding over many images on several threads (one Session per thread).
#ifndef FACET_TOOLS_FACET_BATCH_H_
#define FACET_TOOLS_FACET_BATCH_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "facet/engine.h"

namespace facet::cli {

enum class FacePick {
  kLargest,       // the largest face (facet compare)
  kNearestCentre  // the face nearest the image centre among the larger ones (LFW's images are
                  // centred on the labelled person)
};

struct BatchOptions {
  int threads = 2;
  FacePick pick = FacePick::kLargest;
  DetectOptions detect;
  EmbedOptions embed;
  std::string progress_label = "embed";
};

struct BatchItem {
  std::optional<Embedding> embedding;  // empty when the image failed or had no face
  std::optional<Face> face;            // the picked face (quality filled when detect asks)
  Status status;                       // why it is empty
};

// Calls fn(session, i) for i in [0, count) on `threads` threads, each with its own Session, with
// a progress bar. fn must only touch the i-th slot of shared outputs. Returns the first error
// creating a session.
Status ForEachParallel(const std::shared_ptr<const Engine>& engine, size_t count, int threads,
                       const std::string& label, const std::function<void(Session&, size_t)>& fn);

// Embeds the picked face of each image. Never fails as a whole: per-image errors are in items.
std::vector<BatchItem> EmbedImages(const std::shared_ptr<const Engine>& engine,
                                   const std::vector<std::string>& paths, const BatchOptions& options);

// Applies the pick policy; nullptr when `faces` is empty.
const Face* PickFace(const std::vector<Face>& faces, FacePick pick, int width, int height);

}  // namespace facet::cli

#endif  // FACET_TOOLS_FACET_BATCH_H_
