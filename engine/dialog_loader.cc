#include "engine/dialog_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace trustcoach {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string EscapePointer(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Child(const std::string& pointer, std::string_view key) {
  return pointer + "/" + EscapePointer(key);
}
std::string Child(const std::string& pointer, size_t index) {
  return pointer + "/" + std::to_string(index);
}

// Reads typed fields out of one file's JSON, collecting every problem as
// "FILE: /pointer: message" instead of stopping at the first.
class Reader {
 public:
  Reader(std::string file, std::vector<std::string>* errors)
      : file_(std::move(file)), errors_(errors) {}

  const std::string& file() const { return file_; }

  void Error(const std::string& pointer, const std::string& message) {
    errors_->push_back(file_ + ": " + (pointer.empty() ? "/" : pointer) + ": " +
                       message);
  }

  bool IsObject(const json& value, const std::string& pointer) {
    if (value.is_object()) return true;
    Error(pointer,
          "expected an object, found " + std::string(value.type_name()));
    return false;
  }

  // Reports keys of `object` not in `allowed`: typos should not pass silently.
  void CheckKeys(const json& object, const std::string& pointer,
                 std::initializer_list<std::string_view> allowed) {
    for (const auto& item : object.items()) {
      if (std::find(allowed.begin(), allowed.end(), item.key()) ==
          allowed.end()) {
        Error(Child(pointer, item.key()), "unknown key");
      }
    }
  }

  void String(const json& object, std::string_view key,
              const std::string& pointer, std::string* out,
              bool required = false) {
    auto it = object.find(key);
    if (it == object.end()) {
      if (required) Error(Child(pointer, key), "required string is missing");
      return;
    }
    if (!it->is_string()) {
      Error(Child(pointer, key), "expected a string");
      return;
    }
    *out = it->get<std::string>();
    if (required && out->empty()) Error(Child(pointer, key), "is empty");
  }

  void Int(const json& object, std::string_view key, const std::string& pointer,
           int* out) {
    auto it = object.find(key);
    if (it == object.end()) return;
    if (!it->is_number_integer()) {
      Error(Child(pointer, key), "expected an integer");
      return;
    }
    *out = it->get<int>();
  }

  void Bool(const json& object, std::string_view key,
            const std::string& pointer, bool* out) {
    auto it = object.find(key);
    if (it == object.end()) return;
    if (!it->is_boolean()) {
      Error(Child(pointer, key), "expected true or false");
      return;
    }
    *out = it->get<bool>();
  }

  // A string or an array of non-empty strings.
  void Strings(const json& object, std::string_view key,
               const std::string& pointer, std::vector<std::string>* out,
               bool required = false) {
    auto it = object.find(key);
    const std::string here = Child(pointer, key);
    if (it == object.end()) {
      if (required) Error(here, "required list of strings is missing");
      return;
    }
    if (it->is_string()) {
      out->push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (size_t i = 0; i < it->size(); ++i) {
        if (!(*it)[i].is_string() || (*it)[i].get<std::string>().empty()) {
          Error(Child(here, i), "expected a non-empty string");
          continue;
        }
        out->push_back((*it)[i].get<std::string>());
      }
    } else {
      Error(here, "expected a string or a list of strings");
      return;
    }
    if (required && out->empty()) Error(here, "is empty");
  }

  void StringMap(const json& object, std::string_view key,
                 const std::string& pointer,
                 std::map<std::string, std::string>* out) {
    auto it = object.find(key);
    if (it == object.end()) return;
    const std::string here = Child(pointer, key);
    if (!IsObject(*it, here)) return;
    for (const auto& item : it->items()) {
      if (!item.value().is_string()) {
        Error(Child(here, item.key()), "expected a string");
        continue;
      }
      (*out)[item.key()] = item.value().get<std::string>();
    }
  }

 private:
  std::string file_;
  std::vector<std::string>* errors_;
};

bool ReadJsonFile(const fs::path& path, const std::string& name, json* out,
                  std::vector<std::string>* errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->push_back(name + ": cannot be read");
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    *out = json::parse(buffer.str());
    return true;
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for numbers past double ("1e999").
    errors->push_back(name + ": invalid JSON: " + e.what());
    return false;
  }
}

// `examples` / `not_examples`: lines as strings, or {"text", "at"} where
// "at" is the "flow.node" they are said at.
void ReadExamples(Reader* reader, const json& in, std::string_view key,
                  const std::string& pointer, std::vector<IntentExample>* out) {
  auto it = in.find(key);
  if (it == in.end()) return;
  const std::string here = Child(pointer, key);
  if (!it->is_array()) {
    reader->Error(here, "expected a list of lines");
    return;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    IntentExample example;
    if (item.is_string()) {
      example.text = item.get<std::string>();
    } else if (item.is_object()) {
      reader->CheckKeys(item, Child(here, i), {"text", "at"});
      reader->String(item, "text", Child(here, i), &example.text, true);
      reader->String(item, "at", Child(here, i), &example.at);
      if (example.text.empty()) continue;  // reported by String()
    }
    if (example.text.empty()) {
      reader->Error(Child(here, i),
                    "expected a line, or {\"text\", \"at\": \"flow.node\"}");
      continue;
    }
    out->push_back(std::move(example));
  }
}

