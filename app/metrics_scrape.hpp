// metrics_scrape: `overlayctl metrics` reads the daemon's /metrics (plain
// HTTP to the address given to --metrics-listen) and parses the text
// format's samples for a human summary.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "net/base/result.hpp"

namespace overlayd::app {

struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// `at` is ADDR:PORT or http://ADDR:PORT[/metrics]. The body of the answer.
result<std::string> fetch_metrics(const std::string& at);

// Sample lines of the exposition text (comments skipped; label values
// unescaped).
std::vector<sample> parse_samples(const std::string& text);

// The summary overlayctl prints: requests by op, connections, per peer
// transfer and handshake age, drops, pools.
std::string summarize(const std::vector<sample>& samples);

} // namespace overlayd::app
