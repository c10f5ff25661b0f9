// RedactVideo: decode -> detect (frame pass + rotating tiles) -> track -> draw -> verify ->
// encode, as a pipeline. One thread decodes; `threads` threads detect, each with its own Session;
// one thread tracks and draws, in frame order; `threads` more verify the drawn frames (each with
// its own Session); the calling thread encodes and muxes, in frame order.
//
// The tiles a frame scans depend on the tracks (refresh turns), so a detection thread planning
// frame n waits for the tracks after frame n - PlanLag(): the output does not depend on thread
// timing.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "detect/detection.h"
#include "detect/face_detector.h"
#include "facet/redact.h"
#include "image/convert.h"
#include "redact/draw.h"
#include "redact/look_back.h"
#include "redact/options.h"
#include "redact/pipeline_queues.h"
#include "redact/rotation.h"
#include "redact/scheduler.h"
#include "redact/tracker.h"
#include "redact/verify.h"
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

// A region verification found in one frame, drawn again in later frames: the collar or blurred
// head that looked like a face usually still does a few frames on.
struct CarriedRegion {
  RedactedRegion region;
  int carries = 0;  // times drawn in later frames before the frame it is queued for
};

// One frame on its way through the pipeline.
struct FrameJob {
  int64_t index = 0;
  bool end = false;  // the end marker: no frame, only the packets read after the last one
  video::DecodedFrame frame;
  std::vector<video::PacketPtr> passthrough;
  std::vector<redact::ScannedRegion> scanned;  // upright coordinates
  std::vector<redact::TrackInput> detections;  // upright coordinates
  std::vector<Box> tracked_faces;              // the tracks' boxes, upright coordinates
  std::vector<RedactedRegion> regions;         // drawn, coded coordinates (verification's too)
  std::vector<CarriedRegion> carried;          // drawn: verification's from an earlier frame
  int verify_added = 0;                        // regions verification added
  int residual = 0;                            // detections verification's last scan found
};
using JobPtr = std::unique_ptr<FrameJob>;

using redact::BoundedQueue;
using redact::FrameMailbox;

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
        // The decoder family of the engine's detector (checked when it was made).
        detector_kind_(detect::ParseDetectorKind(engine_->detector().family).value()),
        scheduler_(upright_width_, upright_height_,
                   {.tile_levels = options.tile_levels,
                    .tiles_per_frame = options.tiles_per_frame,
                    .detector = detector_kind_}),
        tracker_(TrackerOptionsFor(options, scheduler_)),
        look_back_(LookBackOptionsFor(options, scheduler_)),
        large_face_opinion_(detector_kind_ == detect::DetectorKind::kRetinaFace &&
                            options.redact.second_opinion_below > 0 &&
                            options.redact.large_face_second_opinion > 0),
        decoded_(static_cast<size_t>(options.threads) * 2),
        drawn_(static_cast<size_t>(options.threads) * 2),
        // Bounded so that frames cannot pile up when the encoder is the slowest stage.
        verified_(static_cast<int64_t>(options.threads) * 4) {}

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

  static redact::LookBackOptions LookBackOptionsFor(const VideoRedactOptions& options,
                                                    const redact::TileScheduler& scheduler) {
    redact::LookBackOptions look_back;
    look_back.held = TrackerOptionsFor(options, scheduler);
    look_back.frames = options.look_back_frames >= 0
                           ? options.look_back_frames
                           : std::min(scheduler.rotation_period(), kMaxLookBackFrames);
    return look_back;
  }
  static constexpr int kMaxLookBackFrames = 100;

  void DecodeLoop();
  // A stage run on frames by several threads, each with its own Session.
  using Stage = Status (VideoRedactor::*)(Session& session, FrameJob& job);
  // Runs `stage` on each frame taken from `in` (not the end marker) and hands it to `out`, until
  // `in` closes or a stage fails; adds this thread's CPU time to *cpu_seconds.
  void WorkerLoop(BoundedQueue<JobPtr>& in, FrameMailbox<JobPtr>& out, Stage stage,
                  double* cpu_seconds);
  Status Detect(Session& session, FrameJob& job);
  void TrackLoop();
  void Track(FrameJob& job);
  // The region drawn for a face box in upright coordinates, both in coded coordinates.
  RedactedRegion RegionForUprightFace(const Box& face) const;
  bool Draw(FrameJob& job);
  bool HandOn(JobPtr job);
  Status Verify(Session& session, FrameJob& job);
  Status WriteInOrder(VideoRedactSummary* summary);
  void AddCpu(double* stage, double thread_cpu_start) {
    std::lock_guard<std::mutex> lock(cpu_mutex_);
    *stage += ThreadCpuSeconds() - thread_cpu_start;
  }
  void Fail(const Status& status) {
    failure_.Set(status);
    decoded_.Close();
    detected_.Abort();
    history_.Abort();
    drawn_.Close();
    verified_.Abort();
    verify_found_.Abort();
  }

  // Lag between the tracks a frame's plan uses and the frame itself.
  int PlanLag() const { return options_.threads + 1; }
  // Regions verification finds in frame n are drawn again in frame n + CarryLag(), n + 2 x
  // CarryLag(), ... (kMaxCarries times at most, fewer when a region overlapping it by half is
  // carried already or it lands on a kept face or a tracked face's region): the collar or
  // blurred head that looked like a face usually still does a few frames later, and a region
  // drawn before verification spares a verification round (on street_1080p.mp4 the carried
  // regions cut verification's CPU time by ~40 %: docs/redact.md). Each frame carries its own
  // finds, so consecutive frames' finds fill the frames between. The lag lets verification run
  // on other threads while tracking goes on; the output depends on `threads` (the lag) but not
  // on thread timing.
  int CarryLag() const { return options_.threads + 1; }
  static constexpr int kMaxCarries = 8;

  std::shared_ptr<const Engine> engine_;
  const VideoRedactOptions& options_;
  video::VideoReader& reader_;
  video::VideoWriter& writer_;
  const int rotation_;
  const int upright_width_;
  const int upright_height_;
  const detect::DetectorKind detector_kind_;
  redact::TileScheduler scheduler_;
  redact::BoxTracker tracker_;
  redact::LookBack look_back_;    // tracking thread only
  redact::ShotCutDetector cuts_;  // tracking thread only
  bool verifying() const { return options_.redact.verify_rounds > 0; }
  // Whether the scan asks O-Net about large weak faces (RedactOptions::large_face_second_opinion;
  // with RetinaFace only, as for photos).
  const bool large_face_opinion_;

  BoundedQueue<JobPtr> decoded_;   // decoder -> detection threads
  FrameMailbox<JobPtr> detected_;  // detection threads -> tracking thread, by index
  redact::TrackHistory history_;   // tracking thread -> detection threads (plans)
  BoundedQueue<JobPtr> drawn_;     // tracking thread -> verification threads
  FrameMailbox<JobPtr> verified_;  // verification (or tracking) -> encoder, by index
  FrameMailbox<std::vector<CarriedRegion>> verify_found_;  // verification -> tracking thread
  redact::FirstFailure failure_;
  std::mutex cpu_mutex_;
  double cpu_decode_ = 0;
  double cpu_detect_ = 0;
  double cpu_track_ = 0;
  double cpu_verify_ = 0;
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
  AddCpu(&cpu_decode_, cpu_start);
}

