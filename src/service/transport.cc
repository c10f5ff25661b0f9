#include "service/transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace facet::service {
namespace {

using Clock = std::chrono::steady_clock;

thread_local ConnectionState* t_current_connection = nullptr;
// Set while the listening thread runs a connection it refuses (the pool is full).
thread_local bool t_shed_connection = false;

constexpr std::chrono::milliseconds kHeadTimeout{10'000};  // head of a request, TLS handshake
constexpr std::chrono::milliseconds kStopPoll{100};         // how often idle waits look at Stop

int MillisUntil(Clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

enum class Ready { kYes, kTimeout, kError };

Ready WaitFd(int fd, short events, Clock::time_point until) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, MillisUntil(until));
    if (r > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0 ? Ready::kYes : Ready::kError;
    if (r == 0) return Ready::kTimeout;
    if (errno != EINTR) return Ready::kError;
  }
}

void AddressOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int r = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                     : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (r != 0) return;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

// Feeds httplib's parser from a socket (optionally TLS) under the limits of TransportOptions.
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(int fd, SSL* ssl, const TransportOptions& options, ConnectionState* state)
      : fd_(fd), ssl_(ssl), options_(options), state_(state) {}

  // Starts the limits of a new request.
  void BeginRequest() {
    const Clock::time_point now = Clock::now();
    head_deadline_ = now + std::min(kHeadTimeout, options_.request_timeout);
    body_deadline_ = now + options_.request_timeout;
    head_done_ = false;
    match_ = 0;
    head_bytes_ = 0;
    body_bytes_ = 0;
  }

