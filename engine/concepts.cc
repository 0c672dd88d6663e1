#include "engine/concepts.h"

#include <algorithm>

namespace trustcoach {
namespace {

using nlohmann::json;

bool IsIdStart(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
bool IsIdChar(char c) { return IsIdStart(c) || (c >= '0' && c <= '9'); }

RE2::Options ConceptOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(true);  // text is normalized: lower case
  return options;
}

}  // namespace

void Concepts::AddFile(const json& doc, const std::string& file,
                       std::vector<std::string>* errors) {
  const auto error = [&](const std::string& pointer, const std::string& what) {
    errors->push_back(file + ": " + pointer + ": " + what);
  };
  if (!doc.is_object()) return error("/", "expected an object");
  for (const auto& item : doc.items()) {
    if (item.key() != "concepts" && item.key() != "description") {
      error("/" + item.key(), "unknown key");
    }
  }
  auto list = doc.find("concepts");
  if (list == doc.end() || !list->is_array()) {
    return error("/concepts", "expected a list of concepts");
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const json& in = (*list)[i];
    const std::string pointer = "/concepts/" + std::to_string(i);
    if (!in.is_object()) {
      error(pointer, "expected an object");
      continue;
    }
    bool ok = true;
    for (const auto& item : in.items()) {
      if (item.key() != "id" && item.key() != "words" && item.key() != "note") {
        error(pointer + "/" + item.key(), "unknown key");
        ok = false;
      }
    }
    auto c = std::make_unique<Concept>();
    c->where = file + ": " + pointer;
    const json id = in.value("id", json());
    c->id = id.is_string() ? id.get<std::string>() : std::string();
    if (c->id.empty() || !IsIdStart(c->id[0]) ||
        !std::all_of(c->id.begin(), c->id.end(), IsIdChar)) {
      error(pointer + "/id", "expected an id of a-z, 0-9 and _");
      continue;
    }
    const json words = in.value("words", json());
    if (!words.is_array() || words.empty()) {
      error(pointer + "/words", "expected a non-empty list of strings");
      continue;
    }
    for (size_t w = 0; w < words.size(); ++w) {
      if (!words[w].is_string() || words[w].get<std::string>().empty()) {
        error(pointer + "/words/" + std::to_string(w),
              "expected a non-empty string");
        ok = false;
        continue;
      }
      c->entries.push_back(words[w].get<std::string>());
    }
    if (!ok) continue;
    if (index_.count(c->id) > 0) {
      error(pointer + "/id", "duplicate concept '~" + c->id + "' (also in " +
                                 index_[c->id]->where + ")");
      continue;
    }
    index_[c->id] = c.get();
    concepts_.push_back(std::move(c));
  }
}

void Concepts::Finish(std::vector<std::string>* errors) {
  for (auto& c : concepts_) Resolve(c.get(), errors);
}

void Concepts::CheckPatterns(bool unused_only,
                             std::vector<std::string>* errors) const {
  // Only parsed: with no memory to compile into, RE2 stops at "pattern too
  // large" once the pattern has parsed.
  RE2::Options parse_only = ConceptOptions();
  parse_only.set_max_mem(1);
  const std::set<const Concept*> used =
      unused_only ? Reached() : std::set<const Concept*>();
  for (const auto& c : concepts_) {
    if (c->expanded.empty() || used.count(c.get()) > 0) continue;
    RE2 parsed("\\b" + c->expanded + "\\b", parse_only);
    if (!parsed.ok() && parsed.error_code() != RE2::ErrorPatternTooLarge) {
      errors->push_back(c->where + ": concept '~" + c->id +
                        "' is not a valid pattern: " + parsed.error());
    }
  }
}

bool Concepts::Resolve(Concept* c, std::vector<std::string>* errors) {
  if (c->state == 2) return !c->expanded.empty();
  if (c->state == 1) {
    errors->push_back(c->where + ": concept '~" + c->id +
                      "' names itself through other concepts");
    return false;
  }
  c->state = 1;
  std::string out = "(?:";
  bool ok = true;
  for (size_t i = 0; i < c->entries.size(); ++i) {
    std::string entry, error;
    if (!ExpandWith(c->entries[i], &entry, &error, nullptr, errors, &c->refs)) {
      errors->push_back(c->where + "/words/" + std::to_string(i) + ": " +
                        error);
      ok = false;
      continue;
    }
    if (i > 0) out += '|';
    out += entry;
  }
  out += ')';
  c->state = 2;
  if (ok) c->expanded = std::move(out);
  return ok;
}

bool Concepts::Expand(std::string_view pattern, std::string* out,
                      std::string* error, std::vector<std::string>* used) {
  return ExpandWith(pattern, out, error, used, nullptr, nullptr);
}

bool Concepts::ExpandWith(std::string_view pattern, std::string* out,
                          std::string* error, std::vector<std::string>* used,
                          std::vector<std::string>* errors,
                          std::vector<Concept*>* refs) {
  out->clear();
  out->reserve(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out->append(pattern.substr(i, 2));
      ++i;
      continue;
    }
    if (c != '~' || i + 1 >= pattern.size() || !IsIdStart(pattern[i + 1])) {
      out->push_back(c);
      continue;
    }
    size_t end = i + 1;
    while (end < pattern.size() && IsIdChar(pattern[end])) ++end;
    const std::string_view id = pattern.substr(i + 1, end - i - 1);
    auto it = index_.find(id);
    if (it == index_.end()) {
      *error = "unknown concept '~" + std::string(id) + "'";
      return false;
    }
    Concept* named = it->second;
    if (errors == nullptr) named->used = true;  // a pattern names it
    if (refs != nullptr) refs->push_back(named);
    if (errors != nullptr && !Resolve(named, errors)) {
      *error = "concept '~" + std::string(id) + "' does not resolve";
      return false;
    }
    if (named->expanded.empty()) {
      *error = "concept '~" + std::string(id) + "' does not resolve";
      return false;
    }
    out->append(named->expanded);
    if (used != nullptr &&
        std::find(used->begin(), used->end(), named->id) == used->end()) {
      used->push_back(named->id);
    }
    i = end - 1;
  }
  return true;
}

std::vector<std::string> Concepts::Present(
    std::string_view text, const std::vector<std::string>& names) const {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    auto it = index_.find(name);
    if (it == index_.end() || it->second->expanded.empty()) continue;
    const Concept& c = *it->second;
    std::call_once(c.compile_once, [&c] {
      c.whole_word =
          std::make_unique<RE2>("\\b" + c.expanded + "\\b", ConceptOptions());
    });
    if (c.whole_word->ok() && RE2::PartialMatch(text, *c.whole_word)) {
      out.push_back(name);
    }
  }
  return out;
}

std::set<const Concepts::Concept*> Concepts::Reached() const {
  // Used: named by a pattern, or by a used concept.
  std::set<const Concept*> reached;
  std::vector<const Concept*> todo;
  for (const auto& c : concepts_) {
    if (c->used && reached.insert(c.get()).second) todo.push_back(c.get());
  }
  while (!todo.empty()) {
    const Concept* c = todo.back();
    todo.pop_back();
    for (const Concept* ref : c->refs) {
      if (reached.insert(ref).second) todo.push_back(ref);
    }
  }
  return reached;
}

std::vector<std::string> Concepts::Unused() const {
  const std::set<const Concept*> reached = Reached();
  std::vector<std::string> out;
  for (const auto& c : concepts_) {
    if (reached.count(c.get()) == 0) {
      out.push_back(c->where + ": concept '~" + c->id + "' is never used");
    }
  }
  return out;
}

}  // namespace trustcoach
