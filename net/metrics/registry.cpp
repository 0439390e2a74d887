#include "net/metrics/registry.hpp"

#include <charconv>
#include <cmath>

namespace overlayd::net::metrics {

namespace {

void append_labels(std::string& out, const labels& l, const char* extra_name = nullptr,
                   const std::string& extra_value = {}) {
  if (l.empty() && extra_name == nullptr)
    return;
  out += '{';
  bool first = true;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!first)
      out += ',';
    first = false;
    out.append(name);
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  };
  for (const auto& [name, value] : l)
    add(name, value);
  if (extra_name != nullptr)
    add(extra_name, extra_value);
  out += '}';
}

std::string number(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  // Shortest round trip, plain decimals where short (le="0.0001").
  auto end = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::general).ptr;
  return std::string(buffer, end);
}

void append_sample(std::string& out, std::string_view name, const labels& l,
                   const std::string& value, const char* extra_name = nullptr,
                   const std::string& extra_value = {}) {
  out.append(name);
  append_labels(out, l, extra_name, extra_value);
  out += ' ';
  out += value;
  out += '\n';
}

} // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

metric_sink::family& metric_sink::family_of(std::string_view name, std::string_view help,
                                           const char* type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    order_.emplace_back(name);
    it = families_.emplace(std::string(name), family{std::string(help), type, {}}).first;
  }
  return it->second;
}

void metric_sink::counter(std::string_view name, std::string_view help, const labels& l,
                          std::uint64_t value) {
  append_sample(family_of(name, help, "counter").samples, name, l, std::to_string(value));
}

void metric_sink::gauge(std::string_view name, std::string_view help, const labels& l,
                        double value) {
  append_sample(family_of(name, help, "gauge").samples, name, l, number(value));
}

void metric_sink::histogram(std::string_view name, std::string_view help, const labels& l,
                            const histogram_snapshot& h) {
  auto& samples = family_of(name, help, "histogram").samples;
  std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < latency_bounds.size(); ++i)
    append_sample(samples, bucket, l, std::to_string(h.cumulative[i]), "le",
                  number(latency_bounds[i]));
  append_sample(samples, bucket, l, std::to_string(h.count), "le", "+Inf");
  append_sample(samples, std::string(name) + "_sum", l, number(h.sum_seconds));
  append_sample(samples, std::string(name) + "_count", l, std::to_string(h.count));
}

std::string metric_sink::text() const {
  std::string out;
  for (const auto& name : order_) {
    const auto& f = families_.at(name);
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    out += f.samples;
  }
  return out;
}

void registry::add(collector c) {
  std::lock_guard<std::mutex> guard(mutex_);
  collectors_.push_back(std::move(c));
}

std::string registry::expose() {
  metric_sink sink;
  std::lock_guard<std::mutex> guard(mutex_);
  for (auto it = collectors_.begin(); it != collectors_.end();) {
    if ((*it)(sink))
      ++it;
    else
      it = collectors_.erase(it);
  }
  return sink.text();
}

} // namespace overlayd::net::metrics
