#include "batch.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "cli_common.h"

namespace facet::cli {

const Face* PickFace(const std::vector<Face>& faces, FacePick pick, int width, int height) {
  return pick == FacePick::kLargest ? LargestFace(faces) : CentredFace(faces, width, height);
}

Status ForEachParallel(const std::shared_ptr<const Engine>& engine, size_t count, int threads,
                       const std::string& label, const std::function<void(Session&, size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::mutex mutex;
  Status first_error;
  Progress progress(label, count);
  auto worker = [&]() {
    auto session = engine->NewSession();
    if (!session.ok()) {
      std::lock_guard<std::mutex> lock(mutex);
      first_error = session.status();
      return;
    }
    for (size_t i = next++; i < count; i = next++) {
      fn(**session, i);
      std::lock_guard<std::mutex> lock(mutex);
      progress.Advance();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  return first_error;
}

std::vector<BatchItem> EmbedImages(const std::shared_ptr<const Engine>& engine,
                                   const std::vector<std::string>& paths,
                                   const BatchOptions& options) {
  std::vector<BatchItem> items(paths.size());
  const Status status = ForEachParallel(
      engine, paths.size(), options.threads, options.progress_label,
      [&](Session& session, size_t i) {
        BatchItem& item = items[i];
        auto image = LoadImage(paths[i]);
        if (!image.ok()) {
          item.status = image.status();
          return;
        }
        auto faces = session.Detect(image.value(), options.detect);
        if (!faces.ok()) {
          item.status = faces.status();
          return;
        }
        const Face* face = PickFace(faces.value(), options.pick, image->width(), image->height());
        if (face == nullptr) {
          item.status = Status::NoFace(paths[i] + ": no face found");
          return;
        }
        auto embedding = session.Embed(image.value(), *face, options.embed);
        if (!embedding.ok()) {
          item.status = embedding.status();
          return;
        }
        item.embedding = std::move(embedding).value();
        item.face = *face;
      });
  if (!status.ok()) {
    for (BatchItem& item : items) {
      if (!item.embedding) item.status = status;
    }
  }
  return items;
}

}  // namespace facet::cli
