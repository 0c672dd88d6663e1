#include "engine/template.h"

#include <algorithm>

namespace trustcoach {
namespace {

bool IsSlotChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

struct Placeholder {
  bool reflect = false;
  std::string_view slot;
  std::string_view fallback;
  size_t length = 0;  // of the whole "{...}"
};

// Parses a placeholder at `tmpl[0] == '{'`; false if it is not one.
bool ParsePlaceholder(std::string_view tmpl, Placeholder* out) {
  const size_t close = tmpl.find('}');
  if (close == std::string_view::npos) return false;
  std::string_view body = tmpl.substr(1, close - 1);
  Placeholder p;
  p.length = close + 1;
  if (!body.empty() && body.front() == '~') {
    p.reflect = true;
    body.remove_prefix(1);
  }
  const size_t bar = body.find('|');
  p.slot = body.substr(0, bar);
  if (bar != std::string_view::npos) p.fallback = body.substr(bar + 1);
  if (p.slot.empty()) return false;
  for (char c : p.slot) {
    if (!IsSlotChar(c)) return false;
  }
  *out = p;
  return true;
}

}  // namespace

std::string Reflect(std::string_view text, const Reflections& reflections) {
  std::string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  // Words since "i" became "you": the verb agrees with the new subject
  // ("i was hurt" -> "you were hurt", "i really was" -> "you really were").
  int since_i = 99;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size() && text[end] != ' ') ++end;
    std::string_view word = text.substr(i, end - i);
    // Trailing punctuation stays: "me." -> "you."
    size_t core = word.size();
    while (core > 0 && !IsSlotChar(word[core - 1]) && word[core - 1] != '\'') {
      --core;
    }
    const std::string_view bare = word.substr(0, core);
    ++since_i;
    auto it = reflections.find(bare);
    if (bare == "i") since_i = 0;
    if (bare == "was" && since_i <= 2) {
      out.append("were");
      out.append(word.substr(core));
    } else if (it != reflections.end()) {
      out.append(it->second);
      out.append(word.substr(core));
    } else {
      out.append(word);
    }
    if (end < text.size()) out.push_back(' ');
    i = end + 1;
  }
  return out;
}

std::string RenderTemplate(std::string_view tmpl,
                           const std::map<std::string, std::string>& slots,
                           const Reflections& reflections,
                           const std::map<std::string, std::string>* facts) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  size_t i = 0;
  while (i < tmpl.size()) {
    // Plain text up to the next '{' in one append, not byte by byte: this
    // loop is a tenth of a turn's time otherwise.
    if (tmpl[i] != '{') {
      const size_t next = std::min(tmpl.find('{', i), tmpl.size());
      out.append(tmpl.substr(i, next - i));
      i = next;
      continue;
    }
    Placeholder p;
    if (!ParsePlaceholder(tmpl.substr(i), &p)) {
      out.push_back(tmpl[i++]);
      continue;
    }
    const std::string name(p.slot);
    const std::string* value = nullptr;
    if (auto it = slots.find(name); it != slots.end() && !it->second.empty()) {
      value = &it->second;
    } else if (facts != nullptr) {
      // A slot the flow did not fill: what the person has told the coach.
      auto fact = facts->find(name);
      if (fact != facts->end() && !fact->second.empty()) value = &fact->second;
    }
    if (value == nullptr) {
      out.append(p.fallback);
    } else if (p.reflect) {
      out.append(Reflect(*value, reflections));
    } else {
      out.append(*value);
    }
    i += p.length;
  }
  return out;
}

std::vector<std::string> TemplateSlots(std::string_view tmpl) {
  std::vector<std::string> names;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    Placeholder p;
    if (tmpl[i] == '{' && ParsePlaceholder(tmpl.substr(i), &p)) {
      names.emplace_back(p.slot);
      i += p.length - 1;
    }
  }
  return names;
}

}  // namespace trustcoach
