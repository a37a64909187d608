// The fields and item JSON columns of the two list templates, and schema
// changes: new fields (with SharePoint's internal-name encoding) and indexing.
#include <algorithm>
#include <stdexcept>

#include "model/synthetic_list.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// SharePoint's internal name for a field created from a title: every
// character other than ASCII letters, digits and '_' becomes _xHHHH_ (its
// UTF-16 code unit, lowercase hex), and the result is cut at 32 characters
// ("My Field" -> "My_x0020_Field"). So no quote, space or semicolon ever
// reaches an internal name or an item JSON key.
std::string EncodeInternalName(std::string_view name) {
  static const char* kHex = "0123456789abcdef";
  auto unit = [&](std::string& out, uint32_t u) {
    out += "_x";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(u >> shift) & 15]);
    out += '_';
  };
  std::string out;
  for (size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence (a stray byte stands for itself).
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xc0) {
      len = 2;
      cp = c & 0x1f;
    }
    if (len > 1 && i + len <= name.size()) {
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(name[i + k]) & 0x3f);
    } else {
      len = 1;
      cp = c;
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      unit(out, 0xd800 + (cp >> 10));
      unit(out, 0xdc00 + (cp & 0x3ff));
    } else {
      unit(out, cp);
    }
    i += len;
  }
  if (out.size() > 32) out.resize(32);
  return out;
}

}  // namespace

int FieldKindOf(std::string_view t) {
  static const std::pair<const char*, int> kKinds[] = {
      {"Integer", 1},      {"Text", 2},         {"Note", 3},           {"DateTime", 4},
      {"Counter", 5},      {"Choice", 6},       {"Lookup", 7},         {"Boolean", 8},
      {"Number", 9},       {"Currency", 10},    {"URL", 11},           {"Computed", 12},
      {"Guid", 14},        {"MultiChoice", 15}, {"Calculated", 17},    {"File", 18},
      {"Attachments", 19}, {"User", 20},        {"ContentTypeId", 25}, {"LookupMulti", 7},
      {"UserMulti", 20}};
  for (const auto& [name, kind] : kKinds)
    if (IEquals(name, t)) return kind;
  return -1;
}

void ListState::AddFieldDef(std::string internal, std::string type, bool hidden, bool read_only,
                            std::string entity) {
  FieldDef f;
  f.id = MakeGuid(Hash(seed_, internal), Hash(seed_ ^ 0x5f, internal));
  f.internal_name = internal;
  f.entity_name = entity.empty() ? internal : entity;
  f.title = internal;
  f.type_as_string = type;
  f.kind = FieldKindOf(type);
  f.hidden = hidden;
  f.read_only = read_only;
  f.from_base_type = read_only || hidden || internal == "Title";
  f.sealed = read_only;
  if (f.kind == 7) f.lookup_field = "Title";
  if (f.kind == 20) f.lookup_field = "ImnName";
  fields_.push_back(std::move(f));
}

void ListState::AddColumn(std::string key, std::string field, ValueShape shape, bool writable,
                          bool lookup) {
  columns_.push_back(Column{std::move(key), shape, writable, lookup, std::move(field)});
}

