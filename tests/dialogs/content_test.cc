// Content checks over the shipped dialog files, read directly as JSON so that
// they do not depend on engine internals:
//  - every line the coach can say is free of blaming, dismissive or unsafe
//    wording (the list is kept here: extend it);
//  - every path through every flow reaches a node that points to
//    professional help before it ends;
//  - prompts vary, so a returning person does not read identical sentences;
//  - free-text questions let a request for therapy (and, where they ask about
//    feelings, the other requests) through.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Whole words or phrases the coach must never say. Matched case-insensitively
// on word boundaries, after folding curly apostrophes.
const std::vector<std::string>& Blocklist() {
  static const std::vector<std::string> list = {
      // Blaming the person.
      "you should have", "you shouldn't have", "you should not have",
      "your fault", "your own fault", "you brought it on yourself",
      "you asked for it", "deserved it", "what did you do to", "why didn't you",
      "why did you let", "what were you thinking", "you let it happen",
      "you provoked",
      // Dismissing feelings.
      "overreacting", "over-reacting", "over reacting", "get over it",
      "just get over", "move on already", "just move on", "let it go",
      "calm down", "not a big deal", "no big deal", "too sensitive",
      "oversensitive", "snap out of it", "cheer up", "man up", "toughen up",
      "stop crying", "it could be worse", "everyone cheats",
      "boys will be boys", "forgive and forget", "you need to forgive",
      "you must forgive", "should be over it", "in your head", "drama queen",
      "dramatic", "hysterical", "attention seeking", "attention-seeking",
      // Labels for the person or the absent partner.
      "crazy", "insane", "stupid", "idiot", "dumb", "pathetic", "ridiculous",
      "silly", "psycho", "narcissist", "cheater", "cheaters", "liar", "liars",
      "abuser", "abusers", "homewrecker", "adulterer", "slut", "whore",
      "selfish", "needy", "clingy", "paranoid", "weak person",
      // Talking down.
      "obviously", "clearly you", "of course you should", "as i said",
      // Unsafe wording about suicide and self-harm.
      "commit suicide", "committed suicide", "successful suicide",
      "failed suicide", "kill yourself", "cutter"};
  return list;
}

// Phrases that contain a blocked one but say the opposite: reassurance that
// something is not the person's fault, and the person's own request as a
// quick reply. They are removed before the blocklist is checked.
const std::vector<std::string>& Allowed() {
  static const std::vector<std::string> list = {
      "not your fault",    "none of this is your fault",
      "never your fault",  "none of it is your fault",
      "help me calm down", "i want to calm down"};
  return list;
}

