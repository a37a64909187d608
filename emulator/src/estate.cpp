// The site collections an emulator serves, built from Options (the
// single-site shorthand or declared sites and webs), and SyntheticEstate,
// the many-site shape of the discovery benchmarks.
#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "estate.hpp"
#include "model/system_lists.hpp"
#include "util.hpp"

namespace spsync::emulator {

using detail::ListShape;
using detail::ListState;
using detail::SiteState;
using detail::WebState;

std::vector<SiteSpec> SyntheticEstate(int sites, int webs, int lists, int64_t items_per_list) {
  if (sites < 1 || webs < sites || lists < 0 || items_per_list < 0)
    throw std::invalid_argument("estate: need sites >= 1, webs >= sites, lists >= 0, items >= 0");
  auto name = [](const char* stem, int n, int width) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%s%0*d", stem, width, n);
    return std::string(buf);
  };
  std::vector<SiteSpec> out;
  std::vector<WebSpec*> all;
  for (int s = 1; s <= sites; ++s) {
    SiteSpec site;
    site.url = "/sites/" + name("site", s, 2);
    site.webs.push_back(WebSpec{site.url, name("Site ", s, 2), {}, false});
    out.push_back(std::move(site));
  }
  // Subwebs: the first half one level below the root webs, the rest below those.
  const int subwebs = webs - sites, first_level = (subwebs + 1) / 2;
  for (int w = 0; w < subwebs; ++w) {
    SiteSpec& site = out[static_cast<size_t>(w % sites)];
    std::string parent = site.url;
    if (w >= first_level) {
      int parent_index = (w - first_level) % first_level;
      parent = out[static_cast<size_t>(parent_index % sites)].url + "/" +
               name("web", parent_index + 1, 2);
      SiteSpec& owner = out[static_cast<size_t>(parent_index % sites)];
      owner.webs.push_back(
          WebSpec{parent + "/" + name("web", w + 1, 2), name("Web ", w + 1, 2), {}, false});
      continue;
    }
    site.webs.push_back(
        WebSpec{parent + "/" + name("web", w + 1, 2), name("Web ", w + 1, 2), {}, false});
  }
  for (auto& site : out)
    for (auto& web : site.webs) all.push_back(&web);
  for (int l = 0; l < lists; ++l)
    all[static_cast<size_t>(l) % all.size()]->lists.push_back(
        ListSpec{name("List", l + 1, 4), items_per_list});
  return out;
}

