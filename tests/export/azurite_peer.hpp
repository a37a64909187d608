// Azurite (npm `azurite`, pinned in tests/package-lock.json): a real Azure
// Blob and Queue service on loopback ports for one test, in memory, with the
// well-known development account. The emulator's Migration Export jobs write
// into it; the engine reads from it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../kafka/sink_harness.hpp"
#include "spsync/emulator/emulator.hpp"

namespace spsync_export_test {

class Azurite {
 public:
  Azurite() {
    child_ = std::make_unique<spsync_test::Child>(std::vector<std::string>{
        SPSYNC_NODE, std::string(SPSYNC_TESTS_DIR) + "/node_modules/azurite/dist/src/azurite.js",
        "--blobHost", "127.0.0.1", "--blobPort", "0", "--queueHost", "127.0.0.1", "--queuePort",
        "0", "--tableHost", "127.0.0.1", "--tablePort", "0", "--inMemoryPersistence",
        "--disableTelemetry", "--silent"});
    // "Azurite Blob service is successfully listening at http://127.0.0.1:N"
    while (blob_.empty() || queue_.empty()) {
      std::string line = child_->ReadLine(30000);
      if (line.empty()) throw std::runtime_error("Azurite did not start (no listening line)");
      size_t at = line.find("successfully listening at ");
      if (at == std::string::npos) continue;
      std::string url = line.substr(at + 26);
      while (!url.empty() && (url.back() == '\r' || url.back() == ' ')) url.pop_back();
      if (line.find("Blob") != std::string::npos) blob_ = url + "/devstoreaccount1";
      if (line.find("Queue") != std::string::npos) queue_ = url + "/devstoreaccount1";
    }
  }
  const std::string& blob_endpoint() const { return blob_; }
  const std::string& queue_endpoint() const { return queue_; }
  // The emulator's migration settings pointing here.
  spsync::emulator::MigrationSpec Spec() const {
    spsync::emulator::MigrationSpec s;
    s.blob_endpoint = blob_;
    s.queue_endpoint = queue_;
    s.items_per_second = 0;
    return s;
  }

 private:
  std::unique_ptr<spsync_test::Child> child_;
  std::string blob_, queue_;
};

}  // namespace spsync_export_test
