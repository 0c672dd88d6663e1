#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace trustcoach::server {

// All randomness comes from OpenSSL's RAND_bytes (a CSPRNG). Each function
// aborts the process if the generator fails, which OpenSSL reports only when
// it cannot seed itself.

// A conversation id: 128 random bits as 32 lowercase hex digits.
std::string NewConversationId();

// A bearer token: 256 random bits, base64url without padding (43 chars).
std::string NewToken();

// A seed for the engine's reply variants.
uint64_t NewSeed();

// What a new conversation needs, from one RAND_bytes call (each call has a
// fixed cost of several thousand instructions): an id as NewConversationId()
// makes, a token as NewToken() makes, and a seed as NewSeed() makes.
struct ConversationSecrets {
  std::string id;
  std::string token;
  uint64_t seed = 0;
};
ConversationSecrets NewConversationSecrets();

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Whether two digests (such as Sha256Hex() outputs, whose length is public)
// are equal, in time independent of where they differ.
bool DigestEquals(std::string_view a, std::string_view b);

// A 128-bit tag of a bearer token, keyed with a random key made once per
// process: SipHash-2-4 with 128-bit output, about a tenth of SHA-256's cost.
// Only for checking a token against a tag this process made from it (the
// memory store keeps it beside the SHA-256); nothing outside the process
// ever sees a tag, and without the key none can be forged or matched.
using TokenTag = std::array<unsigned char, 16>;
TokenTag KeyedTokenTag(std::string_view token);

// Whether two tags are equal, in time independent of where they differ.
bool TagEquals(const TokenTag& a, const TokenTag& b);

// SipHash-2-4 of `data` under the 128-bit `key` (k0, k1 as the reference
// implementation reads them, little-endian), with a 64- or 128-bit output
// (`out_size` 8 or 16) written to `out`. For KeyedTokenTag() and its tests.
void SipHash24(const std::array<uint64_t, 2>& key, std::string_view data,
               unsigned char* out, size_t out_size);

// Whether `a` equals `b`, in time independent of where they differ: both are
// hashed, then the digests compared with CRYPTO_memcmp.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace trustcoach::server
