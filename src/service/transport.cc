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
  // `buffered`: bytes the reactor read already (a complete request head, maybe more).
  GuardedStream(int fd, SSL* ssl, const TransportOptions& options, ConnectionState* state,
                std::string buffered)
      : fd_(fd), ssl_(ssl), options_(options), state_(state), buffer_(std::move(buffered)) {
    end_ = buffer_.size();
  }

  // Starts the limits of a new request.
  void BeginRequest() {
    const Clock::time_point now = Clock::now();
    head_deadline_ = now + std::min(options_.head_timeout, options_.request_timeout);
    body_deadline_ = now + options_.request_timeout;
    head_done_ = false;
    match_ = 0;
    head_bytes_ = 0;
    body_bytes_ = 0;
  }

  // True when the bytes already read hold the complete head of a next request (pipelining).
  bool NextHeadBuffered() const {
    return begin_ < end_ && RequestHeadEnd(buffer_.substr(begin_, end_ - begin_)) != 0;
  }

  // The bytes read and not consumed (the start of the next request), for the reactor.
  std::string TakeBuffered() {
    std::string rest = buffer_.substr(begin_, end_ - begin_);
    begin_ = end_ = 0;
    return rest;
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
    std::memcpy(ptr, buffer_.data() + begin_, n);
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
    buffer_.resize(kReadChunk);
    for (;;) {
      const Clock::time_point deadline = Deadline();
      const Clock::time_point until = std::min(Clock::now() + options_.idle_timeout, deadline);
      short events = POLLIN;
      if (ssl_ != nullptr) {
        const int n = SSL_read(ssl_, buffer_.data(), static_cast<int>(buffer_.size()));
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
        const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
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
  static constexpr size_t kReadChunk = 16 << 10;
  std::string buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  Clock::time_point head_deadline_;
  Clock::time_point body_deadline_;
  bool head_done_ = false;
  int match_ = 0;  // how much of "\n\r\n" the last bytes matched
  int64_t head_bytes_ = 0;
  int64_t body_bytes_ = 0;
};

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
  // Release the read/write buffers of idle connections (as nginx does): thousands of them are
  // held between requests.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
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

// The HTTP threads, a bounded queue of connections with a complete request head, and the
// reactor that holds connections in between. Created by httplib's listen loop (on the accepting
// thread) and destroyed when the loop ends.
class GuardedServer::Pool final : public httplib::TaskQueue {
 public:
  Pool(GuardedServer* server, int threads) : server_(server) {
    auto reactor = ConnectionReactor::Start(
        server->options_, server->tls_ != nullptr ? server->tls_->get() : nullptr,
        [this](ClientConnection& connection) { return Dispatch(connection); });
    if (!reactor.ok()) {
      // Without a reactor no connection can be served: say so, and refuse every connection.
      std::fprintf(stderr, "facet: HTTP transport: %s\n", reactor.status().ToString().c_str());
      return;
    }
    reactor_ = std::move(reactor).value();
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }

  // httplib's accept loop: `fn` calls process_and_close_socket, which calls Adopt.
  void enqueue(std::function<void()> fn) override { fn(); }

  void Adopt(int fd) {
    if (reactor_ == nullptr) {
      ::close(fd);
      return;
    }
    reactor_->Adopt(fd);
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(server_->pool_mutex_);
      server_->pool_ = nullptr;
    }
    if (reactor_ != nullptr) reactor_->Stop();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  ConnectionReactor* reactor() const { return reactor_.get(); }

 private:
  // On the reactor thread; never blocks. Takes the connection only when it returns true.
  bool Dispatch(ClientConnection& connection) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_ ||
          static_cast<int>(queue_.size()) >= server_->options_.max_pending_connections) {
        return false;
      }
      queue_.push_back(std::move(connection));
    }
    cv_.notify_one();
    return true;
  }

  void Loop() {
    for (;;) {
      ClientConnection connection;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        connection = std::move(queue_.front());
        queue_.pop_front();
      }
      server_->active_.fetch_add(1);
      server_->ServeConnection(std::move(connection), *reactor_);
      server_->active_.fetch_sub(1);
    }
  }

  GuardedServer* const server_;
  std::unique_ptr<ConnectionReactor> reactor_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<ClientConnection> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

GuardedServer::GuardedServer(const TransportOptions& options, const TlsContext* tls)
    : options_(options), tls_(tls) {
  new_task_queue = [this] {
    auto* pool = new Pool(this, std::max(1, options_.http_threads));
    std::lock_guard<std::mutex> lock(pool_mutex_);
    pool_ = pool;
    return pool;
  };
  set_payload_max_length(static_cast<size_t>(options_.max_body_bytes));
  set_keep_alive_max_count(static_cast<size_t>(std::max(1, options_.max_requests_per_connection)));
  set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options_.keep_alive_timeout).count());
}

bool GuardedServer::RaiseListenBacklog(int backlog) {
  const socket_t sock = svr_sock_.load();
  return sock != INVALID_SOCKET && ::listen(sock, backlog) == 0;
}

int GuardedServer::open_connections() const {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  return pool_ != nullptr && pool_->reactor() != nullptr ? pool_->reactor()->open_connections()
                                                          : 0;
}

int GuardedServer::held_connections() const {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  return pool_ != nullptr && pool_->reactor() != nullptr ? pool_->reactor()->held_connections()
                                                          : 0;
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  Pool* pool = nullptr;
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    pool = pool_;
  }
  if (pool == nullptr) {
    ::close(sock);
  } else {
    pool->Adopt(sock);
  }
  return true;
}

void GuardedServer::ServeConnection(ClientConnection connection, ConnectionReactor& reactor) {
  ConnectionState state;
  t_current_connection = &state;
  bool keep_alive = false;
  {
    GuardedStream stream(connection.fd, connection.ssl, options_, &state,
                         std::move(connection.buffered));
    for (;;) {
      stream.BeginRequest();
      state = ConnectionState{};
      state.fd = connection.fd;
      state.peer_address = connection.address;
      const bool last = connection.requests_served + 1 >= options_.max_requests_per_connection;
      bool connection_closed = false;
      const bool ok = process_request(stream, last, connection_closed, nullptr);
      ++connection.requests_served;
      if (!ok || connection_closed || last || state.close_after_response ||
          state.limit_hit != ReadLimit::kNone) {
        break;
      }
      // A pipelined request already read is served here; otherwise the reactor waits for it.
      if (!stream.NextHeadBuffered()) {
        keep_alive = true;
        connection.buffered = stream.TakeBuffered();
        break;
      }
    }
  }
  t_current_connection = nullptr;
  if (keep_alive) {
    reactor.Resume(std::move(connection));
  } else if (state.close_after_response || state.limit_hit == ReadLimit::kHeaderTooLarge ||
             state.limit_hit == ReadLimit::kBodyTooLarge) {
    reactor.Linger(std::move(connection));
  } else {
    reactor.Close(std::move(connection));
  }
}

}  // namespace facet::service
