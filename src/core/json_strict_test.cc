#include "core/json_strict.h"

#include <gtest/gtest.h>

namespace facet {
namespace {

TEST(JsonStrictTest, ParsesLikeNlohmannAndRefusesADuplicateKey) {
  const nlohmann::json ok = ParseJsonRefusingDuplicateKeys(R"({"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]})");
  ASSERT_FALSE(ok.is_discarded());
  EXPECT_EQ(ok["b"]["a"], 2) << "the same key in different objects is fine";
  EXPECT_TRUE(ParseJsonRefusingDuplicateKeys("{\"a\": ").is_discarded()) << "invalid JSON";
  std::string duplicate;
  EXPECT_TRUE(ParseJsonRefusingDuplicateKeys(R"({"faceId1": "x", "faceId1": "y"})", &duplicate)
                  .is_discarded());
  EXPECT_EQ(duplicate, "faceId1");
  EXPECT_TRUE(ParseJsonRefusingDuplicateKeys(R"([{"k": {"deep": 1, "deep": 2}}])", &duplicate)
                  .is_discarded());
  EXPECT_EQ(duplicate, "deep");
  // After a nested object closes, its keys no longer count for the enclosing one.
  EXPECT_FALSE(ParseJsonRefusingDuplicateKeys(R"({"o": {"k": 1}, "k": 2})").is_discarded());
}

}  // namespace
}  // namespace facet
