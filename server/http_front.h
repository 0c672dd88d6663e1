#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <httplib.h>

namespace trustcoach::server {

// Limits GuardedServer applies to each connection before and while
// cpp-httplib reads a request.
struct ConnectionLimits {
  // A request line or header line longer than this gets 414 or 431.
  size_t max_line_bytes = 8 * 1024;
  // A request head (line and headers) longer than this gets 431.
  size_t max_head_bytes = 32 * 1024;
  // From its first byte, a request (head and body) must arrive within this
  // many seconds, however slowly it trickles; else 408 and the connection
  // closes.
  int request_deadline_seconds = 10;
  // The most connections open at once from one peer address; one more gets
  // 503 and is closed. 0: no limit. Peers in `exempt` (trusted proxies,
  // which carry many clients) are not counted.
  size_t max_connections_per_address = 64;
  std::vector<std::string> exempt;
  int keep_alive_max_count = 100;
  int keep_alive_timeout_seconds = 5;
  int read_timeout_seconds = 5;
  int write_timeout_seconds = 5;
};

// cpp-httplib 0.11.4's Server, with each connection read through a buffer
// that checks the request head as it passes (line and head bounds, one
// Content-Length, a deadline for the whole request) and hands httplib one
// request at a time, so that pipelined requests are answered in turn, not
// dropped; and with a count of connections per peer address. httplib 0.11
// has no hook for any of these: this overrides its (private, virtual)
// per-connection loop and calls its request parser (Server::process_request,
// exported by the shared library) directly. See docs/reliability.md.
class GuardedServer : public httplib::Server {
 public:
  // `refused(status, peer)` is told of every connection or request refused
  // here (the access log), since httplib never sees those.
  GuardedServer(const ConnectionLimits& limits,
                std::function<void(int, const std::string&)> refused);

  // The peer address of the connection this thread serves, for log lines of
  // requests httplib refused before it read the address ("" elsewhere).
  static const std::string& CurrentPeer();
  // The status this thread's connection was refused with, or 0: httplib
  // logs a 400 of its own for a request refused here, which the access log
  // skips (the refusal is logged through `refused` instead).
  static int RefusedStatus();

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool AcquireSlot(const std::string& peer);
  void ReleaseSlot(const std::string& peer);

  const ConnectionLimits limits_;
  const std::function<void(int, const std::string&)> refused_;
  std::mutex connections_mu_;
  std::map<std::string, size_t, std::less<>> connections_;
};

}  // namespace trustcoach::server