std::string Fold(std::string text) {
  // Curly apostrophes and quotes to ASCII, then lower case.
  const std::vector<std::pair<std::string, std::string>> folds = {
      {"\xE2\x80\x99", "'"},
      {"\xE2\x80\x98", "'"},
      {"\xE2\x80\x9C", "\""},
      {"\xE2\x80\x9D", "\""}};
  for (const auto& [from, to] : folds) {
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// True if `phrase` occurs in `text` with no letter or digit right before or
// after it.
bool ContainsPhrase(const std::string& text, const std::string& phrase) {
  for (size_t at = text.find(phrase); at != std::string::npos;
       at = text.find(phrase, at + 1)) {
    const bool left = at == 0 || !IsWordChar(text[at - 1]);
    const size_t end = at + phrase.size();
    const bool right = end >= text.size() || !IsWordChar(text[end]);
    if (left && right) return true;
  }
  return false;
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return json::parse(buffer.str());
}

fs::path DialogsDir() { return fs::path(TRUSTCOACH_DIALOGS_DIR); }

std::vector<fs::path> FlowFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(DialogsDir() / "flows")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct Line {
  std::string where;  // file and JSON pointer
  std::string text;
};

void AddStrings(const json& value, const std::string& where,
                std::vector<Line>* out) {
  if (value.is_string()) {
    out->push_back({where, value.get<std::string>()});
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      AddStrings(value[i], where + "/" + std::to_string(i), out);
    }
  }
}

// Every line the coach can say: node `say`, `reprompt`, `quick_replies` in
// every flow file, and the engine's own messages.
std::vector<Line> AllCoachLines() {
  std::vector<Line> lines;
  for (const fs::path& file : FlowFiles()) {
    const json doc = ReadJson(file);
    const json flows = doc.value("flows", json::array());
    for (size_t f = 0; f < flows.size(); ++f) {
      for (const auto& [id, node] : flows[f].at("nodes").items()) {
        const std::string at = file.filename().string() + ": /flows/" +
                               std::to_string(f) + "/nodes/" + id;
        for (const char* key : {"say", "reprompt", "quick_replies"}) {
          if (node.contains(key)) AddStrings(node[key], at + "/" + key, &lines);
        }
      }
    }
  }
  const json engine = ReadJson(DialogsDir() / "engine.json");
  // value() returns a copy: keep it alive while items() iterates over it.
  const json messages = engine.value("messages", json::object());
  for (const auto& [key, value] : messages.items()) {
    AddStrings(value, "engine.json: /messages/" + key, &lines);
  }
  return lines;
}

// --- The flow graph ---------------------------------------------------------

struct Node {
  std::vector<std::string> targets;         // on, else, next (raw)
  std::vector<std::string> branch_targets;  // branch `to`s
  bool unconditional_branch = false;        // some branch always holds
  bool terminal = false;  // no on, else or next: the flow ends here
  bool therapy = false;
  bool resources = false;
  bool couples = false;
  bool says = false;
  size_t variants = 0;
  bool prompts = false;  // waits for the person (on or else)
};

struct Flow {
  std::string start;
  std::map<std::string, Node> nodes;
  std::string file;
};

struct Graph {
  std::map<std::string, Flow> flows;
  std::string start, menu, safety_flow, abuse_redirect;
  std::vector<std::string> intent_starts;

  // Resolves `target` as named from `flow`, as the engine does. Returns
  // false for @return / @end and for unknown targets.
  bool Resolve(const std::string& flow, const std::string& target,
               std::pair<std::string, std::string>* out) const {
    if (target == "@menu") return Resolve("", menu, out);
    if (target.empty() || target[0] == '@') return false;
    const size_t dot = target.find('.');
    if (dot != std::string::npos) {
      auto f = flows.find(target.substr(0, dot));
      if (f == flows.end() || !f->second.nodes.count(target.substr(dot + 1))) {
        return false;
      }
      *out = {target.substr(0, dot), target.substr(dot + 1)};
      return true;
    }
    auto here = flows.find(flow);
    if (here != flows.end() && here->second.nodes.count(target)) {
      *out = {flow, target};
      return true;
    }
    auto f = flows.find(target);
    if (f == flows.end()) return false;
    *out = {target, f->second.start};
    return true;
  }
};

Graph LoadGraph() {
  Graph graph;
  const json engine = ReadJson(DialogsDir() / "engine.json");
  graph.start = engine.value("start", "welcome");
  graph.menu = engine.value("menu", "menu");
  graph.safety_flow = engine.value("safety_flow", "safety");
  graph.abuse_redirect = engine.value("abuse_redirect", "");
  for (const fs::path& file : FlowFiles()) {
    const json doc = ReadJson(file);
    for (const json& intent : doc.value("intents", json::array())) {
      // "@resume" re-enters a node of another flow (or the menu), which
      // the walk from that flow's start already covers.
      if (intent.contains("start") && intent["start"] != "@resume") {
        graph.intent_starts.push_back(intent["start"].get<std::string>());
      }
    }
    for (const json& f : doc.value("flows", json::array())) {
      Flow flow;
      flow.start = f.at("start").get<std::string>();
      flow.file = file.filename().string();
      for (const auto& [id, n] : f.at("nodes").items()) {
        Node node;
        const json on = n.value("on", json::object());
        for (const auto& [intent, target] : on.items()) {
          node.targets.push_back(target.get<std::string>());
        }
        if (n.contains("else")) node.targets.push_back(n["else"]);
        if (n.contains("next")) node.targets.push_back(n["next"]);
        for (const json& b : n.value("branch", json::array())) {
          node.branch_targets.push_back(b.at("to").get<std::string>());
          if (!b.contains("if")) node.unconditional_branch = true;
        }
        node.terminal = node.targets.empty();
        node.therapy = n.value("therapy", false);
        node.resources = n.value("resources", false);
        node.couples = n.value("couples", false);
        node.says = n.contains("say");
        node.variants = n.value("say", json::array()).size();
        node.prompts = n.contains("on") || n.contains("else");
        flow.nodes[id] = node;
      }
      graph.flows[f.at("id").get<std::string>()] = flow;
    }
  }
  return graph;
}

// Walks every path from `from`; records each path that ends (terminal node,
// @return, @end) without passing a node that points to professional help.
class PathWalker {
 public:
  explicit PathWalker(const Graph& graph) : graph_(graph) {}

  void Walk(const std::string& flow, const std::string& node) {
    path_.clear();
    Visit({flow, node}, false);
  }

  const std::vector<std::string>& failures() const { return failures_; }

 private:
  using Pos = std::pair<std::string, std::string>;

  bool PointsToHelp(const Pos& pos, const Node& node) const {
    // The safety flow points to help through its resources.
    return node.therapy || (pos.first == graph_.safety_flow && node.resources);
  }

  void Visit(const Pos& pos, bool helped_before) {
    const Node& node = graph_.flows.at(pos.first).nodes.at(pos.second);
    const bool helped = helped_before || PointsToHelp(pos, node);
    if (!seen_.insert({pos.first + "." + pos.second, helped}).second) return;
    path_.push_back(pos.first + "." + pos.second);
    // A branch that always holds means the node's own moves never happen.
    std::vector<std::string> targets = node.branch_targets;
    bool ends = false;
    if (!node.unconditional_branch) {
      targets.insert(targets.end(), node.targets.begin(), node.targets.end());
      ends = node.terminal;
    }
    for (const std::string& target : targets) {
      Pos next;
      if (graph_.Resolve(pos.first, target, &next)) {
        Visit(next, helped);
      } else {
        ends = true;  // @return, @end
      }
    }
    // Once abuse was seen, entering a couples node goes to the redirect.
    Pos redirect;
    if (node.couples && graph_.Resolve("", graph_.abuse_redirect, &redirect)) {
      Visit(redirect, helped_before);
    }
    if (ends && !helped) {
      std::string text = "path ends without pointing to professional help: ";
      for (size_t i = 0; i < path_.size(); ++i) {
        text += (i ? " -> " : "") + path_[i];
      }
      failures_.push_back(text);
    }
    path_.pop_back();
  }

  const Graph& graph_;
  std::set<std::pair<std::string, bool>> seen_;
  std::vector<std::string> path_;
  std::vector<std::string> failures_;
};

}  // namespace

