// Service: checks the options, wires keys, workers, faceIds, API and transport together.
#include "facet/service.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <sys/resource.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "service/api.h"
#include "service/transport.h"

namespace facet {

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return false;
}

struct Service::Impl {
  ServiceOptions options;
  std::unique_ptr<service::TlsContext> tls;
  std::unique_ptr<service::Authenticator> auth;
  std::unique_ptr<service::InferencePool> pool;
  std::unique_ptr<service::FaceIdStore> face_ids;
  std::unique_ptr<service::Api> api;
  std::unique_ptr<service::GuardedServer> server;
  std::thread listener;
  int port = 0;
  std::mutex mutex;
  std::condition_variable stopped_cv;
  bool started = false;
  bool stopped = false;
};

namespace {

Status CheckOptions(const ServiceOptions& o, const std::vector<std::shared_ptr<const Engine>>& engines) {
  if (engines.empty()) return Status::InvalidArgument("the service needs at least one engine");
  std::set<std::string> names;
  for (const auto& engine : engines) {
    if (engine == nullptr) return Status::InvalidArgument("null engine");
    if (!names.insert(engine->recognizer().name).second) {
      return Status::InvalidArgument("recognition model " + engine->recognizer().name +
                                     " given twice");
    }
  }
  if (o.port < 0 || o.port > 65535) return Status::InvalidArgument("port must be 0..65535");
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return Status::InvalidArgument("TLS needs both a certificate and a private key");
  }
  if (o.api_key_file.empty()) return Status::InvalidArgument("no API key file given");
  auto positive = [](int64_t v) { return v > 0; };
  if (!positive(o.queue_depth) || !positive(o.queue_timeout_ms) || !positive(o.http_threads) ||
      o.max_pending_connections < 0 || !positive(o.max_connections) ||
      o.max_connections_per_address < 0 || o.max_active_per_address < 0 ||
      !positive(o.head_timeout_ms) || !positive(o.max_body_bytes) || !positive(o.max_pixels) ||
      o.max_header_bytes < 1024 || !positive(o.idle_timeout_ms) ||
      !positive(o.request_timeout_ms) || !positive(o.keep_alive_timeout_ms) ||
      !positive(o.max_requests_per_connection) || o.workers < 0 || !(o.rate_per_second > 0) ||
      !positive(o.burst) || !(o.auth_failures_per_second > 0) || !positive(o.auth_failure_burst) ||
      o.face_id_max_ttl_s < 0 || o.face_id_max_ttl_s > 86400 || o.face_id_capacity < 0) {
    return Status::InvalidArgument("a service limit is out of range (see facet serve --help)");
  }
  return Status::Ok();
}

}  // namespace

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() { Stop(); }

