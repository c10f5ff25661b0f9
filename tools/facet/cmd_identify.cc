// facet identify (1:N, every face of each image) and facet verify (1:1: is the person among the
// faces of an image?). Both state a purpose and are audited. Faces are numbered largest first and
// their boxes clipped to the image.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "gallery_cli.h"

namespace facet::cli {
namespace {

struct IdentifyFlags {
  StoreFlags store;
  EngineFlags engine;
  std::string gallery;
  std::string purpose;
  std::string person;
  std::vector<std::string> images;
  std::string mode = "fast";
  int top = 3;
  int face = 0;  // verify: 0 = every face, else the Nth largest
  bool json = false;
  bool model_given = false;
};

float Round4(float v) { return std::round(v * 10000.0f) / 10000.0f; }

// Opens the store and the engine of the gallery's model; null on failure (printed).
std::pair<std::unique_ptr<Galleries>, std::shared_ptr<const Engine>> OpenBoth(
    const IdentifyFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return {};
  EngineFlags engine_flags = flags.engine;
  if (!UseGalleryModel(*galleries, flags.gallery, flags.model_given, &engine_flags)) return {};
  auto engine = CreateEngineOrPrint(engine_flags);
  if (!engine) return {};
  return {std::move(galleries), engine};
}

int RunIdentify(const IdentifyFlags& flags) {
  auto mode = ParseDetectorMode(flags.mode);
  if (!mode.ok()) {
    PrintError("--detector-mode", mode.status());
    return kExitUsage;
  }
  auto [galleries, engine] = OpenBoth(flags);
  if (!galleries) return kExitFailure;
  auto session = engine->NewSession();
  if (!session.ok()) {
    PrintError("cannot start a session", session.status());
    return kExitFailure;
  }
  const IdentifyOptions options{ResolveActor(flags.store), flags.purpose, flags.top};
  nlohmann::json out = nlohmann::json::array();
  int exit_code = kExitOk;
  int64_t damaged = 0;  // faces skipped for a failed integrity check
  for (const std::string& path : flags.images) {
    auto image = LoadImage(path);
    Result<std::vector<IdentifiedFace>> found = Status::Internal("not run");
    if (!image.ok()) {
      found = image.status();
    } else {
      DetectOptions detect;
      detect.mode = mode.value();
      auto faces = (*session)->Detect(image.value(), detect);
      found = faces.ok() ? IdentifyFaces(*galleries, **session, image.value(), faces.value(),
                                         flags.gallery, options)
                         : Result<std::vector<IdentifiedFace>>(faces.status());
    }
    if (!found.ok()) {
      PrintError(path, found.status());
      if (flags.json) out.push_back({{"image", path}, {"error", ErrorToJson(found.status())}});
      // A refused search (no purpose, verify-only gallery) is not worth retrying per image.
      if (found.status().code() == StatusCode::kInvalidArgument ||
          found.status().code() == StatusCode::kFailedPrecondition) {
        return ExitCodeFor(found.status());
      }
      exit_code = kExitFailure;
      continue;
    }
    // Faces are numbered largest first (face 1 = the largest), in JSON and text alike.
    std::vector<Face> found_faces;
    for (const IdentifiedFace& f : found.value()) found_faces.push_back(f.face);
    const std::vector<size_t> order = LargestFirst(found_faces, image->width(), image->height());
    nlohmann::json faces = nlohmann::json::array();
    for (size_t n = 0; n < order.size(); ++n) {
      const IdentifiedFace& f = (*found)[order[n]];
      nlohmann::json candidates = nlohmann::json::array();
      for (const Candidate& c : f.identification.candidates) {
        candidates.push_back({{"person", c.person_id},
                              {"similarity", Round4(c.similarity)},
                              {"confidence", Round4(c.confidence)}});
      }
      const nlohmann::json box = ClippedBoxJson(f.face.box, image->width(), image->height());
      const std::string decision =
          f.identification.known() ? f.identification.person_id : "unknown";
      faces.push_back({{"box", box}, {"candidates", candidates}, {"decision", decision}});
      if (f.identification.damaged_faces_skipped > 0) {
        faces.back()["damaged_faces_skipped"] = f.identification.damaged_faces_skipped;
        damaged = std::max(damaged, f.identification.damaged_faces_skipped);
      }
      if (!flags.json) {
        std::printf("%s: face %zu of %zu at %s: %s", path.c_str(), n + 1, order.size(),
                    BoxText(box).c_str(), decision.c_str());
        if (f.identification.known()) {
          const Candidate& best = f.identification.candidates.front();
          std::printf(" (similarity %.4f, confidence %.3f)", best.similarity, best.confidence);
        }
        std::printf("\n");
      }
    }
    if (!flags.json && found->empty()) std::printf("%s: no face\n", path.c_str());
    out.push_back({{"image", path}, {"faces", faces}});
  }
  if (flags.json) std::cout << out.dump(2) << "\n";
  if (damaged > 0) {
    std::fprintf(stderr,
                 "facet: warning: gallery '%s' is damaged: %lld face(s) failed their integrity "
                 "check and were left out of the search (facet audit show names them)\n",
                 flags.gallery.c_str(), static_cast<long long>(damaged));
  }
  return exit_code;
}

// One face of the image compared with the person.
struct Judged {
  size_t number = 0;  // 1 = the largest face
  nlohmann::json box;
  Verification result;
};

void PrintJudged(const std::string& path, const std::string& person, size_t count,
                 const Judged& j) {
  std::printf(
      "%s: face %zu of %zu at %s %s %s (similarity %.4f, threshold %.4f, confidence "
      "%.3f)\n",
      path.c_str(), j.number, count, BoxText(j.box).c_str(), j.result.same ? "is" : "is not",
      person.c_str(), j.result.similarity, j.result.threshold, j.result.confidence);
}

// Compares every face of the image (or only --face N, numbered largest first) with the person:
// the person is in the photo when any face matches. Each comparison is one audited verification.
int RunVerify(const IdentifyFlags& flags) {
  if (flags.face < 0) {
    PrintError("--face", Status::InvalidArgument("faces are numbered from 1 (the largest)"));
    return kExitUsage;
  }
  auto [galleries, engine] = OpenBoth(flags);
  if (!galleries) return kExitFailure;
  auto session = engine->NewSession();
  if (!session.ok()) {
    PrintError("cannot start a session", session.status());
    return kExitFailure;
  }
  const std::string& path = flags.images.front();
  auto image = LoadImage(path);
  if (!image.ok()) {
    PrintError(path, image.status());
    return kExitFailure;
  }
  auto faces = (*session)->Detect(image.value());
  if (!faces.ok()) {
    PrintError(path, faces.status());
    return kExitFailure;
  }
  if (faces->empty()) {
    PrintError(path, Status::NoFace("no face found"));
    return kExitFailure;
  }
  const std::vector<size_t> order = LargestFirst(faces.value(), image->width(), image->height());
  if (flags.face > static_cast<int>(order.size())) {
    PrintError(path,
               Status::InvalidArgument("--face " + std::to_string(flags.face) + ": the image has " +
                                       std::to_string(order.size()) + " face(s)"));
    return kExitUsage;
  }
  std::vector<Judged> judged;
  for (size_t n = 0; n < order.size(); ++n) {
    if (flags.face > 0 && static_cast<size_t>(flags.face) != n + 1) continue;
    const Face& face = (*faces)[order[n]];
    auto embedding = (*session)->Embed(image.value(), face);
    if (!embedding.ok()) {
      PrintError(path + ": face " + std::to_string(n + 1), embedding.status());
      return kExitFailure;
    }
    auto result = galleries->Verify(flags.gallery, flags.person, embedding.value(),
                                    {ResolveActor(flags.store), flags.purpose});
    if (!result.ok()) {
      PrintError("verify", result.status());
      return ExitCodeFor(result.status());
    }
    judged.push_back(
        {n + 1, ClippedBoxJson(face.box, image->width(), image->height()), result.value()});
  }
  // The face the answer is about: the best match, else the most similar face.
  const Judged& best =
      *std::max_element(judged.begin(), judged.end(), [](const Judged& a, const Judged& b) {
        if (a.result.same != b.result.same) return b.result.same;
        return a.result.similarity < b.result.similarity;
      });
  if (flags.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const Judged& j : judged) {
      all.push_back({{"face", j.number},
                     {"box", j.box},
                     {"same", j.result.same},
                     {"similarity", Round4(j.result.similarity)},
                     {"confidence", Round4(j.result.confidence)}});
    }
    std::cout << nlohmann::json{{"image", path},
                                {"person", flags.person},
                                {"faces_in_image", order.size()},
                                {"face", best.number},
                                {"box", best.box},
                                {"same", best.result.same},
                                {"similarity", Round4(best.result.similarity)},
                                {"confidence", Round4(best.result.confidence)},
                                {"threshold", Round4(best.result.threshold)},
                                {"faces", all}}
                     .dump(2)
              << "\n";
  } else if (best.result.same || judged.size() == 1) {
    PrintJudged(path, flags.person, order.size(), best);
  } else {
    std::printf(
        "%s: none of the %zu faces is %s; the closest is face %zu at %s (similarity "
        "%.4f, threshold %.4f)\n",
        path.c_str(), order.size(), flags.person.c_str(), best.number, BoxText(best.box).c_str(),
        best.result.similarity, best.result.threshold);
  }
  return kExitOk;
}

void AddCommon(CLI::App* cmd, IdentifyFlags* flags) {
  cmd->add_option("--gallery", flags->gallery, "gallery name")->required();
  cmd->add_option("--purpose", flags->purpose, "why you search (required; audited)")->required();
  cmd->add_flag("--json", flags->json, "print JSON");
  AddStoreFlags(cmd, &flags->store);
  AddEngineFlags(cmd, &flags->engine);
}

}  // namespace

