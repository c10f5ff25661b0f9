// facet cluster DIR: groups the faces of a photo folder by person, without a cluster count and
// without naming anyone (nothing is stored). With --evaluate, DIR is a folder-per-identity layout
// (e.g. LFW's images/NAME/*.jpg): one face per image, scored against the folder names (BCubed and
// pairwise precision/recall).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "batch.h"
#include "cli_common.h"
#include "commands.h"
#include "eval/clustering.h"
#include "facet/search.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

struct ClusterFlags {
  EngineFlags engine;
  std::string dir;
  float threshold = 0;  // 0: the model's FMR-1e-4 threshold
  bool evaluate = false;
  bool json = false;
  int threads = 2;
  std::string mode = "fast";
};

struct FaceRef {
  size_t image = 0;
  Box box;
};

int RunCluster(const ClusterFlags& flags) {
  auto mode = ParseDetectorMode(flags.mode);
  if (!mode.ok()) {
    PrintError("--detector-mode", mode.status());
    return kExitUsage;
  }
  std::error_code ec;
  if (!fs::is_directory(flags.dir, ec)) {
    PrintError(flags.dir, Status::NotFound("not a directory"));
    return kExitUsage;
  }
  std::vector<std::string> paths;
  size_t loose = 0;  // --evaluate: images directly in DIR, which name no identity
  const fs::path root = fs::path(flags.dir).lexically_normal();
  for (const auto& entry : fs::recursive_directory_iterator(flags.dir, ec)) {
    if (!entry.is_regular_file() || !HasImageExtension(entry.path().string())) continue;
    if (flags.evaluate && entry.path().parent_path().lexically_normal() == root) {
      ++loose;
      continue;
    }
    paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  if (flags.evaluate && loose > 0) {
    std::fprintf(stderr,
                 "facet: cluster --evaluate: warning: %zu image(s) directly in %s left out: "
                 "--evaluate takes the identity from the folder, DIR/NAME/*.jpg\n",
                 loose, flags.dir.c_str());
  }
  if (paths.empty()) {
    PrintError(flags.dir, Status::NotFound(flags.evaluate && loose > 0
                                               ? "no images in NAME/ subfolders: --evaluate needs "
                                                 "DIR/NAME/*.jpg (one folder per identity)"
                                               : "no images"));
    return kExitFailure;
  }
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;

  // Templates: every face of every image, or (evaluate) the labelled face of each image.
  std::vector<std::vector<std::pair<Face, Embedding>>> per_image(paths.size());
  std::vector<Status> errors(paths.size());
  const Status status = ForEachParallel(
      engine, paths.size(), flags.threads, "cluster", [&](Session& session, size_t i) {
        auto image = LoadImage(paths[i]);
        if (!image.ok()) {
          errors[i] = image.status();
          return;
        }
        DetectOptions detect;
        detect.mode = mode.value();
        detect.compute_quality = false;
        auto faces = session.Detect(image.value(), detect);
        if (!faces.ok()) {
          errors[i] = faces.status();
          return;
        }
        std::vector<Face> chosen = faces.value();
        if (flags.evaluate) {
          const Face* face = PickFace(chosen, FacePick::kNearestCentre, image->width(),
                                      image->height());
          chosen = face != nullptr ? std::vector<Face>{*face} : std::vector<Face>{};
        }
        if (chosen.empty()) {
          errors[i] = Status::NoFace("no face found");
          return;
        }
        auto embeddings = session.EmbedAll(image.value(), chosen);
        if (!embeddings.ok()) {
          errors[i] = embeddings.status();
          return;
        }
        for (size_t f = 0; f < chosen.size(); ++f) {
          chosen[f].box = ClipBox(chosen[f].box, image->width(), image->height());
          per_image[i].emplace_back(chosen[f], std::move((*embeddings)[f]));
        }
      });
  if (!status.ok()) {
    PrintError("cluster", status);
    return kExitFailure;
  }
  std::vector<Embedding> templates;
  std::vector<FaceRef> refs;
  nlohmann::json failed = nlohmann::json::array();
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!errors[i].ok()) {
      failed.push_back({{"image", paths[i]}, {"error", ErrorToJson(errors[i])}});
      if (!flags.json) PrintError(paths[i], errors[i]);
    }
    for (auto& [face, embedding] : per_image[i]) {
      templates.push_back(std::move(embedding));
      refs.push_back({i, face.box});
    }
  }
  ClusterOptions options;
  if (flags.threshold > 0) options.threshold = flags.threshold;
  auto clustering = ClusterFaces(templates, engine->recognizer(), options);
  if (!clustering.ok()) {
    PrintError("cluster", clustering.status());
    return kExitFailure;
  }
  nlohmann::json out = {{"images", paths.size()},
                        {"faces", templates.size()},
                        {"threshold", clustering->threshold},
                        {"clusters", clustering->clusters},
                        {"failed", failed}};
  if (flags.evaluate) {
    // Identity = the image's folder. An image without a face is a singleton cluster of its own:
    // a miss costs recall, as it should.
    std::vector<int> labels;
    std::vector<int> truth;
    std::map<std::string, int> identity;
    for (size_t i = 0; i < paths.size(); ++i) {
      const std::string name = fs::path(paths[i]).parent_path().filename().string();
      truth.push_back(identity.emplace(name, static_cast<int>(identity.size())).first->second);
    }
    std::vector<int> by_image(paths.size(), -1);
    for (size_t f = 0; f < refs.size(); ++f) by_image[refs[f].image] = clustering->labels[f];
    int extra = clustering->clusters;
    for (size_t i = 0; i < paths.size(); ++i) {
      labels.push_back(by_image[i] >= 0 ? by_image[i] : extra++);
    }
    auto scores = eval::ScoreClustering(labels, truth);
    if (!scores.ok()) {
      PrintError("cluster --evaluate", scores.status());
      return kExitFailure;
    }
    out["identities"] = scores->identities;
    out["bcubed"] = {{"precision", scores->bcubed.precision},
                     {"recall", scores->bcubed.recall},
                     {"f1", scores->bcubed.f1}};
    out["pairwise"] = {{"precision", scores->pairwise.precision},
                       {"recall", scores->pairwise.recall},
                       {"f1", scores->pairwise.f1}};
    if (!flags.json) {
      std::printf("%zu images, %zu identities, %d clusters at threshold %.4f (%zu images failed)\n"
                  "BCubed    precision %.4f  recall %.4f  F %.4f\n"
                  "pairwise  precision %.4f  recall %.4f  F %.4f\n",
                  paths.size(), identity.size(), clustering->clusters, clustering->threshold,
                  failed.size(), scores->bcubed.precision, scores->bcubed.recall,
                  scores->bcubed.f1, scores->pairwise.precision, scores->pairwise.recall,
                  scores->pairwise.f1);
    }
  } else {
    nlohmann::json clusters = nlohmann::json::array();
    std::vector<nlohmann::json> members(clustering->clusters, nlohmann::json::array());
    for (size_t f = 0; f < refs.size(); ++f) {
      Face face;
      face.box = refs[f].box;
      members[clustering->labels[f]].push_back(
          {{"image", paths[refs[f].image]}, {"box", FaceToJson(face)["box"]}});
    }
    for (int c = 0; c < clustering->clusters; ++c) {
      clusters.push_back({{"cluster", c}, {"faces", members[c]}});
      if (!flags.json) {
        std::printf("cluster %d (%zu faces):", c, members[c].size());
        for (const auto& m : members[c]) {
          std::printf(" %s", fs::path(m["image"].get<std::string>()).filename().c_str());
        }
        std::printf("\n");
      }
    }
    out["clusters"] = clusters;
  }
  if (flags.json) std::cout << out.dump(2) << "\n";
  return failed.empty() ? kExitOk : kExitFailure;
}

}  // namespace

