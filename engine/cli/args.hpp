// A small command-line parser: `spsync <command> [--flag value | --switch]...`.
// Flags are declared per command so unknown ones are refused with the
// command's usage.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace spsync::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  // `valued`: flags that take a value (repeatable); `switches`: flags without.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
       const std::set<std::string>& switches);
  bool Has(const std::string& flag) const { return values_.count(flag) || switches_.count(flag); }
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  std::vector<std::string> All(const std::string& flag) const;
  std::string Require(const std::string& flag) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> switches_;
};

}  // namespace spsync::cli