// The fields every list has, before and after the template's own.
void ListState::BuildGenericSchema() {
  AddFieldDef("ContentTypeId", "ContentTypeId", true, false);
  AddFieldDef("Title", "Text", false, false);
  fields_.back().required = true;
  AddFieldDef("_ModerationComments", "Note", true, true, "OData__ModerationComments");
  AddFieldDef("FileLeafRef", "File", true, false);
  AddFieldDef("Modified", "DateTime", false, true);
  AddFieldDef("Created", "DateTime", false, true);
  AddFieldDef("Author", "User", false, true);
  AddFieldDef("Editor", "User", false, true);
  AddFieldDef("_UIVersionString", "Text", false, true, "OData__UIVersionString");
  AddFieldDef("Attachments", "Attachments", false, false);
  AddFieldDef("GUID", "Guid", true, true);
  AddFieldDef("ID", "Counter", false, true);
  fields_.back().indexed = true;
  fields_.back().title = "ID";
  AddFieldDef("ContentType", "Computed", false, true);
  AddFieldDef("FSObjType", "Lookup", true, true);
  fields_.back().lookup_list = id_;  // a lookup into the list's own item table
  fields_.back().lookup_field = "FSType";
  AddFieldDef("owshiddenversion", "Integer", true, true);
  // The synthetic columns (a list made through REST has none of them).
  if (shape_.synthetic_columns) {
    AddFieldDef("Description", "Note", false, false);
    AddFieldDef("Amount", "Currency", false, false);
    AddFieldDef("Quantity", "Integer", false, false);
    AddFieldDef("Score", "Number", false, false);
    AddFieldDef("DueDate", "DateTime", false, false);
    AddFieldDef("Done", "Boolean", false, false);
    AddFieldDef("Status", "Choice", false, false);
    AddFieldDef("Tags", "MultiChoice", false, false);
    AddFieldDef("Customer", "Lookup", false, false);
    AddFieldDef("Owner", "User", false, false);
    AddFieldDef("Link", "URL", false, false);
  }

  // The order GenerateGeneric fills them in.
  AddColumn("FileSystemObjectType", "FSObjType");
  AddColumn("Id", "ID");
  AddColumn("ServerRedirectedEmbedUri", "");
  AddColumn("ServerRedirectedEmbedUrl", "");
  AddColumn("ID", "ID");
  AddColumn("ContentTypeId", "ContentTypeId");
  AddColumn("Title", "Title", ValueShape::kPlain, true);
  if (shape_.synthetic_columns) {
    AddColumn("Description", "Description", ValueShape::kPlain, true);
    AddColumn("Amount", "Amount", ValueShape::kPlain, true);
    AddColumn("Quantity", "Quantity", ValueShape::kPlain, true);
    AddColumn("Score", "Score", ValueShape::kPlain, true);
    AddColumn("DueDate", "DueDate", ValueShape::kPlain, true);
    AddColumn("Done", "Done", ValueShape::kPlain, true);
    AddColumn("Status", "Status", ValueShape::kPlain, true);
    AddColumn("Tags", "Tags", ValueShape::kStringArray, true);
    AddColumn("CustomerId", "Customer", ValueShape::kPlain, true, true);
    AddColumn("OwnerId", "Owner", ValueShape::kPlain, true, true);
    AddColumn("OwnerStringId", "Owner");
    AddColumn("Link", "Link", ValueShape::kUrl, true);
  }
  AddColumn("Modified", "Modified");
  AddColumn("Created", "Created");
  AddColumn("AuthorId", "Author", ValueShape::kPlain, false, true);
  AddColumn("EditorId", "Editor", ValueShape::kPlain, false, true);
  AddColumn("OData__UIVersionString", "_UIVersionString");
  AddColumn("Attachments", "Attachments");
  AddColumn("GUID", "GUID");
  FindStdColumns();
}

// The hidden User Information List (/_catalogs/users): one row per person.
void ListState::BuildUserInfoSchema() {
  AddFieldDef("ContentTypeId", "ContentTypeId", true, false);
  AddFieldDef("Title", "Text", false, false);
  fields_.back().required = true;
  fields_.back().title = "Name";
  AddFieldDef("Name", "Text", false, false);
  fields_.back().title = "Account";
  fields_.back().indexed = true;
  AddFieldDef("EMail", "Text", false, false);
  fields_.back().title = "Work e-mail";
  AddFieldDef("UserName", "Text", false, false);
  AddFieldDef("FirstName", "Text", false, false);
  AddFieldDef("LastName", "Text", false, false);
  AddFieldDef("JobTitle", "Text", false, false);
  AddFieldDef("Department", "Text", false, false);
  AddFieldDef("IsSiteAdmin", "Boolean", false, false);
  AddFieldDef("Modified", "DateTime", false, true);
  AddFieldDef("Created", "DateTime", false, true);
  AddFieldDef("Author", "User", false, true);
  AddFieldDef("Editor", "User", false, true);
  AddFieldDef("_UIVersionString", "Text", false, true, "OData__UIVersionString");
  AddFieldDef("Attachments", "Attachments", false, false);
  AddFieldDef("GUID", "Guid", true, true);
  AddFieldDef("ID", "Counter", false, true);
  fields_.back().indexed = true;
  AddFieldDef("ContentType", "Computed", false, true);
  AddFieldDef("FSObjType", "Lookup", true, true);
  fields_.back().lookup_list = id_;
  fields_.back().lookup_field = "FSType";

  // The order GenerateUser fills them in.
  AddColumn("FileSystemObjectType", "FSObjType");
  AddColumn("Id", "ID");
  AddColumn("ServerRedirectedEmbedUri", "");
  AddColumn("ServerRedirectedEmbedUrl", "");
  AddColumn("ID", "ID");
  AddColumn("ContentTypeId", "ContentTypeId");
  for (const char* text : {"Title", "Name", "EMail", "UserName", "FirstName", "LastName",
                           "JobTitle", "Department", "IsSiteAdmin"})
    AddColumn(text, text, ValueShape::kPlain, true);
  AddColumn("Modified", "Modified");
  AddColumn("Created", "Created");
  AddColumn("AuthorId", "Author", ValueShape::kPlain, false, true);
  AddColumn("EditorId", "Editor", ValueShape::kPlain, false, true);
  AddColumn("OData__UIVersionString", "_UIVersionString");
  AddColumn("Attachments", "Attachments");
  AddColumn("GUID", "GUID");
  FindStdColumns();
}

