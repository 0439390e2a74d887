#include "net/wireguard/openssl_aead.hpp"

#include <openssl/evp.h>

#include <climits>
#include <cstdlib>
#include <cstring>

namespace overlayd::net::wg {

namespace {

constexpr int tag_size = 16;

struct thread_context {
  explicit thread_context(bool encrypting) : ctx(EVP_CIPHER_CTX_new()) {
    EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
    // Without the cipher nothing could be sealed or opened safely: that
    // is a broken installation, not bad input.
    if (ctx == nullptr || cipher == nullptr
        || EVP_CipherInit_ex2(ctx, cipher, nullptr, nullptr, encrypting ? 1 : 0, nullptr) != 1)
      std::abort();
    EVP_CIPHER_free(cipher);
  }
  ~thread_context() { EVP_CIPHER_CTX_free(ctx); }
  thread_context(const thread_context&) = delete;
  thread_context& operator=(const thread_context&) = delete;

  // Setting the same key again costs a provider call; a thread mostly
  // serves one session after another, so the last key is remembered.
  const std::uint8_t* nonce_and_key(const key32& key) {
    if (keyed && key == current_key)
      return nullptr;
    current_key = key;
    keyed = true;
    return current_key.data();
  }

  EVP_CIPHER_CTX* ctx;
  key32 current_key{};
  bool keyed = false;
};

thread_context& sealing_context() {
  thread_local thread_context context(true);
  return context;
}

thread_context& opening_context() {
  thread_local thread_context context(false);
  return context;
}

// OpenSSL counts in int; a datagram is far below that.
int int_length(std::size_t len) {
  if (len > static_cast<std::size_t>(INT_MAX))
    std::abort();
  return static_cast<int>(len);
}

} // namespace

void openssl_seal(const key32& key, const std::uint8_t* nonce, std::uint8_t* data,
                  std::size_t len, std::uint8_t* tag_out) noexcept {
  thread_context& context = sealing_context();
  EVP_CIPHER_CTX* ctx = context.ctx;
  int out = 0;
  const bool sealed =
    EVP_EncryptInit_ex2(ctx, nullptr, context.nonce_and_key(key), nonce, nullptr) == 1
    && EVP_EncryptUpdate(ctx, data, &out, data, int_length(len)) == 1
    && EVP_EncryptFinal_ex(ctx, data + len, &out) == 1
    && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag_size, tag_out) == 1;
  if (!sealed) // cannot happen with a valid context; never send what failed
    std::abort();
}

bool openssl_open(const key32& key, const std::uint8_t* nonce, std::uint8_t* data,
                  std::size_t len, const std::uint8_t* tag) noexcept {
  thread_context& context = opening_context();
  EVP_CIPHER_CTX* ctx = context.ctx;
  std::uint8_t expected[tag_size];
  std::memcpy(expected, tag, tag_size); // the tag may sit right after `data`
  int out = 0;
  const bool authentic =
    EVP_DecryptInit_ex2(ctx, nullptr, context.nonce_and_key(key), nonce, nullptr) == 1
    && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_size, expected) == 1
    && EVP_DecryptUpdate(ctx, data, &out, data, int_length(len)) == 1
    && EVP_DecryptFinal_ex(ctx, data + len, &out) == 1;
  if (!authentic && len > 0) // an empty message may come with no buffer at all
    std::memset(data, 0, len);
  return authentic;
}

} // namespace overlayd::net::wg
