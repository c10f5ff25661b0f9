// facet eval redact: redaction measured on WIDER FACE.
//   - recall: the share of annotated faces whose box is >= 90 % covered by the drawn redaction
//     (all faces, faces >= 16 px high, by height), and how many drawn regions hold no annotated
//     face;
//   - precision: the share of each image redacted outside the annotated faces grown 2x about
//     their centres (head and hair), averaged over the images, and how many images lose more than
//     10 % of their picture that way (after verification too, when it runs);
//   - residual detections: faces the detector still finds in the redacted image (after the
//     redaction's own verification rounds, RedactOptions::verify_rounds, which scan the JPEG with
//     the detector in recall mode at 0.5) at its normal threshold (0.5), in fast and recall mode,
//     and at 0.3 in recall mode, a margin below what verification looked for;
//   - re-identification: every face the detector finds in the original (recall mode, 0.5) is
//     embedded in the original and, with the same landmarks, in the redacted image; a pair
//     scoring at or above the recognizer's FMR-1e-3 threshold is a match (a failure); reported
//     also per the original face's qualityForRecognition.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>

#include "batch.h"
#include "cli_common.h"
#include "commands.h"
#include "eval/pairs.h"
#include "eval/redaction.h"
#include "eval/wider.h"
#include "facet/redact.h"
#include "redact_flags.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

struct EvalRedactFlags {
  std::string data;
  RedactionFlags redaction;  // as `facet redact` takes them
  bool sweep = false;
  bool coverage_only = false;
  int limit = 0;
  int offset = 0;
  int workers = 2;
  bool json = false;
  EngineFlags engine;
};

constexpr float kNormalThreshold = 0.5f;
constexpr float kMarginThreshold = 0.3f;
const std::vector<float> kSweep = {0.15f, 0.2f, 0.25f, 0.3f, 0.35f, 0.4f, 0.5f, 0.6f};

struct ImageOutcome {
  Status status;
  std::vector<std::vector<float>> coverage;  // per threshold, per annotated face
  std::vector<std::vector<Box>> regions;     // per threshold, drawn region bounds
  std::vector<float> area_share;             // per threshold, share of the image redacted
  std::vector<float> false_share;  // per threshold, share redacted outside the grown faces
  float final_false_share = 0;     // the same after verification (the main threshold)
  int residual_fast = 0, residual_fast_on_face = 0;
  int residual_recall = 0, residual_recall_on_face = 0;
  int residual_margin = 0, residual_margin_on_face = 0;
  int verify_regions = 0;           // regions the verification rounds added
  int verify_residual = 0;          // ImageRedaction::residual_faces
  int verify_last_round = 0;        // the last round that redacted something (0: none did)
  std::vector<float> similarities;  // original vs redacted, per face found in the original
  std::vector<QualityLevel> levels;  // the original face's qualityForRecognition, per similarity
};

bool CentreInAny(const Box& box, const std::vector<Box>& faces) {
  return std::any_of(faces.begin(), faces.end(),
                     [&](const Box& f) { return eval::CentreInside(box, f); });
}

Status Checks(Session& session, const Image& original, const Image& redacted,
              const std::vector<Box>& faces, ImageOutcome* out) {
  DetectOptions boxes_only;
  boxes_only.score_threshold = kNormalThreshold;
  boxes_only.compute_landmarks = false;
  for (DetectorMode mode : {DetectorMode::kFast, DetectorMode::kRecall}) {
    boxes_only.mode = mode;
    auto found = session.Detect(redacted, boxes_only);
    if (!found.ok()) return found.status();
    int on_face = 0;
    for (const Face& f : found.value()) on_face += CentreInAny(f.box, faces) ? 1 : 0;
    (mode == DetectorMode::kFast ? out->residual_fast : out->residual_recall) =
        static_cast<int>(found->size());
    (mode == DetectorMode::kFast ? out->residual_fast_on_face : out->residual_recall_on_face) =
        on_face;
  }
  boxes_only.score_threshold = kMarginThreshold;
  auto margin = session.Detect(redacted, boxes_only);  // still recall mode
  if (!margin.ok()) return margin.status();
  out->residual_margin = static_cast<int>(margin->size());
  for (const Face& f : margin.value()) out->residual_margin_on_face += CentreInAny(f.box, faces);
  DetectOptions recognition;
  recognition.mode = DetectorMode::kRecall;
  recognition.score_threshold = kNormalThreshold;
  recognition.compute_quality = true;  // re-identification is reported per quality level
  auto originals = session.Detect(original, recognition);
  if (!originals.ok()) return originals.status();
  if (originals->empty()) return Status::Ok();
  auto before = session.EmbedAll(original, originals.value());
  if (!before.ok()) return before.status();
  auto after = session.EmbedAll(redacted, originals.value());
  if (!after.ok()) return after.status();
  for (size_t i = 0; i < before->size(); ++i) {
    auto similarity = CosineSimilarity((*before)[i], (*after)[i]);
    if (!similarity.ok()) return similarity.status();
    out->similarities.push_back(similarity.value());
    out->levels.push_back((*originals)[i].quality.level);
  }
  return Status::Ok();
}

