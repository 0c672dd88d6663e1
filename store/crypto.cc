#include "store/crypto.h"

#include <cstdlib>
#include <cstring>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace trustcoach::server {
namespace {

constexpr size_t kIdBytes = 16;     // 128 bits
constexpr size_t kTokenBytes = 32;  // 256 bits
constexpr size_t kSeedBytes = 8;

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
  // SHA256() looks the algorithm up on every call in OpenSSL 3, and
  // EVP_Digest() makes and frees a context per call: the algorithm is
  // fetched once, and each thread keeps one context, reset per digest.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>
      context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (sha256 == nullptr || context == nullptr ||
      EVP_DigestInit_ex2(context.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, nullptr) != 1) {
    std::abort();
  }
}

std::string IdFrom(const unsigned char* bytes) { return Hex(bytes, kIdBytes); }

// base64url without padding: the 256 bits and a zero byte are 44
// characters, the last of which carries only the zero byte.
std::string TokenFrom(const unsigned char* random) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char bytes[kTokenBytes + 1];
  std::memcpy(bytes, random, kTokenBytes);
  bytes[kTokenBytes] = 0;
  std::string out(44, '\0');
  size_t at = 0;
  for (size_t i = 0; i < sizeof(bytes); i += 3) {
    const uint32_t group = (uint32_t{bytes[i]} << 16) |
                           (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) {
      out[at++] = kAlphabet[(group >> shift) & 0x3f];
    }
  }
  out.resize(43);
  return out;
}

uint64_t SeedFrom(const unsigned char* bytes) {
  uint64_t seed = 0;
  std::memcpy(&seed, bytes, kSeedBytes);
  return seed;
}

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

uint64_t ReadLittleEndian64(const unsigned char* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

void WriteLittleEndian64(uint64_t value, unsigned char* p) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<unsigned char>(value >> (8 * i));
}

struct SipState {
  uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
  void Finish() {
    Round();
    Round();
    Round();
    Round();
  }
  uint64_t Fold() const { return v0 ^ v1 ^ v2 ^ v3; }
};

}  // namespace

std::string NewConversationId() {
  unsigned char bytes[kIdBytes];
  RandomBytes(bytes, sizeof(bytes));
  return IdFrom(bytes);
}

std::string NewToken() {
  unsigned char bytes[kTokenBytes];
  RandomBytes(bytes, sizeof(bytes));
  return TokenFrom(bytes);
}

uint64_t NewSeed() {
  unsigned char bytes[kSeedBytes];
  RandomBytes(bytes, sizeof(bytes));
  return SeedFrom(bytes);
}

ConversationSecrets NewConversationSecrets() {
  unsigned char bytes[kIdBytes + kTokenBytes + kSeedBytes];
  RandomBytes(bytes, sizeof(bytes));
  return ConversationSecrets{.id = IdFrom(bytes),
                             .token = TokenFrom(bytes + kIdBytes),
                             .seed = SeedFrom(bytes + kIdBytes + kTokenBytes)};
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

void SipHash24(const std::array<uint64_t, 2>& key, std::string_view data,
               unsigned char* out, size_t out_size) {
  const uint64_t k0 = key[0];
  const uint64_t k1 = key[1];
  SipState s{0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
             0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1};
  const bool wide = out_size == 16;
  if (wide) s.v1 ^= 0xee;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const size_t size = data.size();
  const size_t whole = size - size % 8;
  for (size_t i = 0; i < whole; i += 8)
    s.Compress(ReadLittleEndian64(bytes + i));
  uint64_t last = static_cast<uint64_t>(size) << 56;
  for (size_t i = whole; i < size; ++i) {
    last |= static_cast<uint64_t>(bytes[i]) << (8 * (i - whole));
  }
  s.Compress(last);
  s.v2 ^= wide ? 0xee : 0xff;
  s.Finish();
  WriteLittleEndian64(s.Fold(), out);
  if (!wide) return;
  s.v1 ^= 0xdd;
  s.Finish();
  WriteLittleEndian64(s.Fold(), out + 8);
}

TokenTag KeyedTokenTag(std::string_view token) {
  static const std::array<uint64_t, 2> key = [] {
    unsigned char bytes[16];
    RandomBytes(bytes, sizeof(bytes));
    return std::array<uint64_t, 2>{ReadLittleEndian64(bytes),
                                   ReadLittleEndian64(bytes + 8)};
  }();
  TokenTag tag;
  SipHash24(key, token, tag.data(), tag.size());
  return tag;
}

bool TagEquals(const TokenTag& a, const TokenTag& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char digest_a[SHA256_DIGEST_LENGTH];
  unsigned char digest_b[SHA256_DIGEST_LENGTH];
  Sha256(a, digest_a);
  Sha256(b, digest_b);
  return CRYPTO_memcmp(digest_a, digest_b, SHA256_DIGEST_LENGTH) == 0;
}

}  // namespace trustcoach::server