Status VideoRedactor::Detect(Session& session, FrameJob& job) {
  auto hints = history_.WaitFor(job.index - PlanLag());
  if (!hints) return Status::Ok();  // aborted
  job.scanned = scheduler_.Plan(job.index, *hints);
  DetectOptions detect = redact::DetectionFor(options_.redact);
  for (const redact::ScannedRegion& region : job.scanned) detect.regions.push_back(ToBox(region));
  Image rotated;
  const Image* upright = &job.frame.image;
  if (rotation_ != 0) {
    rotated = redact::UprightImage(job.frame.image, rotation_);
    upright = &rotated;
  }
  auto faces = session.Detect(*upright, detect);
  if (!faces.ok()) return faces.status();
  // O-Net's opinion on the large faces scoring below large_face_threshold, in one batch: a face
  // coming out from behind someone scores low with RetinaFace for a few frames.
  std::vector<float> opinion(faces->size(), -1.0f);
  if (large_face_opinion_) {
    auto asked = redact::AskSecondOpinions(session, *upright, *faces, options_.redact,
                                           redact::NeedsLargeFaceOpinion);
    if (!asked.ok()) return asked.status();
    opinion = std::move(asked).value();
  }
  for (size_t i = 0; i < faces->size(); ++i) {
    const Face& face = (*faces)[i];
    const bool redacted = opinion[i] >= 0
                              ? redact::RedactsWithSecondOpinion(options_.redact, face, opinion[i])
                              : redact::RedactsDetection(options_.redact, face.box, face.score);
    if (!redacted) continue;
    job.detections.push_back({face.box, face.score,
                              redact::KeepIdentity(options_.redact, session, *upright, face),
                              /*vouched=*/opinion[i] >= 0});
  }
  return Status::Ok();
}

void VideoRedactor::WorkerLoop(BoundedQueue<JobPtr>& in, FrameMailbox<JobPtr>& out, Stage stage,
                               double* cpu_seconds) {
  const double cpu_start = ThreadCpuSeconds();
  auto session = engine_->NewSession();
  if (!session.ok()) Fail(session.status());
  while (session.ok() && !failure_.failed()) {
    std::optional<JobPtr> job = in.Pop();
    if (!job) break;
    if (!(*job)->end) {
      const Status status = (this->*stage)(**session, **job);
      if (!status.ok()) {
        Fail(status);
        break;
      }
    }
    const int64_t index = (*job)->index;
    out.Put(index, std::move(*job));
  }
  AddCpu(cpu_seconds, cpu_start);
}

