// facet consent grant|revoke|list and facet audit verify|show|anchor.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "facet/audit.h"
#include "gallery_cli.h"

namespace facet::cli {
namespace {

struct ConsentFlags {
  StoreFlags store;
  std::string gallery;
  std::string person;
  std::string scope = "identify";
  std::string purpose;
  std::string granted_by;
  std::string expires;
  std::string evidence;
  int64_t consent_id = 0;
  bool all = false;
  bool json = false;
};

int RunGrant(const ConsentFlags& flags) {
  auto scope = ParseConsentScope(flags.scope);
  if (!scope.ok()) {
    PrintError("--scope", scope.status());
    return kExitUsage;
  }
  ConsentSpec spec{flags.granted_by, scope.value(), flags.purpose, std::nullopt, flags.evidence};
  if (!flags.expires.empty()) {
    auto expires = ParseTime(flags.expires);
    if (!expires.ok()) {
      PrintError("--expires", expires.status());
      return kExitUsage;
    }
    spec.expires_at = expires.value();
  }
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto consent = galleries->GrantConsent(flags.gallery, flags.person, spec,
                                         {ResolveActor(flags.store), flags.purpose});
  if (!consent.ok()) {
    PrintError("consent grant", consent.status());
    return ExitCodeFor(consent.status());
  }
  if (flags.json) {
    std::cout << ConsentToJson(consent.value()).dump(2) << "\n";
  } else {
    std::printf("recorded consent %lld: %s, scope %s, %s\n",
                static_cast<long long>(consent->consent_id), flags.person.c_str(),
                ConsentScopeName(consent->scope),
                consent->expires_at ? ("expires " + FormatTime(*consent->expires_at)).c_str()
                                    : "no expiry");
  }
  return kExitOk;
}

int RunRevoke(const ConsentFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  std::vector<int64_t> ids;
  if (flags.all) {
    auto consents = galleries->ListConsents(flags.gallery, flags.person);
    if (!consents.ok()) {
      PrintError("consent revoke", consents.status());
      return ExitCodeFor(consents.status());
    }
    for (const ConsentInfo& c : consents.value()) {
      if (!c.revoked_at) ids.push_back(c.consent_id);
    }
  } else if (flags.consent_id > 0) {
    ids.push_back(flags.consent_id);
  } else {
    PrintError("consent revoke", Status::InvalidArgument("give --consent ID or --all"));
    return kExitUsage;
  }
  for (int64_t id : ids) {
    const Status status = galleries->RevokeConsent(flags.gallery, flags.person, id,
                                                   {ResolveActor(flags.store), flags.purpose});
    if (!status.ok()) {
      PrintError("consent revoke", status);
      return ExitCodeFor(status);
    }
    std::printf("revoked consent %lld of %s\n", static_cast<long long>(id), flags.person.c_str());
  }
  auto person = galleries->GetPerson(flags.gallery, flags.person);
  if (person.ok() && !person->has_data_key) {
    std::printf("%s has no valid consent for %s left: data key destroyed, templates deleted\n",
                flags.person.c_str(), flags.gallery.c_str());
  }
  return kExitOk;
}

int RunList(const ConsentFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto consents = galleries->ListConsents(flags.gallery, flags.person);
  if (!consents.ok()) {
    PrintError("consent list", consents.status());
    return ExitCodeFor(consents.status());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const ConsentInfo& c : consents.value()) out.push_back(ConsentToJson(c));
  if (flags.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& c : out) {
      std::printf("%lld  %-8s %-6s granted %s by %s%s  %s\n", c["consent_id"].get<long long>(),
                  c["scope"].get<std::string>().c_str(), c["valid"].get<bool>() ? "valid" : "-",
                  c["granted_at"].get<std::string>().c_str(),
                  c["granted_by"].get<std::string>().c_str(),
                  c["expires_at"].is_null()
                      ? ""
                      : (", expires " + c["expires_at"].get<std::string>()).c_str(),
                  c["purpose"].get<std::string>().c_str());
    }
  }
  return kExitOk;
}

struct AuditFlags {
  StoreFlags store;
  int64_t from = 1;
  int64_t limit = 100;
  bool json = false;
  std::string anchor_file;  // verify --anchor
  std::string out;          // anchor --out
};

int RunAuditVerify(const AuditFlags& flags) {
  std::optional<AuditAnchor> anchor;
  if (!flags.anchor_file.empty()) {
    // A regular file only: a FIFO would block, a folder reads as nothing.
    std::error_code ec;
    std::ifstream in;
    if (std::filesystem::is_regular_file(flags.anchor_file, ec)) in.open(flags.anchor_file);
    if (!in) {
      std::fprintf(stderr, "facet: %s: cannot read the anchor file (not a readable regular file)\n",
                   flags.anchor_file.c_str());
      return kExitFailure;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = ParseAuditAnchor(text.str());
    if (!parsed.ok()) {
      PrintError(flags.anchor_file, parsed.status());
      return kExitFailure;
    }
    anchor = std::move(parsed).value();
  }
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto report = anchor ? galleries->VerifyAudit(*anchor) : galleries->VerifyAudit();
  if (!report.ok()) {
    PrintError("audit verify", report.status());
    return kExitFailure;
  }
  if (flags.json) {
    std::cout << nlohmann::json{{"intact", report->intact},
                                {"entries", report->entries},
                                {"first_bad_seq", report->first_bad_seq},
                                {"problem", report->problem},
                                {"head_hash", report->head_hash_hex}}
                     .dump(2)
              << "\n";
  } else if (report->intact) {
    std::printf("audit log intact: %lld entries, head %s%s\n",
                static_cast<long long>(report->entries), report->head_hash_hex.c_str(),
                anchor ? (", contains the anchor of entry " + std::to_string(anchor->count)).c_str()
                       : "");
  } else if (report->first_bad_seq == 0) {
    std::printf("audit log BROKEN: %s\n", report->problem.c_str());
  } else {
    std::printf("audit log BROKEN at entry %lld: %s\n",
                static_cast<long long>(report->first_bad_seq), report->problem.c_str());
  }
  return report->intact ? kExitOk : kExitFailure;
}

int RunAuditAnchor(const AuditFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto anchor = galleries->AnchorAudit();
  if (!anchor.ok()) {
    PrintError("audit anchor", anchor.status());
    return kExitFailure;
  }
  const std::string line = FormatAuditAnchor(anchor.value()) + "\n";
  if (flags.out == "-") {
    std::fwrite(line.data(), 1, line.size(), stdout);
    return kExitOk;
  }
  // A new file each time (never overwrites an older anchor): O_EXCL.
  const int fd = ::open(flags.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "facet: %s: cannot create the anchor file: %s\n", flags.out.c_str(),
                 std::strerror(errno));
    return kExitFailure;
  }
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::fprintf(stderr, "facet: %s: cannot write the anchor\n", flags.out.c_str());
    ::unlink(flags.out.c_str());
    return kExitFailure;
  }
  std::printf("anchored entry %lld of the audit log in %s: keep a copy off this machine\n",
              static_cast<long long>(anchor->count), flags.out.c_str());
  return kExitOk;
}