Action RegisterIdentify(CLI::App& app) {
  auto flags = std::make_shared<IdentifyFlags>();
  CLI::App* cmd = app.add_subcommand("identify", "who are the faces in these images? (1:N)");
  cmd->add_option("images", flags->images, "images")->required();
  cmd->add_option("--top", flags->top, "candidates per face, 1..100 (default 3)");
  cmd->add_option("--detector-mode", flags->mode, "fast (default) or recall");
  AddCommon(cmd, flags.get());
  CLI::Option* model = cmd->get_option("--model");
  return [flags, model] {
    flags->model_given = model->count() > 0;
    return RunIdentify(*flags);
  };
}

Action RegisterVerify(CLI::App& app) {
  auto flags = std::make_shared<IdentifyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "is this person in the image? (1:1, every face; the face judged and its box)");
  cmd->add_option("image", flags->images, "image")->required()->expected(1);
  cmd->add_option("--person", flags->person, "person id")->required();
  cmd->add_option("--face", flags->face,
                  "compare only the Nth face, numbered largest first (default: every face)");
  AddCommon(cmd, flags.get());
  CLI::Option* model = cmd->get_option("--model");
  return [flags, model] {
    flags->model_given = model->count() > 0;
    return RunVerify(*flags);
  };
}

}  // namespace facet::cli
