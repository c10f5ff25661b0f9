// facet eval lfw | pairs | wider: accuracy measured end to end from raw images.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "batch.h"
#include "cli_common.h"
#include "commands.h"
#include "eval/pairs.h"
#include "eval/quality_edc.h"
#include "eval/roc_plot.h"
#include "eval/verification.h"
#include "eval/wider.h"
#include "lfw_calibration.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

struct EvalFlags {
  std::string data;
  std::string list;
  std::string root;
  std::string plot;
  std::string pairs_out;
  std::string mode = "fast";
  float threshold = 0.02f;  // wider: the lowest score kept (WIDER AP integrates over every detection; 0.02 as InsightFace evaluates)
  bool json = false;
  bool mirror = false;
  bool calibrate = false;
  bool quality_edc = false;
  std::string edc_plot;
  int threads = 2;
  EngineFlags engine;
};

std::vector<eval::PairOutcome> Outcomes(const std::vector<eval::LabeledPair>& pairs,
                                        const std::string& root,
                                        std::map<std::string, BatchItem>& items, size_t* failures,
                                        nlohmann::json* failed_images) {
  std::vector<eval::PairOutcome> outcomes;
  *failures = 0;
  for (const eval::LabeledPair& p : pairs) {
    eval::PairOutcome o;
    o.same = p.same;
    o.fold = p.fold;
    const BatchItem& a = items[(fs::path(root) / p.path_a).string()];
    const BatchItem& b = items[(fs::path(root) / p.path_b).string()];
    if (!a.embedding || !b.embedding) {
      o.failed = true;
      ++*failures;
    } else {
      o.similarity = CosineSimilarity(*a.embedding, *b.embedding).value();
    }
    outcomes.push_back(o);
  }
  for (const auto& [path, item] : items) {
    if (!item.embedding) failed_images->push_back({{"image", path}, {"error", item.status.ToString()}});
  }
  return outcomes;
}

// The exit code of a pair evaluation whose results are printed: kExitFailure when an output
// file could not be written or an image could not be read (a missing or broken image is not a
// result about the model, unlike a photo without a face), each said on stderr.
int PairEvalExitCode(const std::map<std::string, BatchItem>& items, bool outputs_written) {
  size_t unreadable = 0;
  const std::string* first = nullptr;
  const BatchItem* first_item = nullptr;
  for (const auto& [path, item] : items) {
    if (item.embedding || item.status.code() == StatusCode::kNoFace) continue;
    if (unreadable++ == 0) {
      first = &path;
      first_item = &item;
    }
  }
  if (unreadable > 0) {
    PrintError("eval", Status::FailedPrecondition(std::to_string(unreadable) + " of " +
                                                  std::to_string(items.size()) +
                                                  " images could not be read, e.g. " + *first +
                                                  ": " + first_item->status.ToString()));
  }
  return unreadable == 0 && outputs_written ? kExitOk : kExitFailure;
}

// kExitUsage (said on stderr) when an output flag names one of the inputs.
bool OutputsAreNotInputs(const std::vector<std::pair<const char*, std::string>>& outputs,
                         const std::vector<std::string>& inputs) {
  for (const auto& [flag, output] : outputs) {
    if (output.empty()) continue;
    const Status status = CheckOutputIsNotAnInput(output, inputs);
    if (!status.ok()) {
      PrintError(flag, status);
      return false;
    }
  }
  return true;
}

BatchOptions MakeBatchOptions(const EvalFlags& flags, FacePick pick, DetectorMode mode) {
  BatchOptions options;
  options.threads = flags.threads;
  options.pick = pick;
  options.detect.mode = mode;
  options.detect.compute_quality = true;  // cheap next to embedding; reported per quality level
  options.embed.mirror_average = flags.mirror;
  return options;
}