void ReadIntent(Reader* reader, const json& in, const std::string& pointer,
                IntentSpec* intent) {
  if (!reader->IsObject(in, pointer)) return;
  reader->CheckKeys(
      in, pointer,
      {"id", "topic", "patterns", "priority", "scope", "start", "interrupts",
       "kind", "about", "set", "description", "examples", "not_examples",
       "backoff", "facts", "aside", "safety_answer", "statement", "dismisses"});
  intent->file = reader->file();
  intent->pointer = pointer;
  reader->String(in, "id", pointer, &intent->id, /*required=*/true);
  reader->String(in, "topic", pointer, &intent->topic);
  reader->Strings(in, "patterns", pointer, &intent->patterns, true);
  reader->Int(in, "priority", pointer, &intent->priority);
  reader->String(in, "start", pointer, &intent->start);
  reader->Bool(in, "interrupts", pointer, &intent->interrupts);
  reader->Bool(in, "backoff", pointer, &intent->backoff);
  reader->Bool(in, "statement", pointer, &intent->statement);
  reader->Bool(in, "safety_answer", pointer, &intent->safety_answer);
  reader->Bool(in, "dismisses", pointer, &intent->dismisses);
  reader->String(in, "kind", pointer, &intent->kind);
  reader->String(in, "about", pointer, &intent->about);
  reader->StringMap(in, "set", pointer, &intent->set);
  reader->StringMap(in, "facts", pointer, &intent->facts);
  reader->Strings(in, "aside", pointer, &intent->aside);
  static constexpr std::string_view kKinds[] = {
      "", "topic", "feeling", "event", "question", "closing", "social"};
  if (std::find(std::begin(kKinds), std::end(kKinds), intent->kind) ==
      std::end(kKinds)) {
    reader->Error(Child(pointer, "kind"),
                  "expected topic, feeling, event, question, closing or "
                  "social");
  }
  if (!intent->about.empty() && intent->about != "self" &&
      intent->about != "partner" && intent->about != "past") {
    reader->Error(Child(pointer, "about"), "expected self, partner or past");
  }
  ReadExamples(reader, in, "examples", pointer, &intent->examples);
  ReadExamples(reader, in, "not_examples", pointer, &intent->not_examples);
  auto scope = in.find("scope");
  if (scope != in.end()) {
    if (scope->is_string() && *scope == "local") {
      intent->local = true;
    } else if (!(scope->is_string() && *scope == "global")) {
      reader->Strings(in, "scope", pointer, &intent->scope);
    }
  }
  if (intent->interrupts && intent->local) {
    reader->Error(Child(pointer, "interrupts"),
                  "a local intent only matches where a node names it in `on`; "
                  "it cannot interrupt");
  } else if (intent->safety_answer &&
             (intent->local || intent->start.empty())) {
    reader->Error(Child(pointer, "safety_answer"),
                  "`safety_answer` needs a `start` and a scope other than "
                  "local");
  } else if (intent->interrupts && intent->start.empty()) {
    reader->Error(Child(pointer, "interrupts"),
                  "`interrupts` needs a `start` to go to");
  }
}

