#include "service/connection_reactor.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace facet::service {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kSweepInterval{100};
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr size_t kLingerBytes = 32u << 20;
constexpr int kMaxEvents = 256;

// A complete response that closes the connection, with the service's JSON error body (the
// codes are those of service/api.cc for the same statuses).
std::string CannedResponse(const char* status_line, const char* code, const char* message,
                           const char* extra_headers = "") {
  const std::string body =
      std::string(R"({"error":{"code":")") + code + R"(","message":")" + message + "\"}}";
  return std::string("HTTP/1.1 ") + status_line +
         "\r\nContent-Type: application/json\r\nConnection: close\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::string& TimeoutResponse() {
  static const std::string response =
      CannedResponse("408 Request Timeout", "Timeout", "the request was not received in time");
  return response;
}

const std::string& HeadTooLargeResponse() {
  static const std::string response =
      CannedResponse("431 Request Header Fields Too Large", "HeadersTooLarge",
                     "the request line and headers are too large");
  return response;
}

const std::string& BusyResponse() {
  static const std::string response =
      CannedResponse("503 Service Unavailable", "ServerBusy", "too many connections; retry later",
                     "Retry-After: 1\r\n");
  return response;
}

std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char host[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, nullptr, 0,
                    NI_NUMERICHOST) != 0) {
    return "?";
  }
  return host;
}

