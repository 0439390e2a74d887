// The metrics registry's text exposition and the scrape endpoint's answers.
#include <catch2/catch.hpp>

#include "app/metrics_scrape.hpp"
#include "app/uapi_transfer.hpp"
#include "net/metrics/latency_histogram.hpp"
#include "net/metrics/published_gauges.hpp"
#include "net/metrics/registry.hpp"
#include "platform/metrics_http_server.hpp"

namespace metrics = overlayd::net::metrics;

TEST_CASE("metrics: a family's samples stay together whoever reports them", "[metrics]") {
  metrics::registry registry;
  for (const char* device : {"wg0", "wg1"})
    registry.add([device](metrics::metric_sink& sink) {
      sink.counter("x_total", "X.", {{"device", device}}, 1);
      sink.gauge("y", "Y.", {{"device", device}}, 2.5);
      return true;
    });
  CHECK(registry.expose() == "# HELP x_total X.\n"
                             "# TYPE x_total counter\n"
                             "x_total{device=\"wg0\"} 1\n"
                             "x_total{device=\"wg1\"} 1\n"
                             "# HELP y Y.\n"
                             "# TYPE y gauge\n"
                             "y{device=\"wg0\"} 2.5\n"
                             "y{device=\"wg1\"} 2.5\n");
}

TEST_CASE("metrics: a collector whose source is gone is dropped", "[metrics]") {
  metrics::registry registry;
  int calls = 0;
  registry.add([&calls](metrics::metric_sink&) { return ++calls < 2; });
  registry.expose();
  registry.expose();
  registry.expose();
  CHECK(calls == 2);
}

TEST_CASE("metrics: label values are escaped", "[metrics]") {
  CHECK(metrics::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  metrics::metric_sink sink;
  sink.gauge("g", "G.", {{"name", "x\ny"}}, 1);
  CHECK(sink.text().find("g{name=\"x\\ny\"} 1\n") != std::string::npos);
}

TEST_CASE("metrics: histograms are cumulative with +Inf, sum and count", "[metrics]") {
  metrics::latency_histogram h;
  h.observe(std::chrono::microseconds(50));   // <= 0.0001
  h.observe(std::chrono::milliseconds(3));    // <= 0.005
  h.observe(std::chrono::seconds(60));        // only +Inf
  auto s = h.snapshot();
  CHECK(s.count == 3);
  CHECK(s.cumulative.front() == 1);
  CHECK(s.cumulative.back() == 2);
  CHECK(s.sum_seconds == Approx(60.00305));
  metrics::metric_sink sink;
  sink.histogram("d_seconds", "D.", {{"op", "status"}}, s);
  auto text = sink.text();
  CHECK(text.find("d_seconds_bucket{op=\"status\",le=\"0.0001\"} 1\n") != std::string::npos);
  CHECK(text.find("d_seconds_bucket{op=\"status\",le=\"0.005\"} 2\n") != std::string::npos);
  CHECK(text.find("d_seconds_bucket{op=\"status\",le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("d_seconds_count{op=\"status\"} 3\n") != std::string::npos);
}

TEST_CASE("metrics: published gauges replace what was there", "[metrics]") {
  metrics::published_gauges board;
  board.publish({{"free", "Free.", {{"pool", "a"}}, 3}, {"t_total", "T.", {}, 7, true}});
  board.publish({{"free", "Free.", {{"pool", "b"}}, 4}});
  metrics::metric_sink sink;
  board.collect(sink);
  CHECK(sink.text() == "# HELP free Free.\n# TYPE free gauge\nfree{pool=\"b\"} 4\n");
}

TEST_CASE("metrics endpoint: /metrics only, GET and HEAD only", "[metrics]") {
  auto render = [] { return std::string("m 1\n"); };
  using overlayd::platform::answer_http_request;
  auto ok = answer_http_request("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", render);
  CHECK(ok.status == 200);
  CHECK(ok.body == "m 1\n");
  CHECK(overlayd::platform::serialize(ok)
        == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
           "Content-Length: 4\r\nConnection: close\r\n\r\nm 1\n");
  auto head = answer_http_request("HEAD /metrics HTTP/1.1\r\n\r\n", render);
  CHECK(overlayd::platform::serialize(head).find("m 1") == std::string::npos);
  CHECK(answer_http_request("GET / HTTP/1.1\r\n\r\n", render).status == 404);
  CHECK(answer_http_request("POST /metrics HTTP/1.1\r\n\r\n", render).status == 405);
  CHECK(answer_http_request("garbage\r\n\r\n", render).status == 400);
}

TEST_CASE("overlayctl reads transfer from a UAPI answer and samples from /metrics",
          "[metrics]") {
  auto t = overlayd::app::parse_transfer("private_key=aa\nlisten_port=1\npublic_key=bb\n"
                                         "rx_bytes=10\ntx_bytes=20\npublic_key=cc\n"
                                         "tx_bytes=5\nerrno=0\n\n");
  REQUIRE(t.size() == 2);
  CHECK(t["bb"].rx_bytes == 10);
  CHECK(t["bb"].tx_bytes == 20);
  CHECK(t["cc"].tx_bytes == 5);
  CHECK(t.count("aa") == 0);
  auto samples = overlayd::app::parse_samples(
    "# HELP x X.\nx_total{op=\"a\\\"b\",result=\"ok\"} 3\ny 2.5\n");
  REQUIRE(samples.size() == 2);
  CHECK(samples[0].name == "x_total");
  CHECK(samples[0].labels.at("op") == "a\"b");
  CHECK(samples[0].value == 3);
  CHECK(samples[1].name == "y");
  CHECK(samples[1].value == 2.5);
}
