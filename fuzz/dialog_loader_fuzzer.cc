// libFuzzer target: DialogSet::Load() on a copy of a dialogs folder with one
// file replaced by the input. The folder is the small test set
// (tests/engine/testdata/dialogs, TRUSTCOACH_FUZZ_DIALOGS_DIR), so that one
// load takes milliseconds, not the second the shipped set takes under ASan.
// Byte 0 picks the file (in sorted order of the *.json files in the folder,
// or a new flows/zz_fuzz.json); the rest is its content. Seeds are the test
// and the shipped files (see fuzz/make_corpus.py), so mutations start from
// valid dialogs. Loading must return a Status, never throw or crash; a set
// that loads must run a turn.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "engine/dialog_loader.h"
#include "engine/engine.h"
#include "fuzz/fuzz_util.h"

namespace {

namespace fs = std::filesystem;

struct Workspace {
  fs::path root;
  std::vector<fs::path> files;         // relative, sorted
  std::vector<std::string> originals;  // their contents
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

const Workspace& TheWorkspace() {
  static const Workspace* workspace = [] {
    auto* w = new Workspace;
    char pattern[] = "/tmp/trustcoach-fuzz-dialogs-XXXXXX";
    if (mkdtemp(pattern) == nullptr) std::abort();
    w->root = pattern;
    const fs::path source = TRUSTCOACH_FUZZ_DIALOGS_DIR;
    fs::copy(source, w->root, fs::copy_options::recursive);
    for (const auto& entry : fs::recursive_directory_iterator(w->root)) {
      if (entry.path().extension() == ".json") {
        w->files.push_back(entry.path().lexically_relative(w->root));
      }
    }
    std::sort(w->files.begin(), w->files.end());
    for (const fs::path& file : w->files) {
      w->originals.push_back(ReadFile(w->root / file));
    }
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(TheWorkspace().root, ignored);
    });
    return w;
  }();
  return *workspace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Workspace& w = TheWorkspace();
  if (size == 0) return 0;
  const size_t choice = data[0] % (w.files.size() + 1);
  const std::string_view content(reinterpret_cast<const char*>(data + 1),
                                 size - 1);
  const bool added = choice == w.files.size();
  const fs::path path =
      added ? w.root / "flows" / "zz_fuzz.json" : w.root / w.files[choice];
  WriteFile(path, content);

  std::unique_ptr<trustcoach::DialogSet> dialogs;
  std::vector<std::string> warnings;
  const trustcoach::Status status =
      trustcoach::DialogSet::Load(w.root.string(), &dialogs, &warnings);
  FUZZ_CHECK(status.ok() == (dialogs != nullptr));
  FUZZ_CHECK(status.ok() || !status.message().empty());
  if (status.ok()) {
    // A set that loads must also serve: the engine loads the same folder.
    std::unique_ptr<trustcoach::Engine> engine;
    FUZZ_CHECK(trustcoach::Engine::Load(w.root.string(), &engine).ok());
    trustcoach::Session session;
    (void)engine->Start(1, &session);
    (void)engine->Respond("my partner lied to me", &session);
    (void)engine->Respond("help", &session);
  }

  if (added) {
    fs::remove(path);
  } else {
    WriteFile(path, w.originals[choice]);
  }
  return 0;
}
