#include "redact_keep.h"

#include <span>

namespace facet::cli {

namespace {
constexpr const char* kActivity = "redact --keep";
}  // namespace

void AddKeepFlags(CLI::App* cmd, KeepFlags* flags) {
  cmd->add_option("--keep", flags->gallery,
                  "leave visible only the people identified in this gallery (audited)");
  cmd->add_option("--purpose", flags->purpose, "why (required with --keep; audited)");
  AddStoreFlags(cmd, &flags->store);
}

KeepFilter KeepRun::Filter() {
  return [this](Session& session, const Image& frame, const Face& face) -> std::string {
    // Redaction asks only about faces at RedactOptions::keep_min_score (0.5, recognition's
    // detector threshold); the rest are redacted, unsearched.
    auto embedding = session.Embed(frame, face);
    Result<std::vector<Identification>> found = Status::Internal("not run");
    if (embedding.ok()) {
      found = run_->Identify(std::span<const Embedding>(&embedding.value(), 1));
    } else {
      found = embedding.status();
    }
    if (!found.ok()) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error_.ok()) error_ = found.status();
      return "";  // when unsure, redact
    }
    return (*found)[0].person_id;
  };
}

Status KeepRun::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

Status KeepRun::Finish(bool completed) {
  const Status error = status();
  const Status audited = run_->Finish(completed && error.ok());
  return error.ok() ? audited : error;
}

nlohmann::json KeepRun::ToJson() const {
  return {{"faces_identified", run_->identified()},
          {"faces_searched", run_->probes()}};
}

std::unique_ptr<KeepGallery> KeepGallery::Open(const KeepFlags& flags, EngineFlags* engine,
                                               int* exit_code) {
  *exit_code = kExitFailure;
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return nullptr;
  if (!UseGalleryModel(*galleries, flags.gallery, flags.model_given, engine)) {
    return nullptr;
  }
  // Refused here, before anything is read or written, where a search would be refused.
  const IdentifyOptions options{ResolveActor(flags.store), flags.purpose, 1};
  auto check = galleries->StartIdentification(flags.gallery, options, kActivity);
  if (!check.ok()) {
    PrintError("--keep", check.status());
    *exit_code = ExitCodeFor(check.status());
    return nullptr;
  }
  // The checked run is the first photo's or the video's.
  std::unique_ptr<KeepGallery> keep(new KeepGallery(flags, std::move(galleries)));
  keep->first_ = std::move(check).value();
  return keep;
}

std::unique_ptr<KeepRun> KeepGallery::Start() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (first_) return std::make_unique<KeepRun>(std::move(first_));
  }
  const IdentifyOptions options{ResolveActor(flags_.store), flags_.purpose, 1};
  auto run = galleries_->StartIdentification(flags_.gallery, options, kActivity);
  if (!run.ok()) {
    PrintError("--keep", run.status());
    return nullptr;
  }
  return std::make_unique<KeepRun>(std::move(run).value());
}

}  // namespace facet::cli
