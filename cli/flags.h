#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace trustcoach::cli {

// A minimal flag reader for the subcommands: `--name value`, `--name=value`
// and boolean `--name`; everything else is a positional argument.
class Flags {
 public:
  Flags(int argc, char** argv, std::vector<std::string_view> with_values) {
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg.size() < 3 || arg.substr(0, 2) != "--") {
        positional_.emplace_back(arg);
        continue;
      }
      std::string_view name = arg.substr(2);
      std::string value;
      const size_t eq = name.find('=');
      bool has_value = false;
      if (eq != std::string_view::npos) {
        value = std::string(name.substr(eq + 1));
        name = name.substr(0, eq);
        has_value = true;
      } else if (Takes(with_values, name)) {
        if (i + 1 >= argc) {
          error_ = "--" + std::string(name) + " needs a value";
          continue;
        }
        value = argv[++i];
        has_value = true;
      }
      if (has_value && !Takes(with_values, name)) {
        error_ = "--" + std::string(name) + " takes no value";
      }
      flags_.push_back({std::string(name), value});
    }
  }

  bool Has(std::string_view name) const {
    for (const auto& [key, value] : flags_) {
      if (key == name) return true;
    }
    return false;
  }
  std::string Get(std::string_view name, std::string fallback = "") const {
    for (const auto& [key, value] : flags_) {
      if (key == name) return value;
    }
    return fallback;
  }
  const std::vector<std::string>& positional() const { return positional_; }
  // Names of flags not in `known`, for a clear error.
  std::string Unknown(std::vector<std::string_view> known) const {
    for (const auto& [key, value] : flags_) {
      if (!Takes(known, key)) return "--" + key;
    }
    return "";
  }
  const std::string& error() const { return error_; }

 private:
  static bool Takes(const std::vector<std::string_view>& names,
                    std::string_view name) {
    for (std::string_view n : names) {
      if (n == name) return true;
    }
    return false;
  }

  std::vector<std::pair<std::string, std::string>> flags_;
  std::vector<std::string> positional_;
  std::string error_;
};

}  // namespace trustcoach::cli