void ReadNode(Reader* reader, const json& in, const std::string& pointer,
              NodeSpec* node) {
  if (!reader->IsObject(in, pointer)) return;
  reader->CheckKeys(in, pointer,
                    {"say",
                     "again",
                     "quick_replies",
                     "on",
                     "else",
                     "capture",
                     "answer",
                     "capture_unmatched",
                     "branch",
                     "next",
                     "reprompt",
                     "set",
                     "couples",
                     "not_for_minors",
                     "therapy",
                     "resources",
                     "points_to_lines",
                     "note",
                     "offer",
                     "clarify"});
  reader->Strings(in, "say", pointer, &node->say);
  reader->Strings(in, "again", pointer, &node->again);
  reader->Strings(in, "quick_replies", pointer, &node->quick_replies);
  reader->StringMap(in, "on", pointer, &node->on);
  reader->String(in, "else", pointer, &node->else_to);
  reader->String(in, "capture", pointer, &node->capture);
  reader->Strings(in, "answer", pointer, &node->answer);
  reader->Bool(in, "capture_unmatched", pointer, &node->capture_unmatched);
  reader->Bool(in, "clarify", pointer, &node->clarify);
  reader->String(in, "next", pointer, &node->next);
  reader->Strings(in, "reprompt", pointer, &node->reprompt);
  reader->StringMap(in, "set", pointer, &node->set);
  reader->Bool(in, "couples", pointer, &node->couples);
  reader->Bool(in, "offer", pointer, &node->offer);
  reader->Bool(in, "not_for_minors", pointer, &node->not_for_minors);
  reader->Bool(in, "therapy", pointer, &node->therapy);
  reader->Bool(in, "resources", pointer, &node->resources);
  reader->Bool(in, "points_to_lines", pointer, &node->points_to_lines);
  auto branch = in.find("branch");
  if (branch != in.end()) {
    const std::string here = Child(pointer, "branch");
    if (!branch->is_array()) {
      reader->Error(here, "expected a list");
    } else {
      for (size_t i = 0; i < branch->size(); ++i) {
        const json& item = (*branch)[i];
        const std::string at = Child(here, i);
        if (!reader->IsObject(item, at)) continue;
        reader->CheckKeys(item, at, {"if", "known", "equals", "to"});
        Branch b;
        reader->String(item, "if", at, &b.if_slot);
        reader->String(item, "known", at, &b.known);
        if (!b.if_slot.empty() && !b.known.empty()) {
          reader->Error(at,
                        "a branch tests `if` (a slot) or `known` (a "
                        "fact), not both");
        }
        reader->String(item, "equals", at, &b.equals);
        reader->String(item, "to", at, &b.to, true);
        node->branch.push_back(std::move(b));
      }
    }
  }
  if (node->say.empty() && node->branch.empty()) {
    reader->Error(pointer, "a node must `say` something or `branch`");
  }
  if (!node->capture.empty() && node->else_to.empty()) {
    reader->Error(Child(pointer, "capture"),
                  "`capture` needs an `else` target to go to");
  }
  if (node->capture_unmatched && node->capture.empty()) {
    reader->Error(Child(pointer, "capture_unmatched"),
                  "`capture_unmatched` needs `capture`");
  }
  if (node->capture_unmatched && !node->answer.empty()) {
    reader->Error(Child(pointer, "capture_unmatched"),
                  "a node has `answer` or `capture_unmatched`, not both");
  }
  if (!node->answer.empty() && node->capture.empty()) {
    reader->Error(Child(pointer, "answer"),
                  "`answer` describes the answer to a free-text question: it "
                  "needs `capture`");
  }
}

void ReadFlow(Reader* reader, const json& in, const std::string& pointer,
              FlowSpec* flow) {
  if (!reader->IsObject(in, pointer)) return;
  reader->CheckKeys(in, pointer,
                    {"id", "topic", "recap", "start", "nodes", "not_for_minors",
                     "repair_work", "description"});
  flow->file = reader->file();
  flow->pointer = pointer;
  reader->String(in, "id", pointer, &flow->id, true);
  reader->String(in, "topic", pointer, &flow->topic);
  reader->String(in, "recap", pointer, &flow->recap);
  reader->String(in, "start", pointer, &flow->start, true);
  reader->Bool(in, "not_for_minors", pointer, &flow->not_for_minors);
  reader->Bool(in, "repair_work", pointer, &flow->repair_work);
  if (flow->id.find('.') != std::string::npos) {
    reader->Error(Child(pointer, "id"), "a flow id cannot contain '.'");
  }
  auto nodes = in.find("nodes");
  const std::string here = Child(pointer, "nodes");
  if (nodes == in.end() || !nodes->is_object() || nodes->empty()) {
    reader->Error(here, "expected an object of one or more nodes");
    return;
  }
  for (const auto& item : nodes->items()) {
    NodeSpec node;
    node.id = item.key();
    ReadNode(reader, item.value(), Child(here, item.key()), &node);
    flow->nodes.push_back(std::move(node));
  }
}

