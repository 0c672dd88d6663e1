#include "server/build_info.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "store/crypto.h"

namespace trustcoach::server {
namespace {

// A Prometheus label value: backslash, double quote and newline escaped.
std::string LabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string DialogsHash(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(dir, error), end;
       !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error) && it->path().extension() == ".json") {
      files.push_back(it->path().lexically_relative(dir));
    }
  }
  if (error) return "";
  std::sort(files.begin(), files.end());
  std::string all;
  for (const fs::path& file : files) {
    std::ifstream in(fs::path(dir) / file, std::ios::binary);
    if (!in) return "";
    const std::string bytes{std::istreambuf_iterator<char>(in),
                            std::istreambuf_iterator<char>()};
    all += file.generic_string();
    all += '\0';
    all += std::to_string(bytes.size());
    all += '\0';
    all += bytes;
  }
  return Sha256Hex(all).substr(0, 16);
}

std::string BuildInfoMetric(std::string_view dialogs_version,
                            std::string_view dialogs_hash) {
  std::string out =
      "# HELP trustcoach_build_info The running trustcoach: its version and "
      "the dialog set's version and content hash (always 1).\n"
      "# TYPE trustcoach_build_info gauge\n"
      "trustcoach_build_info{version=\"";
  out += LabelValue(Version());
  out += "\",dialogs=\"";
  out += LabelValue(dialogs_version);
  out += "\",dialogs_hash=\"";
  out += LabelValue(dialogs_hash);
  out += "\"} 1\n";
  return out;
}

}  // namespace trustcoach::server