  // Waits up to the keep-alive timeout for the first byte of the next request. False when none
  // came, the peer closed, or the server is stopping.
  bool WaitForRequest(const std::atomic<socket_t>& listening) {
    if (begin_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0)) return true;
    const Clock::time_point until = Clock::now() + options_.keep_alive_timeout;
    while (listening.load() != INVALID_SOCKET) {
      const Clock::time_point slice = std::min(until, Clock::now() + kStopPoll);
      const Ready r = WaitFd(fd_, POLLIN, slice);
      if (r == Ready::kYes) return true;
      if (r == Ready::kError || Clock::now() >= until) return false;
    }
    return false;
  }

  bool is_readable() const override {
    if (begin_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0)) return true;
    return WaitFd(fd_, POLLIN, std::min(Clock::now() + options_.idle_timeout, Deadline())) ==
           Ready::kYes;
  }

  bool is_writable() const override {
    return WaitFd(fd_, POLLOUT, Clock::now() + options_.write_timeout) == Ready::kYes;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0) return 0;
    if (begin_ == end_) {
      const ssize_t filled = Fill();
      if (filled <= 0) return filled;
    }
    size_t n = std::min(size, end_ - begin_);
    if (!head_done_) {
      // The head ends at the first "\n\r\n" (an empty line); count it against the head budget.
      for (size_t i = 0; i < n; ++i) {
        const char c = buffer_[begin_ + i];
        match_ = c == '\n' ? (match_ == 2 ? 3 : 1) : (c == '\r' && match_ == 1 ? 2 : 0);
        if (++head_bytes_ > options_.max_header_bytes) {
          state_->limit_hit = ReadLimit::kHeaderTooLarge;
          return -1;
        }
        if (match_ == 3) {
          head_done_ = true;
          n = i + 1;
          break;
        }
      }
    } else {
      body_bytes_ += static_cast<int64_t>(n);
      // Chunked bodies carry framing: allow an eighth more, plus a little.
      if (body_bytes_ > options_.max_body_bytes + options_.max_body_bytes / 8 + (64 << 10)) {
        state_->limit_hit = ReadLimit::kBodyTooLarge;
        return -1;
      }
    }
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    const Clock::time_point until = Clock::now() + options_.write_timeout;
    for (;;) {
      if (ssl_ != nullptr) {
        const int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
        if (n > 0) return n;
        const int err = SSL_get_error(ssl_, n);
        const short events =
            err == SSL_ERROR_WANT_READ ? POLLIN : (err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0);
        if (events == 0 || WaitFd(fd_, events, until) != Ready::kYes) return -1;
      } else {
        const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (WaitFd(fd_, POLLOUT, until) != Ready::kYes) return -1;
      }
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(fd_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(fd_, false, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  Clock::time_point Deadline() const { return head_done_ ? body_deadline_ : head_deadline_; }

  // Reads what is available into the buffer, waiting at most the idle timeout and never past the
  // request's deadline. Returns the bytes read, 0 when the peer closed, -1 on error or timeout.
  ssize_t Fill() {
    begin_ = end_ = 0;
    for (;;) {
      const Clock::time_point deadline = Deadline();
      const Clock::time_point until = std::min(Clock::now() + options_.idle_timeout, deadline);
      short events = POLLIN;
      if (ssl_ != nullptr) {
        const int n = SSL_read(ssl_, buffer_, sizeof buffer_);
        if (n > 0) {
          end_ = static_cast<size_t>(n);
          return n;
        }
        const int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_ZERO_RETURN) return 0;
        if (err == SSL_ERROR_WANT_WRITE) {
          events = POLLOUT;
        } else if (err != SSL_ERROR_WANT_READ) {
          ERR_clear_error();
          return -1;
        }
      } else {
        const ssize_t n = ::recv(fd_, buffer_, sizeof buffer_, 0);
        if (n > 0) {
          end_ = static_cast<size_t>(n);
          return n;
        }
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      }
      const Ready r = WaitFd(fd_, events, until);
      if (r == Ready::kError) return -1;
      if (r == Ready::kTimeout) {
        state_->limit_hit = ReadLimit::kTimedOut;
        return -1;
      }
    }
  }

  const int fd_;
  SSL* const ssl_;
  const TransportOptions& options_;
  ConnectionState* const state_;
  char buffer_[16 << 10];
  size_t begin_ = 0;
  size_t end_ = 0;
  Clock::time_point head_deadline_;
  Clock::time_point body_deadline_;
  bool head_done_ = false;
  int match_ = 0;  // how much of "\n\r\n" the last bytes matched
  int64_t head_bytes_ = 0;
  int64_t body_bytes_ = 0;
};

// Accepts the TLS handshake before `until`. Null on failure or timeout.
SSL* AcceptTls(SSL_CTX* ctx, int fd, Clock::time_point until) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, fd);
  for (;;) {
    const int r = SSL_accept(ssl);
    if (r == 1) return ssl;
    const int err = SSL_get_error(ssl, r);
    const short events =
        err == SSL_ERROR_WANT_READ ? POLLIN : (err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0);
    if (events == 0 || WaitFd(fd, events, until) != Ready::kYes) {
      ERR_clear_error();
      SSL_free(ssl);
      return nullptr;
    }
  }
}

