#include "spsync/engine/serve/subscription_store.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace spsync::engine::serve {

void SubscriptionStore::Load() {
  subs_.clear();
  std::ifstream f(path_, std::ios::binary);
  if (!f) return;
  std::stringstream text;
  text << f.rdbuf();
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
    auto list = root->getObject("subscriptions");
    if (!list) return;
    for (const auto& name : list->getNames()) {
      auto o = list->getObject(name);
      Subscription s;
      s.entity = name;
      s.site = o->optValue<std::string>("site", "");
      s.web_url = o->optValue<std::string>("webUrl", "");
      s.list_id = o->optValue<std::string>("listId", "");
      s.id = o->optValue<std::string>("id", "");
      s.client_state = o->optValue<std::string>("clientState", "");
      s.notification_url = o->optValue<std::string>("notificationUrl", "");
      s.expiration_unix = o->optValue<int64_t>("expirationUnix", 0);
      subs_[name] = std::move(s);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path_ + ": not a subscription file spsync wrote (" + e.what() +
                             "); move it away to start over");
  }
}

void SubscriptionStore::Save() const {
  Poco::JSON::Object::Ptr list = new Poco::JSON::Object;
  for (const auto& [name, s] : subs_) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("site", s.site);
    o->set("webUrl", s.web_url);
    o->set("listId", s.list_id);
    o->set("id", s.id);
    o->set("clientState", s.client_state);
    o->set("notificationUrl", s.notification_url);
    o->set("expirationUnix", s.expiration_unix);
    list->set(name, o);
  }
  Poco::JSON::Object root;
  root.set("subscriptions", list);
  std::ostringstream text;
  root.stringify(text, 2);
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp);
  const std::string s = text.str();
  bool ok = ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0)
    throw std::runtime_error("cannot write " + path_);
}

std::string NewClientState() {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    unsigned v = rd() & 0xff;
    out += hex[v >> 4];
    out += hex[v & 15];
  }
  return out;
}

}  // namespace spsync::engine::serve
