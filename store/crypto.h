#pragma once

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

// Whether `a` equals `b`, in time independent of where they differ: both are
// hashed, then the digests compared with CRYPTO_memcmp.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace trustcoach::server
