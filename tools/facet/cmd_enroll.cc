// facet enroll: the largest face of each image, for one person (IMG...) or, with --folder, for
// every person of a folder-per-person layout (DIR/NAME/*.jpg) with one consent record per person
// from a CSV. Each enrollment is committed (fsynced) before its "enrolled" line is printed, so a
// line on stdout is a durable enrollment; re-running skips images already enrolled.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "batch.h"
#include "cli_common.h"
#include "commands.h"
#include "gallery_cli.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

struct EnrollFlags {
  StoreFlags store;
  EngineFlags engine;
  std::string gallery;
  std::string person;
  std::vector<std::string> images;
  std::string folder;
  std::string consents;
  std::string min_quality = "medium";
  std::string mode = "fast";
  int threads = 2;
  bool model_given = false;
};

struct Job {
  std::string person;
  std::string path;
};

// One consent record per person (CSV with a header row; '#' lines are comments).
struct ConsentRow {
  PersonSpec person;
  ConsentSpec consent;
};

// The fields of one CSV line; nullopt when a quoted field is not closed (a record never spans
// lines here: a consent's text is one line).
std::optional<std::vector<std::string>> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

Result<std::map<std::string, ConsentRow>> ReadConsentCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot read the consent CSV");
  std::string line;
  std::vector<std::string> header;
  std::map<std::string, ConsentRow> rows;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::optional<std::vector<std::string>> split = SplitCsvLine(line);
    if (!split) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) +
                                     ": a quoted field is not closed");
    }
    std::vector<std::string>& fields = *split;
    if (header.empty()) {
      header = fields;
      for (const char* required : {"person", "granted_by", "scope", "purpose"}) {
        if (std::find(header.begin(), header.end(), required) == header.end()) {
          return Status::InvalidArgument(path + ": the header needs the column '" + required +
                                         "' (person,granted_by,scope,purpose[,expires,evidence,"
                                         "name,ref])");
        }
      }
      continue;
    }
    if (fields.size() != header.size()) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) + ": " +
                                     std::to_string(fields.size()) + " fields, the header has " +
                                     std::to_string(header.size()));
    }
    std::map<std::string, std::string> value;
    for (size_t i = 0; i < header.size(); ++i) value[header[i]] = fields[i];
    ConsentRow row;
    row.person = {value["person"], value["name"], value["ref"]};
    auto scope = ParseConsentScope(value["scope"]);
    if (!scope.ok()) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) + ": " +
                                     scope.status().message());
    }
    row.consent = {value["granted_by"], scope.value(), value["purpose"], std::nullopt,
                   value["evidence"]};
    if (!value["expires"].empty()) {
      auto expires = ParseTime(value["expires"]);
      if (!expires.ok()) {
        return Status::InvalidArgument(path + ":" + std::to_string(number) + ": " +
                                       expires.status().message());
      }
      row.consent.expires_at = expires.value();
    }
    if (!rows.emplace(row.person.person_id, row).second) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) + ": person '" +
                                     row.person.person_id + "' appears twice");
    }
  }
  if (header.empty()) return Status::InvalidArgument(path + ": empty consent CSV");
  return rows;
}

// Creates the person and records the CSV's consent unless a valid one of that scope exists.
Status PreparePerson(Galleries& galleries, const std::string& gallery, const ConsentRow& row,
                     const AuditContext& context) {
  auto person = galleries.GetPerson(gallery, row.person.person_id);
  if (!person.ok()) {
    if (person.status().code() != StatusCode::kNotFound) return person.status();
    auto added = galleries.AddPerson(gallery, row.person, context);
    if (!added.ok()) return added.status();
  }
  auto consents = galleries.ListConsents(gallery, row.person.person_id);
  if (!consents.ok()) return consents.status();
  for (const ConsentInfo& c : consents.value()) {
    if (c.valid && c.scope == row.consent.scope) return Status::Ok();
  }
  return galleries.GrantConsent(gallery, row.person.person_id, row.consent, context).status();
}

Result<std::vector<uint8_t>> ReadFile(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return Status::NotFound(path + ": cannot read");
  if (size > (256u << 20)) return Status::ResourceExhausted(path + ": larger than 256 MiB");
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return Status::NotFound(path + ": cannot read");
  }
  return bytes;
}