RedactedRegion VideoRedactor::RegionForUprightFace(const Box& face) const {
  const video::VideoStreamInfo& info = reader_.video();
  RedactedRegion region;
  region.face = redact::UprightToCoded(face, rotation_, info.width, info.height);
  region.region = redact::UprightToCoded(
      redact::RegionForFace(face, redact::RegionScaleFor(options_.redact, face)), rotation_,
      info.width, info.height);
  return region;
}

void VideoRedactor::Track(FrameJob& job) {
  const std::vector<redact::Track>& tracks = tracker_.Update(job.detections, job.scanned);
  std::vector<redact::TrackHint> hints;
  for (const redact::Track& track : tracks) {
    hints.push_back({track.box, track.frames_without_detection});
    job.tracked_faces.push_back(track.box);
    RedactedRegion region = RegionForUprightFace(track.box);
    region.score = track.frames_without_detection == 0 ? track.score : 0.0f;
    region.kept = track.keep;
    job.regions.push_back(region);
  }
  if (options_.redact.keep) redact::PropagateKeep(job.regions);
  history_.Publish(job.index, std::move(hints));
  look_back_.Observe(job.index, tracks, look_back_.frames() > 0 && cuts_.IsCut(job.frame.image));
}

// Draws a tracked frame once the frames after it (LookBackOptions::frames) are tracked too.
bool VideoRedactor::Draw(FrameJob& job) {
  const size_t tracked = job.regions.size();
  // Faces first found in the frames after this one (look-back).
  for (const Box& box : look_back_.BoxesFor(job.index, job.tracked_faces)) {
    RedactedRegion region = RegionForUprightFace(box);
    if (!redact::CentreInKeptFace(region.face, job.regions)) job.regions.push_back(region);
  }
  if (verifying() && job.index >= CarryLag()) {
    auto carried = verify_found_.Take(job.index - CarryLag());
    if (!carried) return false;  // aborted
    for (const CarriedRegion& c : *carried) {
      // Not over a kept face, and not again where a tracked face's region is drawn already.
      if (redact::CentreInKeptFace(c.region.face, job.regions)) continue;
      if (std::any_of(job.regions.begin(), job.regions.begin() + static_cast<ptrdiff_t>(tracked),
                      [&](const RedactedRegion& r) {
                        return detect::IntersectionOverUnion(r.region, c.region.region) >= 0.5f;
                      })) {
        continue;
      }
      job.regions.push_back(c.region);
      job.carried.push_back(c);
    }
  }
  DrawRedactions(job.frame.image, job.regions, options_.redact.mode, options_.redact.shape);
  return true;
}

// Hands a drawn frame (or the end marker) to verification, or straight to the encoder.
bool VideoRedactor::HandOn(JobPtr job) {
  if (verifying()) return drawn_.Push(std::move(job));
  const int64_t index = job->index;
  verified_.Put(index, std::move(job));
  return true;
}

void VideoRedactor::TrackLoop() {
  const double cpu_start = ThreadCpuSeconds();
  // Tracked, not drawn yet: the look-back window, oldest first.
  std::deque<JobPtr> waiting;
  bool ended = false;
  for (int64_t index = 0; !failure_.failed() && !ended; ++index) {
    std::optional<JobPtr> job = detected_.Take(index);
    if (!job) break;
    ended = (*job)->end;
    if (!ended) Track(**job);
    waiting.push_back(std::move(*job));
    bool handed_on = true;
    while (handed_on && !waiting.empty() &&
           (ended || waiting.size() > static_cast<size_t>(look_back_.frames()))) {
      JobPtr next = std::move(waiting.front());
      waiting.pop_front();
      // Aborted: a frame must not go on undrawn.
      handed_on = (next->end || Draw(*next)) && HandOn(std::move(next));
    }
    if (!handed_on) break;
  }
  drawn_.Close();
  AddCpu(&cpu_track_, cpu_start);
}

