#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/concepts.h"
#include "engine/dialog_spec.h"
#include "engine/guess.h"
#include "engine/intent_matcher.h"
#include "engine/normalizer.h"
#include "engine/safety.h"
#include "engine/session.h"
#include "engine/status.h"
#include "engine/template.h"

namespace trustcoach {

// A loaded, validated, compiled set of dialog files. Immutable; shared by
// every conversation and thread.
class DialogSet {
 public:
  // Reads every file under `dir` (see docs/dialog-format.md). On error,
  // returns InvalidArgument whose message lists every problem found, one per
  // line, each as "FILE: /json/pointer: problem"; `*out` is untouched.
  // Unreachable nodes and flows are `warnings`, not errors.
  static Status Load(const std::string& dir, std::unique_ptr<DialogSet>* out,
                     std::vector<std::string>* warnings = nullptr);

  DialogSet(const DialogSet&) = delete;
  DialogSet& operator=(const DialogSet&) = delete;

  const DialogSpec& spec() const { return spec_; }
  const EngineConfig& config() const { return config_; }
  const IntentMatcher& matcher() const { return *matcher_; }
  const SafetyScreen& safety() const { return *safety_; }
  const ResourceDirectory& resources() const { return *resources_; }
  const Substitutions& substitutions() const { return substitutions_; }
  const Reflections& reflections() const { return reflections_; }
  const Concepts& concepts() const { return *concepts_; }
  const GuessScorer& guess_scorer() const { return *guess_scorer_; }

  const FlowSpec* FindFlow(std::string_view id) const;
  const NodeSpec* FindNode(std::string_view flow, std::string_view node) const;
  const IntentSpec* FindIntent(std::string_view id) const;

  // Whether `text` (normalized) answers `node`'s free-text question: true
  // when the node declares no `answer`.
  bool Answers(const NodeSpec& node, std::string_view text) const;

  // Resolves `target` as named in a node of flow `from`: "node", "flow",
  // "flow.node". Special targets ("@return", ...) and unknown names yield
  // false.
  bool Resolve(std::string_view from, std::string_view target,
               FlowPosition* out) const;

 private:
  DialogSet() = default;
  // After parsing: indexes, checks and compiles; the steps below in order.
  Status Compile();
  // Indexes intents, flows and nodes by id; reports duplicates.
  void IndexIds(std::vector<std::string>* errors);
  // Every target, intent start and scope, and engine.json target resolves.
  void CheckTargets(std::vector<std::string>* errors) const;
  // The intent matcher, with a set prepared for each node's `on`.
  Status CompileMatcher();
  // One RE2 per node that declares `answer`.
  void CompileAnswers(std::vector<std::string>* errors);
  // Nodes no start, target, safety kind or safety rule's answer reaches;
  // after the screen is built (Load() builds it on a second thread).
  void WarnUnreachable(std::vector<std::string>* warnings) const;

  DialogSpec spec_;
  EngineConfig config_;
  Substitutions substitutions_;
  Reflections reflections_;
  std::unique_ptr<Concepts> concepts_ = std::make_unique<Concepts>();
  std::unique_ptr<GuessScorer> guess_scorer_ = std::make_unique<GuessScorer>();
  // The `~partner` concept expanded, for the matcher; empty without it.
  std::string partner_words_;
  std::unique_ptr<IntentMatcher> matcher_;
  std::unique_ptr<SafetyScreen> safety_;
  std::unique_ptr<ResourceDirectory> resources_;
  StringMap<size_t> flow_index_;
  StringMap<size_t> intent_index_;
  std::vector<StringMap<size_t>> node_index_;  // per flow
  std::unordered_map<const NodeSpec*, std::unique_ptr<RE2>> answers_;
};

}  // namespace trustcoach
