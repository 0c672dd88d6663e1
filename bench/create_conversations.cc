// Fills a running server with idle conversations, for the memory figure:
// each of THREADS keep-alive clients creates its share of COUNT
// conversations and sends TURNS messages to each.
//   create_conversations PORT COUNT [TURNS] [THREADS]
// Prints "created N conversations, M turns in S s"; exits 1 on any error.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace {

constexpr const char* kMessages[] = {
    "my husband cheated on me", "i feel so betrayed", "yes",
    "i do not know if i can trust him again", "give me an example"};

bool Fill(int port, size_t count, size_t turns, std::atomic<size_t>* done) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  for (size_t i = 0; i < count; ++i) {
    auto created = client.Post("/v1/conversations", "{}", "application/json");
    if (!created || created->status != 201) {
      std::fprintf(stderr, "create failed: %d\n",
                   created ? created->status : -1);
      return false;
    }
    const auto body = nlohmann::json::parse(created->body);
    const std::string path =
        "/v1/conversations/" + body.at("id").get<std::string>() + "/messages";
    const httplib::Headers auth = {
        {"Authorization", "Bearer " + body.at("token").get<std::string>()}};
    for (size_t t = 0; t < turns; ++t) {
      const std::string message =
          nlohmann::json{{"text", kMessages[t % std::size(kMessages)]}}.dump();
      auto reply = client.Post(path, auth, message, "application/json");
      if (!reply || reply->status != 200) {
        std::fprintf(stderr, "turn failed: %d\n", reply ? reply->status : -1);
        return false;
      }
    }
    done->fetch_add(1);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: create_conversations PORT COUNT [TURNS] [THREADS]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const size_t count = std::strtoul(argv[2], nullptr, 10);
  const size_t turns = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 0;
  const size_t threads = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 4;
  const auto start = std::chrono::steady_clock::now();
  std::atomic<size_t> done{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    const size_t share = count / threads + (t < count % threads ? 1 : 0);
    workers.emplace_back([&, share] {
      if (!Fill(port, share, turns, &done)) ok = false;
    });
  }
  for (std::thread& worker : workers) worker.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("created %zu conversations, %zu turns in %.1f s\n", done.load(),
              done.load() * turns, seconds);
  return ok ? 0 : 1;
}