// Best effort, never blocks: the socket is non-blocking and the response small.
void SendNow(int fd, SSL* ssl, const std::string* response) {
  if (response == nullptr) return;
  const size_t size = response->size();
  if (ssl != nullptr) {
    if (SSL_is_init_finished(ssl) == 1)
      (void)SSL_write(ssl, response->data(), static_cast<int>(size));
    ERR_clear_error();
  } else {
    (void)::send(fd, response->data(), size, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
}

}  // namespace

size_t RequestHeadEnd(const std::string& bytes, size_t from) {
  const size_t at = bytes.find("\r\n\r\n", from);
  return at == std::string::npos ? 0 : at + 4;
}

Result<std::unique_ptr<ConnectionReactor>> ConnectionReactor::Start(const TransportOptions& options,
                                                                    SSL_CTX* tls,
                                                                    Dispatch dispatch) {
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Status::Internal(std::string("epoll_create1: ") + std::strerror(errno));
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    ::close(epoll_fd);
    return Status::Internal(std::string("eventfd: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    ::close(wake_fd);
    ::close(epoll_fd);
    return Status::Internal(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  std::unique_ptr<ConnectionReactor> reactor(
      new ConnectionReactor(options, tls, std::move(dispatch), epoll_fd, wake_fd));
  reactor->thread_ = std::thread([r = reactor.get()] { r->Run(); });
  return reactor;
}

ConnectionReactor::ConnectionReactor(const TransportOptions& options, SSL_CTX* tls,
                                     Dispatch dispatch, int epoll_fd, int wake_fd)
    : options_(options),
      tls_(tls),
      dispatch_(std::move(dispatch)),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd) {}

ConnectionReactor::~ConnectionReactor() {
  Stop();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

int ConnectionReactor::open_connections() const {
  std::lock_guard<std::mutex> lock(counts_mutex_);
  return open_;
}

void ConnectionReactor::Adopt(int fd) {
  const std::string address = PeerAddress(fd);
  const int flags = ::fcntl(fd, F_GETFL, 0);
  bool admitted = flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
  if (admitted) {
    std::lock_guard<std::mutex> lock(counts_mutex_);
    int& from_address = per_address_[address];
    admitted =
        open_ < options_.max_connections && (options_.max_connections_per_address <= 0 ||
                                             from_address < options_.max_connections_per_address);
    if (admitted) {
      ++from_address;
      ++open_;
    } else if (from_address == 0) {
      per_address_.erase(address);
    }
  }
  if (!admitted) {
    if (tls_ == nullptr) SendNow(fd, nullptr, &BusyResponse());
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ClientConnection connection;
  connection.fd = fd;
  connection.address = address;
  if (tls_ != nullptr) {
    connection.ssl = SSL_new(tls_);
    if (connection.ssl == nullptr || SSL_set_fd(connection.ssl, fd) != 1) {
      ERR_clear_error();
      CloseNow(connection);
      return;
    }
  }
  const Phase phase = tls_ != nullptr ? Phase::kHandshake : Phase::kHead;
  Post({std::move(connection), phase});
}

void ConnectionReactor::Resume(ClientConnection&& connection) {
  ReturnActivePlace(connection.address);
  Post({std::move(connection), Phase::kIdle});
}

void ConnectionReactor::Linger(ClientConnection&& connection) {
  ReturnActivePlace(connection.address);
  Post({std::move(connection), Phase::kLinger});
}

void ConnectionReactor::Close(ClientConnection&& connection) {
  ReturnActivePlace(connection.address);
  CloseNow(connection);
  // A connection of that address may be waiting for the place.
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
}

bool ConnectionReactor::TakeActivePlace(const std::string& address) {
  std::lock_guard<std::mutex> lock(counts_mutex_);
  int& active = active_per_address_[address];
  if (options_.max_active_per_address > 0 && active >= options_.max_active_per_address) {
    return false;
  }
  ++active;
  return true;
}

void ConnectionReactor::ReturnActivePlace(const std::string& address) {
  std::lock_guard<std::mutex> lock(counts_mutex_);
  auto it = active_per_address_.find(address);
  if (it != active_per_address_.end() && --it->second <= 0) active_per_address_.erase(it);
  places_returned_.fetch_add(1);
}

void ConnectionReactor::Post(Arrival&& arrival) {
  {
    std::unique_lock<std::mutex> lock(inbox_mutex_);
    if (stopped_) {
      lock.unlock();
      CloseNow(arrival.connection);
      return;
    }
    inbox_.push_back(std::move(arrival));
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
}

void ConnectionReactor::Stop() {
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    stopped_ = true;
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void ConnectionReactor::Run() {
  epoll_event events[kMaxEvents];
  Clock::time_point next_sweep = Clock::now() + kSweepInterval;
  bool stopping = false;
  while (!stopping) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_sweep - Clock::now());
    const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents,
                               static_cast<int>(std::max<int64_t>(0, wait.count())));
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "facet: connection reactor: epoll_wait: %s\n", std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd != wake_fd_) {
        OnEvent(events[i].data.fd, events[i].events);
        continue;
      }
      uint64_t count = 0;
      (void)::read(wake_fd_, &count, sizeof count);
      std::vector<Arrival> arrivals;
      {
        std::lock_guard<std::mutex> lock(inbox_mutex_);
        arrivals.swap(inbox_);
        stopping = stopped_;
      }
      for (Arrival& arrival : arrivals) {
        if (stopping) {
          CloseNow(arrival.connection);
        } else {
          Enter(std::move(arrival));
        }
      }
      // A wake-up also means a connection came back from an HTTP thread: its place may be free.
      if (!stopping) HandWaiting();
    }
    if (Clock::now() >= next_sweep) {
      Sweep();
      next_sweep = Clock::now() + kSweepInterval;
    }
  }
  for (auto& [fd, held] : held_) CloseNow(held.connection);
  held_.clear();
  held_count_.store(0);
  std::lock_guard<std::mutex> lock(inbox_mutex_);
  stopped_ = true;
  for (Arrival& arrival : inbox_) CloseNow(arrival.connection);
  inbox_.clear();
}

void ConnectionReactor::Enter(Arrival&& arrival) {
  const Clock::time_point now = Clock::now();
  const int fd = arrival.connection.fd;
  Held held;
  held.phase = arrival.phase;
  held.connection = std::move(arrival.connection);
  held.last_byte = now;
  const auto head_time = std::min(options_.head_timeout, options_.request_timeout);
  switch (held.phase) {
    case Phase::kHandshake:
    case Phase::kHead:
    case Phase::kWaiting:  // never posted: only Hand puts a connection in the waiting line
      held.deadline = now + head_time;
      break;
    case Phase::kIdle:
      if (!held.connection.buffered.empty()) {
        held.phase = Phase::kHead;
        held.deadline = now + head_time;
      } else {
        held.deadline = now + options_.keep_alive_timeout;
      }
      break;
    case Phase::kLinger:
      if (held.connection.ssl != nullptr) (void)SSL_shutdown(held.connection.ssl);
      ERR_clear_error();
      ::shutdown(fd, SHUT_WR);
      held.deadline = now + kLingerTime;
      break;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    CloseNow(held.connection);
    return;
  }
  held_.emplace(fd, std::move(held));
  held_count_.store(static_cast<int>(held_.size()));
  // Bytes may be waiting already (in the socket, or decrypted inside OpenSSL, which epoll
  // cannot see).
  OnEvent(fd, EPOLLIN);
}

void ConnectionReactor::OnEvent(int fd, uint32_t /*events*/) {
  auto it = held_.find(fd);
  if (it == held_.end()) return;
  Advance(it->second);
}

void ConnectionReactor::Advance(Held& held) {
  const int fd = held.connection.fd;
  if (held.phase == Phase::kLinger) {
    Drain(held);
    return;
  }
  if (held.phase == Phase::kHandshake) {
    const int r = SSL_accept(held.connection.ssl);
    if (r != 1) {
      const int err = SSL_get_error(held.connection.ssl, r);
      ERR_clear_error();
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        Finish(fd, nullptr);
        return;
      }
      const bool want_write = err == SSL_ERROR_WANT_WRITE;
      if (want_write != held.want_write) {
        held.want_write = want_write;
        epoll_event ev{};
        ev.events = (want_write ? EPOLLOUT : EPOLLIN) | EPOLLRDHUP;
        ev.data.fd = fd;
        (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
      }
      return;
    }
    held.phase = Phase::kHead;
    if (held.want_write) {
      held.want_write = false;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = fd;
      (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    }
  }
  if (!ReadHead(held)) return;
  const std::string& bytes = held.connection.buffered;
  const size_t end = RequestHeadEnd(bytes, held.scanned);
  const auto limit = static_cast<size_t>(std::max<int64_t>(0, options_.max_header_bytes));
  if (end != 0 && end <= limit) {
    Hand(fd);
  } else if (end != 0 || bytes.size() > limit) {
    SendNow(fd, held.connection.ssl, &HeadTooLargeResponse());
    held.phase = Phase::kLinger;
    held.connection.buffered.clear();
    if (held.connection.ssl != nullptr) (void)SSL_shutdown(held.connection.ssl);
    ERR_clear_error();
    ::shutdown(fd, SHUT_WR);
    held.deadline = Clock::now() + kLingerTime;
    Drain(held);
  } else {
    held.scanned = bytes.size() < 3 ? 0 : bytes.size() - 3;
  }
}

bool ConnectionReactor::ReadHead(Held& held) {
  ClientConnection& c = held.connection;
  const auto limit = static_cast<size_t>(std::max<int64_t>(0, options_.max_header_bytes)) + 1;
  char buffer[16 << 10];
  while (c.buffered.size() < limit && RequestHeadEnd(c.buffered, held.scanned) == 0) {
    const size_t want = std::min(sizeof buffer, limit - c.buffered.size());
    ssize_t n = 0;
    if (c.ssl != nullptr) {
      const int r = SSL_read(c.ssl, buffer, static_cast<int>(want));
      if (r <= 0) {
        const int err = SSL_get_error(c.ssl, r);
        ERR_clear_error();
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return true;
        Finish(c.fd, nullptr);
        return false;
      }
      n = r;
    } else {
      n = ::recv(c.fd, buffer, want, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) {
        Finish(c.fd, nullptr);
        return false;
      }
    }
    const Clock::time_point now = Clock::now();
    if (held.phase == Phase::kIdle) {
      held.phase = Phase::kHead;
      held.deadline = now + std::min(options_.head_timeout, options_.request_timeout);
    }
    held.last_byte = now;
    c.buffered.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

void ConnectionReactor::Drain(Held& held) {
  char sink[16 << 10];
  for (;;) {
    const ssize_t n = ::recv(held.connection.fd, sink, sizeof sink, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    held.drained += n > 0 ? static_cast<size_t>(n) : 0;
    if (n <= 0 || held.drained >= kLingerBytes) {
      Finish(held.connection.fd, nullptr);
      return;
    }
  }
}

void ConnectionReactor::Sweep() {
  const Clock::time_point now = Clock::now();
  std::vector<std::pair<int, const std::string*>> expired;
  for (const auto& [fd, held] : held_) {
    if (held.phase == Phase::kWaiting) {
      // A complete request that found no place in time: busy, as a full queue is.
      if (now >= held.deadline) expired.emplace_back(fd, &BusyResponse());
      continue;
    }
    const bool begun = held.phase == Phase::kHead && !held.connection.buffered.empty();
    const bool stalled = begun && now - held.last_byte >= options_.idle_timeout;
    if (now >= held.deadline || stalled) {
      expired.emplace_back(fd, begun ? &TimeoutResponse() : nullptr);
    }
  }
  for (const auto& [fd, response] : expired) Finish(fd, response);
  HandWaiting();  // in case a wake-up was folded into one already handled
}

void ConnectionReactor::Finish(int fd, const std::string* response) {
  auto it = held_.find(fd);
  if (it == held_.end()) return;
  ClientConnection connection = std::move(it->second.connection);
  held_.erase(it);
  held_count_.store(static_cast<int>(held_.size()));
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  SendNow(fd, connection.ssl, response);
  CloseNow(connection);
}

void ConnectionReactor::Hand(int fd) {
  auto it = held_.find(fd);
  if (it == held_.end()) return;
  Held& held = it->second;
  if (!TakeActivePlace(held.connection.address)) {
    // Its address has as many requests in service as it may: wait here, off epoll (the request
    // head is read; nothing more is read until a thread takes it).
    if (held.phase != Phase::kWaiting) {
      (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      held.phase = Phase::kWaiting;
      held.deadline = Clock::now() + options_.request_timeout;
      waiting_.push_back(fd);
    }
    return;
  }
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  ClientConnection connection = std::move(held.connection);
  held_.erase(it);
  held_count_.store(static_cast<int>(held_.size()));
  const std::string address = connection.address;
  if (!dispatch_(connection)) {
    ReturnActivePlace(address);
    SendNow(fd, connection.ssl, &BusyResponse());
    CloseNow(connection);
  }
}

void ConnectionReactor::HandWaiting() {
  // Only a returned place can let a waiting connection go (most wake-ups are new connections).
  const uint64_t returned = places_returned_.load();
  if (waiting_.empty() || returned == places_seen_) return;
  places_seen_ = returned;
  std::deque<int> still_waiting;
  while (!waiting_.empty()) {
    const int fd = waiting_.front();
    waiting_.pop_front();
    auto it = held_.find(fd);
    // Gone (closed by the sweep) or, after fd reuse, another connection: not waiting any more.
    if (it == held_.end() || it->second.phase != Phase::kWaiting) continue;
    Hand(fd);
    if (held_.count(fd) != 0) still_waiting.push_back(fd);
  }
  waiting_.swap(still_waiting);
}

void ConnectionReactor::CloseNow(ClientConnection& connection) {
  if (connection.fd < 0) return;
  if (connection.ssl != nullptr) {
    if (SSL_is_init_finished(connection.ssl) == 1) (void)SSL_shutdown(connection.ssl);
    ERR_clear_error();
    SSL_free(connection.ssl);
    connection.ssl = nullptr;
  }
  ::shutdown(connection.fd, SHUT_RDWR);
  ::close(connection.fd);
  connection.fd = -1;
  Forget(connection);
}

void ConnectionReactor::Forget(ClientConnection& connection) {
  std::lock_guard<std::mutex> lock(counts_mutex_);
  auto it = per_address_.find(connection.address);
  if (it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
  --open_;
}

}  // namespace facet::service
