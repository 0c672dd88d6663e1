// The baseline for the HTTP benchmark: cpp-httplib answering every POST with
// a fixed JSON body shaped like trustcoach's replies, configured as
// `trustcoach serve` is (TCP_NODELAY, the same thread pool size and
// keep-alive limits), so the ratio measures trustcoach's own work.
//   minimal_server PORT THREADS [KEEP_ALIVE_MAX]
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <httplib.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: minimal_server PORT THREADS [KEEP_ALIVE_MAX]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const int port = std::atoi(argv[1]);
  const size_t threads = static_cast<size_t>(std::atoi(argv[2]));
  const size_t keep_alive_max =
      argc > 3 ? static_cast<size_t>(std::atoi(argv[3])) : 100;
  // About the size of a trustcoach turn reply.
  static const std::string body =
      R"({"id":"c0ffee0000000000000000000000000","token":"t0000000000000000000000000000000000000000000",)"
      R"("messages":[{"text":"I'm sorry you are going through this. Finding out about an affair )"
      R"(can turn everything upside down. How are you feeling right now?","quick_replies":)"
      R"(["Angry","Numb","Confused"]}],"safety":{"kind":"none","level":"none"},"resources":[]})";
  httplib::Server server;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(keep_alive_max);
  server.set_keep_alive_timeout(5);
  server.Post(R"(/v1/conversations(/.*)?)",
              [](const httplib::Request&, httplib::Response& response) {
                response.set_content(body, "application/json");
              });
  std::printf("minimal_server: listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  return server.listen("127.0.0.1", port) ? 0 : 1;
}