Result<std::unique_ptr<Service>> Service::Create(
    const ServiceOptions& options, std::vector<std::shared_ptr<const Engine>> engines,
    std::shared_ptr<Galleries> galleries) {
  FACET_RETURN_IF_ERROR(CheckOptions(options, engines));
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  ServiceOptions& o = impl->options;
  const bool loopback = IsLoopbackHost(o.host);

  if (!o.tls_cert_file.empty()) {
    auto tls = service::TlsContext::Load(o.tls_cert_file, o.tls_key_file);
    if (!tls.ok()) return tls.status();
    impl->tls = std::move(tls).value();
  }

  service::AuthOptions auth_options;
  auth_options.key_file = o.api_key_file;
  auto file = ApiKeyFile::Load(o.api_key_file);
  if (!file.ok()) return file.status();
  const int file_keys = file->ActiveCount();
  if (!loopback && (impl->tls == nullptr || file_keys == 0)) {
    return Status::FailedPrecondition(
        "refusing to listen on " + o.host +
        ": an address other than loopback needs TLS (--tls-cert, --tls-key) and at least one "
        "API key (facet serve keys add)");
  }
  std::string ephemeral;
  if (loopback && file_keys == 0 && o.ephemeral_key_when_none) {
    auto made = MakeApiKey({.name = "ephemeral (this process only)", .scopes = kScopeAll});
    if (!made.ok()) return made.status();
    auth_options.memory_keys.push_back(made->record);
    ephemeral = made->key;
  }
  auto auth = service::Authenticator::Create(std::move(auth_options));
  if (!auth.ok()) return auth.status();
  impl->auth = std::move(auth).value();

  service::InferencePool::Options pool_options;
  pool_options.workers =
      o.workers > 0 ? o.workers : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  pool_options.queue_depth = o.queue_depth;
  pool_options.queue_timeout = std::chrono::milliseconds(o.queue_timeout_ms);
  auto pool = service::InferencePool::Create(engines, pool_options);
  if (!pool.ok()) return pool.status();
  impl->pool = std::move(pool).value();

  impl->face_ids = std::make_unique<service::FaceIdStore>(
      static_cast<size_t>(o.face_id_capacity), std::chrono::seconds(o.face_id_max_ttl_s));

  if (!o.access_log) {
    o.access_log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
  service::Api::Deps deps;
  deps.options = o;
  deps.engines = std::move(engines);
  deps.auth = impl->auth.get();
  deps.pool = impl->pool.get();
  deps.face_ids = impl->face_ids.get();
  deps.galleries = std::move(galleries);
  impl->api = std::make_unique<service::Api>(std::move(deps));

  service::TransportOptions t;
  t.head_timeout = std::chrono::milliseconds(o.head_timeout_ms);
  t.idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
  t.request_timeout = std::chrono::milliseconds(o.request_timeout_ms);
  t.keep_alive_timeout = std::chrono::milliseconds(o.keep_alive_timeout_ms);
  t.max_requests_per_connection = o.max_requests_per_connection;
  t.max_header_bytes = o.max_header_bytes;
  t.max_body_bytes = o.max_body_bytes;
  t.http_threads = o.http_threads;
  t.max_pending_connections = o.max_pending_connections;
  t.max_connections = o.max_connections;
  t.max_connections_per_address = o.max_connections_per_address;
  t.max_active_per_address = o.max_active_per_address;
  impl->server = std::make_unique<service::GuardedServer>(t, impl->tls.get());
  service::GuardedServer& server = *impl->server;
  service::Api* api = impl->api.get();
  service::InstallApi(server, api, impl->tls != nullptr);

  std::unique_ptr<Service> service(new Service(std::move(impl)));
  if (!ephemeral.empty() && options.on_ephemeral_key) options.on_ephemeral_key(ephemeral);
  return service;
}

Status Service::Start() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->started) return Status::FailedPrecondition("the service was started already");
  std::signal(SIGPIPE, SIG_IGN);
  // Each connection is a file descriptor; the rest (store, models, logs) needs some too. Raise
  // the soft limit as far as needed (as nginx's worker_rlimit_nofile does), never past the hard
  // one.
  constexpr rlim_t kFilesBesidesConnections = 256;
  rlimit files{};
  const auto wanted =
      static_cast<rlim_t>(impl_->options.max_connections) + kFilesBesidesConnections;
  const bool known = ::getrlimit(RLIMIT_NOFILE, &files) == 0;
  if (known && files.rlim_cur != RLIM_INFINITY && files.rlim_cur < wanted) {
    if (files.rlim_max == RLIM_INFINITY || files.rlim_max >= wanted) {
      files.rlim_cur = wanted;
      (void)::setrlimit(RLIMIT_NOFILE, &files);
      (void)::getrlimit(RLIMIT_NOFILE, &files);
    }
  }
  if (known && files.rlim_cur != RLIM_INFINITY && files.rlim_cur < wanted) {
    return Status::FailedPrecondition(
        "max_connections " + std::to_string(impl_->options.max_connections) + " needs " +
        std::to_string(wanted) + " open files but the limit is " +
        std::to_string(files.rlim_cur) + ": lower --max-connections or raise ulimit -n");
  }
  service::GuardedServer& server = *impl_->server;
  const std::string host = impl_->options.host == "localhost" ? "127.0.0.1" : impl_->options.host;
  if (impl_->options.port == 0) {
    impl_->port = server.bind_to_any_port(host);
    if (impl_->port <= 0) return Status::FailedPrecondition("cannot listen on " + host);
  } else {
    if (!server.bind_to_port(host, impl_->options.port)) {
      return Status::FailedPrecondition("cannot listen on " + host + ":" +
                                        std::to_string(impl_->options.port) +
                                        " (address in use?)");
    }
    impl_->port = impl_->options.port;
  }
  if (!server.RaiseListenBacklog(1024)) {
    return Status::Internal("cannot set the listen backlog");
  }
  impl_->started = true;
  impl_->listener = std::thread([&server] { server.listen_after_bind(); });
  // Return once connections are accepted (and so that Stop() always finds a running server).
  for (int i = 0; i < 5000 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

int Service::port() const { return impl_->port; }

void Service::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  if (impl_->started) {
    impl_->server->stop();
    if (impl_->listener.joinable()) impl_->listener.join();
  }
  impl_->stopped_cv.notify_all();
}

void Service::Wait() {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace facet
