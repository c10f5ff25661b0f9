#include "service/inference_pool.h"

#include <algorithm>

namespace facet::service {

struct InferencePool::Job {
  const std::function<void(WorkerSessions&)>* fn = nullptr;
  enum class State { kQueued, kRunning, kDone, kCancelled } state = State::kQueued;
  std::condition_variable done_cv;
};

InferencePool::InferencePool(std::vector<std::shared_ptr<const Engine>> engines,
                             const Options& options)
    : engines_(std::move(engines)), options_(options) {}

Result<std::unique_ptr<InferencePool>> InferencePool::Create(
    std::vector<std::shared_ptr<const Engine>> engines, const Options& options) {
  if (options.workers < 0 || options.queue_depth < 0) {
    return Status::InvalidArgument("workers and queue depth must not be negative");
  }
  std::unique_ptr<InferencePool> pool(new InferencePool(std::move(engines), options));
  // Sessions first, so that a failure leaves no thread behind.
  std::vector<std::vector<std::unique_ptr<Session>>> sessions(options.workers);
  for (auto& worker : sessions) {
    for (const auto& engine : pool->engines_) {
      auto session = engine->NewSession();
      if (!session.ok()) return session.status();
      worker.push_back(std::move(session).value());
    }
  }
  for (auto& worker : sessions) {
    pool->threads_.emplace_back(
        [p = pool.get(), s = std::move(worker)] { p->WorkerLoop(s); });
  }
  return pool;
}

InferencePool::~InferencePool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (auto& job : queue_) {
      job->state = Job::State::kCancelled;
      job->done_cv.notify_all();
    }
    queue_.clear();
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

size_t InferencePool::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

Status InferencePool::Run(const std::function<void(WorkerSessions&)>& fn) {
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_ || threads_.empty()) {
    return Status::ResourceExhausted("no inference worker is available");
  }
  if (queue_.size() >= static_cast<size_t>(options_.queue_depth)) {
    return Status::ResourceExhausted("the server is busy: " + std::to_string(queue_.size()) +
                                     " requests are waiting for a worker");
  }
  queue_.push_back(job);
  work_cv_.notify_one();
  const bool started = job->done_cv.wait_for(lock, options_.queue_timeout, [&] {
    return job->state != Job::State::kQueued;
  });
  if (!started) {
    // Still queued: take it back so that it never runs (`fn` dies with this frame).
    std::erase(queue_, job);
    job->state = Job::State::kCancelled;
    return Status::ResourceExhausted("the server is busy: no worker became free in time");
  }
  job->done_cv.wait(lock, [&] {
    return job->state == Job::State::kDone || job->state == Job::State::kCancelled;
  });
  if (job->state == Job::State::kCancelled) {
    return Status::ResourceExhausted("the server is shutting down");
  }
  return Status::Ok();
}

void InferencePool::WorkerLoop(const std::vector<std::unique_ptr<Session>>& owned) {
  WorkerSessions sessions;
  sessions.engines = &engines_;
  for (auto& s : owned) sessions.sessions.push_back(s.get());
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    std::shared_ptr<Job> job = queue_.front();
    queue_.pop_front();
    job->state = Job::State::kRunning;
    job->done_cv.notify_all();
    lock.unlock();
    (*job->fn)(sessions);
    lock.lock();
    job->state = Job::State::kDone;
    job->done_cv.notify_all();
  }
}

}  // namespace facet::service