void ReadEngineConfig(Reader* reader, const json& in, EngineConfig* config) {
  if (!reader->IsObject(in, "")) return;
  reader->CheckKeys(
      in, "",
      {"version", "start", "menu", "safety_flow", "abuse_redirect",
       "minor_redirect", "risk_redirect", "heard", "reminder_every", "messages",
       "guesses", "description"});
  reader->String(in, "version", "", &config->version);
  reader->String(in, "start", "", &config->start, true);
  reader->String(in, "menu", "", &config->menu, true);
  reader->String(in, "safety_flow", "", &config->safety_flow);
  reader->String(in, "abuse_redirect", "", &config->abuse_redirect, true);
  reader->String(in, "minor_redirect", "", &config->minor_redirect);
  reader->String(in, "risk_redirect", "", &config->risk_redirect);
  reader->String(in, "heard", "", &config->heard);
  reader->Int(in, "reminder_every", "", &config->reminder_every);
  auto messages = in.find("messages");
  if (messages == in.end() || !reader->IsObject(*messages, "/messages")) {
    if (messages == in.end()) reader->Error("/messages", "is missing");
    return;
  }
  reader->CheckKeys(
      *messages, "/messages",
      {"truncated", "return", "return_recap", "fallback", "reminder", "resume",
       "resume_none", "guess", "choices", "echo", "fallback_again", "stay",
       "closing_crisis", "closing_abuse", "closing_support", "closing_youth"});
  reader->Strings(*messages, "truncated", "/messages", &config->truncated,
                  true);
  reader->Strings(*messages, "return", "/messages", &config->returning, true);
  reader->Strings(*messages, "return_recap", "/messages",
                  &config->return_recap);
  reader->Strings(*messages, "fallback", "/messages", &config->fallback, true);
  reader->Strings(*messages, "reminder", "/messages", &config->reminder, true);
  reader->Strings(*messages, "resume", "/messages", &config->resume);
  reader->Strings(*messages, "resume_none", "/messages", &config->resume_none);
  reader->Strings(*messages, "guess", "/messages", &config->guess);
  reader->Strings(*messages, "choices", "/messages", &config->choices);
  reader->Strings(*messages, "echo", "/messages", &config->echo);
  reader->Strings(*messages, "fallback_again", "/messages",
                  &config->fallback_again);
  reader->Strings(*messages, "stay", "/messages", &config->stay);
  reader->Strings(*messages, "closing_crisis", "/messages",
                  &config->closing_crisis);
  reader->Strings(*messages, "closing_abuse", "/messages",
                  &config->closing_abuse);
  reader->Strings(*messages, "closing_support", "/messages",
                  &config->closing_support);
  reader->Strings(*messages, "closing_youth", "/messages",
                  &config->closing_youth);
  auto guesses = in.find("guesses");
  if (guesses == in.end()) return;
  if (!guesses->is_array()) return reader->Error("/guesses", "expected a list");
  for (size_t i = 0; i < guesses->size(); ++i) {
    const std::string at = Child("/guesses", i);
    if (!reader->IsObject((*guesses)[i], at)) continue;
    reader->CheckKeys((*guesses)[i], at,
                      {"label", "about", "intent", "concepts", "fallback"});
    GuessSpec guess;
    reader->String((*guesses)[i], "label", at, &guess.label, true);
    reader->String((*guesses)[i], "about", at, &guess.about, true);
    reader->String((*guesses)[i], "intent", at, &guess.intent, true);
    reader->Strings((*guesses)[i], "concepts", at, &guess.concepts, true);
    reader->Bool((*guesses)[i], "fallback", at, &guess.fallback);
    config->guesses.push_back(std::move(guess));
  }
}

