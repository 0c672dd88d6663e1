#include "store/crypto.h"

#include <cstdlib>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace trustcoach::server {
namespace {

void RandomBytes(unsigned char* out, int size) {
  if (RAND_bytes(out, size) != 1) std::abort();
}

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

void Sha256(std::string_view data, unsigned char* digest) {
  // SHA256() looks the algorithm up on every call in OpenSSL 3 (most of its
  // cost for short input, three times per authorised request); fetch once.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (sha256 == nullptr || EVP_Digest(data.data(), data.size(), digest, nullptr,
                                      sha256, nullptr) != 1) {
    std::abort();
  }
}

}  // namespace

std::string NewConversationId() {
  unsigned char bytes[16];
  RandomBytes(bytes, sizeof(bytes));
  return Hex(bytes, sizeof(bytes));
}

std::string NewToken() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char bytes[33];  // 264 bits: a multiple of 6, no padding
  RandomBytes(bytes, 32);
  bytes[32] = 0;
  std::string out;
  for (size_t i = 0; i < 33; i += 3) {
    const uint32_t group = (uint32_t{bytes[i]} << 16) |
                           (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) {
      out += kAlphabet[(group >> shift) & 0x3f];
    }
  }
  out.resize(43);  // the last char only carried the zero padding byte
  return out;
}

uint64_t NewSeed() {
  unsigned char bytes[8];
  RandomBytes(bytes, sizeof(bytes));
  uint64_t seed = 0;
  std::memcpy(&seed, bytes, sizeof(seed));
  return seed;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  Sha256(data, digest);
  return Hex(digest, sizeof(digest));
}

bool DigestEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char digest_a[SHA256_DIGEST_LENGTH];
  unsigned char digest_b[SHA256_DIGEST_LENGTH];
  Sha256(a, digest_a);
  Sha256(b, digest_b);
  return CRYPTO_memcmp(digest_a, digest_b, SHA256_DIGEST_LENGTH) == 0;
}

}  // namespace trustcoach::server
