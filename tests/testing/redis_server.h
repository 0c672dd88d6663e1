#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace trustcoach::testing {

// A redis-server of the test's own on a free 127.0.0.1 port, without
// persistence, killed when this object dies or the test process does
// (PR_SET_PDEATHSIG). Needs `redis-server` on the PATH (scripts/setup.sh
// installs it).
class RedisServer {
 public:
  RedisServer() : port_(FreePort()) { Start(); }
  ~RedisServer() { Stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const {
    return "redis://127.0.0.1:" + std::to_string(port_);
  }

  // Starts it (again, on the same port) and waits until it accepts.
  void Start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    std::vector<const char*> argv = {
        "redis-server", "--port",     port.c_str(), "--bind",
        "127.0.0.1",    "--save",     "",           "--appendonly",
        "no",           "--loglevel", "warning",    "--daemonize",
        "no",           nullptr};
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, STDOUT_FILENO);
      execvp(argv[0], const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    pid_ = pid;
    for (int attempt = 0; attempt < 400; ++attempt) {
      if (Accepts()) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL("redis-server exited at start (is it installed?)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("redis-server did not accept connections within 4 s");
  }

  // Stops it (SIGKILL: as abrupt as a crash) and waits for it to exit.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Freezes and thaws it: connections stay open, commands go unanswered.
  void Pause() { kill(pid_, SIGSTOP); }
  void Resume() { kill(pid_, SIGCONT); }

 private:
  static int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
  }

  bool Accepts() const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok =
        connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return ok;
  }

  const int port_;
  pid_t pid_ = -1;
};

// One server for the whole test process, started on first use.
inline RedisServer& SharedRedisServer() {
  static RedisServer server;
  return server;
}

}  // namespace trustcoach::testing