// The `words` of substitutions.json or reflections.json.
void ReadWords(Reader* reader, const json& in,
               std::map<std::string, std::string>* words) {
  reader->StringMap(in, "words", "", words);
  for (const auto& [key, value] : *words) {
    const bool single_word =
        !key.empty() && key.find(' ') == std::string::npos &&
        std::none_of(key.begin(), key.end(),
                     [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!single_word) {
      reader->Error(Child("/words", key),
                    "keys must be single lower-case words");
    }
  }
}

// A phrase key: two or more words of lower-case letters, digits and inner
// apostrophes, single-spaced, as the normalizer leaves them.
bool IsPhrase(std::string_view key) {
  if (key.find(' ') == std::string_view::npos) return false;
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find(' ', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view word = key.substr(start, end - start);
    if (word.empty() || word.front() == '\'' || word.back() == '\'' ||
        !std::all_of(word.begin(), word.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '\'' || static_cast<unsigned char>(c) >= 0x80;
        })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// substitutions.json: `words`, and `phrases` of several words.
void ReadSubstitutions(Reader* reader, const json& in, Substitutions* subs) {
  if (!reader->IsObject(in, "")) return;
  reader->CheckKeys(in, "", {"words", "phrases", "description"});
  std::map<std::string, std::string> words;
  ReadWords(reader, in, &words);
  subs->words.insert(words.begin(), words.end());
  std::map<std::string, std::string> phrases;
  reader->StringMap(in, "phrases", "", &phrases);
  for (const auto& [key, value] : phrases) {
    if (!IsPhrase(key)) {
      reader->Error(Child("/phrases", key),
                    "keys must be two or more lower-case words, single-spaced");
      continue;
    }
    subs->AddPhrase(key, value);
  }
}

Status JoinErrors(const std::vector<std::string>& errors) {
  if (errors.empty()) return Status::OK();
  std::string message;
  for (const std::string& e : errors) {
    if (!message.empty()) message += '\n';
    message += e;
  }
  return Status::InvalidArgument(message);
}

}  // namespace

const FlowSpec* DialogSet::FindFlow(std::string_view id) const {
  auto it = flow_index_.find(id);
  return it == flow_index_.end() ? nullptr : &spec_.flows[it->second];
}

const NodeSpec* DialogSet::FindNode(std::string_view flow,
                                    std::string_view node) const {
  auto it = flow_index_.find(flow);
  if (it == flow_index_.end()) return nullptr;
  const auto& nodes = node_index_[it->second];
  auto n = nodes.find(node);
  return n == nodes.end() ? nullptr : &spec_.flows[it->second].nodes[n->second];
}

const IntentSpec* DialogSet::FindIntent(std::string_view id) const {
  auto it = intent_index_.find(id);
  return it == intent_index_.end() ? nullptr : &spec_.intents[it->second];
}

bool DialogSet::Resolve(std::string_view from, std::string_view target,
                        FlowPosition* out) const {
  const size_t dot = target.find('.');
  if (dot != std::string_view::npos) {
    std::string_view flow = target.substr(0, dot);
    std::string_view node = target.substr(dot + 1);
    if (FindNode(flow, node) == nullptr) return false;
    *out = {std::string(flow), std::string(node)};
    return true;
  }
  if (!from.empty() && FindNode(from, target) != nullptr) {
    *out = {std::string(from), std::string(target)};
    return true;
  }
  if (const FlowSpec* flow = FindFlow(target)) {
    *out = {flow->id, flow->start};
    return true;
  }
  return false;
}

Status DialogSet::Load(const std::string& dir, std::unique_ptr<DialogSet>* out,
                       std::vector<std::string>* warnings) {
  std::vector<std::string> errors;
  std::unique_ptr<DialogSet> set(new DialogSet());
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Status::InvalidArgument(dir + ": not a dialogs folder");
  }
  const auto name_of = [&](const fs::path& path) {
    return (fs::path(dir) / path.lexically_relative(root)).string();
  };

  json engine_json, subs_json, refl_json, safety_json, resources_json;
  if (ReadJsonFile(root / "engine.json", name_of(root / "engine.json"),
                   &engine_json, &errors)) {
    Reader reader(name_of(root / "engine.json"), &errors);
    ReadEngineConfig(&reader, engine_json, &set->config_);
  }
  if (ReadJsonFile(root / "substitutions.json",
                   name_of(root / "substitutions.json"), &subs_json, &errors)) {
    Reader reader(name_of(root / "substitutions.json"), &errors);
    ReadSubstitutions(&reader, subs_json, &set->substitutions_);
  }
  if (ReadJsonFile(root / "reflections.json",
                   name_of(root / "reflections.json"), &refl_json, &errors)) {
    Reader reader(name_of(root / "reflections.json"), &errors);
    if (reader.IsObject(refl_json, "")) {
      reader.CheckKeys(refl_json, "", {"words", "description"});
      std::map<std::string, std::string> words;
      ReadWords(&reader, refl_json, &words);
      set->reflections_.insert(words.begin(), words.end());
    }
  }
  // Concepts first: intents and the safety screen name them.
  std::vector<fs::path> concept_files;
  if (fs::is_directory(root / "concepts", ec)) {
    for (const auto& entry : fs::directory_iterator(root / "concepts", ec)) {
      if (entry.path().extension() == ".json") {
        concept_files.push_back(entry.path());
      }
    }
  }
  std::sort(concept_files.begin(), concept_files.end());
  for (const fs::path& path : concept_files) {
    json doc;
    if (ReadJsonFile(path, name_of(path), &doc, &errors)) {
      set->concepts_->AddFile(doc, name_of(path), &errors);
    }
  }
  set->concepts_->Finish(&errors);
  // The words for the partner, which make a clause the partner's after "my"
  // (PartnerClause()): the `~partner` concept, if the dialogs have one.
  // One that does not resolve is an error of Finish()'s already.
  if (set->concepts_->Has("partner")) {
    std::string error;
    if (!set->concepts_->Expand("~partner", &set->partner_words_, &error)) {
      set->partner_words_.clear();
    }
  }
  // The concepts a guess counts, checked (and marked used) as a pattern's.
  for (size_t g = 0; g < set->config_.guesses.size(); ++g) {
    for (const std::string& id : set->config_.guesses[g].concepts) {
      std::string expanded, error;
      if (!set->concepts_->Expand("~" + id, &expanded, &error)) {
        errors.push_back(name_of(root / "engine.json") + ": " +
                         Child("/guesses", g) + "/concepts: " + error);
      } else {
        set->guess_scorer_->Add(id, expanded);
      }
    }
  }
  if (!set->guess_scorer_->Compile()) {
    errors.push_back(name_of(root / "engine.json") +
                     ": /guesses: the concepts exceed RE2's memory");
  }

  const bool have_safety =
      ReadJsonFile(root / "safety.json", name_of(root / "safety.json"),
                   &safety_json, &errors);
  const bool have_resources =
      ReadJsonFile(root / "resources.json", name_of(root / "resources.json"),
                   &resources_json, &errors);

  std::vector<fs::path> flow_files;
  for (const auto& entry : fs::directory_iterator(root / "flows", ec)) {
    if (entry.path().extension() == ".json") flow_files.push_back(entry.path());
  }
  if (ec) errors.push_back(name_of(root / "flows") + ": cannot be listed");
  std::sort(flow_files.begin(), flow_files.end());
  for (const fs::path& path : flow_files) {
    json doc;
    if (!ReadJsonFile(path, name_of(path), &doc, &errors)) continue;
    Reader reader(name_of(path), &errors);
    if (!reader.IsObject(doc, "")) continue;
    reader.CheckKeys(doc, "", {"intents", "flows", "description"});
    for (const char* key : {"intents", "flows"}) {
      if (doc.contains(key) && !doc[key].is_array()) {
        reader.Error(Child("", key), "expected a list");
        doc.erase(key);
      }
    }
    // By reference: json::value() returns a copy, which per element made
    // loading quadratic in the number of intents.
    const json none = json::array();
    const json& intents = doc.contains("intents") ? doc["intents"] : none;
    for (size_t i = 0; i < intents.size(); ++i) {
      IntentSpec intent;
      ReadIntent(&reader, intents[i], Child("/intents", i), &intent);
      for (size_t p = 0; p < intent.patterns.size(); ++p) {
        std::string compiled, error;
        if (!set->concepts_->Expand(intent.patterns[p], &compiled, &error,
                                    &intent.concepts)) {
          reader.Error(Child(Child("/intents", i) + "/patterns", p), error);
        }
        intent.compiled.push_back(std::move(compiled));
      }
      set->spec_.intents.push_back(std::move(intent));
    }
    const json& flows = doc.contains("flows") ? doc["flows"] : none;
    for (size_t i = 0; i < flows.size(); ++i) {
      FlowSpec flow;
      ReadFlow(&reader, flows[i], Child("/flows", i), &flow);
      for (NodeSpec& node : flow.nodes) {
        for (size_t a = 0; a < node.answer.size(); ++a) {
          std::string compiled, error;
          if (!set->concepts_->Expand(node.answer[a], &compiled, &error,
                                      nullptr)) {
            reader.Error(
                Child(Child(Child(Child("/flows", i) + "/nodes", node.id),
                            "answer"),
                      a),
                error);
          }
          node.answer[a] = std::move(compiled);
        }
      }
      set->spec_.flows.push_back(std::move(flow));
    }
  }
  if (flow_files.empty()) {
    errors.push_back(name_of(root / "flows") + ": no flow files");
  }

  // The safety screen's set and the intents' set are the two big RE2
  // programs (each about two fifths of the load) and share nothing: the
  // screen compiles on a second thread while this one compiles the intents.
  // Only the screen uses the concepts from here on. Errors and warnings are
  // reported as if one ran after the other: the screen's, the resources',
  // then Compile()'s, which counts only when both before it succeeded.
  if (errors.empty()) {
    std::future<Status> safety;
    if (have_safety) {
      // Inline should no thread be available.
      safety = std::async(std::launch::async | std::launch::deferred, [&] {
        return SafetyScreen::Create(safety_json, name_of(root / "safety.json"),
                                    set->concepts_.get(), &set->safety_);
      });
    }
    const Status compiled = set->Compile();
    if (safety.valid()) {
      Status s = safety.get();
      if (!s.ok()) errors.push_back(s.message());
    }
    if (errors.empty() && have_resources) {
      Status s = ResourceDirectory::Create(
          resources_json, name_of(root / "resources.json"), &set->resources_);
      if (!s.ok()) errors.push_back(s.message());
    }
    if (errors.empty()) {
      if (!compiled.ok()) errors.push_back(compiled.message());
      // After the screen: safety rules name nodes of their own to answer
      // with (SafetyScreen::AnswerNodes()), and the screen is only complete
      // once its thread is done.
      if (compiled.ok() && warnings != nullptr) set->WarnUnreachable(warnings);
    }
  }
  // A concept a pattern names was parsed with that pattern; the others are
  // parsed here. When something failed, all are, to name a broken concept.
  set->concepts_->CheckPatterns(/*unused_only=*/errors.empty(), &errors);
  if (!errors.empty()) return JoinErrors(errors);
  if (warnings != nullptr) {
    for (std::string& unused : set->concepts_->Unused()) {
      warnings->push_back(std::move(unused));
    }
  }
  *out = std::move(set);
  return Status::OK();
}

Status DialogSet::Compile() {
  std::vector<std::string> errors;
  IndexIds(&errors);
  CheckTargets(&errors);
  if (!errors.empty()) return JoinErrors(errors);
  Status s = CompileMatcher();
  if (!s.ok()) return s;
  CompileAnswers(&errors);
  return JoinErrors(errors);
}

namespace {

void AddError(std::vector<std::string>* errors, const std::string& file,
              const std::string& pointer, const std::string& message) {
  errors->push_back(file + ": " + pointer + ": " + message);
}

}  // namespace

void DialogSet::IndexIds(std::vector<std::string>* errors) {
  for (size_t i = 0; i < spec_.intents.size(); ++i) {
    const IntentSpec& intent = spec_.intents[i];
    auto [it, inserted] = intent_index_.emplace(intent.id, i);
    if (!inserted) {
      const IntentSpec& first = spec_.intents[it->second];
      AddError(errors, intent.file, intent.pointer + "/id",
               "duplicate intent id '" + intent.id + "' (also in " +
                   first.file + " at " + first.pointer + ")");
    }
  }
  node_index_.resize(spec_.flows.size());
  for (size_t f = 0; f < spec_.flows.size(); ++f) {
    const FlowSpec& flow = spec_.flows[f];
    auto [it, inserted] = flow_index_.emplace(flow.id, f);
    if (!inserted) {
      AddError(errors, flow.file, flow.pointer + "/id",
               "duplicate flow id '" + flow.id + "' (also in " +
                   spec_.flows[it->second].file + ")");
    }
    for (size_t n = 0; n < flow.nodes.size(); ++n) {
      node_index_[f].emplace(flow.nodes[n].id, n);
    }
    if (node_index_[f].count(flow.start) == 0) {
      AddError(errors, flow.file, flow.pointer + "/start",
               "unknown start node '" + flow.start + "'");
    }
  }
}

void DialogSet::CheckTargets(std::vector<std::string>* errors) const {
  const auto check_target = [&](const FlowSpec& flow, const std::string& where,
                                const std::string& target) {
    if (target == kTargetReturn || target == kTargetMenu ||
        target == kTargetEnd || target == kTargetResume ||
        target == kTargetContinue || target == kTargetStay ||
        target == kTargetBack) {
      return;
    }
    FlowPosition position;
    if (!Resolve(flow.id, target, &position)) {
      AddError(errors, flow.file, where,
               "unknown target node '" + target + "'");
    }
  };
  for (const FlowSpec& flow : spec_.flows) {
    for (const NodeSpec& node : flow.nodes) {
      const std::string at = Child(flow.pointer + "/nodes", node.id);
      for (const auto& [intent, target] : node.on) {
        if (intent_index_.count(intent) == 0) {
          AddError(errors, flow.file, Child(at + "/on", intent),
                   "unknown intent '" + intent + "'");
        }
        check_target(flow, Child(at + "/on", intent), target);
      }
      if (!node.else_to.empty()) check_target(flow, at + "/else", node.else_to);
      if (!node.next.empty()) check_target(flow, at + "/next", node.next);
      for (size_t b = 0; b < node.branch.size(); ++b) {
        check_target(flow, Child(at + "/branch", b) + "/to", node.branch[b].to);
      }
    }
  }
  for (const IntentSpec& intent : spec_.intents) {
    FlowPosition position;
    if (!intent.start.empty() && intent.start != kTargetResume &&
        intent.start != kTargetStay && intent.start != kTargetBack &&
        !Resolve("", intent.start, &position)) {
      AddError(errors, intent.file, intent.pointer + "/start",
               "unknown flow or node '" + intent.start + "'");
    }
    for (size_t s = 0; s < intent.scope.size(); ++s) {
      if (intent.scope[s] != kRiskScope &&
          !Resolve("", intent.scope[s], &position)) {
        AddError(errors, intent.file, Child(intent.pointer + "/scope", s),
                 "unknown flow or node '" + intent.scope[s] + "'");
      }
    }
  }
  for (const auto& [name, target] :
       {std::pair{"start", config_.start}, std::pair{"menu", config_.menu},
        std::pair{"safety_flow", config_.safety_flow},
        std::pair{"abuse_redirect", config_.abuse_redirect},
        std::pair{"minor_redirect", config_.minor_redirect},
        std::pair{"risk_redirect", config_.risk_redirect},
        std::pair{"heard", config_.heard}}) {
    if (target.empty() && (std::string_view(name) == "minor_redirect" ||
                           std::string_view(name) == "risk_redirect" ||
                           std::string_view(name) == "heard")) {
      continue;  // optional
    }
    FlowPosition position;
    if (!Resolve("", target, &position)) {
      errors->push_back("engine.json: /" + std::string(name) +
                        ": unknown flow or node '" + target + "'");
    }
  }
}

Status DialogSet::CompileMatcher() {
  Status s = IntentMatcher::Create(spec_.intents, partner_words_, &matcher_);
  for (const FlowSpec& flow : spec_.flows) {
    for (const NodeSpec& node : flow.nodes) {
      if (s.ok() && !node.on.empty()) s = matcher_->Prepare(node.on);
    }
  }
  return s;
}

void DialogSet::CompileAnswers(std::vector<std::string>* errors) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_encoding(RE2::Options::EncodingUTF8);
  RE2::Options parse_only = options;
  parse_only.set_max_mem(1);
  for (const FlowSpec& flow : spec_.flows) {
    for (const NodeSpec& node : flow.nodes) {
      if (node.answer.empty()) continue;
      std::string alternation;
      bool ok = true;
      for (size_t a = 0; a < node.answer.size(); ++a) {
        // Each on its own first, so that an error names its pattern; only
        // parsed: with no memory to compile into, RE2 stops at "pattern too
        // large" once the pattern has parsed (as Concepts::Finish()).
        const RE2 alone(node.answer[a], parse_only);
        if (!alone.ok() && alone.error_code() != RE2::ErrorPatternTooLarge) {
          AddError(
              errors, flow.file,
              Child(Child(flow.pointer + "/nodes", node.id) + "/answer", a),
              alone.error());
          ok = false;
        }
        if (!alternation.empty()) alternation += '|';
        alternation.append("(?:").append(node.answer[a]).append(")");
      }
      if (!ok) continue;
      auto re = std::make_unique<RE2>(alternation, options);
      if (!re->ok()) {
        AddError(errors, flow.file,
                 Child(flow.pointer + "/nodes", node.id) + "/answer",
                 re->error());
        continue;
      }
      answers_.emplace(&node, std::move(re));
    }
  }
}