// Scans the drawn frame as a recogniser's detector would (the frame pass, and the padded pass
// when it finds nothing) and redacts what it still finds: a blurred head, or a collar under
// it, can still look like a face to the detector. The frame is scanned in memory, before
// encoding, so the threshold is lowered by the encoder's margin.
Status VideoRedactor::Verify(Session& session, FrameJob& job) {
  redact::VerifyPlan plan = redact::VerifyPlanFor(options_.redact);
  plan.detect.mode = DetectorMode::kFast;
  plan.detect.score_threshold -= options_.verify_encoder_margin;
  plan.rotation_degrees = rotation_;
  const size_t before = job.regions.size();
  auto outcome = redact::VerifyDrawn(session, job.frame.image, plan, &job.regions);
  if (!outcome.ok()) return outcome.status();
  job.verify_added = outcome->added;
  job.residual = outcome->residual;
  // Carried on: this frame's finds, then what was carried into it (unless a region overlapping
  // it by half is carried already, or it has been carried kMaxCarries times).
  std::vector<CarriedRegion> carry;
  const auto already_carried = [&](const RedactedRegion& r) {
    return std::any_of(carry.begin(), carry.end(), [&](const CarriedRegion& c) {
      return detect::IntersectionOverUnion(c.region.region, r.region) >= 0.5f;
    });
  };
  for (size_t i = before; i < job.regions.size(); ++i) {
    if (!already_carried(job.regions[i])) carry.push_back({job.regions[i], 0});
  }
  for (const CarriedRegion& c : job.carried) {
    if (c.carries + 1 < kMaxCarries && !already_carried(c.region)) {
      carry.push_back({c.region, c.carries + 1});
    }
  }
  verify_found_.Put(job.index, std::move(carry));
  return Status::Ok();
}

Status VideoRedactor::WriteInOrder(VideoRedactSummary* summary) {
  const video::VideoStreamInfo& info = reader_.video();
  for (int64_t index = 0;; ++index) {
    std::optional<JobPtr> taken = verified_.Take(index);
    if (!taken) return failure_.status();
    JobPtr job = std::move(*taken);
    for (video::PacketPtr& packet : job->passthrough) {
      FACET_RETURN_IF_ERROR(writer_.WritePassthrough(packet.get()));
    }
    if (job->end) return Status::Ok();
    FACET_RETURN_IF_ERROR(writer_.WriteFrame(image::AsMat(job->frame.image), job->frame.pts));
    summary->faces_per_frame.push_back(
        static_cast<int>(std::count_if(job->regions.begin(), job->regions.end(),
                                       [](const RedactedRegion& r) { return !r.kept; })));
    summary->redacted_share_per_frame.push_back(
        RedactedShare(job->regions, options_.redact.shape, info.width, info.height));
    summary->verify_regions += job->verify_added;
    summary->residual_faces += job->residual;
    summary->frames_with_residual += job->residual > 0 ? 1 : 0;
    ++summary->frames;
    if (options_.progress) options_.progress({summary->frames, info.estimated_frames});
    if (options_.cancelled && options_.cancelled()) {
      return Status::Cancelled("stopped after " + std::to_string(summary->frames) +
                               " frames; no output written");
    }
  }
}

Result<VideoRedactSummary> VideoRedactor::Run() {
  VideoRedactSummary summary;
  const double cpu_start = ThreadCpuSeconds();
  std::vector<std::thread> threads;
  threads.emplace_back([this] { DecodeLoop(); });
  for (int t = 0; t < options_.threads; ++t) {
    threads.emplace_back(
        [this] { WorkerLoop(decoded_, detected_, &VideoRedactor::Detect, &cpu_detect_); });
  }
  threads.emplace_back([this] { TrackLoop(); });
  for (int t = 0; verifying() && t < options_.threads; ++t) {
    threads.emplace_back(
        [this] { WorkerLoop(drawn_, verified_, &VideoRedactor::Verify, &cpu_verify_); });
  }
  Status status = WriteInOrder(&summary);
  if (!status.ok()) Fail(status);
  if (status.ok()) status = writer_.Finish();
  if (!status.ok()) Fail(status);
  for (std::thread& thread : threads) thread.join();
  if (failure_.failed()) return failure_.status();
  summary.tracks = tracker_.tracks_started();
  summary.look_back_frames = look_back_.frames();
  summary.cpu_encode_seconds = ThreadCpuSeconds() - cpu_start;
  summary.cpu_decode_seconds = cpu_decode_;
  summary.cpu_detect_seconds = cpu_detect_;
  summary.cpu_track_seconds = cpu_track_;
  summary.cpu_verify_seconds = cpu_verify_;
  return summary;
}

}  // namespace

Result<VideoRedactSummary> RedactVideo(const std::shared_ptr<const Engine>& engine,
                                       const std::string& input_path,
                                       const std::string& output_path,
                                       const VideoRedactOptions& options) {
  if (!engine) return Status::InvalidArgument("RedactVideo: no engine");
  FACET_RETURN_IF_ERROR(ValidateRedactOptions(options));
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
  result->input_video_packets = (*reader)->video_packets();
  result->damaged_frames = (*reader)->damaged_frames();
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result->cpu_total_seconds = ProcessCpuSeconds() - process_cpu_start;
  return result;
}

}  // namespace facet