// Pairs grouped by the lower quality level of their two faces: how often the decision at the
// model's FMR-1e-3 threshold is wrong (does qualityForRecognition predict recognition errors?).
nlohmann::json ByQuality(const std::vector<eval::LabeledPair>& pairs, const std::string& root,
                         std::map<std::string, BatchItem>& items, float threshold) {
  struct Counts {
    size_t same = 0, false_non_match = 0, different = 0, false_match = 0;
  };
  std::map<std::string, Counts> by_level;
  for (const eval::LabeledPair& p : pairs) {
    const BatchItem& a = items[(fs::path(root) / p.path_a).string()];
    const BatchItem& b = items[(fs::path(root) / p.path_b).string()];
    if (!a.embedding || !b.embedding) continue;
    const QualityLevel level = std::min(a.face->quality.level, b.face->quality.level);
    const bool match = CosineSimilarity(*a.embedding, *b.embedding).value() >= threshold;
    Counts& c = by_level[QualityLevelName(level)];
    if (p.same) {
      ++c.same;
      if (!match) ++c.false_non_match;
    } else {
      ++c.different;
      if (match) ++c.false_match;
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [level, c] : by_level) {
    out[level] = {{"same_pairs", c.same},
                  {"fnmr", c.same > 0 ? Round(static_cast<double>(c.false_non_match) / c.same) : 0.0},
                  {"different_pairs", c.different},
                  {"fmr", c.different > 0 ? Round(static_cast<double>(c.false_match) / c.different) : 0.0}};
  }
  return out;
}

// One line per pair: label, similarity and both faces' quality measurements (for error analysis).
Status WritePairsTsv(const std::vector<eval::LabeledPair>& pairs, const std::string& root,
                     std::map<std::string, BatchItem>& items, const std::string& path) {
  std::ofstream out(path);
  if (!out) return Status::InvalidArgument(path + ": cannot write");
  out << "fold\tsame\tsimilarity\tpath_a\tpath_b";
  for (const char* side : {"a", "b"}) {
    for (const char* key : {"quality", "face_size", "sharpness", "yaw", "pitch", "roll", "score",
                            "quality_score", "mirror_agreement", "feature_norm", "pose_method"}) {
      out << "\t" << key << "_" << side;
    }
  }
  out << "\n";
  for (const eval::LabeledPair& p : pairs) {
    const BatchItem& a = items[(fs::path(root) / p.path_a).string()];
    const BatchItem& b = items[(fs::path(root) / p.path_b).string()];
    out << p.fold << "\t" << (p.same ? 1 : 0) << "\t";
    if (a.embedding && b.embedding) {
      out << CosineSimilarity(*a.embedding, *b.embedding).value();
    } else {
      out << "nan";
    }
    out << "\t" << p.path_a << "\t" << p.path_b;
    for (const BatchItem* item : {&a, &b}) {
      if (!item->face) {
        out << "\tnone\tnan\tnan\tnan\tnan\tnan\tnan\tnan\tnan\tnan\tnone";
        continue;
      }
      const Quality& q = item->face->quality;
      out << "\t" << QualityLevelName(q.level) << "\t" << q.face_size << "\t" << q.sharpness << "\t"
          << q.yaw_degrees << "\t" << q.pitch_degrees << "\t" << q.roll_degrees << "\t"
          << item->face->score << "\t" << q.score << "\t" << q.mirror_agreement << "\t"
          << q.feature_norm << "\t" << PoseMethodName(q.pose_method);
    }
    out << "\n";
  }
  out.close();
  if (!out) return Status::Internal(path + ": write failed");
  return Status::Ok();
}

// The error-versus-discard characteristic of Quality::score on the pairs, at the model's FMR-1e-3
// threshold (an image without a face has the lowest quality).
std::vector<eval::EdcPoint> QualityEdc(const std::vector<eval::LabeledPair>& pairs,
                                       const std::string& root,
                                       std::map<std::string, BatchItem>& items, float threshold) {
  std::map<std::string, int> index;
  std::vector<float> quality;
  auto image = [&](const std::string& relative) {
    const std::string path = (fs::path(root) / relative).string();
    auto [it, added] = index.emplace(path, static_cast<int>(quality.size()));
    if (added) {
      const BatchItem& item = items[path];
      quality.push_back(item.embedding && item.face ? item.face->quality.score : -1.0f);
    }
    return it->second;
  };
  std::vector<eval::EdcPair> edc_pairs;
  for (const eval::LabeledPair& p : pairs) {
    eval::EdcPair e{.image_a = image(p.path_a), .image_b = image(p.path_b), .same = p.same};
    const BatchItem& a = items[(fs::path(root) / p.path_a).string()];
    const BatchItem& b = items[(fs::path(root) / p.path_b).string()];
    e.failed = !a.embedding || !b.embedding;
    if (!e.failed) e.similarity = CosineSimilarity(*a.embedding, *b.embedding).value();
    edc_pairs.push_back(e);
  }
  return eval::ErrorVersusDiscard(edc_pairs, quality, threshold, {0.0, 0.05, 0.10, 0.20});
}

int RunLfw(const EvalFlags& flags) {
  auto text = eval::ReadTextFile((fs::path(flags.data) / "pairs.txt").string());
  if (!text.ok()) {
    PrintError("eval lfw", text.status());
    return kExitFailure;
  }
  auto pairs = eval::ParseLfwPairs(text.value());
  if (!pairs.ok()) {
    PrintError("eval lfw", pairs.status());
    return kExitFailure;
  }
  const std::string root = (fs::path(flags.data) / "images").string();
  std::vector<std::string> paths;
  for (const auto& p : pairs.value()) {
    paths.push_back((fs::path(root) / p.path_a).string());
    paths.push_back((fs::path(root) / p.path_b).string());
  }
  std::vector<std::string> inputs = paths;
  inputs.push_back((fs::path(flags.data) / "pairs.txt").string());
  if (!OutputsAreNotInputs({{"--plot", flags.plot},
                            {"--edc-plot", flags.edc_plot},
                            {"--pairs-out", flags.pairs_out}},
                           inputs)) {
    return kExitUsage;
  }
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  const bool calibrated = engine->recognizer().calibrated();
  if (!calibrated && (flags.quality_edc || !flags.edc_plot.empty())) {
    PrintError("--quality-edc", Status::FailedPrecondition(
                                    "needs the model's FMR-1e-3 threshold: run `facet models "
                                    "calibrate " + engine->recognizer().name + " --data DIR` first"));
    return kExitFailure;
  }
  const auto start = std::chrono::steady_clock::now();
  auto items = EmbedDistinct(engine, paths, MakeBatchOptions(flags, FacePick::kNearestCentre, DetectorMode::kFast));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t failures = 0;
  nlohmann::json failed_images = nlohmann::json::array();
  const auto outcomes = Outcomes(pairs.value(), root, items, &failures, &failed_images);
  const eval::TenFoldResult tenfold = eval::CrossValidatedAccuracy(outcomes);
  const eval::TarAtFarResult tar3 = eval::TarAtFar(outcomes, 1e-3);
  nlohmann::json out = {{"model", engine->recognizer().name},
                        {"mirror_average", flags.mirror},
                        {"accuracy", Round(tenfold.mean_accuracy)},
                        {"accuracy_std", Round(tenfold.std_accuracy)},
                        {"mean_threshold", Round(tenfold.mean_threshold)},
                        {"tar_at_far_1e-3", Round(tar3.tar)},
                        {"pairs", outcomes.size()},
                        {"failures", failures},
                        {"images", items.size()},
                        {"images_without_face", failed_images},
                        {"seconds", Round(seconds, 10)}};
  // Decisions at the model's own threshold (none before a registered model is calibrated).
  if (calibrated) {
    out["by_quality"] = ByQuality(pairs.value(), root, items, engine->recognizer().threshold_fmr_1e3);
  }
  if (flags.calibrate) out["calibration"] = CalibrationToJson(CalibrateByFolder(items));
  std::vector<eval::EdcPoint> edc;
  if (flags.quality_edc || !flags.edc_plot.empty()) {
    edc = QualityEdc(pairs.value(), root, items, engine->recognizer().threshold_fmr_1e3);
    nlohmann::json curve = nlohmann::json::array();
    for (const eval::EdcPoint& p : edc) {
      curve.push_back({{"discarded", p.discard_fraction},
                       {"genuine_pairs", p.genuine_pairs},
                       {"false_non_matches", p.false_non_matches},
                       {"fnmr", Round(p.fnmr)},
                       {"impostor_pairs", p.impostor_pairs},
                       {"fmr", Round(p.fmr)}});
    }
    out["quality_edc"] = {{"threshold", Round(engine->recognizer().threshold_fmr_1e3)},
                          {"curve", curve}};
  }
  bool outputs_written = true;
  if (!flags.edc_plot.empty()) {
    Status plotted = eval::WriteEdcPlot({{"LFW " + engine->recognizer().name + ", Quality::score", edc}},
                                        flags.edc_plot);
    if (!plotted.ok()) PrintError("--edc-plot", plotted);
    outputs_written = outputs_written && plotted.ok();
  }
  if (!flags.pairs_out.empty()) {
    Status written = WritePairsTsv(pairs.value(), root, items, flags.pairs_out);
    if (!written.ok()) PrintError("--pairs-out", written);
    outputs_written = outputs_written && written.ok();
  }
  if (!flags.plot.empty()) {
    Status plotted = eval::WriteRocPlot({{"LFW " + engine->recognizer().name, eval::RocCurve(outcomes)}}, flags.plot);
    if (!plotted.ok()) PrintError("--plot", plotted);
    outputs_written = outputs_written && plotted.ok();
  }
  if (flags.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("LFW 10-fold (%s%s): accuracy %.2f%% +- %.2f%%, TAR@FAR=1e-3 %.2f%%, %zu pairs, "
                "%zu failed pairs (%zu images without a face), %.0f s\n",
                engine->recognizer().name.c_str(), flags.mirror ? ", mirror-averaged" : "",
                100 * tenfold.mean_accuracy, 100 * tenfold.std_accuracy, 100 * tar3.tar,
                outcomes.size(), failures, failed_images.size(), seconds);
    if (calibrated) {
      std::printf("by quality (lower of the pair; decisions at the FMR-1e-3 threshold): %s\n",
                  out["by_quality"].dump().c_str());
    }
    if (flags.calibrate) std::printf("calibration: %s\n", out["calibration"].dump().c_str());
    if (!edc.empty()) {
      std::printf("error versus discard (FNMR at the FMR-1e-3 threshold %.4f, lowest quality first):",
                  engine->recognizer().threshold_fmr_1e3);
      for (const eval::EdcPoint& p : edc) {
        std::printf(" %.0f%%: %.2f%% (%lld/%lld)", 100 * p.discard_fraction, 100 * p.fnmr,
                    p.false_non_matches, p.genuine_pairs);
      }
      std::printf("\n");
    }
  }
  return PairEvalExitCode(items, outputs_written);
}

int RunPairs(const EvalFlags& flags) {
  auto text = eval::ReadTextFile(flags.list);
  if (!text.ok()) {
    PrintError("eval pairs", text.status());
    return kExitFailure;
  }
  auto pairs = eval::ParsePairList(text.value());
  if (!pairs.ok()) {
    PrintError("eval pairs", pairs.status());
    return kExitFailure;
  }
  std::vector<std::string> paths;
  for (const auto& p : pairs.value()) {
    paths.push_back((fs::path(flags.root) / p.path_a).string());
    paths.push_back((fs::path(flags.root) / p.path_b).string());
  }
  std::vector<std::string> inputs = paths;
  inputs.push_back(flags.list);
  if (!OutputsAreNotInputs({{"--pairs-out", flags.pairs_out}}, inputs)) return kExitUsage;
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  auto mode = ParseDetectorMode(flags.mode);
  if (!mode.ok()) {
    PrintError("--detector-mode", mode.status());
    return kExitUsage;
  }
  auto items = EmbedDistinct(engine, paths, MakeBatchOptions(flags, FacePick::kLargest, mode.value()));
  size_t failures = 0;
  nlohmann::json failed_images = nlohmann::json::array();
  const auto outcomes = Outcomes(pairs.value(), flags.root, items, &failures, &failed_images);
  const float threshold = engine->recognizer().threshold_fmr_1e3;
  const bool calibrated = engine->recognizer().calibrated();
  const eval::BestThreshold best = eval::BestThresholdAccuracy(outcomes);
  const auto tar2 = eval::TarAtFar(outcomes, 1e-2);
  const auto tar3 = eval::TarAtFar(outcomes, 1e-3);
  nlohmann::json out = {{"model", engine->recognizer().name},
                        {"calibrated", calibrated},
                        {"best_accuracy", Round(best.accuracy)},
                        {"best_threshold", Round(best.threshold)},
                        {"tar_at_far_1e-2", Round(tar2.tar)},
                        {"tar_at_far_1e-2_resolvable", tar2.resolvable},
                        {"tar_at_far_1e-3", Round(tar3.tar)},
                        {"tar_at_far_1e-3_resolvable", tar3.resolvable},
                        {"pairs", outcomes.size()},
                        {"failures", failures},
                        {"images_without_face", failed_images}};
  if (calibrated) {  // a registered model not calibrated yet has no threshold of its own
    out["default_threshold"] = threshold;
    out["accuracy_at_default_threshold"] = Round(eval::AccuracyAtThreshold(outcomes, threshold));
  }
  bool outputs_written = true;
  if (!flags.pairs_out.empty()) {
    Status written = WritePairsTsv(pairs.value(), flags.root, items, flags.pairs_out);
    if (!written.ok()) PrintError("--pairs-out", written);
    outputs_written = written.ok();
  }
  if (flags.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::string at_threshold;
    if (calibrated) {
      char line[96];
      std::snprintf(line, sizeof(line), "accuracy %.2f%% at the FMR-1e-3 threshold %.3f, ",
                    100 * eval::AccuracyAtThreshold(outcomes, threshold), threshold);
      at_threshold = line;
    }
    std::printf("%zu pairs (%zu failed): %sbest %.2f%% at %.3f; TAR@FAR 1e-2 %.2f%%%s, "
                "1e-3 %.2f%%%s\n",
                outcomes.size(), failures, at_threshold.c_str(), 100 * best.accuracy,
                best.threshold, 100 * tar2.tar, tar2.resolvable ? "" : " (not resolvable)",
                100 * tar3.tar, tar3.resolvable ? "" : " (not resolvable)");
  }
  return PairEvalExitCode(items, outputs_written);
}

int RunWider(const EvalFlags& flags) {
  const fs::path dir(flags.data);
  auto gt = eval::ReadTextFile((dir / "wider_face_val_bbx_gt.txt").string());
  std::array<std::string, 3> keep;
  const char* keep_files[] = {"easy_keep.txt", "medium_keep.txt", "hard_keep.txt"};
  for (int i = 0; i < 3 && gt.ok(); ++i) {
    auto k = eval::ReadTextFile((dir / keep_files[i]).string());
    if (!k.ok()) gt = k.status();
    else keep[i] = k.value();
  }
  if (!gt.ok()) {
    PrintError("eval wider", gt.status());
    return kExitFailure;
  }
  auto images = eval::ParseWider(gt.value(), keep);
  if (!images.ok()) {
    PrintError("eval wider", images.status());
    return kExitFailure;
  }
  auto mode = ParseDetectorMode(flags.mode);
  if (!mode.ok()) {
    PrintError("--detector-mode", mode.status());
    return kExitUsage;
  }
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  std::vector<std::vector<eval::ScoredBox>> detections(images->size());
  std::vector<Status> errors(images->size());
  DetectOptions options;
  options.mode = mode.value();
  options.score_threshold = flags.threshold;
  options.compute_quality = false;
  const auto start = std::chrono::steady_clock::now();
  Status status = ForEachParallel(engine, images->size(), flags.threads, "wider", [&](Session& session, size_t i) {
    auto image = LoadImage((dir / "images" / (*images)[i].path).string());
    if (!image.ok()) {
      errors[i] = image.status();
      return;
    }
    auto faces = session.Detect(image.value(), options);
    if (!faces.ok()) {
      errors[i] = faces.status();
      return;
    }
    for (const Face& f : faces.value()) detections[i].push_back({f.box, f.score});
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    PrintError("eval wider", status);
    return kExitFailure;
  }
  size_t failed = 0;
  for (size_t i = 0; i < errors.size(); ++i) {
    if (!errors[i].ok()) {
      PrintError((*images)[i].path, errors[i]);
      ++failed;
    }
  }
  const double easy = eval::WiderAveragePrecision(images.value(), detections, eval::kEasy);
  const double medium = eval::WiderAveragePrecision(images.value(), detections, eval::kMedium);
  const double hard = eval::WiderAveragePrecision(images.value(), detections, eval::kHard);
  nlohmann::json out = {{"ap_easy", Round(easy)},     {"ap_medium", Round(medium)},
                        {"ap_hard", Round(hard)},     {"images", images->size()},
                        {"failed_images", failed},    {"detector_mode", flags.mode},
                        {"score_threshold", flags.threshold},
                        {"seconds_per_image", Round(seconds * flags.threads / std::max<size_t>(1, images->size()), 1000)}};
  if (flags.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("WIDER FACE (%zu images, %s mode): AP easy %.3f, medium %.3f, hard %.3f (%.2f s/image/thread)\n",
                images->size(), flags.mode.c_str(), easy, medium, hard,
                seconds * flags.threads / std::max<size_t>(1, images->size()));
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

Action RegisterEval(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  // lfw and pairs measure accuracy with thresholds of their own (a registered model is evaluated
  // before `facet models calibrate`); wider only detects.
  flags->engine.needs_thresholds = false;
  CLI::App* eval = app.add_subcommand("eval", "measure accuracy end to end on labelled data");
  eval->require_subcommand(1);
  CLI::App* lfw = eval->add_subcommand("lfw", "LFW 10-fold verification protocol (pairs.txt)");
  lfw->add_option("--data", flags->data, "LFW folder with pairs.txt and images/")->required();
  lfw->add_option("--plot", flags->plot, "write the ROC curve to this PNG");
  lfw->add_flag("--calibrate", flags->calibrate,
                "also calibrate FMR 1e-3/1e-4 thresholds over all cross-identity pairs of the images");
  lfw->add_flag("--quality-edc", flags->quality_edc,
                "error versus discard: FNMR at the FMR-1e-3 threshold after discarding the 0/5/10/20 % "
                "of images with the lowest Quality::score");
  lfw->add_option("--edc-plot", flags->edc_plot, "write the error-versus-discard curve to this PNG");
  CLI::App* pairs = eval->add_subcommand("pairs", "any labelled pair list: LABEL PATH_A PATH_B");
  pairs->add_option("--list", flags->list, "pair list file")->required();
  pairs->add_option("--root", flags->root, "folder the paths are relative to")->required();
  pairs->add_option("--detector-mode", flags->mode, "fast (default) or recall");
  CLI::App* wider = eval->add_subcommand("wider", "WIDER FACE average precision (easy/medium/hard)");
  wider->add_option("--data", flags->data, "folder with images/, wider_face_val_bbx_gt.txt, *_keep.txt")->required();
  wider->add_option("--detector-mode", flags->mode, "fast (default) or recall");
  wider->add_option("--threshold", flags->threshold, "lowest detector score kept (default 0.02: the precision-recall curve down to weak detections, as InsightFace evaluates WIDER)");
  for (CLI::App* sub : {lfw, pairs, wider}) {
    sub->add_flag("--json", flags->json, "print JSON");
    sub->add_option("--workers", flags->threads, "parallel workers, one Session each (default 2)");
    AddEngineFlags(sub, &flags->engine);
    if (sub == wider) continue;
    sub->add_flag("--mirror", flags->mirror, "average each template with the mirrored crop's");
    sub->add_option("--pairs-out", flags->pairs_out,
                    "write every pair's similarity and both faces' quality measurements (TSV)");
  }
  const EvalSubcommand redact = RegisterEvalRedact(eval);
  const EvalSubcommand reid = RegisterEvalReid(eval);
  const EvalSubcommand redact_video = RegisterEvalRedactVideo(eval);
  return [flags, lfw, pairs, wider, redact, reid, redact_video]() {
    if (redact.app->parsed()) return redact.action();
    if (reid.app->parsed()) return reid.action();
    if (redact_video.app->parsed()) return redact_video.action();
    if (!CheckWorkers(flags->threads)) return kExitUsage;
    if (flags->engine.threads == 0) flags->engine.threads = 1;  // parallel over images instead
    if (lfw->parsed()) return RunLfw(*flags);
    if (pairs->parsed()) return RunPairs(*flags);
    if (wider->parsed()) return RunWider(*flags);
    return kExitUsage;
  };
}

}  // namespace facet::cli
