#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "engine/status.h"

namespace trustcoach {

// Named lists of words and phrases (ChatScript's concepts), from the files of
// dialogs/concepts/. A pattern names a concept as `~id` and gets, at load, a
// non-capturing alternation of the concept's entries in its place:
//
//   "\\b~self (\\w+ ){0,2}~wish to ~die\\b"
//
// An entry is a word, a phrase or an RE2 fragment ("pills?", "over ?dose");
// it may name other concepts ("~partner", "my ~partner"). `\~` is a literal
// tilde. Built once at load; Expand() is for loading only, Present() is
// const and safe from any thread (it compiles a concept's pattern on first
// use, once).
class Concepts {
 public:
  // One file's `concepts` list: [{"id": "self", "words": [...], "note"}].
  // Errors name `file` and the JSON pointer and go to `*errors`.
  void AddFile(const nlohmann::json& doc, const std::string& file,
               std::vector<std::string>* errors);

  // Resolves references between concepts. Unknown names and cycles are
  // errors, one per line in `*errors`. Nothing is parsed here: a concept a
  // pattern names is parsed as part of that pattern (parsing every concept
  // again on its own cost three percent of the load).
  void Finish(std::vector<std::string>* errors);

  // Parses each resolved concept on its own (all, or only those no pattern
  // reaches when `unused_only`) and appends "FILE: /concepts/N: concept
  // '~id' is not a valid pattern: ..." for those that do not parse. The
  // loader checks the unused ones on every load, and all of them when a
  // pattern failed, to name the concept at fault.
  void CheckPatterns(bool unused_only, std::vector<std::string>* errors) const;

  // `pattern` with every `~id` replaced. Returns false, with the message in
  // `*error`, when it names an unknown concept. Appends the names used
  // (directly, not through other concepts) to `*used` when not null.
  bool Expand(std::string_view pattern, std::string* out, std::string* error,
              std::vector<std::string>* used = nullptr);

  // The concepts of `names` with an entry in `text`, for explain.
  std::vector<std::string> Present(std::string_view text,
                                   const std::vector<std::string>& names) const;

  // Concepts that no pattern or other used concept names: lint warnings,
  // "FILE: /concepts/N: concept '~id' is never used".
  std::vector<std::string> Unused() const;

  size_t size() const { return concepts_.size(); }
  bool Has(std::string_view id) const { return index_.count(id) > 0; }

 private:
  struct Concept {
    std::string id;
    std::vector<std::string> entries;  // as written
    std::string expanded;              // "(?:a|b|...)" once resolved
    // \b(?:...)\b, for Present(): compiled on first use (only explain
    // needs it; compiling all at load cost a sixth of the load time).
    mutable std::once_flag compile_once;
    mutable std::unique_ptr<RE2> whole_word;
    std::string where;           // "FILE: /concepts/N"
    bool used = false;           // a pattern names it
    std::vector<Concept*> refs;  // concepts its entries name
    int state = 0;               // 0 new, 1 resolving, 2 resolved
  };

  // The concepts named by a pattern, or by such a concept.
  std::set<const Concept*> Reached() const;
  // Resolves `c` and the concepts it names; false on an unknown name or a
  // cycle (reported once in `*errors`).
  bool Resolve(Concept* c, std::vector<std::string>* errors);
  // Expand(), and inside Resolve() (`errors` not null) the named concepts
  // are resolved first and recorded in `*refs`.
  bool ExpandWith(std::string_view pattern, std::string* out,
                  std::string* error, std::vector<std::string>* used,
                  std::vector<std::string>* errors,
                  std::vector<Concept*>* refs);

  std::vector<std::unique_ptr<Concept>> concepts_;
  std::map<std::string, Concept*, std::less<>> index_;
};

}  // namespace trustcoach
