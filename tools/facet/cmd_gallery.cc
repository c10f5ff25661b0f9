// facet gallery create|list|delete and facet person add|list|export|erase.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "gallery_cli.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

struct GalleryFlags {
  StoreFlags store;
  EngineFlags engine;
  std::string name;
  std::string purpose;
  std::string use = "identify";
  double fmr = 1e-4;
  bool keep_photos = false;
  bool json = false;
};

int RunGalleryCreate(const GalleryFlags& flags) {
  auto use = ParseConsentScope(flags.use);
  if (!use.ok()) {
    PrintError("--use", use.status());
    return kExitUsage;
  }
  auto engine = CreateEngineOrPrint(flags.engine);  // for the model's identity and calibration
  if (!engine) return kExitFailure;
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  GallerySpec spec{flags.name, flags.purpose, use.value(), flags.fmr, flags.keep_photos};
  auto info = galleries->CreateGallery(spec, engine->recognizer(),
                                       {ResolveActor(flags.store), flags.purpose});
  if (!info.ok()) {
    PrintError("gallery create", info.status());
    return ExitCodeFor(info.status());
  }
  if (flags.json) {
    std::cout << GalleryToJson(info.value()).dump(2) << "\n";
  } else {
    std::printf("created gallery %s (%s, model %s, threshold %.4f at FMR %g%s)\n",
                info->name.c_str(), ConsentScopeName(info->use), info->recognizer.name.c_str(),
                info->threshold, info->fmr, info->keep_photos ? ", keeps photos" : "");
  }
  return kExitOk;
}

