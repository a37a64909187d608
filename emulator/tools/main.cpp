// spsync-emulator: a local SharePoint Online for the demo, tests and benchmarks.
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spsync/emulator/emulator.hpp"

namespace {

const char* kUsage =
    "usage: spsync-emulator [--host 127.0.0.1] [--port 0] [--site /sites/demo]\n"
    "                       --list Title=COUNT [--list ...] [--library Title=COUNT ...]\n"
    "                       [--web /sites/x[/sub...] [--list ...] ...] [--seed N]\n"
    "                       [--estate SITES,WEBS,LISTS,ITEMS]\n"
    "                       [--field [/web:]List:Title=Type ...] [--indexed [/web:]List:Field "
    "...]\n"
    "                       [--attachments [/web:]List=2%,100KB ...]\n"
    "                       [--token SECRET | --tenant T --client-id ID --client-cert cert.pem]\n"
    "                       [--change-retention-days 60] [--expired-token-silently-empty]\n"
    "                       [--threads 64] [--latency 300ms+0.2ms]\n"
    "                       [--budget ru=1250,read=2,write=2,charge-throttled=1]\n"
    "                       [--throttle rate=50,burst=100]\n"
    "                       [--webhook-interval 60s] [--webhook-retry-interval 5m]\n"
    "                       [--faults 429:0.1,503:0.05,500:0.01,reset:0.02,truncate:0.02,\n"
    "                                 html:0.01,slow:0.01,retry-after:2,slow-ms:1500,seed:1]\n";

int64_t ParseInt(const std::string& s, const char* what) {
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || v < 0)
    throw std::invalid_argument(std::string("invalid ") + what + ": " + s);
  return v;
}

// "1500ms", "1s", "5m": a webhook timing.
std::chrono::milliseconds ParseDuration(const std::string& s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  const std::string unit = end ? end : "";
  const double scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : -1;
  if (s.empty() || end == s.c_str() || scale < 0 || v < 0)
    throw std::invalid_argument(std::string("invalid ") + what +
                                " (want e.g. 500ms, 1s, 5m): " + s);
  return std::chrono::milliseconds(static_cast<int64_t>(v * scale));
}

// "[/web/url:]rest": the web a --field or --indexed spec names, if any.
std::string WebPrefix(std::string& spec) {
  if (spec.empty() || spec[0] != '/') return "";
  size_t colon = spec.find(':');
  if (colon == std::string::npos) return "";
  std::string web = spec.substr(0, colon);
  spec = spec.substr(colon + 1);
  return web;
}

// Title=COUNT
spsync::emulator::ListSpec ParseListSpec(const std::string& spec, const char* option) {
  size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument(std::string(option) + " wants Title=COUNT");
  return {spec.substr(0, eq), ParseInt(spec.substr(eq + 1), "item count")};
}

// --attachments [/web:]List=PERCENT%[,SIZE]: that share of the list's items
// has synthetic attachments of about SIZE (512, 100KB, 2MB, 1GB; default 100KB).
struct AttachmentOption {
  std::string web, list;
  double percent = 0;
  int64_t avg_bytes = 100 * 1024;
};

