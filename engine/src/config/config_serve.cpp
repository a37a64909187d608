// The `serve` section: where `spsync serve` listens, the public webhook URL,
// polling, readiness and subscription lifetimes.
#include "config_sections.hpp"

#include <Poco/URI.h>

namespace spsync::engine::config {

namespace {

// A duration key of `serve`, at least `min`.
void ReadDuration(ConfigReader& r, const ConfigNode& serve, std::string_view key,
                  std::chrono::seconds min, std::chrono::seconds& out) {
  ConfigNode n = r.Child(serve, key);
  if (!n) return;
  std::string t = r.Scalar(n);
  try {
    out = ParseDuration(t);
  } catch (const std::exception&) {
    r.Fail(n, "must be a duration like 90s, 15m or 1h; got \"" + t + "\"");
  }
  if (out < min)
    r.Fail(n, "must be at least " + std::to_string(min.count()) + "s; got \"" + t + "\"");
}

}  // namespace

void ReadServe(ConfigReader& r, const ConfigNode& serve, ServeConfig& out) {
  if (!serve) return;
  r.Allowed(serve, {"listen", "publicUrl", "pollEvery", "staleAfter", "sessionBudget",
                    "subscriptionCheckEvery", "subscriptionDays", "renewBefore", "tlsCertificate",
                    "tlsKey"});
  if (ConfigNode listen = r.Child(serve, "listen")) {
    // "address:port", ":port" or "port".
    std::string v = r.Scalar(listen);
    size_t colon = v.rfind(':');
    std::string address = colon == std::string::npos ? "" : v.substr(0, colon);
    std::string port = colon == std::string::npos ? v : v.substr(colon + 1);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
      address = address.substr(1, address.size() - 2);  // [::1]:8080
    char* end = nullptr;
    long p = port.empty() ? -1 : std::strtol(port.c_str(), &end, 10);
    if (p < 0 || p > 65535 || (end != nullptr && *end != '\0'))
      r.Fail(listen,
             "must be \"address:port\", \":port\" or a port (0 to 65535); got \"" + v + "\"");
    out.address = address.empty() ? "0.0.0.0" : address;
    out.port = static_cast<int>(p);
  }
  if (ConfigNode url = r.Child(serve, "publicUrl")) {
    out.public_url = r.String(url);
    Poco::URI u;
    try {
      u = Poco::URI(out.public_url);
    } catch (const std::exception&) {
      r.Fail(url, "is not a URL: \"" + out.public_url + "\"");
    }
    if (u.getScheme() != "https" && u.getScheme() != "http")
      r.Fail(url,
             "must be an https:// URL (SharePoint calls only https; http only for a local "
             "emulator); got \"" +
                 out.public_url + "\"");
    if (!u.getQuery().empty() || !u.getFragment().empty())
      r.Fail(url, "must not carry a query or fragment (SharePoint appends ?validationtoken=)");
    out.path = u.getPath().empty() ? "/" : u.getPath();
  }
  using std::chrono::seconds;
  ReadDuration(r, serve, "pollEvery", seconds(1), out.poll_every);
  ReadDuration(r, serve, "staleAfter", seconds(1), out.stale_after);
  ReadDuration(r, serve, "sessionBudget", seconds(1), out.session_budget);
  ReadDuration(r, serve, "subscriptionCheckEvery", seconds(1), out.subscription_check_every);
  out.subscription_days = static_cast<int>(r.Int(serve, "subscriptionDays", 180, 1, 180));
  // Default: renewed with a third of its lifetime left (60 of 180 days).
  out.renew_before = seconds(int64_t{out.subscription_days} * 86400 / 3);
  ReadDuration(r, serve, "renewBefore", seconds(0), out.renew_before);
  out.tls_certificate = r.Path(serve, "tlsCertificate", false);
  out.tls_key = r.Path(serve, "tlsKey", false);
  if (out.tls_certificate.empty() != out.tls_key.empty())
    r.Fail(r.Child(serve, out.tls_key.empty() ? "tlsCertificate" : "tlsKey"),
           "`tlsCertificate` and `tlsKey` go together (both for HTTPS, neither for plain HTTP "
           "behind a reverse proxy)");
  if (out.renew_before >= seconds(int64_t{out.subscription_days} * 86400))
    r.Fail(r.Child(serve, "renewBefore"),
           "must be shorter than the subscription's lifetime (subscriptionDays)");
}

}  // namespace spsync::engine::config
