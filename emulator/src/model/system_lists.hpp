// What SharePoint puts in every web besides the user's lists (libraries,
// galleries, hidden system lists), and the shape of a list a user creates.
// Pure functions over constant tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/synthetic_list.hpp"

namespace spsync::emulator::detail {

struct SystemList {
  std::string title;
  ListShape shape;
};

// SharePoint's own lists of a web (root_web: a site collection's root web,
// which also has the galleries and the User Information List). The values
// and which ones are guesses: emulator/README.md.
std::vector<SystemList> SystemListsOf(bool root_web);

// The shape of a list created by a user or a client: a generic list (or any
// non-library template) lives at Lists/<title without spaces>, a library at
// <title without spaces> ("Documents" at "Shared Documents").
ListShape UserListShape(std::string_view title, int base_template, bool hidden,
                        std::string description);

// BaseType of a template: 1 for the document library templates, else 0.
int BaseTypeOf(int base_template);

}  // namespace spsync::emulator::detail
