// The HTTP transport of the service: cpp-httplib's request parsing and routing, with connection
// handling of our own so that slow, stalled, idle or oversized clients cannot hold the server.
//
// httplib (0.11, Debian's build) serves each connection on a pool thread from accept to close,
// reads requests with a per-read timeout only, without a bound on the number of header lines or
// on the total time of a request, and queues connections without bound: a few hundred idle
// connections hold every thread. GuardedServer keeps httplib's parser and router but replaces
// its connection handling (process_and_close_socket, httplib's documented extension point, a
// virtual also overridden by httplib's own SSLServer):
//   - accepted connections go to a ConnectionReactor (one epoll thread, connection_reactor.h)
//     that runs the TLS handshake, reads request heads under a deadline and holds idle
//     keep-alive connections, none of which costs an HTTP thread; admission caps open connections
//     in all and per client address;
//   - a connection with a complete head goes to one of `http_threads` threads, which reads the
//     body through GuardedStream (an idle timeout between bytes, a deadline for the request, a
//     byte budget: 413), runs the handler and gives the connection back to the reactor;
//   - beyond `max_pending_connections` complete requests waiting for a thread, 503.
// TLS (OpenSSL, TLS 1.2+) is handled here too.
//
// Thread-safety: one GuardedServer serves from many threads; ConnectionState::Current() is the
// state of the connection the calling thread is serving.
#ifndef FACET_SRC_SERVICE_TRANSPORT_H_
#define FACET_SRC_SERVICE_TRANSPORT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include <httplib.h>
#include <openssl/ssl.h>

#include "facet/status.h"
#include "service/connection_reactor.h"
#include "service/transport_options.h"

namespace facet::service {

// Why the transport gave up reading a request (the error handler turns these into statuses).
enum class ReadLimit { kNone, kHeaderTooLarge, kBodyTooLarge, kTimedOut };

// The HTTP status for a limit hit: 431, 413, 408; 0 for kNone.
int StatusForLimit(ReadLimit limit);

struct ConnectionState {
  ReadLimit limit_hit = ReadLimit::kNone;
  // Set by a handler that answered before reading the body (or that wants the connection gone):
  // the connection is closed after the response.
  bool close_after_response = false;
  // The API's checks ran and passed already for this request, before its "100 Continue"
  // (Api::ExpectContinue): its pre-routing does not run them again.
  bool head_checked = false;
  // The connection's socket (-1 outside a connection), and its peer's numeric address (for a
  // request too malformed for httplib to have filled Request::remote_addr).
  int fd = -1;
  std::string peer_address;
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

  // Connections open now (held by the reactor or being served), and those held by the reactor
  // (waiting for a request head or idle between requests); 0 when not listening.
  int open_connections() const;
  int held_connections() const;
  // Connections being served by an HTTP thread.
  int active_connections() const { return active_.load(); }

 private:
  // Called by httplib's accept loop, on the accepting thread: hands the socket to the reactor.
  bool process_and_close_socket(socket_t sock) override;
  // One HTTP thread's work on a connection with a complete request head: serves it (and any
  // request already fully buffered behind it), then gives it back to `reactor`.
  void ServeConnection(ClientConnection connection, ConnectionReactor& reactor);

  class Pool;
  const TransportOptions options_;
  const TlsContext* tls_;
  mutable std::mutex pool_mutex_;
  Pool* pool_ = nullptr;  // the pool of the running listen loop; guarded by pool_mutex_
  std::atomic<int> active_{0};
};

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_TRANSPORT_H_
