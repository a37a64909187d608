// The CSV sink's snapshot (spsync snapshot): snapshot.csv in the entity
// folder, header `id,<fields>` (the newest file's fields, then fields only
// older files had), one row per live item in ID order with its latest cells,
// replayed from change files 1..file_index (the last up to `offset` bytes).
// Memory: about 40 bytes per live item; rows are re-read from the mapped
// files. Written to a temporary file, fsynced and renamed.
//
// Thread safety: a pure function of the files.
#ifndef SPSYNC_SINKS_CSV_CSV_SNAPSHOT_HPP_
#define SPSYNC_SINKS_CSV_CSV_SNAPSHOT_HPP_

#include <cstdint>
#include <string>

namespace spsync::csv {

// Returns the snapshot's path. Throws Fatal on I/O errors.
std::string WriteSnapshot(const std::string& folder, uint32_t file_index, uint64_t offset,
                          char delim);

}  // namespace spsync::csv

#endif  // SPSYNC_SINKS_CSV_CSV_SNAPSHOT_HPP_
