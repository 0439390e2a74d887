// Must compile: messages/ using the base layer below it (the probes' control).
#include "net/base/result.hpp"

int layer_probe_control() {
  return overlayd::result<int>(1).ok() ? 0 : 1;
}
