#include "server/http_front.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <string_view>
#include <utility>

#include "server/problem.h"

namespace trustcoach::server {
namespace {

using Clock = std::chrono::steady_clock;

// httplib::Server::process_request is private; an explicit instantiation
// may name it (access is not checked there), and the friend below hands the
// pointer out.
using ProcessRequestFn =
    bool (httplib::Server::*)(httplib::Stream&, bool, bool&,
                              const std::function<void(httplib::Request&)>&);
ProcessRequestFn ProcessRequest();
template <ProcessRequestFn kFn>
struct ProcessRequestAccess {
  friend ProcessRequestFn ProcessRequest() { return kFn; }
};
template struct ProcessRequestAccess<&httplib::Server::process_request>;

thread_local std::string current_peer;
thread_local int refused_status = 0;

std::string AddressOf(const sockaddr_storage& address, socklen_t length,
                      int* port) {
  char host[NI_MAXHOST] = "";
  char service[NI_MAXSERV] = "";
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host,
                  sizeof(host), service, sizeof(service),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "";
  }
  if (port != nullptr) *port = std::atoi(service);
  return host;
}

std::string PeerOf(socket_t sock, int* port) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return "";
  }
  return AddressOf(address, length, port);
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Sends a complete problem response on `sock`, ignoring failures: the
// connection closes next either way.
void SendRefusal(socket_t sock, int status, std::string_view detail) {
  httplib::Response response;
  SendProblem(response, status, detail);
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(ProblemTitle(status)) +
                    "\r\nContent-Type: application/problem+json"
                    "\r\nContent-Length: " +
                    std::to_string(response.body.size()) +
                    "\r\nConnection: close\r\n";
  if (status == 503) out += "Retry-After: 1\r\n";
  out += "\r\n" + response.body;
  size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n =
        ::send(sock, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// After a refusal: stops sending, then reads and drops what the client
// still sends for a moment, so that closing does not reset the connection
// (which would discard the answer before the client reads it).
void LingeringClose(socket_t sock) {
  ::shutdown(sock, SHUT_WR);
  const auto until = Clock::now() + std::chrono::seconds(2);
  char sink[4096];
  for (size_t total = 0; total < 256 * 1024;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          until - Clock::now())
                          .count();
    if (left <= 0) return;
    pollfd fd{sock, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left)) <= 0) return;
    const ssize_t n = ::recv(sock, sink, sizeof(sink), 0);
    if (n <= 0) return;
    total += static_cast<size_t>(n);
  }
}

// A connection's bytes as httplib reads them: buffered, the head checked
// line by line as it arrives (in bulk, with memchr: httplib reads a head a
// byte at a time, so a read must stay cheap), and never past the end of
// the current request.
class GuardedStream : public httplib::Stream {
 public:
  GuardedStream(socket_t sock, const ConnectionLimits& limits, std::string peer,
                int peer_port)
      : sock_(sock),
        limits_(limits),
        peer_(std::move(peer)),
        peer_port_(peer_port) {}

