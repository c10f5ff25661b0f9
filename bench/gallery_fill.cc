// Fills a gallery with synthetic persons for scripts/serve_bench.sh's /identify benchmark: each
// gets a consent and one random unit template of the engine's model, all through the public
// galleries API (the same calls enrollment makes). Synthetic templates only stand in for the
// distractors of a large gallery; the probes the benchmark identifies are real enrolled faces.
//   gallery_fill --store S --key-file K --gallery G --persons N [--seed 1]
// Creates the store (if absent) and the gallery (purpose "benchmark"), then N persons
// "synthetic-000001"...
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <string>

#include "facet/engine.h"
#include "facet/gallery.h"

namespace {

std::string ModelDir() {
  const char* env = std::getenv("FACET_MODEL_DIR");
  return env != nullptr ? env : FACET_MODEL_DIR;
}

int Fail(const char* what, const facet::Status& status) {
  std::fprintf(stderr, "gallery_fill: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store, key_file, gallery;
  long persons = 0;
  unsigned seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--store") store = value;
    else if (flag == "--key-file") key_file = value;
    else if (flag == "--gallery") gallery = value;
    else if (flag == "--persons") persons = std::strtol(value.c_str(), nullptr, 10);
    else if (flag == "--seed") seed = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 10));
  }
  if (store.empty() || key_file.empty() || gallery.empty() || persons <= 0 || argc % 2 == 0) {
    std::fprintf(stderr,
                 "usage: gallery_fill --store S --key-file K --gallery G --persons N [--seed 1]\n");
    return 2;
  }
  auto engine = facet::Engine::Create({.model_dir = ModelDir(), .num_threads = 1});
  if (!engine.ok()) return Fail("models", engine.status());
  const facet::RecognizerInfo& model = (*engine)->recognizer();
  facet::GalleriesOptions options{.store = store, .key_file = key_file};
  auto galleries = facet::Galleries::Open(options);
  if (!galleries.ok() && galleries.status().code() == facet::StatusCode::kNotFound) {
    galleries = facet::Galleries::Create(options);
  }
  if (!galleries.ok()) return Fail(store.c_str(), galleries.status());
  facet::Galleries& g = **galleries;
  const facet::AuditContext who{.actor = "gallery_fill", .purpose = "benchmark"};
  if (!g.GetGallery(gallery).ok()) {
    auto created = g.CreateGallery({.name = gallery, .purpose = "benchmark"}, model, who);
    if (!created.ok()) return Fail("create gallery", created.status());
  }
  std::mt19937 random(seed);
  std::normal_distribution<float> normal;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 1; i <= persons; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "synthetic-%06ld", i);
    auto person = g.AddPerson(gallery, {.person_id = id}, who);
    if (!person.ok()) return Fail("add person", person.status());
    auto consent = g.GrantConsent(gallery, id,
                                  {.granted_by = "benchmark", .purpose = "benchmark"}, who);
    if (!consent.ok()) return Fail("consent", consent.status());
    facet::EnrollRequest request{.gallery = gallery, .person_id = id};
    request.embedding.model = model.name;
    request.embedding.model_version = model.version;
    request.embedding.values.resize(static_cast<size_t>(model.dimensions));
    double norm = 0;
    for (float& v : request.embedding.values) {
      v = normal(random);
      norm += static_cast<double>(v) * v;
    }
    for (float& v : request.embedding.values) v = static_cast<float>(v / std::sqrt(norm));
    request.quality = facet::QualityLevel::kHigh;
    const std::string name(id);
    request.source_sha256 = facet::Sha256Hex(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(name.data()), name.size()));
    auto enrolled = g.Enroll(request, who);
    if (!enrolled.ok()) return Fail("enroll", enrolled.status());
    if (i % 1000 == 0) {
      std::fprintf(stderr, "gallery_fill: %ld persons (%.0f s)\n", i,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  return 0;
}