// Closes our side for writing, then reads and drops what the client still sends (at most
// 32 MiB, 500 ms), so that an early answer (401, 413, ...) reaches a client that is still
// uploading instead of being destroyed by a reset.
void LingeringClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(500);
  char sink[16 << 10];
  for (size_t drained = 0; drained < (32u << 20);) {
    if (WaitFd(fd, POLLIN, until) != Ready::kYes) break;
    const ssize_t n = ::recv(fd, sink, sizeof sink, 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
}

void RefuseBusy(int fd) {
  static constexpr char kBody[] =
      "{\"error\":{\"code\":\"ServerBusy\",\"message\":\"too many connections; retry later\"}}";
  const std::string response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json"
                               "\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
                               std::to_string(sizeof kBody - 1) + "\r\n\r\n" + kBody;
  (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

ConnectionState* ConnectionState::Current() { return t_current_connection; }

bool ConnectionState::PeerGone() const {
  if (fd < 0) return false;
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

int StatusForLimit(ReadLimit limit) {
  switch (limit) {
    case ReadLimit::kHeaderTooLarge: return 431;
    case ReadLimit::kBodyTooLarge: return 413;
    case ReadLimit::kTimedOut: return 408;
    case ReadLimit::kNone: break;
  }
  return 0;
}

Result<std::unique_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                     const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::Internal("OpenSSL: cannot create a TLS context");
  std::unique_ptr<TlsContext> tls(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(cert_file + ": not a readable PEM certificate chain");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(key_file + ": not a readable PEM private key");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(key_file + ": the private key does not match the certificate");
  }
  return tls;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

// Connection threads with a bounded queue of accepted connections.
class GuardedServer::Pool final : public httplib::TaskQueue {
 public:
  Pool(GuardedServer* server, int threads) : server_(server) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (static_cast<int>(queue_.size()) < server_->options_.max_pending_connections) {
        queue_.push_back(std::move(fn));
        server_->pending_.fetch_add(1);
        cv_.notify_one();
        return;
      }
    }
    // Full: answer 503 and close, here on the listening thread (it does not block).
    t_shed_connection = true;
    fn();
    t_shed_connection = false;
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
        server_->pending_.fetch_sub(1);
      }
      server_->active_.fetch_add(1);
      fn();  // closes the connection however it ends
      server_->active_.fetch_sub(1);
    }
  }

  GuardedServer* const server_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

GuardedServer::GuardedServer(const TransportOptions& options, const TlsContext* tls)
    : options_(options), tls_(tls) {
  new_task_queue = [this] { return new Pool(this, std::max(1, options_.http_threads)); };
  set_payload_max_length(static_cast<size_t>(options_.max_body_bytes));
  set_keep_alive_max_count(static_cast<size_t>(std::max(1, options_.max_requests_per_connection)));
  set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options_.keep_alive_timeout).count());
}

bool GuardedServer::RaiseListenBacklog(int backlog) {
  const socket_t sock = svr_sock_.load();
  return sock != INVALID_SOCKET && ::listen(sock, backlog) == 0;
}

bool GuardedServer::Starved() const {
  // Connections wait and no thread is idle to take them.
  return pending_.load() > 0 && active_.load() >= options_.http_threads;
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  if (t_shed_connection) {
    if (tls_ == nullptr) RefuseBusy(sock);
  } else {
    ServeConnection(sock);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return true;
}

void GuardedServer::ServeConnection(socket_t sock) {
  const int flags = ::fcntl(sock, F_GETFL, 0);
  if (flags < 0 || ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) != 0) return;
  const int one = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  SSL* ssl = nullptr;
  if (tls_ != nullptr) {
    ssl = AcceptTls(tls_->get(), sock,
                    Clock::now() + std::min(kHeadTimeout, options_.request_timeout));
    if (ssl == nullptr) return;
  }
  ConnectionState state;
  t_current_connection = &state;
  {
    GuardedStream stream(sock, ssl, options_, &state);
    for (int served = 0; served < options_.max_requests_per_connection; ++served) {
      // Between requests, a keep-alive connection yields its thread to waiting connections.
      if (served > 0 && Starved()) break;
      if (!stream.WaitForRequest(svr_sock_)) break;
      stream.BeginRequest();
      state = ConnectionState{};
      state.fd = sock;
      // Close after this request when it is the last allowed, or when connections are waiting
      // for a thread (keep-alive must not starve them).
      const bool last = served + 1 >= options_.max_requests_per_connection || Starved();
      bool connection_closed = false;
      const bool ok = process_request(stream, last, connection_closed, nullptr);
      if (!ok || connection_closed || last || state.close_after_response ||
          state.limit_hit != ReadLimit::kNone) {
        break;
      }
    }
  }
  t_current_connection = nullptr;
  if (ssl != nullptr) {
    (void)SSL_shutdown(ssl);  // best effort, non-blocking
    ERR_clear_error();
    SSL_free(ssl);
  }
  if (state.close_after_response || state.limit_hit == ReadLimit::kHeaderTooLarge ||
      state.limit_hit == ReadLimit::kBodyTooLarge) {
    LingeringClose(sock);
  }
}

}  // namespace facet::service
