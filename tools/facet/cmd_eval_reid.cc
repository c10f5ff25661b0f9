// facet eval reid: can a redacted face still be recognised? An attack on LFW's matched pairs,
// where every face is recognisable to begin with (unlike WIDER's crowds, whose tiny faces'
// templates match anything blurry, a black fill included: docs/redact.md).
//
// For each matched pair (A, B) of pairs.txt: A's face (the one nearest the centre) is found and
// embedded; A is redacted exactly as `facet redact` would (RedactImage, then JPEG quality 95 and
// back); the attacker then
//   - embeds the redacted A at the original face's landmarks (the strongest alignment there is)
//     and compares it with the original A's template ("same photo": the brief's criterion, no
//     redacted face may match its original at the FMR-1e-3 threshold) and with B's template
//     ("other photo": recognising the person from a reference photo);
//   - runs the detector on the redacted A (fast mode, 0.5) and, for a face found near A's,
//     compares its template with B's.
// Before redaction, A-B at the same threshold is the baseline: how many pairs are recognisable.
#include <algorithm>
#include <atomic>
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
#include "facet/redact.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

struct EvalReidFlags {
  std::string data;
  std::string mode = "blur";
  int limit = 0;
  int workers = 2;
  bool json = false;
  EngineFlags engine;
};

// One matched pair's outcome; similarities are NaN where a face was not found.
struct PairOutcome {
  Status status;
  bool face_a = false, face_b = false;
  float before = NAN;          // original A vs original B
  float same_photo = NAN;      // redacted A (original landmarks) vs original A
  float other_photo = NAN;     // redacted A (original landmarks) vs original B
  bool detected = false;       // the detector finds a face on A's in the redacted A
  float detected_other = NAN;  // that face's template vs original B
};

// NaN when the templates cannot be compared (different models or sizes: not expected here).
float Similarity(const Embedding& a, const Embedding& b) {
  auto similarity = CosineSimilarity(a, b);
  return similarity.ok() ? similarity.value() : NAN;
}

Result<std::pair<Face, Embedding>> FaceAndTemplate(Session& session, const Image& image,
                                                   const DetectOptions& detect) {
  auto faces = session.Detect(image, detect);
  if (!faces.ok()) return faces.status();
  const Face* face =
      PickFace(faces.value(), FacePick::kNearestCentre, image.width(), image.height());
  if (face == nullptr) return Status::NotFound("no face");
  auto embedding = session.Embed(image, *face);
  if (!embedding.ok()) return embedding.status();
  return std::make_pair(*face, std::move(embedding).value());
}

Status RunPair(Session& session, const std::string& path_a, const std::string& path_b,
               const RedactOptions& options, PairOutcome* out) {
  const DetectOptions detect;  // the recognition defaults: fast mode, 0.5
  auto image_a = LoadImage(path_a);
  if (!image_a.ok()) return image_a.status();
  auto image_b = LoadImage(path_b);
  if (!image_b.ok()) return image_b.status();
  auto a = FaceAndTemplate(session, image_a.value(), detect);
  if (!a.ok()) return a.status().code() == StatusCode::kNotFound ? Status::Ok() : a.status();
  out->face_a = true;
  auto b = FaceAndTemplate(session, image_b.value(), detect);
  if (!b.ok() && b.status().code() != StatusCode::kNotFound) return b.status();
  out->face_b = b.ok();

  Image redacted = image_a.value();
  RedactOptions as_cli = options;
  as_cli.verify_encoding = ImageFormat::kJpeg;  // as `facet redact OUT.jpg` verifies
  auto redaction = RedactImage(session, redacted, as_cli);
  if (!redaction.ok()) return redaction.status();
  auto written = RoundTripImage(redacted, ImageFormat::kJpeg);
  if (!written.ok()) return written.status();

  auto attacked = session.Embed(written.value(), a->first);
  if (!attacked.ok()) return attacked.status();
  out->same_photo = Similarity(attacked.value(), a->second);
  if (b.ok()) {
    out->before = Similarity(a->second, b->second);
    out->other_photo = Similarity(attacked.value(), b->second);
  }
  auto found = session.Detect(written.value(), detect);
  if (!found.ok()) return found.status();
  for (const Face& face : found.value()) {
    if (!eval::CentreInside(face.box, a->first.box) &&
        !eval::CentreInside(a->first.box, face.box)) {
      continue;
    }
    out->detected = true;
    if (!b.ok()) break;
    auto embedding = session.Embed(written.value(), face);
    if (!embedding.ok()) return embedding.status();
    const float similarity = Similarity(embedding.value(), b->second);
    if (std::isnan(out->detected_other) || similarity > out->detected_other) {
      out->detected_other = similarity;
    }
  }
  return Status::Ok();
}

// Count of values >= threshold, and the largest value (NaN skipped).
struct Tally {
  int64_t compared = 0;
  int64_t matches = 0;
  float max = -1;
  void Add(float v, float threshold) {
    if (std::isnan(v)) return;
    ++compared;
    matches += v >= threshold ? 1 : 0;
    max = std::max(max, v);
  }
  nlohmann::json Json() const {
    return {{"compared", compared}, {"matches", matches}, {"max_similarity", Round(max)}};
  }
};

