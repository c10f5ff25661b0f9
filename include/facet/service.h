// `facet serve`: an HTTP API in the shape of Azure AI Face, and a web UI, on the facet engine.
//
// Secure by default: it binds to 127.0.0.1; any other address is refused unless TLS (a
// certificate and key) and at least one active API key are configured. Every API request needs a
// key with the endpoint's scope (docs/service.md). Inference runs on a fixed pool of workers, one
// Session each, behind a bounded queue: overload answers 503 at once instead of queueing without
// bound. Nothing that could rebuild a face (image, template) is ever logged.
//
//   auto service = facet::Service::Create(options, {engine});
//   (*service)->Start();          // binds, starts serving in background threads
//   (*service)->Wait();           // until Stop() (e.g. from a signal handler thread)
//
// Thread-safety: Start, Stop, Wait and port() may be called from any thread; Stop is idempotent.
#ifndef FACET_SERVICE_H_
#define FACET_SERVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "facet/engine.h"
#include "facet/gallery.h"
#include "facet/status.h"

namespace facet {

struct ServiceOptions {
  // Where to listen. Loopback (127.0.0.0/8, ::1, "localhost") needs nothing more; any other
  // address needs tls_cert_file + tls_key_file and at least one active key in api_key_file.
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (port() tells which)

  // TLS (PEM files). Both or neither. With them the service speaks only HTTPS (TLS 1.2+).
  std::string tls_cert_file;
  std::string tls_key_file;

  // API keys (facet/api_keys.h). Re-read when the file changes (revocations apply within ~1 s).
  std::string api_key_file;
  // On loopback with no active key in the file, a one-off key with every scope is made for this
  // process (held only as a hash in memory) and passed to `on_ephemeral_key`, which should show
  // it to the person who started the server. Default true. Without it, such a server answers 401
  // to everything until a key is added.
  bool ephemeral_key_when_none = true;
  std::function<void(const std::string& key)> on_ephemeral_key;

  // Inference: `workers` threads, each with its own Sessions (0: one per hardware thread); at most
  // `queue_depth` requests wait for a worker, each at most `queue_timeout_ms`; beyond either,
  // 503 ServerBusy with Retry-After.
  int workers = 0;
  int queue_depth = 64;
  int queue_timeout_ms = 10'000;

  // Connections: one event thread holds every connection while its request head arrives and
  // while it idles between requests; `http_threads` threads serve requests whose head is
  // complete, at most `max_pending_connections` such requests wait for one (beyond: 503). At most
  // `max_connections` connections are open at once, `max_connections_per_address` (0: no cap)
  // from one client address; further connections get 503 (TLS: closed) at once. At most
  // `max_active_per_address` (0: no cap) requests from one address are in service (waiting for or
  // on an HTTP thread) at once; further complete requests from it wait, costing no thread, and
  // get 503 after `request_timeout_ms`: clients that trickle their bodies from one address hold
  // at most that many threads. Behind a reverse proxy every connection comes from the proxy's
  // address: raise or disable the per-address caps.
  int http_threads = 64;
  int max_pending_connections = 256;
  int max_connections = 4096;
  int max_connections_per_address = 256;
  int max_active_per_address = 16;

  // Limits: request body bytes (413), decoded pixels per image (413), header bytes (431).
  int64_t max_body_bytes = 16LL << 20;
  int64_t max_pixels = 25'000'000;
  int max_header_bytes = 16 << 10;
  // Slow or stalled clients: a request head (and the TLS handshake) not complete within
  // `head_timeout_ms` of the connection opening (keep-alive: of its first byte), no byte for
  // `idle_timeout_ms` while a request is being read, or a whole request taking longer than
  // `request_timeout_ms`, closes the connection (408 when a request had begun); an idle
  // keep-alive connection is closed after `keep_alive_timeout_ms`.
  int head_timeout_ms = 10'000;
  int idle_timeout_ms = 5'000;
  int request_timeout_ms = 30'000;
  int keep_alive_timeout_ms = 5'000;
  int max_requests_per_connection = 1000;

  // Per-key rate limit (token bucket) unless the key sets its own. 429 RateLimitExceeded.
  double rate_per_second = 20;
  int burst = 40;
  // Failed authentications (each costs an Argon2id evaluation) per client address and per key
  // id: a key not verified recently is checked while either still has failures to spend, so
  // forged secrets for one key lock out neither other keys nor that key from elsewhere.
  double auth_failures_per_second = 1;
  int auth_failure_burst = 10;

  // Transient faceIds (detect with returnFaceId=true): templates held in memory only, bound to
  // the key that made them, for at most `face_id_max_ttl_s` seconds (0: faceIds disabled) and at
  // most `face_id_capacity` at once (oldest dropped first). Default 600 s and 10,000.
  int face_id_max_ttl_s = 600;
  int face_id_capacity = 10'000;

  // GET /readyz (no key): 200 when this returns OK (or it is unset), else 503. facet serve
  // checks that the gallery store answers, after building every gallery's index at start (on a
  // database store: that the node is within its lease, Galleries::CheckFresh).
  std::function<Status()> ready_check;

  // Read-your-writes: a request carrying `Facet-Min-Change: N` waits at most this long for the
  // node to have applied change N (Galleries::WaitForChange), else 503 ChangeNotApplied.
  // Default 2000 ms.
  int change_wait_ms = 2'000;

  // Serve the web UI at "/". Default true.
  bool web_ui = true;

  // One line per request (method, path, status, time, key id); never bodies. Default: stderr.
  std::function<void(const std::string& line)> access_log;
};

class Service {
 public:
  // `engines`: one per recognition model offered (recognitionModel), the default first; they must
  // share the model directory. Checks the options (including the bind rule above) and loads the
  // key file, TLS certificate and Sessions; nothing listens yet.
  // `galleries`: the open gallery store behind the person-group, identify, find-similar, audit
  // and export/erase endpoints (shared: the caller may keep using it). Null: those endpoints
  // answer 409 NoGalleryStore (docs/service.md); the service never creates a store itself.
  static Result<std::unique_ptr<Service>> Create(
      const ServiceOptions& options, std::vector<std::shared_ptr<const Engine>> engines,
      std::shared_ptr<Galleries> galleries = nullptr);
  ~Service();  // stops
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds and starts serving in background threads. kFailedPrecondition if the address is taken.
  Status Start();
  // The port listened on (after Start).
  int port() const;
  // Stops accepting, finishes requests in flight, joins the threads.
  void Stop();
  // Blocks until Stop() has been called.
  void Wait();

  struct Impl;  // internal

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace facet

#endif  // FACET_SERVICE_H_
