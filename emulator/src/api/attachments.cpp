// List item attachments: items(N)/AttachmentFiles (the collection, one file
// by name or getByFileName, its bytes at /$value), add(FileName='…'),
// replacing the bytes (PUT /$value), deleting, and the bytes by URL
// (web/GetFileByServerRelativeUrl('…')/$value, GetFileByServerRelativePath(decodedurl='…')).
// Bytes are streamed to the connection in chunks after the lock is released;
// synthetic files are generated as they go out.
#include "api/attachments.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "api/areas.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// A missing file, as GetFileByServerRelativeUrl answers it [unconfirmed for
// AttachmentFiles('missing')].
RestError FileNotFound() {
  return RestError(404, "-2147024894, System.IO.FileNotFoundException", "File Not Found.");
}

// An OData string literal's content: quotes doubled.
std::string DoubleQuotes(std::string_view s) {
  std::string out;
  for (char ch : s) {
    out.push_back(ch);
    if (ch == '\'') out.push_back('\'');
  }
  return out;
}

// Percent-encodes what a URL path cannot carry as is (spaces, #, %, ?, non-ASCII).
std::string EscapePath(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || std::string_view("-._~'()!*,;:@/=&$+").find(static_cast<char>(ch)) !=
                                std::string_view::npos) {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out;
}

std::string ResourcePath(const Negotiated& fmt, std::string_view decoded) {
  std::string out = fmt.format == Format::kVerbose
                        ? "{\"__metadata\":{\"type\":\"SP.ResourcePath\"},\"DecodedUrl\":"
                        : "{\"DecodedUrl\":";
  AppendJsonString(out, decoded);
  out += "}";
  return out;
}

}  // namespace

std::string AttachmentUrl(const ListState& l, int64_t id, std::string_view name) {
  return l.ServerRelativeUrl(l.web()->url) + "/Attachments/" + std::to_string(id) + "/" +
         std::string(name);
}

void AppendAttachment(std::string& out, const Negotiated& fmt, std::string_view web_url,
                      const ListState& l, int64_t id, const AttachmentFile& f) {
  const std::string edit = "Web/Lists(guid'" + l.id() + "')/Items(" + std::to_string(id) +
                           ")/AttachmentFiles('" + DoubleQuotes(f.name) + "')";
  const std::string url = AttachmentUrl(l, id, f.name);
  EntityMeta meta{"SP.Attachment", std::string(web_url) + "/_api/" + edit,
                  std::string(web_url) + "/_api/" + EscapePath(edit), edit, ""};
  AppendEntity(out, fmt, meta,
               {{"FileName", JsonString(f.name)},
                {"FileNameAsPath", ResourcePath(fmt, f.name)},
                {"ServerRelativePath", ResourcePath(fmt, url)},
                {"ServerRelativeUrl", JsonString(url)}},
               {});
}

void AppendAttachmentFiles(std::string& out, const Negotiated& fmt, std::string_view web_url,
                           const ListState& l, int64_t id) {
  out += fmt.format == Format::kVerbose ? "{\"results\":[" : "[";
  bool first = true;
  for (const auto& f : l.AttachmentFiles(id)) {
    if (!first) out.push_back(',');
    first = false;
    AppendAttachment(out, fmt, web_url, l, id, f);
  }
  out += fmt.format == Format::kVerbose ? "]}" : "]";
}

