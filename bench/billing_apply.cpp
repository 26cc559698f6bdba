// bench_billing_apply: how fast the billing store takes a bank import. Against a private
// PostgreSQL (or ZHKH_BENCH_PG): seeds --accounts accounts (account.upsert batches), then applies
// --payments payment.received messages in batches of --batch (parse, identify, one upsert per
// batch, one transaction each): 90% named by ЛС, 5% by ЕЛС, 5% by an unknown ЛС with name +
// address (the scored fallback). Then the same payments again (idempotent re-delivery: nothing
// changes), and --single payments one per transaction. Prints figures and a JSON last line.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <vector>

#include "hub/billing/billing_store.h"
#include "hub/core/log.h"
#include "hub/store/migrations.h"
#include "hub/store/pool.h"
#include "pg_cluster.h"
#include "process_usage.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("sample lacks '" + from + "'");
  return s.replace(at, from.size(), to);
}

std::string els_of(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06d", i);
  return std::string("34АА") + buf;  // 10 characters: 34 + АА + 6 digits
}

hub::Envelope env(const std::string& type, std::string body, std::string key) {
  hub::Envelope e;
  e.type = type;
  e.source = "bench";
  e.idempotency_key = std::move(key);
  e.body = std::move(body);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path source = HUB_SOURCE_DIR;
  if (const char* s = std::getenv("ZHKH_SOURCE_DIR")) source = s;
  int accounts = 20000, payments = 200000, batch = 1000, single = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--accounts")
      accounts = v;
    else if (k == "--payments")
      payments = v;
    else if (k == "--batch")
      batch = v;
    else if (k == "--single")
      single = v;
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  hub::LogSink::instance().set_min_level(hub::LogLevel::kWarn);
  try {
    std::unique_ptr<TempCluster> cluster;
    std::string admin;
    if (const char* e = std::getenv("ZHKH_BENCH_PG"); e && *e) {
      admin = e;
    } else {
      cluster = std::make_unique<TempCluster>(source);
      admin = cluster->conninfo();
    }
    const std::string db = "bench_billing_" + std::to_string(::getpid());
    {
      pqxx::connection c(admin);
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE " + db);
    }
    const std::string conninfo = with_dbname(admin, db);
    {
      pqxx::connection c(conninfo);
      hub::store::migrate(c);
    }
    auto pool = std::make_unique<hub::store::Pool>(conninfo, 4);
    auto store_ptr = std::make_unique<hub::billing::BillingStore>(*pool);
    auto& store = *store_ptr;
    const auto samples = source / "schemas/canonical/samples";
    const auto account_tpl = read_file(samples / "account.upsert.xml");
    const auto house = read_file(samples / "house.upsert.xml");
    const auto payment_tpl = read_file(samples / "payment.received.xml");
    if (!store.apply(env("house.upsert", house, "house")).ok()) throw std::runtime_error("house");

    // Accounts: numbers 200000+i, ELS per account, flats 1..N in the sample house.
    auto t0 = Clock::now();
    for (int from = 0; from < accounts; from += batch) {
      std::vector<hub::Envelope> b;
      for (int i = from; i < std::min(accounts, from + batch); ++i) {
        auto body = replace(account_tpl, "<c:account>100234</c:account>",
                            "<c:account>" + std::to_string(200000 + i) + "</c:account>");
        body = replace(body, "<c:els>34АА011432</c:els>", "<c:els>" + els_of(i) + "</c:els>");
        body = replace(body, "<c:izhku>34АА011432-01</c:izhku>",
                       "<c:izhku>" + els_of(i) + "-01</c:izhku>");
        body = replace(body, "<c:number>12А</c:number>",
                       "<c:number>" + std::to_string(i + 1) + "</c:number>");
        b.push_back(env("account.upsert", std::move(body), "acc:" + std::to_string(i)));
      }
      for (const auto& r : store.apply_batch(b))
        if (!r.ok()) throw std::runtime_error("account: " + r.error);
    }
    const double account_s = seconds_since(t0);

    auto payment = [&](int i) {
      auto body = replace(payment_tpl, "<c:transactionId>2026112012345678</c:transactionId>",
                          "<c:transactionId>T" + std::to_string(i) + "</c:transactionId>");
      const int a = i % accounts;
      if (i % 20 == 18) {
        body = replace(body, "<c:account>100234</c:account>", "<c:els>" + els_of(a) + "</c:els>");
      } else if (i % 20 == 19) {
        // Unknown ЛС; the sample's payer name and address go to the fallback.
        body = replace(body, "<c:account>100234</c:account>",
                       "<c:account>X" + std::to_string(i) + "</c:account>");
      } else {
        body = replace(body, "<c:account>100234</c:account>",
                       "<c:account>" + std::to_string(200000 + a) + "</c:account>");
      }
      return env("payment.received", std::move(body), "pay:" + std::to_string(i));
    };
    std::vector<std::vector<hub::Envelope>> batches;
    for (int from = 0; from < payments; from += batch) {
      std::vector<hub::Envelope> b;
      for (int i = from; i < std::min(payments, from + batch); ++i) b.push_back(payment(i));
      batches.push_back(std::move(b));
    }

    std::size_t identified = 0, unidentified = 0;
    t0 = Clock::now();
    for (const auto& b : batches) {
      for (const auto& r : store.apply_batch(b)) {
        if (!r.ok()) throw std::runtime_error("payment: " + r.error);
        (r.payment_status == "identified" ? identified : unidentified)++;
      }
    }
    const double pay_s = seconds_since(t0);

    std::size_t unchanged = 0;
    t0 = Clock::now();
    for (const auto& b : batches)
      for (const auto& r : store.apply_batch(b))
        unchanged += r.outcome == hub::billing::ApplyResult::Outcome::kUnchanged;
    const double again_s = seconds_since(t0);

    t0 = Clock::now();
    for (int i = 0; i < single; ++i) {
      const auto r = store.apply(payment(payments + i));
      if (!r.ok()) throw std::runtime_error("single: " + r.error);
    }
    const double single_s = seconds_since(t0);

    // Late accounts: payments for accounts the hub does not know yet wait unidentified; the
    // accounts' arrival identifies them (same transaction as the account upserts).
    const int late = std::max(1, accounts / 4);
    for (int from = 0; from < late; from += batch) {
      std::vector<hub::Envelope> b;
      for (int i = from; i < std::min(late, from + batch); ++i) {
        auto e = payment(payments + single + i);
        // The unknown-ЛС lines stay unknown; ЛС and ЕЛС lines name accounts to come ("L…").
        if (e.body.find("<c:account>X") == std::string::npos &&
            e.body.find("<c:account>") != std::string::npos)
          e.body = replace(e.body, "<c:account>", "<c:account>L");
        else if (e.body.find("<c:els>") != std::string::npos)
          continue;
        b.push_back(std::move(e));
      }
      store.apply_batch(b);
    }
    t0 = Clock::now();
    for (int from = 0; from < late; from += batch) {
      std::vector<hub::Envelope> b;
      for (int i = from; i < std::min(late, from + batch); ++i) {
        const int n = payments + single + i;
        const int a = n % accounts;
        std::string number = (n % 20 == 18 || n % 20 == 19) ? "" : "L" + std::to_string(200000 + a);
        if (number.empty()) continue;
        auto body = replace(account_tpl, "<c:account>100234</c:account>",
                            "<c:account>" + number + "</c:account>");
        body = replace(body, "<c:els>34АА011432</c:els>", "");
        body = replace(body, "<c:izhku>34АА011432-01</c:izhku>", "");
        b.push_back(env("account.upsert", std::move(body), "late:" + std::to_string(i)));
      }
      for (const auto& r : store.apply_batch(b))
        if (!r.ok()) throw std::runtime_error("late account: " + r.error);
    }
    const double late_s = seconds_since(t0);

    long long rows = 0, history = 0, still_unidentified = 0;
    {
      pqxx::connection c(conninfo);
      pqxx::nontransaction q(c);
      rows = q.exec("SELECT count(*) FROM billing.payment")[0][0].as<long long>();
      history = q.exec("SELECT count(*) FROM billing.history")[0][0].as<long long>();
      still_unidentified =
          q.exec("SELECT count(*) FROM billing.payment WHERE status = 'unidentified'")[0][0]
              .as<long long>();
    }

    const double acc_rate = accounts / account_s, pay_rate = payments / pay_s,
                 again_rate = payments / again_s, single_rate = single / single_s;
    std::printf("accounts:   %d in %.2f s = %.0f/s (batches of %d)\n", accounts, account_s,
                acc_rate, batch);
    std::printf("payments:   %d in %.2f s = %.0f/s (batches of %d; %zu identified, %zu not)\n",
                payments, pay_s, pay_rate, batch, identified, unidentified);
    std::printf("re-applied: %d in %.2f s = %.0f/s (%zu unchanged)\n", payments, again_s,
                again_rate, unchanged);
    std::printf("single:     %d in %.2f s = %.0f/s (one transaction each)\n", single, single_s,
                single_rate);
    std::printf("late accounts: %d in %.2f s = %.0f/s, identifying the payments waiting for them\n",
                late, late_s, late / late_s);
    std::printf("rows: %lld payments (%lld unidentified), %lld history rows\n", rows,
                still_unidentified, history);
    std::printf(
        "{\"accounts_per_s\":%.0f,\"payments_per_s\":%.0f,\"reapply_per_s\":%.0f,"
        "\"single_per_s\":%.0f,\"batch\":%d,\"payments\":%d,\"identified\":%zu,"
        "\"unidentified\":%zu,\"unchanged_on_reapply\":%zu,\"payment_rows\":%lld,"
        "\"history_rows\":%lld,\"late_accounts_per_s\":%.0f,\"still_unidentified\":%lld}\n",
        acc_rate, pay_rate, again_rate, single_rate, batch, payments, identified, unidentified,
        unchanged, rows, history, late / late_s, still_unidentified);
    store_ptr.reset();
    pool.reset();  // its connections go before the database does
    {
      pqxx::connection a(admin);
      pqxx::nontransaction tx(a);
      tx.exec("DROP DATABASE IF EXISTS " + db);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_billing_apply: " << e.what() << "\n";
    return 1;
  }
}
