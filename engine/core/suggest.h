#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbx {

// Edit distance (insertions, deletions, substitutions, adjacent transpositions).
size_t EditDistance(std::string_view a, std::string_view b);

// The closest candidate to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> Suggest(std::string_view word, const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace sbx
