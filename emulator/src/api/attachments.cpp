// List item attachments: items(N)/AttachmentFiles (the collection, one file
// by name or getByFileName, its bytes at /$value), add(FileName='…'),
// replacing the bytes (PUT /$value), deleting, and the bytes by URL
// (web/GetFileByServerRelativeUrl('…')/$value, GetFileByServerRelativePath(decodedurl='…')),
// and the SP.File behind one (its ETag, length and time) at those URLs without /$value.
// Bytes are streamed to the connection in chunks after the lock is released;
// synthetic files are generated as they go out.
#include "api/attachments.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "api/areas.hpp"
#include "api/entity_query.hpp"
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
Reply Bytes(const ListState& l, const AttachmentFile& f) {
  Reply r;
  r.content_type = "application/octet-stream";
  r.stream_length = f.size;
  // As SharePoint serves a file: its ETag and when it was last written.
  r.headers.emplace_back("ETag", l.AttachmentETag(f));
  r.headers.emplace_back("Last-Modified", HttpDate(f.modified != 0 ? f.modified : l.created()));
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
  return Bytes(*c.list, *f);
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

// GetFileByServerRelativeUrl('/sites/demo/Lists/Orders/Attachments/12/a b.pdf'):
// an attachment of a list of this web, found by its URL (any case); calls
// `found` with its list, item ID and file.
template <typename Found>
Reply ByUrl(Call& c, Found found) {
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
    if (const AttachmentFile* f = Find(files, rest.substr(slash + 1))) return found(*list, id, *f);
    break;
  }
  throw FileNotFound();
}

Reply ValueByUrl(Call& c) {
  return ByUrl(c, [](const ListState& l, int64_t, const AttachmentFile& f) { return Bytes(l, f); });
}

// The SP.File behind an attachment: what a client asks to learn whether the
// bytes changed (ETag "{guid},version": a new version when the bytes are
// replaced, a new guid when the file is deleted and added again) without
// downloading them. [guess: the property set is SP.File's usual one;
// Int64 Length as a string, as SharePoint writes Edm.Int64.]
Reply FileByUrl(Call& c) {
  return ByUrl(c, [&c](const ListState& l, int64_t id, const AttachmentFile& f) {
    EntityQuery query(c.q, "SP.File", {});
    const std::string url = AttachmentUrl(l, id, f.name);
    const std::string path =
        "Web/GetFileByServerRelativePath(decodedurl='" + DoubleQuotes(url) + "')";
    const std::string etag = l.AttachmentETag(f);
    const int64_t modified = f.modified != 0 ? f.modified : l.created();
    const std::string unique = etag.substr(2, 36);  // "{guid},n" quoted
    EntityRow row{{"SP.File", c.WebUrl() + "/_api/" + path,
                   c.WebUrl() + "/_api/" + EscapePath(path), path, etag},
                  {{"CheckInComment", "\"\""},
                   {"ETag", JsonString(etag)},
                   {"Exists", "true"},
                   {"Length", JsonString(std::to_string(f.size))},
                   {"Name", JsonString(f.name)},
                   {"ServerRelativeUrl", JsonString(url)},
                   {"TimeCreated", JsonString(FormatIso(modified))},
                   {"TimeLastModified", JsonString(FormatIso(modified))},
                   {"UIVersion", std::to_string(512 * f.version)},
                   {"UIVersionLabel", JsonString(std::to_string(f.version) + ".0")},
                   {"UniqueId", JsonString(unique)}}};
    query.CheckSelect(row.props);
    std::string entity;
    AppendEntity(entity, c.req.fmt, row.meta, row.props, query.select(),
                 c.WebUrl() + "/_api/$metadata#SP.ApiData.Files12/@Element");
    Reply r;
    WrapSingle(r.body, c.req.fmt, entity);
    return r;
  });
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
  for (const char* file : {"web/GetFileByServerRelativeUrl({str})",
                           "web/GetFileByServerRelativePath(decodedurl={str})"}) {
    t.Add("GET", file, RequestKind::kFileInfo, Access::kShared, FileByUrl);
    t.Add("GET", std::string(file) + "/$value", RequestKind::kAttachments, Access::kShared,
          ValueByUrl);
  }
}

}  // namespace spsync::emulator::detail
