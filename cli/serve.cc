// trustcoach serve: the HTTP API, the demo page and the widget.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

namespace trustcoach::cli {
namespace {

using server::Server;

// Waits for SIGHUP (reload dialogs), SIGINT and SIGTERM (drain and stop)
// until `done`. The signals are blocked in every thread, so only this wait
// sees them.
void HandleSignals(const sigset_t* signals, Server* server,
                   server::JsonLog* events, const std::atomic<bool>* done) {
  const timespec tick = {.tv_sec = 0, .tv_nsec = 200'000'000};
  while (!done->load()) {
    const int signal = sigtimedwait(signals, nullptr, &tick);
    if (signal < 0) continue;  // the tick passed, or EINTR
    if (signal == SIGHUP) {
      (void)server->ReloadDialogs();  // errors are logged by the server
      continue;
    }
    events->Write({{"event", "stopping"}, {"signal", strsignal(signal)}});
    server->Stop();
    return;
  }
}

std::string DisplayHost(const std::string& host) {
  if (host == "0.0.0.0" || host == "::" || host.empty()) return "localhost";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int RunServe(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that hangs up mid-response must not kill the server.
  signal(SIGPIPE, SIG_IGN);

  server::ServerOptions options;
  bool help = false;
  Status status = server::LoadServerOptions(
      std::vector<std::string>(argv + 1, argv + argc),
      [](const char* name) { return std::getenv(name); }, &options, &help);
  if (help) {
    std::fputs(server::ServerUsage().c_str(), stdout);
    return 0;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "trustcoach serve: %s\n\n%s", status.message().c_str(),
                 server::ServerUsage().c_str());
    return 2;
  }
  if (options.dialogs_dir.empty()) options.dialogs_dir = DefaultDialogsDir();

  std::unique_ptr<server::JsonLog> events;
  (void)server::JsonLog::Open("stderr", &events);
  std::unique_ptr<server::SessionStore> store;
  std::string store_description;
  status = server::OpenStore(options, server::SystemClock(), &store,
                             &store_description);
  std::unique_ptr<Server> server;
  if (status.ok()) {
    status = Server::Create(options, std::move(store), server::SystemClock(),
                            events.get(), &server);
  }
  int port = 0;
  if (status.ok()) status = server->Bind(&port);
  if (!status.ok()) {
    std::fprintf(stderr, "trustcoach serve: %s\n", status.message().c_str());
    return 1;
  }

  const std::string url =
      "http://" + DisplayHost(options.host) + ":" + std::to_string(port);
  std::printf("trustcoach: listening on %s (store %s, dialogs %s)\n",
              url.c_str(), store_description.c_str(),
              options.dialogs_dir.c_str());
  if (server->serves_web()) {
    std::printf("trustcoach: demo page at %s/\n", url.c_str());
  }
  std::fflush(stdout);

  std::atomic<bool> done = false;
  std::thread signal_thread(HandleSignals, &signals, server.get(), events.get(),
                            &done);
  server->Run();
  // Run() also returns if listening failed: the signal thread stops too.
  done = true;
  signal_thread.join();
  server.reset();  // joins the sweeper and closes the store
  events->Write({{"event", "stopped"}});
  return 0;
}

}  // namespace trustcoach::cli
