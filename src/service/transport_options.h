// The limits of the HTTP transport (see transport.h and connection_reactor.h).
#ifndef FACET_SRC_SERVICE_TRANSPORT_OPTIONS_H_
#define FACET_SRC_SERVICE_TRANSPORT_OPTIONS_H_

#include <chrono>
#include <cstdint>

namespace facet::service {

struct TransportOptions {
  // A request head (and, first, the TLS handshake) must be complete this long after the
  // connection opened or, on a keep-alive connection, after its first byte.
  std::chrono::milliseconds head_timeout{10'000};
  // Longest pause between two bytes while a request is read.
  std::chrono::milliseconds idle_timeout{5'000};
  // A whole request (head and body) must be read within this.
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  std::chrono::milliseconds write_timeout{10'000};
  int max_requests_per_connection = 1000;
  int64_t max_header_bytes = 16 << 10;
  int64_t max_body_bytes = 16LL << 20;
  // Threads that run requests (a connection holds one only from a complete head to its response).
  int http_threads = 64;
  // Requests with a complete head waiting for an HTTP thread; beyond, 503.
  int max_pending_connections = 256;
  // Open connections in all (further ones get 503), and from one client address (0: no cap).
  int max_connections = 4096;
  int max_connections_per_address = 256;
  // Requests from one client address in service at once (queued for or on an HTTP thread, from a
  // complete head to the response); further complete heads from that address wait in the
  // reactor, costing no thread, until one of its requests is done, and get 503 after
  // `request_timeout`. So clients that trickle their bodies from one address hold at most this
  // many threads. 0: no cap.
  int max_active_per_address = 16;
};

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_TRANSPORT_OPTIONS_H_
