// The waiting room of the HTTP transport: one epoll thread that holds every client connection
// while nothing is to be done for it, so that slow, stalled or idle clients cost no HTTP thread.
//
// A connection enters when accepted (Adopt) or after a response on a keep-alive connection
// (Resume). The reactor runs the TLS handshake and reads the request head without blocking; only
// when a complete head (up to the empty line) is buffered does it hand the connection to an HTTP
// thread (the dispatch callback), which reads the body, runs the handler and gives the connection
// back. The model is nginx's: a client that has not sent a complete head within `head_timeout`
// (or pauses longer than `idle_timeout` inside it) is closed, with 408 when it had begun a
// request; an idle keep-alive connection is closed after `keep_alive_timeout`; a head larger than
// `max_header_bytes` gets 431. Admission happens on the accepting thread and never blocks: beyond
// `max_connections` open connections in all, or `max_connections_per_address` from one client
// address, a new connection gets 503 (plain HTTP) or is closed (TLS) at once. At most
// `max_active_per_address` connections from one address are handed to HTTP threads at once: a
// further complete head from that address waits here (kWaiting, off epoll) until one of them
// comes back, and gets 503 after `request_timeout`.
//
// Memory is bounded: at most `max_connections` connections, each buffering at most
// `max_header_bytes` + 1 bytes while in the reactor.
//
// Thread-safety: Adopt, Resume, Linger and Stop may be called from any thread; the dispatch
// callback is called on the reactor thread and must not block.
#ifndef FACET_SRC_SERVICE_CONNECTION_REACTOR_H_
#define FACET_SRC_SERVICE_CONNECTION_REACTOR_H_

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "facet/status.h"
#include "service/transport_options.h"

namespace facet::service {

// A client connection between two requests. Owned by exactly one side at a time: the reactor or
// the HTTP thread it was dispatched to. Move-only; closing goes through the reactor (Close or
// Linger) so that the per-address counts stay right.
struct ClientConnection {
  ClientConnection() = default;
  ClientConnection(ClientConnection&& other) noexcept { *this = std::move(other); }
  ClientConnection& operator=(ClientConnection&& other) noexcept {
    fd = std::exchange(other.fd, -1);
    ssl = std::exchange(other.ssl, nullptr);
    address = std::move(other.address);
    buffered = std::move(other.buffered);
    requests_served = other.requests_served;
    return *this;
  }
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;
  ~ClientConnection() = default;  // the owner closes it through the reactor first

  int fd = -1;
  SSL* ssl = nullptr;    // owned; null for plain HTTP
  std::string address;   // the peer's numeric IP address
  std::string buffered;  // bytes received and not yet parsed (the next request's start)
  int requests_served = 0;
};

// The offset just past the empty line that ends the request head in `bytes` ("\r\n\r\n"), or 0
// when the head is not complete. `from` is where to start looking (bytes before it were looked
// at already).
size_t RequestHeadEnd(const std::string& bytes, size_t from = 0);

class ConnectionReactor {
 public:
  // Called on the reactor thread with a connection whose request head is complete. Takes it
  // (moves from it) and returns true, or leaves it and returns false when no HTTP thread can
  // take it (the queue is full): the reactor then answers 503 and closes it.
  using Dispatch = std::function<bool(ClientConnection&)>;

  // Starts the reactor thread. `tls` may be null (plain HTTP) and must outlive the reactor.
  static Result<std::unique_ptr<ConnectionReactor>> Start(const TransportOptions& options,
                                                          SSL_CTX* tls, Dispatch dispatch);
  ~ConnectionReactor();  // Stop()s
  ConnectionReactor(const ConnectionReactor&) = delete;
  ConnectionReactor& operator=(const ConnectionReactor&) = delete;

  // A newly accepted socket (ownership passes to the reactor). Never blocks.
  void Adopt(int fd);
  // Resume, Linger and Close take back a connection the dispatch callback took (each frees the
  // place it held under `max_active_per_address`).
  // A keep-alive connection after its response: wait for its next request.
  void Resume(ClientConnection&& connection);
  // Closes the write side and drops what the client still sends (at most 32 MiB, 500 ms) before
  // closing, so that an early answer (413, 401, ...) reaches a client that is still uploading.
  void Linger(ClientConnection&& connection);
  // Closes a connection now.
  void Close(ClientConnection&& connection);
  // Closes every held connection and ends the thread; later connections are closed on arrival.
  void Stop();

  // Open connections: held here plus dispatched to HTTP threads.
  int open_connections() const;
  // Connections held here (waiting for a request head or in keep-alive).
  int held_connections() const { return held_count_.load(); }

 private:
  enum class Phase { kHandshake, kIdle, kHead, kWaiting, kLinger };
  struct Held {
    ClientConnection connection;
    Phase phase = Phase::kHead;
    std::chrono::steady_clock::time_point deadline;   // of the phase
    std::chrono::steady_clock::time_point last_byte;  // for the idle timeout inside a head
    size_t scanned = 0;                               // bytes of `buffered` searched for the end
    size_t drained = 0;                               // bytes dropped while lingering
    bool want_write = false;                          // the handshake waits to write
  };
  struct Arrival {
    ClientConnection connection;
    Phase phase;
  };

  ConnectionReactor(const TransportOptions& options, SSL_CTX* tls, Dispatch dispatch, int epoll_fd,
                    int wake_fd);
  void Post(Arrival&& arrival);
  void Run();
  void Enter(Arrival&& arrival);
  void OnEvent(int fd, uint32_t events);
  void Advance(Held& held);   // reads what is there, moves phases; may erase `held`
  bool ReadHead(Held& held);  // false: the connection ended (closed or errored)
  void Drain(Held& held);
  void Sweep();                                      // deadlines
  void Finish(int fd, const std::string* response);  // answers (best effort) and closes a held one
  void Hand(int fd);   // to an HTTP thread, or to the waiting line when its address is at the cap
  void HandWaiting();  // hands waiting connections whose address has a free place, in order
  bool TakeActivePlace(const std::string& address);    // under the per-address cap
  void ReturnActivePlace(const std::string& address);  // a handed connection came back
  void Forget(ClientConnection& connection);  // per-address bookkeeping of a closed connection
  void CloseNow(ClientConnection& connection);

  const TransportOptions options_;
  SSL_CTX* const tls_;
  const Dispatch dispatch_;
  const int epoll_fd_;
  const int wake_fd_;

  // Admission counts (accepting thread, HTTP threads, reactor thread).
  mutable std::mutex counts_mutex_;
  std::map<std::string, int> per_address_;
  std::map<std::string, int> active_per_address_;  // handed to HTTP threads and not back yet
  std::atomic<uint64_t> places_returned_{0};       // ReturnActivePlace calls so far
  int open_ = 0;

  std::mutex inbox_mutex_;
  std::vector<Arrival> inbox_;
  bool stopped_ = false;  // guarded by inbox_mutex_

  // Reactor thread only.
  std::map<int, Held> held_;
  std::deque<int> waiting_;  // fds of kWaiting connections, first come first
  uint64_t places_seen_ = 0;  // places_returned_ when HandWaiting last looked
  std::atomic<int> held_count_{0};
  std::thread thread_;
};

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_CONNECTION_REACTOR_H_