int RunGalleryList(const GalleryFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto list = galleries->ListGalleries();
  if (!list.ok()) {
    PrintError("gallery list", list.status());
    return kExitFailure;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const GalleryInfo& g : list.value()) {
    if (flags.json) {
      out.push_back(GalleryToJson(g));
    } else {
      std::printf("%-20s %-8s %-14s %6lld persons %7lld faces  %s\n", g.name.c_str(),
                  ConsentScopeName(g.use), g.recognizer.name.c_str(),
                  static_cast<long long>(g.persons), static_cast<long long>(g.faces),
                  g.purpose.c_str());
    }
  }
  if (flags.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int RunGalleryDelete(const GalleryFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  const Status status =
      galleries->DeleteGallery(flags.name, {ResolveActor(flags.store), flags.purpose});
  if (!status.ok()) {
    PrintError("gallery delete", status);
    return ExitCodeFor(status);
  }
  std::printf("deleted gallery %s and erased everyone in it\n", flags.name.c_str());
  return kExitOk;
}

struct PersonFlags {
  StoreFlags store;
  std::string gallery;
  std::string person;
  std::string name;
  std::string ref;
  std::string purpose;
  std::string out;
  bool json = false;
};

int RunPersonAdd(const PersonFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto person = galleries->AddPerson(flags.gallery, {flags.person, flags.name, flags.ref},
                                     {ResolveActor(flags.store), ""});
  if (!person.ok()) {
    PrintError("person add", person.status());
    return ExitCodeFor(person.status());
  }
  if (flags.json) {
    std::cout << PersonToJson(person.value()).dump(2) << "\n";
  } else {
    std::printf("added %s to %s (no face can be enrolled before a consent is recorded)\n",
                person->person_id.c_str(), flags.gallery.c_str());
  }
  return kExitOk;
}

int RunPersonList(const PersonFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto persons = galleries->ListPersons(flags.gallery);
  if (!persons.ok()) {
    PrintError("person list", persons.status());
    return ExitCodeFor(persons.status());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const PersonInfo& p : persons.value()) {
    if (flags.json) {
      out.push_back(PersonToJson(p));
    } else {
      std::printf("%-24s %3lld faces  %s\n", p.person_id.c_str(), static_cast<long long>(p.faces),
                  p.display_name.c_str());
    }
  }
  if (flags.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int RunPersonExport(const PersonFlags& flags) {
  // An export is a new file, never written over one: --out naming the store, the master key or
  // an earlier export must not destroy it. Checked before the (audited) export, and again when
  // the file is created (O_EXCL).
  std::error_code ec;
  if (!flags.out.empty() && fs::exists(fs::symlink_status(flags.out, ec))) {
    PrintError("person export",
               Status::FailedPrecondition(flags.out + ": already exists; an export is never "
                                                      "written over a file"));
    return kExitFailure;
  }
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto exported = galleries->ExportPerson(flags.gallery, flags.person,
                                          {ResolveActor(flags.store), flags.purpose});
  if (!exported.ok()) {
    PrintError("person export", exported.status());
    return ExitCodeFor(exported.status());
  }
  if (flags.out.empty()) {
    std::cout << exported.value() << "\n";
    return kExitOk;
  }
  // The export holds templates: readable by the owner only.
  const int fd =
      ::open(flags.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    PrintError(flags.out,
               Status::Internal(std::string("cannot create the export: ") + std::strerror(errno)));
    return kExitFailure;
  }
  const std::string& text = exported.value();
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = ::close(fd) == 0;
  if (!ok || !closed) {
    fs::remove(flags.out, ec);  // no half export left behind
    PrintError(flags.out, Status::Internal("cannot write the export"));
    return kExitFailure;
  }
  std::printf("exported %s to %s (mode 0600)\n", flags.person.c_str(), flags.out.c_str());
  return kExitOk;
}

int RunPersonErase(const PersonFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  const Status status = galleries->ErasePerson(flags.gallery, flags.person,
                                               {ResolveActor(flags.store), flags.purpose});
  if (!status.ok()) {
    PrintError("person erase", status);
    return ExitCodeFor(status);
  }
  std::printf("erased %s from %s: data key destroyed, faces, consents and profile deleted\n",
              flags.person.c_str(), flags.gallery.c_str());
  return kExitOk;
}

}  // namespace

Action RegisterGallery(CLI::App& app) {
  auto flags = std::make_shared<GalleryFlags>();
  CLI::App* cmd = app.add_subcommand("gallery", "create, list and delete galleries");
  cmd->require_subcommand(1);
  CLI::App* create = cmd->add_subcommand("create", "create a gallery");
  create->add_option("name", flags->name, "gallery name ([A-Za-z0-9._-], 1-64)")->required();
  create->add_option("--purpose", flags->purpose, "what the gallery is for (required)")->required();
  create->add_option("--use", flags->use, "identify (1:N, default) or verify (1:1 only)");
  create->add_option("--fmr", flags->fmr, "false-match rate of the decision threshold: 1e-3 or "
                                          "1e-4 (default)");
  create->add_flag("--keep-photos", flags->keep_photos,
                   "store the enrolled images (encrypted); default: templates only");
  create->add_flag("--json", flags->json, "print JSON");
  AddStoreFlags(create, &flags->store);
  AddEngineFlags(create, &flags->engine);
  CLI::App* list = cmd->add_subcommand("list", "list galleries");
  list->add_flag("--json", flags->json, "print JSON");
  AddStoreFlags(list, &flags->store);
  CLI::App* remove = cmd->add_subcommand("delete", "delete a gallery, erasing everyone in it");
  remove->add_option("name", flags->name, "gallery name")->required();
  remove->add_option("--reason", flags->purpose, "why (audited)");
  AddStoreFlags(remove, &flags->store);
  return [flags, create, list] {
    if (create->parsed()) return RunGalleryCreate(*flags);
    if (list->parsed()) return RunGalleryList(*flags);
    return RunGalleryDelete(*flags);
  };
}

Action RegisterPerson(CLI::App& app) {
  auto flags = std::make_shared<PersonFlags>();
  CLI::App* cmd = app.add_subcommand("person", "add, list, export and erase persons");
  cmd->require_subcommand(1);
  auto common = [&](CLI::App* sub, bool person) {
    sub->add_option("--gallery", flags->gallery, "gallery name")->required();
    if (person) sub->add_option("--person", flags->person, "person id")->required();
    AddStoreFlags(sub, &flags->store);
  };
  CLI::App* add = cmd->add_subcommand("add", "add a person to a gallery");
  common(add, true);
  add->add_option("--name", flags->name, "display name (stored encrypted)");
  add->add_option("--ref", flags->ref, "external reference (stored encrypted)");
  add->add_flag("--json", flags->json, "print JSON");
  CLI::App* list = cmd->add_subcommand("list", "list the persons of a gallery");
  common(list, false);
  list->add_flag("--json", flags->json, "print JSON");
  CLI::App* exp = cmd->add_subcommand("export", "everything held about a person, as JSON");
  common(exp, true);
  exp->add_option("--purpose", flags->purpose, "why (audited), e.g. 'subject access request'")
      ->required();
  exp->add_option(
      "--out", flags->out,
      "write to this new file (mode 0600; never over an existing one) instead of stdout");
  CLI::App* erase = cmd->add_subcommand("erase", "erase a person (crypto-shredding)");
  common(erase, true);
  erase->add_option("--reason", flags->purpose, "why (audited)");
  return [flags, add, list, exp] {
    if (add->parsed()) return RunPersonAdd(*flags);
    if (list->parsed()) return RunPersonList(*flags);
    if (exp->parsed()) return RunPersonExport(*flags);
    return RunPersonErase(*flags);
  };
}

}  // namespace facet::cli