nlohmann::json TallyJson(const eval::RedactionTally& t) {
  return {{"faces", t.faces}, {"redacted", t.redacted}, {"recall", Round(t.recall())}};
}

int RunEvalRedact(EvalRedactFlags& flags) {
  auto parsed = RedactOptionsFromFlags(flags.redaction);
  if (!parsed.ok()) {
    PrintError("eval redact", parsed.status());
    return kExitUsage;
  }
  RedactOptions options = parsed.value();
  const fs::path dir(flags.data);
  auto gt = eval::ReadTextFile((dir / "wider_face_val_bbx_gt.txt").string());
  if (!gt.ok()) {
    PrintError("eval redact", gt.status());
    return kExitFailure;
  }
  auto images = eval::ParseWider(gt.value(), {"", "", ""});
  if (!images.ok()) {
    PrintError("eval redact", images.status());
    return kExitFailure;
  }
  images->erase(images->begin(),
                images->begin() + std::min<size_t>(images->size(), std::max(0, flags.offset)));
  if (flags.limit > 0 && images->size() > static_cast<size_t>(flags.limit)) {
    images->resize(flags.limit);
  }
  options.verify_encoding = ImageFormat::kJpeg;  // as `facet redact OUT.jpg` verifies
  std::vector<float> thresholds = {flags.redaction.threshold};
  if (flags.sweep) thresholds.insert(thresholds.end(), kSweep.begin(), kSweep.end());
  options.score_threshold = *std::min_element(thresholds.begin(), thresholds.end());
  if (flags.engine.threads == 0) flags.engine.threads = 1;
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;

  std::vector<ImageOutcome> outcomes(images->size());
  const auto start = std::chrono::steady_clock::now();
  const Status status = ForEachParallel(
      engine, images->size(), flags.workers, "eval redact", [&](Session& session, size_t i) {
        ImageOutcome& out = outcomes[i];
        const eval::WiderImage& wider = (*images)[i];
        auto image = LoadImage((dir / "images" / wider.path).string());
        if (!image.ok()) {
          out.status = image.status();
          return;
        }
        auto found = FindRedactions(session, image.value(), options);
        if (!found.ok()) {
          out.status = found.status();
          return;
        }
        std::vector<RedactedRegion> primary;
        std::vector<Box> heads;  // annotated faces grown 2x: head and hair are not false area
        for (const Box& f : wider.faces) {
          heads.push_back({f.x - f.width / 2, f.y - f.height / 2, 2 * f.width, 2 * f.height});
        }
        for (size_t index = 0; index < thresholds.size(); ++index) {
          const float t = thresholds[index];
          std::vector<RedactedRegion> kept;
          for (const RedactedRegion& r : found->regions) {
            // The lowest threshold is the scan's own: all its regions, including those the
            // second opinion let in from below it.
            if (r.score >= t || t <= options.score_threshold) kept.push_back(r);
          }
          std::vector<float> coverage;
          coverage.reserve(wider.faces.size());
          for (const Box& face : wider.faces) {
            coverage.push_back(
                RedactionCoverage(kept, options.shape, face, image->width(), image->height()));
          }
          std::vector<Box> bounds;
          bounds.reserve(kept.size());
          for (const RedactedRegion& r : kept) bounds.push_back(r.region);
          out.area_share.push_back(RedactionCoverage(
              kept, options.shape,
              {0, 0, static_cast<float>(image->width()), static_cast<float>(image->height())},
              image->width(), image->height()));
          out.false_share.push_back(
              RedactedAreaOutside(kept, options.shape, heads, image->width(), image->height()));
          out.coverage.push_back(std::move(coverage));
          out.regions.push_back(std::move(bounds));
          if (index == 0) primary = kept;
        }
        out.final_false_share = out.false_share.front();
        if (flags.coverage_only) return;
        Image redacted = image.value();
        DrawRedactions(redacted, primary, options.mode, options.shape);
        ImageRedaction drawn;
        drawn.regions = primary;
        out.status = VerifyRedaction(session, redacted, options, &drawn);
        if (!out.status.ok()) return;
        out.verify_regions = static_cast<int>(drawn.regions.size() - primary.size());
        out.final_false_share = RedactedAreaOutside(drawn.regions, options.shape, heads,
                                                    image->width(), image->height());
        out.verify_residual = drawn.residual_faces;
        for (const RedactedRegion& r : drawn.regions) {
          out.verify_last_round = std::max(out.verify_last_round, r.verify_round);
        }
        auto written = RoundTripImage(redacted, ImageFormat::kJpeg);  // what `facet redact` writes
        if (!written.ok()) {
          out.status = written.status();
          return;
        }
        out.status = Checks(session, image.value(), written.value(), wider.faces, &out);
      });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    PrintError("eval redact", status);
    return kExitFailure;
  }
  std::vector<eval::RedactionRecall> recalls(thresholds.size());
  std::vector<double> area_sum(thresholds.size(), 0);
  std::vector<double> false_sum(thresholds.size(), 0);
  std::vector<int> false_over_10(thresholds.size(), 0);
  double final_false_sum = 0, false_max = 0;
  int final_false_over_10 = 0;
  size_t failed = 0;
  int residual_fast = 0, residual_fast_on_face = 0, residual_recall = 0,
      residual_recall_on_face = 0, residual_margin = 0, residual_margin_on_face = 0,
      verify_regions = 0, verify_residual = 0;
  std::vector<float> similarities;
  std::vector<QualityLevel> levels;
  // images_by_rounds[n]: images whose verification redacted something in n rounds.
  std::vector<int> images_by_rounds(static_cast<size_t>(flags.redaction.verify_rounds) + 1, 0);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const ImageOutcome& out = outcomes[i];
    if (!out.status.ok()) {
      PrintError((*images)[i].path, out.status);
      ++failed;
    }
    for (size_t t = 0; t < thresholds.size() && t < out.coverage.size(); ++t) {
      recalls[t].AddImage((*images)[i].faces, out.coverage[t], out.regions[t]);
      area_sum[t] += out.area_share[t];
      false_sum[t] += out.false_share[t];
      false_over_10[t] += out.false_share[t] > 0.1f ? 1 : 0;
    }
    if (!out.coverage.empty()) {
      final_false_sum += out.final_false_share;
      final_false_over_10 += out.final_false_share > 0.1f ? 1 : 0;
      false_max = std::max(false_max, static_cast<double>(out.final_false_share));
    }
    // An image that failed to load counts its faces as missed.
    if (out.coverage.empty()) {
      for (auto& r : recalls) r.AddImage((*images)[i].faces, {}, {});
    }
    residual_fast += out.residual_fast;
    residual_fast_on_face += out.residual_fast_on_face;
    residual_recall += out.residual_recall;
    residual_recall_on_face += out.residual_recall_on_face;
    residual_margin += out.residual_margin;
    residual_margin_on_face += out.residual_margin_on_face;
    verify_regions += out.verify_regions;
    verify_residual += out.verify_residual;
    if (out.status.ok()) ++images_by_rounds[static_cast<size_t>(out.verify_last_round)];
    similarities.insert(similarities.end(), out.similarities.begin(), out.similarities.end());
    levels.insert(levels.end(), out.levels.begin(), out.levels.end());
  }
  const eval::RedactionRecall& main = recalls.front();
  nlohmann::json by_height = nlohmann::json::array();
  for (size_t b = 0; b < eval::kHeightBinStarts.size(); ++b) {
    nlohmann::json bin = TallyJson(main.by_height[b]);
    bin["min_height"] = eval::kHeightBinStarts[b];
    by_height.push_back(bin);
  }
  nlohmann::json out = {
      {"images", images->size()},
      {"failed_images", failed},
      {"threshold", flags.redaction.threshold},
      {"second_opinion_below", flags.redaction.second_opinion_below},
      {"large_face_opinion", flags.redaction.large_face_opinion},
      {"scale", flags.redaction.scale},
      {"shape", flags.redaction.shape},
      {"mode", flags.redaction.mode},
      {"photo_tile_levels", flags.redaction.levels},
      {"all", TallyJson(main.all)},
      {"at_least_16px", TallyJson(main.at_least_16px)},
      {"by_height", by_height},
      {"regions", main.regions},
      {"regions_without_face", main.regions_without_face},
      {"mean_area_redacted", Round(area_sum[0] / std::max<size_t>(1, images->size()))},
      {"false_area",
       {{"spared", "annotated faces grown 2x about their centres"},
        {"mean", Round(false_sum[0] / std::max<size_t>(1, images->size()))},
        {"images_over_10pct", false_over_10[0]},
        {"mean_after_verification", Round(final_false_sum / std::max<size_t>(1, images->size()))},
        {"images_over_10pct_after_verification", final_false_over_10},
        {"max_after_verification", Round(false_max)}}},
      {"seconds_per_image",
       Round(seconds * flags.workers / std::max<size_t>(1, images->size()), 1000)}};
  if (flags.sweep) {
    nlohmann::json sweep = nlohmann::json::array();
    for (size_t t = 1; t < thresholds.size(); ++t) {
      sweep.push_back(
          {{"threshold", Round(thresholds[t], 100)},
           {"recall_all", Round(recalls[t].all.recall())},
           {"recall_16px", Round(recalls[t].at_least_16px.recall())},
           {"regions", recalls[t].regions},
           {"regions_without_face", recalls[t].regions_without_face},
           {"mean_area_redacted", Round(area_sum[t] / std::max<size_t>(1, images->size()))},
           {"mean_false_area", Round(false_sum[t] / std::max<size_t>(1, images->size()))},
           {"images_false_area_over_10pct", false_over_10[t]}});
    }
    out["sweep"] = sweep;
  }
  const float match_threshold = engine->recognizer().threshold_fmr_1e3;
  if (!flags.coverage_only) {
    const auto matches = std::count_if(similarities.begin(), similarities.end(),
                                       [&](float s) { return s >= match_threshold; });
    double sum = 0;
    for (float s : similarities) sum += s;
    out["residual_detections"] = {{"threshold", kNormalThreshold},
                                  {"fast", residual_fast},
                                  {"fast_on_annotated_face", residual_fast_on_face},
                                  {"recall", residual_recall},
                                  {"recall_on_annotated_face", residual_recall_on_face},
                                  {"recall_at_0.3", residual_margin},
                                  {"recall_at_0.3_on_annotated_face", residual_margin_on_face}};
    out["verification"] = {{"rounds", flags.redaction.verify_rounds},
                           {"regions_added", verify_regions},
                           {"residual_faces", verify_residual},
                           {"images_by_rounds_that_redacted", images_by_rounds}};
    out["reidentification"] = {
        {"model", engine->recognizer().name},
        {"threshold_fmr_1e-3", match_threshold},
        {"faces", similarities.size()},
        {"matches", matches},
        {"max_similarity",
         similarities.empty() ? 0.0
                              : Round(*std::max_element(similarities.begin(), similarities.end()))},
        {"mean_similarity",
         similarities.empty() ? 0.0 : Round(sum / static_cast<double>(similarities.size()))}};
    // By the original face's qualityForRecognition: a "low" face (tiny, blurred, turned) is not
    // recognisable to begin with, and its template and its redacted copy's are both close to the
    // "no face" direction, so they match each other; what protects people is medium and high.
    nlohmann::json by_quality = nlohmann::json::object();
    for (QualityLevel level : {QualityLevel::kLow, QualityLevel::kMedium, QualityLevel::kHigh}) {
      size_t faces = 0, level_matches = 0;
      for (size_t i = 0; i < similarities.size(); ++i) {
        if (levels[i] != level) continue;
        ++faces;
        level_matches += similarities[i] >= match_threshold ? 1 : 0;
      }
      by_quality[QualityLevelName(level)] = {{"faces", faces}, {"matches", level_matches}};
    }
    out["reidentification"]["by_quality"] = by_quality;
  }
  if (flags.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf(
        "WIDER redaction (%zu images, threshold %.2f, scale %.2f, %s): recall %.4f of %lld faces, "
        "%.4f of %lld faces >= 16 px; %lld regions, %lld without an annotated face\n",
        images->size(), flags.redaction.threshold, flags.redaction.scale,
        flags.redaction.shape.c_str(), main.all.recall(), static_cast<long long>(main.all.faces),
        main.at_least_16px.recall(), static_cast<long long>(main.at_least_16px.faces),
        static_cast<long long>(main.regions), static_cast<long long>(main.regions_without_face));
    std::printf(
        "redacted outside the annotated faces grown 2x: %.4f of the picture on average, %d images "
        "over 10 %% (after verification: %.4f, %d over 10 %%, max %.4f)\n",
        false_sum[0] / static_cast<double>(std::max<size_t>(1, images->size())), false_over_10[0],
        final_false_sum / static_cast<double>(std::max<size_t>(1, images->size())),
        final_false_over_10, false_max);
    if (!flags.coverage_only) {
      std::printf(
          "verification (%d rounds): %d regions added, %d faces left; residual detections at "
          "0.5: fast %d (%d on a face), recall %d (%d on a face); at 0.3: recall %d (%d on a "
          "face); re-identification: %s of %zu faces match at >= %.4f (max %s)\n",
          flags.redaction.verify_rounds, verify_regions, verify_residual, residual_fast,
          residual_fast_on_face, residual_recall, residual_recall_on_face, residual_margin,
          residual_margin_on_face, out["reidentification"]["matches"].dump().c_str(),
          similarities.size(), match_threshold,
          out["reidentification"]["max_similarity"].dump().c_str());
      std::printf("images by the number of verification rounds that redacted something: %s\n",
                  nlohmann::json(images_by_rounds).dump().c_str());
      std::printf("re-identification by the original's quality: %s\n",
                  out["reidentification"]["by_quality"].dump().c_str());
    }
    if (flags.sweep) std::printf("sweep: %s\n", out["sweep"].dump().c_str());
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

EvalSubcommand RegisterEvalRedact(CLI::App* eval) {
  auto flags = std::make_shared<EvalRedactFlags>();
  CLI::App* cmd = eval->add_subcommand(
      "redact",
      "redaction on WIDER FACE: recall (>= 90 % of each face covered), residual "
      "detections, re-identification");
  cmd->add_option("--data", flags->data, "folder with images/ and wider_face_val_bbx_gt.txt")
      ->required();
  AddRedactionFlags(cmd, &flags->redaction);
  cmd->add_flag("--sweep", flags->sweep, "also report recall at thresholds 0.15 .. 0.6");
  cmd->add_flag("--coverage-only", flags->coverage_only,
                "skip the residual-detection and re-identification checks");
  cmd->add_option("--limit", flags->limit, "only N images")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  cmd->add_option("--offset", flags->offset,
                  "skip the first N images (--offset 150: the images the region geometry was not "
                  "fitted on)")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  cmd->add_option("--workers", flags->workers, "parallel workers, one Session each (default 2)");
  cmd->add_flag("--json", flags->json, "print JSON");
  AddEngineFlags(cmd, &flags->engine);
  return {cmd, [flags] {
            if (!CheckWorkers(flags->workers)) return kExitUsage;
            return RunEvalRedact(*flags);
          }};
}

}  // namespace facet::cli
