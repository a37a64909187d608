// One REST exchange as the API areas see it, independent of the HTTP server
// (so a $batch part can be served like a request). Plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odata/atom.hpp"
#include "odata/format.hpp"
#include "spsync/emulator/emulator.hpp"

namespace spsync::emulator::detail {

struct Request {
  std::string method;     // upper case, after X-HTTP-Method tunnelling
  std::string path;       // percent-decoded, relative to the web's "/_api/"
  std::string raw_path;   // the whole request path as sent (next links are built from it)
  std::string raw_query;  // as sent, without the '?'
  std::string body;
  bool verbose_body = false;  // Content-Type says odata=verbose
  Negotiated fmt;
  std::string if_match;
  std::string content_type;  // as sent ($batch reads its boundary there)
};

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type;  // "" = the negotiated format's
  std::vector<std::pair<std::string, std::string>> headers;
  // List items in the answer: what the latency model's per-item cost counts.
  int64_t items = 0;
  // A file's bytes (attachments: up to hundreds of MB) are not put in `body`
  // but written to the connection by `stream` after the locks are released:
  // `stream_length` bytes in all, of which stream(os, n) writes the first n.
  // It owns what it reads (shared bytes or a synthetic file's key).
  std::function<void(std::ostream& os, int64_t n)> stream;
  int64_t stream_length = -1;
  // For an Atom answer: the EDM types of the top-level entities' properties
  // (items know their fields); empty: inferred from the values.
  AtomTypeHint atom_hint;
  // A $batch answer (api/batch.cpp) takes the sum of its parts' latencies,
  // which replaces the model's for `items` (-1: not a batch), and carries a
  // connection fault (reset, truncate, html, slow) one of its parts drew,
  // which the whole answer suffers, as its parts share one connection.
  int64_t latency_us = -1;
  FaultKind connection_fault = FaultKind::kNone;
};

// SharePoint's error answer in the negotiated format.
Reply ErrorReply(const Negotiated& fmt, int status, std::string_view code,
                 std::string_view message);

}  // namespace spsync::emulator::detail