int RunEnroll(const EnrollFlags& flags) {
  QualityLevel min_quality = QualityLevel::kMedium;
  if (flags.min_quality == "low") {
    min_quality = QualityLevel::kLow;
  } else if (flags.min_quality == "high") {
    min_quality = QualityLevel::kHigh;
  } else if (flags.min_quality != "medium") {
    PrintError("--min-quality", Status::InvalidArgument("must be low, medium or high"));
    return kExitUsage;
  }
  auto mode = ParseDetectorMode(flags.mode);
  if (!mode.ok()) {
    PrintError("--detector-mode", mode.status());
    return kExitUsage;
  }
  const bool bulk = !flags.folder.empty();
  if (bulk == (!flags.person.empty() || !flags.images.empty())) {
    PrintError("enroll", Status::InvalidArgument(
                             "give either --person P IMG... or --folder DIR --consents CSV"));
    return kExitUsage;
  }
  if (bulk && flags.consents.empty()) {
    PrintError("enroll", Status::InvalidArgument("--folder needs --consents CSV (one consent "
                                                 "record per person)"));
    return kExitUsage;
  }
  if (!bulk && (flags.person.empty() || flags.images.empty())) {
    PrintError("enroll", Status::InvalidArgument("give --person and at least one image"));
    return kExitUsage;
  }
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  const AuditContext context{ResolveActor(flags.store), ""};
  std::vector<Job> jobs;
  int failures = 0;
  if (!bulk) {
    for (const std::string& image : flags.images) jobs.push_back({flags.person, image});
  } else {
    auto rows = ReadConsentCsv(flags.consents);
    if (!rows.ok()) {
      PrintError("--consents", rows.status());
      return kExitUsage;
    }
    std::error_code ec;
    if (!fs::is_directory(flags.folder, ec)) {
      PrintError(flags.folder, Status::NotFound("not a directory"));
      return kExitUsage;
    }
    std::vector<fs::path> people;
    std::vector<std::string> loose;  // files beside the NAME/ folders: nobody's, skipped
    for (const auto& entry : fs::directory_iterator(flags.folder)) {
      if (entry.is_directory()) {
        people.push_back(entry.path());
      } else {
        loose.push_back(entry.path().filename().string());
      }
    }
    std::sort(people.begin(), people.end());
    if (!loose.empty()) {
      std::sort(loose.begin(), loose.end());
      std::string names;
      for (size_t i = 0; i < loose.size() && i < 5; ++i) names += (i ? ", " : "") + loose[i];
      if (loose.size() > 5) names += ", ...";
      std::fprintf(stderr,
                   "facet: enroll: warning: skipped %zu file(s) directly in %s (%s): bulk "
                   "enrollment reads DIR/NAME/* only, NAME being the person id\n",
                   loose.size(), flags.folder.c_str(), names.c_str());
    }
    for (const fs::path& dir : people) {
      const std::string name = dir.filename().string();
      auto row = rows->find(name);
      if (row == rows->end()) {
        PrintError(dir.string(), Status::FailedPrecondition(
                                     "no consent record for '" + name +
                                     "' in the CSV: nobody in this folder is enrolled"));
        ++failures;
        continue;
      }
      const Status prepared = PreparePerson(*galleries, flags.gallery, row->second, context);
      if (!prepared.ok()) {
        PrintError(name, prepared);
        ++failures;
        continue;
      }
      std::vector<fs::path> images;
      for (const auto& entry : fs::directory_iterator(dir)) {
        // Broken links and unreadable files are kept: reading them reports the error.
        if (!entry.is_directory() && HasImageExtension(entry.path().string())) {
          images.push_back(entry.path());
        }
      }
      std::sort(images.begin(), images.end());
      for (const fs::path& image : images) jobs.push_back({name, image.string()});
    }
  }
  EngineFlags engine_flags = flags.engine;
  if (!UseGalleryModel(*galleries, flags.gallery, flags.model_given, &engine_flags)) {
    return kExitFailure;
  }
  auto engine = CreateEngineOrPrint(engine_flags);
  if (!engine) return kExitFailure;
  std::mutex mutex;
  size_t enrolled = 0;
  size_t duplicates = 0;
  const Status status = ForEachParallel(
      engine, jobs.size(), flags.threads, "enroll", [&](Session& session, size_t i) {
        const Job& job = jobs[i];
        Result<EnrolledImage> result = Status::Internal("not run");
        auto bytes = ReadFile(job.path);
        if (!bytes.ok()) {
          result = bytes.status();
        } else {
          EnrollImageOptions options;
          options.gallery = flags.gallery;
          options.person_id = job.person;
          options.detect.mode = mode.value();
          options.min_quality = min_quality;
          result = EnrollImage(*galleries, session, bytes.value(), options, context);
        }
        std::lock_guard<std::mutex> lock(mutex);
        if (!result.ok()) {
          PrintError(job.path, result.status());
          ++failures;
          return;
        }
        // Printed only after the enrollment is committed and synced.
        std::printf("%s %s %s face=%lld quality=%s faces_in_image=%d\n",
                    result->info.duplicate ? "already-enrolled" : "enrolled", job.person.c_str(),
                    job.path.c_str(), static_cast<long long>(result->info.face_id),
                    QualityLevelName(result->info.quality), result->faces_in_image);
        std::fflush(stdout);
        (result->info.duplicate ? duplicates : enrolled) += 1;
      });
  if (!status.ok()) {
    PrintError("enroll", status);
    return kExitFailure;
  }
  std::fprintf(stderr, "facet enroll: %zu enrolled, %zu already enrolled, %d failed\n", enrolled,
               duplicates, failures);
  return failures == 0 ? kExitOk : kExitFailure;
}

}  // namespace

Action RegisterEnroll(CLI::App& app) {
  auto flags = std::make_shared<EnrollFlags>();
  CLI::App* cmd = app.add_subcommand(
      "enroll", "enroll the largest face of images for a consenting person (or a folder of them)");
  cmd->add_option("--gallery", flags->gallery, "gallery name")->required();
  cmd->add_option("--person", flags->person, "person id (with IMG...)");
  cmd->add_option("images", flags->images, "images of the person");
  cmd->add_option("--folder", flags->folder,
                  "folder-per-person layout: DIR/NAME/*.jpg (NAME = person id)");
  cmd->add_option("--consents", flags->consents,
                  "CSV with one consent per person: person,granted_by,scope,purpose"
                  "[,expires,evidence,name,ref]");
  cmd->add_option("--min-quality", flags->min_quality,
                  "refuse faces below this quality: low, medium (default) or high");
  cmd->add_option("--detector-mode", flags->mode, "fast (default) or recall");
  cmd->add_option("--workers", flags->threads, "images processed in parallel (default 2)");
  AddStoreFlags(cmd, &flags->store);
  AddEngineFlags(cmd, &flags->engine);
  CLI::Option* model = cmd->get_option("--model");
  return [flags, model] {
    flags->model_given = model->count() > 0;
    return RunEnroll(*flags);
  };
}

}  // namespace facet::cli
