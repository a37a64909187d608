// One registration function per SharePoint area; api/routes.cpp calls them
// all to build the route table. A new area is a new file and a line there.
#pragma once

#include "api/router.hpp"

namespace spsync::emulator::detail {

void AddContextInfoRoutes(RouteTable& t);  // api/context_info.cpp
void AddListRoutes(RouteTable& t);         // api/lists.cpp
void AddListAdminRoutes(RouteTable& t);    // api/list_admin.cpp
void AddWebRoutes(RouteTable& t);          // api/webs.cpp
void AddFieldRoutes(RouteTable& t);        // api/fields.cpp
void AddItemRoutes(RouteTable& t);         // api/items.cpp
void AddGetItemsRoutes(RouteTable& t);     // api/get_items.cpp
void AddChangeRoutes(RouteTable& t);       // api/changes.cpp
void AddRecycleBinRoutes(RouteTable& t);   // api/recycle_bin.cpp
void AddUserRoutes(RouteTable& t);         // api/users.cpp
void AddWebhookRoutes(RouteTable& t);      // api/webhooks.cpp
void AddMigrationRoutes(RouteTable& t);    // api/migration.cpp
void AddAttachmentRoutes(RouteTable& t);   // api/attachments.cpp
void AddVersionRoutes(RouteTable& t);      // api/versions.cpp
void AddBatchRoutes(RouteTable& t);        // api/batch.cpp

}  // namespace spsync::emulator::detail