void ListState::FindStdColumns() {
  base_columns_ = columns_.size();
  std_.fs_type = ColumnIndex("FileSystemObjectType");
  std_.id = ColumnIndex("Id");
  std_.id2 = ColumnIndex("ID");
  std_.embed_uri = ColumnIndex("ServerRedirectedEmbedUri");
  std_.embed_url = ColumnIndex("ServerRedirectedEmbedUrl");
  std_.content_type = ColumnIndex("ContentTypeId");
  std_.modified = ColumnIndex("Modified");
  std_.created = ColumnIndex("Created");
  std_.author = ColumnIndex("AuthorId");
  std_.editor = ColumnIndex("EditorId");
  std_.version = ColumnIndex("OData__UIVersionString");
  std_.attachments = ColumnIndex("Attachments");
  std_.guid = ColumnIndex("GUID");
}

void ListState::AddField(std::string_view title, std::string_view type, int64_t now,
                         std::string_view lookup_list) {
  int kind = FieldKindOf(type);
  if (kind < 0) throw std::invalid_argument("unknown field type '" + std::string(type) + "'");
  std::string internal = EncodeInternalName(title);
  if (FindField(internal))
    throw std::invalid_argument("A duplicate field name \"" + internal + "\" was found.");
  AddFieldDef(internal, std::string(type), false, false,
              internal[0] == '_' ? "OData_" + internal : "");
  FieldDef& f = fields_.back();
  f.title = std::string(title);
  f.from_base_type = false;
  f.multi = IEquals(type, "LookupMulti") || IEquals(type, "UserMulti");
  if (kind == 7) f.lookup_list = std::string(lookup_list);
  const bool lookup = kind == 7 || kind == 20;
  ValueShape shape = kind == 15   ? ValueShape::kStringArray
                     : kind == 11 ? ValueShape::kUrl
                     : f.multi    ? ValueShape::kIntArray
                                  : ValueShape::kPlain;
  AddColumn(lookup ? f.entity_name + "Id" : f.entity_name, internal, shape, true, lookup);
  if (kind == 20)
    AddColumn(f.entity_name + "StringId", internal,
              f.multi ? ValueShape::kStringArray : ValueShape::kPlain);
  last_modified_ = std::max(last_modified_, now);
  ++schema_version_;
}

void ListState::SetFieldDetails(std::string_view internal, std::string title, bool required,
                                std::vector<std::string> choices, int64_t now) {
  for (auto& f : fields_)
    if (IEquals(f.internal_name, internal)) {
      if (!title.empty()) f.title = std::move(title);
      f.required = required;
      f.choices = std::move(choices);
      last_modified_ = std::max(last_modified_, now);
      ++schema_version_;
      return;
    }
  throw std::invalid_argument("no field '" + std::string(internal) + "'");
}

void ListState::SetIndexed(std::string_view name, bool indexed, int64_t now) {
  for (auto& f : fields_)
    if (IEquals(f.internal_name, name) || IEquals(f.entity_name, name) || IEquals(f.title, name)) {
      f.indexed = indexed || f.kind == 5;  // ID stays indexed
      last_modified_ = std::max(last_modified_, now);
      ++schema_version_;
      return;
    }
  throw std::invalid_argument("no field '" + std::string(name) + "'");
}

std::string ListState::LookupListOf(const FieldDef& f) const {
  if (f.kind == 20) return user_list_id_;
  if (f.kind != 7) return "";
  if (!f.lookup_list.empty()) return f.lookup_list;
  return lookup_target_ ? lookup_target_->id() : "";
}

void ListState::LinkLookups(const ListState* lookup_target, const std::string& user_list_id) {
  lookup_target_ = lookup_target;
  user_list_id_ = user_list_id;
}

}  // namespace spsync::emulator::detail