int RunAuditShow(const AuditFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto entries = galleries->ReadAudit(flags.from, flags.limit);
  if (!entries.ok()) {
    PrintError("audit show", entries.status());
    return ExitCodeFor(entries.status());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const AuditEntry& e : entries.value()) {
    if (flags.json) {
      out.push_back(AuditEntryToJson(e));
    } else {
      std::printf("%6lld %s %-16s %-12s %-12s %s %s %s\n", static_cast<long long>(e.seq),
                  FormatTime(e.time).c_str(), e.action.c_str(), e.actor.c_str(),
                  e.gallery.c_str(), e.purpose.empty() ? "-" : ("\"" + e.purpose + "\"").c_str(),
                  e.subjects.c_str(), e.details.c_str());
    }
  }
  if (flags.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

}  // namespace

Action RegisterConsent(CLI::App& app) {
  auto flags = std::make_shared<ConsentFlags>();
  CLI::App* cmd = app.add_subcommand("consent", "record, revoke and list consents");
  cmd->require_subcommand(1);
  auto common = [&](CLI::App* sub) {
    sub->add_option("--gallery", flags->gallery, "gallery name")->required();
    sub->add_option("--person", flags->person, "person id")->required();
    AddStoreFlags(sub, &flags->store);
  };
  CLI::App* grant = cmd->add_subcommand("grant", "record a consent");
  common(grant);
  grant->add_option("--scope", flags->scope, "verify or identify (default)");
  grant->add_option("--purpose", flags->purpose, "what the consent is for (required)")->required();
  grant->add_option("--granted-by", flags->granted_by, "who granted it (required)")->required();
  grant->add_option("--expires", flags->expires, "expiry, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  grant->add_option("--evidence", flags->evidence, "evidence reference, e.g. sha256 of the form");
  grant->add_flag("--json", flags->json, "print JSON");
  CLI::App* revoke = cmd->add_subcommand("revoke", "revoke a consent (shreds templates if none "
                                                   "covering the gallery remains)");
  common(revoke);
  revoke->add_option("--consent", flags->consent_id, "consent id (facet consent list)");
  revoke->add_flag("--all", flags->all, "revoke every consent of the person");
  revoke->add_option("--reason", flags->purpose, "why (audited)");
  CLI::App* list = cmd->add_subcommand("list", "list a person's consents");
  common(list);
  list->add_flag("--json", flags->json, "print JSON");
  return [flags, grant, revoke] {
    if (grant->parsed()) return RunGrant(*flags);
    if (revoke->parsed()) return RunRevoke(*flags);
    return RunList(*flags);
  };
}

Action RegisterAudit(CLI::App& app) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* cmd = app.add_subcommand("audit", "verify or read the audit log");
  cmd->require_subcommand(1);
  CLI::App* verify = cmd->add_subcommand("verify", "check the hash chain (exit 1 if broken)");
  verify->add_flag("--json", flags->json, "print JSON");
  verify->add_option("--anchor", flags->anchor_file,
                     "also check that the log still holds this anchor (facet audit anchor)");
  AddStoreFlags(verify, &flags->store);
  CLI::App* anchor = cmd->add_subcommand(
      "anchor", "write the log's current head to a new file, to keep elsewhere");
  anchor->add_option("--out", flags->out, "the anchor file to create, or - for stdout")
      ->required();
  AddStoreFlags(anchor, &flags->store);
  CLI::App* show = cmd->add_subcommand("show", "print audit entries");
  show->add_option("--from", flags->from, "first entry (default 1)")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  show->add_option("--limit", flags->limit, "at most this many (default 100)")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  show->add_flag("--json", flags->json, "print JSON");
  AddStoreFlags(show, &flags->store);
  return [flags, verify, anchor] {
    if (verify->parsed()) return RunAuditVerify(*flags);
    if (anchor->parsed()) return RunAuditAnchor(*flags);
    return RunAuditShow(*flags);
  };
}

}  // namespace facet::cli
