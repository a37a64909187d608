#include "args.hpp"

namespace spsync::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
           const std::set<std::string>& switches) {
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    std::string value;
    bool inline_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      inline_value = true;
    }
    if (valued.count(a)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) throw UsageError(a + " needs a value");
        value = argv[++i];
      }
      values_[a].push_back(value);
    } else if (switches.count(a) && !inline_value) {
      switches_.insert(a);
    } else {
      throw UsageError("unknown option '" + argv[i] + "'");
    }
  }
}

std::string Args::Get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Args::All(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::Require(const std::string& flag) const {
  std::string v = Get(flag);
  if (v.empty()) throw UsageError(flag + " is required");
  return v;
}

}  // namespace spsync::cli