Action RegisterCluster(CLI::App& app) {
  auto flags = std::make_shared<ClusterFlags>();
  CLI::App* cmd = app.add_subcommand(
      "cluster", "group the faces of a folder of photos by person (nothing is stored)");
  cmd->add_option("dir", flags->dir, "folder of images (searched recursively)")->required();
  cmd->add_option("--threshold", flags->threshold,
                  "link faces at least this similar (default: adapted to the number of faces, "
                  "docs/galleries.md)");
  cmd->add_flag("--evaluate", flags->evaluate,
                "DIR is NAME/*.jpg per identity: one face per image, print BCubed and pairwise "
                "precision/recall against the folder names");
  cmd->add_option("--workers", flags->threads, "images processed in parallel (default 2)");
  cmd->add_option("--detector-mode", flags->mode, "fast (default) or recall");
  cmd->add_flag("--json", flags->json, "print JSON");
  AddEngineFlags(cmd, &flags->engine);
  return [flags] {
    // A cosine similarity: 0 asks for the adaptive default; NaN, negative or above 1 is a typo.
    if (!(flags->threshold >= 0 && flags->threshold <= 1)) {
      PrintError("--threshold", Status::InvalidArgument("must be in (0, 1], or 0 for the default"));
      return kExitUsage;
    }
    return RunCluster(*flags);
  };
}

}  // namespace facet::cli