namespace detail {
namespace {

constexpr const char* kCustomersList = "Customers";
constexpr int64_t kDefaultCustomers = 500;

// Lists were "created" some years before the synthetic snapshot date.
int64_t ListCreated(uint64_t seed, std::string_view identity) {
  return 1546300800 + static_cast<int64_t>(Hash(seed, Lower(identity)) % (365 * 86400));
}

std::string LastSegment(const std::string& url) {
  if (url == "/") return "Home";
  return url.substr(url.rfind('/') + 1);
}

// The declared webs of a site, root first and every web after its parent.
std::vector<WebSpec> OrderedWebs(const SiteSpec& spec, const std::string& site_url) {
  std::vector<WebSpec> webs;
  bool has_root = false;
  for (const auto& w : spec.webs) {
    WebSpec copy = w;
    copy.url = NormalizeWebUrl(w.url, "web");
    has_root = has_root || IEquals(copy.url, site_url);
    webs.push_back(std::move(copy));
  }
  if (!has_root) webs.push_back(WebSpec{site_url, "", {}, std::nullopt});
  auto depth = [&](const WebSpec& w) {
    return IEquals(w.url, site_url) ? -1
                                    : static_cast<int>(std::count(w.url.begin(), w.url.end(), '/'));
  };
  std::stable_sort(webs.begin(), webs.end(),
                   [&](const WebSpec& a, const WebSpec& b) { return depth(a) < depth(b); });
  return webs;
}

}  // namespace

void AddListToWeb(Emulator::Impl& impl, WebState& web, const ListSpec& spec, int generation,
                  int64_t created) {
  if (spec.title.empty() || spec.item_count < 0)
    throw std::invalid_argument("invalid list spec '" + spec.title + "' in web '" + web.url + "'");
  if (web.FindByTitle(spec.title))
    throw std::invalid_argument("duplicate list '" + spec.title + "' in web '" + web.url + "'");
  if (spec.attachment_percent < 0 || spec.attachment_percent > 100 || spec.attachment_avg_bytes < 0)
    throw std::invalid_argument("invalid attachments of list '" + spec.title + "'");
  ListShape shape = UserListShape(spec.title, spec.base_template, spec.hidden, spec.description);
  shape.attachment_percent = spec.attachment_percent;
  shape.attachment_avg_bytes = spec.attachment_avg_bytes;
  shape.synthetic_columns = spec.synthetic_columns;
  auto list = std::make_unique<ListState>(impl.opt.seed, web.ListIdentity(spec.title), spec.title,
                                          spec.item_count, generation, created, std::move(shape));
  list->set_web(&web);
  web.lists.push_back(std::move(list));
}

void BuildSites(Emulator::Impl& impl) {
  const Options& opt = impl.opt;
  std::vector<SiteSpec> specs = opt.sites;
  if (specs.empty()) {
    specs.push_back(SiteSpec{opt.site, {WebSpec{opt.site, "", opt.lists, std::nullopt}}});
  } else if (!opt.lists.empty()) {
    throw std::invalid_argument(
        "Options: declare lists in `sites` or in `lists` (the single-site shorthand), not both");
  }
  const uint64_t seed = opt.seed;
  for (size_t si = 0; si < specs.size(); ++si) {
    auto site = std::make_unique<SiteState>();
    site->url = NormalizeWebUrl(specs[si].url, "site");
    if (si == 0) {
      site->id = MakeGuid(Hash(seed, "site"), Hash(seed, "site2"));
    } else {
      std::string key = Lower(site->url);
      site->id = MakeGuid(Hash(seed, "site:" + key), Hash(seed, "site2:" + key));
    }
    for (const WebSpec& spec : OrderedWebs(specs[si], site->url)) {
      const bool root = IEquals(spec.url, site->url);
      if (!root && !IStartsWith(spec.url, site->url == "/" ? "/" : site->url + "/"))
        throw std::invalid_argument("web '" + spec.url + "' is not under its site '" + site->url +
                                    "'");
      if (impl.webs_by_url.count(Lower(spec.url)))
        throw std::invalid_argument("duplicate web '" + spec.url + "'");
      auto web = std::make_unique<WebState>();
      web->url = spec.url;
      web->site = site.get();
      web->primary = si == 0 && root;
      web->title = spec.title.empty() ? LastSegment(spec.url) : spec.title;
      if (!root) {
        std::string parent_url = spec.url.substr(0, spec.url.rfind('/'));
        if (parent_url.empty()) parent_url = "/";
        auto parent = impl.webs_by_url.find(Lower(parent_url));
        if (parent == impl.webs_by_url.end() || parent->second->site != site.get())
          throw std::invalid_argument("web '" + spec.url + "' has no parent web: declare '" +
                                      parent_url + "' in site '" + site->url + "'");
        web->parent = parent->second;
        const_cast<WebState*>(web->parent)->subwebs.push_back(web.get());
      }
      if (web->primary) {
        web->id = MakeGuid(Hash(seed, "web"), Hash(seed, "web2"));
      } else {
        std::string key = Lower(spec.url);
        web->id = MakeGuid(Hash(seed, "web:" + key), Hash(seed, "web2:" + key));
      }
      // Provisioned a day before its lists could have been created.
      const int64_t provisioned = ListCreated(seed, web->ListIdentity("")) - 86400;
      web->created = provisioned - 3600;
      for (const auto& l : spec.lists)
        AddListToWeb(impl, *web, l, 0, ListCreated(seed, web->ListIdentity(l.title)));
      // Every root web has the list the Customer lookups point at.
      if (spec.customers.value_or(root) && !web->FindByTitle(kCustomersList))
        AddListToWeb(impl, *web, ListSpec{kCustomersList, kDefaultCustomers}, 0,
                     ListCreated(seed, web->ListIdentity(kCustomersList)));
      for (const auto& sys : SystemListsOf(root)) {
        if (web->FindByTitle(sys.title)) continue;  // a declared list of that title replaces it
        auto list = std::make_unique<ListState>(seed, web->ListIdentity(sys.title), sys.title, 0, 0,
                                                provisioned, sys.shape);
        list->set_web(web.get());
        web->lists.push_back(std::move(list));
      }
      impl.webs_by_url[Lower(spec.url)] = web.get();
      if (web->primary) impl.primary = web.get();
      site->webs.push_back(std::move(web));
    }
    impl.sites.push_back(std::move(site));
  }
  for (auto& site : impl.sites)
    for (auto& web : site->webs) impl.LinkLookups(*web);
}

}  // namespace detail
}  // namespace spsync::emulator
