// spsync-emulator: a local SharePoint Online for the demo, tests and benchmarks.
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>

#include "spsync/emulator/emulator.hpp"

namespace {

const char* kUsage =
    "usage: spsync-emulator [--host 127.0.0.1] [--port 0] [--site /sites/demo]\n"
    "                       --list Title=COUNT [--list ...] [--seed N]\n"
    "                       [--field List:Title=Type ...] [--indexed List:Field ...]\n"
    "                       [--token SECRET | --tenant T --client-id ID --client-cert cert.pem]\n"
    "                       [--change-retention-days 60] [--expired-token-silently-empty]\n"
    "                       [--threads 8]\n"
    "                       [--throttle rate=50,burst=100]\n"
    "                       [--faults 429:0.1,503:0.05,500:0.01,reset:0.02,truncate:0.02,\n"
    "                                 html:0.01,slow:0.01,retry-after:2,slow-ms:1500,seed:1]\n";

int64_t ParseInt(const std::string& s, const char* what) {
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || v < 0)
    throw std::invalid_argument(std::string("invalid ") + what + ": " + s);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace spsync::emulator;
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--host")
        o.host = value();
      else if (a == "--port")
        o.port = static_cast<uint16_t>(ParseInt(value(), "port"));
      else if (a == "--site")
        o.site = value();
      else if (a == "--list") {
        std::string spec = value();
        size_t eq = spec.rfind('=');
        if (eq == std::string::npos || eq == 0)
          throw std::invalid_argument("--list wants Title=COUNT");
        o.lists.push_back({spec.substr(0, eq), ParseInt(spec.substr(eq + 1), "item count")});
      } else if (a == "--field") {
        // Orders:Region=Lookup
        std::string spec = value();
        size_t colon = spec.find(':'), eq = spec.rfind('=');
        if (colon == std::string::npos || eq == std::string::npos || eq < colon || colon == 0 ||
            eq == colon + 1 || eq + 1 == spec.size())
          throw std::invalid_argument("--field wants List:Title=Type, got '" + spec + "'");
        o.fields.push_back(
            {spec.substr(0, colon), spec.substr(colon + 1, eq - colon - 1), spec.substr(eq + 1)});
      } else if (a == "--indexed") {
        // Orders:Status
        std::string spec = value();
        size_t colon = spec.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
          throw std::invalid_argument("--indexed wants List:Field, got '" + spec + "'");
        o.indexed.push_back({spec.substr(0, colon), spec.substr(colon + 1)});
      } else if (a == "--seed")
        o.seed = static_cast<uint64_t>(ParseInt(value(), "seed"));
      else if (a == "--token")
        o.token = value();
      else if (a == "--tenant")
        o.tenant = value();
      else if (a == "--client-id")
        o.client_id = value();
      else if (a == "--client-cert")
        o.client_cert_path = value();
      else if (a == "--change-retention-days")
        o.change_retention_days = static_cast<int>(ParseInt(value(), "days"));
      else if (a == "--expired-token-silently-empty")
        o.expired_token_silently_empty = true;
      else if (a == "--threads")
        o.threads = static_cast<int>(ParseInt(value(), "threads"));
      else if (a == "--throttle")
        ParseThrottle(value(), o.faults);
      else if (a == "--faults")
        ParseFaults(value(), o.faults);
      else if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else {
        throw std::invalid_argument("unknown argument " + a);
      }
    }
    if (!o.faults.seed || o.faults.seed == 1) o.faults.seed = o.seed;
  } catch (const std::exception& e) {
    std::cerr << "spsync-emulator: " << e.what() << "\n" << kUsage;
    return 2;
  }
  // Block the stop signals before any server thread exists, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  try {
    Emulator emulator(o);
    emulator.Start();
    std::cout << "listening on " << emulator.SiteUrl() << std::endl;
    int sig = 0;
    sigwait(&stop, &sig);
    emulator.Stop();
  } catch (const std::exception& e) {
    std::cerr << "spsync-emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