AttachmentOption ParseAttachments(std::string spec) {
  AttachmentOption a;
  a.web = WebPrefix(spec);
  const size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("--attachments wants List=PERCENT%[,SIZE], got '" + spec + "'");
  a.list = spec.substr(0, eq);
  std::string rest = spec.substr(eq + 1);
  const size_t comma = rest.find(',');
  std::string pct = rest.substr(0, comma);
  if (!pct.empty() && pct.back() == '%') pct.pop_back();
  char* end = nullptr;
  a.percent = std::strtod(pct.c_str(), &end);
  if (pct.empty() || *end || a.percent < 0 || a.percent > 100)
    throw std::invalid_argument("--attachments: invalid percentage '" + rest + "'");
  if (comma != std::string::npos) {
    std::string size = rest.substr(comma + 1);
    double v = std::strtod(size.c_str(), &end);
    std::string unit = end ? end : "";
    for (auto& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const double scale = unit.empty() || unit == "B" ? 1
                         : unit == "KB"              ? 1024
                         : unit == "MB"              ? 1024.0 * 1024
                         : unit == "GB"              ? 1024.0 * 1024 * 1024
                                                     : -1;
    if (size.empty() || end == size.c_str() || scale < 0 || v < 0)
      throw std::invalid_argument("--attachments: invalid size '" + size +
                                  "' (want e.g. 512, 100KB, 2MB)");
    a.avg_bytes = static_cast<int64_t>(v * scale);
  }
  return a;
}

// Sets the attachments of the declared list the option names.
void ApplyAttachments(spsync::emulator::Options& o, const AttachmentOption& a) {
  auto apply = [&](std::vector<spsync::emulator::ListSpec>& lists) {
    for (auto& l : lists)
      if (l.title == a.list) {
        l.attachment_percent = a.percent;
        l.attachment_avg_bytes = a.avg_bytes;
        return true;
      }
    return false;
  };
  if (a.web.empty() && apply(o.lists)) return;
  for (auto& site : o.sites)
    for (auto& web : site.webs)
      if ((a.web.empty() ? &web == &o.sites.front().webs.front() : web.url == a.web) &&
          apply(web.lists))
        return;
  throw std::invalid_argument("--attachments: no declared list '" + a.list + "'" +
                              (a.web.empty() ? "" : " in web " + a.web));
}

// Sites and webs from --web: a URL under a declared web of a site becomes a
// subweb of that site, any other URL a new site collection. --list and
// --library before the first --web belong to --site's root web.
class WebDeclarations {
 public:
  explicit WebDeclarations(spsync::emulator::Options& o) : o_(o) {}
  void Web(const std::string& url, bool site_given) {
    using spsync::emulator::SiteSpec;
    using spsync::emulator::WebSpec;
    if (o_.sites.empty() && (site_given || !o_.lists.empty())) {
      o_.sites.push_back(SiteSpec{o_.site, {WebSpec{o_.site, "", o_.lists}}});
      o_.lists.clear();
    }
    std::string u = url;
    while (u.size() > 1 && u.back() == '/') u.pop_back();
    for (auto& site : o_.sites)
      for (const auto& web : site.webs) {
        const std::string& w = web.url;
        if (u.size() > w.size() && u.compare(0, w.size(), w) == 0 &&
            (u[w.size()] == '/' || w == "/")) {
          site.webs.push_back(WebSpec{u});
          current_ = {static_cast<size_t>(&site - o_.sites.data()), site.webs.size() - 1};
          return;
        }
      }
    o_.sites.push_back(SiteSpec{u, {WebSpec{u}}});
    current_ = {o_.sites.size() - 1, 0};
  }
  void List(spsync::emulator::ListSpec spec) {
    if (!current_) {
      o_.lists.push_back(std::move(spec));
      return;
    }
    o_.sites[current_->first].webs[current_->second].lists.push_back(std::move(spec));
  }

 private:
  spsync::emulator::Options& o_;
  std::optional<std::pair<size_t, size_t>> current_;  // (site, web) the last --web declared
};

}  // namespace

int main(int argc, char** argv) {
  using namespace spsync::emulator;
  Options o;
  WebDeclarations webs(o);
  bool site_given = false;
  std::vector<AttachmentOption> attachments;
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
      else if (a == "--site") {
        o.site = value();
        site_given = true;
      } else if (a == "--list") {
        webs.List(ParseListSpec(value(), "--list"));
      } else if (a == "--library") {
        ListSpec spec = ParseListSpec(value(), "--library");
        spec.base_template = 101;
        webs.List(std::move(spec));
      } else if (a == "--web") {
        webs.Web(value(), site_given);
      } else if (a == "--estate") {
        // SITES,WEBS,LISTS,ITEMS
        std::vector<int64_t> n;
        std::string spec = value();
        for (size_t start = 0; start <= spec.size();) {
          size_t end = spec.find(',', start);
          if (end == std::string::npos) end = spec.size();
          n.push_back(ParseInt(spec.substr(start, end - start), "--estate number"));
          start = end + 1;
        }
        if (n.size() != 4) throw std::invalid_argument("--estate wants SITES,WEBS,LISTS,ITEMS");
        for (auto& site : SyntheticEstate(static_cast<int>(n[0]), static_cast<int>(n[1]),
                                          static_cast<int>(n[2]), n[3]))
          o.sites.push_back(std::move(site));
      } else if (a == "--field") {
        // [/web:]Orders:Region=Lookup
        std::string spec = value();
        std::string web = WebPrefix(spec);
        size_t colon = spec.find(':'), eq = spec.rfind('=');
        if (colon == std::string::npos || eq == std::string::npos || eq < colon || colon == 0 ||
            eq == colon + 1 || eq + 1 == spec.size())
          throw std::invalid_argument("--field wants List:Title=Type, got '" + spec + "'");
        o.fields.push_back({spec.substr(0, colon), spec.substr(colon + 1, eq - colon - 1),
                            spec.substr(eq + 1), web});
      } else if (a == "--indexed") {
        // [/web:]Orders:Status
        std::string spec = value();
        std::string web = WebPrefix(spec);
        size_t colon = spec.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
          throw std::invalid_argument("--indexed wants List:Field, got '" + spec + "'");
        o.indexed.push_back({spec.substr(0, colon), spec.substr(colon + 1), web});
      } else if (a == "--attachments") {
        attachments.push_back(ParseAttachments(value()));
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
      else if (a == "--latency")
        ParseLatency(value(), o.latency);
      else if (a == "--budget")
        ParseBudget(value(), o.budget);
      else if (a == "--throttle")
        ParseThrottle(value(), o.faults);
      else if (a == "--webhook-interval")
        o.webhooks.delivery_interval = ParseDuration(value(), "--webhook-interval");
      else if (a == "--webhook-retry-interval")
        o.webhooks.retry_interval = ParseDuration(value(), "--webhook-retry-interval");
      else if (a == "--faults")
        ParseFaults(value(), o.faults);
      else if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else {
        throw std::invalid_argument("unknown argument " + a);
      }
    }
    for (const auto& att : attachments) ApplyAttachments(o, att);
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
