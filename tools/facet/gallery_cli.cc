#include "gallery_cli.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "cli_common.h"

namespace facet::cli {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

void AddStoreFlags(CLI::App* cmd, StoreFlags* flags) {
  cmd->add_option("--store", flags->store,
                  "gallery store (default $FACET_STORE or ~/.local/share/facet/store.db)");
  cmd->add_option("--key-file", flags->key_file,
                  "master key file (default $FACET_MASTER_KEY, $FACET_KEY_FILE or "
                  "~/.config/facet/master.key)");
  cmd->add_option("--actor", flags->actor, "who acts, for the audit log (default cli:$USER)");
}

GalleriesOptions ResolveStoreOptions(const StoreFlags& flags) {
  return ResolveGalleriesOptions(flags.store, flags.key_file);
}

std::string ResolveActor(const StoreFlags& flags) {
  if (!flags.actor.empty()) return flags.actor;
  std::string user = Env("USER");
  if (user.empty()) {
    const passwd* pw = getpwuid(getuid());
    user = pw != nullptr && pw->pw_name != nullptr ? pw->pw_name : std::to_string(getuid());
  }
  return "cli:" + user;
}

std::unique_ptr<Galleries> OpenGalleriesOrPrint(const StoreFlags& flags) {
  auto galleries = Galleries::Open(ResolveStoreOptions(flags));
  if (!galleries.ok()) {
    PrintError("cannot open the gallery store", galleries.status());
    return nullptr;
  }
  return std::move(galleries).value();
}

nlohmann::json ConsentToJson(const ConsentInfo& c) {
  return {{"consent_id", c.consent_id},
          {"granted_by", c.granted_by},
          {"scope", ConsentScopeName(c.scope)},
          {"purpose", c.purpose},
          {"evidence", c.evidence},
          {"granted_at", FormatTime(c.granted_at)},
          {"expires_at", c.expires_at ? nlohmann::json(FormatTime(*c.expires_at)) : nullptr},
          {"revoked_at", c.revoked_at ? nlohmann::json(FormatTime(*c.revoked_at)) : nullptr},
          {"valid", c.valid}};
}

nlohmann::json PersonToJson(const PersonInfo& p) {
  return {{"person", p.person_id},       {"uid", p.uid},
          {"display_name", p.display_name}, {"external_ref", p.external_ref},
          {"created_at", FormatTime(p.created_at)}, {"faces", p.faces}};
}

nlohmann::json GalleryToJson(const GalleryInfo& g) {
  return {{"name", g.name},
          {"purpose", g.purpose},
          {"use", ConsentScopeName(g.use)},
          {"model", g.recognizer.name},
          {"model_version", g.recognizer.version},
          {"fmr", g.fmr},
          {"threshold", g.threshold},
          {"keep_photos", g.keep_photos},
          {"created_at", FormatTime(g.created_at)},
          {"persons", g.persons},
          {"faces", g.faces}};
}

nlohmann::json AuditEntryToJson(const AuditEntry& e) {
  nlohmann::json details = nlohmann::json::parse(e.details, nullptr, false);
  if (details.is_discarded()) details = e.details;
  return {{"seq", e.seq},         {"time", FormatTime(e.time)}, {"actor", e.actor},
          {"action", e.action},   {"gallery", e.gallery},       {"purpose", e.purpose},
          {"subjects", e.subjects}, {"details", details}};
}

bool UseGalleryModel(Galleries& galleries, const std::string& gallery, bool model_given,
                     EngineFlags* flags) {
  auto info = galleries.GetGallery(gallery);
  if (!info.ok()) {
    PrintError("gallery", info.status());
    return false;
  }
  if (model_given && flags->recognizer != info->recognizer.name) {
    PrintError("--model", Status::InvalidArgument("gallery '" + gallery + "' holds templates of '" +
                                                  info->recognizer.name + "', not '" +
                                                  flags->recognizer + "'"));
    return false;
  }
  flags->recognizer = info->recognizer.name;
  return true;
}

int ExitCodeFor(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace facet::cli
