// The emulator's REST surface: every area's routes, in one table.
#include "api/areas.hpp"

namespace spsync::emulator::detail {

const RouteTable& ApiRoutes() {
  static const RouteTable table = [] {
    RouteTable t;
    AddContextInfoRoutes(t);
    AddWebRoutes(t);
    AddListRoutes(t);
    AddListAdminRoutes(t);
    AddFieldRoutes(t);
    AddItemRoutes(t);
    AddAttachmentRoutes(t);
    AddVersionRoutes(t);
    AddGetItemsRoutes(t);
    AddChangeRoutes(t);
    AddRecycleBinRoutes(t);
    AddUserRoutes(t);
    AddWebhookRoutes(t);
    AddMigrationRoutes(t);
    AddBatchRoutes(t);
    return t;
  }();
  return table;
}

}  // namespace spsync::emulator::detail