int RunEvalReid(EvalReidFlags& flags) {
  auto text = eval::ReadTextFile((fs::path(flags.data) / "pairs.txt").string());
  if (!text.ok()) {
    PrintError("eval reid", text.status());
    return kExitFailure;
  }
  auto pairs = eval::ParseLfwPairs(text.value());
  if (!pairs.ok()) {
    PrintError("eval reid", pairs.status());
    return kExitFailure;
  }
  std::vector<eval::LabeledPair> matched;
  for (const auto& p : pairs.value()) {
    if (p.same) matched.push_back(p);
  }
  if (flags.limit > 0 && matched.size() > static_cast<size_t>(flags.limit)) {
    matched.resize(flags.limit);
  }
  auto mode = ParseRedactMode(flags.mode);
  if (!mode.ok()) {
    PrintError("eval reid", mode.status());
    return kExitUsage;
  }
  RedactOptions options;
  options.mode = mode.value();
  if (flags.engine.threads == 0) flags.engine.threads = 1;
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  const fs::path root = fs::path(flags.data) / "images";
  std::vector<PairOutcome> outcomes(matched.size());
  const auto start = std::chrono::steady_clock::now();
  const Status status = ForEachParallel(
      engine, matched.size(), flags.workers, "eval reid", [&](Session& session, size_t i) {
        outcomes[i].status = RunPair(session, (root / matched[i].path_a).string(),
                                     (root / matched[i].path_b).string(), options, &outcomes[i]);
      });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    PrintError("eval reid", status);
    return kExitFailure;
  }
  const float threshold = engine->recognizer().threshold_fmr_1e3;
  size_t failed = 0;
  int64_t no_face_a = 0, detected = 0;
  Tally before, same_photo, other_photo, detected_other, other_photo_recognisable;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const PairOutcome& o = outcomes[i];
    if (!o.status.ok()) {
      PrintError(matched[i].path_a, o.status);
      ++failed;
      continue;
    }
    if (!o.face_a) {
      ++no_face_a;
      continue;
    }
    before.Add(o.before, threshold);
    same_photo.Add(o.same_photo, threshold);
    other_photo.Add(o.other_photo, threshold);
    if (o.before >= threshold) other_photo_recognisable.Add(o.other_photo, threshold);
    detected += o.detected ? 1 : 0;
    detected_other.Add(o.detected_other, threshold);
  }
  nlohmann::json out = {
      {"pairs", matched.size()},
      {"failed", failed},
      {"mode", flags.mode},
      {"model", engine->recognizer().name},
      {"threshold_fmr_1e-3", threshold},
      {"no_face_in_a", no_face_a},
      {"before_redaction_a_vs_b", before.Json()},
      {"redacted_a_vs_original_a", same_photo.Json()},
      {"redacted_a_vs_b", other_photo.Json()},
      {"redacted_a_vs_b_where_recognisable_before", other_photo_recognisable.Json()},
      {"face_detected_in_redacted_a", detected},
      {"detected_face_vs_b", detected_other.Json()},
      {"seconds_per_pair", Round(seconds * flags.workers / std::max<size_t>(1, matched.size()))}};
  if (flags.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf(
        "LFW re-identification after redaction (%s, %zu matched pairs, %s, FMR 1e-3 threshold "
        "%.4f): before, A matches B in %lld of %lld; after, redacted A matches its original in "
        "%lld of %lld (max %.4f), matches B in %lld of %lld (max %.4f); the detector finds a face "
        "in %lld redacted images, matching B in %lld\n",
        flags.mode.c_str(), matched.size(), engine->recognizer().name.c_str(), threshold,
        static_cast<long long>(before.matches), static_cast<long long>(before.compared),
        static_cast<long long>(same_photo.matches), static_cast<long long>(same_photo.compared),
        same_photo.max, static_cast<long long>(other_photo.matches),
        static_cast<long long>(other_photo.compared), other_photo.max,
        static_cast<long long>(detected), static_cast<long long>(detected_other.matches));
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

EvalSubcommand RegisterEvalReid(CLI::App* eval) {
  auto flags = std::make_shared<EvalReidFlags>();
  CLI::App* cmd = eval->add_subcommand(
      "reid",
      "LFW matched pairs: can a redacted face be recognised (its original, or another photo)?");
  cmd->add_option("--data", flags->data, "LFW folder with pairs.txt and images/")->required();
  cmd->add_option("--mode", flags->mode, "blur (default), pixelate or fill");
  cmd->add_option("--limit", flags->limit, "only the first N matched pairs")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  cmd->add_option("--workers", flags->workers, "parallel workers, one Session each (default 2)");
  cmd->add_flag("--json", flags->json, "print JSON");
  AddEngineFlags(cmd, &flags->engine);
  return {cmd, [flags] {
            if (!CheckWorkers(flags->workers)) return kExitUsage;
            return RunEvalReid(*flags);
          }};
}

}  // namespace facet::cli
