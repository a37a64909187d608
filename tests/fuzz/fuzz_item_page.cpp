// libFuzzer: an item page as SharePoint returns it (nometadata `value`,
// verbose `d.results`, next links), parsed for a schema with every value type.
#include <cstddef>
#include <cstdint>
#include <string>

#include "spsync/engine/sharepoint/item_page.hpp"
#include "spsync/engine/sharepoint/schema.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

using namespace spsync::engine;

namespace {
const EntitySchema& Schema() {
  static EntitySchema* s = [] {
    std::vector<SchemaField> fields;
    struct F {
      const char* name;
      const char* type;
      bool multi;
    };
    for (F f :
         {F{"Title", "Text", false}, F{"Amount", "Currency", false},
          F{"Quantity", "Integer", false}, F{"Score", "Number", false}, F{"Done", "Boolean", false},
          F{"DueDate", "DateTime", false}, F{"Tags", "MultiChoice", false},
          F{"Customer", "Lookup", false}, F{"Owners", "UserMulti", true}, F{"Link", "URL", false},
          F{"Notes", "Note", false}}) {
      ListField lf;
      lf.internal_name = f.name;
      lf.entity_name = f.name;
      lf.title = f.name;
      lf.type = f.type;
      lf.multi = f.multi;
      fields.push_back(MapField(lf));
    }
    return new EntitySchema("orders", "6f1c2b3a-1111-2222-3333-9c0d1e2f3a4b", "Orders",
                            std::move(fields));
  }();
  return *s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ItemPageParser parser(Schema());
  ItemPage page;
  page.body.assign(reinterpret_cast<const char*>(data), size);
  try {
    parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
  } catch (const MalformedBody&) {
    return 0;
  }
  // Touch what the sinks will read: every view must be inside the body.
  size_t sum = page.next_link.size();
  for (const auto& it : page.items) sum += it.raw_json.len + static_cast<size_t>(it.id & 1);
  for (const auto& v : page.values) sum += static_cast<size_t>(v.type);
  return sum == 0x7fffffff ? 1 : 0;
}
