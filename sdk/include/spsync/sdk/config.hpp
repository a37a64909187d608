// spsync sink SDK: the operator's options for one sink (part of sink.hpp;
// include that). A Config is a plain value, built once in open().
#ifndef SPSYNC_SDK_CONFIG_HPP_
#define SPSYNC_SDK_CONFIG_HPP_

#include <spsync/sink.h>
#include <spsync/sdk/errors.hpp>
#include <spsync/sdk/views.hpp>

#include <map>
#include <stdexcept>
#include <string>

namespace spsync {
namespace sdk {

// ---- Config -----------------------------------------------------------------

// The operator's key/value options for one sink, with typed accessors that
// name the key in their errors.
class Config {
 public:
  Config() = default;
  Config(const spsync_kv* kvs, size_t count) {
    for (size_t i = 0; i < count; ++i)
      values_[std::string(View(kvs[i].key))] = std::string(View(kvs[i].value));
  }
  bool Has(const std::string& key) const { return values_.count(key) != 0; }
  std::string Get(const std::string& key, const std::string& fallback = "") const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }
  std::string Require(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end() || it->second.empty()) throw Fatal("option '" + key + "' is required");
    return it->second;
  }
  long long GetInt(const std::string& key, long long fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    try {
      size_t used = 0;
      long long v = std::stoll(it->second, &used, 10);
      if (used != it->second.size()) throw std::invalid_argument(it->second);
      return v;
    } catch (const std::exception&) {
      throw Fatal("option '" + key + "' must be an integer, got '" + it->second + "'");
    }
  }
  bool GetBool(const std::string& key, bool fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    if (it->second == "true" || it->second == "1" || it->second == "yes") return true;
    if (it->second == "false" || it->second == "0" || it->second == "no") return false;
    throw Fatal("option '" + key + "' must be true or false, got '" + it->second + "'");
  }
  // Every entry whose key starts with `prefix`, prefix removed.
  std::map<std::string, std::string> WithPrefix(const std::string& prefix) const {
    std::map<std::string, std::string> out;
    for (const auto& kv : values_)
      if (kv.first.compare(0, prefix.size(), prefix) == 0)
        out[kv.first.substr(prefix.size())] = kv.second;
    return out;
  }
  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace sdk
}  // namespace spsync

#endif  // SPSYNC_SDK_CONFIG_HPP_
