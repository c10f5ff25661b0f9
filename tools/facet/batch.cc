#include "batch.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "cli_common.h"

namespace facet::cli {

const Face* PickFace(const std::vector<Face>& faces, FacePick pick, int width, int height) {
  const Face* largest = LargestFace(faces);
  if (pick == FacePick::kLargest || largest == nullptr) return largest;
  // Among faces at least half as tall as the largest, the one whose centre is nearest the
  // image centre.
  const Face* best = nullptr;
  float best_distance = 0;
  for (const Face& f : faces) {
    if (f.box.height < 0.5f * largest->box.height) continue;
    const float dx = f.box.x + f.box.width / 2 - width / 2.0f;
    const float dy = f.box.y + f.box.height / 2 - height / 2.0f;
    const float distance = dx * dx + dy * dy;
    if (best == nullptr || distance < best_distance) {
      best = &f;
      best_distance = distance;
    }
  }
  return best;
}

std::vector<BatchItem> EmbedImages(const std::shared_ptr<const Engine>& engine,
                                   const std::vector<std::string>& paths,
                                   const BatchOptions& options) {
  std::vector<BatchItem> items(paths.size());
  std::atomic<size_t> next{0};
  std::mutex progress_mutex;
  Progress progress(options.progress_label, paths.size());
  auto worker = [&]() {
    auto session = engine->NewSession();
    for (size_t i = next++; i < paths.size(); i = next++) {
      BatchItem& item = items[i];
      if (!session.ok()) {
        item.status = session.status();
      } else if (auto image = LoadImage(paths[i]); !image.ok()) {
        item.status = image.status();
      } else if (auto faces = (*session)->Detect(image.value(), options.detect); !faces.ok()) {
        item.status = faces.status();
      } else if (const Face* face =
                     PickFace(faces.value(), options.pick, image->width(), image->height());
                 face == nullptr) {
        item.status = Status::NoFace(paths[i] + ": no face found");
      } else if (auto embedding = (*session)->Embed(image.value(), *face, options.embed);
                 !embedding.ok()) {
        item.status = embedding.status();
      } else {
        item.embedding = std::move(embedding).value();
      }
      std::lock_guard<std::mutex> lock(progress_mutex);
      progress.Advance();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::max(1, options.threads); ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  return items;
}

}  // namespace facet::cli