  // Waits up to the keep-alive timeout for the next request's first byte;
  // false when none comes, the peer closed, or `running` turns false.
  bool WaitForRequest(const std::function<bool()>& running) {
    if (pos_ < buffer_.size()) return true;
    const auto until =
        Clock::now() + std::chrono::seconds(limits_.keep_alive_timeout_seconds);
    while (running()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            until - Clock::now())
                            .count();
      if (left <= 0) return false;
      pollfd fd{sock_, POLLIN, 0};
      const int ready =
          ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left, 100)));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
    return false;
  }

  // Starts reading a new request. False when the last one left part of its
  // body unread, or its end is unknown: the connection must close rather
  // than read that as a head.
  bool BeginRequest() {
    if (in_head_ || body_left_ > 0 || close_after_) {
      if (!first_) return false;
    }
    first_ = false;
    in_head_ = true;
    head_complete_ = false;
    scan_ = pos_;
    line_start_ = pos_;
    head_bytes_ = 0;
    lines_ = 0;
    content_length_ = 0;
    seen_length_ = false;
    started_ = pos_ < buffer_.size();
    if (started_) {
      deadline_ =
          Clock::now() + std::chrono::seconds(limits_.request_deadline_seconds);
    }
    return Scan();
  }

  bool refused() const { return refused_; }

  bool is_readable() const override {
    if (pos_ < buffer_.size()) return true;
    pollfd fd{sock_, POLLIN, 0};
    return ::poll(&fd, 1, limits_.read_timeout_seconds * 1000) > 0;
  }

  bool is_writable() const override {
    pollfd fd{sock_, POLLOUT, 0};
    return ::poll(&fd, 1, limits_.write_timeout_seconds * 1000) > 0;
  }

  ssize_t read(char* out, size_t size) override {
    // httplib reads the head one byte at a time: a byte of the checked head
    // that is not its last is handed out here, without the general path's
    // bookkeeping (about a tenth of the server's work per request).
    if (size == 1 && in_head_ && pos_ + 1 < scan_ && !refused_) {
      *out = buffer_[pos_++];
      return 1;
    }
    for (;;) {
      if (refused_ || size == 0) return -1;
      size_t available;
      if (in_head_) {
        if (head_complete_ && pos_ == scan_) {
          in_head_ = false;  // the head is handed out: the body follows
          body_left_ = content_length_;
          continue;
        }
        available = scan_ - pos_;
      } else {
        if (body_left_ == 0) return 0;  // the request is complete
        available = std::min(buffer_.size() - pos_, body_left_);
      }
      if (available > 0) {
        const size_t n = std::min(size, available);
        std::memcpy(out, buffer_.data() + pos_, n);
        pos_ += n;
        if (!in_head_) {
          body_left_ -= n;
        } else if (head_complete_ && pos_ == scan_) {
          in_head_ = false;  // the head is handed out: the body follows
          body_left_ = content_length_;
        }
        return static_cast<ssize_t>(n);
      }
      if (!Fill()) return -1;
      if (in_head_ && !Scan()) return -1;
    }
  }

  ssize_t write(const char* data, size_t size) override {
    if (refused_ || !is_writable()) return -1;
    return ::send(sock_, data, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_;
    port = peer_port_;
  }

  // httplib asks for every request; the answer holds for the connection.
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (!local_known_) {
      sockaddr_storage address{};
      socklen_t length = sizeof(address);
      if (getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) !=
          0) {
        return;
      }
      local_ip_ = AddressOf(address, length, &local_port_);
      local_known_ = true;
    }
    ip = local_ip_;
    port = local_port_;
  }

  socket_t socket() const override { return sock_; }

 private:
  // Checks the head's lines received so far, up to its end. False when
  // refused.
  bool Scan() {
    const char* data = buffer_.data();
    const size_t size = buffer_.size();
    while (!head_complete_ && scan_ < size) {
      // Empty lines before a request line are dropped (RFC 9112, 2.2), such
      // as the CRLF left after a head httplib refused.
      if (lines_ == 0 && line_start_ == scan_ && pos_ == scan_ &&
          (data[scan_] == '\r' || data[scan_] == '\n')) {
        ++scan_;
        ++pos_;
        ++line_start_;
        if (++head_bytes_ > limits_.max_head_bytes) {
          Refuse(431, "the request head is too large");
          return false;
        }
        continue;
      }
      const void* found = std::memchr(data + scan_, '\n', size - scan_);
      const size_t end =
          found == nullptr
              ? size
              : static_cast<size_t>(static_cast<const char*>(found) - data);
      const size_t length = end - line_start_;
      if (length > limits_.max_line_bytes) {
        if (lines_ == 0) {
          Refuse(414, "the request line is too long");
        } else {
          Refuse(431, "a request header line is too long");
        }
        return false;
      }
      if (head_bytes_ + length > limits_.max_head_bytes) {
        Refuse(431, "the request head is too large");
        return false;
      }
      if (found == nullptr) {
        scan_ = size;
        break;
      }
      const std::string_view line(data + line_start_, length);
      scan_ = end + 1;
      line_start_ = scan_;
      head_bytes_ += length + 1;
      if (lines_ > 0 && Trim(line).empty()) {
        head_complete_ = true;
        break;
      }
      if (lines_ > 0 && !HeaderLine(line)) return false;
      ++lines_;
    }
    return true;
  }

  // Reads more bytes into the buffer, within the read timeout and the
  // request's deadline.
  bool Fill() {
    // Keep what is not handed out yet, and the head line being scanned.
    const size_t keep_from = in_head_ ? std::min(pos_, line_start_) : pos_;
    if (keep_from == buffer_.size()) {
      buffer_.clear();
    } else if (keep_from > 0) {
      buffer_.erase(0, keep_from);
    }
    pos_ -= keep_from;
    scan_ -= std::min(scan_, keep_from);
    line_start_ -= std::min(line_start_, keep_from);
    for (;;) {
      int wait_ms = limits_.read_timeout_seconds * 1000;
      bool until_deadline = false;  // the wait ends at the deadline
      if (started_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline_ - Clock::now())
                              .count();
        if (left <= 0) {
          Refuse(408, "the request did not arrive in time");
          return false;
        }
        if (left <= wait_ms) {
          wait_ms = static_cast<int>(left);
          until_deadline = true;
        }
      }
      pollfd fd{sock_, POLLIN, 0};
      const int ready = ::poll(&fd, 1, wait_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        if (ready == 0 && until_deadline) {
          Refuse(408, "the request did not arrive in time");
        }
        return false;
      }
      char chunk[16 * 1024];
      const ssize_t n = ::recv(sock_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      if (!started_) {
        started_ = true;
        deadline_ = Clock::now() +
                    std::chrono::seconds(limits_.request_deadline_seconds);
      }
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  // Looks at one complete header line; false when refused.
  bool HeaderLine(std::string_view line) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return true;  // httplib answers
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (SameName(name, "Content-Length")) {
      if (seen_length_) {
        Refuse(400, "send one Content-Length header");
        return false;
      }
      seen_length_ = true;
      size_t length = 0;
      const auto [end, error] =
          std::from_chars(value.data(), value.data() + value.size(), length);
      // A malformed value is httplib's to refuse; its body is not read.
      if (error == std::errc() && end == value.data() + value.size()) {
        content_length_ = length;
      } else {
        close_after_ = true;
      }
    } else if (SameName(name, "Transfer-Encoding")) {
      // Refused (411) before its body is read: the connection cannot go on.
      close_after_ = true;
    }
    return true;
  }

  ssize_t Refuse(int status, std::string_view detail) {
    refused_ = true;
    refused_status = status;
    SendRefusal(sock_, status, detail);
    return -1;
  }

  const socket_t sock_;
  const ConnectionLimits& limits_;
  const std::string peer_;
  const int peer_port_;
  // This end's address, looked up on the first request that asks.
  mutable bool local_known_ = false;
  mutable std::string local_ip_;
  mutable int local_port_ = 0;

  std::string buffer_;  // received; from pos_ on not handed out yet
  size_t pos_ = 0;

  bool first_ = true;           // no request began yet
  bool in_head_ = false;        // handing out the head (else the body)
  bool head_complete_ = false;  // scan_ is the end of the head
  size_t scan_ = 0;             // head bytes before this are checked
  size_t line_start_ = 0;       // where the head line being scanned starts
  size_t head_bytes_ = 0;       // of the complete head lines
  size_t lines_ = 0;
  bool started_ = false;  // the current request's first byte arrived
  Clock::time_point deadline_;
  size_t content_length_ = 0;
  bool seen_length_ = false;
  size_t body_left_ = 0;
  bool close_after_ = false;  // the body's end is unknown
  bool refused_ = false;
};

}  // namespace

