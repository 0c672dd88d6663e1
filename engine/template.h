#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace trustcoach {

// Word map for echoing the person's words back: "i" -> "you", "my" -> "your".
using Reflections = std::map<std::string, std::string, std::less<>>;

// Swaps first and second person word by word in `text` (normalized text):
// "i am hurt by my husband" -> "you are hurt by your husband".
std::string Reflect(std::string_view text, const Reflections& reflections);

// Expands `{slot}`, `{slot|default}`, `{~slot}` and `{~slot|default}` in
// `tmpl`. A slot missing or empty in `slots` is looked up in `facts` (the
// session's facts), if given. A missing or empty slot without a default
// expands to "". A `{` that does not open a well-formed placeholder is kept
// as it is.
std::string RenderTemplate(
    std::string_view tmpl, const std::map<std::string, std::string>& slots,
    const Reflections& reflections,
    const std::map<std::string, std::string>* facts = nullptr);

// Slot names used in `tmpl`, for lint.
std::vector<std::string> TemplateSlots(std::string_view tmpl);

}  // namespace trustcoach