namespace {

const AttachmentFile* Find(const std::vector<AttachmentFile>& files, std::string_view name) {
  for (const auto& f : files)
    if (IEquals(f.name, name)) return &f;
  return nullptr;
}

std::vector<AttachmentFile> FilesOfLiveItem(const ListState& l, int64_t id) {
  if (!l.IsLive(id)) throw std::out_of_range("item does not exist");  // the item's 404
  return l.AttachmentFiles(id);
}

Reply Collection(Call& c) {
  const ListState& l = *c.list;
  const int64_t id = c.captures.ids[0];
  std::vector<AttachmentFile> files = FilesOfLiveItem(l, id);
  Reply r;
  BeginCollection(r.body, c.req.fmt, c.WebUrl() + "/_api/$metadata#SP.ApiData.Attachments");
  for (size_t i = 0; i < files.size(); ++i) {
    if (i) r.body.push_back(',');
    AppendAttachment(r.body, c.req.fmt, c.WebUrl(), l, id, files[i]);
  }
  EndCollection(r.body, c.req.fmt, "");
  return r;
}

Reply Entity(Call& c) {
  const ListState& l = *c.list;
  const int64_t id = c.captures.ids[0];
  std::vector<AttachmentFile> files = FilesOfLiveItem(l, id);
  const AttachmentFile* f = Find(files, c.captures.strings[0]);
  if (!f) throw FileNotFound();
  std::string entity;
  AppendAttachment(entity, c.req.fmt, c.WebUrl(), l, id, *f);
  if (c.req.fmt.format == Format::kMinimal) {
    // JSON light puts the context first in a single entity.
    std::string ctx = (c.req.fmt.v4 ? "{\"@odata.context\":" : "{\"odata.metadata\":") +
                      JsonString(c.WebUrl() + "/_api/$metadata#SP.ApiData.Attachments/@Element") +
                      ",";
    entity = ctx + entity.substr(1);
  }
  Reply r;
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

// The bytes of a file, written in chunks when the reply is sent (after the
// lock is released): held bytes are shared, synthetic ones generated.
Reply Bytes(const AttachmentFile& f) {
  Reply r;
  r.content_type = "application/octet-stream";
  r.stream_length = f.size;
  if (f.bytes) {
    std::shared_ptr<const std::string> bytes = f.bytes;
    r.stream = [bytes](std::ostream& os, int64_t n) {
      os.write(bytes->data(), static_cast<std::streamsize>(n));
    };
  } else {
    const uint64_t key = f.key;
    r.stream = [key](std::ostream& os, int64_t n) {
      std::array<char, 64 * 1024> chunk;
      for (int64_t at = 0; at < n && os; at += static_cast<int64_t>(chunk.size())) {
        const auto len = static_cast<size_t>(std::min<int64_t>(n - at, chunk.size()));
        SyntheticBytes(key, at, len, chunk.data());
        os.write(chunk.data(), static_cast<std::streamsize>(len));
      }
    };
  }
  return r;
}

Reply Value(Call& c) {
  std::vector<AttachmentFile> files = FilesOfLiveItem(*c.list, c.captures.ids[0]);
  const AttachmentFile* f = Find(files, c.captures.strings[0]);
  if (!f) throw FileNotFound();
  return Bytes(*f);
}

// A file name SharePoint accepts [guess: the error; the characters are
// SharePoint Online's forbidden ones].
void CheckName(std::string_view name) {
  if (name.empty() || name.find_first_of("\"*:<>?/\\|") != std::string_view::npos ||
      name.back() == '.' || name.front() == ' ')
    throw RestError(400, "-2147024809, System.ArgumentException",
                    "Value does not fall within the expected range.");
}

Reply Add(Call& c) {
  ListState& l = *c.list;
  const int64_t id = c.captures.ids[0];
  const std::string& name = c.captures.strings[0];
  std::vector<AttachmentFile> files = FilesOfLiveItem(l, id);
  CheckName(name);
  if (Find(files, name))
    // [unconfirmed: code and wording]
    throw RestError(
        500, "-2130575257, Microsoft.SharePoint.SPException",
        "A file or folder with the name " + AttachmentUrl(l, id, name) + " already exists.");
  AttachmentFile f{name, static_cast<int64_t>(c.req.body.size()),
                   std::make_shared<const std::string>(c.req.body), 0};
  l.PutAttachment(id, f, c.impl.NowUnix());
  c.impl.RecordItem(l, 2, id);
  std::string entity;
  AppendAttachment(entity, c.req.fmt, c.WebUrl(), l, id, f);
  Reply r;
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

Reply Replace(Call& c) {
  ListState& l = *c.list;
  const int64_t id = c.captures.ids[0];
  std::vector<AttachmentFile> files = FilesOfLiveItem(l, id);
  const AttachmentFile* old = Find(files, c.captures.strings[0]);
  if (!old) throw FileNotFound();
  l.PutAttachment(id,
                  AttachmentFile{old->name, static_cast<int64_t>(c.req.body.size()),
                                 std::make_shared<const std::string>(c.req.body), 0},
                  c.impl.NowUnix());
  c.impl.RecordItem(l, 2, id);
  Reply r;
  r.status = 204;
  return r;
}

Reply Delete(Call& c) {
  ListState& l = *c.list;
  const int64_t id = c.captures.ids[0];
  FilesOfLiveItem(l, id);
  if (!l.RemoveAttachment(id, c.captures.strings[0], c.impl.NowUnix())) throw FileNotFound();
  c.impl.RecordItem(l, 2, id);
  return Reply{};
}

// GetFileByServerRelativeUrl('/sites/demo/Lists/Orders/Attachments/12/a b.pdf')/$value:
// an attachment of a list of this web, found by its URL (any case).
Reply ValueByUrl(Call& c) {
  const std::string& url = c.captures.strings[0];
  for (const auto& list : c.web.lists) {
    const std::string prefix = list->ServerRelativeUrl(c.web.url) + "/Attachments/";
    if (!IStartsWith(url, prefix)) continue;
    std::string_view rest = std::string_view(url).substr(prefix.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash > 18) break;
    int64_t id = 0;
    for (char ch : rest.substr(0, slash)) {
      if (ch < '0' || ch > '9') throw FileNotFound();
      id = id * 10 + (ch - '0');
    }
    if (!list->IsLive(id)) break;
    std::vector<AttachmentFile> files = list->AttachmentFiles(id);
    if (const AttachmentFile* f = Find(files, rest.substr(slash + 1))) return Bytes(*f);
    break;
  }
  throw FileNotFound();
}

}  // namespace

void AddAttachmentRoutes(RouteTable& t) {
  for (const char* item : {"{list}/items({id})", "{list}/items/getbyid({id})"}) {
    const std::string files = std::string(item) + "/AttachmentFiles";
    t.Add("GET", files, RequestKind::kAttachments, Access::kShared, Collection);
    t.Add("POST", files + "/add(FileName={str})", RequestKind::kWrites, Access::kExclusive, Add);
    for (const std::string& file : {files + "({str})", files + "/getByFileName({str})"}) {
      t.Add("GET", file, RequestKind::kAttachments, Access::kShared, Entity);
      t.Add("DELETE", file, RequestKind::kWrites, Access::kExclusive, Delete);
      t.Add("GET", file + "/$value", RequestKind::kAttachments, Access::kShared, Value);
      t.Add("PUT", file + "/$value", RequestKind::kWrites, Access::kExclusive, Replace);
    }
  }
  t.Add("GET", "web/GetFileByServerRelativeUrl({str})/$value", RequestKind::kAttachments,
        Access::kShared, ValueByUrl);
  t.Add("GET", "web/GetFileByServerRelativePath(decodedurl={str})/$value",
        RequestKind::kAttachments, Access::kShared, ValueByUrl);
}

}  // namespace spsync::emulator::detail
