// Where the S3 sink puts things and how its objects are encoded: gzip,
// part keys and their sequence numbers, the record head the replay reads
// without parsing the item.
//
//   <prefix><entity>/data/yyyy/mm/dd/part-<seq>.ndjson[.gz]   item records
//   <prefix><entity>/versions/part-<seq>.ndjson[.gz]           version records
//   <prefix><entity>/attachments/log/part-<seq>.ndjson[.gz]    attachment records
//   <prefix><entity>/attachments/files/<seq>/<id>/<name>       attachment bytes
//   <prefix><entity>/schema/<seq>.json                         the schema
//   <prefix><entity>/_state.json (and _state.next.json)        the commit
//
// Every object but the state carries the sequence number of the persist
// that commits it (8 digits); the state's committedSeq is the highest. The
// new folders start with the number, so the objects of a session that died
// are found with one listing that starts after the committed number.
//
// Thread safety: pure functions.
#ifndef SPSYNC_SINKS_S3_S3_LAYOUT_HPP_
#define SPSYNC_SINKS_S3_S3_LAYOUT_HPP_

#include <spsync/sink.hpp>

#include <string>
#include <string_view>

namespace spsync::s3 {

std::string Gzip(std::string_view in);
std::string Gunzip(std::string_view in);
std::string Iso8601Now();

// The sequence number in ".../part-00000042.ndjson[.gz]", or -1.
long long PartSeq(const std::string& key);

// The records are written by this sink with "op" and "id" first, so the
// snapshot replay reads them from the line head instead of parsing the whole
// item (which is most of the line).
bool RecordHead(std::string_view line, bool* is_delete, long long* id);

// "00000042".
std::string Pad8(long long seq);
// The number right after `prefix` in `key` ("<prefix>00000042..."), or -1.
long long SeqAfter(const std::string& key, const std::string& prefix);

}  // namespace spsync::s3

#endif  // SPSYNC_SINKS_S3_S3_LAYOUT_HPP_
