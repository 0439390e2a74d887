#!/usr/bin/python3
"""Scrapes an overlayd /metrics endpoint and parses it with Prometheus' own
text parser (python3-prometheus-client), so a format error fails here.
Prints one sample per line: name|label=value,...|value (labels sorted), then
the raw text after a line '#raw' for checks on the whole exposition."""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        print(f"{sample.name}|{labels}|{sample.value!r}")
print("#raw")
print(text, end="")
