// overlayd-crypto-threads: how sealing batches scales over threads
// (crypto_workers, as --threads uses them): batches of 64 packets of 1420
// bytes sealed with the data path's AEAD on 1, 2, ... threads, in GB/s,
// and 16 packets of 1024 bytes, just over the size a batch is split from. Run by hand on an otherwise idle machine; prints figures,
// asserts nothing.
//
//   overlayd-crypto-threads [max threads] [batches]   (default: the cores, 20000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "net/wireguard/crypto_workers.hpp"
#include "net/wireguard/transport_crypto.hpp"

using namespace overlayd::net::wg;

namespace {

double seal_rate(unsigned threads, std::size_t batch, std::size_t size, int batches) {
  crypto_workers workers(threads);
  std::vector<std::vector<std::uint8_t>> packets(batch, std::vector<std::uint8_t>(size + 16));
  key32 key{};
  key[0] = 7;
  std::uint64_t counter = 0;
  auto work = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      seal(key, counter + i, packets[i].data(), size, packets[i].data() + size);
  };
  auto start = std::chrono::steady_clock::now();
  for (int b = 0; b < batches; ++b) {
    workers.run(batch, batch * size, work);
    counter += batch;
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return static_cast<double>(batch * size) * batches / took.count() / 1e9;
}

} // namespace

int main(int argc, char** argv) {
  unsigned max_threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1]))
                                  : std::max(1u, std::thread::hardware_concurrency());
  int batches = argc > 2 ? std::atoi(argv[2]) : 20000;
  std::printf("AEAD %s, %d batches each\n", transport_aead_name(), batches);
  std::printf("%-8s %-24s %-24s\n", "threads", "64 x 1420 B (GB/s)", "16 x 1024 B (GB/s)");
  for (unsigned t = 1; t <= max_threads; ++t)
    std::printf("%-8u %-24.2f %-24.2f\n", t, seal_rate(t, 64, 1420, batches),
                seal_rate(t, 16, 1024, batches));
}
