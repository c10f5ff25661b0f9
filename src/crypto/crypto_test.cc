#include "crypto/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace facet::crypto {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(CryptoTest, SealOpenRoundTripAndTamperDetection) {
  auto key = SecretKey::Random();
  ASSERT_TRUE(key.ok());
  const std::string message = "template bytes";
  auto sealed = Seal(*key, Bytes(message), "row-1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), message.size() + kSealOverhead);
  auto opened = Open(*key, *sealed, "row-1");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(std::string(opened->begin(), opened->end()), message);
  // Each bit flipped anywhere fails authentication.
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::vector<uint8_t> bad = *sealed;
    bad[i] ^= 0x01;
    EXPECT_EQ(Open(*key, bad, "row-1").status().code(), StatusCode::kCorruptData) << i;
  }
  // Other associated data (another row), truncation, another key.
  EXPECT_FALSE(Open(*key, *sealed, "row-2").ok());
  EXPECT_FALSE(Open(*key, std::span<const uint8_t>(sealed->data(), sealed->size() - 1), "row-1").ok());
  EXPECT_FALSE(Open(*key, std::span<const uint8_t>(sealed->data(), 10), "row-1").ok());
  auto other = SecretKey::Random();
  EXPECT_FALSE(Open(*other, *sealed, "row-1").ok());
  // Nonces are random: sealing twice differs.
  auto again = Seal(*key, Bytes(message), "row-1");
  EXPECT_NE(*again, *sealed);
}

TEST(CryptoTest, WrapUnwrapAndSubkeys) {
  auto master = SecretKey::FromHex(std::string(64, 'a'));
  ASSERT_TRUE(master.ok());
  auto data_key = SecretKey::Random();
  auto wrapped = WrapKey(*master, *data_key, "person-1");
  ASSERT_TRUE(wrapped.ok());
  auto unwrapped = UnwrapKey(*master, *wrapped, "person-1");
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_TRUE(std::equal(unwrapped->bytes().begin(), unwrapped->bytes().end(),
                         data_key->bytes().begin()));
  EXPECT_FALSE(UnwrapKey(*master, *wrapped, "person-2").ok());
  auto a1 = DeriveSubkey(*master, 1, "facetaud");
  auto a1_again = DeriveSubkey(*master, 1, "facetaud");
  auto a2 = DeriveSubkey(*master, 2, "facetaud");
  ASSERT_TRUE(a1.ok() && a1_again.ok() && a2.ok());
  EXPECT_TRUE(std::equal(a1->bytes().begin(), a1->bytes().end(), a1_again->bytes().begin()));
  EXPECT_FALSE(std::equal(a1->bytes().begin(), a1->bytes().end(), a2->bytes().begin()));
  EXPECT_FALSE(DeriveSubkey(*master, 1, "short").ok());
}

TEST(CryptoTest, HexAndHashes) {
  EXPECT_FALSE(SecretKey::FromHex("abc").ok());
  EXPECT_FALSE(SecretKey::FromHex(std::string(64, 'g')).ok());
  EXPECT_TRUE(SecretKey::FromHex("  " + std::string(64, 'F') + "\n").ok());
  EXPECT_EQ(Sha256Hex(Bytes("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // BLAKE2b-256("abc"), RFC 7693 parameters with a 32-byte digest.
  EXPECT_EQ(ToHex(Blake2b256(Bytes("abc"))),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  auto key = SecretKey::Random();
  EXPECT_NE(Blake2b256(Bytes("abc"), &*key), Blake2b256(Bytes("abc")));
  auto bytes = FromHex("00ff10");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, (std::vector<uint8_t>{0, 255, 16}));
  EXPECT_FALSE(FromHex("0").ok());
  EXPECT_FALSE(FromHex("zz").ok());
  EXPECT_EQ(Base64(Bytes("facet")), "ZmFjZXQ=");
}

TEST(CryptoTest, KeyFileIsCreated0600AndGuarded) {
  const auto dir = std::filesystem::temp_directory_path() / ("facet_key_" + RandomHex(6));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "master.key").string();
  auto created = CreateKeyFile(path);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto read = ReadKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(std::equal(read->bytes().begin(), read->bytes().end(), created->bytes().begin()));
  // Never overwritten.
  EXPECT_EQ(CreateKeyFile(path).status().code(), StatusCode::kFailedPrecondition);
  // A key others can read is refused.
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(ReadKeyFile(path).status().code(), StatusCode::kFailedPrecondition);
  ::chmod(path.c_str(), 0600);
  std::ofstream(path) << "not a key\n";
  EXPECT_EQ(ReadKeyFile(path).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadKeyFile((dir / "missing.key").string()).status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace facet::crypto