TEST_CASE("content: the blocklist matches whole words only", "[content]") {
  CHECK(ContainsPhrase(Fold("That's not CRAZY at all"), "crazy"));
  CHECK(ContainsPhrase(Fold("It\xE2\x80\x99s your fault"), "your fault"));
  CHECK_FALSE(ContainsPhrase(Fold("obviousness"), "obviously"));
  CHECK_FALSE(ContainsPhrase(Fold("reliable"), "liar"));
  CHECK(ContainsPhrase(Fold("a liar."), "liar"));
  CHECK(ContainsPhrase(Fold("Calm down."), "calm down"));
}

TEST_CASE("content: nothing the coach says blames, dismisses or labels",
          "[content]") {
  const std::vector<Line> lines = AllCoachLines();
  REQUIRE(lines.size() > 100);
  std::vector<std::string> problems;
  for (const Line& line : lines) {
    std::string text = Fold(line.text);
    for (const std::string& allowed : Allowed()) {
      for (size_t at = text.find(allowed); at != std::string::npos;
           at = text.find(allowed, at)) {
        text.replace(at, allowed.size(), " ");
      }
    }
    for (const std::string& phrase : Blocklist()) {
      if (ContainsPhrase(text, phrase)) {
        problems.push_back(line.where + ": \"" + phrase +
                           "\" in: " + line.text);
      }
    }
  }
  for (const std::string& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

TEST_CASE("content: the coach never claims to be human", "[content]") {
  std::vector<std::string> problems;
  for (const Line& line : AllCoachLines()) {
    const std::string text = Fold(line.text);
    for (const char* claim :
         {"i am a human", "i'm a human", "i am human", "i'm human",
          "i am a real person", "i'm a real person", "i am a therapist",
          "i'm a therapist", "i am a counsellor", "i'm a counsellor",
          "i am a counselor", "i'm a counselor"}) {
      if (ContainsPhrase(text, claim)) problems.push_back(line.where);
    }
  }
  for (const std::string& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

TEST_CASE("content: every path through every flow points to professional help",
          "[content]") {
  const Graph graph = LoadGraph();
  REQUIRE(graph.flows.count(graph.start) == 1);
  REQUIRE(graph.flows.count(graph.menu) == 1);
  PathWalker walker(graph);
  // From every flow's start, and from every node an intent can start.
  for (const auto& [id, flow] : graph.flows) walker.Walk(id, flow.start);
  for (const std::string& target : graph.intent_starts) {
    std::pair<std::string, std::string> pos;
    REQUIRE(graph.Resolve("", target, &pos));
    walker.Walk(pos.first, pos.second);
  }
  for (const std::string& failure : walker.failures()) UNSCOPED_INFO(failure);
  CHECK(walker.failures().empty());
}

TEST_CASE("content: the path check finds a path without help", "[content]") {
  Graph graph;
  graph.menu = "menu";
  graph.safety_flow = "safety";
  Node ask;
  ask.targets = {"end", "help"};
  ask.prompts = true;
  Node end;
  end.terminal = true;
  Node help;
  help.terminal = true;
  help.therapy = true;
  graph.flows["demo"] =
      Flow{"ask", {{"ask", ask}, {"end", end}, {"help", help}}, ""};
  graph.flows["menu"] = Flow{"start", {{"start", help}}, ""};
  PathWalker walker(graph);
  walker.Walk("demo", "ask");
  REQUIRE(walker.failures().size() == 1);
  CHECK(walker.failures()[0].find("demo.ask -> demo.end") != std::string::npos);
}

TEST_CASE("content: prompts have more than one wording", "[content]") {
  // A node that waits for the person and says something should vary, so a
  // returning person does not read the same sentence twice. The safety flow
  // keeps its fixed wording on purpose.
  const Graph graph = LoadGraph();
  std::vector<std::string> problems;
  for (const auto& [id, flow] : graph.flows) {
    if (id == graph.safety_flow) continue;
    for (const auto& [name, node] : flow.nodes) {
      if (node.prompts && node.says && node.variants < 2) {
        problems.push_back(flow.file + ": " + id + "." + name);
      }
    }
  }
  for (const std::string& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

TEST_CASE("content: patterns hold no control characters", "[content]") {
  // In JSON, "\b" is a backspace, not RE2's word boundary: write "\\b".
  std::vector<std::string> problems;
  for (const fs::path& file : FlowFiles()) {
    const json doc = ReadJson(file);
    const json intents = doc.value("intents", json::array());
    for (const json& intent : intents) {
      for (const json& pattern : intent.value("patterns", json::array())) {
        const std::string text = pattern.get<std::string>();
        if (std::any_of(text.begin(), text.end(),
                        [](unsigned char c) { return c < 0x20; })) {
          problems.push_back(file.filename().string() + ": " +
                             intent.value("id", std::string("?")));
        }
      }
    }
  }
  for (const std::string& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

TEST_CASE("content: free-text questions let a request for help through",
          "[content]") {
  // At a node with `capture`, topic intents are held and the text is stored,
  // so "can you help me find a therapist?" would get a generic "thank you"
  // unless the node names the request in `on` (docs/authoring.md, "Requests
  // at a free-text question"). Every free-text question lets a request for
  // therapy through; one that asks about feelings lets the other requests a
  // person makes instead of answering through too.
  const std::vector<std::string> therapy = {"ask_therapy",
                                            "ask_find_therapist"};
  const std::vector<std::string> feelings = {
      "ask_stay_or_leave", "ask_therapy", "ask_find_therapist", "ask_too_late",
      "ask_rebuild_trust"};
  std::vector<std::string> problems;
  for (const fs::path& file : FlowFiles()) {
    const json doc = ReadJson(file);
    for (const json& flow : doc.value("flows", json::array())) {
      for (const auto& [name, node] : flow.at("nodes").items()) {
        if (!node.contains("capture")) continue;
        const json on = node.value("on", json::object());
        const bool asks_feelings = on.contains("anger");
        for (const std::string& intent : asks_feelings ? feelings : therapy) {
          if (on.contains(intent)) continue;
          problems.push_back(file.filename().string() + ": " +
                             flow.value("id", std::string("?")) + "." + name +
                             " does not name " + intent + " in `on`");
        }
      }
    }
  }
  for (const std::string& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}