bool DialogSet::Answers(const NodeSpec& node, std::string_view text) const {
  if (node.capture_unmatched) return false;
  if (node.answer.empty()) return true;
  auto it = answers_.find(&node);
  return it == answers_.end() || RE2::PartialMatch(text, *it->second);
}

// Reachability: from every flow start, intent start and config target.
void DialogSet::WarnUnreachable(std::vector<std::string>* warnings) const {
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<FlowPosition> todo;
  const auto visit = [&](const FlowPosition& p) {
    if (seen.insert({p.flow, p.node}).second) todo.push_back(p);
  };
  const auto visit_target = [&](std::string_view from,
                                const std::string& target) {
    FlowPosition p;
    if (Resolve(from, target, &p)) visit(p);
  };
  for (const FlowSpec& flow : spec_.flows) visit({flow.id, flow.start});
  for (const IntentSpec& intent : spec_.intents) {
    visit_target("", intent.start);
  }
  visit_target("", config_.abuse_redirect);
  if (!config_.minor_redirect.empty()) {
    visit_target("", config_.minor_redirect);
  }
  if (!config_.risk_redirect.empty()) {
    visit_target("", config_.risk_redirect);
  }
  if (!config_.heard.empty()) visit_target("", config_.heard);
  // The engine enters safety.<kind> and safety.check_in by itself.
  for (SafetyKind kind :
       {SafetyKind::kSuicide, SafetyKind::kSelfHarm, SafetyKind::kAbuse,
        SafetyKind::kViolence, SafetyKind::kDangerNow,
        SafetyKind::kSexualViolence, SafetyKind::kChildSafety}) {
    visit_target("",
                 config_.safety_flow + "." + std::string(SafetyKindName(kind)));
  }
  visit_target("", config_.safety_flow + ".check_in");
  // Nodes that safety rules name as their answer ("answer" in safety.json).
  const std::vector<std::string> answers =
      safety_ != nullptr ? safety_->AnswerNodes() : std::vector<std::string>();
  for (const std::string& answer : answers) {
    const std::string target = config_.safety_flow + "." + answer;
    FlowPosition p;
    if (!Resolve("", target, &p) || FindNode(p.flow, p.node) == nullptr) {
      warnings->push_back("safety.json: a rule answers with '" + target +
                          "', which is not a node");
      continue;
    }
    visit(p);
  }
  while (!todo.empty()) {
    const FlowPosition p = todo.back();
    todo.pop_back();
    const NodeSpec* node = FindNode(p.flow, p.node);
    for (const auto& [intent, target] : node->on) visit_target(p.flow, target);
    visit_target(p.flow, node->else_to);
    visit_target(p.flow, node->next);
    for (const Branch& b : node->branch) visit_target(p.flow, b.to);
  }
  for (const FlowSpec& flow : spec_.flows) {
    for (const NodeSpec& node : flow.nodes) {
      if (seen.count({flow.id, node.id}) == 0) {
        warnings->push_back(
            flow.file + ": " + Child(flow.pointer + "/nodes", node.id) +
            ": node '" + flow.id + "." + node.id + "' is unreachable");
      }
    }
  }
}

}  // namespace trustcoach
