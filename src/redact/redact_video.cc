// RedactVideo: decode -> detect (frame pass + rotating tiles) -> track -> draw -> encode, as a
// pipeline. One thread decodes; `threads` threads detect, each with its own Session; the calling
// thread tracks, draws, encodes and muxes, in frame order.
//
// The tiles a frame scans depend on the tracks (refresh turns), so a detection thread planning
// frame n waits for the tracks after frame n - kPlanLag: the output does not depend on thread
// timing.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "facet/redact.h"
#include "image/convert.h"
#include "redact/draw.h"
#include "redact/options.h"
#include "redact/rotation.h"
#include "redact/scheduler.h"
#include "redact/tracker.h"
#include "video/video_reader.h"
#include "video/video_writer.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// One frame on its way through the pipeline.
struct FrameJob {
  int64_t index = 0;
  bool end = false;  // the end marker: no frame, only the packets read after the last one
  video::DecodedFrame frame;
  std::vector<video::PacketPtr> passthrough;
  std::vector<redact::ScannedRegion> scanned;  // upright coordinates
  std::vector<redact::TrackInput> detections;  // upright coordinates
};
using JobPtr = std::unique_ptr<FrameJob>;

// The first error of any thread; once set, every stage stops.
class Failure {
 public:
  void Set(const Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_.ok()) status_ = status;
    failed_ = true;
  }
  bool failed() const { return failed_; }
  Status status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  Status status_;
  std::atomic<bool> failed_{false};
};

// FIFO of frames from the decoder to the detection threads, bounded.
class JobQueue {
 public:
  explicit JobQueue(size_t capacity) : capacity_(capacity) {}
  bool Push(JobPtr job) {  // false when closed
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || jobs_.size() < capacity_; });
    if (closed_) return false;
    jobs_.push_back(std::move(job));
    not_empty_.notify_one();
    return true;
  }
  JobPtr Pop() {  // null when closed and empty
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !jobs_.empty(); });
    if (jobs_.empty()) return nullptr;
    JobPtr job = std::move(jobs_.front());
    jobs_.pop_front();
    not_full_.notify_one();
    return job;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<JobPtr> jobs_;
  bool closed_ = false;
};

// Detected frames waiting to be taken in order.
class ReorderBuffer {
 public:
  void Put(JobPtr job) {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t key = job->index;
    jobs_[key] = std::move(job);
    ready_.notify_all();
  }
  JobPtr Take(int64_t index) {  // null when aborted
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return aborted_ || jobs_.count(index) != 0; });
    if (aborted_) return nullptr;
    JobPtr job = std::move(jobs_[index]);
    jobs_.erase(index);
    return job;
  }
  void Abort() {
    std::lock_guard<std::mutex> lock(mutex_);
    aborted_ = true;
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::map<int64_t, JobPtr> jobs_;
  bool aborted_ = false;
};

// The tracks after each recent frame, for the scheduler's refresh turns.
class TrackHistory {
 public:
  void Publish(int64_t frame, std::vector<redact::TrackHint> hints) {
    std::lock_guard<std::mutex> lock(mutex_);
    history_[frame] = std::move(hints);
    while (!history_.empty() && history_.begin()->first < frame - 64)
      history_.erase(history_.begin());
    latest_ = frame;
    ready_.notify_all();
  }
  // The tracks after `frame` (none before the first frame); nullopt when aborted.
  std::optional<std::vector<redact::TrackHint>> WaitFor(int64_t frame) {
    if (frame < 0) return std::vector<redact::TrackHint>{};
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return aborted_ || latest_ >= frame; });
    if (aborted_) return std::nullopt;
    const auto it = history_.find(frame);
    if (it == history_.end()) return std::vector<redact::TrackHint>{};
    return it->second;
  }
  void Abort() {
    std::lock_guard<std::mutex> lock(mutex_);
    aborted_ = true;
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::map<int64_t, std::vector<redact::TrackHint>> history_;
  int64_t latest_ = -1;
  bool aborted_ = false;
};

// A name beside `output` for the file being written.
std::string PartialPath(const std::string& output) {
  static std::atomic<int> counter{0};
  const fs::path out(output);
  return (out.parent_path() / ("." + out.filename().string() + ".facet-partial-" +
                               std::to_string(getpid()) + "-" + std::to_string(counter++)))
      .string();
}

Box ToBox(const redact::ScannedRegion& r) { return r.rect; }

class VideoRedactor {
 public:
  VideoRedactor(std::shared_ptr<const Engine> engine, const VideoRedactOptions& options,
                video::VideoReader& reader, video::VideoWriter& writer)
      : engine_(std::move(engine)),
        options_(options),
        reader_(reader),
        writer_(writer),
        rotation_(reader.video().rotation_degrees),
        upright_width_(rotation_ % 180 == 0 ? reader.video().width : reader.video().height),
        upright_height_(rotation_ % 180 == 0 ? reader.video().height : reader.video().width),
        scheduler_(
            upright_width_, upright_height_,
            {.tile_levels = options.tile_levels, .tiles_per_frame = options.tiles_per_frame}),
        tracker_(TrackerOptionsFor(options, scheduler_)),
        decoded_(static_cast<size_t>(options.threads) * 2) {}

