// trustcoach serve: the HTTP API, the demo page and the widget.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/settings.h"
#include "server/log.h"
#include "server/server.h"
#include "store/open.h"

namespace trustcoach::cli {
namespace {

using server::Server;

using Clock = std::chrono::steady_clock;

// Waits up to `timeout` for one of `signals`; returns it, or 0 when the time
// passed (or on EINTR).
int WaitForSignal(const sigset_t* signals, Clock::duration timeout) {
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  const timespec wait = {.tv_sec = nanos / 1'000'000'000,
                         .tv_nsec = nanos % 1'000'000'000};
  const int signal = sigtimedwait(signals, nullptr, &wait);
  return signal < 0 ? 0 : signal;
}

// Who shuts the server down: the signal thread (a stop signal) or the main
// thread (Run() returned by itself), whichever claims kServing first.
enum Shutdown : int {
  kServing,   // the signal thread handles SIGHUP
  kDraining,  // a stop signal came: the signal thread drains and stops
  kStopped,   // ... and its Server::Stop() has returned
  kByMain,    // Run() returned without a signal
};

struct ShutdownState {
  std::atomic<int> state = kServing;
  std::atomic<bool> finished = false;  // the server and store are closed
};

// Waits for SIGHUP (reload the dialogs, reopen log files), SIGINT and SIGTERM
// (drain and stop). The signals are blocked in every thread, so only this
// wait sees them. Stopping: /readyz turns 503, the server keeps serving for
// the drain delay (a second signal cuts it short), stops accepting, and then
// has the drain timeout to finish the requests in flight and close the
// store; after that the process exits without waiting further.
void HandleSignals(const sigset_t* signals, Server* server,
                   server::JsonLog* events,
                   const server::ServerOptions& options,
                   ShutdownState* shutdown) {
  const auto tick = std::chrono::milliseconds(200);
  int signal = 0;
  while (signal == 0) {
    if (shutdown->state.load() == kByMain) return;
    signal = WaitForSignal(signals, tick);
    if (signal == SIGHUP) {
      for (server::JsonLog* log : {events, server->access_log()}) {
        Status status = log->Reopen();
        if (!status.ok()) {
          events->Write(
              {{"event", "log_reopen_failed"}, {"error", status.message()}});
        }
      }
      (void)server->ReloadDialogs();  // errors are logged by the server
      signal = 0;
    }
  }
  int serving = kServing;
  if (!shutdown->state.compare_exchange_strong(serving, kDraining)) return;
  events->Write({{"event", "stopping"},
                 {"signal", strsignal(signal)},
                 {"drain_delay_seconds", options.drain_delay_seconds},
                 {"drain_timeout_seconds", options.drain_timeout_seconds}});
  server->BeginDrain();
  const auto delay_end =
      Clock::now() + std::chrono::seconds(options.drain_delay_seconds);
  while (server->running() && Clock::now() < delay_end) {
    const int again = WaitForSignal(
        signals, std::min<Clock::duration>(tick, delay_end - Clock::now()));
    if (again == SIGINT || again == SIGTERM) break;
  }
  const auto deadline =
      Clock::now() + std::chrono::seconds(options.drain_timeout_seconds);
  server->Stop();
  shutdown->state = kStopped;
  while (!shutdown->finished.load()) {
    if (Clock::now() >= deadline) {
      events->Write({{"event", "drain_timeout"},
                     {"drain_timeout_seconds", options.drain_timeout_seconds}});
      // Requests still running are cut off; every acknowledged turn is
      // already in the store.
      std::fflush(nullptr);
      std::_Exit(0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
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

  ServeSettings options;
  const int exit =
      LoadSettingsOrExit(argc, argv,
                         "Usage: trustcoach serve [OPTIONS]\n\n"
                         "Serves the HTTP API, the demo page and the widget.\n",
                         &options);
  if (exit >= 0) return exit;

  std::unique_ptr<server::JsonLog> events;
  Status status = server::JsonLog::Open(options.event_log, &events);
  if (!status.ok()) {
    std::fprintf(stderr, "trustcoach serve: event-log: %s\n",
                 status.message().c_str());
    return 2;
  }
  // One store connection per connection thread, and one for the sweeper.
  options.store_connections = static_cast<size_t>(options.threads) + 1;
  server::Storage storage;
  status = server::OpenStore(options, server::SystemClock(), &storage);
  const std::string store_description = storage.description;
  std::unique_ptr<Server> server;
  if (status.ok()) {
    status = Server::Create(options, std::move(storage), server::SystemClock(),
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
  // The lines for people go to stdout, unless a log writes JSON lines there:
  // then stdout carries nothing else, and these go to stderr.
  std::FILE* const human =
      options.access_log == "-" || options.event_log == "-" ? stderr : stdout;
  std::fprintf(
      human, "trustcoach %s: listening on %s (store %s, dialogs %s, web %s)\n",
      TRUSTCOACH_VERSION, url.c_str(), store_description.c_str(),
      options.dialogs_dir.c_str(), server->web_dir().c_str());
  if (server->review_queue() != nullptr) {
    std::fprintf(human,
                 "trustcoach: review queue on (%s, kept %d days; "
                 "docs/privacy.md)\n",
                 options.review_queue.c_str(), options.review_retention_days);
  }
  if (server->serves_web()) {
    std::fprintf(human, "trustcoach: demo page at %s/\n", url.c_str());
  }
  std::fflush(human);

  ShutdownState shutdown;
  std::thread signal_thread(HandleSignals, &signals, server.get(), events.get(),
                            std::cref(options), &shutdown);
  server->Run();
  int serving = kServing;
  if (shutdown.state.compare_exchange_strong(serving, kByMain)) {
    // Run() returned by itself (listening failed): the signal thread ends.
    signal_thread.join();
  } else {
    // A stop signal: once its Server::Stop() has returned, the signal
    // thread only watches the drain timeout while the server closes.
    while (shutdown.state.load() != kStopped) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  server.reset();  // joins the sweeper and closes the store
  shutdown.finished = true;
  if (signal_thread.joinable()) signal_thread.join();
  events->Write({{"event", "stopped"}});
  return 0;
}

}  // namespace trustcoach::cli
