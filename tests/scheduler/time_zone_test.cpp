#include "hub/scheduler/time_zone.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <random>

namespace hub::scheduler {
namespace {

SysSeconds utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return timegm(&tm);
}

TEST(TimeZone, KnownOffsets) {
  EXPECT_EQ(TimeZone::locate("UTC")->offset_at(utc(2025, 6, 1)), 0);
  EXPECT_EQ(TimeZone::locate("Europe/Moscow")->offset_at(utc(2025, 6, 1)), 3 * 3600);
  EXPECT_EQ(TimeZone::locate("Europe/Moscow")->offset_at(utc(2025, 1, 1)), 3 * 3600);
  // Moscow had permanent +4 between 2011 and 2014.
  EXPECT_EQ(TimeZone::locate("Europe/Moscow")->offset_at(utc(2013, 1, 1)), 4 * 3600);
  EXPECT_EQ(TimeZone::locate("Asia/Vladivostok")->offset_at(utc(2025, 6, 1)), 10 * 3600);
  const auto berlin = TimeZone::locate("Europe/Berlin");
  EXPECT_EQ(berlin->offset_at(utc(2025, 1, 15)), 3600);
  EXPECT_EQ(berlin->offset_at(utc(2025, 7, 15)), 7200);
  // Exactly at the transition instants.
  EXPECT_EQ(berlin->offset_at(utc(2025, 3, 30, 0, 59, 59)), 3600);
  EXPECT_EQ(berlin->offset_at(utc(2025, 3, 30, 1, 0, 0)), 7200);
  EXPECT_EQ(berlin->offset_at(utc(2025, 10, 26, 0, 59, 59)), 7200);
  EXPECT_EQ(berlin->offset_at(utc(2025, 10, 26, 1, 0, 0)), 3600);
  // Far future comes from the POSIX rule in the file's footer.
  EXPECT_EQ(berlin->offset_at(utc(2300, 7, 1)), 7200);
  EXPECT_EQ(berlin->offset_at(utc(2300, 12, 1)), 3600);
  // The same object is handed out again.
  EXPECT_EQ(TimeZone::locate("Europe/Berlin").get(), berlin.get());
}

TEST(TimeZone, ResolvesGapsAndOverlaps) {
  const auto berlin = TimeZone::locate("Europe/Berlin");
  const LocalSeconds gap = utc(2025, 3, 30, 2, 30);  // wall clock 02:30, read as numbers
  auto info = berlin->resolve(gap);
  EXPECT_EQ(info.kind, LocalTimeInfo::Kind::kGap);
  EXPECT_EQ(info.first, utc(2025, 3, 30, 1, 30));  // 03:30 CEST
  info = berlin->resolve(utc(2025, 10, 26, 2, 30));
  EXPECT_EQ(info.kind, LocalTimeInfo::Kind::kOverlap);
  EXPECT_EQ(info.first, utc(2025, 10, 26, 0, 30));   // 02:30 CEST
  EXPECT_EQ(info.second, utc(2025, 10, 26, 1, 30));  // 02:30 CET
  info = berlin->resolve(utc(2025, 7, 1, 12));
  EXPECT_EQ(info.kind, LocalTimeInfo::Kind::kUnique);
  EXPECT_EQ(info.first, utc(2025, 7, 1, 10));
  EXPECT_EQ(TimeZone::locate("Asia/Vladivostok")->resolve(utc(2025, 7, 1, 9)).first,
            utc(2025, 6, 30, 23));
}

TEST(TimeZone, RejectsUnknownAndUnsafeNames) {
  for (const char* bad :
       {"Mars/Olympus", "../../etc/passwd", "/etc/localtime", "", "Europe/Mo scow"}) {
    try {
      TimeZone::locate(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const TimeZoneError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(TimeZone::from_tzif("Broken", "TZif2 but truncated"), TimeZoneError);
  EXPECT_THROW(TimeZone::from_tzif("NotTzif", std::string(60, 'x')), TimeZoneError);
}

// An independent oracle: glibc's localtime_r reading the same zone. TZ is process-global, which is
// exactly why the scheduler does not work this way; this test is single-threaded.
TEST(TimeZone, AgreesWithGlibcOverTwoCenturies) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<SysSeconds> when(utc(1950, 1, 1), utc(2150, 1, 1));
  const char* old_tz = std::getenv("TZ");
  const std::string saved = old_tz ? old_tz : "";
  for (const char* name : {"Europe/Berlin", "Europe/Moscow", "Asia/Vladivostok", "America/New_York",
                           "Australia/Sydney", "Europe/Samara"}) {
    const auto zone = TimeZone::locate(name);
    setenv("TZ", (std::string(":") + name).c_str(), 1);
    tzset();
    for (int i = 0; i < 3000; ++i) {
      const SysSeconds t = when(rng);
      const std::time_t tt = t;
      std::tm tm{};
      localtime_r(&tt, &tm);
      ASSERT_EQ(zone->offset_at(t), tm.tm_gmtoff) << name << " at " << t;
    }
  }
  if (old_tz)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

}  // namespace
}  // namespace hub::scheduler