  Result<VideoRedactSummary> Run();

 private:
  static redact::TrackerOptions TrackerOptionsFor(const VideoRedactOptions& options,
                                                  const redact::TileScheduler& scheduler) {
    redact::TrackerOptions tracker;
    tracker.hold_frames = options.hold_frames;
    tracker.keep_confirm_detections = options.keep_confirm_detections;
    // A face only the tiles can find is looked for once per rotation: hold it through one
    // rotation it is not found in, plus the hold.
    tracker.max_frames_without_detection =
        std::max(options.hold_frames, 2 * scheduler.rotation_period() + options.hold_frames);
    return tracker;
  }

  void DecodeLoop();
  void DetectLoop();
  Status Detect(Session& session, FrameJob& job);
  Status WriteInOrder(VideoRedactSummary* summary);
  void Fail(const Status& status) {
    failure_.Set(status);
    decoded_.Close();
    detected_.Abort();
    history_.Abort();
  }

  // Lag between the tracks a frame's plan uses and the frame itself.
  int PlanLag() const { return options_.threads + 1; }

  std::shared_ptr<const Engine> engine_;
  const VideoRedactOptions& options_;
  video::VideoReader& reader_;
  video::VideoWriter& writer_;
  const int rotation_;
  const int upright_width_;
  const int upright_height_;
  redact::TileScheduler scheduler_;
  redact::BoxTracker tracker_;
  JobQueue decoded_;
  ReorderBuffer detected_;
  TrackHistory history_;
  Failure failure_;
  std::mutex cpu_mutex_;
  double cpu_decode_ = 0;
  double cpu_detect_ = 0;
};

void VideoRedactor::DecodeLoop() {
  const double cpu_start = ThreadCpuSeconds();
  for (int64_t index = 0; !failure_.failed(); ++index) {
    auto job = std::make_unique<FrameJob>();
    job->index = index;
    auto more = reader_.Next(&job->frame, &job->passthrough);
    if (!more.ok()) {
      Fail(more.status());
      break;
    }
    job->end = !more.value();
    const bool end = job->end;
    if (!decoded_.Push(std::move(job)) || end) break;
  }
  decoded_.Close();
  std::lock_guard<std::mutex> lock(cpu_mutex_);
  cpu_decode_ += ThreadCpuSeconds() - cpu_start;
}

Status VideoRedactor::Detect(Session& session, FrameJob& job) {
  auto hints = history_.WaitFor(job.index - PlanLag());
  if (!hints) return Status::Ok();  // aborted
  job.scanned = scheduler_.Plan(job.index, *hints);
  DetectOptions detect;
  detect.score_threshold = options_.redact.score_threshold;
  detect.compute_quality = false;
  detect.compute_landmarks = static_cast<bool>(options_.redact.keep);
  for (const redact::ScannedRegion& region : job.scanned) detect.regions.push_back(ToBox(region));
  Image rotated;
  const Image* upright = &job.frame.image;
  if (rotation_ != 0) {
    rotated =
        Image(upright_width_, upright_height_,
              std::vector<uint8_t>(static_cast<size_t>(upright_width_) * upright_height_ * 3));
    cv::Mat rotated_view = image::AsMutableMat(rotated);
    redact::RotateUpright(image::AsMat(job.frame.image), rotation_, &rotated_view);
    upright = &rotated;
  }
  auto faces = session.Detect(*upright, detect);
  if (!faces.ok()) return faces.status();
  for (const Face& face : faces.value()) {
    std::string identity;
    if (options_.redact.keep) identity = options_.redact.keep(session, *upright, face);
    job.detections.push_back({face.box, face.score, std::move(identity)});
  }
  return Status::Ok();
}

void VideoRedactor::DetectLoop() {
  const double cpu_start = ThreadCpuSeconds();
  auto session = engine_->NewSession();
  if (!session.ok()) Fail(session.status());
  while (session.ok() && !failure_.failed()) {
    JobPtr job = decoded_.Pop();
    if (!job) break;
    if (!job->end) {
      const Status status = Detect(**session, *job);
      if (!status.ok()) {
        Fail(status);
        break;
      }
    }
    detected_.Put(std::move(job));
  }
  std::lock_guard<std::mutex> lock(cpu_mutex_);
  cpu_detect_ += ThreadCpuSeconds() - cpu_start;
}

