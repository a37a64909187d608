// OData v3 $batch (POST {web}/_api/$batch; api/batch.cpp): the parts of a
// batch are served one by one through the route table like requests.
#pragma once

#include "api/router.hpp"

namespace spsync::emulator::detail {

// Whether the front end matched $batch: its parts are charged to the budget
// one by one, so the envelope itself is not.
bool IsBatch(const RouteTable::Match& match);

}  // namespace spsync::emulator::detail
