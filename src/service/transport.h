// The HTTP transport of the service: cpp-httplib's request parsing and routing, with connection
// handling of our own so that slow, stalled or oversized clients cannot hold the server.
//
// httplib (0.11, Debian's build) reads requests with a per-read timeout only, without a bound on
// the number of header lines or on the total time of a request, and its thread pool queues
// connections without bound. GuardedServer replaces the per-connection loop (httplib's
// documented extension point, a virtual also overridden by httplib's own SSLServer) and feeds
// httplib's parser through GuardedStream, which enforces:
//   - a deadline for each request's head and body (and for the TLS handshake),
//   - an idle timeout between bytes and a keep-alive timeout between requests,
//   - a byte budget for the head (431) and for the body (413),
// and a bounded connection pool: beyond `max_pending_connections` waiting connections, new ones
// get an immediate 503 and are closed. TLS (OpenSSL, TLS 1.2+) is handled here too.
//
// Thread-safety: one GuardedServer serves from many threads; ConnectionState::Current() is the
// state of the connection the calling thread is serving.
#ifndef FACET_SRC_SERVICE_TRANSPORT_H_
#define FACET_SRC_SERVICE_TRANSPORT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include <httplib.h>
#include <openssl/ssl.h>

#include "facet/status.h"

namespace facet::service {

struct TransportOptions {
  std::chrono::milliseconds idle_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  std::chrono::milliseconds write_timeout{10'000};
  int max_requests_per_connection = 1000;
  int64_t max_header_bytes = 16 << 10;
  int64_t max_body_bytes = 16LL << 20;
  int http_threads = 64;
  int max_pending_connections = 256;
};

// Why the transport gave up reading a request (the error handler turns these into statuses).
enum class ReadLimit { kNone, kHeaderTooLarge, kBodyTooLarge, kTimedOut };

// The HTTP status for a limit hit: 431, 413, 408; 0 for kNone.
int StatusForLimit(ReadLimit limit);

struct ConnectionState {
  ReadLimit limit_hit = ReadLimit::kNone;
  // Set by a handler that answered before reading the body (or that wants the connection gone):
  // the connection is closed after the response.
  bool close_after_response = false;
  // The connection's socket (-1 outside a connection).
  int fd = -1;
  // True when the client has closed its end (it will not read an answer): queued work for it can
  // be dropped. A client that half-closes after its request is taken as gone too.
  bool PeerGone() const;
  // The current connection state of this thread, or null outside a connection.
  static ConnectionState* Current();
};

// A TLS server context (PEM certificate chain and private key), TLS 1.2 and up.
class TlsContext {
 public:
  static Result<std::unique_ptr<TlsContext>> Load(const std::string& cert_file,
                                                  const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class GuardedServer : public httplib::Server {
 public:
  // `tls` may be null (plain HTTP); it must outlive the server.
  GuardedServer(const TransportOptions& options, const TlsContext* tls);

  // httplib listens with a backlog of 5 (compiled into Debian's library): bursts of connections
  // would overflow it. Call after binding: a second listen() raises the backlog.
  bool RaiseListenBacklog(int backlog);

  int pending_connections() const { return pending_.load(); }
  int active_connections() const { return active_.load(); }

 private:
  bool process_and_close_socket(socket_t sock) override;
  void ServeConnection(socket_t sock);
  bool Starved() const;

  class Pool;
  const TransportOptions options_;
  const TlsContext* tls_;
  std::atomic<int> pending_{0};
  std::atomic<int> active_{0};
};

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_TRANSPORT_H_
