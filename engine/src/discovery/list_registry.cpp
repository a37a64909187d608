#include "spsync/engine/discovery/discovery.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace spsync::engine {

namespace {
constexpr int kFormat = 1;
}

ListRegistry::ListRegistry(std::string work_dir, std::string site)
    : site_(std::move(site)),
      file_((std::filesystem::path(work_dir) / "discovery" / (site_ + ".json")).string()) {}

void ListRegistry::Load() {
  lists_.clear();
  std::ifstream in(file_, std::ios::binary);
  if (!in) return;  // nothing discovered yet
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
    if (o->optValue<int>("format", 0) != kFormat)
      throw std::runtime_error("unknown format " + o->optValue<std::string>("format", "?"));
    auto arr = o->getArray("lists");
    for (size_t i = 0; arr && i < arr->size(); ++i) {
      auto l = arr->getObject(static_cast<unsigned>(i));
      KnownList k;
      k.id = l->getValue<std::string>("id");
      k.name = l->getValue<std::string>("name");
      k.title = l->optValue<std::string>("title", "");
      k.web_url = l->optValue<std::string>("web", "");
      k.url = l->optValue<std::string>("url", "");
      k.rule = l->optValue<std::string>("rule", "");
      if (auto sinks = l->getArray("sinks"))
        for (size_t s = 0; s < sinks->size(); ++s)
          k.sinks.push_back(sinks->getElement<std::string>(static_cast<unsigned>(s)));
      k.first_seen = l->optValue<int64_t>("firstSeen", 0);
      k.last_seen = l->optValue<int64_t>("lastSeen", 0);
      k.gone_since = l->optValue<int64_t>("goneSince", 0);
      k.gone_reason = l->optValue<std::string>("goneReason", "");
      lists_.push_back(std::move(k));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(file_ + ": the list of discovered lists is unreadable (" + e.what() +
                             "); delete it to rediscover from scratch (sinks keep their state)");
  }
}

void ListRegistry::Save() const {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("format", kFormat);
  o.set("site", site_);
  Poco::JSON::Array arr;
  for (const auto& k : lists_) {
    Poco::JSON::Object l(Poco::JSON_PRESERVE_KEY_ORDER);
    l.set("id", k.id);
    l.set("name", k.name);
    l.set("title", k.title);
    l.set("web", k.web_url);
    l.set("url", k.url);
    l.set("rule", k.rule);
    Poco::JSON::Array sinks;
    for (const auto& s : k.sinks) sinks.add(s);
    l.set("sinks", sinks);
    l.set("firstSeen", k.first_seen);
    l.set("lastSeen", k.last_seen);
    l.set("goneSince", k.gone_since);
    l.set("goneReason", k.gone_reason);
    arr.add(l);
  }
  o.set("lists", arr);
  std::filesystem::path path(file_);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::string tmp = file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    o.stringify(out, 1);
    out << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace spsync::engine