Status VideoRedactor::WriteInOrder(VideoRedactSummary* summary) {
  const video::VideoStreamInfo& info = reader_.video();
  std::vector<RedactedRegion> regions;
  for (int64_t index = 0;; ++index) {
    JobPtr job = detected_.Take(index);
    if (!job) return failure_.status();
    for (video::PacketPtr& packet : job->passthrough) {
      FACET_RETURN_IF_ERROR(writer_.WritePassthrough(packet.get()));
    }
    if (job->end) return Status::Ok();
    const std::vector<redact::Track>& tracks = tracker_.Update(job->detections, job->scanned);
    std::vector<redact::TrackHint> hints;
    regions.clear();
    int redacted = 0;
    for (const redact::Track& track : tracks) {
      hints.push_back({track.box, track.frames_without_detection});
      RedactedRegion region;
      region.face = redact::UprightToCoded(track.box, rotation_, info.width, info.height);
      region.region =
          redact::UprightToCoded(redact::RegionForFace(track.box, options_.redact.scale), rotation_,
                                 info.width, info.height);
      region.score = track.frames_without_detection == 0 ? track.score : 0.0f;
      region.kept = track.keep;
      regions.push_back(region);
    }
    if (options_.redact.keep) redact::PropagateKeep(regions);
    for (const RedactedRegion& region : regions) redacted += region.kept ? 0 : 1;
    history_.Publish(index, std::move(hints));
    DrawRedactions(job->frame.image, regions, options_.redact.mode, options_.redact.shape);
    FACET_RETURN_IF_ERROR(writer_.WriteFrame(image::AsMat(job->frame.image), job->frame.pts));
    summary->faces_per_frame.push_back(redacted);
    ++summary->frames;
    if (options_.progress) options_.progress({summary->frames, info.estimated_frames});
  }
}

Result<VideoRedactSummary> VideoRedactor::Run() {
  VideoRedactSummary summary;
  const double cpu_start = ThreadCpuSeconds();
  std::vector<std::thread> threads;
  threads.emplace_back([this] { DecodeLoop(); });
  for (int t = 0; t < options_.threads; ++t) threads.emplace_back([this] { DetectLoop(); });
  Status status = WriteInOrder(&summary);
  if (!status.ok()) Fail(status);
  if (status.ok()) status = writer_.Finish();
  if (!status.ok()) Fail(status);
  for (std::thread& thread : threads) thread.join();
  if (failure_.failed()) return failure_.status();
  summary.tracks = tracker_.tracks_started();
  summary.cpu_encode_seconds = ThreadCpuSeconds() - cpu_start;
  summary.cpu_decode_seconds = cpu_decode_;
  summary.cpu_detect_seconds = cpu_detect_;
  return summary;
}

}  // namespace

Result<VideoRedactSummary> RedactVideo(const std::shared_ptr<const Engine>& engine,
                                       const std::string& input_path,
                                       const std::string& output_path,
                                       const VideoRedactOptions& options) {
  if (!engine) return Status::InvalidArgument("RedactVideo: no engine");
  FACET_RETURN_IF_ERROR(redact::ValidateOptions(options));
  const auto start = std::chrono::steady_clock::now();
  const double process_cpu_start = ProcessCpuSeconds();
  auto muxer = video::MuxerForPath(output_path);
  if (!muxer.ok()) return muxer.status();
  std::error_code ec;
  if (fs::exists(output_path, ec) && fs::equivalent(input_path, output_path, ec)) {
    return Status::InvalidArgument(output_path + ": is the input file; choose another output");
  }
  if (fs::is_directory(output_path, ec)) {
    return Status::InvalidArgument(output_path + ": is a directory; give a file name");
  }
  auto reader = video::VideoReader::Open(input_path);
  if (!reader.ok()) return reader.status();
  const std::string partial = PartialPath(output_path);
  video::WriterOptions writer_options;
  writer_options.x264_preset = options.x264_preset;
  writer_options.crf = options.crf;
  writer_options.keep_audio = options.keep_audio;
  writer_options.encoder_threads = options.threads;
  Result<VideoRedactSummary> result = Status::Internal("not run");
  {
    auto writer = video::VideoWriter::Open(partial, muxer.value(), **reader, writer_options);
    if (!writer.ok()) {
      fs::remove(partial, ec);
      return writer.status();
    }
    VideoRedactor redactor(engine, options, **reader, **writer);
    result = redactor.Run();
    if (result.ok()) {
      result->copied_streams = (*writer)->copied_streams();
      result->dropped_streams = (*writer)->dropped_streams();
    }
  }  // the writer closes its file here
  if (!result.ok()) {
    fs::remove(partial, ec);
    return result.status();
  }
  fs::rename(partial, output_path, ec);
  if (ec) {
    fs::remove(partial, ec);
    return Status::InvalidArgument(output_path + ": cannot write: " + ec.message());
  }
  const video::VideoStreamInfo& info = (*reader)->video();
  result->width = info.width;
  result->height = info.height;
  result->frame_rate = av_q2d(info.frame_rate);
  result->input_codec = info.codec_name;
  result->decode_errors = (*reader)->decode_errors();
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result->cpu_total_seconds = ProcessCpuSeconds() - process_cpu_start;
  return result;
}

}  // namespace facet
