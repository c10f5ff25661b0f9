// A fixed pool of inference workers behind a bounded queue.
//
// Each worker is one thread with its own Session per engine (one per recognition model); an
// inference runs on exactly one worker thread. Callers (the HTTP threads) hand a job to the pool
// and wait for it. When `queue_depth` jobs already wait, or a job has waited `queue_timeout` for
// a worker, the caller gets kResourceExhausted at once (the service answers 503): memory never
// grows with the load.
//
// Thread-safety: Run may be called concurrently from any number of threads.
#ifndef FACET_SRC_SERVICE_INFERENCE_POOL_H_
#define FACET_SRC_SERVICE_INFERENCE_POOL_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "facet/engine.h"
#include "facet/status.h"

namespace facet::service {

// What a job gets: the worker's Sessions, one per engine, in the order the engines were given.
struct WorkerSessions {
  std::vector<Session*> sessions;
  std::vector<std::shared_ptr<const Engine>>* engines = nullptr;
};

class InferencePool {
 public:
  struct Options {
    int workers = 1;  // 0 workers is allowed (tests, fuzzing): every Run is refused
    int queue_depth = 64;
    std::chrono::milliseconds queue_timeout{10'000};
  };

  static Result<std::unique_ptr<InferencePool>> Create(
      std::vector<std::shared_ptr<const Engine>> engines, const Options& options);
  ~InferencePool();  // finishes running jobs, refuses waiting ones, joins
  InferencePool(const InferencePool&) = delete;
  InferencePool& operator=(const InferencePool&) = delete;

  // Runs `job` on a worker and returns when it has run. kResourceExhausted when the queue is full
  // or the job waited too long; the job then never runs. `job` must not throw.
  Status Run(const std::function<void(WorkerSessions&)>& job);

  int workers() const { return static_cast<int>(threads_.size()); }
  // Jobs waiting for a worker now.
  size_t queued() const;

 private:
  struct Job;
  InferencePool(std::vector<std::shared_ptr<const Engine>> engines, const Options& options);
  void WorkerLoop(const std::vector<std::unique_ptr<Session>>& sessions);

  std::vector<std::shared_ptr<const Engine>> engines_;
  const Options options_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_INFERENCE_POOL_H_
