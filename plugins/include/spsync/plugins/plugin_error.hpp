// PluginError: why a sink library could not be found, loaded, negotiated or
// opened. what() is a complete sentence for the operator and always names the
// library file (or, when nothing was found, the directories searched).
//
// Thread safety: immutable after construction.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace spsync::plugins {

class PluginError : public std::runtime_error {
 public:
  PluginError(std::filesystem::path file, const std::string& message)
      : std::runtime_error(message), file_(std::move(file)) {}

  // The library the error is about; empty when no file was found.
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

}  // namespace spsync::plugins
