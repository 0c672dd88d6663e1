#include "store/crypto.h"

#include <set>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

namespace trustcoach::server {
namespace {

bool AllOf(std::string_view text, std::string_view alphabet) {
  return text.find_first_not_of(alphabet) == std::string_view::npos;
}

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST_CASE("Sha256Hex gives the standard digests, call after call",
          "[server][crypto]") {
  // FIPS 180-2's examples; each twice, since the context is reused.
  for (int round = 0; round < 2; ++round) {
    CHECK(Sha256Hex("") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(Sha256Hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(
        Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  }
  // From other threads, each with its own context.
  std::string other;
  std::thread([&] { other = Sha256Hex("abc"); }).join();
  CHECK(other == Sha256Hex("abc"));
  CHECK(ConstantTimeEquals("token", "token"));
  CHECK_FALSE(ConstantTimeEquals("token", "tokem"));
}

std::string HexOf(const unsigned char* bytes, size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHexDigits[bytes[i] >> 4];
    out += kHexDigits[bytes[i] & 0xf];
  }
  return out;
}

TEST_CASE("SipHash24 gives the reference vectors", "[server][crypto]") {
  // The reference implementation's key 00 01 .. 0f and messages 00 01 ..
  // (n - 1): vectors.h of github.com/veorq/SipHash, and the paper's example
  // (15 bytes: a129ca6149be45e5).
  const std::array<uint64_t, 2> key = {0x0706050403020100ULL,
                                       0x0f0e0d0c0b0a0908ULL};
  std::string message;
  for (int i = 0; i < 15; ++i) message.push_back(static_cast<char>(i));
  unsigned char out[16];
  SipHash24(key, "", out, 8);
  CHECK(HexOf(out, 8) == "310e0edd47db6f72");
  SipHash24(key, message, out, 8);
  CHECK(HexOf(out, 8) == "e545be4961ca29a1");
  SipHash24(key, "", out, 16);
  CHECK(HexOf(out, 16) == "a3817f04ba25a8e66df67214c7550293");
  SipHash24(key, message.substr(0, 1), out, 16);
  CHECK(HexOf(out, 16) == "da87c1d86b99af44347659119b22fc45");
}

TEST_CASE("KeyedTokenTag tells tokens apart and is stable in a process",
          "[server][crypto]") {
  const std::string token = NewToken();
  CHECK(TagEquals(KeyedTokenTag(token), KeyedTokenTag(token)));
  TokenTag other;
  std::thread([&] { other = KeyedTokenTag(token); }).join();
  CHECK(TagEquals(other, KeyedTokenTag(token)));
  std::string changed = token;
  changed.back() = changed.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(TagEquals(KeyedTokenTag(token), KeyedTokenTag(changed)));
  CHECK_FALSE(TagEquals(KeyedTokenTag(token), KeyedTokenTag(token + "x")));
  CHECK_FALSE(
      TagEquals(KeyedTokenTag(""), KeyedTokenTag(std::string(1, '\0'))));
}

TEST_CASE("New ids, tokens and secrets have their formats and do not repeat",
          "[server][crypto]") {
  std::set<std::string> seen;
  std::set<uint64_t> seeds;
  for (int i = 0; i < 200; ++i) {
    const ConversationSecrets secrets = NewConversationSecrets();
    CHECK(secrets.id.size() == 32);
    CHECK(AllOf(secrets.id, kHexDigits));
    CHECK(secrets.token.size() == 43);
    CHECK(AllOf(secrets.token, kBase64Url));
    CHECK(seen.insert(secrets.id).second);
    CHECK(seen.insert(secrets.token).second);
    seeds.insert(secrets.seed);

    const std::string id = NewConversationId();
    CHECK(id.size() == 32);
    CHECK(AllOf(id, kHexDigits));
    const std::string token = NewToken();
    CHECK(token.size() == 43);
    CHECK(AllOf(token, kBase64Url));
    CHECK(seen.insert(id).second);
    CHECK(seen.insert(token).second);
    seeds.insert(NewSeed());
  }
  CHECK(seeds.size() == 400);
}

}  // namespace
}  // namespace trustcoach::server
