#include "spsync/engine/export/export_state.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace spsync::engine {

void EncodeExportJob(const ExportJobState& s, Poco::JSON::Object& o) {
  o.set("jobId", s.job_id);
  o.set("key", s.key_b64);
  o.set("containerUrl", s.container_url);
  o.set("queueUrl", s.queue_url);
  o.set("created", s.created_unix);
  Poco::JSON::Array manifests;
  for (const auto& m : s.manifests) manifests.add(m);
  o.set("manifests", manifests);
  o.set("done", s.done);
  o.set("itemPos", s.item_pos);
  o.set("ended", s.ended);
  o.set("errors", s.errors);
  o.set("expected", s.expected);
  o.set("progressToken", s.progress_token);
  o.set("restReason", s.rest_reason);
}

ExportJobState DecodeExportJob(const Poco::JSON::Object& o) {
  ExportJobState s;
  s.job_id = o.optValue<std::string>("jobId", "");
  s.key_b64 = o.optValue<std::string>("key", "");
  s.container_url = o.optValue<std::string>("containerUrl", "");
  s.queue_url = o.optValue<std::string>("queueUrl", "");
  s.created_unix = o.optValue<int64_t>("created", 0);
  if (auto m = o.getArray("manifests"); !m.isNull())
    for (size_t i = 0; i < m->size(); ++i)
      s.manifests.push_back(m->getElement<std::string>(static_cast<unsigned>(i)));
  s.done = o.optValue<int64_t>("done", 0);
  s.item_pos = o.optValue<int64_t>("itemPos", 0);
  s.ended = o.optValue<bool>("ended", false);
  s.errors = o.optValue<int64_t>("errors", 0);
  s.expected = o.optValue<int64_t>("expected", 0);
  s.progress_token = o.optValue<std::string>("progressToken", "0");
  s.rest_reason = o.optValue<std::string>("restReason", "");
  return s;
}

}  // namespace spsync::engine
