#include <spsync/plugins/option_validation.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>

namespace spsync::plugins {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// Edit distance counting a swap of neighbours as one edit (optimal string
// alignment), since swapped letters are the commonest typo in a key.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string DisplayName(const OptionInfo& o) {
  return o.type == SPSYNC_OPTION_PREFIX ? o.name + "*" : o.name;
}

// Matches sink.hpp's Config::GetInt: the whole value is a base-10 integer.
bool IsInteger(const std::string& value) {
  if (value.empty()) return false;
  errno = 0;
  char* end = nullptr;
  std::strtoll(value.c_str(), &end, 10);
  return errno == 0 && end == value.c_str() + value.size();
}

// Matches sink.hpp's Config::GetBool.
bool IsBoolean(const std::string& value) {
  static const char* kAccepted[] = {"true", "false", "1", "0", "yes", "no"};
  return std::any_of(std::begin(kAccepted), std::end(kAccepted),
                     [&](const char* ok) { return value == ok; });
}

}  // namespace

std::vector<std::string> ValidateOptions(std::string_view sink_name,
                                         const std::vector<OptionInfo>& options,
                                         const SinkConfig& config) {
  const std::string who = "sink '" + std::string(sink_name) + "': ";
  std::vector<std::string> errors;
  std::string valid;
  for (const auto& o : options) valid += (valid.empty() ? "" : ", ") + DisplayName(o);
  if (valid.empty()) valid = "(none)";

  std::map<std::string, int> seen;
  for (const auto& [key, value] : config) {
    if (++seen[key] == 2) errors.push_back(who + "option '" + key + "' is given more than once");
    const OptionInfo* match = nullptr;
    for (const auto& o : options) {
      if (o.type == SPSYNC_OPTION_PREFIX ? StartsWith(key, o.name) : key == o.name) {
        match = &o;
        break;
      }
    }
    if (match == nullptr) {
      std::string text = who + "unknown option '" + key + "'";
      const OptionInfo* closest = nullptr;
      size_t best = std::max<size_t>(2, key.size() / 3) + 1;
      for (const auto& o : options) {
        size_t d = EditDistance(key, o.name);
        if (d < best) best = d, closest = &o;
      }
      if (closest != nullptr) text += " (did you mean '" + DisplayName(*closest) + "'?)";
      errors.push_back(text + "; valid options: " + valid);
      continue;
    }
    const std::string shown = "'" + value + "'";
    if (match->type == SPSYNC_OPTION_INTEGER && !IsInteger(value)) {
      errors.push_back(who + "option '" + key + "' must be an integer, got " + shown);
    } else if (match->type == SPSYNC_OPTION_BOOLEAN && !IsBoolean(value)) {
      errors.push_back(who + "option '" + key + "' must be true or false, got " + shown);
    } else if (match->required && value.empty()) {
      errors.push_back(who + "required option '" + key + "' is empty");
    }
  }

  for (const auto& o : options) {
    if (!o.required || o.default_value.has_value()) continue;
    bool present = std::any_of(config.begin(), config.end(), [&](const auto& kv) {
      return o.type == SPSYNC_OPTION_PREFIX ? StartsWith(kv.first, o.name) : kv.first == o.name;
    });
    if (!present) {
      std::string text = who + "missing required option '" + DisplayName(o) + "'";
      if (!o.help.empty()) text += " (" + o.help + ")";
      errors.push_back(text);
    }
  }
  return errors;
}

std::vector<std::string> ValidateOptions(const LoadedPlugin& plugin, const SinkConfig& config) {
  return ValidateOptions(plugin.info().name, plugin.options(), config);
}

}  // namespace spsync::plugins
