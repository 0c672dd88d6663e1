#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "engine/engine.h"

namespace trustcoach::testing {

// The small dialog set the engine tests run on (tests/engine/testdata).
inline std::string TestDialogsDir() {
  return std::string(TRUSTCOACH_SOURCE_DIR) + "/tests/engine/testdata/dialogs";
}

inline std::unique_ptr<Engine> LoadTestEngine() {
  std::unique_ptr<Engine> engine;
  Status s = Engine::Load(TestDialogsDir(), &engine);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return engine;
}

// A copy of a dialogs folder in a fresh temporary directory, to break on
// purpose. Removed when it goes out of scope.
class ScratchDialogs {
 public:
  explicit ScratchDialogs(const std::string& from = TestDialogsDir()) {
    std::random_device random;
    dir_ = std::filesystem::temp_directory_path() /
           ("trustcoach-dialogs-" + std::to_string(random()));
    std::filesystem::copy(from, dir_, std::filesystem::copy_options::recursive);
  }
  ~ScratchDialogs() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScratchDialogs(const ScratchDialogs&) = delete;
  ScratchDialogs& operator=(const ScratchDialogs&) = delete;

  std::string dir() const { return dir_.string(); }

  void Write(const std::string& relative, std::string_view contents) const {
    std::ofstream out(dir_ / relative, std::ios::binary | std::ios::trunc);
    out << contents;
  }

 private:
  std::filesystem::path dir_;
};

inline std::string Joined(const Reply& reply) {
  std::string text;
  for (const Message& message : reply.messages) {
    if (!text.empty()) text += "\n";
    text += message.text;
  }
  return text;
}

}  // namespace trustcoach::testing
