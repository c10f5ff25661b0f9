// facet serve: the HTTP API and web UI; facet serve keys add|list|revoke: its API keys.
#include <fcntl.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "facet/api_keys.h"
#include "facet/gallery.h"
#include "facet/service.h"

namespace facet::cli {
namespace {

// The self-pipe of the stop signal handler (a signal handler can reach nothing else).
int g_stop_pipe[2] = {-1, -1};

struct ServeFlags {
  ServiceOptions service;
  std::string model_dir;
  std::vector<std::string> models;
  std::string detector = "retinaface";
  std::string store;     // gallery store (empty: as the gallery commands resolve it)
  std::string key_file;  // its master key (empty: likewise)
  FollowOptions follow;  // a database store: the change log's follower and its lease
  // keys subcommands
  std::string key_name;
  std::string key_scopes;
  double key_rate = 0;
  int key_burst = 0;
  std::string key_purpose;
  std::string key_id;
  bool json = false;
};

std::string KeyFile(const ServeFlags& flags) {
  return flags.service.api_key_file.empty() ? DefaultApiKeyFile() : flags.service.api_key_file;
}

std::string FormatUnix(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int RunKeysAdd(const ServeFlags& flags) {
  auto scopes = ParseApiScopes(flags.key_scopes);
  if (!scopes.ok()) {
    PrintError("--scopes", scopes.status());
    return kExitUsage;
  }
  const std::string file = KeyFile(flags);
  auto made = AddApiKey(file, {.name = flags.key_name,
                               .scopes = scopes.value(),
                               .rate_per_second = flags.key_rate,
                               .burst = flags.key_burst,
                               .purpose = flags.key_purpose});
  if (!made.ok()) {
    PrintError(file, made.status());
    return made.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (flags.json) {
    std::printf("%s\n", nlohmann::json({{"id", made->record.id},
                                        {"name", made->record.name},
                                        {"scopes", ApiScopesToString(made->record.scopes)},
                                        {"purpose", made->record.purpose},
                                        {"key", made->key}})
                            .dump()
                            .c_str());
  } else {
    std::printf("%s\n", made->key.c_str());
    std::fprintf(stderr,
                 "facet: added key %s (%s) with scopes %s to %s.\n"
                 "       The key above is shown only now: facet keeps only its Argon2id hash.\n",
                 made->record.id.c_str(), made->record.name.c_str(),
                 ApiScopesToString(made->record.scopes).c_str(), file.c_str());
  }
  return kExitOk;
}

int RunKeysList(const ServeFlags& flags) {
  const std::string file = KeyFile(flags);
  auto keys = ApiKeyFile::Load(file);
  if (!keys.ok()) {
    PrintError(file, keys.status());
    return kExitFailure;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const ApiKeyRecord& r : keys->keys) {
    nlohmann::json k = {{"id", r.id},
                        {"name", r.name},
                        {"scopes", ApiScopesToString(r.scopes)},
                        {"created", FormatUnix(r.created_unix)},
                        {"revoked", r.revoked_unix ? nlohmann::json(FormatUnix(*r.revoked_unix))
                                                   : nlohmann::json(nullptr)}};
    if (r.rate_per_second > 0) k["rate_per_second"] = r.rate_per_second;
    if (r.burst > 0) k["burst"] = r.burst;
    if (!r.purpose.empty()) k["purpose"] = r.purpose;
    out.push_back(std::move(k));
  }
  if (flags.json) {
    std::printf("%s\n", out.dump().c_str());
    return kExitOk;
  }
  if (keys->keys.empty()) std::fprintf(stderr, "facet: no keys in %s\n", file.c_str());
  for (const ApiKeyRecord& r : keys->keys) {
    std::printf("%s  %-8s  %-30s  %s  %s%s%s\n", r.id.c_str(), r.active() ? "active" : "revoked",
                ApiScopesToString(r.scopes).c_str(), FormatUnix(r.created_unix).c_str(),
                r.name.c_str(), r.purpose.empty() ? "" : "  purpose: ", r.purpose.c_str());
  }
  return kExitOk;
}

int RunKeysRevoke(const ServeFlags& flags) {
  const std::string file = KeyFile(flags);
  const Status status = RevokeApiKey(file, flags.key_id);
  if (!status.ok()) {
    PrintError(file, status);
    return kExitFailure;
  }
  std::fprintf(stderr, "facet: key %s revoked (a running server stops accepting it within 1 s)\n",
               flags.key_id.c_str());
  return kExitOk;
}

int RunServe(ServeFlags flags) {
  // The process holds templates in memory: no core dumps, no ptrace by other processes.
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  // SIGINT/SIGTERM stop the server gracefully: the handler writes to a pipe that a thread of
  // ours waits on (threads that libraries start before main, e.g. OpenBLAS's, may receive the
  // signal, so masking and sigwait would not do).
  if (::pipe2(g_stop_pipe, O_CLOEXEC) != 0) {
    PrintError("serve", Status::Internal("cannot create a pipe"));
    return kExitFailure;
  }
  struct sigaction action {};
  action.sa_handler = [](int) {
    const char byte = 1;
    (void)!::write(g_stop_pipe[1], &byte, 1);
  };
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  if (flags.models.empty()) flags.models.push_back("mobilefacenet");
  std::vector<std::shared_ptr<const Engine>> engines;
  for (const std::string& model : flags.models) {
    EngineFlags engine_flags;
    engine_flags.model_dir = flags.model_dir;
    engine_flags.recognizer = model;
    engine_flags.detector = flags.detector;
    engine_flags.threads = 1;  // one thread per inference; parallelism comes from the workers
    auto engine = CreateEngineOrPrint(engine_flags);
    if (!engine) return kExitFailure;
    engines.push_back(engine);
  }
  // The gallery store, resolved as the gallery commands do. An absent store is not created: the
  // gallery endpoints then answer 409 NoGalleryStore. A store that exists but does not open (wrong
  // key, damage) stops the server.
  const GalleriesOptions store_options = ResolveGalleriesOptions(flags.store, flags.key_file);
  std::shared_ptr<Galleries> galleries;
  std::error_code exists_error;
  if (IsDatabaseStore(store_options.store) ||
      std::filesystem::exists(StoreFilePath(store_options.store), exists_error)) {
    auto opened = Galleries::Open(store_options);
    if (!opened.ok()) {
      PrintError("cannot open the gallery store", opened.status());
      return kExitFailure;
    }
    galleries = std::move(opened).value();
    // Every gallery's index is built before the server listens: once /readyz answers 200, the
    // first identification is as fast as the next (issue 19).
    const auto load_start = std::chrono::steady_clock::now();
    // On a database store the node then follows the change log and answers within its lease.
    const bool follow = IsDatabaseStore(store_options.store);
    if (!flags.follow.snapshot_dir.empty() && !follow) {
      std::fprintf(stderr,
                   "facet serve: --index-snapshot-dir is for a database store (a SQLite store "
                   "keeps its snapshots beside it)\n");
      return kExitUsage;
    }
    flags.follow.log = [](const std::string& line) {
      std::fprintf(stderr, "facet serve: %s\n", line.c_str());
      std::fflush(stderr);
    };
    const Status loaded =
        follow ? galleries->FollowChanges(flags.follow) : galleries->LoadIndexes();
    if (!loaded.ok()) {
      PrintError("cannot build the gallery indexes", loaded);
      return loaded.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
    }
    std::fprintf(
        stderr, "facet serve: gallery indexes built in %.2f s\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count());
    if (follow) {
      std::fprintf(stderr, "facet serve: following the change log from change %lld (lease %d ms)\n",
                   static_cast<long long>(galleries->GetFollowStatus().applied_change),
                   flags.follow.max_staleness_ms);
      flags.service.ready_check = [store = galleries] { return store->CheckFresh(); };
    } else {
      flags.service.ready_check = [store = galleries] { return store->CheckStore(); };
    }
    std::fprintf(stderr, "facet serve: gallery store %s\n",
                 StoreForDisplay(store_options.store).c_str());
  } else {
    std::fprintf(stderr,
                 "facet serve: no gallery store at %s (facet init creates one); the person-group "
                 "endpoints answer 409 NoGalleryStore\n",
                 store_options.store.c_str());
  }
  flags.service.api_key_file = KeyFile(flags);
  const std::string scheme = flags.service.tls_cert_file.empty() ? "http" : "https";
  std::string ephemeral_key;
  flags.service.on_ephemeral_key = [&](const std::string& key) {
    ephemeral_key = key;
    std::fprintf(stderr,
                 "facet serve: %s has no API key, so this process made a one-off key with every "
                 "scope\n  (held only in memory; add lasting keys with `facet serve keys add`):\n"
                 "  %s\n",
                 flags.service.api_key_file.c_str(), key.c_str());
  };

  auto service = Service::Create(flags.service, engines, galleries);
  if (!service.ok()) {
    PrintError("serve", service.status());
    return service.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  const Status started = (*service)->Start();
  if (!started.ok()) {
    PrintError("serve", started);
    return kExitFailure;
  }
  std::string models;
  for (const auto& e : engines) models += (models.empty() ? "" : ", ") + e->recognizer().name;
  std::fprintf(stderr, "facet serve: listening on %s://%s:%d (recognition models: %s)\n",
               scheme.c_str(), flags.service.host.c_str(), (*service)->port(), models.c_str());
  if (!ephemeral_key.empty() && flags.service.web_ui) {
    // The key rides in the fragment, which browsers never send to a server.
    std::fprintf(stderr, "facet serve: web UI: %s://%s:%d/#key=%s\n", scheme.c_str(),
                 flags.service.host.c_str(), (*service)->port(), ephemeral_key.c_str());
  }
  std::fflush(stderr);
  Service* raw = service->get();
  std::thread waiter([raw] {
    char byte = 0;
    while (::read(g_stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    raw->Stop();
  });
  (*service)->Wait();
  waiter.join();
  if (galleries && !flags.follow.snapshot_dir.empty()) {
    // A clean shutdown leaves the freshest snapshot for the next start.
    const Status flushed = galleries->Flush();
    if (!flushed.ok()) PrintError("index snapshot", flushed);
  }
  if (galleries) {
    // How identifications' audit entries were grouped into commits (docs/benchmarks.md).
    const AuditCommitStats a = galleries->GetAuditCommitStats();
    std::fprintf(
        stderr,
        "facet serve: audit group commit: %lld entries in %lld commits (%lld failed), "
        "largest %lld; commits of 1, 2-3, 4-7, 8-15, 16-31, 32+ entries: %lld %lld %lld "
        "%lld %lld %lld\n",
        static_cast<long long>(a.entries), static_cast<long long>(a.commits),
        static_cast<long long>(a.failed_commits), static_cast<long long>(a.largest_batch),
        static_cast<long long>(a.by_batch_size[0]), static_cast<long long>(a.by_batch_size[1]),
        static_cast<long long>(a.by_batch_size[2]), static_cast<long long>(a.by_batch_size[3]),
        static_cast<long long>(a.by_batch_size[4]), static_cast<long long>(a.by_batch_size[5]));
  }
  std::fprintf(stderr, "facet serve: stopped\n");
  return kExitOk;
}

}  // namespace

Action RegisterServe(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  ServiceOptions& o = flags->service;
  CLI::App* cmd = app.add_subcommand(
      "serve", "HTTP API in the shape of Azure Face, and a web UI (docs/service.md)");
  cmd->require_subcommand(0, 1);
  cmd->add_option("--host", o.host,
                  "address to listen on (default 127.0.0.1; any other needs TLS and API keys)");
  cmd->add_option("--port", o.port, "port (default 8080; 0: any free port)");
  cmd->add_option("--tls-cert", o.tls_cert_file, "PEM certificate chain: serve HTTPS only");
  cmd->add_option("--tls-key", o.tls_key_file, "PEM private key of --tls-cert");
  cmd->add_option("--keys", o.api_key_file,
                  "API key file (default $FACET_API_KEYS or ~/.config/facet/api_keys.json)");
  cmd->add_option("--models", flags->model_dir,
                  "model directory (default: $FACET_MODEL_DIR or the build's models/)");
  cmd->add_option("--model", flags->models,
                  "recognition model(s) offered, the default first (repeat the flag; default "
                  "mobilefacenet)");
  cmd->add_option("--detector", flags->detector,
                  "face detector (retinaface, blazeface, or one registered with `facet models "
                  "add`; default retinaface: non-commercial research weights; blazeface is "
                  "Apache-2.0)");
  cmd->add_option("--store", flags->store,
                  "gallery store (default $FACET_STORE or ~/.local/share/facet/store.db; never "
                  "created by serve)");
  cmd->add_option("--key-file", flags->key_file,
                  "master key file of the store (default $FACET_MASTER_KEY, $FACET_KEY_FILE or "
                  "~/.config/facet/master.key)");
  cmd->add_option("--workers", o.workers, "inference threads (default: one per hardware thread)");
  cmd->add_option("--queue", o.queue_depth, "requests that may wait for a worker (default 64)");
  cmd->add_option("--queue-timeout-ms", o.queue_timeout_ms,
                  "longest wait for a worker before 503 (default 10000)");
  cmd->add_option("--http-threads", o.http_threads,
                  "threads serving requests with a complete head (default 64)");
  cmd->add_option("--max-pending-connections", o.max_pending_connections,
                  "complete requests waiting for a thread before 503 (default 256)");
  cmd->add_option("--max-connections", o.max_connections,
                  "open connections at most, further ones get 503 (default 4096)");
  cmd->add_option("--max-connections-per-address", o.max_connections_per_address,
                  "open connections from one client address at most, 0 for no cap (default "
                  "256; behind a reverse proxy, raise it or use 0)");
  cmd->add_option("--max-active-per-address", o.max_active_per_address,
                  "requests from one client address in service at once; more wait without a "
                  "thread, 0 for no cap (default 16; behind a reverse proxy, raise it or use 0)");
  cmd->add_option("--max-body-bytes", o.max_body_bytes, "largest request body (default 16 MiB)");
  cmd->add_option("--max-pixels", o.max_pixels, "largest image in pixels (default 25,000,000)");
  cmd->add_option("--request-timeout-ms", o.request_timeout_ms,
                  "time to receive one request (default 30000)");
  cmd->add_option("--head-timeout-ms", o.head_timeout_ms,
                  "time to receive a request head and the TLS handshake (default 10000)");
  cmd->add_option("--idle-timeout-ms", o.idle_timeout_ms,
                  "longest silence while receiving a request (default 5000)");
  cmd->add_option("--max-staleness-ms", flags->follow.max_staleness_ms,
                  "on a database store, answer identify and verify only while this node proved "
                  "it is current at most this long ago (default 500)");
  cmd->add_option("--change-poll-ms", flags->follow.poll_ms,
                  "on a database store, read the change log's head at least this often "
                  "(default 100; below --max-staleness-ms)");
  cmd->add_option("--index-snapshot-dir", flags->follow.snapshot_dir,
                  "on a database store, keep this node's index snapshots here (HNSW graphs, "
                  "encrypted, no template) and start from them when the change log still holds "
                  "the change they reflect (docs/cluster.md)");
  cmd->add_option("--index-snapshot-interval-s", flags->follow.snapshot_interval_s,
                  "with --index-snapshot-dir, rewrite the snapshots of indexes that changed this "
                  "often (default 600; also at a clean shutdown)");
  cmd->add_option("--index-snapshot-compact-share", flags->follow.snapshot_compact_removed_share,
                  "with --index-snapshot-dir, write a graph built anew without its removed faces "
                  "once they are this share of it (default 0.25; above 1: never; docs/cluster.md)");
  cmd->add_option("--rate", o.rate_per_second,
                  "requests per second per key unless the key sets its own (default 20)");
  cmd->add_option("--burst", o.burst, "burst per key (default 40)");
  cmd->add_option("--face-id-ttl", o.face_id_max_ttl_s,
                  "longest life of a transient faceId in seconds; 0 disables faceIds "
                  "(default 600)");
  cmd->add_option("--face-id-capacity", o.face_id_capacity,
                  "most faceIds held at once (default 10000)");
  cmd->add_flag("!--no-web-ui", o.web_ui, "do not serve the web UI");
  cmd->add_flag("!--no-ephemeral-key", o.ephemeral_key_when_none,
                "on loopback without keys, do not make a one-off key");

  CLI::App* keys = cmd->add_subcommand("keys", "manage API keys (stored as Argon2id hashes)");
  keys->require_subcommand(1);
  CLI::App* add = keys->add_subcommand("add", "make a key and print it (once)");
  add->add_option("--name", flags->key_name, "who or what uses the key")->required();
  add->add_option("--scopes", flags->key_scopes, "detect,verify,identify,admin or all")
      ->required();
  add->add_option("--rate", flags->key_rate, "requests per second (default: the server's)");
  add->add_option("--burst", flags->key_burst, "burst (default: the server's)");
  add->add_option("--purpose", flags->key_purpose,
                  "what the key's requests are for; audited for identifications that name none");
  add->add_flag("--json", flags->json, "print JSON");
  CLI::App* list = keys->add_subcommand("list", "list keys (never the keys themselves)");
  list->add_flag("--json", flags->json, "print JSON");
  CLI::App* revoke = keys->add_subcommand("revoke", "revoke a key by its id");
  revoke->add_option("id", flags->key_id, "key id (facet serve keys list)")->required();
  for (CLI::App* sub : {add, list, revoke}) {
    sub->add_option("--keys", o.api_key_file, "API key file (default as for serve)");
  }
  return [flags, add, list, revoke] {
    if (add->parsed()) return RunKeysAdd(*flags);
    if (list->parsed()) return RunKeysList(*flags);
    if (revoke->parsed()) return RunKeysRevoke(*flags);
    return RunServe(*flags);
  };
}

}  // namespace facet::cli