GuardedServer::GuardedServer(
    const ConnectionLimits& limits,
    std::function<void(int, const std::string&)> refused)
    : limits_(limits), refused_(std::move(refused)) {}

const std::string& GuardedServer::CurrentPeer() { return current_peer; }

int GuardedServer::RefusedStatus() { return refused_status; }

bool GuardedServer::AcquireSlot(const std::string& peer) {
  if (limits_.max_connections_per_address == 0 ||
      std::find(limits_.exempt.begin(), limits_.exempt.end(), peer) !=
          limits_.exempt.end()) {
    return true;
  }
  std::lock_guard lock(connections_mu_);
  size_t& count = connections_[peer];
  if (count >= limits_.max_connections_per_address) {
    if (count == 0) connections_.erase(peer);
    return false;
  }
  ++count;
  return true;
}

void GuardedServer::ReleaseSlot(const std::string& peer) {
  std::lock_guard lock(connections_mu_);
  auto it = connections_.find(peer);
  if (it == connections_.end()) return;
  if (--it->second == 0) connections_.erase(it);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  int port = 0;
  current_peer = PeerOf(sock, &port);
  refused_status = 0;
  bool ok = true;
  if (!AcquireSlot(current_peer)) {
    SendRefusal(sock, 503, "too many connections from this address");
    if (refused_) refused_(503, current_peer);
    LingeringClose(sock);
  } else {
    {
      GuardedStream stream(sock, limits_, current_peer, port);
      int left = limits_.keep_alive_max_count;
      while (left-- > 0 &&
             stream.WaitForRequest([this] { return is_running(); })) {
        if (!stream.BeginRequest()) {
          if (stream.refused()) {
            if (refused_) refused_(refused_status, current_peer);
            LingeringClose(sock);
          }
          break;
        }
        bool closed = false;
        ok = (this->*ProcessRequest())(stream, left == 0, closed, nullptr);
        if (stream.refused()) {
          // httplib logged a 400 of its own, or nothing: log what was sent.
          if (refused_) refused_(refused_status, current_peer);
          LingeringClose(sock);
          break;
        }
        if (!ok || closed) break;
      }
    }
    if (limits_.max_connections_per_address > 0) ReleaseSlot(current_peer);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  current_peer.clear();
  refused_status = 0;
  return ok;
}

}  // namespace trustcoach::server
