// trustcoach graph: the flows as Graphviz DOT, or Mermaid with --mermaid.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/settings.h"
#include "engine/dialog_loader.h"

namespace trustcoach::cli {
namespace {

struct Edge {
  std::string from;
  std::string to;
  std::string label;
};

std::vector<Edge> Edges(const DialogSet& dialogs) {
  std::vector<Edge> edges;
  for (const FlowSpec& flow : dialogs.spec().flows) {
    for (const NodeSpec& node : flow.nodes) {
      const std::string from = flow.id + "." + node.id;
      auto add = [&](const std::string& target, const std::string& label) {
        FlowPosition to;
        if (target.empty()) return;
        if (dialogs.Resolve(flow.id, target, &to)) {
          edges.push_back({from, to.flow + "." + to.node, label});
        } else {
          edges.push_back({from, target, label});
        }
      };
      for (const auto& [intent, target] : node.on) add(target, intent);
      add(node.else_to,
          node.capture.empty() ? "else" : "else: " + node.capture);
      add(node.next, "next");
      for (const Branch& branch : node.branch) {
        add(branch.to,
            branch.if_slot.empty() ? "otherwise" : "if " + branch.if_slot);
      }
    }
  }
  return edges;
}

std::string MermaidId(const std::string& id) {
  std::string out;
  for (char c : id)
    out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

void PrintDot(const DialogSet& dialogs) {
  std::printf(
      "digraph trustcoach {\n  rankdir=LR;\n  newrank=true;\n  node "
      "[shape=box, style=rounded, "
      "fontname=\"Helvetica\"];\n");
  for (const FlowSpec& flow : dialogs.spec().flows) {
    std::printf("  subgraph \"cluster_%s\" {\n    label=\"%s\";\n",
                flow.id.c_str(), flow.id.c_str());
    for (const NodeSpec& node : flow.nodes) {
      const char* style = node.therapy   ? ", color=\"#2e7d32\", penwidth=2"
                          : node.couples ? ", color=\"#1565c0\""
                                         : "";
      std::printf("    \"%s.%s\" [label=\"%s\"%s];\n", flow.id.c_str(),
                  node.id.c_str(), node.id.c_str(), style);
    }
    std::printf("  }\n");
  }
  for (const Edge& edge : Edges(dialogs)) {
    std::printf("  \"%s\" -> \"%s\" [label=\"%s\"];\n", edge.from.c_str(),
                edge.to.c_str(), edge.label.c_str());
  }
  for (const IntentSpec& intent : dialogs.spec().intents) {
    FlowPosition to;
    if (!intent.start.empty() && dialogs.Resolve("", intent.start, &to)) {
      std::printf(
          "  \"intent:%s\" [shape=ellipse, label=\"%s\"];\n  \"intent:%s\" -> "
          "\"%s.%s\";\n",
          intent.id.c_str(), intent.id.c_str(), intent.id.c_str(),
          to.flow.c_str(), to.node.c_str());
    }
  }
  std::printf("}\n");
}

void PrintMermaid(const DialogSet& dialogs) {
  std::printf("flowchart LR\n");
  for (const FlowSpec& flow : dialogs.spec().flows) {
    std::printf("  subgraph %s[%s]\n", MermaidId(flow.id).c_str(),
                flow.id.c_str());
    for (const NodeSpec& node : flow.nodes) {
      std::printf("    %s[%s]\n", MermaidId(flow.id + "." + node.id).c_str(),
                  node.id.c_str());
    }
    std::printf("  end\n");
  }
  for (const Edge& edge : Edges(dialogs)) {
    std::printf("  %s -->|%s| %s\n", MermaidId(edge.from).c_str(),
                edge.label.c_str(), MermaidId(edge.to).c_str());
  }
}

}  // namespace

int RunGraph(int argc, char** argv) {
  GraphSettings settings;
  const int exit = LoadSettingsOrExit(
      argc, argv,
      "Usage: trustcoach graph [OPTIONS]\n\n"
      "Prints every flow as a Graphviz DOT graph (or Mermaid). Render with:\n"
      "  trustcoach graph | dot -Tsvg > docs/flows.svg\n",
      &settings);
  if (exit >= 0) return exit;
  std::unique_ptr<DialogSet> dialogs;
  Status s = DialogSet::Load(settings.dialogs, &dialogs);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  if (settings.mermaid) {
    PrintMermaid(*dialogs);
  } else {
    PrintDot(*dialogs);
  }
  return 0;
}

}  // namespace trustcoach::cli
