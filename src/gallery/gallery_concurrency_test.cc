// Several threads identify while others enroll, revoke and erase in the same gallery (run under
// ThreadSanitizer by the `tsan` preset, and normally in every other build). Checks that nothing
// races, that every search sees a committed state, and that a shredded person is never returned
// once the revocation returned. And many threads identifying at once: each identification
// audited exactly once (its entries committed in shared transactions), the chain intact; this
// one also runs on PostgreSQL as a "pg." test.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "facet/gallery.h"
#include "gallery/gallery_test_util.h"
#include "store/postgres/pg_test_util.h"

namespace facet {
namespace {

using testing::HashOf;
using testing::SyntheticPeople;
using testing::TestRecognizer;

TEST(GalleryConcurrencyTest, IdentifyWhileEnrollingRevokingAndErasing) {
  const std::string dir = testing::TempDir("facet_concurrency_");
  GalleriesOptions options;
  options.store = dir + "/store.db";
  options.key_file = dir + "/master.key";
  auto created = Galleries::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<Galleries> galleries = std::move(created).value();
  const AuditContext admin{"admin", ""};
  ASSERT_TRUE(galleries->CreateGallery({"office", "door", ConsentScope::kIdentify, 1e-4, false},
                                       TestRecognizer(), admin)
                  .ok());
  // Probes are made up front: the generator is not shared between threads.
  SyntheticPeople people(11);
  constexpr int kStable = 30;   // enrolled before, never changed
  constexpr int kChurn = 16;    // enrolled and then revoked or erased while searches run
  constexpr int kProbes = 16;   // per Identify call: searches long enough to overlap changes
  std::vector<Embedding> enroll_faces;
  std::vector<Embedding> probes;
  for (int p = 0; p < kStable + kChurn; ++p) {
    enroll_faces.push_back(people.Face(p));
    probes.push_back(people.Face(p));
  }
  auto add = [&](int p) {
    const std::string id = "p" + std::to_string(p);
    ASSERT_TRUE(galleries->AddPerson("office", {id, "", ""}, admin).ok());
    ASSERT_TRUE(galleries->GrantConsent("office", id,
                                        {id, ConsentScope::kIdentify, "door", std::nullopt, ""},
                                        admin)
                    .ok());
  };
  for (int p = 0; p < kStable + kChurn; ++p) add(p);
  for (int p = 0; p < kStable; ++p) {
    ASSERT_TRUE(galleries->Enroll({"office", "p" + std::to_string(p), enroll_faces[p],
                                   QualityLevel::kHigh, HashOf(p), {}},
                                  admin)
                    .ok());
  }

  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::atomic<int> searches{0};
  // Persons whose shredding has returned: they must never be identified afterwards.
  std::array<std::atomic<bool>, kStable + kChurn> shredded{};
  auto searcher = [&](int seed) {
    int round = seed;
    while (!done.load()) {
      std::vector<int> who_is(kProbes);
      std::vector<Embedding> batch;
      std::vector<bool> was_shredded;
      for (int i = 0; i < kProbes; ++i) {
        who_is[i] = round++ % (kStable + kChurn);
        batch.push_back(probes[who_is[i]]);
        was_shredded.push_back(shredded[who_is[i]].load());
      }
      auto found = galleries->Identify("office", batch, {"searcher", "concurrency test"});
      if (!found.ok()) {
        ++errors;
        continue;
      }
      ++searches;
      for (int i = 0; i < kProbes; ++i) {
        const int p = who_is[i];
        const std::string& who = (*found)[i].person_id;
        if (p < kStable && who != "p" + std::to_string(p)) ++errors;  // stable people always found
        if (was_shredded[i] && !who.empty()) ++errors;               // never after the shred
        if (!who.empty() && who != "p" + std::to_string(p)) ++errors;  // never someone else
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back(searcher, t * 5);
  std::thread changer([&] {
    for (int p = kStable; p < kStable + kChurn; ++p) {
      const std::string id = "p" + std::to_string(p);
      auto enrolled = galleries->Enroll(
          {"office", id, enroll_faces[p], QualityLevel::kHigh, HashOf(p), {}}, admin);
      if (!enrolled.ok()) ++errors;
    }
    for (int p = kStable; p < kStable + kChurn; ++p) {
      const std::string id = "p" + std::to_string(p);
      Status status;
      if (p % 2 == 0) {
        auto consents = galleries->ListConsents("office", id);
        status = consents.ok() ? galleries->RevokeConsent("office", id,
                                                          consents->front().consent_id, admin)
                               : consents.status();
      } else {
        status = galleries->ErasePerson("office", id, admin);
      }
      if (!status.ok()) ++errors;
      shredded[p].store(true);
    }
  });
  changer.join();
  // Let the searchers run a little past the last change.
  const int after = searches.load();
  while (searches.load() < after + 6) std::this_thread::yield();
  done = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(searches.load(), 10);
  auto report = galleries->VerifyAudit();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact) << report->problem;
  EXPECT_EQ(galleries->GetGallery("office")->faces, kStable);
  galleries.reset();
  std::filesystem::remove_all(dir);
}

TEST(GalleryConcurrencyTest, ConcurrentIdentificationsAreEachAuditedOnceInOneChain) {
  const std::string dir = testing::TempDir("facet_group_commit_");
  GalleriesOptions options;
  options.store = dir + "/store.db";
  if (!testing::PostgresTestBase().empty()) {  // the "pg." run
    std::string error;
    options.store = testing::FreshPostgresStore(&error);
    if (options.store.empty()) GTEST_SKIP() << "PostgreSQL unreachable: " << error;
  }
  options.key_file = dir + "/master.key";
  auto created = Galleries::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<Galleries> galleries = std::move(created).value();
  const AuditContext admin{"admin", ""};
  ASSERT_TRUE(galleries
                  ->CreateGallery({"office", "door", ConsentScope::kIdentify, 1e-4, false},
                                  TestRecognizer(), admin)
                  .ok());
  SyntheticPeople people(12);
  constexpr int kPersons = 4;
  std::vector<Embedding> probes;
  for (int p = 0; p < kPersons; ++p) {
    const std::string id = "p" + std::to_string(p);
    ASSERT_TRUE(galleries->AddPerson("office", {id, "", ""}, admin).ok());
    ASSERT_TRUE(galleries
                    ->GrantConsent("office", id,
                                   {id, ConsentScope::kIdentify, "door", std::nullopt, ""}, admin)
                    .ok());
    ASSERT_TRUE(
        galleries->Enroll({"office", id, people.Face(p), QualityLevel::kHigh, HashOf(p), {}}, admin)
            .ok());
    probes.push_back(people.Face(p));
  }
  const int64_t entries_before = galleries->VerifyAudit()->entries;
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // The purpose names the call, so that its entry can be found.
        const std::string purpose = "call " + std::to_string(t) + ":" + std::to_string(i);
        const int p = (t + i) % kPersons;
        auto found = galleries->Identify("office", std::span<const Embedding>(&probes[p], 1),
                                         {"searcher", purpose});
        if (!found.ok() || found->front().person_id != "p" + std::to_string(p)) ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto report = galleries->VerifyAudit();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->intact) << report->problem;
  EXPECT_EQ(report->entries, entries_before + kThreads * kEach);
  auto entries = galleries->ReadAudit(entries_before + 1, 100'000);
  ASSERT_TRUE(entries.ok());
  std::map<std::string, int> audited;
  for (const AuditEntry& e : *entries) {
    EXPECT_EQ(e.action, "identify");
    ++audited[e.purpose];
  }
  EXPECT_EQ(audited.size(), static_cast<size_t>(kThreads * kEach));
  for (const auto& [purpose, n] : audited) {
    EXPECT_EQ(n, 1) << purpose;
  }
  const AuditCommitStats stats = galleries->GetAuditCommitStats();
  EXPECT_EQ(stats.entries, kThreads * kEach);
  EXPECT_EQ(stats.failed_commits, 0);
  EXPECT_LE(stats.commits, stats.entries);
  EXPECT_LE(stats.largest_batch, 64);
  galleries.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace facet
